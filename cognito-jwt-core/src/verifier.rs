//! The verifier and its builder.

use std::any::Any;
use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::de::DeserializeOwned;

use crate::claims::{
    AccessTokenClaims, ClaimsView, IdTokenClaims, Registered, SinglePass, json_problem,
};
use crate::config::{MAX_LEEWAY, ResolvedPool, TokenUse, UserPool};
use crate::error::{ConfigError, Error, ErrorKind};
use crate::jwks::{CacheSettings, JwksFetcher, KeyCache, Lookup, RsaKey};
use crate::jwt::{self, SignatureProblem};
use crate::token_cache::{CachedToken, TokenCache};

/// A type the verifier can deserialize verified claims into.
///
/// Implemented for [`IdTokenClaims`], [`AccessTokenClaims`] and
/// [`serde_json::Value`]. For your own type, add an empty impl:
///
/// ```
/// use cognito_jwt_core::TokenClaims;
///
/// #[derive(Clone, serde::Deserialize)]
/// struct MyClaims {
///     sub: String,
///     #[serde(rename = "custom:tenant")]
///     tenant: String,
/// }
///
/// impl TokenClaims for MyClaims {}
/// ```
pub trait TokenClaims: DeserializeOwned + Clone + Send + Sync + 'static {
    /// The token use this type describes. When set, a token of the other
    /// kind is refused with [`ErrorKind::InvalidTokenUse`] before
    /// deserialization, whatever the pool accepts.
    const TOKEN_USE: Option<TokenUse> = None;
}

impl TokenClaims for IdTokenClaims {
    const TOKEN_USE: Option<TokenUse> = Some(TokenUse::Id);
}
impl TokenClaims for AccessTokenClaims {
    const TOKEN_USE: Option<TokenUse> = Some(TokenUse::Access);
}
impl TokenClaims for serde_json::Value {}

/// Groups and scopes a request must carry, checked after the token is
/// verified. Each list is any-of; when both are set, both must match.
///
/// ```
/// use cognito_jwt_core::Requirements;
///
/// let admins = Requirements::new().any_group("admins");
/// let writers = Requirements::new().any_scope("orders/write").any_scope("orders/admin");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Requirements {
    groups: Vec<String>,
    scopes: Vec<String>,
}

impl Requirements {
    /// No requirements.
    pub const fn new() -> Self {
        Self {
            groups: Vec::new(),
            scopes: Vec::new(),
        }
    }

    /// Accept members of `group` (any of the groups given).
    #[must_use]
    pub fn any_group(mut self, group: impl Into<String>) -> Self {
        self.groups.push(group.into());
        self
    }

    /// Accept tokens carrying `scope` (any of the scopes given).
    #[must_use]
    pub fn any_scope(mut self, scope: impl Into<String>) -> Self {
        self.scopes.push(scope.into());
        self
    }

    /// Whether there is nothing to check.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty() && self.scopes.is_empty()
    }

    /// Check a token's groups and scopes.
    ///
    /// # Errors
    /// [`ErrorKind::MissingGroup`] or [`ErrorKind::MissingScope`].
    pub fn check<'a>(
        &self,
        mut groups: impl Iterator<Item = &'a str>,
        mut scopes: impl Iterator<Item = &'a str>,
    ) -> Result<(), Error> {
        if !self.groups.is_empty() && !groups.any(|g| self.groups.iter().any(|r| r == g)) {
            return Err(Error::new(
                ErrorKind::MissingGroup,
                format!(
                    "the user is in none of the required groups ({}); add the user to one in Cognito",
                    self.groups.join(", ")
                ),
            ));
        }
        if !self.scopes.is_empty() && !scopes.any(|s| self.scopes.iter().any(|r| r == s)) {
            return Err(Error::new(
                ErrorKind::MissingScope,
                format!(
                    "the token carries none of the required scopes ({}); request one when signing in",
                    self.scopes.join(", ")
                ),
            ));
        }
        Ok(())
    }

    fn check_view(&self, view: &ClaimsView<'_>) -> Result<(), Error> {
        self.check(view.groups(), view.scopes())
    }
}

