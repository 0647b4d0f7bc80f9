//! `local-issuer`: a local stand-in for a Cognito user pool, to try the
//! example servers and the CLI (or load-test them) without AWS.
//!
//! It serves the pool's key set on 127.0.0.1, prints shell `export` lines
//! for the servers and the CLI (`COGNITO_USER_POOL_ID`, `COGNITO_CLIENT_ID`,
//! `COGNITO_TOKEN_USE`, `COGNITO_JWKS_URI`) and two access tokens (`USER_TOKEN`, `ADMIN_TOKEN`),
//! then serves until Ctrl-C or SIGTERM:
//!
//! ```text
//! $ cargo run -p cognito-jwt-examples --bin local-issuer > /tmp/pool.env &
//! $ . /tmp/pool.env && cargo run -p cognito-jwt-examples --bin axum-server
//! $ curl -H "Authorization: Bearer $USER_TOKEN" http://127.0.0.1:8080/api/me
//! ```
//!
//! The keys are generated at start and live only in memory: tokens are
//! valid while this process runs.

use std::io::Write as _;
use std::net::SocketAddr;
use std::process::ExitCode;

use clap::Parser;
use cognito_jwt_core::testing::TestIssuer;
use cognito_jwt_examples::{DEFAULT_ADMIN_GROUP, JwksServer, init_tracing, shutdown_signal};

/// Serve a local user pool's key set and print tokens for it.
#[derive(Debug, Parser)]
#[command(name = "local-issuer", version, about)]
struct Args {
    /// The user pool id to pretend to be.
    #[arg(long, default_value = "eu-west-1_LocalPool1")]
    pool_id: String,
    /// The app client the tokens are issued to.
    #[arg(long, default_value = "local-client")]
    client_id: String,
    /// The port of the key-set server on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Lifetime of the printed tokens, in seconds.
    #[arg(long, default_value_t = 3600)]
    expires_in: i64,
}

#[tokio::main]
async fn main() -> ExitCode {
    init_tracing();
    let args = Args::parse();
    let issuer = TestIssuer::new(&args.pool_id);
    let address = SocketAddr::from(([127, 0, 0, 1], args.port));
    let server = match JwksServer::start(address, issuer.pool_id(), issuer.jwks_json()).await {
        Ok(server) => server,
        Err(error) => {
            eprintln!("error: cannot listen on {address}: {error}");
            return ExitCode::FAILURE;
        }
    };
    let user = issuer
        .access_token(&args.client_id)
        .claim("username", "alice")
        .expires_in(args.expires_in)
        .sign();
    let admin = issuer
        .access_token(&args.client_id)
        .claim("username", "ada")
        .group(DEFAULT_ADMIN_GROUP)
        .expires_in(args.expires_in)
        .sign();
    let mut out = std::io::stdout().lock();
    let printed = writeln!(
        out,
        "export COGNITO_USER_POOL_ID={}\nexport COGNITO_CLIENT_ID={}\n\
         export COGNITO_TOKEN_USE=access\nexport COGNITO_JWKS_URI={}\n\
         export USER_TOKEN={user}\nexport ADMIN_TOKEN={admin}",
        issuer.pool_id(),
        args.client_id,
        server.url(),
    )
    .and_then(|()| out.flush());
    drop(out);
    if let Err(error) = printed {
        eprintln!("error: cannot print the settings: {error}");
        return ExitCode::FAILURE;
    }
    tracing::info!(jwks_uri = %server.url(), "serving the key set until Ctrl-C");
    shutdown_signal().await;
    ExitCode::SUCCESS
}
