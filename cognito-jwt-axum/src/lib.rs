//! [axum] and [tower] integration for [`cognito_jwt_core`]: verify Amazon
//! Cognito tokens in an extractor or a middleware layer, and refuse
//! requests with standard RFC 6750 answers.
//!
//! This crate only translates between `http` types and the core: how the
//! token is found and verified (one call,
//! [`authenticate`](cognito_jwt_core::http::authenticate)), what an
//! optional layer lets through, which status and `WWW-Authenticate`
//! challenge a refusal gets, and what is logged are all decided by
//! [`cognito_jwt_core::http`], shared with the actix-web adapter.
//!
//! [axum]: https://docs.rs/axum/0.8
//! [tower]: https://docs.rs/tower
//! [`CognitoJwtVerifier`]: cognito_jwt_core::CognitoJwtVerifier
//! [`FromRef`]: axum_core::extract::FromRef
//!
//! # Example
//!
//! ```no_run
//! use axum::{Router, routing::get};
//! use cognito_jwt_axum::{CognitoClaims, CognitoLayer};
//! use cognito_jwt_core::{AccessTokenClaims, CognitoJwtVerifier};
//!
//! // 401 without a valid access token.
//! async fn me(CognitoClaims(claims): CognitoClaims<AccessTokenClaims>) -> String {
//!     format!("hello {}", claims.sub())
//! }
//!
//! // `None` without credentials; a bad token is still refused.
//! async fn home(user: Option<CognitoClaims<AccessTokenClaims>>) -> &'static str {
//!     match user {
//!         Some(_) => "your feed",
//!         None => "the public feed",
//!     }
//! }
//!
//! // Only reached by members of "admins" (403 for everybody else).
//! async fn admin(CognitoClaims(claims): CognitoClaims<AccessTokenClaims>) -> String {
//!     format!("welcome, admin {}", claims.sub())
//! }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     // COGNITO_USER_POOL_ID, COGNITO_CLIENT_ID, ... (or use the builder).
//!     let verifier = CognitoJwtVerifier::from_env()?;
//!     let admins_only = CognitoLayer::new(verifier.clone()).require_any_group("admins");
//!
//!     let app = Router::new()
//!         .route("/api/me", get(me))
//!         .route("/api/activities/home", get(home))
//!         .route("/api/admin", get(admin).layer(admins_only))
//!         .with_state(verifier);
//!
//!     let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//!     axum::serve(listener, app).await?;
//!     Ok(())
//! }
//! ```
//!
//! # Where the verifier comes from
//!
//! [`CognitoClaims`] takes the verifier from the router's state through
//! [`FromRef`], as a [`Verifier`]. Any verifier kind goes into the state
//! as it is (`.with_state(verifier)`, as above, with a
//! [`CognitoJwtVerifier`], a [`JwtVerifier`](cognito_jwt_core::JwtVerifier)
//! for any OpenID Connect issuer, an
//! [`AlbJwtVerifier`](cognito_jwt_core::AlbJwtVerifier) or an
//! [`AnyVerifier`](cognito_jwt_core::AnyVerifier)); a state of your own
//! holds a [`Verifier`] and gives it:
//!
//! ```
//! use axum::extract::FromRef;
//! use axum::{Router, routing::get};
//! use cognito_jwt_axum::{CognitoClaims, Verifier};
//! use cognito_jwt_core::{AccessTokenClaims, CognitoJwtVerifier};
//!
//! #[derive(Clone)]
//! struct AppState {
//!     verifier: Verifier,
//!     // database pools, ...
//! }
//!
//! impl FromRef<AppState> for Verifier {
//!     fn from_ref(state: &AppState) -> Self {
//!         state.verifier.clone()
//!     }
//! }
//!
//! async fn me(CognitoClaims(claims): CognitoClaims<AccessTokenClaims>) -> String {
//!     claims.sub().to_owned()
//! }
//!
//! fn app(verifier: CognitoJwtVerifier) -> Router {
//!     let state = AppState { verifier: verifier.into() };
//!     Router::new().route("/api/me", get(me)).with_state(state)
//! }
//! ```
//!
//! (`#[derive(FromRef)]` on `AppState`, with axum's `macros` feature,
//! writes that `impl`.) A state that gives no [`Verifier`] makes axum
//! report only that the handler does not implement `Handler`; put
//! `#[axum::debug_handler]` on the handler to see the missing
//! `Verifier: FromRef<AppState>`.
//!
//! Behind a [`CognitoLayer`], the extractor uses the layer's verifier
//! instead, and reuses the claims the layer verified rather than checking
//! the token twice. It reuses only those: claims that another middleware
//! put into the extensions are never taken for verified ones. Routers
//! without state that rely on a layer alone can read the claims with
//! axum's `Extension<AccessTokenClaims>` (or `Option<Extension<…>>` behind
//! an [optional](CognitoLayer::optional) layer), which takes whatever the
//! extensions hold.
//!
//! # The layer
//!
//! [`CognitoLayer`] verifies every request that reaches it and puts the
//! claims into the request extensions. It is a plain tower layer, so it also
//! guards hyper and tonic services. Requirements go on the layer: put it on
//! a single route as a guard (`get(admin).layer(…)` above), on a whole
//! router, or both. An [optional](CognitoLayer::optional) layer lets
//! anonymous requests through and leaves the decision to the extractors;
//! it is also how to give them another token source or realm:
//!
//! ```
//! use axum::{Router, routing::get};
//! use cognito_jwt_axum::{CognitoClaims, CognitoLayer};
//! use cognito_jwt_core::http::TokenSource;
//! use cognito_jwt_core::{CognitoJwtVerifier, IdTokenClaims};
//!
//! async fn profile(CognitoClaims(claims): CognitoClaims<IdTokenClaims>) -> String {
//!     claims.email().unwrap_or_default().to_owned()
//! }
//!
//! fn app(verifier: CognitoJwtVerifier) -> Router {
//!     let session = CognitoLayer::new(verifier.clone())
//!         .claims::<IdTokenClaims>()
//!         .token_source(TokenSource::Cookie("id_token".to_owned()))
//!         .realm("example.com")
//!         .optional();
//!     Router::new()
//!         .route("/profile", get(profile))
//!         .layer(session)
//!         .with_state(verifier)
//! }
//! ```
//!
//! # Custom rejections
//!
//! A [`CognitoRejection`] answers with the standard status, challenge and a
//! small JSON body. To answer differently from a handler, wrap the
//! extractor in your own, the usual axum way, and convert the rejection;
//! [`CognitoRejection::response_with_body`] keeps the status and headers:
//!
//! ```
//! use axum::extract::{FromRef, FromRequestParts};
//! use axum::response::{IntoResponse, Response};
//! use cognito_jwt_axum::{CognitoClaims, CognitoRejection, Verifier};
//! use cognito_jwt_core::AccessTokenClaims;
//! use http::request::Parts;
//!
//! /// The signed-in user, refused with a plain-text answer.
//! struct User(AccessTokenClaims);
//!
//! struct PlainRejection(CognitoRejection);
//!
//! impl IntoResponse for PlainRejection {
//!     fn into_response(self) -> Response {
//!         let text = format!("sign in first: {}", self.0);
//!         self.0.response_with_body(text).into_response()
//!     }
//! }
//!
//! impl<S> FromRequestParts<S> for User
//! where
//!     S: Send + Sync,
//!     Verifier: FromRef<S>,
//! {
//!     type Rejection = PlainRejection;
//!
//!     async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
//!         CognitoClaims::from_request_parts(parts, state)
//!             .await
//!             .map(|CognitoClaims(claims)| User(claims))
//!             .map_err(PlainRejection)
//!     }
//! }
//! ```
//!
//! The layer takes a function instead, through
//! [`CognitoLayer::on_rejection`]; it is also the way to use the layer with
//! a response body that cannot be built from a `String`.
//!
//! # Logging
//!
//! Refusals are logged with `tracing` by
//! [`AuthRejection::log`](cognito_jwt_core::http::AuthRejection::log): at
//! debug with the error kind, and at warn when the key set is unavailable
//! (503). The token is never logged or sent back.
//!
//! # Testing your handlers
//!
//! Enable the core's `testing` feature in `[dev-dependencies]`: its
//! `TestIssuer` mints tokens and builds a verifier with its keys cached, so
//! tests need no network.
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod alb;
mod extract;
mod layer;
mod ready;
mod rejection;
mod resource_metadata;
mod settings;
mod sign_out;
mod verifier;

pub use alb::{AlbIdentity, AlbWithAccessToken};
/// The core crate this adapter is built on, so that versions always match.
pub use cognito_jwt_core as core;
pub use extract::CognitoClaims;
pub use layer::{CognitoLayer, CognitoService, ResponseFuture};
pub use ready::{Ready, ready};
pub use rejection::{CognitoRejection, DefaultOnRejection, OnRejection};
pub use resource_metadata::ResourceMetadata;
pub use sign_out::{SignedOut, sign_out};
pub use verifier::Verifier;

/// The README's code blocks, compiled (and run unless `no_run`) as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
