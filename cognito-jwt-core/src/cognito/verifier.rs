//! [`CognitoJwtVerifier`]: Cognito ID and access tokens, on the engine.

use std::fmt;
use std::sync::Arc;

use crate::claims::TokenClaims;
use crate::dpop::DpopRequest;
use crate::engine::{Inner, Presented};
use crate::error::{ConfigError, Error, quoted};
use crate::health::Health;
use crate::http::ProtectedResourceMetadata;
use crate::requirements::Requirements;

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
    pub(crate) inner: Arc<Inner>,
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

impl CognitoJwtVerifier {
    /// Verify a token, fetching the key set if needed, and return its
    /// claims as `T`.
    ///
    /// # Errors
    /// An [`Error`] whose [`kind`](Error::kind) says why the token was refused.
    pub async fn verify<T: TokenClaims>(&self, token: &str) -> Result<T, Error> {
        self.verify_with(token, &crate::requirements::NONE).await
    }

    /// [`verify`](Self::verify), then also check `requirements` (on top of
    /// those set on the builder).
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
        let result = self
            .inner
            .verify_with(token, requirements, Presented::Bearer)
            .await;
        self.inner.metrics.verified(result)
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
        let result = self
            .inner
            .verify_with(token, requirements, Presented::Dpop(request, None))
            .await;
        self.inner.metrics.verified(result)
    }

    /// Verify a token using only cached keys; never waits on the network.
    ///
    /// # Errors
    /// As [`verify`](Self::verify);
    /// [`ErrorKind::JwksNotCached`](crate::ErrorKind::JwksNotCached) when
    /// the issuer's key set has not been fetched yet (call
    /// [`hydrate`](Self::hydrate) at start-up),
    /// [`ErrorKind::UnknownKid`](crate::ErrorKind::UnknownKid) when the
    /// cached set lacks the token's key.
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
        let result = self
            .inner
            .verify_sync_with(token, requirements, Presented::Bearer);
        self.inner.metrics.verified(result)
    }

    /// Fetch every configured key set now, e.g. at start-up to fail fast or
    /// to log a problem early. Verification works without it.
    ///
    /// # Errors
    /// [`ErrorKind::JwksUnavailable`](crate::ErrorKind::JwksUnavailable)
    /// for the first key set that could not be fetched.
    pub async fn hydrate(&self) -> Result<(), Error> {
        self.inner.keys.hydrate().await
    }

    /// Load a key-set document you already have (offline use, tests) for the
    /// pool with this id. Returns the number of usable keys.
    ///
    /// # Errors
    /// [`ErrorKind::JwksUnavailable`](crate::ErrorKind::JwksUnavailable)
    /// when the document has no usable key;
    /// [`ErrorKind::InvalidIssuer`](crate::ErrorKind::InvalidIssuer) when
    /// no configured pool has this id.
    pub fn cache_jwks(&self, user_pool_id: &str, jwks_json: &str) -> Result<usize, Error> {
        self.inner.cache_jwks(
            |rules| rules.is_named(user_pool_id),
            jwks_json,
            "no configured pool has this id; pass the id given to UserPool::new",
        )
    }

    /// The state of every key set: never fetched, fresh, stale or
    /// unavailable, with URLs, ages and the last error. Cheap; meant for
    /// dashboards and the operator's own endpoints (the error text can name
    /// internal hosts): a public readiness probe serves
    /// [`http::Readiness`](crate::http::Readiness) instead.
    ///
    /// ```
    /// # use cognito_jwt_core::{CognitoJwtVerifier, TokenUse, UserPool};
    /// let verifier = CognitoJwtVerifier::builder()
    ///     .user_pool(UserPool::new("eu-west-1_AbC123").client_id("c").token_use(TokenUse::Access))
    ///     .build()?;
    /// let health = verifier.health();
    /// assert!(!health.ready); // nothing fetched yet
    /// assert_eq!(health.key_sets[0].state.as_str(), "never_fetched");
    /// # Ok::<(), cognito_jwt_core::ConfigError>(())
    /// ```
    pub fn health(&self) -> Health {
        self.inner.health()
    }

    /// Whether every key set has usable keys, so that tokens of every
    /// configured issuer can be verified now.
    pub fn is_ready(&self) -> bool {
        self.health().ready
    }

    /// The protected-resource metadata (RFC 9728) of the API at
    /// `public_url` (its external base URL, verbatim), naming each user
    /// pool's issuer as an authorization server and, when the verifier
    /// accepts DPoP, its proof algorithms
    /// (`dpop_signing_alg_values_supported`). Add the scopes the routes
    /// require with
    /// [`scopes_supported`](ProtectedResourceMetadata::scopes_supported)
    /// and serve it with an adapter's ready-made handler.
    ///
    /// ```
    /// # use cognito_jwt_core::{CognitoJwtVerifier, TokenUse, UserPool};
    /// let verifier = CognitoJwtVerifier::builder()
    ///     .user_pool(
    ///         UserPool::new("eu-west-1_AbC123")
    ///             .client_id("c")
    ///             .token_use(TokenUse::Access)
    ///             .resource("https://api.example.com"),
    ///     )
    ///     .build()?;
    /// let metadata = verifier
    ///     .protected_resource_metadata("https://api.example.com")?
    ///     .scopes_supported(["orders/read"]);
    /// assert_eq!(
    ///     metadata.authorization_servers(),
    ///     ["https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123"]
    /// );
    /// // Tokens bound to the resource would never be accepted at another URL.
    /// assert!(verifier.protected_resource_metadata("https://other.example.com").is_err());
    /// # Ok::<(), cognito_jwt_core::ConfigError>(())
    /// ```
    ///
    /// # Errors
    /// A [`ConfigError`] naming `resource` when `public_url` is not an
    /// `https://` URL (or `http://` on a loopback host) without query or
    /// fragment, or when a pool binds access tokens to resources
    /// ([`UserPool::resource`](crate::UserPool::resource)) that do not
    /// include it: clients would be sent for tokens this API refuses.
    pub fn protected_resource_metadata(
        &self,
        public_url: &str,
    ) -> Result<ProtectedResourceMetadata, ConfigError> {
        let mut metadata = ProtectedResourceMetadata::new(public_url)?;
        if let Some(dpop) = &self.inner.dpop {
            metadata = metadata.dpop_signing_alg_values_supported(
                dpop.algorithms.iter().map(crate::Algorithm::as_str),
            );
        }
        for pool in &self.inner.pools {
            let Some((issuer, resources)) = pool.rules.resource_server() else {
                continue;
            };
            if !resources.is_empty() && !resources.iter().any(|r| r == public_url) {
                return Err(ConfigError::invalid(
                    "resource",
                    format!(
                        "{} is not one of the resources access tokens are bound to ({}); \
                         add it to COGNITO_RESOURCE (UserPool::resource)",
                        quoted(public_url),
                        resources.join(", ")
                    ),
                ));
            }
            metadata = metadata.authorization_server(issuer);
        }
        Ok(metadata)
    }

    /// The key-set URLs this verifier fetches.
    pub fn jwks_uris(&self) -> impl Iterator<Item = &str> {
        // A user pool's key-set URL is configured, never discovered.
        (0..self.inner.keys.source_count()).map(|i| self.inner.keys.configured_url(i))
    }
}
