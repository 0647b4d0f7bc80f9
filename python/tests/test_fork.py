"""Fork safety: a verifier used before a fork keeps working in the parent
and in the children (gunicorn --preload, os.fork)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from conftest import free_port, skip_unless_importable

from cognito_jwt import CognitoJwtVerifier
from cognito_jwt._native import runtime_running
from cognito_jwt.testing import TestIssuer


def test_os_fork_keeps_caches_and_restarts_the_runtime() -> None:
    with TestIssuer("eu-west-1_Fork1") as issuer:
        verifier = CognitoJwtVerifier(
            user_pool_id=issuer.pool_id, client_id="c", token_use="access", jwks_uri=issuer.serve(), cooldown=0.1
        )
        # Never used before the fork: the child fetches its key set on a
        # runtime of its own.
        cold = CognitoJwtVerifier(user_pool_id=issuer.pool_id, client_id="c", token_use="access", jwks_uri=issuer.serve())
        verifier.hydrate()
        assert runtime_running()
        token = issuer.access_token("c")
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                fresh = not runtime_running()
                kept = verifier.is_ready() and verifier.verify(token)["client_id"] == "c"
                fetched = cold.verify(token)["client_id"] == "c"
                code = 0 if (fresh and kept and fetched) else 2
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        assert verifier.verify(token)["client_id"] == "c"


def test_gunicorn_preload_workers() -> None:
    skip_unless_importable("gunicorn")
    with TestIssuer("eu-west-1_Gunicorn1") as issuer:
        env = dict(os.environ, FORK_POOL_ID=issuer.pool_id, FORK_JWKS_URI=issuer.serve())
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--preload", "-w", "3", "-b", f"127.0.0.1:{port}", "fork_app:app"],
            cwd=Path(__file__).parent,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            token = issuer.access_token("fork-client")

            def get(token: str, path: str = "/api/me") -> int:
                request = urllib.request.Request(
                    f"http://127.0.0.1:{port}{path}", headers={"Authorization": f"Bearer {token}"}
                )
                try:
                    with urllib.request.urlopen(request, timeout=10) as response:
                        return response.status
                except urllib.error.HTTPError as error:
                    return error.code

            for _ in range(600):
                try:
                    get(token)
                    break
                except OSError:
                    assert server.poll() is None, server.stderr.read().decode()
                    time.sleep(0.05)
            assert [get(token) for _ in range(30)] == [200] * 30
            # A verifier the master never used: the workers fetch its key
            # set on their own runtimes.
            assert [get(token, "/api/cold") for _ in range(30)] == [200] * 30
            assert get(issuer.access_token("fork-client", expires_in=-60)) == 401
        finally:
            server.terminate()
            server.wait(10)
