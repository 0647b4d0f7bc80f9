//! The settings every verifier has, whatever its kind (leeway,
//! requirements, the custom check, key-set options, the fetcher, the token
//! cache, the metrics name), their checks, the setters the builders share,
//! and the making of an engine from them.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::pipeline::{CustomCheck, Inner, Pool};
use super::token_cache::TokenCache;
use crate::error::ConfigError;
use crate::jwks::{JwksFetcher, KeyCache, KeySetOptions, SourceSpec, default_fetcher};
use crate::jwt::HeaderRules;
use crate::metrics::Metrics;
use crate::requirements::Requirements;
use crate::revocation::RevocationList;

/// The largest leeway a verifier accepts.
pub(crate) const MAX_LEEWAY: Duration = Duration::from_secs(300);

/// The smallest token cache, in bytes: 64 KiB, a dozen Cognito tokens
/// (published as `CognitoJwtVerifierBuilder::MIN_TOKEN_CACHE_BYTES`).
pub(crate) const MIN_TOKEN_CACHE_BYTES: u64 = 64 * 1024;

/// The settings every verifier has, whatever its issuers: leeway,
/// requirements, the custom check, key-set options, the fetcher, the
/// token cache and the name of its metrics.
#[derive(Clone)]
pub(crate) struct Common {
    pub(crate) leeway: Duration,
    pub(crate) requirements: Requirements,
    pub(crate) custom_check: Option<Arc<CustomCheck>>,
    pub(crate) key_set: KeySetOptions,
    pub(crate) fetcher: Option<Arc<dyn JwksFetcher>>,
    pub(crate) token_cache: Option<u64>,
    /// The `verifier` label of its metrics; the verifier type's default
    /// when unset.
    pub(crate) metrics_name: Option<String>,
    pub(crate) revocation: Option<RevocationList>,
    pub(crate) dpop: Option<crate::Dpop>,
    /// Probe Cognito's `GetUser` (endpoint override, interval).
    #[cfg(feature = "reqwest")]
    pub(crate) probe: Option<crate::revocation::RevocationProbe>,
}

