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
//! With `--alb` it also acts as an Application Load Balancer in front of
//! that pool: it serves the load balancer's public key at
//! `http://127.0.0.1:<port>/<kid>` and prints the variables of ALB mode
//! (`ALB_ARN`, `ALB_CLIENT_ID`, `ALB_ISSUER`, `ALB_KEYS_URL`) and two signed
//! `x-amzn-oidc-data` headers (`ALB_DATA` for alice, `ALB_ADMIN_DATA` for
//! ada, the same users as the tokens):
//!
//! ```text
//! $ cargo run -p cognito-jwt-examples --bin local-issuer -- --alb > /tmp/alb.env &
//! $ . /tmp/alb.env && cargo run -p cognito-jwt-examples --bin axum-server
//! $ curl -H "x-amzn-oidc-data: $ALB_DATA" http://127.0.0.1:8080/api/me
//! $ curl -H "x-amzn-oidc-data: $ALB_ADMIN_DATA" -H "x-amzn-oidc-accesstoken: $ADMIN_TOKEN" \
//!     http://127.0.0.1:8080/api/admin
//! ```
//!
//! The keys are generated at start and live only in memory: tokens and
//! headers are valid while this process runs (and until they expire).

use std::io::Write as _;
use std::net::SocketAddr;
use std::process::ExitCode;

use clap::Parser;
use cognito_jwt_core::testing::{TestAlb, TestIssuer, random_uuid};
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
    /// Also act as a load balancer in front of the pool: serve its key and
    /// print the variables of ALB mode and signed `x-amzn-oidc-data` headers.
    #[arg(long)]
    alb: bool,
    /// The port of the load balancer's key endpoint on 127.0.0.1 (0: any
    /// free port), with `--alb`.
    #[arg(long, default_value_t = 0, requires = "alb")]
    alb_port: u16,
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
    // The load balancer's headers name the same users (by `sub`) as the
    // tokens, as `/api/admin` in ALB mode requires.
    let (alice, ada) = (random_uuid(), random_uuid());
    let user = issuer
        .access_token(&args.client_id)
        .claim("sub", alice.as_str())
        .claim("username", "alice")
        .expires_in(args.expires_in)
        .sign();
    let admin = issuer
        .access_token(&args.client_id)
        .claim("sub", ada.as_str())
        .claim("username", "ada")
        .group(DEFAULT_ADMIN_GROUP)
        .expires_in(args.expires_in)
        .sign();
    let mut settings = format!(
        "export COGNITO_USER_POOL_ID={}\nexport COGNITO_CLIENT_ID={}\n\
         export COGNITO_TOKEN_USE=access\nexport COGNITO_JWKS_URI={}\n\
         export USER_TOKEN={user}\nexport ADMIN_TOKEN={admin}\n",
        issuer.pool_id(),
        args.client_id,
        server.url(),
    );

    let mut alb_key = None;
    if args.alb {
        let region = issuer
            .pool_id()
            .split_once('_')
            .map_or("eu-west-1", |(r, _)| r);
        let alb = TestAlb::new(region);
        let address = SocketAddr::from(([127, 0, 0, 1], args.alb_port));
        let key_server =
            match JwksServer::start_alb_key(address, alb.kid(), alb.public_key_pem()).await {
                Ok(server) => server,
                Err(error) => {
                    eprintln!("error: cannot listen on {address}: {error}");
                    return ExitCode::FAILURE;
                }
            };
        let data = |sub: &str, username: &str| {
            alb.data()
                .header("iss", issuer.issuer())
                .header("client", args.client_id.as_str())
                .claim("iss", issuer.issuer())
                .claim("sub", sub)
                .claim("username", username)
                .expires_in(args.expires_in)
                .sign()
        };
        settings.push_str(&format!(
            "export ALB_ARN={}\nexport ALB_CLIENT_ID={}\nexport ALB_ISSUER={}\n\
             export ALB_KEYS_URL={}\nexport ALB_DATA={}\nexport ALB_ADMIN_DATA={}\n",
            alb.arn(),
            args.client_id,
            issuer.issuer(),
            key_server.base_url(),
            data(&alice, "alice"),
            data(&ada, "ada"),
        ));
        alb_key = Some(key_server);
    }

    let mut out = std::io::stdout().lock();
    let printed = out
        .write_all(settings.as_bytes())
        .and_then(|()| out.flush());
    drop(out);
    if let Err(error) = printed {
        eprintln!("error: cannot print the settings: {error}");
        return ExitCode::FAILURE;
    }
    match &alb_key {
        Some(key) => tracing::info!(
            jwks_uri = %server.url(),
            alb_key = %key.url(),
            "serving the key set and the load balancer's key until Ctrl-C"
        ),
        None => tracing::info!(jwks_uri = %server.url(), "serving the key set until Ctrl-C"),
    }
    shutdown_signal().await;
    ExitCode::SUCCESS
}
