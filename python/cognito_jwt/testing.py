"""A local Cognito user pool for tests: no AWS, no network.

>>> from cognito_jwt.testing import TestIssuer
>>> issuer = TestIssuer()
>>> verifier = issuer.verifier("my-client", groups=["admins"])
>>> token = issuer.access_token("my-client", groups=["admins"])
>>> verifier.verify(token)["cognito:groups"]
['admins']

``issuer.serve()`` publishes the key set on ``127.0.0.1`` for code that
builds its own verifier (``COGNITO_JWKS_URI``).
"""

from __future__ import annotations

import http.server
import threading
from typing import Any, Iterable, Mapping

from cognito_jwt._native import CognitoJwtVerifier, NativeTestIssuer

__all__ = ["TestIssuer"]


class TestIssuer:
    """An RSA key pair standing in for a user pool: mints access and ID
    tokens exactly as Cognito shapes them, and verifiers that trust it."""

    __test__ = False  # not a pytest test class

    def __init__(self, pool_id: str = "eu-west-1_TestPool1", issuer: str | None = None) -> None:
        self._native = NativeTestIssuer(pool_id, issuer)
        self._server: http.server.ThreadingHTTPServer | None = None

    @property
    def pool_id(self) -> str:
        return self._native.pool_id

    @property
    def issuer(self) -> str:
        """The ``iss`` of its tokens."""
        return self._native.issuer_url

    @property
    def kid(self) -> str:
        """The ``kid`` of the current signing key."""
        return self._native.kid

    def jwks_json(self) -> str:
        """The key set document (every key not retired)."""
        return self._native.jwks_json()

    def rotate(self) -> str:
        """Sign with a new key from now on (the old one stays published
        until :meth:`retire_old_keys`); returns its ``kid``."""
        return self._native.rotate()

    def retire_old_keys(self) -> None:
        self._native.retire_old_keys()

    def access_token(
        self,
        client_id: str,
        *,
        groups: Iterable[str] | None = None,
        scope: str | None = None,
        claims: Mapping[str, Any] | None = None,
        without: Iterable[str] | None = None,
        expires_in: int | None = None,
    ) -> str:
        """A signed access token for ``client_id``; ``claims`` add or
        replace claims, ``without`` removes some, ``expires_in`` (seconds,
        negative for an expired token) sets ``exp``."""
        return self._native.access_token(
            client_id,
            list(groups) if groups is not None else None,
            scope,
            dict(claims) if claims is not None else None,
            list(without) if without is not None else None,
            expires_in,
        )

    def m2m_access_token(
        self,
        client_id: str,
        scope: str,
        *,
        claims: Mapping[str, Any] | None = None,
        without: Iterable[str] | None = None,
        expires_in: int | None = None,
    ) -> str:
        """A client-credentials access token (no user)."""
        return self._native.m2m_access_token(
            client_id,
            scope,
            dict(claims) if claims is not None else None,
            list(without) if without is not None else None,
            expires_in,
        )

    def id_token(
        self,
        client_id: str,
        *,
        groups: Iterable[str] | None = None,
        claims: Mapping[str, Any] | None = None,
        without: Iterable[str] | None = None,
        expires_in: int | None = None,
    ) -> str:
        """A signed ID token for ``client_id``."""
        return self._native.id_token(
            client_id,
            list(groups) if groups is not None else None,
            dict(claims) if claims is not None else None,
            list(without) if without is not None else None,
            expires_in,
        )

    def verifier(self, client_id: str, token_use: str = "access", **options: Any) -> CognitoJwtVerifier:
        """A verifier of this pool's tokens, keys cached, that never goes to
        the network; ``options`` as for :class:`CognitoJwtVerifier`
        (``groups``, ``scopes``, ``claims``, ``revocation``, …)."""
        return self._native.verifier(client_id, token_use, **options)

    def serve(self) -> str:
        """Serve the key set on ``127.0.0.1`` (a free port, a daemon thread)
        and return its URL; serves the current keys after a rotation."""
        if self._server is None:
            issuer = self

            class Handler(http.server.BaseHTTPRequestHandler):
                def do_GET(self) -> None:  # noqa: N802
                    body = issuer.jwks_json().encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)

                def log_message(self, *args: Any) -> None:
                    pass

            self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
            threading.Thread(target=self._server.serve_forever, daemon=True).start()
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}/{self.pool_id}/.well-known/jwks.json"

    def close(self) -> None:
        """Stop the key-set server, if :meth:`serve` started one."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> TestIssuer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
