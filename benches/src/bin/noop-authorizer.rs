//! `noop-authorizer`: the floor of the cold-start comparison. A Lambda
//! authorizer on the same runtime as `apigw-authorizer` (the
//! `lambda_runtime` crate that `cognito-jwt-lambda` runs on, one Tokio
//! runtime) that answers every REST `TOKEN` event with an Allow for the
//! token's `sub` **without verifying anything**: it decodes the payload
//! segment and reads `sub`. What a real authorizer costs above it is the
//! verifier's configuration, key set and checks.
//!
//! Never deploy it: it lets every token through. `benches/cold-start/run.sh`
//! builds and times it beside the real authorizers.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cognito_jwt_lambda::lambda_runtime::{self, LambdaEvent, service_fn};
use serde_json::{Value, json};

/// The `sub` of a compact JWS's payload, unverified; empty if unreadable.
fn unverified_sub(token: &str) -> String {
    token
        .split('.')
        .nth(1)
        .and_then(|payload| URL_SAFE_NO_PAD.decode(payload).ok())
        .and_then(|json| serde_json::from_slice::<Value>(&json).ok())
        .and_then(|claims| claims.get("sub").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_default()
}

async fn allow(event: LambdaEvent<Value>) -> Result<Value, lambda_runtime::Error> {
    let token = event.payload["authorizationToken"].as_str().unwrap_or("");
    let token = token.strip_prefix("Bearer ").unwrap_or(token);
    Ok(json!({
        "principalId": unverified_sub(token),
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{
                "Action": "execute-api:Invoke",
                "Effect": "Allow",
                "Resource": event.payload["methodArn"],
            }],
        },
    }))
}

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::run(service_fn(allow)).await
}
