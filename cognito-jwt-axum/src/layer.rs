//! The tower layer.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use cognito_jwt_core::http::TokenSource;
use cognito_jwt_core::{AccessTokenClaims, Requirements, TokenClaims, Verify};
use http::{Request, Response};
use tower_layer::Layer;
use tower_service::Service;

use crate::rejection::{CognitoRejection, DefaultOnRejection, OnRejection};
use crate::settings::{Settings, Verified};

/// A [`Layer`] that verifies the bearer token of every request, puts the
/// claims `T` into the request extensions and refuses the request
/// otherwise.
///
/// It works on any tower service over `http` requests (axum routers and
/// method routers, hyper services, tonic servers), whatever the body types.
/// Behind it, read the claims with the [`CognitoClaims`](crate::CognitoClaims)
/// extractor (which reuses them rather than verifying again), axum's
/// `Extension<T>`, or `request.extensions().get::<T>()`. Each layer
/// verifies on its own, so a route guard under a router-wide layer checks
/// the token twice; the verifier's token cache (`token_cache_max_bytes`) makes the second check
/// cheap.
///
/// ```
/// use axum::{Router, routing::get};
/// use cognito_jwt_axum::CognitoLayer;
/// use cognito_jwt_core::http::TokenSource;
/// use cognito_jwt_core::{CognitoJwtVerifier, IdTokenClaims};
///
/// fn routes(verifier: CognitoJwtVerifier) -> Router {
///     let auth = CognitoLayer::new(verifier);
///     Router::new()
///         .route("/reports", get(|| async { "reports" }))
///         .route(
///             "/admin",
///             get(|| async { "admin" }).layer(auth.clone().require_any_group("admins")),
///         )
///         .layer(auth)
/// }
///
/// // ID tokens from a browser cookie, with our own realm.
/// fn browser(verifier: CognitoJwtVerifier) -> CognitoLayer<IdTokenClaims> {
///     CognitoLayer::new(verifier)
///         .claims::<IdTokenClaims>()
///         .token_source(TokenSource::Cookie("id_token".to_owned()))
///         .realm("example.com")
/// }
/// ```
#[must_use]
pub struct CognitoLayer<T = AccessTokenClaims, R = DefaultOnRejection> {
    settings: Arc<Settings>,
    requirements: Arc<Requirements>,
    optional: bool,
    on_rejection: R,
    claims: PhantomData<fn() -> T>,
}

impl CognitoLayer {
    /// A layer that requires a valid token checked by `verifier`, read
    /// where that verifier's tokens travel (the `Authorization` header, or
    /// `x-amzn-oidc-data` for an
    /// [`AlbJwtVerifier`](cognito_jwt_core::AlbJwtVerifier)), and answers
    /// refusals with [`DefaultOnRejection`]. The claims are
    /// `AccessTokenClaims` (a
    /// [`CognitoJwtVerifier`](cognito_jwt_core::CognitoJwtVerifier)); give a
    /// [`JwtVerifier`](cognito_jwt_core::JwtVerifier)
    /// `.claims::<StandardClaims>()`, an `AlbJwtVerifier`
    /// `.claims::<AlbClaims>()`, or your own type. Change any of these with
    /// the methods below.
    pub fn new(verifier: impl Verify) -> Self {
        Self {
            settings: Arc::new(Settings::new(verifier.into())),
            requirements: Arc::new(Requirements::new()),
            optional: false,
            on_rejection: DefaultOnRejection,
            claims: PhantomData,
        }
    }
}

impl<T, R> CognitoLayer<T, R> {
    /// Deserialize the claims into `U` instead (e.g. `IdTokenClaims`, or
    /// your own type). Defaults to `AccessTokenClaims`.
    pub fn claims<U: TokenClaims>(self) -> CognitoLayer<U, R> {
        CognitoLayer {
            settings: self.settings,
            requirements: self.requirements,
            optional: self.optional,
            on_rejection: self.on_rejection,
            claims: PhantomData,
        }
    }

    /// Require membership of `group` (`cognito:groups`); several calls
    /// mean any of them. Refused requests get 403 `insufficient_scope`.
    /// An empty or blank name names nothing: every request is then refused
    /// (see [`Requirements`](cognito_jwt_core::Requirements), whose
    /// `validate` checks names at start-up).
    pub fn require_any_group(mut self, group: impl Into<String>) -> Self {
        let requirements = Arc::make_mut(&mut self.requirements);
        *requirements = std::mem::take(requirements).any_group(group);
        self
    }

