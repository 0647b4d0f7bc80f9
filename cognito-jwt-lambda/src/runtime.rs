//! The ready main loop, and reporting a failed start-up to Lambda.

use cognito_jwt_core::Verify;
use http::Method;
use lambda_runtime::{LambdaEvent, service_fn};
use lambda_runtime_api_client::body::Body;
use lambda_runtime_api_client::{Client, build_request};

use crate::authorizer::Authorizer;
use crate::event::AuthorizerEvent;
use crate::options::AuthorizerOptions;

/// Run an authorizer function over any verifier (a `CognitoJwtVerifier`,
/// or a `JwtVerifier` for another issuer): load the key set once for this execution
/// environment (unless [`AuthorizerOptions::fetch_keys_at_start`] is off),
/// then answer every event with [`Authorizer::handle`] under the Lambda
/// Runtime API, until the environment is shut down.
///
/// Call it from `main` after building the verifier, so that both happen in
/// the init phase, before the first invocation. A key set that cannot be
/// fetched then is logged once with the reason and does not stop the
/// function: invocations fail with `KeySetUnavailable` (500 at the API)
/// until a fetch succeeds.
///
/// ```no_run
/// use cognito_jwt_core::CognitoJwtVerifier;
/// use cognito_jwt_lambda::{AuthorizerOptions, report_init_error, run};
///
/// #[tokio::main]
/// async fn main() -> Result<(), lambda_runtime::Error> {
///     let verifier = match CognitoJwtVerifier::from_env() {
///         Ok(verifier) => verifier,
///         Err(error) => return Err(report_init_error(error).await),
///     };
///     run(verifier, AuthorizerOptions::new().wide_resource(true)).await
/// }
/// ```
///
/// # Errors
/// Options that [`AuthorizerOptions::validate`] refuses, reported as an
/// init error ([`report_init_error`]); when the Lambda Runtime API fails
/// (the function then exits and Lambda starts a new environment).
pub async fn run(
    verifier: impl Verify,
    options: AuthorizerOptions,
) -> Result<(), lambda_runtime::Error> {
    let authorizer = match Authorizer::try_new(verifier, options) {
        Ok(authorizer) => authorizer,
        Err(error) => return Err(report_init_error(error).await),
    };
    // A key set bundled with the function (COGNITO_JWKS_FILE) already
    // serves: the cold start then makes no request.
    let verifier = authorizer.verifier();
    if authorizer.options().fetch_keys_at_start_enabled() && !verifier.health().ready {
        load_keys(verifier).await;
    }
    lambda_runtime::run(service_fn(|event: LambdaEvent<AuthorizerEvent>| {
        authorizer.handle(event.payload)
    }))
    .await
}

async fn load_keys(verifier: &impl Verify) {
    let health = verifier.health();
    let jwks_uri: Vec<&str> = health.key_sets.iter().map(|set| set.url.as_str()).collect();
    match verifier.hydrate().await {
        Ok(()) => tracing::info!(?jwks_uri, "key set loaded before the first invocation"),
        Err(error) => tracing::warn!(
            ?jwks_uri,
            reason = %error.message(),
            "key set unavailable at start-up; invocations fail with KeySetUnavailable \
             until it can be fetched"
        ),
    }
}

/// Report a failed start-up (typically a [`ConfigError`] naming a missing or
/// misspelt variable) to the Lambda Runtime API as an init error, and give
/// the error back for `main` to return.
///
/// Lambda then fails the init phase with the error's type and message
/// (shown to the invoker and in the function's logs) instead of a bare
/// "exited" error. Outside Lambda (`AWS_LAMBDA_RUNTIME_API` unset) it only
/// logs.
///
/// [`ConfigError`]: cognito_jwt_core::ConfigError
pub async fn report_init_error<E>(error: E) -> lambda_runtime::Error
where
    E: std::error::Error + Send + Sync + 'static,
{
    let error_type = short_type_name::<E>();
    tracing::error!(error_type, %error, "initialization failed");
    if let Ok(api) = std::env::var("AWS_LAMBDA_RUNTIME_API")
        && let Err(report) = post_init_error(&api, error_type, &error.to_string()).await
    {
        tracing::error!(%report, "could not report the init error to the Lambda Runtime API");
    }
    Box::new(error)
}

async fn post_init_error(
    api: &str,
    error_type: &str,
    message: &str,
) -> Result<(), lambda_runtime::Error> {
    let client = Client::builder()
        .with_endpoint(format!("http://{api}").parse()?)
        .build()?;
    let body = serde_json::json!({ "errorType": error_type, "errorMessage": message });
    let request = build_request()
        .method(Method::POST)
        .uri("/2018-06-01/runtime/init/error")
        .header("lambda-runtime-function-error-type", "Runtime.InitError")
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(Body::from(serde_json::to_vec(&body)?))?;
    let response = client.call(request).await?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(format!("the Runtime API answered {}", response.status()).into())
    }
}

/// `ConfigError` for `cognito_jwt_core::error::ConfigError`.
fn short_type_name<E>() -> &'static str {
    let name = std::any::type_name::<E>();
    let name = name.split('<').next().unwrap_or(name);
    name.rsplit("::").next().unwrap_or(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_types_are_short() {
        assert_eq!(
            short_type_name::<cognito_jwt_core::ConfigError>(),
            "ConfigError"
        );
        assert_eq!(short_type_name::<std::io::Error>(), "Error");
    }
}
