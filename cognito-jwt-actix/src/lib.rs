//! [actix-web] 4 integration for [`cognito_jwt_core`]: verify Amazon Cognito
//! ID and access tokens in extractors and middleware.
//!
//! - [`CognitoClaims<T>`]: an extractor that requires a valid token and
//!   gives its claims (`T` is `AccessTokenClaims`, `IdTokenClaims`,
//!   `serde_json::Value` or your own type).
//! - [`OptionalCognitoClaims<T>`]: `None` when the request carries no token
//!   at all; a bad token is still refused. (actix-web's own
//!   `Option<CognitoClaims<T>>` would turn a forged token into `None`.)
//! - [`CognitoAuth<T>`]: middleware that verifies every request of an app,
//!   scope or resource (access tokens, unless
//!   [`claims::<T>()`](CognitoAuth::claims) says otherwise), optionally
//!   requiring a group or scope, and leaves the claims in the request
//!   extensions. The extractors behind it trust only the claims it
//!   verified, never a `CognitoClaims<T>` another middleware inserted.
//! - [`CognitoConfig`]: header or cookie, realm, and your own rendering of
//!   refusals; [`CognitoError`] is the refusal itself.
//!
//! Each works with any verifier kind, registered the same way
//! (`App::app_data(web::Data::new(verifier))`, or `App::app_data(verifier)`):
//! a [`CognitoJwtVerifier`](cognito_jwt_core::CognitoJwtVerifier), a
//! [`JwtVerifier`](cognito_jwt_core::JwtVerifier) for any OpenID Connect
//! issuer (read as `StandardClaims` or your own claims type), an
//! [`AlbJwtVerifier`](cognito_jwt_core::AlbJwtVerifier) (read as
//! `AlbClaims`, from `x-amzn-oidc-data`) or an
//! [`AnyVerifier`](cognito_jwt_core::AnyVerifier):
//!
//! ```
//! use actix_web::{App, test, web};
//! use cognito_jwt_actix::CognitoClaims;
//! use cognito_jwt_core::testing::{TestAlb, TestIssuer, TestOidcIssuer};
//! use cognito_jwt_core::{AlbClaims, Algorithm, AnyVerifier, StandardClaims, TokenUse};
//!
//! async fn me(CognitoClaims(claims): CognitoClaims<StandardClaims>) -> String {
//!     claims.sub.unwrap_or_default()
//! }
//!
//! async fn alb(CognitoClaims(claims): CognitoClaims<AlbClaims>) -> String {
//!     claims.sub
//! }
//!
//! /// The body of `path` on an app holding `verifier` as `web::Data`.
//! async fn body<V: 'static>(verifier: V, path: &str, header: (&str, String)) -> String {
//!     let app = test::init_service(
//!         App::new()
//!             .app_data(web::Data::new(verifier))
//!             .route("/me", web::get().to(me))
//!             .route("/alb", web::get().to(alb)),
//!     )
//!     .await;
//!     let request = test::TestRequest::get().uri(path).insert_header(header).to_request();
//!     String::from_utf8(test::call_and_read_body(&app, request).await.to_vec()).unwrap()
//! }
//!
//! # actix_web::rt::System::new().block_on(async {
//! let cognito = TestIssuer::new("eu-west-1_Example");
//! let token = cognito.access_token("my-client").claim("sub", "c").sign();
//! let verifier = cognito.verifier("my-client", TokenUse::Access);
//! let bearer = ("authorization", format!("Bearer {token}"));
//! assert_eq!(body(verifier.clone(), "/me", bearer.clone()).await, "c");
//! assert_eq!(body(AnyVerifier::from(verifier), "/me", bearer).await, "c");
//!
//! let oidc = TestOidcIssuer::new("https://login.example.com", Algorithm::ES256);
//! let token = oidc.access_token("orders-api").claim("sub", "o").sign();
//! let bearer = ("authorization", format!("Bearer {token}"));
//! assert_eq!(body(oidc.verifier("orders-api"), "/me", bearer).await, "o");
//!
//! let load_balancer = TestAlb::new("eu-west-1");
//! let header = ("x-amzn-oidc-data", load_balancer.data().claim("sub", "l").sign());
//! assert_eq!(body(load_balancer.verifier(), "/alb", header).await, "l");
//! # });
//! ```
//!
//! Every decision — how the token is found and verified (one call,
//! [`authenticate`](cognito_jwt_core::http::authenticate)), what optional
//! authentication lets through, which status and `WWW-Authenticate`
//! challenge (RFC 6750) an outcome gets, `Retry-After` when keys are
//! unavailable, the JSON body, what is logged — comes from
//! [`cognito_jwt_core::http`], so this crate and `cognito-jwt-axum` answer
//! identically:
//!
//! | Request | Answer |
//! |---|---|
//! | no token (or another scheme, e.g. `Basic`) | 401, `WWW-Authenticate: Bearer realm="api"` |
//! | empty token, two `Authorization` headers, non-ASCII | 400, `error="invalid_request"` |
//! | bad, expired, forged or wrong-use token | 401, `error="invalid_token"` |
//! | valid token without a required group or scope | 403, `error="insufficient_scope"` |
//! | key set unavailable | 503 with `Retry-After`, no challenge |
//!
//! Refusals are logged with `tracing` (debug; 503 at warn), by kind only:
//! no token or claim reaches a log line or a response.
//!
//! # Example
//!
//! ```no_run
//! use actix_web::{App, HttpServer, web};
//! use cognito_jwt_actix::{CognitoAuth, CognitoClaims, CognitoConfig, OptionalCognitoClaims};
//! use cognito_jwt_core::{AccessTokenClaims, CognitoJwtVerifier};
//!
//! /// Any signed-in user.
//! async fn me(claims: CognitoClaims<AccessTokenClaims>) -> String {
//!     format!("{} groups", claims.groups().len())
//! }
//!
//! /// Everyone; signed-in users see more. A bad token is still a 401.
//! async fn home(OptionalCognitoClaims(user): OptionalCognitoClaims<AccessTokenClaims>) -> &'static str {
//!     if user.is_some() { "your feed" } else { "public feed" }
//! }
//!
//! /// Members of `admins` only: the middleware verified the token already.
//! async fn admin(_claims: CognitoClaims<AccessTokenClaims>) -> &'static str {
//!     "admin area"
//! }
//!
//! #[actix_web::main]
//! async fn main() -> std::io::Result<()> {
//!     // COGNITO_USER_POOL_ID, COGNITO_CLIENT_ID, ... (or CognitoJwtVerifier::builder())
//!     let verifier = CognitoJwtVerifier::from_env().map_err(std::io::Error::other)?;
//!     // Optional: fetch the key set now to fail fast.
//!     verifier.hydrate().await.map_err(std::io::Error::other)?;
//!
//!     HttpServer::new(move || {
//!         App::new()
//!             .app_data(web::Data::new(verifier.clone()))
//!             .app_data(CognitoConfig::new().realm("my-api"))
//!             .route("/api/me", web::get().to(me))
//!             .route("/api/home", web::get().to(home))
//!             .service(
//!                 web::scope("/api/admin")
//!                     .wrap(CognitoAuth::new(verifier.clone()).require_any_group("admins"))
//!                     .route("", web::get().to(admin)),
//!             )
//!     })
//!     .bind(("127.0.0.1", 8080))?
//!     .run()
//!     .await
//! }
//! ```
//!
//! # Testing your handlers
//!
//! Enable the core's `testing` feature in `[dev-dependencies]` to mint
//! tokens locally, with keys already cached in the verifier:
//!
//! ```
//! use actix_web::http::header::AUTHORIZATION;
//! use actix_web::{App, test, web};
//! use cognito_jwt_actix::CognitoClaims;
//! use cognito_jwt_core::testing::TestIssuer;
//! use cognito_jwt_core::{AccessTokenClaims, TokenUse};
//!
//! async fn me(_claims: CognitoClaims<AccessTokenClaims>) -> &'static str {
//!     "hello"
//! }
//!
//! # actix_web::rt::System::new().block_on(async {
//! let issuer = TestIssuer::new("eu-west-1_Example");
//! let verifier = issuer.verifier("my-client", TokenUse::Access);
//! let app = test::init_service(
//!     App::new()
//!         .app_data(web::Data::new(verifier))
//!         .route("/me", web::get().to(me)),
//! )
//! .await;
//!
//! let token = issuer.access_token("my-client").sign();
//! let request = test::TestRequest::get()
//!     .uri("/me")
//!     .insert_header((AUTHORIZATION, format!("Bearer {token}")))
//!     .to_request();
//! assert_eq!(test::call_service(&app, request).await.status(), 200);
//! # });
//! ```
//!
//! [actix-web]: https://docs.rs/actix-web/4
#![forbid(unsafe_code)]

mod alb;
mod config;
mod error;
mod extract;
mod middleware;
mod ready;
mod resource_metadata;
mod sign_out;

pub use alb::{AlbIdentity, AlbWithAccessToken, OptionalAlbIdentity};
/// The core crate this adapter is built on, so that versions always match.
pub use cognito_jwt_core as core;
pub use cognito_jwt_core::http::{AuthRejection, ProtectedResourceMetadata, TokenSource};
pub use config::CognitoConfig;
pub use error::CognitoError;
pub use extract::{CognitoClaims, OptionalCognitoClaims};
pub use middleware::{CognitoAuth, CognitoAuthMiddleware};
pub use ready::{readiness_response, ready};
pub use resource_metadata::resource_metadata;
pub use sign_out::sign_out;

/// The README's code blocks, compiled (and run unless `no_run`) as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
