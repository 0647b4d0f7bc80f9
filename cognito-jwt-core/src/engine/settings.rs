//! The settings every verifier has, whatever its kind (leeway,
//! requirements, the custom check, key-set timings, the fetcher, the token
//! cache, the metrics name), their checks, the setters the builders share,
//! and the making of an engine from them.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::pipeline::{CustomCheck, Inner, Pool};
use super::token_cache::TokenCache;
use crate::error::ConfigError;
use crate::jwks::{CacheSettings, JwksFetcher, KeyCache, SourceSpec, default_fetcher};
use crate::jwt::HeaderRules;
use crate::metrics::Metrics;
use crate::requirements::Requirements;

/// The largest leeway a verifier accepts.
pub(crate) const MAX_LEEWAY: Duration = Duration::from_secs(300);

/// The smallest token cache, in bytes: 64 KiB, a dozen Cognito tokens
/// (published as `CognitoJwtVerifierBuilder::MIN_TOKEN_CACHE_BYTES`).
pub(crate) const MIN_TOKEN_CACHE_BYTES: u64 = 64 * 1024;

/// The settings every verifier has, whatever its issuers: leeway,
/// requirements, the custom check, key-set timings, the fetcher, the
/// token cache and the name of its metrics.
#[derive(Clone)]
pub(crate) struct Common {
    pub(crate) leeway: Duration,
    pub(crate) requirements: Requirements,
    pub(crate) custom_check: Option<Arc<CustomCheck>>,
    pub(crate) settings: CacheSettings,
    pub(crate) connect_timeout: Duration,
    pub(crate) fetcher: Option<Arc<dyn JwksFetcher>>,
    pub(crate) token_cache: Option<u64>,
    /// The `verifier` label of its metrics; the verifier type's default
    /// when unset.
    pub(crate) metrics_name: Option<String>,
}

impl Default for Common {
    fn default() -> Self {
        Self {
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
            metrics_name: None,
        }
    }
}

/// One verifier's issuers, as the engine needs them.
pub(crate) struct Trusted {
    pub(crate) pools: Vec<Pool>,
    pub(crate) issuers: Vec<(String, usize)>,
    pub(crate) sources: Vec<SourceSpec>,
    pub(crate) header: HeaderRules,
    pub(crate) extra_lists: Vec<Box<str>>,
}

impl Trusted {
    /// The index of the source for `spec`, shared with an earlier issuer
    /// that has the same URL (their algorithms and names then add up).
    pub(crate) fn source(&mut self, spec: SourceSpec) -> usize {
        match self.sources.iter_mut().position(|s| s.url == spec.url) {
            Some(i) => {
                let shared = &mut self.sources[i];
                shared.algorithms = shared.algorithms.union(spec.algorithms);
                shared.name.push_str(", ");
                shared.name.push_str(&spec.name);
                i
            }
            None => {
                self.sources.push(spec);
                self.sources.len() - 1
            }
        }
    }

    /// Register `issuer` for pool `pool`, refusing duplicates.
    pub(crate) fn issuer(
        &mut self,
        issuer: &str,
        pool: usize,
        field: String,
        hint: &str,
    ) -> Result<(), ConfigError> {
        if self.issuers.iter().any(|(i, _)| i == issuer) {
            return Err(ConfigError::invalid(
                field,
                format!("the issuer {issuer} is configured twice; {hint}"),
            ));
        }
        self.issuers.push((issuer.to_owned(), pool));
        Ok(())
    }
}

impl Common {
    /// Check the settings shared by every verifier.
    pub(crate) fn check(&self) -> Result<(), ConfigError> {
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
        check_settings(&self.settings, self.connect_timeout)?;
        self.requirements
            .validate_as("require_any_group", "require_any_scope")?;
        if self.metrics_name.as_deref() == Some("") {
            return Err(ConfigError::invalid(
                "metrics_name",
                "the name is empty; give each verifier a short name of your own, or leave it \
                 unset for the default",
            ));
        }
        if let Some(max_bytes) = self.token_cache
            && max_bytes < MIN_TOKEN_CACHE_BYTES
        {
            return Err(ConfigError::invalid(
                "token_cache_max_bytes",
                format!(
                    "{max_bytes} bytes is less than the 65536 allowed; the setting is in bytes \
                     (a Cognito token counts about 5 KiB), and leaving it unset disables the cache"
                ),
            ));
        }
        Ok(())
    }

