//! The extractors.

use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header::{AsHeaderName, COOKIE, HeaderMap, HeaderValue};
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use cognito_jwt_core::http::{HttpRequest as CoreRequest, TokenSource};
use cognito_jwt_core::{
    AlbJwtVerifier, AnyVerifier, CognitoJwtVerifier, JwtVerifier, Requirements, TokenClaims, Verify,
};

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
/// with the verifier registered as `web::Data<CognitoJwtVerifier>` (or
/// `web::Data<JwtVerifier>`) or as plain app data
/// (`App::app_data(verifier)`); without one, the request
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

/// Claims verified by [`CognitoAuth`](crate::CognitoAuth). Private, so the
/// extractors can trust it: unlike a [`CognitoClaims<T>`] in the
/// extensions, no other middleware can have put it there.
#[derive(Clone)]
pub(crate) struct Verified<T>(pub(crate) T);

/// The claims [`CognitoAuth`](crate::CognitoAuth) verified, if any.
fn verified<T: TokenClaims>(req: &HttpRequest) -> Option<T> {
    let extensions = req.extensions();
    let Verified(claims) = extensions.get::<Verified<T>>()?;
    Some(claims.clone())
}

/// The verifier and configuration a request is checked with. Left in the
/// request extensions by [`CognitoAuth`](crate::CognitoAuth), for
/// extractors of another claims type.
#[derive(Clone)]
pub(crate) struct Installed {
    pub(crate) verifier: AnyVerifier,
    pub(crate) config: CognitoConfig,
}

impl Installed {
    /// What an enclosing [`CognitoAuth`](crate::CognitoAuth) installed,
    /// else the verifier and configuration registered on the app.
    pub(crate) fn of(req: &HttpRequest) -> Result<Self, actix_web::Error> {
        if let Some(installed) = req.extensions().get::<Self>() {
            return Ok(installed.clone());
        }
        let verifier = app_verifier::<CognitoJwtVerifier>(req)
            .or_else(|| app_verifier::<JwtVerifier>(req))
            .or_else(|| app_verifier::<AlbJwtVerifier>(req))
            .or_else(|| app_verifier::<AnyVerifier>(req));
        match verifier {
            Some(verifier) => Ok(Self {
                verifier,
                config: CognitoConfig::from_app(req),
            }),
            None => {
                tracing::error!(
                    "no verifier for this request: register a CognitoJwtVerifier, a \
                     JwtVerifier or an AlbJwtVerifier with \
                     App::app_data(web::Data::new(verifier)) or wrap the scope in CognitoAuth"
                );
                Err(actix_web::error::ErrorInternalServerError(
                    "authentication is not configured",
                ))
            }
        }
    }

    /// Find the token in the request and verify it (with its DPoP proof
    /// when the verifier accepts them); see
    /// [`cognito_jwt_core::http::authenticate_request`].
    pub(crate) async fn authenticate<T: TokenClaims>(
        &self,
        req: &HttpRequest,
        requirements: &Requirements,
    ) -> Result<T, CognitoError> {
        let source = self.config.source(&self.verifier);
        cognito_jwt_core::http::authenticate_request(
            &self.verifier,
            &source,
            requirements,
            &request_of(req, &source),
        )
        .await
        .map_err(|rejection| CognitoError::new(rejection, &self.config))
    }

    /// As [`authenticate`](Self::authenticate), `None` when the request
    /// carries no credentials; see
    /// [`cognito_jwt_core::http::authenticate_request_optional`].
    pub(crate) async fn authenticate_optional<T: TokenClaims>(
        &self,
        req: &HttpRequest,
        requirements: &Requirements,
    ) -> Result<Option<T>, CognitoError> {
        let source = self.config.source(&self.verifier);
        cognito_jwt_core::http::authenticate_request_optional(
            &self.verifier,
            &source,
            requirements,
            &request_of(req, &source),
        )
        .await
        .map_err(|rejection| CognitoError::new(rejection, &self.config))
    }

    /// Sign the request's caller out; see
    /// [`cognito_jwt_core::http::sign_out`] (never from a cookie).
    pub(crate) async fn sign_out(&self, headers: &HeaderMap) -> Result<(), CognitoError> {
        cognito_jwt_core::http::sign_out(
            &self.verifier,
            values(headers, Verify::token_source(&self.verifier).header_name()),
        )
        .await
        .map(drop)
        .map_err(|rejection| CognitoError::new(rejection, &self.config))
    }
}

/// The `V` registered on the app, as `web::Data<V>` or as plain app data.
pub(crate) fn registered<V: Clone + 'static>(req: &HttpRequest) -> Option<V> {
    req.app_data::<web::Data<V>>()
        .map(|data| data.get_ref().clone())
        .or_else(|| req.app_data::<V>().cloned())
}

/// A verifier of type `V` registered on the app, as any verifier.
fn app_verifier<V: Clone + Into<AnyVerifier> + 'static>(req: &HttpRequest) -> Option<AnyVerifier> {
    registered::<V>(req).map(Into::into)
}

/// The `DPoP` request header (RFC 9449).
pub(crate) const DPOP: &str = "dpop";

/// `req` as the core reads it: method, target, and the headers that carry
/// credentials.
fn request_of<'a>(req: &'a HttpRequest, source: &TokenSource) -> CoreRequest<'a> {
    let uri = req.uri();
    let target = uri
        .path_and_query()
        .map_or_else(|| uri.path(), |target| target.as_str());
    CoreRequest::new(req.method().as_str(), target)
        .token_header(values(req.headers(), source.header_name()))
        .dpop(values(req.headers(), DPOP))
        .cookies(values(req.headers(), COOKIE))
}

/// The values of every `name` header, in order.
pub(crate) fn values(headers: &HeaderMap, name: impl AsHeaderName) -> impl Iterator<Item = &[u8]> {
    headers.get_all(name).map(HeaderValue::as_bytes)
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
            let claims = Installed::of(&req)?
                .authenticate(&req, &Requirements::new())
                .await?;
            Ok(Self(claims))
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
            let claims = Installed::of(&req)?
                .authenticate_optional(&req, &Requirements::new())
                .await?;
            Ok(Self(claims))
        })
    }
}
