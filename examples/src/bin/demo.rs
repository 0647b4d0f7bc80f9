//! `demo`: the README's first command. No configuration, no AWS account:
//! a local issuer and key set, the axum example server, and a table of what
//! genuine and bad tokens get from each route. Exits 0 when every outcome
//! is the expected one.

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    if std::env::var_os("RUST_LOG").is_some() {
        cognito_jwt_examples::init_tracing();
    }
    let mut out = std::io::stdout();
    if cognito_jwt_examples::demo::run_demo(&mut out).await {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
