//! `axum-server`: the example backend on axum.
//!
//! Configuration comes from the environment (see
//! `cognito_jwt_examples::ServerConfig`); a bad configuration exits with
//! status 2 and a message naming the variable. The bound address is
//! printed on stdout as `listening on http://<address>`. Ctrl-C or SIGTERM
//! stop the server after the requests in flight. `GET /metrics` serves the
//! verifiers' metrics in the Prometheus text format.

use std::process::ExitCode;

use cognito_jwt_examples::{
    ServerConfig, alb_verifier_from_env, axum_server, hydrate_and_log, init_tracing,
    install_metrics, shutdown_signal,
};

#[tokio::main]
async fn main() -> ExitCode {
    init_tracing();
    // Before the verifiers are built: they register their series with it.
    let prometheus = match install_metrics() {
        Ok(prometheus) => prometheus,
        Err(error) => {
            eprintln!("error: cannot install the metrics recorder: {error}");
            return ExitCode::FAILURE;
        }
    };
    let config = match ServerConfig::from_env() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    // ALB mode when ALB_ARN is set: the identity comes from x-amzn-oidc-data.
    let alb = match alb_verifier_from_env() {
        Ok(alb) => alb,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    let listener = match tokio::net::TcpListener::bind(config.bind_addr).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!(
                "error: cannot listen on BIND_ADDR {}: {error}",
                config.bind_addr
            );
            return ExitCode::FAILURE;
        }
    };
    let address = listener.local_addr().unwrap_or(config.bind_addr);
    println!("listening on http://{address}");
    tracing::info!(%address, admin_group = %config.admin_group, "axum example server started");

    tokio::spawn(hydrate_and_log(config.verifier.clone()));
    let app = match alb {
        Some(alb) => axum_server::alb_router(alb, config.verifier, &config.admin_group),
        None => axum_server::resource_server_router(
            config.verifier,
            &config.admin_group,
            config.resource_metadata.as_ref(),
            config.cognito_admin,
        ),
    }
    .merge(axum_server::metrics_router(prometheus));
    match axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: the server failed: {error}");
            ExitCode::FAILURE
        }
    }
}
