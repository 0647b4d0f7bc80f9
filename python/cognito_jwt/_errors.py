"""The package's exceptions.

An exception's text is a fixed description of the refusal (``"expired: the
token has expired"``): never the token, a claim value or a key-set URL, so
that tracebacks and logs carry no credential.
"""

from __future__ import annotations

from typing import Any


class CognitoJwtError(Exception):
    """A request or token that was not accepted, with the HTTP answer for it.

    Attributes:
        kind: the stable snake_case error kind (``"expired"``, …); ``None``
            when the request carried no token or a malformed header.
        http_status: 400, 401, 403 or 503.
        www_authenticate: the ``WWW-Authenticate`` value (RFC 6750), ``None``
            for 503.
        retry_after: seconds for ``Retry-After`` (503 only), else ``None``.
        body: the fixed JSON body the Rust adapters answer with.
        description: the fixed human-readable reason.
    """

    kind: str | None
    http_status: int
    www_authenticate: str | None
    retry_after: int | None
    body: str
    description: str

    def __init__(
        self,
        description: str,
        kind: str | None = None,
        http_status: int = 401,
        www_authenticate: str | None = None,
        retry_after: int | None = None,
        body: str = "",
    ) -> None:
        super().__init__(f"{kind}: {description}" if kind else description)
        self.description = description
        self.kind = kind
        self.http_status = http_status
        self.www_authenticate = www_authenticate
        self.retry_after = retry_after
        self.body = body

    def headers(self) -> dict[str, str]:
        """The response headers of the answer: ``WWW-Authenticate`` or
        ``Retry-After``, and the JSON content type."""
        headers = {"Content-Type": "application/json"}
        if self.www_authenticate is not None:
            headers["WWW-Authenticate"] = self.www_authenticate
        if self.retry_after is not None:
            headers["Retry-After"] = str(self.retry_after)
        return headers

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            type(self),
            (
                self.description,
                self.kind,
                self.http_status,
                self.www_authenticate,
                self.retry_after,
                self.body,
            ),
        )


class TokenError(CognitoJwtError):
    """The request was refused (4xx): no usable token, or a token that does
    not pass. One subclass per kind."""


class MissingTokenError(TokenError):
    """No token in the request (401, a bare challenge)."""


class InvalidRequestError(TokenError):
    """A malformed ``Authorization`` header: two of them, non-ASCII bytes,
    an empty token (400 ``invalid_request``)."""


class MalformedTokenError(TokenError):
    """``malformed``: not a JWT this verifier reads."""


class UnsupportedAlgorithmError(TokenError):
    """``unsupported_algorithm``."""


class UnknownKidError(TokenError):
    """``unknown_kid``: no key of the issuer's key set signed it."""


class InvalidSignatureError(TokenError):
    """``invalid_signature``."""


class ExpiredTokenError(TokenError):
    """``expired``: ask the client to refresh."""


class NotYetValidError(TokenError):
    """``not_yet_valid``."""


class InvalidIssuerError(TokenError):
    """``invalid_issuer``."""


class InvalidAudienceError(TokenError):
    """``invalid_audience``: another app client's (or resource's) token."""


class InvalidTokenUseError(TokenError):
    """``invalid_token_use``: an ID token where an access token is due, or
    the reverse."""


class MissingGroupError(TokenError):
    """``missing_group`` (403)."""


class MissingScopeError(TokenError):
    """``missing_scope`` (403)."""


class ClaimMismatchError(TokenError):
    """``claim_mismatch`` (403): a claim rule refused the token."""


class InsufficientUserAuthenticationError(TokenError):
    """``insufficient_user_authentication`` (401): step-up is required."""


class CustomCheckFailedError(TokenError):
    """``custom_check_failed``."""


class RevokedTokenError(TokenError):
    """``revoked``: the session, token, user or client was revoked."""


class InvalidDpopProofError(TokenError):
    """``invalid_dpop_proof``: the DPoP proof is missing a check (RFC 9449)."""