/// The custom check: sees the verified claims, returns a reason to refuse.
type CustomCheck = dyn Fn(&ClaimsView<'_>) -> Result<(), String> + Send + Sync;

struct Pool {
    resolved: ResolvedPool,
    source: usize,
}

struct Inner {
    pools: Vec<Pool>,
    /// `(issuer, pool index)`, searched by exact byte match.
    issuers: Vec<(String, usize)>,
    keys: KeyCache,
    leeway: u64,
    requirements: Requirements,
    custom_check: Option<Arc<CustomCheck>>,
    token_cache: Option<TokenCache>,
}

/// Verifies Cognito ID and access tokens against the pools' key sets.
///
/// Cheap to clone (an `Arc`); build one per process and share it. Every
/// clone shares one key-set cache.
///
/// ```no_run
/// use cognito_jwt_core::{AccessTokenClaims, CognitoJwtVerifier, TokenUse, UserPool};
///
/// # async fn run(token: &str) -> Result<(), Box<dyn std::error::Error>> {
/// let verifier = CognitoJwtVerifier::builder()
///     .user_pool(
///         UserPool::new("eu-west-1_AbC123xyz")
///             .client_id("1example23456789")
///             .token_use(TokenUse::Access),
///     )
///     .build()?;
///
/// let claims: AccessTokenClaims = verifier.verify(token).await?;
/// println!("hello {}", claims.sub());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct CognitoJwtVerifier {
    inner: Arc<Inner>,
}

impl fmt::Debug for CognitoJwtVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CognitoJwtVerifier")
            .field(
                "issuers",
                &self
                    .inner
                    .issuers
                    .iter()
                    .map(|(i, _)| i)
                    .collect::<Vec<_>>(),
            )
            .field("keys", &self.inner.keys)
            .field("leeway_secs", &self.inner.leeway)
            .field("token_cache", &self.inner.token_cache.is_some())
            .finish_non_exhaustive()
    }
}

/// Builds a [`CognitoJwtVerifier`]. `build()` does no network I/O.
#[must_use]
pub struct CognitoJwtVerifierBuilder {
    pools: Vec<UserPool>,
    leeway: Duration,
    requirements: Requirements,
    custom_check: Option<Arc<CustomCheck>>,
    settings: CacheSettings,
    connect_timeout: Duration,
    fetcher: Option<Arc<dyn JwksFetcher>>,
    token_cache: Option<u64>,
}

impl fmt::Debug for CognitoJwtVerifierBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CognitoJwtVerifierBuilder")
            .field("pools", &self.pools)
            .field("leeway", &self.leeway)
            .field("requirements", &self.requirements)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Default for CognitoJwtVerifierBuilder {
    fn default() -> Self {
        Self {
            pools: Vec::new(),
            leeway: Duration::ZERO,
            requirements: Requirements::new(),
            custom_check: None,
            settings: CacheSettings {
                cooldown: Duration::from_secs(10),
                refresh_interval: Duration::from_secs(15 * 60),
                max_staleness: Duration::from_secs(24 * 60 * 60),
                fetch_timeout: Duration::from_secs(5),
                min_backoff: Duration::from_secs(1),
                max_backoff: Duration::from_secs(60),
            },
            connect_timeout: Duration::from_secs(2),
            fetcher: None,
            token_cache: None,
        }
    }
}

impl CognitoJwtVerifierBuilder {
    /// Trust this user pool. Call once per pool.
    pub fn user_pool(mut self, pool: UserPool) -> Self {
        self.pools.push(pool);
        self
    }

    /// Clock-skew allowance for `exp`, `nbf` and `iat`. Defaults to zero;
    /// at most 5 minutes.
    ///
    /// A token is accepted while `now < exp + leeway` (at `now == exp +
    /// leeway` it has expired), and refused when `nbf` or `iat` is later than
    /// `now + leeway`.
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// Require a group (`cognito:groups`) on every token; several calls
    /// mean any of them. Defaults to none.
    pub fn require_any_group(mut self, group: impl Into<String>) -> Self {
        self.requirements = self.requirements.any_group(group);
        self
    }

    /// Require a scope on every token; several calls mean any of them.
    /// Defaults to none.
    pub fn require_any_scope(mut self, scope: impl Into<String>) -> Self {
        self.requirements = self.requirements.any_scope(scope);
        self
    }

