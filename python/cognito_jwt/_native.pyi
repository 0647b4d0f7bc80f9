"""Type stubs of the extension module (re-exported by ``cognito_jwt``)."""

from collections.abc import Awaitable, Iterable, Sequence
from datetime import timedelta
from os import PathLike
from typing import Any, Literal, TypedDict, final, overload

from typing_extensions import Unpack

ERROR_KINDS: list[str]

Seconds = float | timedelta
Strings = str | Iterable[str]

class VerifierOptions(TypedDict, total=False):
    """Settings every verifier kind shares (``groups`` and ``scopes`` not
    for ``AlbJwtVerifier``)."""

    groups: Strings
    scopes: Strings
    claims: Strings
    acr: Strings
    amr: Strings
    max_auth_age: Seconds
    leeway: Seconds
    refresh_interval: Seconds
    cooldown: Seconds
    max_staleness: Seconds
    fetch_timeout: Seconds
    connect_timeout: Seconds
    backoff: tuple[Seconds, Seconds]
    token_cache_max_bytes: int
    revocation: RevocationList

@final
class Requirements:
    """A route's requirements, on top of the verifier's own."""

    def __init__(
        self,
        *,
        groups: Strings | None = None,
        scopes: Strings | None = None,
        claims: Strings | None = None,
        acr: Strings | None = None,
        amr: Strings | None = None,
        max_auth_age: Seconds | None = None,
    ) -> None: ...
    def __bool__(self) -> bool: ...

class Verifier:
    """What every verifier kind can do."""

    @property
    def token_header(self) -> Literal["authorization", "x-amzn-oidc-data"]: ...
    def verify(self, token: str, requirements: Requirements | None = None) -> dict[str, Any]: ...
    def verify_async(self, token: str, requirements: Requirements | None = None) -> Awaitable[dict[str, Any]]: ...
    def hydrate(self) -> None: ...
    def health(self) -> dict[str, Any]: ...
    def is_ready(self) -> bool: ...
    def readiness(self) -> tuple[int, int | None, str]: ...
    def authenticate(
        self,
        headers: Sequence[bytes | str],
        requirements: Requirements | None = None,
        *,
        optional: bool = False,
        realm: str = "api",
    ) -> dict[str, Any] | None: ...
    def authenticate_async(
        self,
        headers: Sequence[bytes | str],
        requirements: Requirements | None = None,
        *,
        optional: bool = False,
        realm: str = "api",
    ) -> Awaitable[dict[str, Any] | None]: ...

@final
class UserPool:
    """One user pool, for a verifier of several."""

    def __init__(
        self,
        *,
        user_pool_id: str,
        client_id: Strings,
        token_use: Literal["access", "id", "any"],
        jwks_uri: str | None = None,
        issuer: str | None = None,
        issuer_hosts: Literal["both", "original", "updated"] | None = None,
        resource: Strings | None = None,
        unbound_clients: Strings | None = None,
        jwks_file: str | PathLike[str] | None = None,
        jwks_seed: str | None = None,
    ) -> None: ...

@final
class CognitoJwtVerifier(Verifier):
    @overload
    def __init__(
        self,
        *,
        user_pool_id: str,
        client_id: Strings,
        token_use: Literal["access", "id", "any"],
        jwks_uri: str | None = None,
        issuer: str | None = None,
        issuer_hosts: Literal["both", "original", "updated"] | None = None,
        resource: Strings | None = None,
        unbound_clients: Strings | None = None,
        jwks_file: str | PathLike[str] | None = None,
        jwks_seed: str | None = None,
        user_pools: Sequence[UserPool] | None = None,
        revocation_probe: bool | Seconds | None = None,
        idp_endpoint: str | None = None,
        **options: Unpack[VerifierOptions],
    ) -> None: ...
    @overload
    def __init__(
        self,
        *,
        user_pools: Sequence[UserPool],
        revocation_probe: bool | Seconds | None = None,
        idp_endpoint: str | None = None,
        **options: Unpack[VerifierOptions],
    ) -> None: ...
    @staticmethod
    def from_env() -> CognitoJwtVerifier: ...

@final
class JwtVerifier(Verifier):
    def __init__(
        self,
        *,
        issuer: str,
        audience: Strings | None = None,
        algorithms: Strings | None = None,
        jwks_uri: str | None = None,
        discover: bool = False,
        access_token_profile: bool = False,
        groups_claim: str | None = None,
        allow_http: bool = False,
        dangerously_accept_any_audience: bool = False,
        **options: Unpack[VerifierOptions],
    ) -> None: ...
    @staticmethod
    def from_env() -> JwtVerifier: ...

@final
class AlbJwtVerifier(Verifier):
    def __init__(
        self,
        *,
        load_balancer_arn: Strings,
        client_id: Strings | None = None,
        issuer: Strings | None = None,
        keys_url: str | None = None,
        **options: Unpack[VerifierOptions],
    ) -> None: ...
    @staticmethod
    def from_env() -> AlbJwtVerifier: ...

@final
class RevocationList:
    def __init__(
        self,
        *,
        max_entries: int | None = None,
        session_ttl: Seconds | None = None,
        token_lifetime: Seconds | None = None,
        max_staleness: Seconds | None = None,
    ) -> None: ...
    @staticmethod
    def from_env() -> RevocationList: ...
    def revoke_session(self, issuer: str, origin_jti: str) -> None: ...
    def revoke_token(self, issuer: str, jti: str, expires_at: int) -> None: ...
    def revoke_subject(self, issuer: str, sub: str) -> None: ...
    def revoke_client(self, issuer: str, client_id: str) -> None: ...
    def __len__(self) -> int: ...

@final
class NativeTestIssuer:
    def __init__(self, pool_id: str, issuer: str | None = None) -> None: ...
    @property
    def pool_id(self) -> str: ...
    @property
    def issuer_url(self) -> str: ...
    @property
    def kid(self) -> str: ...
    def jwks_json(self) -> str: ...
    def rotate(self) -> str: ...
    def retire_old_keys(self) -> None: ...
    def access_token(
        self,
        client_id: str,
        groups: list[str] | None = None,
        scope: str | None = None,
        claims: dict[str, Any] | None = None,
        without: list[str] | None = None,
        expires_in: int | None = None,
    ) -> str: ...
    def m2m_access_token(
        self,
        client_id: str,
        scope: str,
        claims: dict[str, Any] | None = None,
        without: list[str] | None = None,
        expires_in: int | None = None,
    ) -> str: ...
    def id_token(
        self,
        client_id: str,
        groups: list[str] | None = None,
        claims: dict[str, Any] | None = None,
        without: list[str] | None = None,
        expires_in: int | None = None,
    ) -> str: ...
    def verifier(self, client_id: str, token_use: str = "access", **options: Unpack[VerifierOptions]) -> CognitoJwtVerifier: ...

def before_fork() -> None: ...
def runtime_running() -> bool: ...
