//! The MCP tools: the caller's identity, and statistics for holders of the
//! admin scope.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use cognito_jwt_core::AccessTokenClaims;
use http::request::Parts;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::tool::Extension;
use rmcp::{ErrorData, Json, ServerHandler, schemars, tool, tool_handler, tool_router};
use serde::Serialize;

/// The tool that needs [`McpConfig::admin_scope`](crate::McpConfig::admin_scope).
pub const ADMIN_TOOL: &str = "admin_stats";

/// The caller, as the `whoami` tool answers: the identity in the verified
/// access token, never the token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
#[non_exhaustive]
pub struct Identity {
    /// `sub`: the user's id, or the client id of a machine-to-machine token.
    pub sub: String,
    /// `username`, absent for machine-to-machine tokens.
    pub username: Option<String>,
    /// The app client the token was issued to.
    pub client_id: String,
    /// The granted scopes.
    pub scopes: Vec<String>,
    /// The user's groups (`cognito:groups`).
    pub groups: Vec<String>,
}

impl From<&AccessTokenClaims> for Identity {
    fn from(claims: &AccessTokenClaims) -> Self {
        Self {
            sub: claims.sub().to_owned(),
            username: claims.username().map(str::to_owned),
            client_id: claims.client_id().to_owned(),
            scopes: claims.scopes().map(str::to_owned).collect(),
            groups: claims.groups().map(str::to_owned).collect(),
        }
    }
}

/// What the `admin_stats` tool answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
#[non_exhaustive]
pub struct AdminStats {
    /// Tool calls this server has answered since it started, this one
    /// included, over every session.
    pub tool_calls: u64,
}

/// The MCP server's tools. One value is shared by every session: the
/// identity is read per request, from the claims
/// [`CognitoLayer`](cognito_jwt_axum::CognitoLayer) verified, which rmcp
/// hands to tools in the request's [`Parts`]; nothing is remembered
/// from one request of a session to the next.
#[derive(Debug, Clone)]
pub struct IdentityTools {
    admin_scope: Arc<str>,
    tool_calls: Arc<AtomicU64>,
    tool_router: ToolRouter<Self>,
}

#[tool_router]
impl IdentityTools {
    /// The tools, `admin_stats` requiring `admin_scope`.
    pub fn new(admin_scope: &str) -> Self {
        Self {
            admin_scope: admin_scope.into(),
            tool_calls: Arc::new(AtomicU64::new(0)),
            tool_router: Self::tool_router(),
        }
    }

    /// Who the caller is.
    #[tool(description = "Who am I? The identity in the access token this request carries.")]
    async fn whoami(
        &self,
        Extension(parts): Extension<Parts>,
    ) -> Result<Json<Identity>, ErrorData> {
        let claims = verified_claims(&parts)?;
        self.tool_calls.fetch_add(1, Ordering::Relaxed);
        Ok(Json(Identity::from(claims)))
    }

    /// Statistics, for holders of the admin scope.
    #[tool(description = "How many tool calls this server has answered. Needs the admin scope.")]
    async fn admin_stats(
        &self,
        Extension(parts): Extension<Parts>,
    ) -> Result<Json<AdminStats>, ErrorData> {
        let claims = verified_claims(&parts)?;
        // The HTTP guard (`ToolScopes`) already answered 403 to a caller
        // without the scope; this check keeps the tool safe wherever it is
        // served, and against a body the guard read differently.
        if !claims.has_scope(&self.admin_scope) {
            return Err(ErrorData::invalid_request(
                "the token lacks the scope this tool requires",
                None,
            ));
        }
        let tool_calls = self.tool_calls.fetch_add(1, Ordering::Relaxed) + 1;
        Ok(Json(AdminStats { tool_calls }))
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for IdentityTools {}

/// The claims `CognitoLayer` verified for this request; without the layer
/// in front there are none, and no tool answers.
fn verified_claims(parts: &Parts) -> Result<&AccessTokenClaims, ErrorData> {
    parts.extensions.get::<AccessTokenClaims>().ok_or_else(|| {
        ErrorData::internal_error(
            "no verified token: serve the tools behind CognitoLayer",
            None,
        )
    })
}