    /// Run `check` on every verified token, after all built-in checks; an
    /// `Err` refuses the token with [`ErrorKind::CustomCheckFailed`] and the
    /// given reason (do not put claim values in it: it reaches logs).
    ///
    /// ```
    /// # use cognito_jwt_core::{CognitoJwtVerifier, TokenUse, UserPool};
    /// use std::collections::HashSet;
    /// use std::sync::{Arc, RwLock};
    ///
    /// let revoked: Arc<RwLock<HashSet<String>>> = Arc::default();
    /// let deny_list = Arc::clone(&revoked);
    /// let verifier = CognitoJwtVerifier::builder()
    ///     .user_pool(UserPool::new("eu-west-1_AbC123").client_id("c").token_use(TokenUse::Any))
    ///     .custom_check(move |claims| match claims.origin_jti() {
    ///         Some(session) if deny_list.read().unwrap().contains(session) => {
    ///             Err("the session was signed out".into())
    ///         }
    ///         _ => Ok(()),
    ///     })
    ///     .build()?;
    /// # Ok::<(), cognito_jwt_core::ConfigError>(())
    /// ```
    pub fn custom_check<F>(mut self, check: F) -> Self
    where
        F: Fn(&ClaimsView<'_>) -> Result<(), String> + Send + Sync + 'static,
    {
        self.custom_check = Some(Arc::new(check));
        self
    }

    /// After fetching a key set, how long to wait before fetching it again
    /// because a token named an unknown `kid`. Defaults to 10 seconds. A
    /// flood of random `kid`s causes at most one fetch per window.
    pub fn jwks_cooldown(mut self, cooldown: Duration) -> Self {
        self.settings.cooldown = cooldown;
        self
    }

    /// How old a cached key set may get before the next verification
    /// refreshes it, so that keys removed upstream stop verifying. Defaults
    /// to 15 minutes.
    pub fn jwks_refresh_interval(mut self, interval: Duration) -> Self {
        self.settings.refresh_interval = interval;
        self
    }

    /// How long a key set stays usable after its last successful fetch while
    /// refreshes fail. Defaults to 24 hours; after that, verification
    /// reports [`ErrorKind::JwksUnavailable`] until a fetch succeeds.
    pub fn jwks_max_staleness(mut self, max: Duration) -> Self {
        self.settings.max_staleness = max;
        self
    }

    /// Total time allowed for one key-set fetch, body included. Defaults to
    /// 5 seconds. Waiting verifications are released when it fires.
    pub fn jwks_fetch_timeout(mut self, timeout: Duration) -> Self {
        self.settings.fetch_timeout = timeout;
        self
    }

    /// Connect time-out of the default fetcher. Defaults to 2 seconds.
    pub fn jwks_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Back-off after failed fetches: `min` after the first failure,
    /// doubling up to `max`. Defaults to 1 second and 60 seconds.
    pub fn jwks_backoff(mut self, min: Duration, max: Duration) -> Self {
        self.settings.min_backoff = min;
        self.settings.max_backoff = max;
        self
    }

    /// Fetch key sets with this fetcher instead of the default reqwest one.
    pub fn fetcher(mut self, fetcher: impl JwksFetcher) -> Self {
        self.fetcher = Some(Arc::new(fetcher));
        self
    }

    /// Remember up to `capacity` verified tokens, so that a repeated token
    /// skips the signature check. Off by default.
    ///
    /// A hit is served only while the token has not expired (re-checked with
    /// the leeway on every hit) and its key is still in the current key set;
    /// group, scope and custom checks run on every request. Lookup is by the
    /// exact token. Each entry holds the token, its decoded payload and the
    /// typed claims: about 3 × the token's length, so roughly 4–8 KiB for a
    /// Cognito token.
    pub fn token_cache(mut self, capacity: u64) -> Self {
        self.token_cache = Some(capacity);
        self
    }

    /// Check the configuration and build the verifier. Does no I/O.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first setting that is missing or wrong.
    pub fn build(self) -> Result<CognitoJwtVerifier, ConfigError> {
        if self.pools.is_empty() {
            return Err(ConfigError::Missing {
                name: "user_pool".to_owned(),
                expected: "at least one UserPool (CognitoJwtVerifierBuilder::user_pool)".to_owned(),
                hint: String::new(),
            });
        }
        if self.leeway > MAX_LEEWAY {
            return Err(ConfigError::invalid(
                "leeway",
                format!(
                    "{} s is more than the 300 s allowed; clock skew with Cognito is normally \
                     under a second",
                    self.leeway.as_secs()
                ),
            ));
        }
        let s = &self.settings;
        for (name, value) in [
            ("jwks_fetch_timeout", s.fetch_timeout),
            ("jwks_refresh_interval", s.refresh_interval),
            ("jwks_max_staleness", s.max_staleness),
            ("jwks_connect_timeout", self.connect_timeout),
        ] {
            if value.is_zero() {
                return Err(ConfigError::invalid(name, "it must be greater than zero"));
            }
        }
        if s.max_staleness < s.refresh_interval {
            return Err(ConfigError::invalid(
                "jwks_max_staleness",
                "it must be at least jwks_refresh_interval, or keys would vanish before a refresh",
            ));
        }
        if s.min_backoff > s.max_backoff {
            return Err(ConfigError::invalid(
                "jwks_backoff",
                "min must not exceed max",
            ));
        }
        if self.token_cache == Some(0) {
            return Err(ConfigError::invalid(
                "token_cache",
                "the capacity must be at least 1; leave it unset to disable the cache",
            ));
        }

        let mut urls: Vec<String> = Vec::new();
        let mut pools = Vec::new();
        let mut issuers: Vec<(String, usize)> = Vec::new();
        for (index, pool) in self.pools.iter().enumerate() {
            let resolved = pool.resolve(index)?;
            for issuer in &resolved.issuers {
                if issuers.iter().any(|(i, _)| i == issuer) {
                    return Err(ConfigError::invalid(
                        format!("user_pool[{index}]"),
                        format!("the issuer {issuer} is configured twice; merge the two pools"),
                    ));
                }
                issuers.push((issuer.clone(), index));
            }
            let source = match urls.iter().position(|u| *u == resolved.jwks_uri) {
                Some(i) => i,
                None => {
                    urls.push(resolved.jwks_uri.clone());
                    urls.len() - 1
                }
            };
            pools.push(Pool { resolved, source });
        }

        let fetcher = match self.fetcher {
            Some(f) => f,
            None => default_fetcher(self.connect_timeout, self.settings.fetch_timeout)?,
        };
        Ok(CognitoJwtVerifier {
            inner: Arc::new(Inner {
                pools,
                issuers,
                keys: KeyCache::new(urls, fetcher, self.settings),
                leeway: self.leeway.as_secs(),
                requirements: self.requirements,
                custom_check: self.custom_check,
                token_cache: self.token_cache.map(TokenCache::new),
            }),
        })
    }
}

#[cfg(feature = "reqwest")]
fn default_fetcher(
    connect: Duration,
    total: Duration,
) -> Result<Arc<dyn JwksFetcher>, ConfigError> {
    crate::jwks::ReqwestFetcher::new(connect, total)
        .map(|f| Arc::new(f) as Arc<dyn JwksFetcher>)
        .map_err(|e| ConfigError::HttpClient(e.to_string()))
}

#[cfg(not(feature = "reqwest"))]
fn default_fetcher(_: Duration, _: Duration) -> Result<Arc<dyn JwksFetcher>, ConfigError> {
    Err(ConfigError::Missing {
        name: "fetcher".to_owned(),
        expected: "a JwksFetcher (the `reqwest` feature, which provides the default, is off)"
            .to_owned(),
        hint: String::new(),
    })
}

/// A payload parsed for verification: into a built-in claims type, which
/// keeps the JSON and serves the checks from its fields (one pass), or kept
/// as text for any other type (a borrowing pass for the checks, the type's
/// own parse after them).
enum Parsed<T> {
    Typed(T),
    Text(String),
}

impl<T: TokenClaims> Parsed<T> {
    fn new(payload: String) -> Self {
        fn fill<C: SinglePass>(slot: &mut Option<C>, payload: String) -> Option<String> {
            match C::parse(payload) {
                Ok(claims) => {
                    *slot = Some(claims);
                    None
                }
                Err(payload) => Some(payload),
            }
        }
        let mut slot: Option<T> = None;
        let any = &mut slot as &mut dyn Any;
        let rest = if let Some(slot) = any.downcast_mut::<Option<AccessTokenClaims>>() {
            fill(slot, payload)
        } else if let Some(slot) = any.downcast_mut::<Option<IdTokenClaims>>() {
            fill(slot, payload)
        } else {
            Some(payload)
        };
        match (slot, rest) {
            (Some(claims), _) => Parsed::Typed(claims),
            (None, rest) => Parsed::Text(rest.unwrap_or_default()),
        }
    }

