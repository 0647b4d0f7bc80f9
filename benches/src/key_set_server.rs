//! A minimal HTTP/1.1 server on 127.0.0.1 that serves one key set and
//! counts the requests it answers.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// Longest request head read before the connection is dropped.
const MAX_REQUEST_HEAD: usize = 8 * 1024;

/// Serves `GET /<pool>/.well-known/jwks.json` on an ephemeral port of
/// 127.0.0.1, one response per connection (`connection: close`), and
/// answers 404 to any other path. Stops when dropped.
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
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let path = format!("/{pool_id}/.well-known/jwks.json");
        let url = format!("http://{}{path}", listener.local_addr()?);
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
                tokio::spawn(async move {
                    // A failed exchange only means the client went away; the
                    // count shows what was actually served.
                    let _ = answer(stream, &request_line, &ok, &counter).await;
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
    mut stream: TcpStream,
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
