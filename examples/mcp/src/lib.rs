//! An MCP server protected by `cognito-jwt`: [rmcp]'s streamable-HTTP
//! server on axum, behind [`CognitoLayer`].
//!
//! The Model Context Protocol's authorization spec makes an MCP server an
//! OAuth resource server. Here that is:
//!
//! | route | answer |
//! |---|---|
//! | `POST`/`GET`/`DELETE /mcp` | the MCP endpoint, for access tokens of the pool bound to this server (`aud` = the endpoint's URL, RFC 8707); 401 otherwise, naming the metadata document (`resource_metadata`) |
//! | `GET /.well-known/oauth-protected-resource/mcp` | the RFC 9728 document of the endpoint: `resource` = `PUBLIC_URL/mcp`, the pool's issuer in `authorization_servers`, the admin scope in `scopes_supported` |
//! | `GET /.well-known/oauth-protected-resource` | the same document, where MCP clients look when a challenge names none |
//!
//! | tool | answer |
//! |---|---|
//! | `whoami` | the caller's [`Identity`] (`sub`, `username`, `client_id`, `scopes`, `groups`), as structured content |
//! | `admin_stats` | [`AdminStats`] for tokens with the admin scope ([`McpConfig::admin_scope`]); HTTP 403 `insufficient_scope` with `scope="…"` for others ([`ToolScopes`]) |
//!
//! Tools read the identity from the claims the layer verified, which rmcp
//! hands them in the request's `http::request::Parts`.
//!
//! ```no_run
//! use cognito_jwt_mcp_example::{McpConfig, router};
//! use tokio_util::sync::CancellationToken;
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     // COGNITO_USER_POOL_ID, COGNITO_CLIENT_ID, COGNITO_TOKEN_USE=access, PUBLIC_URL, ...
//!     let config = McpConfig::from_env()?;
//!     let listener = tokio::net::TcpListener::bind(config.bind_addr).await?;
//!     axum::serve(listener, router(&config, CancellationToken::new())).await?;
//!     Ok(())
//! }
//! ```
//!
//! [rmcp]: https://docs.rs/rmcp
//! [`CognitoLayer`]: cognito_jwt_axum::CognitoLayer
#![forbid(unsafe_code)]

mod config;
mod scopes;
pub mod telemetry;
mod tools;

use std::sync::Arc;

use axum::Router;
use cognito_jwt_axum::{CognitoLayer, ResourceMetadata};
use cognito_jwt_core::http::METADATA_PATH;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use tokio_util::sync::CancellationToken;

pub use config::{ADMIN_SCOPE_NAME, DEFAULT_BIND_ADDR, MCP_PATH, McpConfig, resource_of};
pub use scopes::{MAX_BODY_BYTES, ToolScopes, require_tool_scopes};
pub use tools::{ADMIN_TOOL, AdminStats, Identity, IdentityTools};

/// The server's routes (see the [crate docs](crate)). Cancelling `shutdown`
/// ends the open MCP sessions and their event streams, so that a graceful
/// shutdown does not wait on them.
pub fn router(config: &McpConfig, shutdown: CancellationToken) -> Router {
    let tools = IdentityTools::new(&config.admin_scope);
    let mcp = StreamableHttpService::new(
        move || Ok(tools.clone()),
        Arc::new(LocalSessionManager::default()),
        StreamableHttpServerConfig::default()
            // rmcp refuses other `Host` headers (DNS rebinding): the one
            // clients use is the public URL's.
            .with_allowed_hosts([authority(config.resource())])
            .with_max_request_body_bytes(MAX_BODY_BYTES)
            .with_cancellation_token(shutdown),
    );
    let tool_scopes = ToolScopes::new(&config.metadata).require(ADMIN_TOOL, &config.admin_scope);
    let metadata = ResourceMetadata::new(&config.metadata);
    Router::new()
        .route_service(MCP_PATH, mcp)
        // Layers run outside in: the token is verified, then tool scopes.
        .layer(axum::middleware::from_fn_with_state(
            tool_scopes,
            require_tool_scopes,
        ))
        .layer(CognitoLayer::new(config.verifier.clone()).resource_metadata(&config.metadata))
        .route_service(metadata.path(), metadata.clone())
        .route_service(METADATA_PATH, metadata)
}

/// The `host[:port]` of a URL such as `https://mcp.example.com/mcp`.
fn authority(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.split('/').next().unwrap_or(rest)
}
