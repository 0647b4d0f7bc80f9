//! The `axum-server` and `actix-server` binaries as a user runs them:
//! configuration errors, start-up during a key-set outage, request logging
//! and graceful shutdown.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use cognito_jwt_core::{AccessTokenClaims, TokenUse};
use cognito_jwt_examples::demo::CLIENT_ID;
use cognito_jwt_examples::serve_jwks;
use common::*;

const BINARIES: [&str; 2] = [
    env!("CARGO_BIN_EXE_axum-server"),
    env!("CARGO_BIN_EXE_actix-server"),
];

/// Generous bound on any wait for a child process, so that a hang fails the
/// test instead of stalling the suite.
const BOUND: Duration = Duration::from_secs(20);

/// A server process, killed if the test ends early.
struct Server {
    child: Child,
}

impl Server {
    fn spawn(binary: &str, env: &[(&str, &str)]) -> Self {
        let child = Command::new(binary)
            .env_clear()
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the server starts");
        Self { child }
    }

    /// Wait for the process to exit, at most [`BOUND`].
    fn wait(&mut self) -> ExitStatus {
        let deadline = Instant::now() + BOUND;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(Instant::now() < deadline, "the server did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn stderr(&mut self) -> String {
        let mut text = String::new();
        if let Some(mut stderr) = self.child.stderr.take() {
            stderr.read_to_string(&mut text).expect("read stderr");
        }
        text
    }

    /// The address from the `listening on http://...` line on stdout.
    fn base_url(&mut self) -> String {
        let stdout = self.child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read stdout");
        line.trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("no address line: {line:?}"))
            .to_owned()
    }

    /// Ask the server to stop the way a supervisor does.
    fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[test]
fn misspelt_pool_variable_exits_with_did_you_mean() {
    for binary in BINARIES {
        let mut server = Server::spawn(
            binary,
            &[
                ("COGNITO_USERPOOL_ID", POOL_ID),
                ("COGNITO_CLIENT_ID", CLIENT_ID),
                ("COGNITO_TOKEN_USE", "access"),
            ],
        );
        let status = server.wait();
        let stderr = server.stderr();
        assert_eq!(status.code(), Some(2), "{binary}: {stderr}");
        assert!(
            stderr.contains("COGNITO_USER_POOL_ID is not set"),
            "{binary}: {stderr}"
        );
        assert!(
            stderr.contains("did you mean COGNITO_USERPOOL_ID?"),
            "{binary}: {stderr}"
        );
    }
}

#[test]
fn invalid_settings_exit_naming_the_variable() {
    let cases = [
        (
            "COGNITO_USER_POOL_ID",
            "not-a-pool-id",
            "COGNITO_USER_POOL_ID is invalid",
        ),
        ("BIND_ADDR", "localhost:eighty", "BIND_ADDR is invalid"),
        (
            "TOKEN_CACHE_MAX_BYTES",
            "lots",
            "TOKEN_CACHE_MAX_BYTES is invalid",
        ),
        (
            "COGNITO_JWKS_URI",
            "file:///etc/passwd",
            "COGNITO_JWKS_URI is invalid",
        ),
    ];
    for binary in BINARIES {
        for (name, value, expected) in cases {
            let mut env = vec![
                ("COGNITO_USER_POOL_ID", POOL_ID),
                ("COGNITO_CLIENT_ID", CLIENT_ID),
                ("COGNITO_TOKEN_USE", "access"),
            ];
            env.retain(|(n, _)| *n != name);
            env.push((name, value));
            let mut server = Server::spawn(binary, &env);
            let status = server.wait();
            let stderr = server.stderr();
            assert_eq!(status.code(), Some(2), "{binary} {name}: {stderr}");
            assert!(stderr.contains(expected), "{binary} {name}: {stderr}");
        }
    }
}

/// A key set that cannot be fetched does not stop the server: it starts,
/// logs the outage, answers 503 where a token must be checked, and stops
/// cleanly on SIGTERM.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starts_during_a_key_set_outage_and_answers_503() {
    let down = closed_port_url();
    let client = client();
    for binary in BINARIES {
        let mut server = Server::spawn(
            binary,
            &[
                ("COGNITO_USER_POOL_ID", POOL_ID),
                ("COGNITO_CLIENT_ID", CLIENT_ID),
                ("COGNITO_TOKEN_USE", "access"),
                ("COGNITO_JWKS_URI", &down),
                ("BIND_ADDR", "127.0.0.1:0"),
            ],
        );
        let base_url = tokio::task::block_in_place(|| server.base_url());

        let health = client
            .get(format!("{base_url}/health"))
            .send()
            .await
            .unwrap();
        assert_eq!(health.status(), 200, "{binary}");
        let me = client
            .get(format!("{base_url}/api/me"))
            .bearer_auth(&TOKENS.user)
            .send()
            .await
            .unwrap();
        assert_eq!(me.status(), 503, "{binary}");
        assert!(me.headers().contains_key("retry-after"), "{binary}");

        server.terminate();
        let status = tokio::task::block_in_place(|| server.wait());
        let stderr = server.stderr();
        assert!(
            status.success(),
            "{binary} stops cleanly on SIGTERM: {stderr}"
        );
        assert!(
            stderr.contains("key set unavailable at start-up"),
            "{binary}: {stderr}"
        );
        assert!(!stderr.contains(&TOKENS.user), "{binary} logs no token");
    }
}

