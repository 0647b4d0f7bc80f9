"""Flask and FastAPI: the shared case table (test-support's ``cases``,
exported to cases.json) and the 503 answer, as the Rust adapters give them."""

from __future__ import annotations

import json

import pytest
from conftest import CASES, bearer_error, fill

from cognito_jwt import CognitoJwtVerifier
from cognito_jwt.testing import TestIssuer

GROUP = CASES["group"]


def flask_client(verifier):
    from flask import Flask, g

    from cognito_jwt.flask import CognitoAuth, require_auth

    app = Flask(__name__)
    CognitoAuth(app, verifier)

    @app.get("/guarded")
    @require_auth(groups=[GROUP])
    def guarded():
        return {"sub": g.cognito_claims["sub"]}

    @app.get("/maybe")
    @require_auth(optional=True)
    def maybe():
        return {"signed_in": g.cognito_claims is not None}

    client = app.test_client()

    def get(path, authorization):
        from werkzeug.datastructures import Headers

        headers = Headers()
        for value in authorization:
            headers.add("Authorization", value.decode("latin-1"))
        response = client.get(path, headers=headers)
        return response.status_code, response.headers, response.get_data(as_text=True)

    return get


def fastapi_client(verifier):
    from fastapi import Depends, FastAPI
    from fastapi.testclient import TestClient

    from cognito_jwt.fastapi import CognitoAuth, install

    app = FastAPI()
    install(app)
    in_group = CognitoAuth(verifier, groups=[GROUP])
    maybe_user = CognitoAuth(verifier, optional=True)

    @app.get("/guarded")
    async def guarded(claims: dict = Depends(in_group)):
        return {"sub": claims["sub"]}

    @app.get("/maybe")
    async def maybe(claims: dict | None = Depends(maybe_user)):
        return {"signed_in": claims is not None}

    client = TestClient(app)

    def get(path, authorization):
        headers = [(b"authorization", value) for value in authorization]
        response = client.get(path, headers=headers)
        return response.status_code, response.headers, response.text

    return get


CLIENTS = {"flask": flask_client, "fastapi": fastapi_client}


@pytest.fixture(scope="module")
def verifier(issuer: TestIssuer):
    return issuer.verifier(CASES["client_id"])


@pytest.mark.parametrize("framework", CLIENTS)
@pytest.mark.parametrize("case", CASES["cases"], ids=[c["name"] for c in CASES["cases"]])
def test_case_table(framework, case, verifier, case_tokens) -> None:
    get = CLIENTS[framework](verifier)
    authorization = [fill(value, case_tokens) for value in case["authorization"]]
    status, headers, body = get("/guarded", authorization)
    assert status == case["status"], body
    challenge = headers.get("WWW-Authenticate")
    if status == 200:
        assert challenge is None
        return
    assert challenge.startswith('Bearer realm="api"')
    assert bearer_error(challenge) == case["bearer_error"]
    for param in case["challenge_params"]:
        assert param in challenge
    answer = json.loads(body)
    assert answer["error"] in ("unauthorized", case["bearer_error"])
    assert headers["Content-Type"].startswith("application/json")
    for token in case_tokens.values():
        assert token not in body and token not in challenge


def test_same_bodies_in_both_frameworks(verifier, case_tokens) -> None:
    for case in CASES["cases"]:
        authorization = [fill(value, case_tokens) for value in case["authorization"]]
        answers = [CLIENTS[f](verifier)("/guarded", authorization) for f in CLIENTS]
        (s1, h1, b1), (s2, h2, b2) = answers
        assert (s1, h1.get("WWW-Authenticate")) == (s2, h2.get("WWW-Authenticate")), case["name"]
        if s1 != 200:
            assert b1 == b2, case["name"]


@pytest.mark.parametrize("framework", CLIENTS)
def test_optional_auth(framework, verifier, case_tokens) -> None:
    get = CLIENTS[framework](verifier)
    assert get("/maybe", [])[0:1] == (200,)
    assert json.loads(get("/maybe", [])[2]) == {"signed_in": False}
    assert json.loads(get("/maybe", [b"Bearer " + case_tokens["valid"].encode()])[2]) == {"signed_in": True}
    # A bad token is refused even where signing in is optional.
    assert get("/maybe", [b"Bearer " + case_tokens["expired"].encode()])[0] == 401


@pytest.mark.parametrize("framework", CLIENTS)
def test_unavailable_key_set(framework, issuer: TestIssuer) -> None:
    verifier = CognitoJwtVerifier(
        user_pool_id=issuer.pool_id, client_id=CASES["client_id"], token_use="access",
        jwks_uri="http://127.0.0.1:9/unreachable.json", fetch_timeout=2,
    )
    get = CLIENTS[framework](verifier)
    token = issuer.access_token(CASES["client_id"], groups=[GROUP])
    status, headers, body = get("/guarded", [f"Bearer {token}".encode()])
    assert status == 503
    assert "WWW-Authenticate" not in headers
    assert int(headers["Retry-After"]) >= 1
    assert json.loads(body) == {
        "error": "temporarily_unavailable",
        "error_description": "the token cannot be checked right now; retry later",
        "kind": "jwks_unavailable",
    }
