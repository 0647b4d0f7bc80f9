//! `lambda-api`: the axum example backend as a Lambda function behind API
//! Gateway (REST or HTTP API proxy integration), through `lambda_http`.
//!
//! The router is `cognito_jwt_examples::axum_server::resource_server_router`, unchanged:
//! every route answers exactly as `axum-server` does. Configuration is the
//! servers' (`cognito_jwt_examples::ServerConfig`; `BIND_ADDR` is unused);
//! a bad one fails the init phase naming the variable (exit status 2). The
//! key set is fetched once per execution environment, before the first
//! request.

use std::process::ExitCode;

use cognito_jwt_examples::{ServerConfig, axum_server, hydrate_and_log, init_tracing};
use cognito_jwt_lambda::report_init_error;

#[tokio::main]
async fn main() -> ExitCode {
    init_tracing();
    let config = match ServerConfig::from_env() {
        Ok(config) => config,
        Err(error) => {
            report_init_error(error).await;
            return ExitCode::from(2);
        }
    };
    hydrate_and_log(config.verifier.clone()).await;
    let app = axum_server::resource_server_router(
        config.verifier,
        &config.admin_group,
        config.resource_metadata.as_ref(),
        config.cognito_admin,
    );
    match lambda_http::run(app).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "the Lambda runtime failed");
            ExitCode::FAILURE
        }
    }
}
