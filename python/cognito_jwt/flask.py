"""Flask: an extension and a decorator; the claims in ``flask.g``.

.. code-block:: python

    from flask import Flask, g
    from cognito_jwt.flask import CognitoAuth, require_auth

    app = Flask(__name__)
    CognitoAuth(app)                      # CognitoJwtVerifier.from_env()

    @app.get("/api/me")
    @require_auth()
    def me():
        return {"sub": g.cognito_claims["sub"]}

    @app.get("/api/admin")
    @require_auth(groups=["admins"])
    def admin(): ...

    @app.get("/api/activities/home")
    @require_auth(optional=True)          # g.cognito_claims is None without a token
    def home(): ...

A refused request gets the answer the Rust adapters give: the status, the
``WWW-Authenticate`` challenge (or ``Retry-After`` for 503) and the fixed
JSON body; the view does not run.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Iterable, TypeVar

from flask import Flask, Response, current_app, g, request

from cognito_jwt import CognitoJwtError, CognitoJwtVerifier, Requirements, Verifier

__all__ = ["CognitoAuth", "require_auth", "rejection_response"]

F = TypeVar("F", bound=Callable[..., Any])

EXTENSION = "cognito_jwt"


def rejection_response(error: CognitoJwtError) -> Response:
    """The HTTP answer for a refusal."""
    return Response(error.body, status=error.http_status, headers=error.headers())


class CognitoAuth:
    """The Flask extension: holds the verifier (``CognitoJwtVerifier.from_env()``
    unless one is given) in ``app.extensions["cognito_jwt"]``."""

    def __init__(self, app: Flask | None = None, verifier: Verifier | None = None, *, realm: str = "api") -> None:
        self.verifier = verifier
        self.realm = realm
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        if self.verifier is None:
            self.verifier = CognitoJwtVerifier.from_env()
        app.extensions[EXTENSION] = self

    def require_auth(
        self,
        *,
        groups: Iterable[str] | str | None = None,
        scopes: Iterable[str] | str | None = None,
        claims: Iterable[str] | str | None = None,
        acr: Iterable[str] | str | None = None,
        amr: Iterable[str] | str | None = None,
        max_auth_age: float | None = None,
        optional: bool = False,
    ) -> Callable[[F], F]:
        """Like the module's :func:`require_auth`, with this extension's
        verifier (for apps with several)."""
        return _decorator(
            lambda: self,
            Requirements(groups=groups, scopes=scopes, claims=claims, acr=acr, amr=amr, max_auth_age=max_auth_age),
            optional,
        )


def require_auth(
    *,
    groups: Iterable[str] | str | None = None,
    scopes: Iterable[str] | str | None = None,
    claims: Iterable[str] | str | None = None,
    acr: Iterable[str] | str | None = None,
    amr: Iterable[str] | str | None = None,
    max_auth_age: float | None = None,
    optional: bool = False,
) -> Callable[[F], F]:
    """Verify the request's token before the view runs, with the app's
    :class:`CognitoAuth`: any of ``groups``, any of ``scopes``, every claim
    rule (``"custom:tenant=acme"``), step-up (``acr``, ``amr``,
    ``max_auth_age`` in seconds). The claims go to ``g.cognito_claims``.
    ``optional=True``: a request without a token runs the view with
    ``g.cognito_claims = None``; a bad token is still refused.

    The requirements are checked when the view is decorated: a blank group
    raises :class:`~cognito_jwt.ConfigError` at import, not per request.
    """
    requirements = Requirements(
        groups=groups, scopes=scopes, claims=claims, acr=acr, amr=amr, max_auth_age=max_auth_age
    )
    return _decorator(_app_extension, requirements, optional)


def _app_extension() -> CognitoAuth:
    extension = current_app.extensions.get(EXTENSION)
    if extension is None:
        raise RuntimeError("require_auth needs the CognitoAuth extension: call CognitoAuth(app) or init_app(app)")
    return extension  # type: ignore[no-any-return]


def _header_values(name: str) -> list[str]:
    """The request's values of header ``name``, one per header sent. WSGI
    servers join repeated headers with commas (RFC 9110 §5.3); no
    credential contains one (token68 and Basic credentials cannot), so
    splitting restores what was sent and two headers are answered "send
    exactly one", as the Rust adapters answer them."""
    values: list[str] = []
    for value in request.headers.getlist(name):
        values.extend(part.strip() for part in value.split(","))
    return values


def _decorator(auth: Callable[[], CognitoAuth], requirements: Requirements, optional: bool) -> Callable[[F], F]:
    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            extension = auth()
            verifier = extension.verifier
            if verifier is None:
                raise RuntimeError("CognitoAuth.init_app(app) was not called")
            values = _header_values(verifier.token_header)
            try:
                g.cognito_claims = verifier.authenticate(
                    values, requirements, optional=optional, realm=extension.realm
                )
            except CognitoJwtError as error:
                return rejection_response(error)
            return current_app.ensure_sync(view)(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate
