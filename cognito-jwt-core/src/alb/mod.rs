//! Verifying the `x-amzn-oidc-data` header an Application Load Balancer
//! adds to every request it has authenticated: an ES256 JWT, its segments
//! padded, its key a PEM document per `kid` at the load balancer's
//! regional key endpoint.
//!
//! A face of the engine, as Cognito and OpenID Connect are: the pipeline,
//! key lifecycle, token cache, error kinds, HTTP mapping, health and
//! metrics are the engine's. What is the load balancer's: its ARNs and key
//! endpoints ([`arn`]), its claim rules ([`rules`]), its claims type
//! ([`claims`]); the header rules (padded segments, a UUID `kid`, the
//! header's own claims) and the per-kid key source are the engine's
//! shapes for it.

mod arn;
mod builder;
mod claims;
mod rules;

use std::fmt;
use std::sync::Arc;

pub use builder::AlbJwtVerifierBuilder;
pub use claims::AlbClaims;

use crate::claims::TokenClaims;
use crate::engine::{Inner, Presented};
use crate::error::Error;
use crate::health::Health;
use crate::requirements::Requirements;

/// The header an Application Load Balancer puts its signed user claims in.
pub const ALB_DATA_HEADER: &str = "x-amzn-oidc-data";
/// The header with the identity provider's access token, beside
/// [`ALB_DATA_HEADER`].
pub const ALB_ACCESS_TOKEN_HEADER: &str = "x-amzn-oidc-accesstoken";
/// The header with the user's `sub`, beside [`ALB_DATA_HEADER`]
/// (unsigned: read `sub` from the verified claims instead).
pub const ALB_IDENTITY_HEADER: &str = "x-amzn-oidc-identity";

/// Verifies the `x-amzn-oidc-data` header that an Application Load
/// Balancer signs, on the same engine as
/// [`CognitoJwtVerifier`](crate::CognitoJwtVerifier).
///
/// A token is accepted when: it is three padded base64url segments, as
/// the load balancer writes them (the signature covers them as sent);
/// its header says `alg` `ES256`, names a `kid` that is a UUID and a
/// `signer` that is exactly one of the configured load-balancer ARNs (all
/// checked before any fetch); the 64-byte `R ‖ S` signature verifies with
/// the P-256 key published for that kid in the signer's region; the
/// header's `exp` (and the payload's, when present) has not passed; and
/// the header's `client` and `iss` are among those configured, when
/// configured.
///
/// Cheap to clone (an `Arc`); every clone shares one key cache.
///
/// ```no_run
/// use cognito_jwt_core::{AlbClaims, AlbJwtVerifier};
///
/// # async fn run(header_value: &str) -> Result<(), Box<dyn std::error::Error>> {
/// let verifier = AlbJwtVerifier::builder()
///     .load_balancer_arn(
///         "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/my-alb/50dc6c495c0c9188",
///     )
///     .client_id("1example23456789")
///     .build()?;
/// let claims: AlbClaims = verifier.verify(header_value).await?;
/// println!("hello {}", claims.email.as_deref().unwrap_or(&claims.sub));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct AlbJwtVerifier {
    pub(crate) inner: Arc<Inner>,
}

impl fmt::Debug for AlbJwtVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AlbJwtVerifier")
            .field(
                "load_balancers",
                &self
                    .inner
                    .issuers
                    .iter()
                    .map(|(arn, _)| arn)
                    .collect::<Vec<_>>(),
            )
            .field("keys", &self.inner.keys)
            .field("leeway_secs", &self.inner.leeway)
            .field("token_cache", &self.inner.token_cache.is_some())
            .finish_non_exhaustive()
    }
}

impl AlbJwtVerifier {
    /// A builder with every setting at its documented default.
    pub fn builder() -> AlbJwtVerifierBuilder {
        AlbJwtVerifierBuilder::default()
    }