    /// Require `scope`; several calls mean any of them. Refused requests
    /// get 403 `insufficient_scope`.
    /// An empty or blank name names nothing: every request is then refused
    /// (see [`Requirements`](cognito_jwt_core::Requirements), whose
    /// `validate` checks names at start-up).
    pub fn require_any_scope(mut self, scope: impl Into<String>) -> Self {
        let requirements = Arc::make_mut(&mut self.requirements);
        *requirements = std::mem::take(requirements).any_scope(scope);
        self
    }

    /// Require `rule` of the claims (see
    /// [`ClaimRule`](cognito_jwt_core::ClaimRule)); several calls mean all
    /// of them. Refused requests get 403 `insufficient_scope`.
    pub fn require_claim(mut self, rule: cognito_jwt_core::ClaimRule) -> Self {
        let requirements = Arc::make_mut(&mut self.requirements);
        *requirements = std::mem::take(requirements).claim(rule);
        self
    }

    /// Step-up (RFC 9470): require the token's `acr` to be `acr`; several
    /// calls mean any of them. Refused requests get 401
    /// `insufficient_user_authentication` with `acr_values` in the
    /// challenge.
    pub fn require_any_acr(mut self, acr: impl Into<String>) -> Self {
        let requirements = Arc::make_mut(&mut self.requirements);
        *requirements = std::mem::take(requirements).any_acr(acr);
        self
    }

    /// Step-up (RFC 9470): require the token's `amr` to include `method`
    /// (such as `mfa`); several calls mean all of them. Refused requests
    /// get 401 `insufficient_user_authentication`.
    pub fn require_all_amr(mut self, method: impl Into<String>) -> Self {
        let requirements = Arc::make_mut(&mut self.requirements);
        *requirements = std::mem::take(requirements).all_amr(method);
        self
    }

    /// Step-up (RFC 9470): require the user to have signed in (`auth_time`)
    /// at most `age` ago. Refused requests get 401
    /// `insufficient_user_authentication` with `max_age` in the challenge.
    pub fn require_max_auth_age(mut self, age: std::time::Duration) -> Self {
        let requirements = Arc::make_mut(&mut self.requirements);
        *requirements = std::mem::take(requirements).max_auth_age(age);
        self
    }

    /// Replace every requirement (groups, scopes, claim rules, step-up)
    /// with `requirements`.
    pub fn requirements(mut self, requirements: Requirements) -> Self {
        self.requirements = Arc::new(requirements);
        self
    }

    /// Where to read the token. Defaults to where the verifier's tokens
    /// travel ([`Verify::token_source`](cognito_jwt_core::Verify::token_source)):
    /// the `Authorization` header, or `x-amzn-oidc-data` for an
    /// [`AlbJwtVerifier`](cognito_jwt_core::AlbJwtVerifier).
    pub fn token_source(mut self, source: TokenSource) -> Self {
        Arc::make_mut(&mut self.settings).token_source = source;
        self
    }

    /// The `realm` of the `WWW-Authenticate` challenge. Defaults to
    /// [`DEFAULT_REALM`](cognito_jwt_core::http::DEFAULT_REALM).
    pub fn realm(mut self, realm: impl Into<String>) -> Self {
        Arc::make_mut(&mut self.settings).realm = Arc::from(realm.into());
        self
    }

    /// Name this protected resource's metadata document (RFC 9728) in
    /// every 401 challenge: `resource_metadata="<url>"`, the document's
    /// [`metadata_url`](cognito_jwt_core::http::ProtectedResourceMetadata::metadata_url),
    /// so that a client learns where to get a token; extractors behind the
    /// layer do the same. Serve the document with
    /// [`ResourceMetadata`](crate::ResourceMetadata). Off by default.
    pub fn resource_metadata(
        mut self,
        metadata: &cognito_jwt_core::http::ProtectedResourceMetadata,
    ) -> Self {
        Arc::make_mut(&mut self.settings).resource_metadata = Some(metadata.metadata_url().into());
        self
    }

    /// Let requests without credentials through, without claims; a request
    /// with a bad token is still refused. Handlers decide with
    /// `CognitoClaims<T>` (refuses anonymous requests) or
    /// `Option<CognitoClaims<T>>`, which then use this layer's verifier,
    /// token source and realm. Off by default.
    pub fn optional(mut self) -> Self {
        self.optional = true;
        self
    }

