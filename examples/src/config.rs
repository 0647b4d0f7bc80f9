//! Server configuration from the environment.

use std::net::SocketAddr;

use cognito_jwt_core::http::ProtectedResourceMetadata;
use std::sync::Arc;
use std::time::Duration;

use cognito_jwt_core::{
    ClaimRule, CognitoJwtVerifier, ConfigError, DEFAULT_REPLAY_ENTRIES, DPOP_NONCE_SECRET, Dpop,
    ReplayStore, RevocationList, RevocationProbe, UserPool,
};
use cognito_jwt_redis::{RedisReplayStore, RedisRevocation, ReplayFailure};

use crate::cognito_admin::CognitoAdmin;

/// `BIND_ADDR` when it is not set.
pub const DEFAULT_BIND_ADDR: &str = "127.0.0.1:8080";

/// `ADMIN_GROUP` when it is not set.
pub const DEFAULT_ADMIN_GROUP: &str = "admins";

/// The `amr` method `GET /api/mfa` requires.
pub const MFA_METHOD: &str = "mfa";

/// The scopes the servers' routes require, for the metadata document's
/// `scopes_supported` (left out while empty): none, since `/api/admin`
/// requires a group and `/api/mfa` a second factor.
pub const ROUTE_SCOPES: &[&str] = &[];

/// How long a DPoP nonce of the servers stays current: a nonce is accepted
/// in its window and the next, 5 to 10 minutes.
pub const DPOP_NONCE_WINDOW: Duration = Duration::from_secs(300);

/// What the example servers read from the environment.
///
/// | variable | default | meaning |
/// |---|---|---|
/// | `COGNITO_USER_POOL_ID`, `COGNITO_CLIENT_ID`, `COGNITO_TOKEN_USE`, `COGNITO_JWKS_URI`, `COGNITO_ISSUER` | see [`UserPool::from_env`] | the user pool whose access tokens are accepted |
/// | `COGNITO_RESOURCE`, `COGNITO_UNBOUND_CLIENTS` | none | resource binding (RFC 8707): the resource(s) access tokens may be bound to, and the clients whose tokens carry no `aud` (see [`UserPool::resource`]); unset, an access token bound to any resource is refused |
/// | `PUBLIC_URL` | none | the server's external base URL: serves `GET /.well-known/oauth-protected-resource` (RFC 9728) and names it in every 401 challenge (`resource_metadata`); must be one of `COGNITO_RESOURCE` when that is set. Also turns DPoP (RFC 9449) on, with this URL as the external base proofs name (`htu`: the URL and the request path; see [`Dpop::new`]) and the metadata naming the proof algorithms |
/// | `DPOP_NONCE_SECRET` | none: no nonces | with `PUBLIC_URL`: DPoP proofs must carry a server nonce derived from this secret (at least 32 bytes, the same on every replica; [`Dpop::nonces`], window [`DPOP_NONCE_WINDOW`]); set without `PUBLIC_URL`, start-up fails |
/// | `BIND_ADDR` | `127.0.0.1:8080` | where to listen (`127.0.0.1:0` picks a free port) |
/// | `ADMIN_GROUP` | `admins` | the Cognito group allowed on `/api/admin` (set but empty is refused) |
/// | `REQUIRED_CLAIMS` | none | claim rules every token must meet, separated by `;`: `name=value`, `name=a\|b`, `name~=a\|b`, `name:=<JSON>` (see [`ClaimRule`]); a failed rule is 403 `insufficient_scope` |
/// | `REVOCATION_REDIS_URL` | none: the list is in this process | share revocations (sign-outs) with every server on the same Redis ([`RedisRevocation`]), and with DPoP on, the DPoP proofs seen ([`RedisReplayStore`]; otherwise a [`ReplayStore`] in this process) |
/// | `REVOCATION_FAIL`, `REVOCATION_MAX_STALENESS`, `REVOCATION_SESSION_TTL`, `REVOCATION_MAX_ENTRIES` | `closed`, 60, 2592000, 1000000 | the revocation list ([`RevocationListBuilder::from_env`](cognito_jwt_core::RevocationListBuilder::from_env)); `REVOCATION_FAIL` is also the Redis DPoP replay store's policy ([`ReplayFailure`]) |
/// | `COGNITO_REVOCATION_PROBE`, `COGNITO_IDP_ENDPOINT` | off, AWS | `1`: ask Cognito's `GetUser` about access tokens in the background and revoke the sessions it says have ended ([`RevocationProbe`]); `COGNITO_IDP_ENDPOINT` points it at an emulator |
/// | `COGNITO_ADMIN_SIGNOUT` | `0` | `1`: `POST /api/admin/signout-user` also calls Cognito's `AdminUserGlobalSignOut` ([`CognitoAdmin`]), signed with `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` (and `AWS_SESSION_TOKEN`) in `AWS_REGION` (default: the pool's), at `COGNITO_IDP_ENDPOINT` when set |
/// | `TOKEN_CACHE_MAX_BYTES` | unset or `0`: off | remember verified tokens up to this many bytes, about 5 KiB per Cognito token ([`token_cache_max_bytes`](cognito_jwt_core::CognitoJwtVerifierBuilder::token_cache_max_bytes)) |
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServerConfig {
    /// The verifier for the configured user pool; no key set fetched yet.
    pub verifier: CognitoJwtVerifier,
    /// Where to listen.
    pub bind_addr: SocketAddr,
    /// The group allowed on `/api/admin`.
    pub admin_group: String,
    /// The protected-resource metadata (RFC 9728) when `PUBLIC_URL` is set.
    pub resource_metadata: Option<ProtectedResourceMetadata>,
    /// The revocation list the verifier checks (sign-outs).
    pub revocation: RevocationList,
    /// The task keeping it in step with Redis, when `REVOCATION_REDIS_URL`
    /// is set: keep it (dropping the last clone stops syncing).
    pub revocation_sync: Option<Arc<RedisRevocation>>,
    /// Cognito's admin API, when `COGNITO_ADMIN_SIGNOUT=1`: the admin
    /// route also signs users out there.
    pub cognito_admin: Option<CognitoAdmin>,
}

