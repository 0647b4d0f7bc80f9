//! The builder of a [`CognitoJwtVerifier`]: every setting, its default,
//! and the checks `build()` makes before any request is served.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::claims::ClaimsView;
use crate::config::{MAX_LEEWAY, UserPool};
use crate::error::ConfigError;
use crate::jwks::{CacheSettings, JwksFetcher, KeyCache};
use crate::requirements::Requirements;
use crate::token_cache::TokenCache;
use crate::verifier::{CognitoJwtVerifier, CustomCheck, Inner, Pool};

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
    /// `Err` refuses the token with [`ErrorKind::CustomCheckFailed`](crate::ErrorKind::CustomCheckFailed) and the
    /// given reason (do not put claim values in it: it reaches logs).
    ///
    /// ```
    /// # use cognito_jwt_core::{AcceptedTokenUse, CognitoJwtVerifier, UserPool};
    /// use std::collections::HashSet;
    /// use std::sync::{Arc, RwLock};
    ///
    /// let revoked: Arc<RwLock<HashSet<String>>> = Arc::default();
    /// let deny_list = Arc::clone(&revoked);
    /// let verifier = CognitoJwtVerifier::builder()
    ///     .user_pool(UserPool::new("eu-west-1_AbC123").client_id("c").token_use(AcceptedTokenUse::Any))
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
    /// reports [`ErrorKind::JwksUnavailable`](crate::ErrorKind::JwksUnavailable) until a fetch succeeds.
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

    /// Remember verified tokens, up to `max_bytes` of them, so that a
    /// repeated token skips the signature check. Off by default; at least
    /// [`MIN_TOKEN_CACHE_BYTES`](Self::MIN_TOKEN_CACHE_BYTES).
    ///
    /// A hit is served only while the token has not expired (re-checked with
    /// the leeway on every hit), its key is still in the current key set and
    /// that set is not due for a refresh; group, scope and custom checks run
    /// on every request. Lookup is by the exact token.
    ///
    /// An entry counts as the bytes it holds: the token, its payload JSON,
    /// the parsed claims (each string with its allocation), the typed
    /// claims (estimated as the JSON and the parsed claims once more) and
    /// about 700 bytes of structure. That is 4–5 KiB for a 1.2 KB Cognito
    /// access token, and about 45 KiB for a 6 KiB token listing 300 groups.
    /// When the cache is full, expired entries and those not used since the
    /// last eviction pass go first. An evicted entry is freed once no
    /// concurrent hit can still be reading it; until then (for up to 32
    /// evictions per thread) it is held beyond the bound.
    ///
    /// ```
    /// # use cognito_jwt_core::{CognitoJwtVerifier, TokenUse, UserPool};
    /// let verifier = CognitoJwtVerifier::builder()
    ///     .user_pool(UserPool::new("eu-west-1_AbC123").client_id("c").token_use(TokenUse::Access))
    ///     // About 14,000 Cognito access tokens.
    ///     .token_cache_max_bytes(64 * 1024 * 1024)
    ///     .build()?;
    /// # Ok::<(), cognito_jwt_core::ConfigError>(())
    /// ```
    pub fn token_cache_max_bytes(mut self, max_bytes: u64) -> Self {
        self.token_cache = Some(max_bytes);
        self
    }

    /// The smallest [`token_cache_max_bytes`](Self::token_cache_max_bytes):
    /// 64 KiB, a dozen Cognito tokens. A smaller figure is more likely a
    /// number of tokens than a number of bytes.
    pub const MIN_TOKEN_CACHE_BYTES: u64 = 64 * 1024;

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
        if let Some(max_bytes) = self.token_cache
            && max_bytes < Self::MIN_TOKEN_CACHE_BYTES
        {
            return Err(ConfigError::invalid(
                "token_cache_max_bytes",
                format!(
                    "{max_bytes} bytes is less than the 65536 allowed; the setting is in bytes \
                     (a Cognito token counts about 5 KiB), and leaving it unset disables the cache"
                ),
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
