//! `grpc-server`: the gRPC example service on tonic.
//!
//! Configuration comes from the environment, as for the HTTP example
//! servers (`cognito_jwt_examples::ServerConfig`: `COGNITO_*`,
//! `BIND_ADDR`, `ADMIN_GROUP`, `TOKEN_CACHE_MAX_BYTES`), plus `GRPC_VERIFY`
//! (`layer`, the default, or `sync`); a bad configuration exits with
//! status 2 and a message naming the variable. The bound address is
//! printed on stdout as `listening on http://<address>`. Ctrl-C or SIGTERM
//! stop the server after the calls in flight.

use std::process::ExitCode;

use cognito_jwt_examples::{ServerConfig, hydrate_and_log, init_tracing, shutdown_signal};
use cognito_jwt_grpc_example::Verification;
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;

#[tokio::main]
async fn main() -> ExitCode {
    init_tracing();
    let (config, verification) =
        match ServerConfig::from_env().and_then(|config| Ok((config, Verification::from_env()?))) {
            Ok(configured) => configured,
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
    // `sync` cannot verify anything before the key set is cached: wait for
    // it (a bounded time) before announcing the address. The layer fetches
    // on demand, so it need not wait.
    if verification == Verification::Sync {
        hydrate_and_log(config.verifier.clone()).await;
    } else {
        tokio::spawn(hydrate_and_log(config.verifier.clone()));
    }
    let address = listener.local_addr().unwrap_or(config.bind_addr);
    println!("listening on http://{address}");
    tracing::info!(
        %address,
        admin_group = %config.admin_group,
        ?verification,
        "gRPC example server started"
    );

    let routes = verification.routes(config.verifier, &config.admin_group);
    match Server::builder()
        .add_routes(routes)
        .serve_with_incoming_shutdown(TcpIncoming::from(listener), shutdown_signal())
        .await
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: the server failed: {error}");
            ExitCode::FAILURE
        }
    }
}