impl ServerConfig {
    /// Read the configuration from the process environment. Does no I/O
    /// beyond reading variables; with `REVOCATION_REDIS_URL` it starts the
    /// task that syncs with Redis (in the background: the server starts
    /// even when Redis is down), so call it inside the Tokio runtime.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first variable that is missing or wrong;
    /// for the `COGNITO_*` variables it is the core's, with "`<near miss>`
    /// is set: rename it to `<name>`" when a similarly named variable is set.
    pub fn from_env() -> Result<Self, ConfigError> {
        let pool = UserPool::from_env()?;
        let cognito_admin = CognitoAdmin::from_env(pool.pool_id())?;
        let bind_addr = match variable("BIND_ADDR")? {
            None => DEFAULT_BIND_ADDR
                .parse()
                .map_err(|_| invalid("BIND_ADDR", "the built-in default does not parse"))?,
            Some(value) => value.parse().map_err(|_| {
                invalid(
                    "BIND_ADDR",
                    format!(
                        "{value:?} is not an address; expected <ip>:<port>, e.g. \
                         127.0.0.1:8080, 0.0.0.0:8080 or 127.0.0.1:0 for any free port"
                    ),
                )
            })?,
        };
        let admin_group =
            group_variable("ADMIN_GROUP")?.unwrap_or_else(|| DEFAULT_ADMIN_GROUP.to_owned());
        let revocation_sync = RedisRevocation::from_env()?.map(Arc::new);
        let revocation = match &revocation_sync {
            Some(sync) => sync.list().clone(),
            None => RevocationList::builder().from_env()?.build()?,
        };
        let public_url = variable("PUBLIC_URL")?;
        let mut builder = CognitoJwtVerifier::builder()
            .user_pool(pool)
            .revocation(revocation.clone());
        if let Some(dpop) = dpop_from_env(public_url.as_deref())? {
            builder = builder.dpop(dpop);
        }
        if let Some(probe) = RevocationProbe::from_env()? {
            builder = builder.revocation_probe(probe);
        }
        for rule in ClaimRule::from_env()? {
            builder = builder.require_claim(rule);
        }
        if let Some(value) = variable("TOKEN_CACHE_MAX_BYTES")? {
            let max_bytes = value.parse::<u64>().map_err(|_| {
                invalid(
                    "TOKEN_CACHE_MAX_BYTES",
                    format!(
                        "{value:?} is not a number; expected a number of bytes such as \
                         67108864 (64 MiB)"
                    ),
                )
            })?;
            if max_bytes > 0 {
                builder = builder.token_cache_max_bytes(max_bytes);
            }
        }
        let verifier = builder.build().map_err(|error| match error.name() {
            Some("dpop.external_origin") => invalid("PUBLIC_URL", problem_of(error)),
            Some("dpop.nonces") => invalid(DPOP_NONCE_SECRET, problem_of(error)),
            _ => error,
        })?;
        let resource_metadata = match public_url {
            None => None,
            Some(url) => Some(
                verifier
                    .protected_resource_metadata(&url)
                    .map_err(|e| invalid("PUBLIC_URL", problem_of(e)))?
                    .scopes_supported(ROUTE_SCOPES.iter().copied()),
            ),
        };
        Ok(Self {
            verifier,
            bind_addr,
            admin_group,
            resource_metadata,
            revocation,
            revocation_sync,
            cognito_admin,
        })
    }
}

