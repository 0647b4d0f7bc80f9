//! [`JwtVerifier`]: tokens of any OpenID Connect or OAuth 2.0 issuer, on
//! the engine of [`CognitoJwtVerifier`](crate::CognitoJwtVerifier).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::algorithm::AlgorithmSet;
use crate::builder::{Common, Trusted, common_setters};
use crate::claims::ClaimsView;
use crate::error::ErrorKind;
use crate::error::{ConfigError, Error};
use crate::health::Health;
use crate::issuer::Issuer;
use crate::jwks::SourceSpec;
use crate::jwt::HeaderRules;
use crate::metrics::Metrics;
use crate::requirements::Requirements;
use crate::tenants::{IssuerResolver, TenantLimits, Tenants};
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
    engine: Engine,
}

/// Fixed issuers share one engine; resolved issuers get one each.
#[derive(Clone)]
enum Engine {
    Fixed(Arc<Inner>),
    Tenants(Arc<Tenants>),
}

impl fmt::Debug for JwtVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.engine {
            Engine::Fixed(inner) => f
                .debug_struct("JwtVerifier")
                .field(
                    "issuers",
                    &inner.issuers.iter().map(|(i, _)| i).collect::<Vec<_>>(),
                )
                .field("keys", &inner.keys)
                .field("leeway_secs", &inner.leeway)
                .field("token_cache", &inner.token_cache.is_some())
                .finish_non_exhaustive(),
            Engine::Tenants(tenants) => f
                .debug_struct("JwtVerifier")
                .field("tenants", tenants)
                .finish_non_exhaustive(),
        }
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
        self.verify_with(token, &Requirements::new()).await
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
        let result = match &self.engine {
            Engine::Fixed(inner) => inner.verify_with(token, requirements).await,
            Engine::Tenants(tenants) => tenants.verify_with(token, requirements).await,
        };
        self.metrics().verified(result)
    }

    /// Verify a token using only cached keys; never waits on the network.
    ///
    /// # Errors
    /// As [`verify`](Self::verify);
    /// [`ErrorKind::JwksNotCached`](crate::ErrorKind::JwksNotCached) before
    /// the issuer's key set was fetched.
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
        let result = match &self.engine {
            Engine::Fixed(inner) => inner.verify_sync_with(token, requirements),
            Engine::Tenants(tenants) => tenants.verify_sync_with(token, requirements),
        };
        self.metrics().verified(result)
    }

    fn metrics(&self) -> &Metrics {
        match &self.engine {
            Engine::Fixed(inner) => &inner.metrics,
            Engine::Tenants(tenants) => &tenants.metrics,
        }
    }

    /// Fetch (discovering first where configured) every key set now. With
    /// an [`IssuerResolver`], the key sets of the issuers resolved so far.
    ///
    /// # Errors
    /// [`ErrorKind::JwksUnavailable`](crate::ErrorKind::JwksUnavailable)
    /// for the first key set that could not be fetched.
    pub async fn hydrate(&self) -> Result<(), Error> {
        match &self.engine {
            Engine::Fixed(inner) => inner.keys.hydrate().await,
            Engine::Tenants(tenants) => {
                let mut first_error = None;
                for engine in tenants.engines() {
                    if let Err(e) = engine.keys.hydrate().await {
                        first_error.get_or_insert(e);
                    }
                }
                first_error.map_or(Ok(()), Err)
            }
        }
    }

    /// Load a key-set document you already have for the issuer `issuer`
    /// (exactly as configured, or as resolved and still remembered).
    /// Returns the number of usable keys.
    ///
    /// # Errors
    /// [`ErrorKind::JwksUnavailable`](crate::ErrorKind::JwksUnavailable)
    /// when the document has no usable key;
    /// [`ErrorKind::InvalidIssuer`](crate::ErrorKind::InvalidIssuer) when
    /// no configured issuer is `issuer`.
    pub fn cache_jwks(&self, issuer: &str, jwks_json: &str) -> Result<usize, Error> {
        match &self.engine {
            Engine::Fixed(inner) => inner.cache_jwks(
                |rules| matches!(rules, Rules::Oidc(i) if i.issuer == issuer),
                jwks_json,
                "no configured issuer is this one; pass the URL given to Issuer::new",
            ),
            Engine::Tenants(tenants) => tenants
                .engine_of(issuer)
                .ok_or_else(|| {
                    Error::new(
                        ErrorKind::InvalidIssuer,
                        "the resolver has not allowed this issuer yet (or it was evicted); \
                         verify one of its tokens first",
                    )
                })?
                .cache_jwks(|_| true, jwks_json, "unreachable: one issuer per engine"),
        }
    }

    /// Forget what this verifier remembers about `issuer`, found by its
    /// [`IssuerResolver`]: the approval the resolver gave, with its key set,
    /// or its refusal. The next token of the issuer asks the resolver
    /// again. Call it when a tenant is removed (or added after its tokens
    /// were refused) rather than waiting for
    /// [`resolved_issuer_ttl`](JwtVerifierBuilder::resolved_issuer_ttl) or
    /// [`refused_issuers`](JwtVerifierBuilder::refused_issuers).
    ///
    /// Returns whether anything was remembered; always false for a
    /// verifier of fixed issuers, which trusts its configured issuers for
    /// its lifetime.
    ///
    /// ```
    /// use cognito_jwt_core::{IssuerResolver, JwtVerifier};
    ///
    /// # let resolver = IssuerResolver::from_fn(|_| None);
    /// let verifier = JwtVerifier::builder().issuer_resolver(resolver).build()?;
    /// // The tenant was just removed from the tenants table:
    /// let was_known = verifier.forget_issuer("https://login.example.com/tenant-1");
    /// assert!(!was_known, "no token of it was seen");
    /// # Ok::<(), cognito_jwt_core::ConfigError>(())
    /// ```
    pub fn forget_issuer(&self, issuer: &str) -> bool {
        match &self.engine {
            Engine::Fixed(_) => false,
            Engine::Tenants(tenants) => tenants.forget(issuer),
        }
    }

    /// The state of every key set (see
    /// [`CognitoJwtVerifier::health`](crate::CognitoJwtVerifier::health)).
    ///
    /// With an [`IssuerResolver`], the key sets of the issuers resolved and
    /// still remembered, and `ready` is always true: no issuer is known in
    /// advance, and one tenant's outage must not take the service out of
    /// rotation.
    pub fn health(&self) -> Health {
        match &self.engine {
            Engine::Fixed(inner) => Health::new(inner.keys.health()),
            Engine::Tenants(tenants) => Health::resolved(
                tenants
                    .engines()
                    .iter()
                    .flat_map(|engine| engine.keys.health())
                    .collect(),
            ),
        }
    }

    /// Whether every key set has usable keys.
    pub fn is_ready(&self) -> bool {
        self.health().ready
    }

    /// The key-set URLs this verifier fetches: configured, discovered, or
    /// (until discovery ran) the discovery document's. None with an
    /// [`IssuerResolver`] (see [`health`](Self::health) for the issuers
    /// resolved so far). Owned, because a discovered URL can change: the
    /// discovery document is read again on the refresh schedule.
    pub fn jwks_uris(&self) -> impl Iterator<Item = String> + '_ {
        let fixed = match &self.engine {
            Engine::Fixed(inner) => Some(inner.as_ref()),
            Engine::Tenants(_) => None,
        };
        fixed.into_iter().flat_map(|inner| inner.jwks_uris())
    }
}

