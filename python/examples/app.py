"""The seed's Flask backend, done right: verified Cognito tokens, configured
from the ``COGNITO_*`` variables.

    COGNITO_USER_POOL_ID=eu-west-1_AbC123xyz COGNITO_CLIENT_ID=… \\
    COGNITO_TOKEN_USE=access python examples/app.py

(or ``flask --app examples/app.py run``, which calls ``create_app``).

Routes: ``/health``, ``/ready``, ``/api/activities/home`` (public; one more
item for a signed-in user), ``/api/me`` and ``/api/admin`` (group
``ADMIN_GROUP``, default ``admins``). A misnamed variable stops start-up
with a message naming it and the variable to rename
(``AWS_COGNITO_USERPOOL_ID is set: rename it to COGNITO_USER_POOL_ID``).
"""

from __future__ import annotations

import os
import sys

from flask import Flask, Response, g

from cognito_jwt import CognitoJwtVerifier, ConfigError
from cognito_jwt.flask import CognitoAuth, require_auth

PUBLIC_ACTIVITIES = [
    {"handle": "andrewbrown", "message": "Cloud is very fun!"},
    {"handle": "worf", "message": "I am out of prune juice"},
    {"handle": "garek", "message": "My dear doctor, I am just a simple tailor."},
]

ADMIN_GROUP = os.environ.get("ADMIN_GROUP", "admins")


def display_name(claims: dict) -> str:
    """The ``username``, or the ``sub`` of a machine-to-machine token."""
    return claims.get("username") or claims["sub"]


def create_app(verifier: CognitoJwtVerifier | None = None) -> Flask:
    app = Flask(__name__)
    auth = CognitoAuth(app, verifier or CognitoJwtVerifier.from_env())

    @app.get("/health")
    def health():
        return {"status": "ok"}

    @app.get("/ready")
    def ready():
        status, retry_after, body = auth.verifier.readiness()
        headers = {"Retry-After": str(retry_after)} if retry_after else {}
        return Response(body, status=status, headers=headers, content_type="application/json")

    @app.get("/api/activities/home")
    @require_auth(optional=True)
    def home():
        claims = g.cognito_claims
        activities = list(PUBLIC_ACTIVITIES)
        signed_in_as = display_name(claims) if claims else None
        if signed_in_as:
            activities.insert(
                0,
                {"handle": "cruddur", "message": f"Welcome back, {signed_in_as}! 2 new crudds since your last visit."},
            )
        return {"signed_in_as": signed_in_as, "activities": activities}

    @app.get("/api/me")
    @require_auth()
    def me():
        claims = g.cognito_claims
        return {
            "sub": claims["sub"],
            "username": claims.get("username"),
            "groups": claims.get("cognito:groups", []),
            "scopes": claims.get("scope", "").split(),
        }

    @app.get("/api/admin")
    @require_auth(groups=[ADMIN_GROUP])
    def admin():
        return {"message": f"Hello, {display_name(g.cognito_claims)}: you are in {ADMIN_GROUP}."}

    return app


def main() -> Flask:
    try:
        return create_app()
    except ConfigError as error:
        sys.exit(f"configuration error: {error}")


if __name__ == "__main__":
    main().run(host="127.0.0.1", port=int(os.environ.get("PORT", "8080")))
