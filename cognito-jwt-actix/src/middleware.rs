//! The middleware that guards a whole app, scope or resource.

use std::fmt;
use std::future::{Future, Ready, ready};
use std::marker::PhantomData;
use std::pin::Pin;
use std::rc::Rc;

use actix_web::HttpMessage;
use actix_web::body::EitherBody;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use cognito_jwt_core::{AccessTokenClaims, AnyVerifier, Requirements, TokenClaims, Verify};

use crate::config::CognitoConfig;
use crate::extract::{CognitoClaims, Installed, Verified};

/// Middleware that verifies every request it wraps and refuses the ones
/// without a valid token (see [`CognitoError`](crate::CognitoError) for the
/// answers).
///
/// `T` is the claims type, [`AccessTokenClaims`] unless changed with
/// [`claims`](Self::claims). The [`CognitoClaims<T>`] and
/// [`OptionalCognitoClaims<T>`] extractors behind it take the claims it
/// verified without verifying again; they trust nothing else in the
/// request extensions, so a `CognitoClaims<T>` that another middleware put
/// there is ignored. The claims are also left as `CognitoClaims<T>` for
/// `web::ReqData<CognitoClaims<T>>`. Extractors of another claims type
/// behind this middleware use its verifier and configuration.
///
/// ```
/// use actix_web::{web, App};
/// use cognito_jwt_actix::{CognitoAuth, CognitoClaims, TokenSource, CognitoConfig};
/// use cognito_jwt_core::{AccessTokenClaims, CognitoJwtVerifier, IdTokenClaims};
///
/// async fn dashboard(_admin: CognitoClaims<AccessTokenClaims>) -> &'static str {
///     "admin dashboard"
/// }
///
/// async fn profile(user: CognitoClaims<IdTokenClaims>) -> String {
///     user.email().unwrap_or_default().to_owned()
/// }
///
/// fn app(verifier: CognitoJwtVerifier) {
///     let session = CognitoConfig::new().token_source(TokenSource::Cookie("id_token".into()));
///     App::new()
///         .service(
///             web::scope("/admin")
///                 .wrap(CognitoAuth::new(verifier.clone()).require_any_group("admins"))
///                 .route("/dashboard", web::get().to(dashboard)),
///         )
///         .service(
///             web::scope("/profile")
///                 .wrap(CognitoAuth::new(verifier).claims::<IdTokenClaims>().config(session))
///                 .route("", web::get().to(profile)),
///         );
/// }
/// ```
///
/// [`OptionalCognitoClaims<T>`]: crate::OptionalCognitoClaims
#[must_use]
pub struct CognitoAuth<T = AccessTokenClaims> {
    verifier: AnyVerifier,
    requirements: Requirements,
    config: Option<CognitoConfig>,
    optional: bool,
    claims: PhantomData<fn() -> T>,
}

impl<T> Clone for CognitoAuth<T> {
    fn clone(&self) -> Self {
        Self {
            verifier: self.verifier.clone(),
            requirements: self.requirements.clone(),
            config: self.config.clone(),
            optional: self.optional,
            claims: PhantomData,
        }
    }
}

impl<T> fmt::Debug for CognitoAuth<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CognitoAuth")
            .field("verifier", &self.verifier)
            .field("requirements", &self.requirements)
            .field("config", &self.config)
            .field("optional", &self.optional)
            .finish()
    }
}

impl CognitoAuth {
    /// Verify every request with `verifier` (and the requirements set on
    /// it), as an access token, read where that verifier's tokens travel
    /// (the `Authorization` header, or `x-amzn-oidc-data` for an
    /// [`AlbJwtVerifier`](cognito_jwt_core::AlbJwtVerifier)). Change the
    /// claims type with [`claims`](Self::claims). `verifier` is a
    /// [`CognitoJwtVerifier`](cognito_jwt_core::CognitoJwtVerifier), a
    /// [`JwtVerifier`](cognito_jwt_core::JwtVerifier) (then use
    /// `StandardClaims` or your own claims type) or an `AlbJwtVerifier`
    /// (then `AlbClaims` or your own).
    pub fn new(verifier: impl Verify) -> Self {
        Self {
            verifier: verifier.into(),
            requirements: Requirements::new(),
            config: None,
            optional: false,
            claims: PhantomData,
        }
    }
}

impl<T> CognitoAuth<T> {
    /// Deserialize the claims into `U` instead (e.g. `IdTokenClaims`, or
    /// your own type). Defaults to `AccessTokenClaims`.
    pub fn claims<U: TokenClaims>(self) -> CognitoAuth<U> {
        CognitoAuth {
            verifier: self.verifier,
            requirements: self.requirements,
            config: self.config,
            optional: self.optional,
            claims: PhantomData,
        }
    }

