//! `mcp-server`: the MCP example server.
//!
//! Configuration comes from the environment (see
//! `cognito_jwt_mcp_example::McpConfig`); a bad configuration exits with
//! status 2 and a message naming the variable. The bound address is
//! printed on stdout as `listening on http://<address>`, the MCP endpoint
//! as `mcp endpoint <PUBLIC_URL>/mcp`. Ctrl-C or SIGTERM stop the server.

use std::process::ExitCode;

use cognito_jwt_mcp_example::{McpConfig, router};
use tokio_util::sync::CancellationToken;

#[tokio::main]
async fn main() -> ExitCode {
    init_tracing();
    let config = match McpConfig::from_env() {
        Ok(config) => config,
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
    println!("mcp endpoint {}", config.resource());
    tracing::info!(%address, resource = %config.resource(), "MCP example server started");

    let shutdown = CancellationToken::new();
    let app = router(&config, shutdown.clone());
    let served = axum::serve(listener, app).with_graceful_shutdown(async move {
        shutdown_signal().await;
        shutdown.cancel();
    });
    match served.await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: the server failed: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Log to stderr, filtered by `RUST_LOG` (default `info`).
fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
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
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
