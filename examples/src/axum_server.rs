//! The example backend on axum.
//!
//! [`router`] is the whole app; the `axum-server` binary adds
//! configuration from the environment, a listener and graceful shutdown:
//!
//! ```no_run
//! use cognito_jwt_examples::{ServerConfig, axum_server};
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let config = ServerConfig::from_env()?;
//!     let app = axum_server::router(config.verifier, &config.admin_group);
//!     // The binary also merges `metrics_router` (see `install_metrics`).
//!     let listener = tokio::net::TcpListener::bind(config.bind_addr).await?;
//!     axum::serve(listener, app).await?;
//!     Ok(())
//! }
//! ```
//!
//! How each route is protected:
//! - `/api/activities/home` takes `Option<CognitoClaims<_>>`: `None` only
//!   when the request has no credentials; a bad token is refused with 401
//!   by the extractor before the handler runs.
//! - `/api/me` takes `CognitoClaims<_>`: no valid token, no handler.
//! - `/api/admin` sits behind a [`CognitoLayer`] that requires the admin
//!   group (403 `insufficient_scope` otherwise); its handler reuses the
//!   claims the layer verified.
//! - `/api/mfa` sits behind a layer that requires `amr` to include `mfa`
//!   (401 `insufficient_user_authentication` otherwise, RFC 9470).
//! - `POST /api/signout` is the adapter's ready-made sign-out handler
//!   ([`cognito_jwt_axum::sign_out`]): the caller's session is revoked.
//! - `POST /api/admin/signout-user` sits behind the admin group's layer,
//!   then reads `{"sub":…}` ([`sign_out_user`]).
//! - With `PUBLIC_URL` set ([`resource_server_router`]),
//!   `/.well-known/oauth-protected-resource` serves the RFC 9728 document
//!   and every 401 challenge names it (`resource_metadata`).
//! - With `PUBLIC_URL` set, [`ServerConfig`](crate::ServerConfig) also
//!   gives the verifier DPoP (RFC 9449): a token sent as `Authorization:
//!   DPoP` is checked with its `DPoP` proof against the request's method
//!   and `PUBLIC_URL` joined with its path, on every route; a DPoP-bound
//!   token sent as a bearer token is refused; the RFC 9728 document names
//!   the proof algorithms (`dpop_signing_alg_values_supported`).
//!
//! [`metrics_router`] serves `/metrics`, merged into either app by the
//! `axum-server` binary.

use std::time::Instant;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::Request;
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::IntoResponse;
use axum::response::Response;
use axum::routing::{get, post};
use cognito_jwt_axum::{CognitoClaims, CognitoLayer, ResourceMetadata, Verifier};
use cognito_jwt_core::http::ProtectedResourceMetadata;
use cognito_jwt_core::{AccessTokenClaims, CognitoJwtVerifier};

use std::sync::Arc;

use axum::extract::{FromRef, State};
use axum::http::HeaderMap;
use axum::http::header::CONTENT_TYPE;
use cognito_jwt_axum::{AlbIdentity, CognitoRejection};
use cognito_jwt_core::http::{DEFAULT_REALM, authenticate_alb_with_access_token};
use cognito_jwt_core::{ALB_ACCESS_TOKEN_HEADER, ALB_DATA_HEADER, AlbJwtVerifier, Requirements};
use metrics_exporter_prometheus::PrometheusHandle;

use crate::alb_mode::alb_home_feed;
use crate::cognito_admin::CognitoAdmin;
use crate::config::MFA_METHOD;
use crate::feed::{AdminArea, HEALTHY, Health, HomeFeed, Me, MfaArea, home_feed};
use crate::prometheus::METRICS_CONTENT_TYPE;
use crate::signout::{SignOutUserError, sign_out_user};

/// The app: every route of the example backend, with request logging.
/// `admin_group` is the Cognito group allowed on `/api/admin`.
pub fn router(verifier: CognitoJwtVerifier, admin_group: &str) -> Router {
    resource_server_router(verifier, admin_group, None, None)
}

/// [`router`], and with `metadata` (RFC 9728, from `PUBLIC_URL`): the
/// document at `GET /.well-known/oauth-protected-resource` and its URL in
/// every 401 challenge (`resource_metadata`); with `cognito`
/// (`COGNITO_ADMIN_SIGNOUT=1`), `POST /api/admin/signout-user` also signs
/// the user out at Cognito.
pub fn resource_server_router(
    verifier: CognitoJwtVerifier,
    admin_group: &str,
    metadata: Option<&ProtectedResourceMetadata>,
    cognito: Option<CognitoAdmin>,
) -> Router {
    let layer = |layer: CognitoLayer<AccessTokenClaims>| match metadata {
        Some(metadata) => layer.resource_metadata(metadata),
        None => layer,
    };
    let admins_only = layer(CognitoLayer::new(verifier.clone()).require_any_group(admin_group));
    let mfa_only = layer(CognitoLayer::new(verifier.clone()).require_all_amr(MFA_METHOD));
    let admin_sign_out = {
        let verifier = verifier.clone();
        move |CognitoClaims(admin): CognitoClaims<AccessTokenClaims>, body: Bytes| async move {
            match sign_out_user(&verifier, cognito.as_ref(), &admin, &body).await {
                Ok(()) => StatusCode::NO_CONTENT.into_response(),
                Err(refused) => refusal(refused),
            }
        }
    };
    let mut state = Verifier::from(verifier);
    let mut app = Router::new()
        .route("/health", get(health))
        .route("/ready", get(cognito_jwt_axum::ready))
        .route("/api/activities/home", get(home))
        .route("/api/me", get(me))
        .route("/api/admin", get(admin).layer(admins_only.clone()))
        .route("/api/signout", post(cognito_jwt_axum::sign_out))
        .route(
            "/api/admin/signout-user",
            post(admin_sign_out).layer(admins_only),
        )
        .route("/api/mfa", get(mfa).layer(mfa_only));
    if let Some(metadata) = metadata {
        let served = ResourceMetadata::new(metadata);
        app = app.route_service(served.path(), served.clone());
        state = state.resource_metadata(metadata);
    }
    app.layer(middleware::from_fn(log_request))
        .with_state(state)
}

