//! A gRPC service protected by `cognito-jwt`, on [tonic].
//!
//! Two services, compiled from `proto/profile.proto`:
//!
//! | call | answer |
//! |---|---|
//! | `profile.v1.Profile/Me` | [`MeReply`]: `sub`, `username`, `groups`, `scopes` of the caller's access token |
//! | `profile.v1.Admin/Area` | [`AreaReply`] for members of `ADMIN_GROUP`; `PERMISSION_DENIED` for other users |
//!
//! The token comes from the `authorization` metadata (`Bearer <token>`),
//! checked in front of each service in one of two ways that give the same
//! answers:
//!
//! - [`routes`]: the tower layer of `cognito-jwt-axum`
//!   ([`CognitoLayer`]), which verifies with `verify` (fetching the key set
//!   when needed) and renders refusals with [`grpc_rejection`];
//! - [`sync_routes`]: a tonic [`Interceptor`], [`SyncAuth`], which
//!   verifies with `verify_sync`: it never waits on the network, so the key
//!   set must be cached first (`hydrate` at start-up); until it is, calls
//!   get `UNAVAILABLE`.
//!
//! Either way the handlers read the verified [`AccessTokenClaims`] from
//! the request extensions, and a refusal is the gRPC status the core
//! decides ([`AuthRejection::grpc_code`], [`AuthRejection::grpc_message`]),
//! the counterpart of the HTTP servers' answers:
//!
//! | refusal | HTTP | gRPC |
//! |---|---|---|
//! | no token, or another scheme | 401 | `UNAUTHENTICATED` |
//! | malformed `authorization` (two values, bad characters, empty token) | 400 | `INVALID_ARGUMENT` |
//! | invalid, forged, expired or wrong-use token | 401 `invalid_token` | `UNAUTHENTICATED` |
//! | valid token without the required group | 403 `insufficient_scope` | `PERMISSION_DENIED` |
//! | key set unavailable and not cached | 503 with `Retry-After` | `UNAVAILABLE` with `grpc-retry-pushback-ms` |
//!
//! The `grpc-message` is a fixed text with the error kind (e.g.
//! `"expired: the token has expired"`), never the token.
//!
//! ```no_run
//! use cognito_jwt_examples::ServerConfig;
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     // COGNITO_USER_POOL_ID, COGNITO_CLIENT_ID, BIND_ADDR, ADMIN_GROUP, ...
//!     let config = ServerConfig::from_env()?;
//!     let routes = cognito_jwt_grpc_example::routes(config.verifier, &config.admin_group);
//!     tonic::transport::Server::builder()
//!         .add_routes(routes)
//!         .serve(config.bind_addr)
//!         .await?;
//!     Ok(())
//! }
//! ```
//!
//! [tonic]: https://docs.rs/tonic/0.14
#![forbid(unsafe_code)]

use std::sync::Arc;

use cognito_jwt_axum::{CognitoLayer, CognitoRejection};
use cognito_jwt_core::http::{AuthRejection, bearer_token};
use cognito_jwt_core::{AccessTokenClaims, CognitoJwtVerifier, ConfigError, Requirements};
use cognito_jwt_examples::{AdminArea, Me};
use tonic::metadata::{AsciiMetadataValue, MetadataMap};
use tonic::service::{Interceptor, LayerExt as _, Routes};
use tonic::{Code, Request, Response, Status};

use proto::admin_server::{Admin, AdminServer};
use proto::profile_server::{Profile, ProfileServer};
use proto::{AreaReply, AreaRequest, MeReply, MeRequest};

/// The messages, servers and clients generated from `proto/profile.proto`
/// (package `profile.v1`).
pub mod proto {
    tonic::include_proto!("profile.v1");
}

/// This package's README code blocks, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

/// The metadata key the token is read from.
pub const AUTHORIZATION: &str = "authorization";

/// The gRPC status for a refused call: the core's code and message, and
/// for `UNAVAILABLE` the retry delay as `grpc-retry-pushback-ms` (how gRPC
/// clients with a retry policy learn when to try again, as HTTP clients
/// do from `Retry-After`).
pub fn status(rejection: &AuthRejection) -> Status {
    let mut status = Status::new(
        Code::from(rejection.grpc_code().code()),
        rejection.grpc_message(),
    );
    if let Some(seconds) = rejection.retry_after_secs() {
        status.metadata_mut().insert(
            "grpc-retry-pushback-ms",
            AsciiMetadataValue::from(seconds.saturating_mul(1000)),
        );
    }
    status
}

/// Renders a refusal of [`CognitoLayer`] as a gRPC "trailers-only"
/// response (HTTP 200, `content-type: application/grpc`, `grpc-status`,
/// `grpc-message`), the way a tonic service answers a failed call. Give it
/// to [`CognitoLayer::on_rejection`] to put the layer in front of a tonic
/// service.
pub fn grpc_rejection(rejection: CognitoRejection) -> http::Response<tonic::body::Body> {
    status(rejection.reason()).into_http()
}

/// Both services, each behind [`CognitoLayer`]: `Admin` also requires
/// membership of `admin_group`. Serve them with
/// `tonic::transport::Server::builder().add_routes(…)`.
pub fn routes(verifier: CognitoJwtVerifier, admin_group: &str) -> Routes {
    let auth = CognitoLayer::new(verifier).on_rejection(grpc_rejection);
    // `named_layer` keeps the service's gRPC name, which routing needs.
    Routes::new(auth.named_layer(ProfileServer::new(ProfileService))).add_service(
        auth.require_any_group(admin_group)
            .named_layer(AdminServer::new(AdminService)),
    )
}