    /// These settings with the fetcher made, so that every engine built
    /// from clones of them shares one HTTP client.
    pub(crate) fn with_fetcher(mut self) -> Result<Self, ConfigError> {
        if self.fetcher.is_none() {
            self.fetcher = Some(default_fetcher(
                self.connect_timeout,
                self.settings.fetch_timeout,
            )?);
        }
        Ok(self)
    }

    /// The metric handles of a verifier built from these settings, named
    /// `default` unless a name was given.
    pub(crate) fn metrics(&self, default: &str) -> Metrics {
        Metrics::new(self.metrics_name.as_deref().unwrap_or(default))
    }

    /// The engine for these issuers, recording into `metrics`. Does no I/O.
    pub(crate) fn engine(self, trusted: Trusted, metrics: Metrics) -> Result<Inner, ConfigError> {
        let fetcher = match self.fetcher {
            Some(f) => f,
            None => default_fetcher(self.connect_timeout, self.settings.fetch_timeout)?,
        };
        Ok(Inner {
            header: trusted.header,
            extra_lists: trusted.extra_lists,
            pools: trusted.pools,
            issuers: trusted.issuers,
            keys: KeyCache::new(trusted.sources, fetcher, self.settings, metrics.clone()),
            leeway: self.leeway.as_secs(),
            requirements: self.requirements,
            custom_check: self.custom_check,
            token_cache: self
                .token_cache
                .map(|max_bytes| Arc::new(TokenCache::new(max_bytes))),
            id: next_engine_id(),
            metrics,
        })
    }
}

