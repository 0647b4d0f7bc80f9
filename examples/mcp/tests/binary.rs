//! `mcp-server` configured from the environment: start-up errors name the
//! variable, and tokens are bound to the MCP endpoint without
//! `COGNITO_RESOURCE`.

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdout, Command, Stdio};

use axum::Router;
use axum::routing::get;
use cognito_jwt_core::testing::TestIssuer;
use serde_json::{Value, json};

const POOL_ID: &str = "eu-west-1_McpPool9";
const CLIENT: &str = "mcp-app-client";
const PUBLIC_URL: &str = "https://mcp.example.com";

fn mcp_server(vars: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mcp-server"));
    command
        .env_clear()
        .envs(vars.iter().copied())
        .stdin(Stdio::null());
    command
}

#[test]
fn a_bad_configuration_exits_with_2_naming_the_variable() {
    let pool = [
        ("COGNITO_USER_POOL_ID", POOL_ID),
        ("COGNITO_CLIENT_ID", CLIENT),
        ("COGNITO_TOKEN_USE", "access"),
    ];
    // Each case sets these variables over the pool's.
    let cases = [
        ("no public URL", vec![], "PUBLIC_URL is not set"),
        (
            "ID tokens",
            vec![("COGNITO_TOKEN_USE", "id"), ("PUBLIC_URL", PUBLIC_URL)],
            "COGNITO_TOKEN_USE is invalid",
        ),
        (
            "bound to other resources only",
            vec![
                ("PUBLIC_URL", PUBLIC_URL),
                ("COGNITO_RESOURCE", "https://orders.example.com"),
            ],
            "PUBLIC_URL is invalid",
        ),
    ];
    for (what, set, message) in cases {
        let vars: Vec<(&str, &str)> = pool
            .into_iter()
            .filter(|(name, _)| !set.iter().any(|(overridden, _)| overridden == name))
            .chain(set.iter().copied())
            .collect();
        let output = mcp_server(&vars).output().expect("mcp-server runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{what}: {stderr}");
        assert!(stderr.contains(message), "{what}: {stderr}");
    }
}

/// The server process, ended when dropped; its stdout stays open until
/// then (it prints to it).
struct Running(Child, BufReader<ChildStdout>);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn from_the_environment_tokens_must_be_bound_to_the_endpoint() {
    let issuer = TestIssuer::new(POOL_ID);
    let jwks = issuer.jwks_json();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port for the key set");
    let jwks_uri = format!(
        "http://{}/jwks.json",
        listener.local_addr().expect("address")
    );
    let key_set = Router::new().route("/jwks.json", get(move || async move { jwks }));
    tokio::spawn(async move { axum::serve(listener, key_set).await });

    let mut child = mcp_server(&[
        ("COGNITO_USER_POOL_ID", POOL_ID),
        ("COGNITO_CLIENT_ID", CLIENT),
        ("COGNITO_TOKEN_USE", "access"),
        ("COGNITO_JWKS_URI", &jwks_uri),
        ("PUBLIC_URL", PUBLIC_URL),
        ("BIND_ADDR", "127.0.0.1:0"),
        ("RUST_LOG", "off"),
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::null())
    .spawn()
    .expect("mcp-server starts");
    let stdout = BufReader::new(child.stdout.take().expect("its stdout"));
    let mut server = Running(child, stdout);
    let mut line = String::new();
    server.1.read_line(&mut line).expect("the listening line");
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();

    let http = reqwest::Client::new();
    let document: Value = http
        .get(format!("{base}/.well-known/oauth-protected-resource/mcp"))
        .send()
        .await
        .expect("the metadata document")
        .json()
        .await
        .expect("JSON");
    assert_eq!(document["resource"], "https://mcp.example.com/mcp");
    assert_eq!(document["authorization_servers"], json!([issuer.issuer()]));
    assert_eq!(
        document["scopes_supported"],
        json!(["https://mcp.example.com/mcp/admin"])
    );

    let initialize = json!({
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "test", "version": "1"}
        }
    });
    let bound = issuer
        .access_token(CLIENT)
        .claim("aud", "https://mcp.example.com/mcp")
        .sign();
    let unbound = issuer.access_token(CLIENT).sign();
    for (what, token, status) in [("bound here", bound, 200), ("no aud", unbound, 401)] {
        let answer = http
            .post(format!("{base}/mcp"))
            // The public URL's host, as behind a proxy: rmcp refuses others.
            .header("host", "mcp.example.com")
            .header("accept", "application/json, text/event-stream")
            .bearer_auth(&token)
            .json(&initialize)
            .send()
            .await
            .expect("an answer");
        assert_eq!(answer.status().as_u16(), status, "{what}");
        if status == 401 {
            let challenge = answer.headers()["www-authenticate"]
                .to_str()
                .expect("ASCII");
            assert!(
                challenge.contains(
                    "resource_metadata=\"https://mcp.example.com/.well-known/oauth-protected-resource/mcp\""
                ),
                "{what}: {challenge}"
            );
        }
    }
    drop(server);
}
