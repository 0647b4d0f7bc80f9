//! [`JwtVerifier`]: tokens of any OpenID Connect or OAuth 2.0 issuer, on
//! the engine of [`CognitoJwtVerifier`](crate::CognitoJwtVerifier).

use std::fmt;
use std::sync::Arc;

use super::tenants::Tenants;
use crate::claims::TokenClaims;
use crate::dpop::DpopRequest;
use crate::engine::{Inner, Presented};
use crate::error::{Error, ErrorKind};
use crate::health::Health;
use crate::metrics::Metrics;
use crate::requirements::Requirements;

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
    pub(super) engine: Engine,
}

/// Fixed issuers share one engine; resolved issuers get one each.
#[derive(Clone)]
pub(super) enum Engine {
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
    /// Verify a token, fetching (or discovering) the key set if needed, and
    /// return its claims as `T` ([`StandardClaims`](crate::StandardClaims),
    /// [`serde_json::Value`] or your own [`TokenClaims`] type).
    ///
    /// # Errors
    /// An [`Error`] whose [`kind`](Error::kind) says why the token was refused.
    pub async fn verify<T: TokenClaims>(&self, token: &str) -> Result<T, Error> {
        self.verify_with(token, &crate::requirements::NONE).await
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
        self.verify_presented(token, requirements, Presented::Bearer)
            .await
    }

    /// [`verify_with`](Self::verify_with) for a token sent with the `DPoP`
    /// scheme (RFC 9449) in `request`: the proof is checked (its header,
    /// key, signature, `htm`, `htu`, `iat`, `ath`, nonce and `jti`) and the
    /// token must be bound to its key (`cnf.jkt`), on every call and
    /// token-cache hit. Needs `dpop` on the builder;
    /// [`http::authenticate_request`](crate::http::authenticate_request)
    /// calls it for HTTP requests.
    ///
    /// # Errors
    /// As [`verify_with`](Self::verify_with), plus
    /// [`ErrorKind::InvalidDpopProof`](crate::ErrorKind::InvalidDpopProof),
    /// [`ErrorKind::DpopProofReplayed`](crate::ErrorKind::DpopProofReplayed),
    /// [`ErrorKind::UseDpopNonce`](crate::ErrorKind::UseDpopNonce),
    /// [`ErrorKind::DpopBindingMismatch`](crate::ErrorKind::DpopBindingMismatch)
    /// and [`ErrorKind::DpopReplayUnavailable`](crate::ErrorKind::DpopReplayUnavailable).
    pub async fn verify_dpop_with<T: TokenClaims>(
        &self,
        token: &str,
        requirements: &Requirements,
        request: &DpopRequest<'_>,
    ) -> Result<T, Error> {
        self.verify_presented(token, requirements, Presented::Dpop(request, None))
            .await
    }

    async fn verify_presented<T: TokenClaims>(
        &self,
        token: &str,
        requirements: &Requirements,
        presented: Presented<'_>,
    ) -> Result<T, Error> {
        let result = match &self.engine {
            Engine::Fixed(inner) => inner.verify_with(token, requirements, presented).await,
            Engine::Tenants(tenants) => tenants.verify_with(token, requirements, presented).await,
        };
        self.metrics().verified(result)
    }

    /// The DPoP settings, when proofs are accepted.
    pub(crate) fn dpop_config(&self) -> Option<&crate::dpop::DpopConfig> {
        match &self.engine {
            Engine::Fixed(inner) => inner.dpop.as_deref(),
            Engine::Tenants(tenants) => tenants.dpop_config(),
        }
    }

    /// Verify a token using only cached keys; never waits on the network.
    ///
    /// # Errors
    /// As [`verify`](Self::verify);
    /// [`ErrorKind::JwksNotCached`](crate::ErrorKind::JwksNotCached) before
    /// the issuer's key set was fetched.
    pub fn verify_sync<T: TokenClaims>(&self, token: &str) -> Result<T, Error> {
        self.verify_sync_with(token, &crate::requirements::NONE)
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
            Engine::Fixed(inner) => inner.verify_sync_with(token, requirements, Presented::Bearer),
            Engine::Tenants(tenants) => {
                tenants.verify_sync_with(token, requirements, Presented::Bearer)
            }
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
    /// an [`IssuerResolver`](crate::IssuerResolver), the key sets of the issuers resolved so far.
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
                |rules| rules.is_named(issuer),
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
    /// [`IssuerResolver`](crate::IssuerResolver): the approval the resolver gave, with its key set,
    /// or its refusal. The next token of the issuer asks the resolver
    /// again. Call it when a tenant is removed (or added after its tokens
    /// were refused) rather than waiting for
    /// [`resolved_issuer_ttl`](crate::JwtVerifierBuilder::resolved_issuer_ttl) or
    /// [`refused_issuers`](crate::JwtVerifierBuilder::refused_issuers).
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
    /// With an [`IssuerResolver`](crate::IssuerResolver), the key sets of the issuers resolved and
    /// still remembered, and `ready` is always true: no issuer is known in
    /// advance, and one tenant's outage must not take the service out of
    /// rotation.
    pub fn health(&self) -> Health {
        match &self.engine {
            Engine::Fixed(inner) => inner.health(),
            Engine::Tenants(tenants) => Health::resolved(
                tenants
                    .engines()
                    .iter()
                    .flat_map(|engine| engine.keys.health())
                    .collect(),
            )
            .with_revocation(tenants.revocation()),
        }
    }

    /// The revocation list its engines check, if any.
    pub(crate) fn revocation_list(&self) -> Option<&crate::RevocationList> {
        match &self.engine {
            Engine::Fixed(inner) => inner.revocation.as_ref(),
            Engine::Tenants(tenants) => tenants.revocation(),
        }
    }

    /// Whether every key set has usable keys.
    pub fn is_ready(&self) -> bool {
        self.health().ready
    }

    /// The key-set URLs this verifier fetches: configured, discovered, or
    /// (until discovery ran) the discovery document's. None with an
    /// [`IssuerResolver`](crate::IssuerResolver) (see [`health`](Self::health) for the issuers
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