    /// The registered claims the verifier checks, and the payload JSON.
    fn view(&self) -> Result<(Registered<'_>, &str), Error> {
        let json = match self {
            Parsed::Text(json) => json.as_str(),
            Parsed::Typed(claims) => {
                let single = single_pass(claims);
                if let Some(registered) = single.and_then(SinglePass::registered) {
                    return Ok((registered, single.map_or("", SinglePass::json)));
                }
                single.map_or("", SinglePass::json)
            }
        };
        Ok((Registered::parse(json.as_bytes())?, json))
    }

    /// The claims as `T`, parsed now for types other than the built-in ones.
    fn into_claims(self) -> Result<T, Error> {
        match self {
            Parsed::Typed(claims) => Ok(claims),
            Parsed::Text(json) => serde_json::from_str(&json).map_err(|e| {
                Error::new(
                    ErrorKind::Malformed,
                    format!(
                        "the claims do not fit the requested type: {}",
                        json_problem(&e)
                    ),
                )
            }),
        }
    }
}

fn single_pass<T: Any>(claims: &T) -> Option<&dyn SinglePass> {
    let any = claims as &dyn Any;
    if let Some(claims) = any.downcast_ref::<AccessTokenClaims>() {
        return Some(claims);
    }
    any.downcast_ref::<IdTokenClaims>()
        .map(|c| c as &dyn SinglePass)
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A token whose structure, header and issuer have been checked, ready for
/// the key lookup.
struct Prepared<'t, 'b> {
    parts: jwt::Parts<'t>,
    header: Header,
    signature: Result<&'b [u8], SignatureProblem>,
}

/// A token's header: one of a cached key's usual header segments (so valid,
/// naming that key), or decoded JSON still to be checked.
enum Header {
    Known { source: usize, key: Arc<RsaKey> },
    Decoded(Vec<u8>),
}

impl Header {
    /// Check the header and return its `kid`.
    fn kid(&self) -> Result<Cow<'_, str>, Error> {
        match self {
            Header::Known { key, .. } => Ok(Cow::Borrowed(&key.kid)),
            Header::Decoded(json) => jwt::check_header(json),
        }
    }
}

/// What the token cache keeps of a verified token (owned, so the borrow of
/// the payload ends), and until when (`exp + leeway`) a hit may be served.
struct Remembered {
    registered: Registered<'static>,
    payload: Box<[u8]>,
    token_use: TokenUse,
    source: usize,
    valid_until: u64,
}

/// Stack space for a token's decoded signature.
struct Buffers {
    signature: [u8; jwt::MAX_SIGNATURE_LEN],
}

impl Buffers {
    fn new() -> Self {
        Self {
            signature: [0; jwt::MAX_SIGNATURE_LEN],
        }
    }
}

impl CognitoJwtVerifier {
    /// A builder with every setting at its documented default.
    pub fn builder() -> CognitoJwtVerifierBuilder {
        CognitoJwtVerifierBuilder::default()
    }

