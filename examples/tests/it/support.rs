//! Helpers shared by the integration tests: one issuer per test process,
//! the two example servers on free ports of 127.0.0.1, and verifiers.

use std::io::{BufRead as _, BufReader};
use std::net::{SocketAddr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use cognito_jwt_core::http::ProtectedResourceMetadata;
use cognito_jwt_core::testing::{TestIssuer, TestKey};
use cognito_jwt_core::{CognitoJwtVerifier, TokenUse, UserPool};
use cognito_jwt_examples::demo::{ADMIN_GROUP, CLIENT_ID, DemoTokens};
use cognito_jwt_examples::{actix_server, axum_server, local_fetcher};

pub(crate) const POOL_ID: &str = "eu-west-1_ExamplesTest";

/// Key generation is slow: one issuer (and one forger) per test binary.
pub(crate) static ISSUER: LazyLock<TestIssuer> = LazyLock::new(|| TestIssuer::new(POOL_ID));
pub(crate) static FORGER: LazyLock<TestKey> = LazyLock::new(|| TestKey::generate("forger"));
pub(crate) static TOKENS: LazyLock<DemoTokens> =
    LazyLock::new(|| DemoTokens::new(&ISSUER, CLIENT_ID, &FORGER));

/// A verifier for `ISSUER`'s access tokens, fetching keys from `jwks_uri`.
pub(crate) fn remote_verifier(jwks_uri: &str) -> CognitoJwtVerifier {
    CognitoJwtVerifier::builder()
        .user_pool(
            UserPool::new(POOL_ID)
                .client_id(CLIENT_ID)
                .token_use(TokenUse::Access)
                .jwks_uri(jwks_uri),
        )
        .fetcher(local_fetcher().expect("HTTP client"))
        .build()
        .expect("verifier configuration")
}

/// A key-set URL on a port where nothing listens.
pub(crate) fn closed_port_url() -> String {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        listener.local_addr().expect("its address").port()
    };
    format!("http://127.0.0.1:{port}/{POOL_ID}/.well-known/jwks.json")
}

/// The axum example server on a free port; stops when the handle drops.
pub(crate) struct AxumServer {
    pub base_url: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for AxumServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub(crate) async fn start_axum(verifier: CognitoJwtVerifier) -> AxumServer {
    start_axum_with(verifier, None).await
}

/// [`start_axum`], serving `metadata` as a resource server.
pub(crate) async fn start_axum_with(
    verifier: CognitoJwtVerifier,
    metadata: Option<ProtectedResourceMetadata>,
) -> AxumServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let address = listener.local_addr().expect("its address");
    let app = axum_server::resource_server_router(verifier, ADMIN_GROUP, metadata.as_ref(), None);
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.expect("axum server");
    });
    AxumServer {
        base_url: format!("http://{address}"),
        task,
    }
}

/// The actix-web example server on a free port, with one worker. Must run
/// inside an actix-web runtime (`#[actix_web::test]`).
pub(crate) struct ActixServer {
    pub base_url: String,
    handle: actix_web::dev::ServerHandle,
}

impl ActixServer {
    pub(crate) async fn stop(self) {
        self.handle.stop(true).await;
    }
}

pub(crate) fn start_actix(verifier: CognitoJwtVerifier) -> ActixServer {
    start_actix_with(verifier, None)
}

/// [`start_actix`], serving `metadata` as a resource server.
pub(crate) fn start_actix_with(
    verifier: CognitoJwtVerifier,
    metadata: Option<ProtectedResourceMetadata>,
) -> ActixServer {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let address: SocketAddr = listener.local_addr().expect("its address");
    let server = actix_web::HttpServer::new(move || {
        actix_server::resource_server_app(verifier.clone(), ADMIN_GROUP, metadata.as_ref(), None)
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .expect("listen")
    .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    ActixServer {
        base_url: format!("http://{address}"),
        handle,
    }
}

/// An HTTP client that ignores any proxy settings.
pub(crate) fn client() -> reqwest::Client {
    cognito_jwt_examples::demo::local_client().expect("HTTP client")
}

/// A server binary started with `env` (and nothing else of this
/// process's environment) on a free port, killed when dropped.
pub(crate) struct Replica {
    child: Child,
    pub(crate) base_url: String,
}

impl Replica {
    pub(crate) fn start(binary: &str, env: &[(&str, &str)]) -> Self {
        let mut child = Command::new(binary)
            .env_clear()
            .envs(env.iter().copied())
            .env("BIND_ADDR", "127.0.0.1:0")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the server starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("its address");
        let base_url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("no address line: {line:?}"))
            .to_owned();
        Self { child, base_url }
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Poll `check` every 20 ms until it holds; panics after 15 s.
pub(crate) async fn eventually<F: std::future::Future<Output = bool>>(
    what: &str,
    mut check: impl FnMut() -> F,
) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !check().await {
        assert!(Instant::now() < deadline, "never happened: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
