"""FastAPI (and Starlette): a dependency returning the claims.

.. code-block:: python

    from fastapi import Depends, FastAPI
    from cognito_jwt import CognitoJwtVerifier
    from cognito_jwt.fastapi import CognitoAuth, install

    app = FastAPI()
    install(app)                         # renders refusals as the Rust adapters do
    verifier = CognitoJwtVerifier.from_env()
    user = CognitoAuth(verifier)
    admin = CognitoAuth(verifier, groups=["admins"])
    maybe_user = CognitoAuth(verifier, optional=True)

    @app.get("/api/me")
    async def me(claims: dict = Depends(user)):
        return {"sub": claims["sub"]}

Verification runs on the package's runtime: the event loop never waits on
it. A refusal raises :class:`AuthenticationFailed` (an ``HTTPException``
with the right status and headers); with :func:`install`, its body is the
Rust adapters' fixed JSON body too.
"""

from __future__ import annotations

from typing import Any, Iterable

from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response

from cognito_jwt import CognitoJwtError, Requirements, Verifier

__all__ = ["AuthenticationFailed", "CognitoAuth", "install", "rejection_response"]


class AuthenticationFailed(HTTPException):
    """A refused request; ``error`` is the package's exception."""

    def __init__(self, error: CognitoJwtError) -> None:
        super().__init__(status_code=error.http_status, detail=error.description, headers=error.headers())
        self.error = error


def rejection_response(error: CognitoJwtError) -> Response:
    """The HTTP answer for a refusal."""
    return Response(error.body, status_code=error.http_status, headers=error.headers())


async def _handle(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AuthenticationFailed)
    return rejection_response(exc.error)


def install(app: Any) -> None:
    """Render :class:`AuthenticationFailed` with the fixed JSON body (a
    FastAPI or Starlette app)."""
    app.add_exception_handler(AuthenticationFailed, _handle)


class CognitoAuth:
    """A dependency: ``Depends(CognitoAuth(verifier, groups=…))`` gives the
    claims dict, or ``None`` with ``optional=True`` and no token."""

    def __init__(
        self,
        verifier: Verifier,
        *,
        groups: Iterable[str] | str | None = None,
        scopes: Iterable[str] | str | None = None,
        claims: Iterable[str] | str | None = None,
        acr: Iterable[str] | str | None = None,
        amr: Iterable[str] | str | None = None,
        max_auth_age: float | None = None,
        optional: bool = False,
        realm: str = "api",
    ) -> None:
        self.verifier = verifier
        self.requirements = Requirements(
            groups=groups, scopes=scopes, claims=claims, acr=acr, amr=amr, max_auth_age=max_auth_age
        )
        self.optional = optional
        self.realm = realm
        self._header = verifier.token_header.encode()

    async def __call__(self, request: HTTPConnection) -> Any:
        values = [value for name, value in request.headers.raw if name == self._header]
        try:
            return await self.verifier.authenticate_async(
                values, self.requirements, optional=self.optional, realm=self.realm
            )
        except CognitoJwtError as error:
            raise AuthenticationFailed(error) from None