    /// Build a verifier for one pool from `COGNITO_USER_POOL_ID`,
    /// `COGNITO_CLIENT_ID` (comma-separated), `COGNITO_TOKEN_USE` (`id`,
    /// `access` (default) or `any`), and optionally `COGNITO_JWKS_URI` and
    /// `COGNITO_ISSUER`.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the variable that is missing or wrong, with
    /// "did you mean …" when a similarly named variable is set.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::builder().user_pool(UserPool::from_env()?).build()
    }

    /// Verify a token, fetching the key set if needed, and deserialize its
    /// claims into `T`.
    ///
    /// # Errors
    /// An [`Error`] whose [`kind`](Error::kind) says why the token was refused.
    pub async fn verify<T: TokenClaims>(&self, token: &str) -> Result<T, Error> {
        self.verify_with(token, &Requirements::new()).await
    }

    /// [`verify`](Self::verify), then also check `requirements` (on top of
    /// those set on the builder).
    ///
    /// # Errors
    /// As [`verify`](Self::verify), plus [`ErrorKind::MissingGroup`] and
    /// [`ErrorKind::MissingScope`].
    pub async fn verify_with<T: TokenClaims>(
        &self,
        token: &str,
        requirements: &Requirements,
    ) -> Result<T, Error> {
        if let Some(hit) = self.cached(token, requirements) {
            return hit;
        }
        // Read before any key is looked up (see `KeyCache::generation`).
        let generation = self.inner.keys.generation();
        let mut buffers = Buffers::new();
        let (prepared, parsed) = self.prepare::<T>(token, &mut buffers)?;
        let kid = prepared.header.kid()?;
        let (registered, json) = parsed.view()?;
        let pool = self.pool_for(&registered)?;
        let source = self.inner.pools[pool].source;
        let key = match &prepared.header {
            // The header named this key of this very source's set, which is
            // not due for a refresh: `key` would find the same key.
            Header::Known { source: s, key }
                if *s == source && self.inner.keys.is_fresh(source) =>
            {
                Arc::clone(key)
            }
            _ => self.inner.keys.key(source, &kid).await?,
        };
        let remembered = self.check::<T>(&prepared, registered, json, pool, &key, requirements)?;
        self.finish(token, remembered, parsed, generation)
    }

