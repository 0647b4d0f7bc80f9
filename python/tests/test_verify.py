"""The verifiers: claims, refusals per kind, configuration errors, async."""

from __future__ import annotations

import asyncio
import pickle
import threading
import traceback

import pytest

import cognito_jwt
from cognito_jwt import (
    CognitoJwtVerifier,
    ConfigError,
    ExpiredTokenError,
    InvalidAudienceError,
    InvalidSignatureError,
    InvalidTokenUseError,
    JwksUnavailableError,
    JwtVerifier,
    MalformedTokenError,
    MissingGroupError,
    MissingScopeError,
    Requirements,
    RevocationList,
    RevokedTokenError,
    ServiceUnavailableError,
    TokenError,
)
from cognito_jwt.testing import TestIssuer

CLIENT = "py-client"


def corrupt_signature(token: str) -> str:
    """The token with one character of its signature changed, well-formed still.

    Always a change: overwriting the end with fixed characters leaves the
    token as it was when its signature happens to end with them.
    """
    position = len(token) - 100
    replacement = "B" if token[position] == "A" else "A"
    return token[:position] + replacement + token[position + 1 :]


def test_access_token_claims(issuer: TestIssuer) -> None:
    verifier = issuer.verifier(CLIENT)
    claims = verifier.verify(issuer.access_token(CLIENT, groups=["admins"], claims={"custom:n": [1, 2.5, None, True]}))
    assert claims["client_id"] == CLIENT
    assert claims["token_use"] == "access"
    assert claims["cognito:groups"] == ["admins"]
    assert claims["custom:n"] == [1, 2.5, None, True]
    assert isinstance(claims["exp"], int)


def test_id_token_and_any(issuer: TestIssuer) -> None:
    assert issuer.verifier(CLIENT, "id").verify(issuer.id_token(CLIENT))["aud"] == CLIENT
    anything = issuer.verifier(CLIENT, "any")
    anything.verify(issuer.id_token(CLIENT))
    anything.verify(issuer.access_token(CLIENT))


@pytest.mark.parametrize(
    ("mint", "error", "kind", "status"),
    [
        (lambda i: i.access_token(CLIENT, expires_in=-3600), ExpiredTokenError, "expired", 401),
        (lambda i: i.id_token(CLIENT), InvalidTokenUseError, "invalid_token_use", 401),
        (lambda i: i.access_token("another-client"), InvalidAudienceError, "invalid_audience", 401),
        (lambda i: "not-a-jwt", MalformedTokenError, "malformed", 401),
        (lambda i: corrupt_signature(i.access_token(CLIENT)), InvalidSignatureError, "invalid_signature", 401),
        (lambda i: i.access_token(CLIENT), MissingGroupError, "missing_group", 403),
    ],
)
def test_refusals_raise_one_class_per_kind(issuer: TestIssuer, mint, error, kind, status) -> None:
    verifier = issuer.verifier(CLIENT, groups=["admins"])
    token = mint(issuer)
    with pytest.raises(error) as raised:
        verifier.verify(token)
    exc = raised.value
    assert isinstance(exc, TokenError)
    assert (exc.kind, exc.http_status) == (kind, status)
    assert exc.www_authenticate.startswith('Bearer realm="api", error=')
    assert exc.retry_after is None
    assert f'"kind":"{kind}"' in exc.body
    # No token, nor any part of one, in the exception's text or traceback.
    text = str(exc) + repr(exc) + "".join(traceback.format_exception(exc)) + exc.body
    for part in token.split("."):
        if len(part) > 8:
            assert part not in text
    assert pickle.loads(pickle.dumps(exc)).kind == kind


def test_every_kind_has_a_class() -> None:
    from cognito_jwt._errors import _CLASSES

    assert set(cognito_jwt.ERROR_KINDS) <= set(_CLASSES)


def test_route_requirements(issuer: TestIssuer) -> None:
    verifier = issuer.verifier(CLIENT)
    token = issuer.access_token(CLIENT, scope="orders/read", claims={"custom:tenant": "acme"})
    assert verifier.verify(token, Requirements(scopes=["orders/read"], claims=["custom:tenant=acme"]))
    with pytest.raises(MissingScopeError) as raised:
        verifier.verify(token, Requirements(scopes="orders/write"))
    assert 'scope="orders/write"' in raised.value.www_authenticate
    with pytest.raises(cognito_jwt.ClaimMismatchError):
        verifier.verify(token, Requirements(claims="custom:tenant=other"))
    with pytest.raises(cognito_jwt.InsufficientUserAuthenticationError) as raised:
        verifier.verify(token, Requirements(acr="phr"))
    assert raised.value.http_status == 401 and 'acr_values="phr"' in raised.value.www_authenticate


