//! Per-tool scopes, enforced at the HTTP level.
//!
//! Every MCP call goes to one URL, so a route guard cannot tell tools
//! apart: this middleware reads the JSON-RPC body, and a `tools/call` of a
//! tool that needs a scope the token lacks gets the answer the MCP
//! authorization spec asks for, HTTP 403 with
//! `WWW-Authenticate: Bearer error="insufficient_scope", scope="…"`, from
//! which a client learns which scope to ask the user for. A refusal inside
//! the tool would be a JSON-RPC error in a 200 answer, which clients do
//! not treat as a challenge.

use std::borrow::Cow;
use std::sync::Arc;

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use cognito_jwt_axum::CognitoRejection;
use cognito_jwt_core::http::{AuthRejection, DEFAULT_REALM, ProtectedResourceMetadata};
use cognito_jwt_core::{AccessTokenClaims, Requirements};
use http::header::CONTENT_TYPE;
use http::{Method, StatusCode};
use serde::Deserialize;
use serde::de::IgnoredAny;

/// The largest JSON-RPC body read, as rmcp's server allows by default
/// (4 MiB); a larger one is refused with 413 before any tool runs.
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// Which tools need which scope, for [`require_tool_scopes`]. Put it
/// behind a [`CognitoLayer`](cognito_jwt_axum::CognitoLayer), whose
/// verified claims it reads.
#[derive(Debug, Clone)]
pub struct ToolScopes {
    tools: Arc<[(String, Requirements)]>,
    resource_metadata: Arc<str>,
}

impl ToolScopes {
    /// No tool needs a scope; 401 challenges name `metadata`'s URL.
    pub fn new(metadata: &ProtectedResourceMetadata) -> Self {
        Self {
            tools: Arc::from([]),
            resource_metadata: metadata.metadata_url().into(),
        }
    }

    /// Require `scope` for calls of the tool `tool`; several calls for one
    /// tool mean any of the scopes.
    #[must_use]
    pub fn require(self, tool: &str, scope: &str) -> Self {
        let mut tools = self.tools.to_vec();
        match tools.iter_mut().find(|(name, _)| name == tool) {
            Some((_, requirements)) => {
                *requirements = std::mem::take(requirements).any_scope(scope);
            }
            None => tools.push((tool.to_owned(), Requirements::new().any_scope(scope))),
        }
        Self {
            tools: tools.into(),
            resource_metadata: self.resource_metadata,
        }
    }

    /// The answer refusing `body`, if any of its calls is refused or it
    /// cannot be read with certainty.
    fn refusal(&self, body: &[u8], claims: Option<&AccessTokenClaims>) -> Option<Response> {
        let Some(tools) = called_tools(body) else {
            return Some(unreadable());
        };
        for tool in tools {
            let Some((_, requirements)) = self.tools.iter().find(|(name, _)| *name == tool) else {
                continue;
            };
            let reason = match claims {
                Some(claims) => match requirements.check(claims.groups(), claims.scopes()) {
                    Ok(()) => continue,
                    Err(error) => AuthRejection::from(error),
                },
                // Served without the layer in front: nobody is let in.
                None => AuthRejection::Missing,
            };
            reason.log();
            return Some(
                CognitoRejection::new(reason, DEFAULT_REALM)
                    .with_resource_metadata(Arc::clone(&self.resource_metadata))
                    .into_response(),
            );
        }
        None
    }
}

/// The middleware (`axum::middleware::from_fn_with_state`): refuses a
/// `POST` whose JSON-RPC message (or batch) calls a tool whose scope the
/// verified token lacks, and passes every other request on unchanged.
pub async fn require_tool_scopes(
    State(scopes): State<ToolScopes>,
    request: Request,
    next: Next,
) -> Response {
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let Ok(body) = to_bytes(body, MAX_BODY_BYTES).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    if let Some(refusal) = scopes.refusal(&body, parts.extensions.get::<AccessTokenClaims>()) {
        return refusal;
    }
    next.run(Request::from_parts(parts, Body::from(body))).await
}

/// The JSON-RPC messages of a body: one, or a batch.
#[derive(Deserialize)]
#[serde(untagged)]
enum Messages<'a> {
    One(#[serde(borrow)] Message<'a>),
    Batch(#[serde(borrow)] Vec<Message<'a>>),
}

#[derive(Deserialize)]
struct Message<'a> {
    #[serde(borrow)]
    method: Option<Cow<'a, str>>,
    #[serde(borrow)]
    params: Option<Params<'a>>,
}

#[derive(Deserialize)]
struct Params<'a> {
    #[serde(borrow)]
    name: Option<Cow<'a, str>>,
}

/// The names of the tools `body` calls (`tools/call`); none for a body
/// that is not JSON, which rmcp refuses without running a tool. `None` for
/// JSON this reading cannot take apart (a repeated key, a `method` that is
/// not a string): rmcp might read another tool name in it than this
/// would, so it is refused rather than passed on.
fn called_tools(body: &[u8]) -> Option<Vec<Cow<'_, str>>> {
    let messages = match serde_json::from_slice::<Messages<'_>>(body) {
        Ok(Messages::One(message)) => vec![message],
        Ok(Messages::Batch(messages)) => messages,
        Err(_) if serde_json::from_slice::<IgnoredAny>(body).is_err() => return Some(Vec::new()),
        Err(_) => return None,
    };
    Some(
        messages
            .into_iter()
            .filter(|m| m.method.as_deref() == Some("tools/call"))
            .filter_map(|m| m.params.and_then(|p| p.name))
            .collect(),
    )
}

/// 400 for JSON whose calls cannot be read with certainty: a JSON-RPC
/// parse error without a request id (none can be trusted).
fn unreadable() -> Response {
    let body = r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"the request cannot be read unambiguously (a repeated key?)"}}"#;
    (
        StatusCode::BAD_REQUEST,
        [(CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(body: &[u8]) -> Option<Vec<String>> {
        called_tools(body).map(|names| names.into_iter().map(Cow::into_owned).collect())
    }

    #[test]
    fn tool_names_are_read_from_calls_only_with_escapes_decoded() {
        let call = br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"admin\u005fstats"}}"#;
        assert_eq!(names(call), Some(vec!["admin_stats".to_owned()]));
        let batch =
            br#"[{"method":"tools/list"},{"method":"tools/call","params":{"name":"whoami"}}]"#;
        assert_eq!(names(batch), Some(vec!["whoami".to_owned()]));
        let other = br#"{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{"name":"x"}}"#;
        assert_eq!(names(other), Some(vec![]));
        assert_eq!(names(b"not json"), Some(vec![]));
    }

    #[test]
    fn json_read_ambiguously_is_refused() {
        for body in [
            &br#"{"method":"tools/call","params":{"name":"whoami","name":"admin_stats"}}"#[..],
            br#"{"method":"tools/list","method":"tools/call","params":{"name":"admin_stats"}}"#,
            br#"{"method":["tools/call"],"params":{"name":"admin_stats"}}"#,
        ] {
            assert_eq!(names(body), None, "{}", String::from_utf8_lossy(body));
        }
    }
}
