//! Extractors for requests behind an Application Load Balancer: the
//! identity is the `x-amzn-oidc-data` header the load balancer signs, not a
//! bearer token.

use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use cognito_jwt_core::http::AuthRejection;
use cognito_jwt_core::{
    ALB_ACCESS_TOKEN_HEADER, ALB_DATA_HEADER, AccessTokenClaims, AlbClaims, AlbJwtVerifier,
    CognitoJwtVerifier, Requirements, TokenClaims,
};

use crate::config::CognitoConfig;
use crate::error::CognitoError;
use crate::extract::{Installed, values};

type LocalBoxFuture<T> = Pin<Box<dyn Future<Output = T>>>;

/// The verified claims of the `x-amzn-oidc-data` header an Application
/// Load Balancer adds to the requests it has authenticated; refuses the
/// request with a [`CognitoError`] otherwise.
///
/// `T` is [`AlbClaims`] (the default), `serde_json::Value` or your own
/// [`TokenClaims`] type. The [`AlbJwtVerifier`] is the one registered as
/// `web::Data<AlbJwtVerifier>` or as plain app data; without one, the
/// request fails with 500 and an error is logged. Refusals are rendered as
/// for [`CognitoClaims`](crate::CognitoClaims), with the app's
/// [`CognitoConfig`] (realm, error handler): 401 with a bare challenge
/// without the header, 400 for a malformed one, 401 `invalid_token` for a
/// refused token, 503 with `Retry-After` when the load balancer's key
/// cannot be fetched.
///
/// ```
/// use actix_web::{App, web};
/// use cognito_jwt_actix::AlbIdentity;
/// use cognito_jwt_core::AlbJwtVerifier;
///
/// async fn me(AlbIdentity(claims): AlbIdentity) -> String {
///     format!("hello {}", claims.email.as_deref().unwrap_or(&claims.sub))
/// }
///
/// fn configure(verifier: AlbJwtVerifier, cfg: &mut web::ServiceConfig) {
///     cfg.app_data(web::Data::new(verifier))
///         .route("/me", web::get().to(me));
/// }
/// ```
#[derive(Debug, Clone)]
pub struct AlbIdentity<T = AlbClaims>(pub T);

impl<T> AlbIdentity<T> {
    /// The claims.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for AlbIdentity<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for AlbIdentity<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

/// The claims when the request has an `x-amzn-oidc-data` header, `None`
/// when it has none (a load balancer rule that lets unauthenticated
/// requests through); a header that is present but bad still refuses the
/// request.
///
/// Use this rather than `Option<AlbIdentity<T>>`: actix-web's `Option`
/// extractor turns *every* error into `None`.
///
/// ```
/// use cognito_jwt_actix::OptionalAlbIdentity;
///
/// async fn home(OptionalAlbIdentity(user): OptionalAlbIdentity) -> &'static str {
///     if user.is_some() { "your feed" } else { "the public feed" }
/// }
/// ```
#[derive(Debug, Clone)]
pub struct OptionalAlbIdentity<T = AlbClaims>(pub Option<T>);

impl<T> OptionalAlbIdentity<T> {
    /// The claims, if the header was sent.
    pub fn into_inner(self) -> Option<T> {
        self.0
    }
}

impl<T> Deref for OptionalAlbIdentity<T> {
    type Target = Option<T>;

    fn deref(&self) -> &Option<T> {
        &self.0
    }
}

impl<T> DerefMut for OptionalAlbIdentity<T> {
    fn deref_mut(&mut self) -> &mut Option<T> {
        &mut self.0
    }
}

/// The verified `x-amzn-oidc-data` claims, and the `x-amzn-oidc-accesstoken`
/// header (the identity provider's access token, passed along by the load
/// balancer) verified by a Cognito verifier, for handlers that need both.
///
/// The verifiers are the [`AlbJwtVerifier`] and the [`CognitoJwtVerifier`]
/// (for the user pool's access tokens) registered on the app, as
/// `web::Data` or plain app data. The access token must belong to the same
/// user (`sub`); a missing one is refused like a missing
/// `x-amzn-oidc-data` (401, bare challenge), one of another user with 401
/// `invalid_token`. See
/// [`authenticate_alb_with_access_token`](cognito_jwt_core::http::authenticate_alb_with_access_token).
///
/// ```
/// use cognito_jwt_actix::AlbWithAccessToken;
///
/// async fn orders(user: AlbWithAccessToken) -> String {
///     format!("orders of {} (client {})", user.identity.sub, user.access.client_id())
/// }
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AlbWithAccessToken {
    /// The claims of `x-amzn-oidc-data`.
    pub identity: AlbClaims,
    /// The claims of `x-amzn-oidc-accesstoken`, for the same user.
    pub access: AccessTokenClaims,
}

/// The verifier of type `V` registered on the app, as `web::Data<V>` or
/// plain app data, or the 500 that says it is missing.
/// `name` is the type's, for the log.
fn registered<V: Clone + 'static>(req: &HttpRequest, name: &str) -> Result<V, actix_web::Error> {
    crate::extract::registered(req).ok_or_else(|| {
        tracing::error!(
            "no {name} for this request: register one with App::app_data(web::Data::new(verifier))"
        );
        actix_web::error::ErrorInternalServerError("authentication is not configured")
    })
}

/// The load balancer's verifier registered on the app, with the app's
/// configuration.
fn installed(req: &HttpRequest) -> Result<Installed, actix_web::Error> {
    Ok(Installed {
        verifier: registered::<AlbJwtVerifier>(req, "AlbJwtVerifier")?.into(),
        config: CognitoConfig::from_app(req),
    })
}

fn refuse(req: &HttpRequest) -> impl FnOnce(AuthRejection) -> actix_web::Error {
    let config = CognitoConfig::from_app(req);
    move |rejection| CognitoError::new(rejection, &config).into()
}

impl<T: TokenClaims> FromRequest for AlbIdentity<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            installed(&req)?
                .authenticate(&req, &Requirements::new())
                .await
                .map(Self)
                .map_err(Into::into)
        })
    }
}

impl<T: TokenClaims> FromRequest for OptionalAlbIdentity<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            installed(&req)?
                .authenticate_optional(&req, &Requirements::new())
                .await
                .map(Self)
                .map_err(Into::into)
        })
    }
}

impl FromRequest for AlbWithAccessToken {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let verifier: AlbJwtVerifier = registered(&req, "AlbJwtVerifier")?;
            let access: CognitoJwtVerifier = registered(&req, "CognitoJwtVerifier")?;
            let (identity, access) = cognito_jwt_core::http::authenticate_alb_with_access_token(
                &verifier,
                &access,
                &Requirements::new(),
                values(req.headers(), ALB_DATA_HEADER),
                values(req.headers(), ALB_ACCESS_TOKEN_HEADER),
            )
            .await
            .map_err(refuse(&req))?;
            Ok(Self { identity, access })
        })
    }
}
