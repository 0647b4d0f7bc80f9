//! The MCP server through rmcp's own client (streamable HTTP, a bearer
//! token) over 127.0.0.1, with tokens of the core's test issuer.

use std::error::Error;
use std::sync::Arc;

use cognito_jwt_axum::CognitoLayer;
use cognito_jwt_core::testing::TestIssuer;
use cognito_jwt_core::{CognitoJwtVerifier, TokenUse};
use cognito_jwt_mcp_example::{ADMIN_TOOL, IdentityTools, McpConfig, resource_of, router};
use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::service::{ClientInitializeError, RoleClient, RunningService};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::{
    AuthRequiredError, InsufficientScopeError, StreamableHttpClientTransportConfig,
};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ServiceError, ServiceExt};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

const CLIENT: &str = "mcp-app-client";

/// The server on a port of its own, and the issuer whose tokens it takes.
struct Server {
    issuer: TestIssuer,
    base: String,
    config: McpConfig,
    shutdown: CancellationToken,
}

impl Server {
    async fn start() -> Self {
        let issuer = TestIssuer::new("eu-west-1_McpPool1");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port on 127.0.0.1");
        let base = format!("http://{}", listener.local_addr().expect("its address"));
        let verifier = issuer.verifier_from(
            CognitoJwtVerifier::builder()
                .user_pool(
                    issuer
                        .user_pool(CLIENT, TokenUse::Access)
                        .resource(resource_of(&base)),
                )
                .fetcher(issuer.fetcher()),
        );
        let config = McpConfig::new(verifier, &base).expect("configuration");
        let shutdown = CancellationToken::new();
        let app = router(&config, shutdown.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self {
            issuer,
            base,
            config,
            shutdown,
        }
    }

    fn mcp_url(&self) -> String {
        format!("{}/mcp", self.base)
    }

    /// A token for this server's resource, with `scope`.
    fn token(&self, scope: &str) -> String {
        self.issuer
            .access_token(CLIENT)
            .claim("sub", "user-7")
            .claim("username", "ada")
            .claim("aud", self.config.resource())
            .scope(scope)
            .sign()
    }

    /// An MCP session through rmcp's client, sending `token` if any.
    async fn connect(
        &self,
        token: Option<&str>,
    ) -> Result<RunningService<RoleClient, ()>, ClientInitializeError> {
        let mut config = StreamableHttpClientTransportConfig::with_uri(self.mcp_url());
        if let Some(token) = token {
            config = config.auth_header(token);
        }
        ().serve(StreamableHttpClientTransport::from_config(config))
            .await
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// The first error of type `T` in `error`'s chain of sources.
fn in_chain<'a, T: Error + 'static>(error: &'a (dyn Error + 'static)) -> Option<&'a T> {
    let mut next = Some(error);
    while let Some(current) = next {
        if let Some(found) = current.downcast_ref::<T>() {
            return Some(found);
        }
        next = current.source();
    }
    None
}

/// The first error of type `T` among the transport's errors that failed
/// `error` (rmcp keeps them outside its chain of sources).
fn at_initialization<T: Error + 'static>(error: &ClientInitializeError) -> Option<&T> {
    match error {
        ClientInitializeError::TransportError { error, .. } => in_chain(error),
        _ => None,
    }
}

/// The value of the quoted parameter `name` of a `WWW-Authenticate` challenge.
fn challenge_param<'a>(challenge: &'a str, name: &str) -> Option<&'a str> {
    let start = challenge.find(&format!("{name}=\""))? + name.len() + 2;
    let length = challenge[start..].find('"')?;
    Some(&challenge[start..start + length])
}

async fn call(
    session: &RunningService<RoleClient, ()>,
    tool: &str,
) -> Result<CallToolResult, ServiceError> {
    session
        .call_tool(CallToolRequestParams::new(tool.to_owned()))
        .await
}

#[tokio::test]
async fn without_a_token_the_challenge_leads_to_the_metadata_naming_the_issuer() {
    let server = Server::start().await;
    let error = server
        .connect(None)
        .await
        .expect_err("no token, no session");
    assert!(
        at_initialization::<AuthRequiredError>(&error).is_some(),
        "expected 401, got {error:?}"
    );
    let challenge = error
        .auth_challenge()
        .expect("a WWW-Authenticate challenge");
    assert!(
        !challenge.contains("error="),
        "a bare challenge: {challenge}"
    );
    let metadata_url = challenge_param(challenge, "resource_metadata").expect("resource_metadata");
    assert_eq!(
        metadata_url,
        format!("{}/.well-known/oauth-protected-resource/mcp", server.base)
    );

    let http = reqwest::Client::new();
    let document: Value = http
        .get(metadata_url)
        .send()
        .await
        .expect("the metadata document")
        .error_for_status()
        .expect("200")
        .json()
        .await
        .expect("JSON");
    assert_eq!(document["resource"], server.mcp_url());
    assert_eq!(
        document["authorization_servers"],
        serde_json::json!([server.issuer.issuer()])
    );
    assert_eq!(
        document["scopes_supported"],
        serde_json::json!([server.config.admin_scope])
    );
    // Where MCP clients look when a challenge names no document.
    let at_root: Value = http
        .get(format!(
            "{}/.well-known/oauth-protected-resource",
            server.base
        ))
        .send()
        .await
        .expect("the document at the root")
        .json()
        .await
        .expect("JSON");
    assert_eq!(at_root, document);
}

