"""python/examples/app.py: the seed's routes, and the misnamed variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cognito_jwt.testing import TestIssuer

EXAMPLE = Path(__file__).parent.parent / "examples" / "app.py"
sys.path.insert(0, str(EXAMPLE.parent))

from app import create_app  # noqa: E402


def test_routes(issuer: TestIssuer) -> None:
    client = create_app(issuer.verifier("web")).test_client()
    public = client.get("/api/activities/home").get_json()
    assert public["signed_in_as"] is None and len(public["activities"]) == 3
    token = issuer.access_token("web", groups=["admins"])
    auth = {"Authorization": f"Bearer {token}"}
    home = client.get("/api/activities/home", headers=auth).get_json()
    assert home["signed_in_as"] == "test-user" and len(home["activities"]) == 4
    me = client.get("/api/me", headers=auth).get_json()
    assert me["groups"] == ["admins"] and me["username"] == "test-user"
    assert client.get("/api/admin", headers=auth).status_code == 200
    assert client.get("/api/me").status_code == 401
    plain = {"Authorization": f"Bearer {issuer.access_token('web')}"}
    assert client.get("/api/admin", headers=plain).status_code == 403
    assert client.get("/ready").status_code == 200


def test_misnamed_variable_stops_start_up() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COGNITO_")}
    env.update(AWS_COGNITO_USERPOOL_ID="eu-west-1_AbC123xyz", COGNITO_CLIENT_ID="web", COGNITO_TOKEN_USE="access")
    result = subprocess.run(
        [sys.executable, str(EXAMPLE)], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert "COGNITO_USER_POOL_ID" in result.stderr
    assert "AWS_COGNITO_USERPOOL_ID is set: rename it to COGNITO_USER_POOL_ID" in result.stderr