/// `GET /metrics`: what `prometheus` recorded, in the Prometheus text
/// format, without a token, with request logging. Merge it into
/// [`router`] or [`alb_router`].
pub fn metrics_router(prometheus: PrometheusHandle) -> Router {
    Router::new()
        .route(
            "/metrics",
            get(move || {
                let text = prometheus.render();
                async move { ([(CONTENT_TYPE, METRICS_CONTENT_TYPE)], text) }
            }),
        )
        .layer(middleware::from_fn(log_request))
}

/// An administrator's sign-out that was not written: fixed JSON, and
/// `Retry-After` on 503.
fn refusal(refused: SignOutUserError) -> Response {
    let status = StatusCode::from_u16(refused.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut response = (
        status,
        [(CONTENT_TYPE, "application/json")],
        refused.body_json(),
    )
        .into_response();
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from_static("1"));
    }
    response
}

async fn health() -> Json<Health> {
    Json(HEALTHY)
}

async fn home(user: Option<CognitoClaims<AccessTokenClaims>>) -> Json<HomeFeed> {
    Json(home_feed(user.as_deref()))
}

async fn me(CognitoClaims(claims): CognitoClaims<AccessTokenClaims>) -> Json<Me> {
    Json(Me::from(&claims))
}

async fn admin(CognitoClaims(claims): CognitoClaims<AccessTokenClaims>) -> Json<AdminArea> {
    Json(AdminArea::from(&claims))
}

async fn mfa(CognitoClaims(claims): CognitoClaims<AccessTokenClaims>) -> Json<MfaArea> {
    Json(MfaArea::from(&claims))
}

/// Log each request's method, path (without the query string), status and
/// latency. Headers, and so tokens, are never logged.
pub async fn log_request(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    tracing::info!(
        %method,
        %path,
        status = response.status().as_u16(),
        latency_us = started.elapsed().as_micros(),
        "request"
    );
    response
}

/// What the ALB-mode routes share: the load balancer's verifier, the
/// user pool's for access tokens, and the admin group.
#[derive(Clone)]
struct AlbState {
    alb: AlbJwtVerifier,
    cognito: CognitoJwtVerifier,
    admin_group: Arc<str>,
}

impl FromRef<AlbState> for AlbJwtVerifier {
    fn from_ref(state: &AlbState) -> Self {
        state.alb.clone()
    }
}

/// The app in ALB mode: the same routes and answers as [`router`], the
/// identity read from the `x-amzn-oidc-data` header that `alb` verifies.
/// `/api/admin` also needs the `x-amzn-oidc-accesstoken` header the load
/// balancer passes along: `cognito` verifies it (same user), and it must
/// carry `admin_group`.
pub fn alb_router(alb: AlbJwtVerifier, cognito: CognitoJwtVerifier, admin_group: &str) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/api/activities/home", get(alb_home))
        .route("/api/me", get(alb_me))
        .route("/api/admin", get(alb_admin))
        .layer(middleware::from_fn(log_request))
        .with_state(AlbState {
            alb,
            cognito,
            admin_group: admin_group.into(),
        })
}

async fn alb_home(user: Option<AlbIdentity>) -> Json<HomeFeed> {
    Json(alb_home_feed(user.as_deref()))
}

async fn alb_me(AlbIdentity(claims): AlbIdentity) -> Json<Me> {
    Json(Me::from(&claims))
}

async fn alb_admin(
    State(state): State<AlbState>,
    headers: HeaderMap,
) -> Result<Json<AdminArea>, CognitoRejection> {
    let values = |name| headers.get_all(name).into_iter().map(|v| v.as_bytes());
    let admins = Requirements::new().any_group(&*state.admin_group);
    let (_, access) = authenticate_alb_with_access_token(
        &state.alb,
        &state.cognito,
        &admins,
        values(ALB_DATA_HEADER),
        values(ALB_ACCESS_TOKEN_HEADER),
    )
    .await
    .map_err(|reason| CognitoRejection::new(reason, DEFAULT_REALM))?;
    Ok(Json(AdminArea::from(&access)))
}