def test_revocation(issuer: TestIssuer) -> None:
    revocations = RevocationList()
    verifier = issuer.verifier(CLIENT, revocation=revocations)
    token = issuer.access_token(CLIENT)
    claims = verifier.verify(token)
    revocations.revoke_session(claims["iss"], claims["origin_jti"])
    assert len(revocations) == 1
    with pytest.raises(RevokedTokenError) as raised:
        verifier.verify(token)
    assert raised.value.http_status == 401


def test_unavailable_key_set_is_503_with_retry_after(issuer: TestIssuer) -> None:
    verifier = CognitoJwtVerifier(
        user_pool_id=issuer.pool_id, client_id=CLIENT, token_use="access",
        jwks_uri="http://127.0.0.1:9/unreachable.json", fetch_timeout=2,
    )
    assert not verifier.is_ready()
    with pytest.raises(JwksUnavailableError) as raised:
        verifier.verify(issuer.access_token(CLIENT))
    exc = raised.value
    assert isinstance(exc, ServiceUnavailableError) and not isinstance(exc, TokenError)
    assert exc.http_status == 503 and exc.retry_after >= 1 and exc.www_authenticate is None
    assert "127.0.0.1" not in str(exc)  # no URL in the exception's text
    assert verifier.health()["key_sets"][0]["state"] in ("unavailable", "never_fetched")


def test_served_key_set_hydrate_and_health(issuer: TestIssuer) -> None:
    with TestIssuer("eu-west-1_Served1") as served:
        verifier = CognitoJwtVerifier(
            user_pool_id=served.pool_id, client_id=[CLIENT, "other"], token_use="access", jwks_uri=served.serve()
        )
        assert not verifier.is_ready()
        verifier.hydrate()
        assert verifier.is_ready()
        assert verifier.health()["ready"] is True
        status, retry_after, body = verifier.readiness()
        assert (status, retry_after) == (200, None) and "http" not in body
        assert verifier.verify(served.access_token(CLIENT))["client_id"] == CLIENT


def test_config_errors_name_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError) as raised:
        CognitoJwtVerifier(user_pool_id="eu-west-1_x", client_id="c", token_use="acess")
    assert raised.value.name == "token_use"
    with pytest.raises(ConfigError) as raised:
        CognitoJwtVerifier(user_pool_id="eu-west-1_x", client_id="c", token_use="access", groups=[" "])
    with pytest.raises(ConfigError) as raised:
        CognitoJwtVerifier(user_pool_id="eu-west-1_x", client_id="c", token_use="access", revocation_probe=True)
    assert raised.value.name == "revocation_probe"
    with pytest.raises(TypeError, match="leway"):
        CognitoJwtVerifier(user_pool_id="eu-west-1_x", client_id="c", token_use="access", leway=5)
    for name in ("COGNITO_USER_POOL_ID", "COGNITO_CLIENT_ID", "COGNITO_TOKEN_USE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_COGNITO_USERPOOL_ID", "eu-west-1_AbC123xyz")
    with pytest.raises(ConfigError) as raised:
        CognitoJwtVerifier.from_env()
    assert raised.value.name == "COGNITO_USER_POOL_ID"
    assert "AWS_COGNITO_USERPOOL_ID is set: rename it to COGNITO_USER_POOL_ID" in str(raised.value)


def test_from_env(monkeypatch: pytest.MonkeyPatch, issuer: TestIssuer) -> None:
    monkeypatch.setenv("COGNITO_USER_POOL_ID", issuer.pool_id)
    monkeypatch.setenv("COGNITO_CLIENT_ID", CLIENT)
    monkeypatch.setenv("COGNITO_TOKEN_USE", "access")
    verifier = CognitoJwtVerifier.from_env()
    assert isinstance(verifier, CognitoJwtVerifier) and not verifier.is_ready()
    monkeypatch.setenv("OIDC_ISSUER", "https://login.example.com")
    monkeypatch.setenv("OIDC_AUDIENCE", "api")
    assert isinstance(JwtVerifier.from_env(), JwtVerifier)
    monkeypatch.delenv("ALB_ARN", raising=False)
    with pytest.raises(ConfigError, match="ALB_ARN"):
        cognito_jwt.AlbJwtVerifier.from_env()


def test_verify_async(issuer: TestIssuer) -> None:
    verifier = issuer.verifier(CLIENT)
    token = issuer.access_token(CLIENT)

    async def main() -> None:
        results = await asyncio.gather(*(verifier.verify_async(token) for _ in range(20)))
        assert {r["client_id"] for r in results} == {CLIENT}
        with pytest.raises(ExpiredTokenError):
            await verifier.verify_async(issuer.access_token(CLIENT, expires_in=-60))

    asyncio.run(main())


