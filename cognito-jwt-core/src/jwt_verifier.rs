//! [`JwtVerifier`]: tokens of any OpenID Connect or OAuth 2.0 issuer, on
//! the engine of [`CognitoJwtVerifier`](crate::CognitoJwtVerifier).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::algorithm::AlgorithmSet;
use crate::builder::{Common, Trusted};
use crate::claims::ClaimsView;
use crate::error::{ConfigError, Error};
use crate::health::Health;
use crate::issuer::Issuer;
use crate::jwks::{JwksFetcher, SourceSpec};
use crate::jwt::HeaderRules;
use crate::requirements::Requirements;
use crate::token_claims::TokenClaims;
use crate::verifier::{Inner, Pool, Rules};

/// Verifies JWTs of any OpenID Connect or OAuth 2.0 issuer against its key
/// set: the same pipeline, key-set lifecycle, error kinds, HTTP mapping,
/// token cache and health as [`CognitoJwtVerifier`](crate::CognitoJwtVerifier),
/// with each issuer's own audiences, algorithms and claim rules.
///
/// Cheap to clone (an `Arc`); build one per process and share it.
///
/// ```no_run
/// use cognito_jwt_core::{Algorithm, Issuer, JwtVerifier, StandardClaims};
///
/// # async fn run(token: &str) -> Result<(), Box<dyn std::error::Error>> {
/// let verifier = JwtVerifier::builder()
///     .issuer(
///         Issuer::new("https://login.example.com/tenant-1")
///             .audience("orders-api")
///             .algorithms([Algorithm::RS256, Algorithm::ES256]),
///     )
///     .build()?; // the key set is found by OIDC discovery on first use
///
/// let claims: StandardClaims = verifier.verify(token).await?;
/// println!("hello {}", claims.sub.as_deref().unwrap_or("?"));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct JwtVerifier {
    pub(crate) inner: Arc<Inner>,
}

impl fmt::Debug for JwtVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtVerifier")
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

impl JwtVerifier {
    /// A builder with every setting at its documented default.
    pub fn builder() -> JwtVerifierBuilder {
        JwtVerifierBuilder::default()
    }

    /// Verify a token, fetching (or discovering) the key set if needed, and
    /// return its claims as `T` ([`StandardClaims`](crate::StandardClaims),
    /// [`serde_json::Value`] or your own [`TokenClaims`] type).
    ///
    /// # Errors
    /// An [`Error`] whose [`kind`](Error::kind) says why the token was refused.
    pub async fn verify<T: TokenClaims>(&self, token: &str) -> Result<T, Error> {
        self.inner.verify_with(token, &Requirements::new()).await
    }

    /// [`verify`](Self::verify), then also check `requirements`.
    ///
    /// # Errors
    /// As [`verify`](Self::verify), plus
    /// [`ErrorKind::MissingGroup`](crate::ErrorKind::MissingGroup) and
    /// [`ErrorKind::MissingScope`](crate::ErrorKind::MissingScope).
    pub async fn verify_with<T: TokenClaims>(
        &self,
        token: &str,
        requirements: &Requirements,
    ) -> Result<T, Error> {
        self.inner.verify_with(token, requirements).await
    }

    /// Verify a token using only cached keys; never waits on the network.
    ///
    /// # Errors
    /// As [`verify`](Self::verify);
    /// [`ErrorKind::JwksNotCached`](crate::ErrorKind::JwksNotCached) before
    /// the issuer's key set was fetched.
    pub fn verify_sync<T: TokenClaims>(&self, token: &str) -> Result<T, Error> {
        self.inner.verify_sync_with(token, &Requirements::new())
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
        self.inner.verify_sync_with(token, requirements)
    }

    /// Fetch (discovering first where configured) every key set now.
    ///
    /// # Errors
    /// [`ErrorKind::JwksUnavailable`](crate::ErrorKind::JwksUnavailable)
    /// for the first key set that could not be fetched.
    pub async fn hydrate(&self) -> Result<(), Error> {
        self.inner.keys.hydrate().await
    }

    /// Load a key-set document you already have for the issuer `issuer`
    /// (exactly as configured). Returns the number of usable keys.
    ///
    /// # Errors
    /// [`ErrorKind::JwksUnavailable`](crate::ErrorKind::JwksUnavailable)
    /// when the document has no usable key;
    /// [`ErrorKind::InvalidIssuer`](crate::ErrorKind::InvalidIssuer) when
    /// no configured issuer is `issuer`.
    pub fn cache_jwks(&self, issuer: &str, jwks_json: &str) -> Result<usize, Error> {
        self.inner.cache_jwks(
            |rules| matches!(rules, Rules::Oidc(i) if i.issuer == issuer),
            jwks_json,
            "no configured issuer is this one; pass the URL given to Issuer::new",
        )
    }

    /// The state of every key set (see
    /// [`CognitoJwtVerifier::health`](crate::CognitoJwtVerifier::health)).
    pub fn health(&self) -> Health {
        Health::new(self.inner.keys.health())
    }

    /// Whether every key set has usable keys.
    pub fn is_ready(&self) -> bool {
        self.health().ready
    }

    /// The key-set URLs this verifier fetches: configured, discovered, or
    /// (until discovery ran) the discovery document's.
    pub fn jwks_uris(&self) -> impl Iterator<Item = &str> {
        self.inner.jwks_uris()
    }
}

/// Builds a [`JwtVerifier`]. `build()` does no network I/O.
#[must_use]
#[derive(Default)]
pub struct JwtVerifierBuilder {
    issuers: Vec<Issuer>,
    common: Common,
}

