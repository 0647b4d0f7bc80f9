//! A local key-set endpoint, laid out like the emulators'
//! (`/<pool id>/.well-known/jwks.json`), for the demo, the load test and
//! the tests; and a local load balancer key endpoint (`/<kid>`, a PEM
//! document), as `ALB_KEYS_URL` expects.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::get;
use cognito_jwt_core::ReqwestFetcher;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

#[derive(Debug)]
struct Shared {
    document: RwLock<String>,
    requests: AtomicUsize,
    content_type: &'static str,
}

/// A running key-set server; it stops when dropped.
///
/// ```no_run
/// # async fn run() -> std::io::Result<()> {
/// use cognito_jwt_core::testing::TestIssuer;
/// use cognito_jwt_examples::serve_jwks;
///
/// let issuer = TestIssuer::new("eu-west-1_Example1");
/// let server = serve_jwks(issuer.pool_id(), issuer.jwks_json()).await?;
/// println!("COGNITO_JWKS_URI={}", server.url());
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct JwksServer {
    address: SocketAddr,
    url: String,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

/// Serve `document` for `pool_id` on a free port of 127.0.0.1.
///
/// Must be called inside a tokio runtime (actix-web's is one).
///
/// # Errors
/// When no port can be bound.
pub async fn serve_jwks(pool_id: &str, document: String) -> std::io::Result<JwksServer> {
    JwksServer::start(SocketAddr::from(([127, 0, 0, 1], 0)), pool_id, document).await
}

/// Serve a load balancer's public key `pem` at `/<kid>` on a free port of
/// 127.0.0.1 (see [`JwksServer::start_alb_key`]).
///
/// # Errors
/// When no port can be bound.
pub async fn serve_alb_key(kid: &str, pem: String) -> std::io::Result<JwksServer> {
    JwksServer::start_alb_key(SocketAddr::from(([127, 0, 0, 1], 0)), kid, pem).await
}

impl JwksServer {
    /// Serve `document` for `pool_id` on `address`.
    ///
    /// # Errors
    /// When `address` cannot be bound.
    pub async fn start(
        address: SocketAddr,
        pool_id: &str,
        document: String,
    ) -> std::io::Result<Self> {
        let path = format!("/{pool_id}/.well-known/jwks.json");
        Self::serve(address, path, "application/json", document).await
    }

    /// Serve a load balancer's public key `pem` at `/<kid>` on `address`,
    /// as its key endpoint does: [`base_url`](Self::base_url) is then the
    /// verifier's `keys_url` (`ALB_KEYS_URL`).
    ///
    /// # Errors
    /// When `address` cannot be bound.
    pub async fn start_alb_key(
        address: SocketAddr,
        kid: &str,
        pem: String,
    ) -> std::io::Result<Self> {
        Self::serve(address, format!("/{kid}"), "application/x-pem-file", pem).await
    }

    async fn serve(
        address: SocketAddr,
        path: String,
        content_type: &'static str,
        document: String,
    ) -> std::io::Result<Self> {
        let listener = TcpListener::bind(address).await?;
        let address = listener.local_addr()?;
        let shared = Arc::new(Shared {
            document: RwLock::new(document),
            requests: AtomicUsize::new(0),
            content_type,
        });
        let app = Router::new()
            .route(&path, get(key_set))
            .with_state(Arc::clone(&shared));
        let task = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app).await {
                tracing::error!(%error, "the key-set server stopped");
            }
        });
        Ok(Self {
            url: format!("http://{address}{path}"),
            address,
            shared,
            task,
        })
    }

    /// The document's URL: for a key set, `COGNITO_JWKS_URI` or
    /// `UserPool::jwks_uri`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// `http://<address>`: for a load balancer key, `ALB_KEYS_URL`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The address it listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Serve `document` from now on (a key rotation).
    pub fn set_document(&self, document: String) {
        match self.shared.document.write() {
            Ok(mut current) => *current = document,
            Err(poisoned) => *poisoned.into_inner() = document,
        }
    }

    /// How many times the document has been requested.
    pub fn requests(&self) -> usize {
        self.shared.requests.load(Ordering::SeqCst)
    }
}

impl Drop for JwksServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn key_set(State(shared): State<Arc<Shared>>) -> impl IntoResponse {
    shared.requests.fetch_add(1, Ordering::SeqCst);
    let document = match shared.document.read() {
        Ok(document) => document.clone(),
        Err(poisoned) => poisoned.into_inner().clone(),
    };
    ([(CONTENT_TYPE, shared.content_type)], document)
}

/// A key-set fetcher for local endpoints: like the default one, but it
/// never goes through an `HTTP_PROXY` from the environment, so that
/// 127.0.0.1 is reached directly.
///
/// # Errors
/// When the HTTP client cannot be built.
pub fn local_fetcher() -> Result<ReqwestFetcher, reqwest::Error> {
    let client = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(2))
        .timeout(Duration::from_secs(5))
        .build()?;
    Ok(ReqwestFetcher::from_client(client))
}