    /// Answer refusals with `on_rejection` instead of
    /// [`DefaultOnRejection`], e.g. a closure
    /// `Fn(CognitoRejection) -> http::Response<B>`. It is also how to use
    /// the layer with a response body that cannot be made from a `String`,
    /// and in front of a gRPC service, whose refusals are gRPC statuses
    /// ([`AuthRejection::grpc_code`](cognito_jwt_core::http::AuthRejection::grpc_code)
    /// and `grpc_message` of [`CognitoRejection::reason`]; with tonic, a
    /// `tonic::Status` made of them and rendered by its `into_http`).
    pub fn on_rejection<F>(self, on_rejection: F) -> CognitoLayer<T, F> {
        CognitoLayer {
            settings: self.settings,
            requirements: self.requirements,
            optional: self.optional,
            on_rejection,
            claims: PhantomData,
        }
    }
}

impl<T: TokenClaims, R> CognitoLayer<T, R> {
    /// Verify the request's token and put the claims into its extensions.
    async fn authenticate<B>(&self, request: &mut Request<B>) -> Result<(), CognitoRejection> {
        let (settings, requirements) = (&self.settings, &*self.requirements);
        let claims = if self.optional {
            settings
                .authenticate_optional::<T>((&*request).into(), requirements)
                .await
        } else {
            settings
                .authenticate::<T>((&*request).into(), requirements)
                .await
                .map(Some)
        }?;
        let extensions = request.extensions_mut();
        extensions.insert(Arc::clone(&self.settings));
        if let Some(claims) = claims {
            extensions.insert(Verified(claims.clone()));
            extensions.insert(claims);
        }
        Ok(())
    }
}

impl<T, R: Clone> Clone for CognitoLayer<T, R> {
    fn clone(&self) -> Self {
        Self {
            settings: Arc::clone(&self.settings),
            requirements: Arc::clone(&self.requirements),
            optional: self.optional,
            on_rejection: self.on_rejection.clone(),
            claims: PhantomData,
        }
    }
}

impl<T, R> fmt::Debug for CognitoLayer<T, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CognitoLayer")
            .field("claims", &std::any::type_name::<T>())
            .field("verifier", &self.settings.verifier)
            .field("token_source", &self.settings.token_source)
            .field("realm", &self.settings.realm)
            .field("resource_metadata", &self.settings.resource_metadata)
            .field("requirements", &self.requirements)
            .field("optional", &self.optional)
            .finish_non_exhaustive()
    }
}

impl<S, T, R: Clone> Layer<S> for CognitoLayer<T, R> {
    type Service = CognitoService<S, T, R>;

    fn layer(&self, inner: S) -> Self::Service {
        CognitoService {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service made by [`CognitoLayer`].
pub struct CognitoService<S, T = AccessTokenClaims, R = DefaultOnRejection> {
    inner: S,
    layer: CognitoLayer<T, R>,
}

impl<S: Clone, T, R: Clone> Clone for CognitoService<S, T, R> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            layer: self.layer.clone(),
        }
    }
}

impl<S: fmt::Debug, T, R> fmt::Debug for CognitoService<S, T, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CognitoService")
            .field("inner", &self.inner)
            .field("layer", &self.layer)
            .finish()
    }
}

impl<S, T, R, ReqBody, ResBody> Service<Request<ReqBody>> for CognitoService<S, T, R>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send,
    T: TokenClaims,
    R: OnRejection<ResBody> + Clone + Send + Sync + 'static,
    ReqBody: Send + 'static,
    ResBody: Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<Response<ResBody>, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        // The clone may not be ready; the instance `poll_ready` prepared is
        // the one to call.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let layer = self.layer.clone();
        ResponseFuture {
            inner: Box::pin(async move {
                match layer.authenticate(&mut request).await {
                    Ok(()) => inner.call(request).await,
                    Err(rejection) => Ok(layer.on_rejection.on_rejection(rejection)),
                }
            }),
        }
    }
}

/// The response future of [`CognitoService`].
pub struct ResponseFuture<Res, E> {
    inner: Pin<Box<dyn Future<Output = Result<Res, E>> + Send>>,
}

impl<Res, E> Future for ResponseFuture<Res, E> {
    type Output = Result<Res, E>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.inner.as_mut().poll(cx)
    }
}

impl<Res, E> fmt::Debug for ResponseFuture<Res, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}