#[tokio::test]
async fn a_token_for_this_resource_calls_the_tools_and_gets_its_identity() {
    let server = Server::start().await;
    let token = server.token(&format!("openid {}", server.config.admin_scope));
    let session = server.connect(Some(&token)).await.expect("a session");

    let tools = session.list_all_tools().await.expect("the tools");
    let mut names: Vec<&str> = tools.iter().map(|tool| tool.name.as_ref()).collect();
    names.sort_unstable();
    assert_eq!(names, [ADMIN_TOOL, "whoami"]);

    let identity = call(&session, "whoami").await.expect("whoami");
    let identity = identity.structured_content.expect("structured content");
    assert_eq!(identity["sub"], "user-7");
    assert_eq!(identity["username"], "ada");
    assert_eq!(identity["client_id"], CLIENT);
    assert_eq!(
        identity["scopes"],
        serde_json::json!(["openid", server.config.admin_scope])
    );

    let stats = call(&session, ADMIN_TOOL)
        .await
        .expect("admin_stats with the scope");
    let stats = stats.structured_content.expect("structured content");
    assert_eq!(stats["tool_calls"], 2, "whoami and this call");
    session.cancel().await.expect("the session ends");
}

#[tokio::test]
async fn a_token_bound_to_another_resource_is_refused_with_401() {
    let server = Server::start().await;
    let elsewhere = server
        .issuer
        .access_token(CLIENT)
        .claim("aud", "https://other-api.example.com/mcp")
        .sign();
    let unbound = server.issuer.access_token(CLIENT).sign();
    for (what, token) in [("another resource", elsewhere), ("no aud", unbound)] {
        let error = server
            .connect(Some(&token))
            .await
            .expect_err("refused at initialization");
        assert!(
            at_initialization::<AuthRequiredError>(&error).is_some(),
            "{what}: expected 401, got {error:?}"
        );
        let challenge = error.auth_challenge().expect("a challenge");
        assert_eq!(
            challenge_param(challenge, "error"),
            Some("invalid_token"),
            "{what}"
        );
        assert_eq!(
            challenge_param(challenge, "resource_metadata"),
            Some(server.config.metadata.metadata_url().as_str()),
            "{what}"
        );
    }
}

#[tokio::test]
async fn a_missing_scope_is_refused_with_403_naming_the_scope() {
    let server = Server::start().await;
    let token = server.token("openid profile");
    let session = server.connect(Some(&token)).await.expect("a session");
    call(&session, "whoami")
        .await
        .expect("whoami needs no scope");

    let error = call(&session, ADMIN_TOOL)
        .await
        .expect_err("admin_stats without the scope");
    let refusal = in_chain::<InsufficientScopeError>(&error)
        .unwrap_or_else(|| panic!("expected 403, got {error:?}"));
    let challenge = error.auth_challenge().expect("a challenge");
    assert_eq!(
        challenge_param(challenge, "error"),
        Some("insufficient_scope")
    );
    assert_eq!(
        challenge_param(challenge, "scope"),
        Some(server.config.admin_scope.as_str())
    );
    assert_eq!(
        refusal.get_required_scope(),
        Some(server.config.admin_scope.as_str())
    );
    session.cancel().await.expect("the session ends");
}

#[tokio::test]
async fn crafted_bodies_never_reach_a_scoped_tool_without_its_scope() {
    let server = Server::start().await;
    let token = server.token("openid profile");
    let http = reqwest::Client::new();
    let call =
        r#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"admin\u005fstats"}}"#;
    let batch = r#"[{"jsonrpc":"2.0","id":4,"method":"tools/list"},
        {"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"admin_stats"}}]"#;
    let repeated = r#"{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"whoami","name":"admin_stats"}}"#;
    for (what, body, status) in [
        ("escaped name", call, 403),
        ("in a batch", batch, 403),
        ("a repeated key", repeated, 400),
    ] {
        let answer = http
            .post(server.mcp_url())
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .body(body)
            .send()
            .await
            .expect("an answer");
        assert_eq!(answer.status().as_u16(), status, "{what}");
        if status == 403 {
            let challenge = answer.headers()["www-authenticate"]
                .to_str()
                .expect("ASCII");
            assert_eq!(
                challenge_param(challenge, "scope"),
                Some(server.config.admin_scope.as_str()),
                "{what}"
            );
        }
    }
}

#[tokio::test]
async fn served_without_the_guard_the_tool_still_refuses_a_missing_scope() {
    let server = Server::start().await;
    // The tools behind the layer only, on a port of their own.
    let tools = IdentityTools::new(&server.config.admin_scope);
    let mcp = StreamableHttpService::new(
        move || Ok(tools.clone()),
        Arc::new(LocalSessionManager::default()),
        StreamableHttpServerConfig::default(),
    );
    let app = axum::Router::new()
        .route_service("/mcp", mcp)
        .layer(CognitoLayer::new(server.config.verifier.clone()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port on 127.0.0.1");
    let url = format!("http://{}/mcp", listener.local_addr().expect("its address"));
    tokio::spawn(async move { axum::serve(listener, app).await });

    let token = server.token("openid profile");
    let session = ()
        .serve(StreamableHttpClientTransport::from_config(
            StreamableHttpClientTransportConfig::with_uri(url).auth_header(token),
        ))
        .await
        .expect("a session");
    let error = call(&session, ADMIN_TOOL)
        .await
        .expect_err("refused by the tool");
    assert!(
        matches!(error, ServiceError::McpError(_)),
        "a JSON-RPC error, not an HTTP one: {error:?}"
    );
    call(&session, "whoami")
        .await
        .expect("whoami still answers");
    session.cancel().await.expect("the session ends");
}
