//! The `axum-server` and `actix-server` binaries as a user runs them:
//! configuration errors, start-up during a key-set outage, request logging
//! and graceful shutdown.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use cognito_jwt_core::AcceptedTokenUse;
use cognito_jwt_core::{
    AccessTokenClaims, AlbClaims, AlbJwtVerifier, CognitoJwtVerifier, ErrorKind, Requirements,
    TokenUse, UserPool,
};
use cognito_jwt_examples::demo::CLIENT_ID;
use cognito_jwt_examples::{local_fetcher, serve_jwks};

use crate::support::*;

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
        Self::spawn_with_args(binary, &[], env)
    }

    fn spawn_with_args(binary: &str, args: &[&str], env: &[(&str, &str)]) -> Self {
        let child = Command::new(binary)
            .args(args)
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
fn misspelt_pool_variable_exits_with_a_rename_hint() {
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
            stderr.contains("COGNITO_USERPOOL_ID is set: rename it to COGNITO_USER_POOL_ID"),
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
        ("ADMIN_GROUP", " ", "ADMIN_GROUP is invalid"),
        (
            "REQUIRED_CLAIMS",
            "custom:tenant=acme; tier",
            "REQUIRED_CLAIMS is invalid: the rule \"tier\" has no operator",
        ),
        (
            "REQUIRED_CLAIM",
            "custom:tenant=acme",
            "REQUIRED_CLAIM is set: rename it to REQUIRED_CLAIMS",
        ),
        (
            "PUBLIC_URL",
            "ftp://api.example.com",
            "PUBLIC_URL is invalid",
        ),
        (
            "COGNITO_UNBOUND_CLIENTS",
            CLIENT_ID,
            "COGNITO_UNBOUND_CLIENTS is invalid",
        ),
        (
            "COGNITO_RESOURCES",
            "https://api.example.com",
            "COGNITO_RESOURCES is set: rename it to COGNITO_RESOURCE",
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
            assert!(!stderr.contains(claims.sub()), "{binary} logged a claim");
        }
    }
}

/// `GET /metrics` serves the verifier's counters and gauges in the
/// Prometheus text format, without a token, and no token or claim in them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_prometheus_metrics_after_requests() {
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
                ("TOKEN_CACHE_MAX_BYTES", "1048576"),
            ],
        );
        let base_url = tokio::task::block_in_place(|| server.base_url());
        // The start-up fetch first, so that it is the only one.
        let deadline = Instant::now() + BOUND;
        while client
            .get(format!("{base_url}/ready"))
            .send()
            .await
            .unwrap()
            .status()
            != 200
        {
            assert!(Instant::now() < deadline, "{binary} never got ready");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        for (token, status) in [
            (&TOKENS.user, 200),
            (&TOKENS.forged, 401),
            (&TOKENS.user, 200),
        ] {
            let response = client
                .get(format!("{base_url}/api/me"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), status, "{binary}");
        }

        let response = client
            .get(format!("{base_url}/metrics"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{binary}");
        let content_type = response.headers()["content-type"].to_str().unwrap();
        assert!(
            content_type.starts_with("text/plain; version=0.0.4"),
            "{binary}: {content_type}"
        );
        let text = response.text().await.unwrap();
        for line in [
            r#"cognito_jwt_verifications_total{verifier="cognito",outcome="ok"} 2"#,
            r#"cognito_jwt_verifications_total{verifier="cognito",outcome="invalid_signature"} 1"#,
            r#"cognito_jwt_verifications_total{verifier="cognito",outcome="expired"} 0"#,
            r#"cognito_jwt_jwks_fetches_total{verifier="cognito",reason="hydrate",outcome="ok"} 1"#,
            r#"cognito_jwt_jwks_fetches_total{verifier="cognito",reason="cold",outcome="ok"} 0"#,
            r#"cognito_jwt_token_cache_hits_total{verifier="cognito"} 1"#,
            r#"cognito_jwt_token_cache_misses_total{verifier="cognito"} 2"#,
            r#"cognito_jwt_jwks_keys{verifier="cognito"} 1"#,
            "# TYPE cognito_jwt_jwks_age_seconds gauge",
            "# HELP cognito_jwt_verifications_total Token verifications",
        ] {
            assert!(
                text.lines().any(|l| l.starts_with(line)),
                "{binary} /metrics has {line}:\n{text}"
            );
        }
        for token in [&TOKENS.user, &TOKENS.forged] {
            for part in token.split('.') {
                assert!(
                    !text.contains(part),
                    "{binary} /metrics shows part of a token"
                );
            }
        }
        let claims: AccessTokenClaims = ISSUER
            .verifier(CLIENT_ID, TokenUse::Access)
            .verify_sync(&TOKENS.user)
            .unwrap();
        assert!(
            !text.contains(claims.sub()),
            "{binary} /metrics shows a claim"
        );
    }
}

/// `local-issuer` prints working settings and tokens: a verifier configured
/// with exactly the printed variables accepts its tokens, and it stops on
/// SIGTERM.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_issuer_prints_settings_that_verify_its_tokens() {
    let mut issuer = Server::spawn(env!("CARGO_BIN_EXE_local-issuer"), &[]);
    let exports = tokio::task::block_in_place(|| read_exports(&mut issuer.child, 6));
    let get = |name: &str| {
        exports
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("{name} not printed: {exports:?}"))
    };
    let verifier = CognitoJwtVerifier::builder()
        .user_pool(
            UserPool::new(get("COGNITO_USER_POOL_ID"))
                .client_id(get("COGNITO_CLIENT_ID"))
                .token_use(
                    get("COGNITO_TOKEN_USE")
                        .parse::<AcceptedTokenUse>()
                        .expect("a token use"),
                )
                .jwks_uri(get("COGNITO_JWKS_URI")),
        )
        .fetcher(local_fetcher().expect("HTTP client"))
        .build()
        .expect("the printed settings configure a verifier");
    let admins = Requirements::new().any_group("admins");
    let user = verifier
        .verify_with::<AccessTokenClaims>(&get("USER_TOKEN"), &admins)
        .await
        .expect_err("the user is not an admin");
    assert_eq!(user.kind(), ErrorKind::MissingGroup, "{user}");
    let admin: AccessTokenClaims = verifier
        .verify_with(&get("ADMIN_TOKEN"), &admins)
        .await
        .expect("the admin's token verifies");
    assert!(admin.in_group("admins"));
    issuer.terminate();
    assert!(issuer.wait().success());
}