    /// Verify an `x-amzn-oidc-data` value, fetching its key if needed,
    /// and return its claims as `T` ([`AlbClaims`], or your own
    /// [`TokenClaims`] type, built from the payload).
    ///
    /// # Errors
    /// An [`Error`] whose [`kind`](Error::kind) says why the token was
    /// refused: [`ErrorKind::InvalidIssuer`](crate::ErrorKind::InvalidIssuer)
    /// for a `signer` (or `iss`) that is not configured,
    /// [`ErrorKind::InvalidAudience`](crate::ErrorKind::InvalidAudience) for
    /// a `client` that is not,
    /// [`ErrorKind::UnknownKid`](crate::ErrorKind::UnknownKid) when the load
    /// balancer has no key with the token's kid (or publishes one that is
    /// not a P-256 key: as an unusable key in a key set, it is skipped),
    /// and [`ErrorKind::JwksUnavailable`](crate::ErrorKind::JwksUnavailable)
    /// when its key endpoint fails (any answer other than the key, a 404,
    /// or the 403 an S3 key bucket gives for a missing key) or the key has
    /// not been confirmed for longer than the
    /// [maximum staleness](crate::KeySetOptions::max_staleness).
    pub async fn verify<T: TokenClaims>(&self, token: &str) -> Result<T, Error> {
        self.verify_with(token, &crate::requirements::NONE).await
    }

    /// [`verify`](Self::verify), then check `requirements` (and the custom
    /// check, if any) against the claims.
    ///
    /// # Errors
    /// As [`verify`](Self::verify), and the requirement's kind when one is
    /// not met.
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

    /// Verify with cached keys only; never waits on the network, and
    /// gives the verdicts of [`verify`](Self::verify) once the key is
    /// fetched.
    ///
    /// A kid not cached yet starts its fetch in the background (one per
    /// key endpoint at a time, within the same cool-down and back-off as
    /// `verify`), on the caller's Tokio runtime, else the one the verifier
    /// was built or first used on; later calls find the key. So a verifier
    /// used only synchronously (a tonic interceptor) loads its keys too.
    ///
    /// # Errors
    /// As [`verify`](Self::verify) (a kid the load balancer is known not
    /// to have is [`ErrorKind::UnknownKid`](crate::ErrorKind::UnknownKid),
    /// an endpoint in its back-off
    /// [`ErrorKind::JwksUnavailable`](crate::ErrorKind::JwksUnavailable));
    /// [`ErrorKind::JwksNotCached`](crate::ErrorKind::JwksNotCached) while
    /// the token's key is being fetched, or when there is no Tokio runtime
    /// to fetch it on.
    pub fn verify_sync<T: TokenClaims>(&self, token: &str) -> Result<T, Error> {
        self.verify_sync_with(token, &crate::requirements::NONE)
    }

    /// [`verify_sync`](Self::verify_sync), then check `requirements` (and
    /// the custom check, if any) against the claims.
    ///
    /// # Errors
    /// As [`verify_sync`](Self::verify_sync) and
    /// [`verify_with`](Self::verify_with).
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

    /// The state of every key endpoint (one per region in use):
    /// `never_fetched` until the first token arrives (keys are fetched by
    /// `kid`, so there is nothing to fetch ahead), `fresh` once its last
    /// fetch worked, `stale` or `unavailable` after a failure. Ready
    /// unless an endpoint is unavailable: a load balancer's health check
    /// on a readiness route must pass before any token can arrive.
    pub fn health(&self) -> Health {
        self.inner.health()
    }

    /// Whether every key endpoint can serve: see [`health`](Self::health).
    pub fn is_ready(&self) -> bool {
        self.health().ready
    }

    /// The key endpoints, one per region in use: keys are fetched from
    /// `<endpoint>/<kid>`.
    pub fn key_endpoints(&self) -> impl Iterator<Item = &str> {
        (0..self.inner.keys.source_count()).map(|i| self.inner.keys.configured_url(i))
    }
}