def test_verify_async_does_not_block_the_event_loop() -> None:
    """The key-set server answers only once the event loop has run another
    task: a verify that held the loop would never finish."""
    import http.server

    served = TestIssuer("eu-west-1_Slow1")
    loop_ran = threading.Event()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            loop_ran.wait(30)
            body = served.jwks_json().encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        verifier = CognitoJwtVerifier(
            user_pool_id=served.pool_id, client_id=CLIENT, token_use="access",
            jwks_uri=f"http://127.0.0.1:{server.server_address[1]}/jwks.json",
        )

        async def main() -> dict:
            pending = asyncio.ensure_future(verifier.verify_async(served.access_token(CLIENT)))
            await asyncio.sleep(0)
            loop_ran.set()
            return await pending

        assert loop_ran.is_set() is False
        assert asyncio.run(main())["client_id"] == CLIENT
    finally:
        server.shutdown()
        server.server_close()


def test_verify_releases_the_gil(issuer: TestIssuer) -> None:
    """Threads verify side by side (a verify holding the GIL would still
    pass, so this checks the results, not the timing)."""
    verifier = issuer.verifier(CLIENT)
    tokens = [issuer.access_token(CLIENT) for _ in range(8)]
    results: list[str] = []

    def work(token: str) -> None:
        for _ in range(50):
            results.append(verifier.verify(token)["sub"])

    threads = [threading.Thread(target=work, args=(t,)) for t in tokens]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 400


def test_cancelled_verify_async_is_left_alone(issuer: TestIssuer) -> None:
    verifier = issuer.verifier(CLIENT)
    token = issuer.access_token(CLIENT)
    errors: list[dict] = []

    async def main() -> None:
        asyncio.get_running_loop().set_exception_handler(lambda loop, context: errors.append(context))
        pending = asyncio.ensure_future(verifier.verify_async(token))
        await asyncio.sleep(0)
        pending.cancel()
        # The verification finishes on the runtime and must not settle the
        # cancelled future; the next one still works.
        assert (await verifier.verify_async(token))["client_id"] == CLIENT

    asyncio.run(main())
    assert errors == []


def test_authenticate_reads_one_header(issuer: TestIssuer) -> None:
    verifier = issuer.verifier(CLIENT)
    token = issuer.access_token(CLIENT)
    assert verifier.token_header == "authorization"
    assert verifier.authenticate([f"Bearer {token}"])["client_id"] == CLIENT
    assert verifier.authenticate([b"bearer " + token.encode()])["client_id"] == CLIENT
    with pytest.raises(cognito_jwt.InvalidRequestError) as raised:
        verifier.authenticate([f"Bearer {token}", f"Bearer {token}"])
    assert raised.value.http_status == 400 and raised.value.kind is None
    with pytest.raises(cognito_jwt.MissingTokenError) as raised:
        verifier.authenticate([])
    assert raised.value.www_authenticate == 'Bearer realm="api"'
    assert verifier.authenticate([], optional=True) is None

    async def main() -> None:
        assert (await verifier.authenticate_async([token.join(("Bearer ", ""))]))["client_id"] == CLIENT
        with pytest.raises(cognito_jwt.MissingTokenError):
            await verifier.authenticate_async([], realm="orders")

    asyncio.run(main())


def test_several_user_pools() -> None:
    first, second = TestIssuer("eu-west-1_First1"), TestIssuer("us-east-1_Second2")
    with first, second:
        verifier = CognitoJwtVerifier(
            user_pools=[
                cognito_jwt.UserPool(user_pool_id=first.pool_id, client_id=CLIENT, token_use="access", jwks_uri=first.serve()),
                cognito_jwt.UserPool(user_pool_id=second.pool_id, client_id="other", token_use="id", jwks_uri=second.serve()),
            ],
        )
        assert verifier.verify(first.access_token(CLIENT))["iss"] == first.issuer
        assert verifier.verify(second.id_token("other"))["iss"] == second.issuer
        with pytest.raises(InvalidTokenUseError):
            verifier.verify(second.access_token("other"))
    with pytest.raises(ConfigError, match="user_pool_id"):
        CognitoJwtVerifier()
    with pytest.raises(TypeError, match="user_pool_id"):
        CognitoJwtVerifier(user_pools=[], client_id=CLIENT)


def test_alb_verifier_reads_the_load_balancer_header() -> None:
    arn = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188"
    verifier = cognito_jwt.AlbJwtVerifier(load_balancer_arn=arn, keys_url="http://127.0.0.1:9")
    assert verifier.token_header == "x-amzn-oidc-data"
    with pytest.raises(cognito_jwt.MissingTokenError) as raised:
        verifier.authenticate([])
    assert raised.value.http_status == 401
    with pytest.raises(TypeError, match="groups"):
        cognito_jwt.AlbJwtVerifier(load_balancer_arn=arn, groups=["admins"])