impl fmt::Debug for JwtVerifierBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtVerifierBuilder")
            .field("issuers", &self.issuers)
            .field("leeway", &self.common.leeway)
            .field("requirements", &self.common.requirements)
            .field("settings", &self.common.settings)
            .finish_non_exhaustive()
    }
}

impl JwtVerifierBuilder {
    /// Trust this issuer. Call once per issuer.
    pub fn issuer(mut self, issuer: Issuer) -> Self {
        self.issuers.push(issuer);
        self
    }

    /// Clock-skew allowance for `exp`, `nbf` and `iat`. Defaults to zero;
    /// at most 5 minutes. As
    /// [`CognitoJwtVerifierBuilder::leeway`](crate::CognitoJwtVerifierBuilder::leeway).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.common.leeway = leeway;
        self
    }

    /// Require a group on every token (in each issuer's
    /// [`groups_claim`](Issuer::groups_claim)); several calls mean any of
    /// them. Defaults to none.
    pub fn require_any_group(mut self, group: impl Into<String>) -> Self {
        self.common.requirements = self.common.requirements.any_group(group);
        self
    }

    /// Require a scope (`scope` or `scp`) on every token; several calls
    /// mean any of them. Defaults to none.
    pub fn require_any_scope(mut self, scope: impl Into<String>) -> Self {
        self.common.requirements = self.common.requirements.any_scope(scope);
        self
    }

    /// Run `check` on every verified token, after all built-in checks; an
    /// `Err` refuses it with
    /// [`ErrorKind::CustomCheckFailed`](crate::ErrorKind::CustomCheckFailed).
    pub fn custom_check<F>(mut self, check: F) -> Self
    where
        F: Fn(&ClaimsView<'_>) -> Result<(), String> + Send + Sync + 'static,
    {
        self.common.custom_check = Some(Arc::new(check));
        self
    }

    /// Unknown-`kid` refetch cool-down. Defaults to 10 seconds; 100 ms to 1 hour.
    pub fn jwks_cooldown(mut self, cooldown: Duration) -> Self {
        self.common.settings.cooldown = cooldown;
        self
    }

    /// Background refresh interval. Defaults to 15 minutes; 100 ms to 7 days.
    pub fn jwks_refresh_interval(mut self, interval: Duration) -> Self {
        self.common.settings.refresh_interval = interval;
        self
    }

    /// How long a key set serves while refreshes fail. Defaults to 24
    /// hours; at least the refresh interval, at most 30 days.
    pub fn jwks_max_staleness(mut self, max: Duration) -> Self {
        self.common.settings.max_staleness = max;
        self
    }

    /// Total time for one fetch (a discovery document or a key set).
    /// Defaults to 5 seconds; at most 5 minutes.
    pub fn jwks_fetch_timeout(mut self, timeout: Duration) -> Self {
        self.common.settings.fetch_timeout = timeout;
        self
    }

    /// Connect time-out of the default fetcher. Defaults to 2 seconds.
    pub fn jwks_connect_timeout(mut self, timeout: Duration) -> Self {
        self.common.connect_timeout = timeout;
        self
    }

    /// Back-off after failed fetches, `min` doubling up to `max`. Defaults
    /// to 1 second and 60 seconds.
    pub fn jwks_backoff(mut self, min: Duration, max: Duration) -> Self {
        self.common.settings.min_backoff = min;
        self.common.settings.max_backoff = max;
        self
    }

    /// Fetch discovery documents and key sets with this fetcher instead of
    /// the default reqwest one.
    pub fn fetcher(mut self, fetcher: impl JwksFetcher) -> Self {
        self.common.fetcher = Some(Arc::new(fetcher));
        self
    }

    /// Remember up to `capacity` verified tokens (see
    /// [`CognitoJwtVerifierBuilder::token_cache`](crate::CognitoJwtVerifierBuilder::token_cache)).
    /// Off by default.
    pub fn token_cache(mut self, capacity: u64) -> Self {
        self.common.token_cache = Some(capacity);
        self
    }

    /// Check the configuration and build the verifier. Does no I/O.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first setting that is missing or wrong.
    pub fn build(self) -> Result<JwtVerifier, ConfigError> {
        if self.issuers.is_empty() {
            return Err(ConfigError::missing(
                "issuer".to_owned(),
                "at least one Issuer (JwtVerifierBuilder::issuer)".to_owned(),
            ));
        }
        self.common.check()?;
        let mut trusted = Trusted {
            pools: Vec::new(),
            issuers: Vec::new(),
            sources: Vec::new(),
            header: HeaderRules {
                algorithms: AlgorithmSet::EMPTY,
                cognito: false,
            },
            extra_lists: Vec::new(),
        };
        for (index, issuer) in self.issuers.iter().enumerate() {
            let resolved = issuer.resolve(index, &mut trusted.extra_lists)?;
            trusted.issuer(
                &resolved.issuer,
                index,
                format!("issuer[{index}]"),
                "merge the two",
            )?;
            trusted.header.algorithms = trusted.header.algorithms.union(resolved.algorithms);
            let source = trusted.source(SourceSpec {
                url: resolved.url.clone(),
                discovery: resolved.discovery.clone(),
                algorithms: resolved.algorithms,
            });
            trusted.pools.push(Pool {
                rules: Rules::Oidc(resolved),
                source,
            });
        }
        Ok(JwtVerifier {
            inner: Arc::new(self.common.engine(trusted)?),
        })
    }
}
