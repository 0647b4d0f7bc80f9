"""Strict, fast verification of Amazon Cognito JWTs (and any OpenID Connect
issuer's, and an Application Load Balancer's), from the ``cognito-jwt`` Rust
core.

>>> from cognito_jwt import CognitoJwtVerifier
>>> verifier = CognitoJwtVerifier.from_env()          # COGNITO_* variables
>>> claims = verifier.verify(token)                    # GIL released
>>> claims = await verifier.verify_async(token)        # event loop free

Refusals raise a :class:`TokenError` subclass per kind (``ExpiredTokenError``,
…) carrying the HTTP answer (``http_status``, ``www_authenticate``, ``body``);
an unavailable key set raises :class:`ServiceUnavailableError`
(``retry_after``); a bad setting :class:`ConfigError`. Framework helpers:
``cognito_jwt.flask`` and ``cognito_jwt.fastapi``; test kit:
``cognito_jwt.testing``.
"""

from __future__ import annotations

import os as _os

from cognito_jwt._errors import (
    ClaimMismatchError,
    CognitoJwtError,
    ConfigError,
    CustomCheckFailedError,
    ExpiredTokenError,
    InsufficientUserAuthenticationError,
    InvalidAudienceError,
    InvalidIssuerError,
    InvalidRequestError,
    InvalidSignatureError,
    InvalidTokenUseError,
    JwksNotCachedError,
    JwksUnavailableError,
    MalformedTokenError,
    MissingGroupError,
    MissingScopeError,
    MissingTokenError,
    NotYetValidError,
    RevocationUnavailableError,
    RevokedTokenError,
    DpopBindingMismatchError,
    DpopProofReplayedError,
    DpopReplayUnavailableError,
    DpopRequiredError,
    InvalidDpopProofError,
    UseDpopNonceError,
    ServiceUnavailableError,
    TokenError,
    UnknownKidError,
    UnsupportedAlgorithmError,
)
from cognito_jwt._native import (
    ERROR_KINDS,
    AlbJwtVerifier,
    CognitoJwtVerifier,
    JwtVerifier,
    Requirements,
    RevocationList,
    UserPool,
    Verifier,
    before_fork as _before_fork,
)

# Fork safety (gunicorn --preload, multiprocessing with "fork"): the
# package's runtime is shut down, its threads joined, before the process
# is copied; parent and child each start a fresh one on first use, keeping
# the verifiers' key sets and token caches.
_os.register_at_fork(before=_before_fork)

__all__ = [
    "ERROR_KINDS",
    "AlbJwtVerifier",
    "ClaimMismatchError",
    "CognitoJwtError",
    "CognitoJwtVerifier",
    "ConfigError",
    "CustomCheckFailedError",
    "ExpiredTokenError",
    "InsufficientUserAuthenticationError",
    "InvalidAudienceError",
    "InvalidIssuerError",
    "InvalidRequestError",
    "InvalidSignatureError",
    "InvalidTokenUseError",
    "JwksNotCachedError",
    "JwksUnavailableError",
    "JwtVerifier",
    "MalformedTokenError",
    "MissingGroupError",
    "MissingScopeError",
    "MissingTokenError",
    "NotYetValidError",
    "Requirements",
    "RevocationList",
    "RevocationUnavailableError",
    "RevokedTokenError",
    "DpopBindingMismatchError",
    "DpopProofReplayedError",
    "DpopReplayUnavailableError",
    "DpopRequiredError",
    "InvalidDpopProofError",
    "UseDpopNonceError",
    "ServiceUnavailableError",
    "TokenError",
    "UnknownKidError",
    "UnsupportedAlgorithmError",
    "UserPool",
    "Verifier",
]