class DpopProofReplayedError(TokenError):
    """``dpop_proof_replayed``: the DPoP proof's ``jti`` was seen before."""


class UseDpopNonceError(TokenError):
    """``use_dpop_nonce``: send the proof again with the server's nonce."""


class DpopBindingMismatchError(TokenError):
    """``dpop_binding_mismatch``: the proof's key or ``ath`` does not match
    the token."""


class DpopRequiredError(TokenError):
    """``dpop_required``: a DPoP-bound token (or a DPoP-only issuer's token)
    was sent without a proof."""


class ServiceUnavailableError(CognitoJwtError):
    """The token cannot be checked right now (503); ``retry_after`` says when
    to try again."""

    retry_after: int | None


class JwksUnavailableError(ServiceUnavailableError):
    """``jwks_unavailable``: the key set cannot be fetched."""


class JwksNotCachedError(ServiceUnavailableError):
    """``jwks_not_cached``."""


class RevocationUnavailableError(ServiceUnavailableError):
    """``revocation_unavailable``: the revocation list is too stale."""


class DpopReplayUnavailableError(ServiceUnavailableError):
    """``dpop_replay_unavailable``: the DPoP replay store cannot be asked."""


class ConfigError(ValueError):
    """A setting or environment variable is missing or wrong: the message
    names it (and a near miss of its name that is set)."""

    name: str | None

    def __init__(self, message: str, name: str | None = None) -> None:
        super().__init__(message)
        self.name = name

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (str(self), self.name))


_CLASSES: dict[str, type[CognitoJwtError]] = {
    "missing": MissingTokenError,
    "invalid_request": InvalidRequestError,
    "malformed": MalformedTokenError,
    "unsupported_algorithm": UnsupportedAlgorithmError,
    "unknown_kid": UnknownKidError,
    "invalid_signature": InvalidSignatureError,
    "expired": ExpiredTokenError,
    "not_yet_valid": NotYetValidError,
    "invalid_issuer": InvalidIssuerError,
    "invalid_audience": InvalidAudienceError,
    "invalid_token_use": InvalidTokenUseError,
    "missing_group": MissingGroupError,
    "missing_scope": MissingScopeError,
    "claim_mismatch": ClaimMismatchError,
    "insufficient_user_authentication": InsufficientUserAuthenticationError,
    "custom_check_failed": CustomCheckFailedError,
    "revoked": RevokedTokenError,
    "invalid_dpop_proof": InvalidDpopProofError,
    "dpop_proof_replayed": DpopProofReplayedError,
    "use_dpop_nonce": UseDpopNonceError,
    "dpop_binding_mismatch": DpopBindingMismatchError,
    "dpop_required": DpopRequiredError,
    "jwks_unavailable": JwksUnavailableError,
    "jwks_not_cached": JwksNotCachedError,
    "revocation_unavailable": RevocationUnavailableError,
    "dpop_replay_unavailable": DpopReplayUnavailableError,
}


def _rejection(
    category: str,
    description: str,
    status: int,
    www_authenticate: str | None,
    retry_after: int | None,
    body: str,
) -> CognitoJwtError:
    """Called by the extension module: the exception for a refusal."""
    if category in _CLASSES:
        cls = _CLASSES[category]
    elif status == 503:
        cls = ServiceUnavailableError
    else:
        cls = TokenError
    kind = None if category in ("missing", "invalid_request") else category
    return cls(description, kind, status, www_authenticate, retry_after, body)


def _resolve(future: Any, error: BaseException | None, value: Any) -> None:
    """Called on the event loop's thread: settle a ``verify_async`` future
    unless its caller gave up on it."""
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(value)


async def _later(start: Any, *args: Any) -> Any:
    """Called by the extension module: ``verify_async`` and
    ``authenticate_async`` as coroutines (the future they await is made in
    the running loop)."""
    return await start(*args)
