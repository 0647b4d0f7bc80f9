//! A minimal HTTP/1.1 server on 127.0.0.1, over TCP or TLS, that serves
//! one key set and counts the requests it answers.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

/// Longest request head read before the connection is dropped.
const MAX_REQUEST_HEAD: usize = 8 * 1024;

/// Serves `GET /<pool>/.well-known/jwks.json` on an ephemeral port of
/// 127.0.0.1, one response per connection (`connection: close`), and
/// answers 404 to any other path; over plain HTTP ([`start`](Self::start))
/// or HTTPS ([`start_tls`](Self::start_tls)). Stops when dropped.
#[derive(Debug)]
pub struct KeySetServer {
    url: String,
    requests: Arc<AtomicUsize>,
    accept_loop: JoinHandle<()>,
}

impl KeySetServer {
    /// Bind 127.0.0.1:0 and start serving `jwks_json` for `pool_id` on the
    /// current tokio runtime.
    ///
    /// # Errors
    /// When the listener cannot be bound.
    pub async fn start(pool_id: &str, jwks_json: String) -> std::io::Result<Self> {
        Self::serve(pool_id, jwks_json, None).await
    }

    /// As [`start`](Self::start), over TLS with `tls` (the URL is
    /// `https://127.0.0.1:<port>/…`; see [`TestCa`](crate::TestCa)). A
    /// failed handshake is not counted.
    ///
    /// # Errors
    /// When the listener cannot be bound.
    pub async fn start_tls(
        pool_id: &str,
        jwks_json: String,
        tls: Arc<rustls::ServerConfig>,
    ) -> std::io::Result<Self> {
        Self::serve(pool_id, jwks_json, Some(TlsAcceptor::from(tls))).await
    }

    async fn serve(
        pool_id: &str,
        jwks_json: String,
        tls: Option<TlsAcceptor>,
    ) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let path = format!("/{pool_id}/.well-known/jwks.json");
        let scheme = if tls.is_some() { "https" } else { "http" };
        let url = format!("{scheme}://{}{path}", listener.local_addr()?);
        let requests = Arc::new(AtomicUsize::new(0));
        let ok: Arc<[u8]> = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
             connection: close\r\n\r\n{jwks_json}",
            jwks_json.len()
        )
        .into_bytes()
        .into();
        let request_line = Arc::<str>::from(format!("GET {path} HTTP/1.1\r\n"));
        let counter = Arc::clone(&requests);
        let accept_loop = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let ok = Arc::clone(&ok);
                let request_line = Arc::clone(&request_line);
                let counter = Arc::clone(&counter);
                let tls = tls.clone();
                // As a production server does: without it the TLS
                // server's flight waits for a delayed ACK (40 ms here).
                let _ = stream.set_nodelay(true);
                tokio::spawn(async move {
                    // A failed exchange only means the client went away (or
                    // refused the certificate); the count shows what was
                    // actually served.
                    let _ = match tls {
                        None => answer(stream, &request_line, &ok, &counter).await,
                        Some(tls) => match tls.accept(stream).await {
                            Ok(stream) => answer(stream, &request_line, &ok, &counter).await,
                            Err(error) => Err(error),
                        },
                    };
                });
            }
        });
        Ok(Self {
            url,
            requests,
            accept_loop,
        })
    }

    /// The key-set URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// How many key-set requests were answered so far.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

impl Drop for KeySetServer {
    fn drop(&mut self) {
        self.accept_loop.abort();
    }
}

async fn answer(
    mut stream: impl AsyncRead + AsyncWrite + Unpin,
    request_line: &str,
    ok: &[u8],
    counter: &AtomicUsize,
) -> std::io::Result<()> {
    let mut head = Vec::with_capacity(512);
    let mut chunk = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let read = stream.read(&mut chunk).await?;
        if read == 0 || head.len() + read > MAX_REQUEST_HEAD {
            return Ok(());
        }
        head.extend_from_slice(&chunk[..read]);
    }
    if head.starts_with(request_line.as_bytes()) {
        counter.fetch_add(1, Ordering::SeqCst);
        stream.write_all(ok).await?;
    } else {
        stream
            .write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
            .await?;
    }
    stream.shutdown().await
}
