//! Runnable examples of `cognito-jwt`, and the library they share.
//!
//! | binary | what it does |
//! |---|---|
//! | `demo` | no configuration: a local issuer, its key set and the axum server on 127.0.0.1, genuine and bad tokens sent to every route, a table of what each got and why |
//! | `axum-server` | the example backend on axum ([`axum_server`]) |
//! | `actix-server` | the same backend on actix-web ([`actix_server`]) |
//! | `local-issuer` | a local user pool: serves its key set, prints the variables for the servers and the CLI, and tokens to send |
//! | `apigw-authorizer` | a Lambda authorizer for API Gateway (REST `TOKEN` and `REQUEST`, HTTP API 1.0 and 2.0), configured by [`AuthorizerConfig`] |
//! | `lambda-api` | the axum example backend as a Lambda function behind API Gateway, through `lambda_http` |
//!
//! The `cognito-jwt` command-line tool is the `cognito-jwt-cli` crate.
//!
//! `demo`, `local-issuer` and the `demo` module mint tokens with the
//! core's `testing` kit and need this package's `testing` feature (on by
//! default); the servers build without it (`--no-default-features`).
//!
//! Both servers read [`ServerConfig`] from the environment and answer the
//! same routes the same way:
//!
//! | route | answer |
//! |---|---|
//! | `GET /health` | 200 `{"status":"ok"}`, no token needed |
//! | `GET /api/activities/home` | 200 [`HomeFeed`]: the public activities without a token, one more naming the user with a valid one; 401 for a bad token (never silently anonymous) |
//! | `GET /api/me` | 200 [`Me`] (`sub`, `username`, `groups`, `scopes`); 401 without a valid token |
//! | `GET /api/admin` | 200 [`AdminArea`] for members of `ADMIN_GROUP`; 403 `insufficient_scope` for other users |
//! | `GET /metrics` | 200, the verifiers' metrics in the Prometheus text format ([`install_metrics`]), no token needed |
//! | `POST /api/signout` | 204 once the caller's session (`origin_jti`) is revoked: from then on that token and every token refreshed from the same sign-in get 401 on every server sharing the revocation list; 503 with `Retry-After` when it cannot be written |
//! | `POST /api/admin/signout-user` | body `{"sub":"<sub>"}`: 401 without a valid token, 403 for non-members of `ADMIN_GROUP`, 400 for another body, then 204: every token of that user issued until now gets 401 everywhere |
//!
//! Refusals follow RFC 6750 (`WWW-Authenticate`, a JSON body with `error`
//! and `kind`); a key set that cannot be fetched gives 503 with
//! `Retry-After`. Requests are logged with `tracing` (method, path, status,
//! latency), never with their token.

mod alb_mode;
mod cognito_admin;
mod config;
mod feed;
mod jwks_server;
mod lambda_authorizer;
mod prometheus;
mod signout;

pub mod actix_server;
pub mod axum_server;
#[cfg(feature = "testing")]
pub mod demo;

use std::time::Duration;

use cognito_jwt_core::CognitoJwtVerifier;

pub use alb_mode::{ALB_VARS, alb_display_name, alb_home_feed, alb_verifier_from_env};
pub use cognito_admin::CognitoAdmin;
pub use config::{
    DEFAULT_ADMIN_GROUP, DEFAULT_BIND_ADDR, DPOP_NONCE_WINDOW, MFA_METHOD, ROUTE_SCOPES,
    ServerConfig,
};
pub use feed::{
    Activity, AdminArea, HEALTHY, Health, HomeFeed, Me, MfaArea, display_name, home_feed,
    public_activities,
};
pub use jwks_server::{JwksServer, local_fetcher, serve_alb_key, serve_jwks};
pub use lambda_authorizer::{AUTHORIZER_VARS, AuthorizerConfig};
pub use prometheus::{METRICS_CONTENT_TYPE, install_metrics};
pub use signout::{SignOutUserError, sign_out_user};

/// Log to stderr with `tracing`, filtered by `RUST_LOG` (default `info`),
/// in colour only on a terminal.
pub fn init_tracing() {
    use std::io::IsTerminal as _;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

/// The workspace README's code blocks, compiled (and run unless `no_run`)
/// as doctests: this package depends on every crate they use.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct WorkspaceReadmeDoctests;

/// How long start-up waits for the key set before it gives up (and keeps
/// serving: requests get 503 until the keys arrive).
pub const HYDRATE_TIMEOUT: Duration = Duration::from_secs(5);

/// Fetch the key set once and log the outcome. Never fails: a server must
/// start during a key-set outage and answer 503 until it ends.
pub async fn hydrate_and_log(verifier: CognitoJwtVerifier) {
    let uris: Vec<String> = verifier.jwks_uris().map(str::to_owned).collect();
    match tokio::time::timeout(HYDRATE_TIMEOUT, verifier.hydrate()).await {
        Ok(Ok(())) => tracing::info!(jwks_uri = ?uris, "key set loaded"),
        Ok(Err(error)) => tracing::warn!(
            jwks_uri = ?uris,
            reason = %error.message(),
            "key set unavailable at start-up; requests get 503 until it can be fetched"
        ),
        Err(_) => tracing::warn!(
            jwks_uri = ?uris,
            timeout_s = HYDRATE_TIMEOUT.as_secs(),
            "key set not loaded in time; requests get 503 until it can be fetched"
        ),
    }
}

/// Resolves on Ctrl-C or SIGTERM, for graceful shutdown.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut sigterm) => {
                sigterm.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutting down");
}
