//! Strict, fast verification of Amazon Cognito ID and access tokens.
//!
//! `cognito-jwt-core` checks a Cognito JWT the way Cognito's documentation
//! says to, and refuses everything else with an [`ErrorKind`] you can match
//! on:
//!
//! - structure and header: at most [`MAX_TOKEN_LEN`] bytes, three unpadded
//!   base64url segments, `alg` = `RS256` only, a bounded `kid`, no `crit` or
//!   `cty`, `typ` absent or `JWT` (a media type, RFC 7515 §4.1.9: any case,
//!   `application/` optional); `jku`/`jwk`/`x5u`/`x5c` are never used;
//! - signature: with the pool's key named by `kid`, parsed once when the
//!   key set loads (RSA 2048–8192 bits);
//! - claims: `iss` exactly one of the configured issuers, `token_use`,
//!   `aud` (ID tokens) or `client_id` (access tokens), `exp`, `nbf`, `iat`,
//!   duplicate keys refused; then required groups and scopes and your own
//!   check.
//!
//! A token naming a cached key has its signature checked before its claims
//! are parsed, so a forged token costs one signature check whatever its
//! payload.
//!
//! Key sets are fetched on first use (or seeded with
//! [`UserPool::jwks_file`] / `COGNITO_JWKS_FILE`) and cached in memory,
//! shared by every clone of the verifier. Fetches run as Tokio tasks of
//! their own, shared by every waiting caller; sets are refreshed in the
//! background before they are due, so no request waits for a routine
//! refresh and removed keys stop verifying within one refresh interval; an
//! unknown `kid` refetches at most once per cool-down after a fetch (a
//! seeded set starts none, so a key newer than the seed is fetched at
//! once); failures back off;
//! cached keys outlive a failing endpoint for a bounded time.
//! [`CognitoJwtVerifier::health`] reports each key set's state. Fetching
//! needs a Tokio runtime (the one the verifier was built or first used on);
//! without one, `verify` reports it as an error, never a panic.
//!
//! # Example
//!
//! ```no_run
//! use cognito_jwt_core::{AccessTokenClaims, CognitoJwtVerifier, ErrorKind, TokenUse, UserPool};
//!
//! # async fn handle(token: &str) -> Result<(), cognito_jwt_core::ConfigError> {
//! let verifier = CognitoJwtVerifier::builder()
//!     .user_pool(
//!         UserPool::new("eu-west-1_AbC123xyz")
//!             .client_id("1example23456789")
//!             .token_use(TokenUse::Access),
//!     )
//!     .require_any_group("admins")
//!     .build()?; // or CognitoJwtVerifier::from_env()?
//!
//! match verifier.verify::<AccessTokenClaims>(token).await {
//!     Ok(claims) => println!("{} may proceed", claims.sub()),
//!     Err(e) if e.kind() == ErrorKind::Expired => println!("ask the client to refresh"),
//!     Err(e) => println!("refused: {e}"),
//! }
//! # Ok(()) }
//! ```
//!
//! # Any OpenID Connect issuer
//!
//! [`JwtVerifier`] runs the same engine for any issuer configured with an
//! [`Issuer`]: its audiences, its [`Algorithm`]s (RS256 only by default),
//! its key set (given, or found by discovery), RFC 9068 access tokens as an
//! option, and [`StandardClaims`] or your own claims type.
//!
//! ```no_run
//! use cognito_jwt_core::{Algorithm, Issuer, JwtVerifier, StandardClaims};
//!
//! # async fn handle(token: &str) -> Result<(), Box<dyn std::error::Error>> {
//! let verifier = JwtVerifier::builder()
//!     .issuer(
//!         Issuer::new("https://login.example.com/tenant-1")
//!             .audience("orders-api")
//!             .algorithms([Algorithm::RS256, Algorithm::ES256]),
//!     )
//!     .build()?;
//! let claims: StandardClaims = verifier.verify(token).await?;
//! # Ok(()) }
//! ```
//!
//! Issuers known only at run time (many tenants, such as one Cognito user
//! pool per customer) are allowed one by one by an [`IssuerResolver`] given
//! to [`JwtVerifierBuilder::issuer_resolver`].
//!
//! With the `metrics` feature, every verifier counts its verifications by
//! outcome, key-set fetches by reason, token-cache hits and misses, and
//! the keys it holds and their age, through the `metrics` facade (see the
//! `metrics` module for names and labels).
//!
//! Web frameworks: see `cognito-jwt-axum` and `cognito-jwt-actix`, which
//! share the HTTP mapping in [`http`]. For tests without AWS, enable the
//! `testing` feature and use `testing::TestIssuer`.
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod alb;
mod algorithm;
mod any_verifier;
mod claims;
mod cognito;
mod dpop;
mod engine;
mod env;
mod error;
mod header;
mod health;
pub mod http;
mod jwks;
mod jwt;
#[cfg(feature = "metrics")]
#[cfg_attr(docsrs, doc(cfg(feature = "metrics")))]
pub mod metrics;
#[cfg(not(feature = "metrics"))]
mod no_metrics;
mod oidc;
mod requirements;
mod revocation;
#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;

pub use alb::{
    ALB_ACCESS_TOKEN_HEADER, ALB_DATA_HEADER, ALB_IDENTITY_HEADER, AlbClaims, AlbJwtVerifier,
    AlbJwtVerifierBuilder,
};
pub use algorithm::Algorithm;
pub use any_verifier::{AnyVerifier, Verify};
pub use claims::{
    AccessTokenClaims, ClaimsView, IdTokenClaims, StandardClaims, TokenClaims, TokenUse,
};
pub use cognito::{
    AcceptedTokenUse, CognitoJwtVerifier, CognitoJwtVerifierBuilder, ENV_VARS, IssuerHosts,
    UserPool,
};
pub use dpop::{
    DEFAULT_DPOP_ALGORITHMS, DEFAULT_IAT_WINDOW, DEFAULT_REPLAY_ENTRIES, DPOP_NONCE_SECRET, Dpop,
    DpopRequest, FirstUse, ProofReplay, ReplayStore, ReplayUnavailable,
};
pub use engine::TrustedIssuer;
pub use env::check_setting_names;
pub use error::{ConfigError, Error, ErrorKind, GrpcCode, HttpClass};
pub use header::decode_header;
pub use health::{Health, KeySetHealth, KeySetState};
#[cfg(feature = "reqwest")]
pub use jwks::ReqwestFetcher;
pub use jwks::{FetchError, FetchFuture, JwksFetcher, KeySetOptions, MAX_JWKS_BYTES};
pub use jwt::MAX_TOKEN_LEN;
pub use oidc::{
    Issuer, IssuerResolver, JwtVerifier, JwtVerifierBuilder, OIDC_ENV_VARS, ResolveError,
};
pub use requirements::{ClaimRule, Requirements};
#[cfg(feature = "reqwest")]
pub use revocation::{ADMIN_SCOPE, DEFAULT_PROBE_INTERVAL, RevocationProbe};
pub use revocation::{
    DEFAULT_MAX_ENTRIES, DEFAULT_MAX_STALENESS, DEFAULT_SESSION_TTL, DEFAULT_TOKEN_LIFETIME,
    MAX_SESSIONS_PER_SUBJECT, PublishFuture, REVOCATION_ENV_VARS, Revocable, RevocationEntry,
    RevocationError, RevocationFailure, RevocationHealth, RevocationKind, RevocationList,
    RevocationListBuilder, RevocationPublisher, RevocationState,
};

#[cfg(not(feature = "metrics"))]
use no_metrics as metrics;

/// The README's code blocks, compiled (and run unless `no_run`) as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