/// DPoP as the servers read it: on when `PUBLIC_URL` (`public_url`) is
/// set, with `DPOP_NONCE_SECRET`'s nonces when that is set too, and the
/// proofs seen in Redis when `REVOCATION_REDIS_URL` is set (under the
/// `REVOCATION_FAIL` policy), else in this process.
///
/// # Errors
/// A [`ConfigError`] naming `DPOP_NONCE_SECRET` and `PUBLIC_URL` when the
/// secret is set alone; naming `REVOCATION_REDIS_URL` when it does not parse.
pub(crate) fn dpop_from_env(public_url: Option<&str>) -> Result<Option<Dpop>, ConfigError> {
    let secret = variable(DPOP_NONCE_SECRET)?;
    let Some(public_url) = public_url else {
        return match secret {
            None => Ok(None),
            Some(_) => Err(invalid(
                DPOP_NONCE_SECRET,
                "it is set but PUBLIC_URL is not: DPoP nonces need DPoP, which PUBLIC_URL (the \
                 URL clients name in their proofs) turns on; set PUBLIC_URL, or unset \
                 DPOP_NONCE_SECRET",
            )),
        };
    };
    let mut dpop = Dpop::new(public_url);
    dpop = match variable("REVOCATION_REDIS_URL")? {
        Some(url) => {
            let failure = match variable("REVOCATION_FAIL")?.as_deref() {
                Some("open") => ReplayFailure::Open,
                _ => ReplayFailure::Closed,
            };
            dpop.replay_store(RedisReplayStore::open(&url)?.failure(failure))
        }
        None => dpop.replay_store(ReplayStore::new(DEFAULT_REPLAY_ENTRIES)),
    };
    if let Some(secret) = secret {
        dpop = dpop.nonces(secret.into_bytes(), DPOP_NONCE_WINDOW);
    }
    Ok(Some(dpop))
}

/// An optional variable, trimmed; empty counts as unset.
pub(crate) fn variable(name: &str) -> Result<Option<String>, ConfigError> {
    match std::env::var(name) {
        Ok(value) if value.trim().is_empty() => Ok(None),
        Ok(value) => Ok(Some(value.trim().to_owned())),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(invalid(name, "it is not valid UTF-8")),
    }
}

/// A group name from the variable `name`: `None` when it is unset; refused
/// when it is set but empty or only whitespace, which names no group (a
/// template that lost its value must not change who is let in).
pub(crate) fn group_variable(name: &str) -> Result<Option<String>, ConfigError> {
    match std::env::var(name) {
        Ok(value) if value.trim().is_empty() => Err(invalid(
            name,
            "it is set but empty; set it to a group name, or unset it",
        )),
        _ => variable(name),
    }
}

/// What `error` says is wrong, without the name of the setting (the
/// caller names the variable).
fn problem_of(error: ConfigError) -> String {
    match error {
        ConfigError::Invalid { problem, .. } => problem,
        other => other.to_string(),
    }
}

pub(crate) fn invalid(name: &str, problem: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        name: name.to_owned(),
        problem: problem.into(),
    }
}
