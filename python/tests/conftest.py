"""Shared fixtures: the test issuer, the case table, and the rule for tests
that need a program from outside Python (moto_server, gunicorn)."""

from __future__ import annotations

import json
import os
import shutil
import socket
from pathlib import Path

import pytest

from cognito_jwt.testing import TestIssuer

CASES = json.loads((Path(__file__).parent / "cases.json").read_text())


def skip_unless_installed(*programs: str) -> None:
    """Skip the test when a program is missing, except under CI=true, where
    it fails (CI installs what its tests need), as test-support's
    ``skip_unless_installed`` does for the Rust tests."""
    missing = [p for p in programs if shutil.which(p) is None]
    if not missing:
        return
    reason = f"{', '.join(missing)} not installed (or not on PATH)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; with CI=true this fails instead of skipping")
    pytest.skip(reason)


def skip_unless_importable(module: str) -> None:
    """:func:`skip_unless_installed` for a Python package (gunicorn)."""
    import importlib.util

    if importlib.util.find_spec(module) is not None:
        return
    reason = f"the {module} package is not installed"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; with CI=true this fails instead of skipping")
    pytest.skip(reason)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Under CI=true, a skipped test fails the run: CI installs what the
    tests need, and a skip there would hide a missing install step."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if os.environ.get("CI") == "true" and skipped and session.exitstatus == 0:
        session.exitstatus = 1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def issuer() -> TestIssuer:
    return TestIssuer("eu-west-1_PyTests1")


@pytest.fixture(scope="session")
def case_tokens(issuer: TestIssuer) -> dict[str, str]:
    """The tokens cases.json's placeholders stand for (test-support's
    CaseTokens, minted here)."""
    client, group = CASES["client_id"], CASES["group"]
    valid = issuer.access_token(client)
    head, sig = valid.rsplit(".", 1)
    forged = f"{head}.{'B' if sig.startswith('A') else 'A'}{sig[1:]}"
    return {
        "valid": valid,
        "valid_in_group": issuer.access_token(client, groups=[group]),
        "expired": issuer.access_token(client, expires_in=-3600),
        "wrong_use": issuer.id_token(client),
        "forged": forged,
    }


def fill(value: str, tokens: dict[str, str]) -> bytes:
    for name, token in tokens.items():
        value = value.replace("{" + name + "}", token)
    return value.encode("latin-1")


def bearer_error(challenge: str) -> str | None:
    if ', error="' not in challenge:
        return None
    return challenge.split(', error="', 1)[1].split('"', 1)[0]