impl Default for Common {
    fn default() -> Self {
        Self {
            leeway: Duration::ZERO,
            requirements: Requirements::new(),
            custom_check: None,
            key_set: KeySetOptions::default(),
            fetcher: None,
            token_cache: None,
            metrics_name: None,
            revocation: None,
            dpop: None,
            #[cfg(feature = "reqwest")]
            probe: None,
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
        self.key_set.check()?;
        self.requirements.validate_as("require_")?;
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
                self.key_set.connect_timeout,
                self.key_set.fetch_timeout,
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
        #[cfg(feature = "reqwest")]
        let probe = match (&self.probe, &self.revocation) {
            (None, _) => None,
            (Some(_), None) => {
                return Err(ConfigError::invalid(
                    "revocation_probe",
                    "the probe revokes on a revocation list: give the builder .revocation(list) \
                     too",
                ));
            }
            (Some(probe), Some(list)) => Some(Arc::new(crate::revocation::CognitoProbe::new(
                list.clone(),
                probe.endpoint.clone(),
                probe.interval,
            )?)),
        };
        let dpop = match &self.dpop {
            Some(dpop) => {
                let mut config = dpop.resolve()?;
                config.bearer_accepted = trusted.pools.iter().any(|pool| !pool.require_dpop);
                Some(Arc::new(config))
            }
            None if trusted.pools.iter().any(|pool| pool.require_dpop) => {
                return Err(ConfigError::invalid(
                    "require_dpop",
                    "an issuer requires DPoP, but the verifier accepts no proofs: give its \
                     builder .dpop(Dpop::new(\"https://<your API's origin>\"))",
                ));
            }
            None => None,
        };
        let fetcher = match self.fetcher {
            Some(f) => f,
            None => default_fetcher(self.key_set.connect_timeout, self.key_set.fetch_timeout)?,
        };
        Ok(Inner {
            header: trusted.header,
            captured_claims: self
                .requirements
                .claim_names()
                .chain(
                    trusted
                        .pools
                        .iter()
                        .filter_map(|pool| pool.requirements.as_ref())
                        .flat_map(Requirements::claim_names),
                )
                .filter(|name| {
                    !crate::claims::KNOWN_CLAIMS.contains(name)
                        && !trusted.extra_lists.iter().any(|list| **list == **name)
                })
                .fold(Vec::new(), |mut names: Vec<Box<str>>, name| {
                    if !names.iter().any(|n| **n == *name) {
                        names.push(name.into());
                    }
                    names
                }),
            extra_lists: trusted.extra_lists,
            pools: trusted.pools,
            issuers: trusted.issuers,
            keys: KeyCache::new(trusted.sources, fetcher, self.key_set, metrics.clone()),
            leeway: self.leeway.as_secs(),
            requirements: self.requirements,
            custom_check: self.custom_check,
            revocation: self.revocation,
            dpop,
            #[cfg(feature = "reqwest")]
            probe,
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
    ($default_name:literal, scopes) => {
        /// Require a scope on every token (`scope`, or `scp` where a
        /// generic issuer uses it); several calls mean any of them.
        /// Defaults to none. An empty or blank name fails `build` with a
        /// [`ConfigError`](crate::ConfigError) naming `require_any_scope`.
        pub fn require_any_scope(mut self, scope: impl Into<String>) -> Self {
            self.common.requirements = self.common.requirements.any_scope(scope);
            self
        }

        crate::engine::common_setters!($default_name);
    };
    ($default_name:literal) => {
        /// Require `rule` of every token (see [`ClaimRule`](crate::ClaimRule)
        /// for the grammar `ClaimRule::parse` reads); several calls mean all
        /// of them. A token it refuses gets
        /// [`ErrorKind::ClaimMismatch`](crate::ErrorKind::ClaimMismatch)
        /// (HTTP 403). Defaults to none. A rule with an empty name or value
        /// fails `build` with a [`ConfigError`](crate::ConfigError) naming
        /// `require_claim`.
        pub fn require_claim(mut self, rule: crate::ClaimRule) -> Self {
            self.common.requirements = self.common.requirements.claim(rule);
            self
        }

        /// Require every token's `acr` to be `acr` (any of the values
        /// given): step-up authentication (RFC 9470). A token refused gets
        /// [`ErrorKind::InsufficientUserAuthentication`](crate::ErrorKind::InsufficientUserAuthentication)
        /// (HTTP 401, with `acr_values` in the challenge). Defaults to none.
        pub fn require_any_acr(mut self, acr: impl Into<String>) -> Self {
            self.common.requirements = self.common.requirements.any_acr(acr);
            self
        }

        /// Require every token's `amr` to include `method` (such as `mfa`);
        /// several calls mean all of them. Defaults to none.
        pub fn require_all_amr(mut self, method: impl Into<String>) -> Self {
            self.common.requirements = self.common.requirements.all_amr(method);
            self
        }

        /// Require every token's sign-in (`auth_time`) to be at most `age`
        /// old; a token without `auth_time` is refused. Defaults to none;
        /// under a second fails `build`.
        pub fn require_max_auth_age(mut self, age: ::std::time::Duration) -> Self {
            self.common.requirements = self.common.requirements.max_auth_age(age);
            self
        }

        /// Refuse the tokens `list` revokes (signed-out sessions, revoked
        /// tokens, signed-out or disabled users, revoked clients), on every
        /// verification and token-cache hit, with
        /// [`ErrorKind::Revoked`](crate::ErrorKind::Revoked); while the list
        /// is out of sync under the closed policy, refuse every token with
        /// [`ErrorKind::RevocationUnavailable`](crate::ErrorKind::RevocationUnavailable).
        /// Defaults to none. Give every verifier of a process the same list
        /// (a clone).
        pub fn revocation(mut self, list: crate::RevocationList) -> Self {
            self.common.revocation = Some(list);
            self
        }

        /// Accept DPoP-bound access tokens (RFC 9449) with proofs checked
        /// as `dpop` says, on every verification and token-cache hit; see
        /// [`Dpop`](crate::Dpop). Defaults to none: bearer tokens only. A
        /// token bound to a key (`cnf.jkt`) is refused as a bearer token
        /// either way, with
        /// [`ErrorKind::DpopRequired`](crate::ErrorKind::DpopRequired).
        /// Settings out of range fail `build` with a
        /// [`ConfigError`](crate::ConfigError) naming `dpop.<setting>`.
        pub fn dpop(mut self, dpop: crate::Dpop) -> Self {
            self.common.dpop = Some(dpop);
            self
        }

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

        /// The timings and limits of the key sets: refresh interval,
        /// maximum staleness, unknown-`kid` cool-down, fetch and connect
        /// time-outs, back-off. Defaults to
        /// [`KeySetOptions::default()`](crate::KeySetOptions); each
        /// setting's default and range are on its setter, and one out of
        /// range fails `build` with a [`ConfigError`](crate::ConfigError)
        /// naming it.
        pub fn key_set_options(mut self, options: crate::KeySetOptions) -> Self {
            self.common.key_set = options;
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
