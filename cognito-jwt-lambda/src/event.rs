//! Every authorizer event one function can receive, told apart by shape.

use aws_lambda_events::apigw::{
    ApiGatewayCustomAuthorizerRequest, ApiGatewayCustomAuthorizerRequestTypeRequest,
    ApiGatewayCustomAuthorizerResponse, ApiGatewayV2CustomAuthorizerIamPolicyResponse,
    ApiGatewayV2CustomAuthorizerSimpleResponse, ApiGatewayV2CustomAuthorizerV1Request,
    ApiGatewayV2CustomAuthorizerV2Request,
};
use aws_lambda_events::appsync::{AppSyncLambdaAuthorizerRequest, AppSyncLambdaAuthorizerResponse};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// An authorizer event of any supported kind, as [`run`](crate::run)
/// receives it. Deserializing tells the kinds apart:
///
/// | kind | shape |
/// |---|---|
/// | REST `TOKEN` | `"type": "TOKEN"` |
/// | REST `REQUEST` (and WebSocket `$connect`) | `"type": "REQUEST"`, no `version` |
/// | HTTP API, payload 1.0 | `"type": "REQUEST"`, `"version": "1.0"` |
/// | HTTP API, payload 2.0 | `"type": "REQUEST"`, `"version": "2.0"` |
/// | AppSync | no `type`; `requestContext` with `apiId` and `queryString` |
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum AuthorizerEvent {
    /// A REST API `TOKEN` authorizer event.
    RestToken(ApiGatewayCustomAuthorizerRequest),
    /// A REST API `REQUEST` authorizer event.
    RestRequest(Box<ApiGatewayCustomAuthorizerRequestTypeRequest>),
    /// An HTTP API authorizer event, payload format 1.0.
    HttpV1(Box<ApiGatewayV2CustomAuthorizerV1Request>),
    /// An HTTP API authorizer event, payload format 2.0.
    HttpV2(Box<ApiGatewayV2CustomAuthorizerV2Request>),
    /// An AppSync Lambda authorization event.
    AppSync(Box<AppSyncLambdaAuthorizerRequest>),
}

/// The answer to an [`AuthorizerEvent`], serialized as the event's kind
/// expects.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum AuthorizerResponse {
    /// An IAM policy answer to a REST API event.
    Policy(ApiGatewayCustomAuthorizerResponse),
    /// An IAM policy answer to an HTTP API event.
    HttpPolicy(ApiGatewayV2CustomAuthorizerIamPolicyResponse),
    /// A simple answer to an HTTP API 2.0 event.
    Simple(ApiGatewayV2CustomAuthorizerSimpleResponse),
    /// An AppSync answer.
    AppSync(AppSyncLambdaAuthorizerResponse),
}

impl AuthorizerEvent {
    /// Read an event from its JSON.
    ///
    /// # Errors
    /// When the JSON is none of the supported kinds, or does not fit the
    /// kind its shape names.
    pub fn from_json(event: Value) -> Result<Self, serde_json::Error> {
        let kind = event.get("type").and_then(Value::as_str);
        let version = event.get("version").and_then(Value::as_str);
        match (kind, version) {
            (Some("TOKEN"), _) => serde_json::from_value(event).map(Self::RestToken),
            (Some("REQUEST"), None) => {
                serde_json::from_value(event).map(|e| Self::RestRequest(Box::new(e)))
            }
            (Some("REQUEST"), Some("1.0")) => {
                serde_json::from_value(event).map(|e| Self::HttpV1(Box::new(e)))
            }
            (Some("REQUEST"), Some("2.0")) => {
                serde_json::from_value(event).map(|e| Self::HttpV2(Box::new(e)))
            }
            (None, _) if is_appsync(&event) => {
                serde_json::from_value(event).map(|e| Self::AppSync(Box::new(e)))
            }
            _ => Err(serde_json::Error::custom(
                "not an authorizer event: expected an API Gateway TOKEN or REQUEST event \
                 (REST, HTTP API payload 1.0 or 2.0) or an AppSync authorization event",
            )),
        }
    }
}

/// AppSync events name the GraphQL request; API Gateway's never do.
fn is_appsync(event: &Value) -> bool {
    event.get("requestContext").is_some_and(|context| {
        context.get("apiId").is_some() && context.get("queryString").is_some()
    })
}

impl<'de> Deserialize<'de> for AuthorizerEvent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Self::from_json(Value::deserialize(deserializer)?).map_err(D::Error::custom)
    }
}
