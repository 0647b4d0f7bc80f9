//! `actix-server`: the example backend on actix-web, answering exactly as
//! `axum-server` does.
//!
//! Configuration comes from the environment (see
//! `cognito_jwt_examples::ServerConfig`); a bad configuration exits with
//! status 2 and a message naming the variable. The bound address is
//! printed on stdout as `listening on http://<address>`. Ctrl-C or SIGTERM
//! stop the server after the requests in flight (actix-web handles both).
//! `GET /metrics` serves the verifiers' metrics in the Prometheus text
//! format.

use std::process::ExitCode;
use std::time::Duration;

use actix_web::HttpServer;
use cognito_jwt_examples::{
    ServerConfig, actix_server, alb_verifier_from_env, hydrate_and_log, init_tracing,
    install_metrics,
};

/// How long requests in flight may take to finish after a stop signal.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(10);

#[actix_web::main]
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
    let verifier = config.verifier.clone();
    let admin_group = config.admin_group.clone();
    let metadata = config.resource_metadata.clone();
    let cognito = config.cognito_admin.clone();
    let server = match alb {
        Some(alb) => HttpServer::new(move || {
            actix_server::alb_app(alb.clone(), verifier.clone(), &admin_group)
                .configure(|config| actix_server::metrics(config, prometheus.clone()))
        })
        .shutdown_timeout(SHUTDOWN_TIMEOUT.as_secs())
        .bind(config.bind_addr)
        .map(|server| (server.addrs(), server.run())),
        None => HttpServer::new(move || {
            actix_server::resource_server_app(
                verifier.clone(),
                &admin_group,
                metadata.as_ref(),
                cognito.as_ref(),
            )
            .configure(|config| actix_server::metrics(config, prometheus.clone()))
        })
        .shutdown_timeout(SHUTDOWN_TIMEOUT.as_secs())
        .bind(config.bind_addr)
        .map(|server| (server.addrs(), server.run())),
    };
    let (addresses, server) = match server {
        Ok((addresses, server)) => (addresses, server),
        Err(error) => {
            eprintln!(
                "error: cannot listen on BIND_ADDR {}: {error}",
                config.bind_addr
            );
            return ExitCode::FAILURE;
        }
    };
    for address in addresses {
        println!("listening on http://{address}");
        tracing::info!(%address, admin_group = %config.admin_group, "actix-web example server started");
    }

    actix_web::rt::spawn(hydrate_and_log(config.verifier));
    match server.await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: the server failed: {error}");
            ExitCode::FAILURE
        }
    }
}