/// Builds a [`JwtVerifier`]. `build()` does no network I/O.
#[must_use]
#[derive(Default)]
pub struct JwtVerifierBuilder {
    issuers: Vec<Issuer>,
    resolver: Option<IssuerResolver>,
    limits: TenantLimits,
    common: Common,
}

impl fmt::Debug for JwtVerifierBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtVerifierBuilder")
            .field("issuers", &self.issuers)
            .field("resolver", &self.resolver)
            .field("limits", &self.limits)
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

    /// Trust the issuers `resolver` allows, found at run time (many
    /// tenants), instead of a fixed list: see [`IssuerResolver`]. Replaces
    /// [`issuer`](Self::issuer). With
    /// [`token_cache_max_bytes`](Self::token_cache_max_bytes), every issuer
    /// shares one cache and its byte bound; a hit still reads the token's
    /// `iss` to find its issuer.
    ///
    /// The resolver is asked about a token's `iss` only once the token's
    /// header passed, and no URL is derived from a token before it allowed
    /// the issuer.
    pub fn issuer_resolver(mut self, resolver: IssuerResolver) -> Self {
        self.resolver = Some(resolver);
        self
    }

    /// How many resolved issuers (each with its key set) are remembered;
    /// the least recently used is dropped beyond that, and resolved again
    /// when it is next seen. Defaults to 100; 1 to 100 000. Needs an
    /// [`issuer_resolver`](Self::issuer_resolver).
    pub fn max_issuers(mut self, capacity: u64) -> Self {
        self.limits.max_issuers = capacity;
        self
    }

    /// How long an issuer the resolver allowed is trusted before the
    /// resolver is asked about it again. Defaults to 5 minutes; 1 second to
    /// 1 day. Needs an [`issuer_resolver`](Self::issuer_resolver).
    ///
    /// Once it is due, the next token of the issuer asks the resolver and
    /// waits for its answer, one token at a time; the others are verified
    /// meanwhile as before. The same answer keeps the issuer's key set;
    /// other settings replace it; a refusal refuses the issuer from then on
    /// (see [`refused_issuers`](Self::refused_issuers)). An error keeps the
    /// approval until it is one more `ttl` overdue; after that, its tokens
    /// are refused as
    /// [`ErrorKind::JwksUnavailable`](crate::ErrorKind::JwksUnavailable)
    /// (HTTP 503) until the resolver answers. To drop an issuer at once,
    /// call [`JwtVerifier::forget_issuer`].
    ///
    /// ```
    /// use std::time::Duration;
    /// use cognito_jwt_core::{IssuerResolver, JwtVerifier};
    ///
    /// # let resolver = IssuerResolver::from_fn(|_| None);
    /// let verifier = JwtVerifier::builder()
    ///     .issuer_resolver(resolver)
    ///     // A tenant removed from the table loses access within a minute.
    ///     .resolved_issuer_ttl(Duration::from_secs(60))
    ///     .build()?;
    /// # Ok::<(), cognito_jwt_core::ConfigError>(())
    /// ```
    pub fn resolved_issuer_ttl(mut self, ttl: Duration) -> Self {
        self.limits.resolved_ttl = ttl;
        self
    }

    /// How many issuers the resolver refused are remembered, and for how
    /// long: a token naming one is refused without asking the resolver
    /// again. Defaults to 10 000 issuers for 5 minutes; capacity 1 to
    /// 1 000 000, time 1 second to 1 day. Needs an
    /// [`issuer_resolver`](Self::issuer_resolver).
    ///
    /// Each entry holds at most 1 KiB (a longer `iss` is refused without
    /// asking), so the default bounds this cache near 10 MiB.
    pub fn refused_issuers(mut self, capacity: u64, ttl: Duration) -> Self {
        self.limits.max_refused = capacity;
        self.limits.refused_ttl = ttl;
        self
    }

    /// Require a group on every token (in each issuer's
    /// [`groups_claim`](Issuer::groups_claim)); several calls mean any of
    /// them. Defaults to none. An empty or blank name fails
    /// [`build`](Self::build) with a [`ConfigError`] naming
    /// `require_any_group`.
    pub fn require_any_group(mut self, group: impl Into<String>) -> Self {
        self.common.requirements = self.common.requirements.any_group(group);
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

    common_setters!("oidc");

    /// Check the configuration and build the verifier. Does no I/O.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first setting that is missing or wrong.
    pub fn build(self) -> Result<JwtVerifier, ConfigError> {
        if self.issuers.is_empty() && self.resolver.is_none() {
            return Err(ConfigError::missing(
                "issuer",
                "at least one Issuer (JwtVerifierBuilder::issuer), or an IssuerResolver \
                 (JwtVerifierBuilder::issuer_resolver)",
            ));
        }
        self.common.check()?;
        let metrics = self.common.metrics("oidc");
        let engine = match self.resolver {
            Some(resolver) => {
                if !self.issuers.is_empty() {
                    return Err(ConfigError::invalid(
                        "issuer_resolver",
                        "set either issuers or an issuer resolver, not both; put the fixed \
                         issuers in the resolver (IssuerResolver::list)",
                    ));
                }
                Engine::Tenants(Arc::new(Tenants::new(
                    resolver,
                    self.common,
                    self.limits,
                    metrics,
                )?))
            }
            None => {
                if let Some(setting) = self.limits.changed() {
                    return Err(ConfigError::invalid(
                        setting,
                        "max_issuers, resolved_issuer_ttl and refused_issuers apply to an \
                         issuer resolver; set one with issuer_resolver",
                    ));
                }
                Engine::Fixed(Arc::new(oidc_engine(&self.issuers, self.common, metrics)?))
            }
        };
        Ok(JwtVerifier { engine })
    }
}

/// The engine for these issuers. Does no I/O.
pub(crate) fn oidc_engine(
    issuers: &[Issuer],
    common: Common,
    metrics: Metrics,
) -> Result<Inner, ConfigError> {
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
    for (index, issuer) in issuers.iter().enumerate() {
        let resolved = issuer.resolve(index, &mut trusted.extra_lists)?;
        trusted.issuer(
            &resolved.issuer,
            index,
            format!("issuer[{index}]"),
            "merge the two",
        )?;
        trusted.header.algorithms = trusted.header.algorithms.union(resolved.algorithms);
        let source = trusted.source(SourceSpec {
            name: format!("issuer[{index}]"),
            url: resolved.url.clone(),
            discovery: resolved.discovery.clone(),
            algorithms: resolved.algorithms,
        });
        trusted.pools.push(Pool {
            rules: Rules::Oidc(resolved),
            source,
        });
    }
    common.engine(trusted, metrics)
}
