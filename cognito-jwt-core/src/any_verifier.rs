//! [`Verify`]: what adapters and request-level code need of a verifier,
//! implemented by the three verifiers and by [`AnyVerifier`].

use std::future::Future;

use crate::alb::AlbJwtVerifier;
use crate::claims::TokenClaims;
use crate::cognito::CognitoJwtVerifier;
use crate::dpop::DpopRequest;
use crate::error::{Error, ErrorKind};
use crate::health::Health;
use crate::http::{DpopSupport, TokenSource};
use crate::oidc::JwtVerifier;
use crate::requirements::Requirements;
use crate::revocation::RevocationList;

mod sealed {
    pub trait Sealed {}
}

/// A verifier of any kind, [`CognitoJwtVerifier`], [`JwtVerifier`] or
/// [`AlbJwtVerifier`]: what [`http::authenticate`](crate::http::authenticate),
/// [`http::Readiness`](crate::http::Readiness), the web framework adapters
/// and the Lambda authorizer take, so that one code path serves all three.
///
/// Sealed: the three verifiers (and [`AnyVerifier`], which holds any of
/// them) are its only implementations.
///
/// ```
/// use cognito_jwt_core::{Error, StandardClaims, Verify};
///
/// async fn subject(verifier: &impl Verify, token: &str) -> Result<Option<String>, Error> {
///     let claims: StandardClaims = verifier.verify_with(token, &Default::default()).await?;
///     Ok(claims.sub)
/// }
/// ```
pub trait Verify:
    sealed::Sealed + Clone + std::fmt::Debug + Send + Sync + Into<AnyVerifier> + 'static
{
    /// Verify `token` and check `requirements`, as
    /// [`CognitoJwtVerifier::verify_with`], [`JwtVerifier::verify_with`]
    /// and [`AlbJwtVerifier::verify_with`].
    ///
    /// # Errors
    /// An [`Error`] whose [`kind`](Error::kind) says why the token was refused.
    fn verify_with<T: TokenClaims>(
        &self,
        token: &str,
        requirements: &Requirements,
    ) -> impl Future<Output = Result<T, Error>> + Send;

    /// Verify `token`, sent with the `DPoP` scheme in `request`, and check
    /// `requirements`, as [`JwtVerifier::verify_dpop_with`] and
    /// [`CognitoJwtVerifier::verify_dpop_with`]; an [`AlbJwtVerifier`]
    /// refuses it (a load balancer's tokens are never DPoP-bound).
    ///
    /// # Errors
    /// An [`Error`] whose [`kind`](Error::kind) says why the token or the
    /// proof was refused.
    fn verify_dpop_with<T: TokenClaims>(
        &self,
        token: &str,
        requirements: &Requirements,
        request: &DpopRequest<'_>,
    ) -> impl Future<Output = Result<T, Error>> + Send;

    /// Whether, and how, the verifier accepts DPoP proofs (`dpop` on its
    /// builder): what [`http::authenticate_request`](crate::http::authenticate_request)
    /// needs to check a request and answer it. `None` for bearer tokens
    /// only.
    fn dpop_support(&self) -> Option<DpopSupport<'_>> {
        None
    }

    /// The state of the verifier's key sets, in detail (see
    /// [`http::Readiness`](crate::http::Readiness) for a public probe).
    fn health(&self) -> Health;

    /// Fetch every key set now (at start-up, to fail fast or to log a
    /// problem early), as [`CognitoJwtVerifier::hydrate`] and
    /// [`JwtVerifier::hydrate`].
    ///
    /// # Errors
    /// [`ErrorKind::JwksUnavailable`](crate::ErrorKind::JwksUnavailable)
    /// for the first key set that could not be fetched.
    fn hydrate(&self) -> impl Future<Output = Result<(), Error>> + Send;

    /// Where requests carry this verifier's tokens, which the adapters read
    /// unless told otherwise: `Authorization: Bearer`, or for an
    /// [`AlbJwtVerifier`] the `x-amzn-oidc-data` header
    /// ([`TokenSource::AlbData`]).
    fn token_source(&self) -> TokenSource {
        TokenSource::AuthorizationHeader
    }

    /// The revocation list the verifier checks, if it was given one
    /// (`revocation` on its builder): what a sign-out handler revokes
    /// through ([`http::sign_out`](crate::http::sign_out)).
    fn revocation(&self) -> Option<&RevocationList> {
        None
    }
}

/// Any verifier, for code that holds one without being generic (the
/// adapters' layers and middleware store this).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum AnyVerifier {
    /// Cognito user pools.
    Cognito(CognitoJwtVerifier),
    /// Any OpenID Connect or OAuth 2.0 issuer.
    Jwt(JwtVerifier),
    /// Application Load Balancers (`x-amzn-oidc-data`).
    Alb(AlbJwtVerifier),
}

impl From<CognitoJwtVerifier> for AnyVerifier {
    fn from(verifier: CognitoJwtVerifier) -> Self {
        Self::Cognito(verifier)
    }
}

impl From<JwtVerifier> for AnyVerifier {
    fn from(verifier: JwtVerifier) -> Self {
        Self::Jwt(verifier)
    }
}

impl From<AlbJwtVerifier> for AnyVerifier {
    fn from(verifier: AlbJwtVerifier) -> Self {
        Self::Alb(verifier)
    }
}

impl sealed::Sealed for AlbJwtVerifier {}
impl sealed::Sealed for CognitoJwtVerifier {}
impl sealed::Sealed for JwtVerifier {}
impl sealed::Sealed for AnyVerifier {}

