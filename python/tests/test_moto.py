"""Tokens Cognito's emulator (moto) issues verify; skipped without
moto_server, except under CI=true."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request

import pytest
from conftest import free_port, skip_unless_installed

from cognito_jwt import CognitoJwtVerifier, InvalidAudienceError


def call(port: int, operation: str, body: dict) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/",
        data=json.dumps(body).encode(),
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": f"AWSCognitoIdentityProviderService.{operation}",
            "Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/cognito-idp/aws4_request, "
            "SignedHeaders=host, Signature=0",
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"{}")


@pytest.fixture(scope="module")
def moto():
    skip_unless_installed("moto_server")
    port = free_port()
    server = subprocess.Popen(
        ["moto_server", "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        for _ in range(600):
            try:
                call(port, "ListUserPools", {"MaxResults": 1})
                break
            except OSError:
                time.sleep(0.05)
        else:
            pytest.fail("moto_server did not answer")
        yield port
    finally:
        server.terminate()
        server.wait(10)


def test_moto_tokens_verify(moto: int) -> None:
    pool_id = call(moto, "CreateUserPool", {"PoolName": "python"})["UserPool"]["Id"]
    client_id = call(
        moto,
        "CreateUserPoolClient",
        {"UserPoolId": pool_id, "ClientName": "web", "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]},
    )["UserPoolClient"]["ClientId"]
    password = "Correct-Horse-7!"
    call(moto, "AdminCreateUser", {"UserPoolId": pool_id, "Username": "alice", "MessageAction": "SUPPRESS"})
    call(moto, "AdminSetUserPassword", {"UserPoolId": pool_id, "Username": "alice", "Password": password, "Permanent": True})
    tokens = call(
        moto,
        "InitiateAuth",
        {"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client_id, "AuthParameters": {"USERNAME": "alice", "PASSWORD": password}},
    )["AuthenticationResult"]
    jwks_uri = f"http://127.0.0.1:{moto}/{pool_id}/.well-known/jwks.json"

    access = CognitoJwtVerifier(user_pool_id=pool_id, client_id=client_id, token_use="access", jwks_uri=jwks_uri)
    claims = access.verify(tokens["AccessToken"])
    assert claims["client_id"] == client_id and claims["token_use"] == "access"

    ident = CognitoJwtVerifier(user_pool_id=pool_id, client_id=client_id, token_use="id", jwks_uri=jwks_uri)
    assert ident.verify(tokens["IdToken"])["cognito:username"] == "alice"

    other = CognitoJwtVerifier(user_pool_id=pool_id, client_id="another", token_use="access", jwks_uri=jwks_uri)
    with pytest.raises(InvalidAudienceError):
        other.verify(tokens["AccessToken"])


def test_revocation_probe_revokes_what_cognito_signed_out(moto: int) -> None:
    """GlobalSignOut at Cognito (moto): the probe asks GetUser after a
    verification and revokes the session; the verifier then refuses it."""
    from cognito_jwt import RevocationList, RevokedTokenError

    pool_id = call(moto, "CreateUserPool", {"PoolName": "probe"})["UserPool"]["Id"]
    client_id = call(
        moto,
        "CreateUserPoolClient",
        {"UserPoolId": pool_id, "ClientName": "web", "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]},
    )["UserPoolClient"]["ClientId"]
    password = "Correct-Horse-7!"
    call(moto, "AdminCreateUser", {"UserPoolId": pool_id, "Username": "bob", "MessageAction": "SUPPRESS"})
    call(moto, "AdminSetUserPassword", {"UserPoolId": pool_id, "Username": "bob", "Password": password, "Permanent": True})
    token = call(
        moto,
        "InitiateAuth",
        {"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client_id, "AuthParameters": {"USERNAME": "bob", "PASSWORD": password}},
    )["AuthenticationResult"]["AccessToken"]
    verifier = CognitoJwtVerifier(
        user_pool_id=pool_id, client_id=client_id, token_use="access",
        jwks_uri=f"http://127.0.0.1:{moto}/{pool_id}/.well-known/jwks.json",
        revocation=RevocationList(), revocation_probe=True, idp_endpoint=f"http://127.0.0.1:{moto}/",
    )
    call(moto, "AdminUserGlobalSignOut", {"UserPoolId": pool_id, "Username": "bob"})
    verifier.verify(token)  # passes: the probe asks in the background
    for _ in range(600):
        try:
            verifier.verify(token)
        except RevokedTokenError:
            return
        time.sleep(0.05)
    pytest.fail("the probe did not revoke the signed-out session")