    /// Also require a group (`cognito:groups`); several calls mean any of
    /// them. A valid token outside every group gets 403
    /// `insufficient_scope`.
    /// An empty or blank name names nothing: every request is then refused
    /// (see [`Requirements`](cognito_jwt_core::Requirements), whose
    /// `validate` checks names at start-up).
    pub fn require_any_group(mut self, group: impl Into<String>) -> Self {
        self.requirements = self.requirements.any_group(group);
        self
    }

    /// Also require a scope; several calls mean any of them. A valid token
    /// without one gets 403 `insufficient_scope`.
    /// An empty or blank name names nothing: every request is then refused
    /// (see [`Requirements`](cognito_jwt_core::Requirements), whose
    /// `validate` checks names at start-up).
    pub fn require_any_scope(mut self, scope: impl Into<String>) -> Self {
        self.requirements = self.requirements.any_scope(scope);
        self
    }

    /// Also require `rule` of the claims (see
    /// [`ClaimRule`](cognito_jwt_core::ClaimRule)); several calls mean all
    /// of them. A valid token it refuses gets 403 `insufficient_scope`.
    pub fn require_claim(mut self, rule: cognito_jwt_core::ClaimRule) -> Self {
        self.requirements = self.requirements.claim(rule);
        self
    }

    /// Step-up (RFC 9470): also require the token's `acr` to be `acr`;
    /// several calls mean any of them. A token refused gets 401
    /// `insufficient_user_authentication` with `acr_values` in the
    /// challenge.
    pub fn require_any_acr(mut self, acr: impl Into<String>) -> Self {
        self.requirements = self.requirements.any_acr(acr);
        self
    }

    /// Step-up (RFC 9470): also require the token's `amr` to include
    /// `method` (such as `mfa`); several calls mean all of them. A token
    /// refused gets 401 `insufficient_user_authentication`.
    pub fn require_all_amr(mut self, method: impl Into<String>) -> Self {
        self.requirements = self.requirements.all_amr(method);
        self
    }

    /// Step-up (RFC 9470): also require the user to have signed in
    /// (`auth_time`) at most `age` ago. A token refused gets 401
    /// `insufficient_user_authentication` with `max_age` in the challenge.
    pub fn require_max_auth_age(mut self, age: std::time::Duration) -> Self {
        self.requirements = self.requirements.max_auth_age(age);
        self
    }

    /// Replace every requirement (groups, scopes, claim rules, step-up)
    /// with `requirements`.
    pub fn requirements(mut self, requirements: Requirements) -> Self {
        self.requirements = requirements;
        self
    }

    /// Let requests without credentials through, without claims; a request
    /// with a bad token is still refused. Handlers then decide with
    /// [`CognitoClaims<T>`] (refuses anonymous requests) or
    /// [`OptionalCognitoClaims<T>`](crate::OptionalCognitoClaims). Off by
    /// default.
    pub fn optional(mut self) -> Self {
        self.optional = true;
        self
    }

    /// Read tokens and render refusals with `config`. Defaults to the
    /// [`CognitoConfig`] registered on the `App`, or the defaults.
    pub fn config(mut self, config: CognitoConfig) -> Self {
        self.config = Some(config);
        self
    }
}

impl<S, B, T> Transform<S, ServiceRequest> for CognitoAuth<T>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: 'static,
    T: TokenClaims,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Transform = CognitoAuthMiddleware<S, T>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(CognitoAuthMiddleware {
            service: Rc::new(service),
            auth: Rc::new(self.clone()),
        }))
    }
}

/// The service made by [`CognitoAuth`].
pub struct CognitoAuthMiddleware<S, T = AccessTokenClaims> {
    service: Rc<S>,
    auth: Rc<CognitoAuth<T>>,
}

impl<S, T> fmt::Debug for CognitoAuthMiddleware<S, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CognitoAuthMiddleware")
            .field("auth", &self.auth)
            .finish_non_exhaustive()
    }
}

impl<S, B, T> Service<ServiceRequest> for CognitoAuthMiddleware<S, T>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: 'static,
    T: TokenClaims,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>>>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let service = Rc::clone(&self.service);
        let auth = Rc::clone(&self.auth);
        Box::pin(async move {
            let installed = Installed {
                verifier: auth.verifier.clone(),
                config: match &auth.config {
                    Some(config) => config.clone(),
                    None => CognitoConfig::from_app(req.request()),
                },
            };
            let (request, requirements) = (req.request(), &auth.requirements);
            let outcome = if auth.optional {
                installed
                    .authenticate_optional::<T>(request, requirements)
                    .await
            } else {
                installed
                    .authenticate::<T>(request, requirements)
                    .await
                    .map(Some)
            };
            let claims = match outcome {
                Ok(claims) => claims,
                Err(error) => return Ok(req.error_response(error).map_into_right_body()),
            };
            {
                let mut extensions = req.extensions_mut();
                if let Some(claims) = claims {
                    extensions.insert(Verified(claims.clone()));
                    extensions.insert(CognitoClaims(claims));
                }
                extensions.insert(installed);
            }
            service
                .call(req)
                .await
                .map(ServiceResponse::map_into_left_body)
        })
    }
}