/// Both services, each behind a [`SyncAuth`] interceptor: `Admin` also
/// requires membership of `admin_group`. Calls get `UNAVAILABLE` until
/// the verifier's key set is cached (call
/// [`hydrate`](CognitoJwtVerifier::hydrate) at start-up).
pub fn sync_routes(verifier: CognitoJwtVerifier, admin_group: &str) -> Routes {
    let auth = SyncAuth::new(verifier);
    Routes::new(ProfileServer::with_interceptor(
        ProfileService,
        auth.clone(),
    ))
    .add_service(AdminServer::with_interceptor(
        AdminService,
        auth.require_any_group(admin_group),
    ))
}

/// A tonic [`Interceptor`] that verifies the `authorization` metadata with
/// [`CognitoJwtVerifier::verify_sync_with`] and puts the
/// [`AccessTokenClaims`] into the request extensions, or refuses the call
/// with [`status`].
///
/// Interceptors are synchronous, so it only uses cached keys: an unknown
/// key set or `kid` is refused at once (`UNAVAILABLE` or
/// `UNAUTHENTICATED`) while a fetch starts in the background.
#[derive(Debug, Clone)]
pub struct SyncAuth {
    verifier: CognitoJwtVerifier,
    requirements: Arc<Requirements>,
}

impl SyncAuth {
    /// Accept any valid access token of `verifier`.
    pub fn new(verifier: CognitoJwtVerifier) -> Self {
        Self {
            verifier,
            requirements: Arc::new(Requirements::new()),
        }
    }

    /// Require membership of `group`; several calls mean any of them.
    /// Other users get `PERMISSION_DENIED`.
    #[must_use]
    pub fn require_any_group(mut self, group: impl Into<String>) -> Self {
        let requirements = Arc::make_mut(&mut self.requirements);
        *requirements = std::mem::take(requirements).any_group(group);
        self
    }

    fn authenticate(&self, metadata: &MetadataMap) -> Result<AccessTokenClaims, AuthRejection> {
        let values = metadata.get_all(AUTHORIZATION);
        let token = bearer_token(values.iter().map(AsciiMetadataValue::as_encoded_bytes))?;
        Ok(self.verifier.verify_sync_with(token, &self.requirements)?)
    }
}

impl Interceptor for SyncAuth {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        let claims = self.authenticate(request.metadata()).map_err(|rejection| {
            rejection.log();
            status(&rejection)
        })?;
        request.extensions_mut().insert(claims);
        Ok(request)
    }
}

/// `profile.v1.Profile`: the caller, from the claims verified in front of
/// it.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProfileService;

#[tonic::async_trait]
impl Profile for ProfileService {
    async fn me(&self, request: Request<MeRequest>) -> Result<Response<MeReply>, Status> {
        let me = Me::from(verified(&request)?);
        Ok(Response::new(MeReply {
            sub: me.sub,
            username: me.username,
            groups: me.groups,
            scopes: me.scopes,
        }))
    }
}

/// `profile.v1.Admin`: what an administrator sees; the group is checked in
/// front of it.
#[derive(Debug, Clone, Copy, Default)]
pub struct AdminService;

#[tonic::async_trait]
impl Admin for AdminService {
    async fn area(&self, request: Request<AreaRequest>) -> Result<Response<AreaReply>, Status> {
        let area = AdminArea::from(verified(&request)?);
        Ok(Response::new(AreaReply {
            message: area.message,
            admin: area.admin,
        }))
    }
}

/// The claims the layer or the interceptor verified. A service served
/// without either in front of it refuses every call rather than serve it
/// anonymously.
fn verified<M>(request: &Request<M>) -> Result<&AccessTokenClaims, Status> {
    request
        .extensions()
        .get::<AccessTokenClaims>()
        .ok_or_else(|| status(&AuthRejection::Missing))
}

/// How the `grpc-server` binary verifies tokens: `GRPC_VERIFY`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Verification {
    /// `layer` (the default): [`routes`], the tower layer.
    #[default]
    Layer,
    /// `sync`: [`sync_routes`], the interceptor with `verify_sync`.
    Sync,
}

impl Verification {
    /// The environment variable that chooses.
    pub const VARIABLE: &'static str = "GRPC_VERIFY";

    /// Read [`VARIABLE`](Self::VARIABLE): unset or empty is
    /// [`Layer`](Self::Layer).
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] for any other value than `layer` or `sync`.
    pub fn from_env() -> Result<Self, ConfigError> {
        let value = std::env::var(Self::VARIABLE).unwrap_or_default();
        match value.trim() {
            "" | "layer" => Ok(Self::Layer),
            "sync" => Ok(Self::Sync),
            _ => Err(ConfigError::Invalid {
                name: Self::VARIABLE.to_owned(),
                problem: "expected `layer` (the tower layer, the default) or `sync` \
                          (an interceptor calling verify_sync)"
                    .to_owned(),
            }),
        }
    }

    /// The routes this way of verifying serves.
    pub fn routes(self, verifier: CognitoJwtVerifier, admin_group: &str) -> Routes {
        match self {
            Self::Layer => routes(verifier, admin_group),
            Self::Sync => sync_routes(verifier, admin_group),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_layer_refusal_is_a_trailers_only_grpc_response() {
        let rejection = CognitoRejection::new(AuthRejection::Missing, "api");
        let response = grpc_rejection(rejection);
        assert_eq!(response.status(), 200);
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .map(|value| value.to_str().expect("ASCII"))
        };
        assert_eq!(header("content-type"), Some("application/grpc"));
        assert_eq!(header("grpc-status"), Some("16"));
        assert_eq!(
            header("grpc-message"),
            Some("a%20bearer%20token%20is%20required")
        );
        assert_eq!(header("grpc-retry-pushback-ms"), None);
    }
}
