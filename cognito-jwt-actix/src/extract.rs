//! The extractors.

use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header::{AUTHORIZATION, COOKIE, HeaderMap, HeaderValue};
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use cognito_jwt_core::http::AuthRejection;
use cognito_jwt_core::{CognitoJwtVerifier, TokenClaims};

use crate::config::CognitoConfig;
use crate::error::CognitoError;

type LocalBoxFuture<T> = Pin<Box<dyn Future<Output = T>>>;

/// The verified claims of the request's token; refuses the request with a
/// [`CognitoError`] otherwise.
///
/// `T` is [`AccessTokenClaims`](cognito_jwt_core::AccessTokenClaims),
/// [`IdTokenClaims`](cognito_jwt_core::IdTokenClaims),
/// `serde_json::Value` or your own [`TokenClaims`] type.
///
/// Behind [`CognitoAuth<T>`](crate::CognitoAuth) this is the claims the
/// middleware verified. Elsewhere the extractor verifies the token itself,
/// with the verifier registered as `web::Data<CognitoJwtVerifier>` or as
/// plain app data (`App::app_data(verifier)`); without one, the request
/// fails with 500 and an error is logged. The token is read as
/// [`CognitoConfig`] says (the `Authorization: Bearer` header by default).
///
/// ```
/// use cognito_jwt_actix::CognitoClaims;
/// use cognito_jwt_core::AccessTokenClaims;
///
/// async fn me(claims: CognitoClaims<AccessTokenClaims>) -> &'static str {
///     if claims.in_group("admins") { "hello, admin" } else { "hello" }
/// }
/// ```
#[derive(Debug, Clone)]
pub struct CognitoClaims<T>(pub T);

impl<T> CognitoClaims<T> {
    /// The claims.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for CognitoClaims<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for CognitoClaims<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

/// The claims when the request has a token, `None` when it has none; a
/// token that is present but bad (or a malformed `Authorization` header)
/// still refuses the request.
///
/// Use this rather than `Option<CognitoClaims<T>>`: actix-web's `Option`
/// extractor turns *every* error into `None`, so a forged or expired token
/// would be treated as an anonymous visitor.
///
/// ```
/// use cognito_jwt_actix::OptionalCognitoClaims;
/// use cognito_jwt_core::AccessTokenClaims;
///
/// async fn home(OptionalCognitoClaims(user): OptionalCognitoClaims<AccessTokenClaims>) -> &'static str {
///     match user {
///         Some(_) => "your feed",
///         None => "public feed",
///     }
/// }
/// ```
#[derive(Debug, Clone)]
pub struct OptionalCognitoClaims<T>(pub Option<T>);

impl<T> OptionalCognitoClaims<T> {
    /// The claims, if a token was sent.
    pub fn into_inner(self) -> Option<T> {
        self.0
    }
}

impl<T> Deref for OptionalCognitoClaims<T> {
    type Target = Option<T>;

    fn deref(&self) -> &Option<T> {
        &self.0
    }
}

impl<T> DerefMut for OptionalCognitoClaims<T> {
    fn deref_mut(&mut self) -> &mut Option<T> {
        &mut self.0
    }
}

/// What [`CognitoAuth`](crate::CognitoAuth) leaves in the request
/// extensions for extractors of another claims type.
#[derive(Clone)]
pub(crate) struct Installed {
    pub(crate) verifier: CognitoJwtVerifier,
    pub(crate) config: CognitoConfig,
}

/// The token as `config` says to find it.
pub(crate) fn find_token<'a>(
    headers: &'a HeaderMap,
    config: &CognitoConfig,
) -> Result<&'a str, AuthRejection> {
    config.source().extract(
        headers.get_all(AUTHORIZATION).map(HeaderValue::as_bytes),
        headers.get_all(COOKIE).map(HeaderValue::as_bytes),
    )
}

enum Failure {
    Refused(CognitoError),
    NoVerifier,
}

impl From<Failure> for actix_web::Error {
    fn from(failure: Failure) -> Self {
        match failure {
            Failure::Refused(error) => {
                error.rejection().log();
                error.into()
            }
            Failure::NoVerifier => {
                tracing::error!(
                    "no CognitoJwtVerifier for this request: register one with \
                     App::app_data(web::Data::new(verifier)) or wrap the scope in CognitoAuth"
                );
                actix_web::error::ErrorInternalServerError("authentication is not configured")
            }
        }
    }
}

async fn authenticate<T: TokenClaims>(req: &HttpRequest) -> Result<T, Failure> {
    let installed = req.extensions().get::<Installed>().cloned();
    let (verifier, config) = match installed {
        Some(Installed { verifier, config }) => (verifier, config),
        None => {
            let verifier = req
                .app_data::<web::Data<CognitoJwtVerifier>>()
                .map(|data| data.get_ref().clone())
                .or_else(|| req.app_data::<CognitoJwtVerifier>().cloned())
                .ok_or(Failure::NoVerifier)?;
            (verifier, CognitoConfig::from_app(req))
        }
    };
    let refused = |rejection| Failure::Refused(CognitoError::new(rejection, &config));
    let token = find_token(req.headers(), &config).map_err(refused)?;
    verifier
        .verify::<T>(token)
        .await
        .map_err(|error| refused(error.into()))
}

fn verified<T: TokenClaims>(req: &HttpRequest) -> Option<T> {
    req.extensions()
        .get::<CognitoClaims<T>>()
        .map(|claims| claims.0.clone())
}

impl<T: TokenClaims> FromRequest for CognitoClaims<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            if let Some(claims) = verified(&req) {
                return Ok(Self(claims));
            }
            Ok(Self(authenticate(&req).await?))
        })
    }
}

impl<T: TokenClaims> FromRequest for OptionalCognitoClaims<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            if let Some(claims) = verified(&req) {
                return Ok(Self(Some(claims)));
            }
            match authenticate(&req).await {
                Ok(claims) => Ok(Self(Some(claims))),
                Err(Failure::Refused(error)) if error.rejection().is_missing() => Ok(Self(None)),
                Err(failure) => Err(failure.into()),
            }
        })
    }
}