    /// Verify a token using only cached keys; never waits on the network.
    ///
    /// # Errors
    /// As [`verify`](Self::verify); [`ErrorKind::JwksNotCached`] when the
    /// issuer's key set has not been fetched yet (call
    /// [`hydrate`](Self::hydrate) at start-up).
    pub fn verify_sync<T: TokenClaims>(&self, token: &str) -> Result<T, Error> {
        self.verify_sync_with(token, &Requirements::new())
    }

    /// [`verify_sync`](Self::verify_sync) with extra requirements.
    ///
    /// # Errors
    /// As [`verify_sync`](Self::verify_sync) and [`verify_with`](Self::verify_with).
    pub fn verify_sync_with<T: TokenClaims>(
        &self,
        token: &str,
        requirements: &Requirements,
    ) -> Result<T, Error> {
        if let Some(hit) = self.cached(token, requirements) {
            return hit;
        }
        // Read before any key is looked up (see `KeyCache::generation`).
        let generation = self.inner.keys.generation();
        let mut buffers = Buffers::new();
        let (prepared, parsed) = self.prepare::<T>(token, &mut buffers)?;
        let kid = prepared.header.kid()?;
        let (registered, json) = parsed.view()?;
        let pool = self.pool_for(&registered)?;
        let source = self.inner.pools[pool].source;
        let lookup = match &prepared.header {
            // The header named this key of this very source's set.
            Header::Known { source: s, key } if *s == source => Lookup::Found(Arc::clone(key)),
            _ => self.inner.keys.lookup(source, &kid),
        };
        let key = match lookup {
            Lookup::Found(key) => key,
            Lookup::UnknownKid => {
                return Err(Error::new(
                    ErrorKind::UnknownKid,
                    "the token's kid is not in the cached key set; the token was signed by \
                     another pool or by a key newer than the cache (use verify() to refetch)",
                ));
            }
            Lookup::NotCached => {
                return Err(Error::new(
                    ErrorKind::JwksNotCached,
                    format!(
                        "the key set at {} is not cached yet; call hydrate() at start-up or \
                         use verify()",
                        self.inner.keys.url(source)
                    ),
                ));
            }
        };
        let remembered = self.check::<T>(&prepared, registered, json, pool, &key, requirements)?;
        self.finish(token, remembered, parsed, generation)
    }

    /// Fetch every configured key set now, e.g. at start-up to fail fast or
    /// to log a problem early. Verification works without it.
    ///
    /// # Errors
    /// [`ErrorKind::JwksUnavailable`] for the first key set that could not
    /// be fetched.
    pub async fn hydrate(&self) -> Result<(), Error> {
        self.inner.keys.hydrate().await
    }

