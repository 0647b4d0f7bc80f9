//! `GET /metrics`: the verifiers' metrics (see `cognito_jwt_core::metrics`)
//! in the Prometheus text format, rendered by `metrics-exporter-prometheus`
//! on the servers' own port, without a token, like `/health`.
//!
//! The recorder must be installed before the verifiers are built (they
//! register their series with it then), so the binaries call
//! [`install_metrics`] first:
//!
//! ```no_run
//! use cognito_jwt_examples::{ServerConfig, axum_server, install_metrics};
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let prometheus = install_metrics()?;
//!     let config = ServerConfig::from_env()?;
//!     let app = axum_server::router(config.verifier, &config.admin_group)
//!         .merge(axum_server::metrics_router(prometheus));
//!     let listener = tokio::net::TcpListener::bind(config.bind_addr).await?;
//!     axum::serve(listener, app).await?;
//!     Ok(())
//! }
//! ```

use metrics_exporter_prometheus::{BuildError, PrometheusBuilder, PrometheusHandle};

/// The content type of the Prometheus text exposition format.
pub const METRICS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Install a Prometheus recorder as the process's metrics recorder and
/// describe the verifiers' metrics to it; the handle renders `/metrics`.
///
/// No upkeep task is needed: the verifiers record counters and gauges
/// only, no histograms.
///
/// # Errors
/// When a recorder is already installed in this process.
pub fn install_metrics() -> Result<PrometheusHandle, BuildError> {
    let prometheus = PrometheusBuilder::new().install_recorder()?;
    cognito_jwt_core::metrics::describe();
    Ok(prometheus)
}