impl Verify for CognitoJwtVerifier {
    async fn verify_with<T: TokenClaims>(
        &self,
        token: &str,
        requirements: &Requirements,
    ) -> Result<T, Error> {
        CognitoJwtVerifier::verify_with(self, token, requirements).await
    }

    async fn verify_dpop_with<T: TokenClaims>(
        &self,
        token: &str,
        requirements: &Requirements,
        request: &DpopRequest<'_>,
    ) -> Result<T, Error> {
        CognitoJwtVerifier::verify_dpop_with(self, token, requirements, request).await
    }

    fn dpop_support(&self) -> Option<DpopSupport<'_>> {
        self.inner
            .dpop
            .as_deref()
            .map(crate::dpop::DpopConfig::support)
    }

    fn health(&self) -> Health {
        CognitoJwtVerifier::health(self)
    }

    async fn hydrate(&self) -> Result<(), Error> {
        CognitoJwtVerifier::hydrate(self).await
    }

    fn revocation(&self) -> Option<&RevocationList> {
        self.inner.revocation.as_ref()
    }
}

impl Verify for JwtVerifier {
    async fn verify_with<T: TokenClaims>(
        &self,
        token: &str,
        requirements: &Requirements,
    ) -> Result<T, Error> {
        JwtVerifier::verify_with(self, token, requirements).await
    }

    async fn verify_dpop_with<T: TokenClaims>(
        &self,
        token: &str,
        requirements: &Requirements,
        request: &DpopRequest<'_>,
    ) -> Result<T, Error> {
        JwtVerifier::verify_dpop_with(self, token, requirements, request).await
    }

    fn dpop_support(&self) -> Option<DpopSupport<'_>> {
        self.dpop_config().map(crate::dpop::DpopConfig::support)
    }

    fn health(&self) -> Health {
        JwtVerifier::health(self)
    }

    async fn hydrate(&self) -> Result<(), Error> {
        JwtVerifier::hydrate(self).await
    }

    fn revocation(&self) -> Option<&RevocationList> {
        self.revocation_list()
    }
}

impl Verify for AlbJwtVerifier {
    async fn verify_with<T: TokenClaims>(
        &self,
        token: &str,
        requirements: &Requirements,
    ) -> Result<T, Error> {
        AlbJwtVerifier::verify_with(self, token, requirements).await
    }

    async fn verify_dpop_with<T: TokenClaims>(
        &self,
        _token: &str,
        _requirements: &Requirements,
        _request: &DpopRequest<'_>,
    ) -> Result<T, Error> {
        Err(Error::new(
            ErrorKind::InvalidDpopProof,
            "a load balancer's tokens are not DPoP-bound; they come in x-amzn-oidc-data",
        ))
    }

    fn health(&self) -> Health {
        AlbJwtVerifier::health(self)
    }

    /// Nothing to fetch ahead: a load balancer's keys are fetched by
    /// `kid`, when a token names one.
    async fn hydrate(&self) -> Result<(), Error> {
        Ok(())
    }

    fn token_source(&self) -> TokenSource {
        TokenSource::AlbData
    }

    fn revocation(&self) -> Option<&RevocationList> {
        self.inner.revocation.as_ref()
    }
}

impl Verify for AnyVerifier {
    async fn verify_with<T: TokenClaims>(
        &self,
        token: &str,
        requirements: &Requirements,
    ) -> Result<T, Error> {
        match self {
            Self::Cognito(verifier) => verifier.verify_with(token, requirements).await,
            Self::Jwt(verifier) => verifier.verify_with(token, requirements).await,
            Self::Alb(verifier) => verifier.verify_with(token, requirements).await,
        }
    }

    async fn verify_dpop_with<T: TokenClaims>(
        &self,
        token: &str,
        requirements: &Requirements,
        request: &DpopRequest<'_>,
    ) -> Result<T, Error> {
        match self {
            Self::Cognito(verifier) => {
                Verify::verify_dpop_with(verifier, token, requirements, request).await
            }
            Self::Jwt(verifier) => {
                Verify::verify_dpop_with(verifier, token, requirements, request).await
            }
            Self::Alb(verifier) => {
                Verify::verify_dpop_with(verifier, token, requirements, request).await
            }
        }
    }

    fn dpop_support(&self) -> Option<DpopSupport<'_>> {
        match self {
            Self::Cognito(verifier) => verifier.dpop_support(),
            Self::Jwt(verifier) => verifier.dpop_support(),
            Self::Alb(_) => None,
        }
    }

    fn health(&self) -> Health {
        match self {
            Self::Cognito(verifier) => verifier.health(),
            Self::Jwt(verifier) => verifier.health(),
            Self::Alb(verifier) => verifier.health(),
        }
    }

    async fn hydrate(&self) -> Result<(), Error> {
        match self {
            Self::Cognito(verifier) => verifier.hydrate().await,
            Self::Jwt(verifier) => verifier.hydrate().await,
            Self::Alb(verifier) => Verify::hydrate(verifier).await,
        }
    }

    fn token_source(&self) -> TokenSource {
        match self {
            Self::Alb(verifier) => verifier.token_source(),
            Self::Cognito(_) | Self::Jwt(_) => TokenSource::AuthorizationHeader,
        }
    }

    fn revocation(&self) -> Option<&RevocationList> {
        match self {
            Self::Cognito(verifier) => verifier.revocation(),
            Self::Jwt(verifier) => verifier.revocation(),
            Self::Alb(verifier) => verifier.revocation(),
        }
    }
}
