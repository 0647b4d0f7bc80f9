//! AWS Lambda authorizers that verify Amazon Cognito tokens, or those of any
//! OpenID Connect issuer (a `JwtVerifier`), with
//! [`cognito_jwt_core`]: API Gateway REST `TOKEN` and `REQUEST` authorizers,
//! HTTP API authorizers (payload 1.0 and 2.0, IAM-policy and simple
//! responses), and AppSync Lambda authorization.
//!
//! A complete authorizer function:
//!
//! ```no_run
//! use cognito_jwt_core::CognitoJwtVerifier;
//! use cognito_jwt_lambda::{AuthorizerOptions, report_init_error, run};
//!
//! #[tokio::main]
//! async fn main() -> Result<(), lambda_runtime::Error> {
//!     // COGNITO_USER_POOL_ID, COGNITO_CLIENT_ID, COGNITO_TOKEN_USE: a
//!     // misspelt variable fails the init phase, naming it.
//!     let verifier = match CognitoJwtVerifier::from_env() {
//!         Ok(verifier) => verifier,
//!         Err(error) => return Err(report_init_error(error).await),
//!     };
//!     let options = AuthorizerOptions::new().require_any_group("staff").wide_resource(true);
//!     run(verifier, options).await // keys fetched here, once, before the first event
//! }
//! ```
//!
//! [`run`] answers every kind of [`AuthorizerEvent`]; to write your own
//! handler, call the [`Authorizer`] method for your event type, each a
//! function from the `aws_lambda_events` request to its response:
//!
//! ```no_run
//! use aws_lambda_events::apigw::{ApiGatewayCustomAuthorizerRequest, ApiGatewayCustomAuthorizerResponse};
//! use cognito_jwt_lambda::{Authorizer, AuthorizerError};
//! use lambda_runtime::LambdaEvent;
//!
//! async fn handler(
//!     authorizer: &Authorizer,
//!     event: LambdaEvent<ApiGatewayCustomAuthorizerRequest>,
//! ) -> Result<ApiGatewayCustomAuthorizerResponse, AuthorizerError> {
//!     authorizer.rest_token(event.payload).await
//! }
//! ```
//!
//! # Outcomes
//!
//! | outcome | REST and HTTP API with IAM policies | HTTP API simple responses | AppSync |
//! |---|---|---|---|
//! | verified | Allow, `principalId` = `sub`, context: `sub`, `username`, `client_id`, `token_use`, `scope`, `groups` | `isAuthorized: true`, the same context | `isAuthorized: true`, the same `resolverContext` |
//! | no token, or a refused one | the error `Unauthorized`: 401 | `isAuthorized: false`: 403 | `isAuthorized: false` |
//! | verified but missing a required group or scope | explicit Deny: 403 | `isAuthorized: false`: 403 | `isAuthorized: false` |
//! | key set unavailable | the error `KeySetUnavailable`: 500 | the same | the same |
//!
//! The key-set outage is never reported as `Unauthorized`: the caller's
//! token may be fine, and a 401 would send the client to sign in again for
//! nothing. It is logged once per invocation with the reason.
//!
//! The policy names the method or route ARN of the event, parsed
//! ([`ExecuteApiArn`]); with [`AuthorizerOptions::wide_resource`] it names
//! `arn:…:<api-id>/<stage>/*/*`, so that API Gateway's authorizer cache can
//! answer the same token on every route.
//!
//! # Cold starts
//!
//! Build the verifier in `main`, before [`run`]: it is built once per
//! execution environment, and `run` fetches the key set before the first
//! invocation. With the key set bundled in the deployment package
//! (`COGNITO_JWKS_FILE`, read by `CognitoJwtVerifier::from_env`), a cold
//! start makes no network request at all: the bundled set serves until
//! the verifier's background refresh replaces it.
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod arn;
mod authorizer;
mod event;
mod identity;
mod options;
mod runtime;

pub use arn::{ArnError, ExecuteApiArn};
pub use authorizer::{Authorizer, AuthorizerError, Decision, UNKNOWN_PRINCIPAL};
/// The event types crate, re-exported for the request and response types.
pub use aws_lambda_events;
/// The core crate, re-exported so that an application's verifier type
/// always matches this crate's.
pub use cognito_jwt_core as core;
pub use event::{AuthorizerEvent, AuthorizerResponse};
pub use identity::{AuthorizerContext, ContextValue, Identity};
/// The Lambda runtime, re-exported for its `Error` and `LambdaEvent`.
pub use lambda_runtime;
pub use options::AuthorizerOptions;
pub use runtime::{report_init_error, run};

/// The README's code blocks, compiled (and run unless `no_run`) as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