/// The `export NAME=value` lines a process prints first, `count` of them.
fn read_exports(child: &mut Child, count: usize) -> Vec<(String, String)> {
    let stdout = child.stdout.take().expect("stdout");
    BufReader::new(stdout)
        .lines()
        .take(count)
        .map(|line| {
            let line = line.expect("a line");
            line.strip_prefix("export ")
                .and_then(|rest| rest.split_once('='))
                .map(|(name, value)| (name.to_owned(), value.to_owned()))
                .unwrap_or_else(|| panic!("not an export line: {line:?}"))
        })
        .collect()
}

/// `local-issuer --alb` acts as the load balancer's key endpoint: a
/// verifier configured with the printed `ALB_ARN` and `ALB_KEYS_URL`
/// accepts its `x-amzn-oidc-data` headers, and `axum-server` started with
/// the printed variables takes the identity from them (and counts them on
/// `/metrics` under the `alb` verifier).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_issuer_alb_prints_headers_the_servers_accept() {
    let mut issuer = Server::spawn_with_args(env!("CARGO_BIN_EXE_local-issuer"), &["--alb"], &[]);
    let exports = tokio::task::block_in_place(|| read_exports(&mut issuer.child, 12));
    let get = |name: &str| {
        exports
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("{name} not printed: {exports:?}"))
    };
    let verifier = AlbJwtVerifier::builder()
        .load_balancer_arn(get("ALB_ARN"))
        .keys_url(get("ALB_KEYS_URL"))
        .fetcher(local_fetcher().expect("HTTP client"))
        .build()
        .expect("the printed settings configure a verifier");
    let alice: AlbClaims = verifier
        .verify(&get("ALB_DATA"))
        .await
        .expect("the header verifies");
    assert_eq!(alice.username.as_deref(), Some("alice"));
    assert_eq!(alice.signer, get("ALB_ARN"));
    assert_eq!(alice.client, Some(get("ALB_CLIENT_ID")));

    let env: Vec<(&str, &str)> = exports
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .chain([("BIND_ADDR", "127.0.0.1:0")])
        .collect();
    let mut server = Server::spawn(env!("CARGO_BIN_EXE_axum-server"), &env);
    let base_url = tokio::task::block_in_place(|| server.base_url());
    let client = client();
    let me = client
        .get(format!("{base_url}/api/me"))
        .header("x-amzn-oidc-data", get("ALB_DATA"))
        .send()
        .await
        .expect("a response");
    assert_eq!(me.status(), 200, "alice's header");
    let me: serde_json::Value =
        serde_json::from_str(&me.text().await.expect("a body")).expect("JSON");
    assert_eq!(me["username"], "alice");
    let admin = client
        .get(format!("{base_url}/api/admin"))
        .header("x-amzn-oidc-data", get("ALB_ADMIN_DATA"))
        .header("x-amzn-oidc-accesstoken", get("ADMIN_TOKEN"))
        .send()
        .await
        .expect("a response");
    assert_eq!(admin.status(), 200, "ada's header and token");
    let metrics = client
        .get(format!("{base_url}/metrics"))
        .send()
        .await
        .expect("a response")
        .text()
        .await
        .expect("a body");
    for line in [
        r#"cognito_jwt_verifications_total{verifier="alb",outcome="ok"} 2"#,
        r#"cognito_jwt_jwks_fetches_total{verifier="alb",reason="unknown_kid",outcome="ok"} 1"#,
        r#"cognito_jwt_jwks_keys{verifier="alb"} 1"#,
        r#"cognito_jwt_verifications_total{verifier="cognito",outcome="ok"} 1"#,
    ] {
        assert!(
            metrics.lines().any(|l| l == line),
            "ALB mode /metrics has {line}:\n{metrics}"
        );
    }

    server.terminate();
    assert!(tokio::task::block_in_place(|| server.wait()).success());
    issuer.terminate();
    assert!(tokio::task::block_in_place(|| issuer.wait()).success());
}
