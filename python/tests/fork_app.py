"""The WSGI app of test_fork.py, loaded by gunicorn --preload: the verifier
is built and its key set fetched in the master, before the workers fork."""

import os

from flask import Flask, g, request

from cognito_jwt import CognitoJwtVerifier
from cognito_jwt.flask import CognitoAuth, require_auth

verifier = CognitoJwtVerifier(
    user_pool_id=os.environ["FORK_POOL_ID"],
    client_id="fork-client",
    token_use="access",
    jwks_uri=os.environ["FORK_JWKS_URI"],
    cooldown=0.1,
)
verifier.hydrate()
cold = CognitoJwtVerifier(
    user_pool_id=os.environ["FORK_POOL_ID"],
    client_id="fork-client",
    token_use="access",
    jwks_uri=os.environ["FORK_JWKS_URI"],
)

app = Flask(__name__)
CognitoAuth(app, verifier)


@app.get("/api/me")
@require_auth()
def me():
    return {"sub": g.cognito_claims["sub"], "pid": os.getpid()}


@app.get("/api/cold")
def cold_route():
    return {"sub": cold.verify(request.headers["Authorization"].removeprefix("Bearer "))["sub"]}