/// With the key set reachable: keys loaded at start-up, requests served and
/// logged by method, path and status, and never with their token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_and_logs_requests_without_tokens() {
    let jwks = serve_jwks(POOL_ID, ISSUER.jwks_json()).await.unwrap();
    let client = client();
    for binary in BINARIES {
        let mut server = Server::spawn(
            binary,
            &[
                ("COGNITO_USER_POOL_ID", POOL_ID),
                ("COGNITO_CLIENT_ID", CLIENT_ID),
                ("COGNITO_TOKEN_USE", "access"),
                ("COGNITO_JWKS_URI", jwks.url()),
                ("BIND_ADDR", "127.0.0.1:0"),
                ("ADMIN_GROUP", "moderators"),
                ("RUST_LOG", "trace"),
            ],
        );
        let base_url = tokio::task::block_in_place(|| server.base_url());
        for (path, token, status) in [
            ("/api/me", &TOKENS.user, 200),
            ("/api/me", &TOKENS.forged, 401),
            ("/api/admin", &TOKENS.admin, 403),
        ] {
            let response = client
                .get(format!("{base_url}{path}?page=2"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), status, "{binary} {path}");
        }

        server.terminate();
        let status = tokio::task::block_in_place(|| server.wait());
        let stderr = server.stderr();
        assert!(status.success(), "{binary}: {stderr}");
        assert!(stderr.contains("key set loaded"), "{binary}: {stderr}");
        for expected in [
            "method=GET path=/api/me status=200",
            "method=GET path=/api/me status=401",
            "method=GET path=/api/admin status=403",
        ] {
            assert!(
                stderr.contains(expected),
                "{binary} logs {expected}: {stderr}"
            );
        }
        for token in [&TOKENS.user, &TOKENS.forged, &TOKENS.admin] {
            for part in token.split('.') {
                assert!(!stderr.contains(part), "{binary} logged part of a token");
            }
        }
        let verifier = ISSUER.verifier(CLIENT_ID, TokenUse::Access);
        for token in [&TOKENS.user, &TOKENS.admin] {
            let claims: AccessTokenClaims = verifier.verify_sync(token).unwrap();
            assert!(!stderr.contains(&claims.sub), "{binary} logged a claim");
        }
    }
}

/// `local-issuer` prints working settings and tokens: the CLI verifies its
/// tokens with exactly the printed variables, and it stops on SIGTERM.
#[test]
fn local_issuer_prints_settings_that_verify_its_tokens() {
    let mut issuer = Server::spawn(env!("CARGO_BIN_EXE_local-issuer"), &[]);
    let stdout = issuer.child.stdout.take().expect("stdout");
    let mut exports = Vec::new();
    for line in BufReader::new(stdout).lines().take(5) {
        let line = line.expect("a line");
        let (name, value) = line
            .strip_prefix("export ")
            .and_then(|rest| rest.split_once('='))
            .unwrap_or_else(|| panic!("not an export line: {line:?}"));
        exports.push((name.to_owned(), value.to_owned()));
    }
    let get = |name: &str| {
        exports
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("{name} not printed: {exports:?}"))
    };
    let pool: Vec<(String, String)> = exports
        .iter()
        .filter(|(name, _)| name.starts_with("COGNITO_"))
        .cloned()
        .collect();
    for (token, group, expected) in [
        ("USER_TOKEN", "admins", Some(1)),
        ("ADMIN_TOKEN", "admins", Some(0)),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_cognito-jwt"))
            .args(["verify", "--group", group, &get(token)])
            .env_clear()
            .envs(pool.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .output()
            .expect("the CLI runs");
        assert_eq!(
            output.status.code(),
            expected,
            "{token}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    issuer.terminate();
    assert!(issuer.wait().success());
}
