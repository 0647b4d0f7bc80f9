//! The protected-resource metadata document (RFC 9728), served.

use std::convert::Infallible;
use std::future::{Ready, ready};
use std::sync::Arc;
use std::task::{Context, Poll};

use axum_core::body::Body;
use axum_core::response::{IntoResponse, Response};
use cognito_jwt_core::http::ProtectedResourceMetadata;
use http::header::CONTENT_TYPE;
use http::{HeaderValue, Method, Request, StatusCode};
use tower_service::Service;

/// A ready-made service for the document: `GET` gets 200 and the document
/// as JSON, other methods 405. Route it at its [`path`](Self::path)
/// (`/.well-known/oauth-protected-resource`, followed by the resource's
/// path when it has one), and name the document in the challenges with
/// [`CognitoLayer::resource_metadata`](crate::CognitoLayer::resource_metadata)
/// (or [`Verifier::resource_metadata`](crate::Verifier::resource_metadata)
/// for extractors without a layer).
///
/// ```
/// use axum::{Router, routing::get};
/// use cognito_jwt_axum::{CognitoClaims, CognitoLayer, ResourceMetadata};
/// use cognito_jwt_core::{AccessTokenClaims, CognitoJwtVerifier};
///
/// async fn me(CognitoClaims(claims): CognitoClaims<AccessTokenClaims>) -> String {
///     claims.sub().to_owned()
/// }
///
/// fn app(verifier: CognitoJwtVerifier) -> Result<Router, cognito_jwt_core::ConfigError> {
///     let metadata = verifier
///         .protected_resource_metadata("https://api.example.com")?
///         .scopes_supported(["orders/read"]);
///     let served = ResourceMetadata::new(&metadata);
///     Ok(Router::new()
///         .route("/api/me", get(me))
///         .layer(CognitoLayer::new(verifier.clone()).resource_metadata(&metadata))
///         .route_service(served.path(), served.clone())
///         .with_state(verifier))
/// }
/// ```
#[derive(Debug, Clone)]
pub struct ResourceMetadata {
    path: Arc<str>,
    body: Arc<str>,
}

impl ResourceMetadata {
    /// The service answering with `metadata`.
    pub fn new(metadata: &ProtectedResourceMetadata) -> Self {
        Self {
            path: metadata.metadata_path().into(),
            body: metadata.to_json().into(),
        }
    }

    /// The path to route it at.
    pub fn path(&self) -> &str {
        &self.path
    }
}

impl IntoResponse for ResourceMetadata {
    fn into_response(self) -> Response {
        let mut response = Response::new(Body::from(self.body.to_string()));
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        response
    }
}

impl<B> Service<Request<B>> for ResourceMetadata {
    type Response = Response;
    type Error = Infallible;
    type Future = Ready<Result<Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        ready(Ok(if request.method() == Method::GET {
            self.clone().into_response()
        } else {
            StatusCode::METHOD_NOT_ALLOWED.into_response()
        }))
    }
}
