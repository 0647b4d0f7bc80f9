//! `apigw-authorizer`: a Lambda authorizer for API Gateway that verifies
//! Amazon Cognito tokens, run under the Lambda Runtime API.
//!
//! Configuration comes from the environment (see
//! `cognito_jwt_examples::AuthorizerConfig`). A bad configuration fails the
//! init phase: the error, naming the variable, is reported to the Runtime
//! API and logged, and the process exits with status 2. Otherwise the key
//! set is loaded (from `COGNITO_JWKS_FILE`, or fetched) before the first
//! event, and every REST `TOKEN`, REST `REQUEST`, HTTP API 1.0 and 2.0 event
//! is answered as `cognito_jwt_lambda` describes.

use std::process::ExitCode;

use cognito_jwt_examples::{AuthorizerConfig, init_tracing};
use cognito_jwt_lambda::{report_init_error, run};

#[tokio::main]
async fn main() -> ExitCode {
    init_tracing();
    let config = match AuthorizerConfig::from_env() {
        Ok(config) => config,
        Err(error) => {
            report_init_error(error).await;
            return ExitCode::from(2);
        }
    };
    tracing::info!(options = ?config.options, "authorizer starting");
    match run(config.verifier, config.options).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "the Lambda runtime failed");
            ExitCode::FAILURE
        }
    }
}