    /// Load a key-set document you already have (offline use, tests) for the
    /// pool with this id. Returns the number of usable keys.
    ///
    /// # Errors
    /// [`ErrorKind::JwksUnavailable`] when the document has no usable key;
    /// [`ErrorKind::InvalidIssuer`] when no configured pool has this id.
    pub fn cache_jwks(&self, user_pool_id: &str, jwks_json: &str) -> Result<usize, Error> {
        let index = self
            .inner
            .pools
            .iter()
            .position(|p| p.resolved.pool_id == user_pool_id)
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidIssuer,
                    "no configured pool has this id; pass the id given to UserPool::new",
                )
            })?;
        self.inner
            .keys
            .insert_document(self.inner.pools[index].source, jwks_json.as_bytes())
    }

    /// The key-set URLs this verifier fetches.
    pub fn jwks_uris(&self) -> impl Iterator<Item = &str> {
        (0..self.inner.keys.source_count()).map(|i| self.inner.keys.url(i))
    }

    /// Split and decode the token and parse its payload.
    fn prepare<'t, 'b, T: TokenClaims>(
        &self,
        token: &'t str,
        buffers: &'b mut Buffers,
    ) -> Result<(Prepared<'t, 'b>, Parsed<T>), Error> {
        let parts = jwt::split(token)?;
        let header = match self.inner.keys.known_header(parts.header) {
            Some((source, key)) => Header::Known { source, key },
            None => Header::Decoded(jwt::decode_header(parts.header)?),
        };
        let payload = jwt::decode_payload(parts.payload)?;
        let signature = jwt::decode_signature(parts.signature, &mut buffers.signature)?;
        Ok((
            Prepared {
                parts,
                header,
                signature,
            },
            Parsed::new(payload),
        ))
    }

    fn pool_for(&self, registered: &Registered<'_>) -> Result<usize, Error> {
        let iss = registered
            .iss
            .as_deref()
            .ok_or_else(|| Error::new(ErrorKind::InvalidIssuer, "the token has no iss claim"))?;
        self.inner
            .issuers
            .iter()
            .find(|(issuer, _)| issuer.as_bytes() == iss.as_bytes())
            .map(|(_, pool)| *pool)
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidIssuer,
                    format!(
                        "the token's iss is not a configured issuer (expected {}); check the \
                         user pool id, or set the issuer override for emulators",
                        self.inner
                            .issuers
                            .iter()
                            .map(|(i, _)| i.as_str())
                            .collect::<Vec<_>>()
                            .join(" or ")
                    ),
                )
            })
    }

    /// Signature, claims, requirements and the custom check. Returns what
    /// the token cache keeps of the registered claims when it is on.
    fn check<T: TokenClaims>(
        &self,
        prepared: &Prepared<'_, '_>,
        registered: Registered<'_>,
        json: &str,
        pool: usize,
        key: &RsaKey,
        requirements: &Requirements,
    ) -> Result<Option<Remembered>, Error> {
        let signature = prepared.signature.map_err(SignatureProblem::error)?;
        if !key.verify(prepared.parts.signing_input, signature) {
            return Err(Error::new(
                ErrorKind::InvalidSignature,
                "the signature does not verify with the issuer's key; the token was altered \
                 or forged",
            ));
        }
        let token_use = self.check_claims(&registered, pool, T::TOKEN_USE)?;
        let view = ClaimsView::new(&registered, json.as_bytes(), token_use);
        self.check_requirements(&view, requirements)?;
        Ok(self.inner.token_cache.as_ref().map(|_| Remembered {
            valid_until: registered
                .exp
                .map_or(0, |d| d.0)
                .saturating_add(self.inner.leeway),
            registered: registered.into_owned(),
            payload: json.as_bytes().into(),
            token_use,
            source: self.inner.pools[pool].source,
        }))
    }

    /// Produce the claims and remember the verified token when the token
    /// cache is on.
    fn finish<T: TokenClaims>(
        &self,
        token: &str,
        remembered: Option<Remembered>,
        parsed: Parsed<T>,
        generation: u64,
    ) -> Result<T, Error> {
        let claims = parsed.into_claims()?;
        if let (Some(cache), Some(r)) = (&self.inner.token_cache, remembered) {
            cache.insert(
                token,
                CachedToken::new(
                    r.registered,
                    r.payload,
                    r.token_use,
                    r.source,
                    generation,
                    r.valid_until,
                    claims.clone(),
                ),
            );
        }
        Ok(claims)
    }

    /// Serve a repeated token from the verified-token cache.
    fn cached<T: TokenClaims>(
        &self,
        token: &str,
        requirements: &Requirements,
    ) -> Option<Result<T, Error>> {
        let cache = self.inner.token_cache.as_ref()?;
        let entry = cache.get(token)?;
        if now_secs() >= entry.valid_until {
            cache.remove(token);
            return None;
        }
        // A removed key, or a key set due for refresh, sends the token
        // through the full path (which refreshes the set), so that repeated
        // tokens alone cannot keep a removed key alive.
        if T::TOKEN_USE.is_some_and(|wanted| wanted != entry.token_use)
            || !self
                .inner
                .keys
                .still_current(entry.source, entry.generation)
        {
            return None;
        }
        let view = ClaimsView::new(&entry.registered, &entry.payload, entry.token_use);
        Some(
            self.check_requirements(&view, requirements)
                .and_then(|()| entry.claims::<T>()),
        )
    }

    fn check_claims(
        &self,
        registered: &Registered<'_>,
        pool: usize,
        wanted: Option<TokenUse>,
    ) -> Result<TokenUse, Error> {
        let pool = &self.inner.pools[pool].resolved;
        let now = now_secs();
        let leeway = self.inner.leeway;
        let exp = registered.exp.ok_or_else(|| {
            Error::new(
                ErrorKind::Malformed,
                "the token has no exp claim; Cognito tokens always expire",
            )
        })?;
        if now >= exp.0.saturating_add(leeway) {
            return Err(Error::new(
                ErrorKind::Expired,
                "the token has expired; the client must refresh it",
            ));
        }
        if registered
            .nbf
            .is_some_and(|nbf| nbf.0 > now.saturating_add(leeway))
        {
            return Err(Error::new(
                ErrorKind::NotYetValid,
                "the token's nbf is in the future; check the server clock",
            ));
        }
        if registered
            .iat
            .is_some_and(|iat| iat.0 > now.saturating_add(leeway))
        {
            return Err(Error::new(
                ErrorKind::NotYetValid,
                "the token's iat is in the future; check the server clock",
            ));
        }
        let token_use = match registered.token_use.as_deref() {
            Some("id") => TokenUse::Id,
            Some("access") => TokenUse::Access,
            Some(_) => {
                return Err(Error::new(
                    ErrorKind::InvalidTokenUse,
                    "the token's token_use is neither id nor access (refresh tokens are never \
                     accepted)",
                ));
            }
            None => {
                return Err(Error::new(
                    ErrorKind::InvalidTokenUse,
                    "the token has no token_use claim; only Cognito ID and access tokens are \
                     accepted",
                ));
            }
        };
        if !pool.token_use.accepts(token_use) || wanted.is_some_and(|w| w != token_use) {
            let expected = wanted.unwrap_or(pool.token_use);
            return Err(Error::new(
                ErrorKind::InvalidTokenUse,
                format!(
                    "a {} token was sent where {} is expected; send the {} token",
                    token_use,
                    expected_use(expected),
                    match expected {
                        TokenUse::Id => "ID",
                        _ => "access",
                    }
                ),
            ));
        }
        let (client, claim) = match token_use {
            TokenUse::Id => (registered.aud.as_deref(), "aud"),
            _ => (registered.client_id.as_deref(), "client_id"),
        };
        match client {
            None => Err(Error::new(
                ErrorKind::InvalidAudience,
                format!("the {token_use} token has no {claim} claim"),
            )),
            Some(client)
                if pool
                    .client_ids
                    .iter()
                    .any(|c| c.as_bytes() == client.as_bytes()) =>
            {
                Ok(token_use)
            }
            Some(_) => Err(Error::new(
                ErrorKind::InvalidAudience,
                format!(
                    "the token's {claim} is not an accepted app client (expected {}); check \
                     COGNITO_CLIENT_ID",
                    pool.client_ids.join(" or ")
                ),
            )),
        }
    }

    fn check_requirements(
        &self,
        view: &ClaimsView<'_>,
        requirements: &Requirements,
    ) -> Result<(), Error> {
        self.inner.requirements.check_view(view)?;
        requirements.check_view(view)?;
        if let Some(check) = &self.inner.custom_check {
            check(view).map_err(|reason| Error::new(ErrorKind::CustomCheckFailed, reason))?;
        }
        Ok(())
    }
}

fn expected_use(expected: TokenUse) -> &'static str {
    match expected {
        TokenUse::Id => "an id token",
        TokenUse::Access => "an access token",
        TokenUse::Any => "an id or access token",
    }
}

impl UserPool {
    /// Read one pool from the environment; see
    /// [`CognitoJwtVerifier::from_env`].
    ///
    /// # Errors
    /// A [`ConfigError`] naming the variable.
    pub fn from_env() -> Result<Self, ConfigError> {
        let names: Vec<String> = std::env::vars_os()
            .filter_map(|(k, _)| k.into_string().ok())
            .collect();
        crate::config::pool_from_vars(&|name| std::env::var(name).ok(), &names)
    }
}