/// The setters every verifier builder with key sets shares: they write
/// `self.common`. `$default_name` is the default `verifier` metrics label.
macro_rules! common_setters {
    ($default_name:literal) => {
        /// Clock-skew allowance for `exp`, `nbf` and `iat`. Defaults to
        /// zero; at most 5 minutes.
        ///
        /// A token is accepted while `now < exp + leeway` (at `now == exp +
        /// leeway` it has expired), and refused when `nbf` or `iat` is
        /// later than `now + leeway`.
        pub fn leeway(mut self, leeway: ::std::time::Duration) -> Self {
            self.common.leeway = leeway;
            self
        }

        /// Require a scope on every token (`scope`, or `scp` where a
        /// generic issuer uses it); several calls mean any of them.
        /// Defaults to none. An empty or blank name fails `build` with a
        /// [`ConfigError`](crate::ConfigError) naming `require_any_scope`.
        pub fn require_any_scope(mut self, scope: impl Into<String>) -> Self {
            self.common.requirements = self.common.requirements.any_scope(scope);
            self
        }

        /// After fetching a key set, how long to wait before fetching it
        /// again because a token named an unknown `kid`. Defaults to 10
        /// seconds; 100 ms to 1 hour. A flood of random `kid`s causes at
        /// most one fetch per window and key-set URL.
        pub fn jwks_cooldown(mut self, cooldown: ::std::time::Duration) -> Self {
            self.common.settings.cooldown = cooldown;
            self
        }

        /// How often key sets are refreshed, so that keys removed upstream
        /// stop verifying within one interval. Defaults to 15 minutes;
        /// 100 ms to 7 days.
        ///
        /// Refreshes run in the background, shortly before a set is due
        /// (by the fetch time-out, at most half the interval): no request
        /// waits for one. They need a Tokio runtime: the one the verifier
        /// was built or first used on.
        pub fn jwks_refresh_interval(mut self, interval: ::std::time::Duration) -> Self {
            self.common.settings.refresh_interval = interval;
            self
        }

        /// How long a key set stays usable after its last successful fetch
        /// while refreshes fail. Defaults to 24 hours; at least the refresh
        /// interval, at most 30 days. After that, verification reports
        /// [`ErrorKind::JwksUnavailable`](crate::ErrorKind::JwksUnavailable)
        /// until a fetch succeeds.
        pub fn jwks_max_staleness(mut self, max: ::std::time::Duration) -> Self {
            self.common.settings.max_staleness = max;
            self
        }

        /// Total time allowed for one fetch (a key set, or a discovery
        /// document), body included. Defaults to 5 seconds; at most 5
        /// minutes. Waiting verifications are released when it fires.
        pub fn jwks_fetch_timeout(mut self, timeout: ::std::time::Duration) -> Self {
            self.common.settings.fetch_timeout = timeout;
            self
        }

        /// Connect time-out of the default fetcher. Defaults to 2 seconds;
        /// at most 5 minutes.
        pub fn jwks_connect_timeout(mut self, timeout: ::std::time::Duration) -> Self {
            self.common.connect_timeout = timeout;
            self
        }

        /// Back-off after failed fetches: `min` after the first failure,
        /// doubling up to `max`. Defaults to 1 second and 60 seconds; each
        /// 10 ms to 1 hour.
        pub fn jwks_backoff(
            mut self,
            min: ::std::time::Duration,
            max: ::std::time::Duration,
        ) -> Self {
            self.common.settings.min_backoff = min;
            self.common.settings.max_backoff = max;
            self
        }

        /// Fetch key sets (and discovery documents) with this fetcher
        /// instead of the default reqwest one.
        pub fn fetcher(mut self, fetcher: impl crate::jwks::JwksFetcher) -> Self {
            self.common.fetcher = Some(::std::sync::Arc::new(fetcher));
            self
        }

        /// Remember verified tokens, up to `max_bytes` of them, so that a
        /// repeated token skips the signature check. Off by default; at
        /// least
        /// [`MIN_TOKEN_CACHE_BYTES`](crate::CognitoJwtVerifierBuilder::MIN_TOKEN_CACHE_BYTES).
        ///
        /// A hit is served only while the token has not expired
        /// (re-checked with the leeway on every hit), its key is still in
        /// the current key set and that set is not due for a refresh;
        /// group, scope and custom checks run on every request. Lookup is
        /// by the exact token.
        ///
        /// An entry counts as the bytes it holds: the token, its payload
        /// JSON, the parsed claims (each string with its allocation), the
        /// typed claims (estimated as the JSON and the parsed claims once
        /// more) and about 700 bytes of structure. That is 4–5 KiB for a
        /// 1.2 KB Cognito access token, and about 45 KiB for a 6 KiB token
        /// listing 300 groups. When the cache is full, expired entries and
        /// those not used since the last eviction pass go first. An evicted
        /// entry is freed once no concurrent hit can still be reading it;
        /// until then (for up to 32 evictions per thread) it is held beyond
        /// the bound. A custom check runs on a hit after the cache has let go
        /// of it, holding only that token's claims, so a slow check keeps no
        /// evicted entry alive.
        pub fn token_cache_max_bytes(mut self, max_bytes: u64) -> Self {
            self.common.token_cache = Some(max_bytes);
            self
        }

        #[doc = concat!(
                    "The `verifier` label of this verifier's metrics (see ",
                    "[`metrics`](crate::metrics)). Defaults to `", $default_name, "`. ",
                    "Give each verifier of a process its own short name, such as `api` or `admin`."
                )]
        #[cfg(feature = "metrics")]
        #[cfg_attr(docsrs, doc(cfg(feature = "metrics")))]
        pub fn metrics_name(mut self, name: impl Into<String>) -> Self {
            self.common.metrics_name = Some(name.into());
            self
        }
    };
}
pub(crate) use common_setters;

/// A fresh [`Inner::id`].
fn next_engine_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// The bounds of every key-set timing. Zero cool-downs and back-offs would
/// void the bound on fetches caused by unknown `kid`s; absurd values would
/// overflow time arithmetic or keep keys forever.
fn check_settings(s: &CacheSettings, connect_timeout: Duration) -> Result<(), ConfigError> {
    const MS: Duration = Duration::from_millis(1);
    const MINUTE: Duration = Duration::from_secs(60);
    const HOUR: Duration = Duration::from_secs(3600);
    const DAY: Duration = Duration::from_secs(24 * 3600);
    for (name, value, min, max) in [
        ("jwks_cooldown", s.cooldown, 100 * MS, HOUR),
        (
            "jwks_refresh_interval",
            s.refresh_interval,
            100 * MS,
            7 * DAY,
        ),
        ("jwks_max_staleness", s.max_staleness, 100 * MS, 30 * DAY),
        ("jwks_fetch_timeout", s.fetch_timeout, MS, 5 * MINUTE),
        ("jwks_connect_timeout", connect_timeout, MS, 5 * MINUTE),
        ("jwks_backoff", s.min_backoff, 10 * MS, HOUR),
        ("jwks_backoff", s.max_backoff, 10 * MS, HOUR),
    ] {
        if value < min || value > max {
            return Err(ConfigError::invalid(
                name,
                format!("{value:?} is outside the accepted range {min:?} to {max:?}",),
            ));
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
    Ok(())
}
