//! Shared helpers for the key-set cache tests: one issuer and spare keys per
//! test process, verifiers pointed at a local key-set server, tokens that only
//! need to reach the `kid` lookup, a hand-made gzip bomb, and a raw TCP
//! server for faults wiremock cannot express.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use cognito_jwt_core::testing::{TestIssuer, TestKey, b64};
use cognito_jwt_core::{
    AccessTokenClaims, CognitoJwtVerifier, CognitoJwtVerifierBuilder, Error, ErrorKind,
    KeySetOptions, TokenUse, UserPool,
};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockGuard, MockServer, ResponseTemplate};

pub(crate) const POOL: &str = "eu-west-1_JwksTests1";
pub(crate) const CLIENT: &str = "jwks-test-client";

/// The pool's issuer; its own key has the kid `eu-west-1_JwksTests1-key-1`.
pub(crate) static ISSUER: LazyLock<TestIssuer> = LazyLock::new(|| TestIssuer::new(POOL));
/// A second key, e.g. the one a rotation introduces.
pub(crate) static KEY_B: LazyLock<TestKey> = LazyLock::new(|| TestKey::generate("key-b"));
/// A third key.
pub(crate) static KEY_C: LazyLock<TestKey> = LazyLock::new(|| TestKey::generate("key-c"));

/// Upper bound on any wait in these tests; only a guard against hangs.
pub(crate) const HANG_GUARD: Duration = Duration::from_secs(10);

/// The path the verifier is configured to fetch, as in moto's layout.
pub(crate) fn jwks_path() -> String {
    format!("/{POOL}/.well-known/jwks.json")
}

/// The key-set URL on a server whose base URI is `base`.
pub(crate) fn jwks_uri(base: &str) -> String {
    format!("{base}{}", jwks_path())
}

/// Key-set options that keep the cache from refetching or refreshing on
/// its own during a test; tests shorten what they exercise.
pub(crate) fn quiet_key_sets() -> KeySetOptions {
    KeySetOptions::default()
        .cooldown(Duration::from_secs(60))
        .refresh_interval(Duration::from_secs(600))
        .max_staleness(Duration::from_secs(600))
        .fetch_timeout(Duration::from_secs(5))
        .backoff(Duration::from_secs(30), Duration::from_secs(60))
}

/// A builder for [`POOL`] fetching from `base`, with
/// [`quiet_key_sets`].
pub(crate) fn builder(base: &str) -> CognitoJwtVerifierBuilder {
    CognitoJwtVerifier::builder()
        .user_pool(
            UserPool::new(POOL)
                .client_id(CLIENT)
                .token_use(TokenUse::Access)
                .jwks_uri(jwks_uri(base)),
        )
        .key_set_options(quiet_key_sets())
}

/// A key-set document with these keys.
pub(crate) fn jwks(keys: &[&TestKey]) -> String {
    jwks_of(keys.iter().map(|k| k.jwk()).collect())
}

/// A key-set document with these raw entries.
pub(crate) fn jwks_of(entries: Vec<Value>) -> String {
    json!({ "keys": entries }).to_string()
}

/// A 200 response carrying `body` as JSON.
pub(crate) fn json_response(body: impl Into<String>) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("content-type", "application/json")
        .set_body_string(body.into())
}

/// Serve `response` at the key-set path, expecting `times` requests (checked
/// when the returned guard is dropped).
pub(crate) async fn serve(
    server: &MockServer,
    response: ResponseTemplate,
    times: u64,
) -> MockGuard {
    Mock::given(method("GET"))
        .and(path(jwks_path()))
        .respond_with(response)
        .expect(times)
        .mount_as_scoped(server)
        .await
}

/// Requests the server has received so far.
pub(crate) async fn request_count(server: &MockServer) -> usize {
    server
        .received_requests()
        .await
        .expect("request recording is on")
        .len()
}

/// A valid access token for [`POOL`] signed by `key` under its own kid.
pub(crate) fn token_signed_by(key: &TestKey) -> String {
    ISSUER
        .access_token(CLIENT)
        .header("kid", key.kid())
        .sign_with(key)
}

/// A valid access token signed by the issuer's own key.
pub(crate) fn token() -> String {
    ISSUER.access_token(CLIENT).sign()
}

/// Tokens that name `kid` and carry valid claims but a signature made over
/// another header: enough to reach the key lookup, which is all a `kid`
/// flood needs, without an RSA signature per token.
#[derive(Debug)]
pub(crate) struct KidForger {
    payload: String,
    signature: String,
}

impl KidForger {
    pub(crate) fn new() -> Self {
        let genuine = token();
        let mut parts = genuine.split('.');
        let _header = parts.next();
        let payload = parts.next().expect("payload").to_owned();
        let signature = parts.next().expect("signature").to_owned();
        Self { payload, signature }
    }

    pub(crate) fn with_kid(&self, kid: &str) -> String {
        let header = json!({ "alg": "RS256", "kid": kid }).to_string();
        format!("{}.{}.{}", b64(header), self.payload, self.signature)
    }

    /// A token naming a fresh random kid.
    pub(crate) fn with_random_kid(&self) -> String {
        self.with_kid(&random_kid())
    }
}

/// 32 random hex digits.
pub(crate) fn random_kid() -> String {
    let mut bytes = [0u8; 16];
    SystemRandom::new().fill(&mut bytes).expect("random bytes");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Verify as an access token.
pub(crate) async fn verify(
    verifier: &CognitoJwtVerifier,
    token: &str,
) -> Result<AccessTokenClaims, Error> {
    verifier.verify::<AccessTokenClaims>(token).await
}

/// The kind of a failed verification; panics (naming nothing secret) if it
/// succeeded.
pub(crate) fn kind_of<T>(result: Result<T, Error>) -> ErrorKind {
    match result {
        Ok(_) => panic!("the verification succeeded but was expected to fail"),
        Err(e) => e.kind(),
    }
}

/// Assert a failure is `jwks_unavailable` with a retry hint, and return it.
#[track_caller]
pub(crate) fn assert_unavailable<T>(result: Result<T, Error>) -> Error {
    let error = match result {
        Ok(_) => panic!("the verification succeeded but the key set should be unavailable"),
        Err(e) => e,
    };
    assert_eq!(
        error.kind(),
        ErrorKind::JwksUnavailable,
        "{}",
        error.message()
    );
    let retry_after = error
        .retry_after()
        .expect("jwks_unavailable carries a retry hint");
    assert!(retry_after >= Duration::from_secs(1), "{retry_after:?}");
    error
}

/// Poll `condition` every 20 ms until it holds or [`HANG_GUARD`] passes.
pub(crate) async fn eventually(mut condition: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + HANG_GUARD;
    while tokio::time::Instant::now() < deadline {
        if condition() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    condition()
}

/// A port on 127.0.0.1 where nothing listens (bound, then released).
pub(crate) async fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    listener.local_addr().expect("address").port()
}

/// A gzip member that inflates to `padding` spaces followed by `text`
/// (JSON allows leading whitespace). The padding is encoded as 13-bit
/// back-references of 258 bytes each: 8 MiB of padding compresses to about
/// 52 KiB, under the fetcher's 64 KiB cap, and inflates to 128 times that.
pub(crate) fn gzip_bomb(padding: usize, text: &[u8]) -> Vec<u8> {
    let mut bits = BitWriter::default();
    bits.value(1, 1); // BFINAL
    bits.value(1, 2); // BTYPE = 01, fixed Huffman codes
    let mut remaining = padding;
    if remaining > 0 {
        bits.literal(b' ');
        remaining -= 1;
    }
    while remaining >= 258 {
        bits.code(0xC5, 8); // length code 285: 258 bytes, no extra bits
        bits.code(0, 5); // distance code 0: distance 1
        remaining -= 258;
    }
    for _ in 0..remaining {
        bits.literal(b' ');
    }
    for byte in text {
        bits.literal(*byte);
    }
    bits.code(0, 7); // end of block
    let deflated = bits.finish();

    let mut crc = Crc32::default();
    for _ in 0..padding {
        crc.update(b' ');
    }
    for byte in text {
        crc.update(*byte);
    }
    let size = u32::try_from((padding + text.len()) % (1 << 32)).expect("mod 2^32");

    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    out.extend_from_slice(&deflated);
    out.extend_from_slice(&crc.finish().to_le_bytes());
    out.extend_from_slice(&size.to_le_bytes());
    out
}

#[derive(Default)]
struct BitWriter {
    out: Vec<u8>,
    current: u8,
    used: u32,
}

impl BitWriter {
    fn bit(&mut self, bit: u32) {
        self.current |= u8::from(bit & 1 == 1) << self.used;
        self.used += 1;
        if self.used == 8 {
            self.out.push(self.current);
            self.current = 0;
            self.used = 0;
        }
    }

    /// A header field: least significant bit first.
    fn value(&mut self, value: u32, count: u32) {
        for i in 0..count {
            self.bit(value >> i);
        }
    }

    /// A Huffman code: most significant bit first.
    fn code(&mut self, code: u32, length: u32) {
        for i in (0..length).rev() {
            self.bit(code >> i);
        }
    }

    fn literal(&mut self, byte: u8) {
        let byte = u32::from(byte);
        if byte < 144 {
            self.code(0x30 + byte, 8);
        } else {
            self.code(0x190 + byte - 144, 9);
        }
    }

    fn finish(mut self) -> Vec<u8> {
        if self.used > 0 {
            self.out.push(self.current);
        }
        self.out
    }
}

struct Crc32 {
    table: [u32; 256],
    value: u32,
}

impl Default for Crc32 {
    fn default() -> Self {
        let mut table = [0u32; 256];
        for (n, entry) in (0u32..).zip(table.iter_mut()) {
            let mut c = n;
            for _ in 0..8 {
                c = if c & 1 == 1 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
            *entry = c;
        }
        Self {
            table,
            value: 0xFFFF_FFFF,
        }
    }
}

impl Crc32 {
    fn update(&mut self, byte: u8) {
        self.value =
            self.table[((self.value ^ u32::from(byte)) & 0xFF) as usize] ^ (self.value >> 8);
    }

    fn finish(&self) -> u32 {
        self.value ^ 0xFFFF_FFFF
    }
}

/// How a [`RawServer`] answers each request.
#[derive(Debug, Clone)]
pub(crate) enum Fault {
    /// 200 with the full `Content-Length`, then one body byte per `interval`.
    Trickle { body: Vec<u8>, interval: Duration },
    /// Accept, read the request, never answer, keep the connection open.
    Silent,
    /// 200, chunked without a length: `total` bytes of spaces in 8 KiB chunks.
    Chunked { total: usize },
    /// 200 with `Content-Encoding: gzip` and this (compressed) body.
    Gzip(Vec<u8>),
}

#[derive(Default)]
struct RawState {
    requests: AtomicUsize,
    heads: Mutex<Vec<String>>,
    /// A write failed because the client went away.
    hung_up: AtomicBool,
    /// A response (or its attempt) ended, by completion or by hang-up.
    finished: AtomicUsize,
}

/// A minimal HTTP/1.1 server on 127.0.0.1 that misbehaves as told. One
/// request per connection; dropping it stops every connection.
pub(crate) struct RawServer {
    addr: SocketAddr,
    state: Arc<RawState>,
    accept: JoinHandle<()>,
}

impl RawServer {
    pub(crate) async fn start(fault: Fault) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let state = Arc::new(RawState::default());
        let fault = Arc::new(fault);
        let shared = Arc::clone(&state);
        let accept = tokio::spawn(async move {
            let mut connections = JoinSet::new();
            while let Ok((stream, _)) = listener.accept().await {
                connections.spawn(answer(stream, Arc::clone(&fault), Arc::clone(&shared)));
            }
        });
        Self {
            addr,
            state,
            accept,
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub(crate) fn uri(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub(crate) fn requests(&self) -> usize {
        self.state.requests.load(Ordering::SeqCst)
    }

    /// Request heads received, lower-cased.
    pub(crate) fn request_heads(&self) -> Vec<String> {
        self.state.heads.lock().expect("heads").clone()
    }

    /// Wait (bounded) until a response attempt has ended; true when the
    /// client stopped reading before the server had written everything.
    pub(crate) async fn client_hung_up(&self) -> bool {
        let state = Arc::clone(&self.state);
        eventually(move || state.finished.load(Ordering::SeqCst) > 0).await;
        self.state.hung_up.load(Ordering::SeqCst)
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

impl std::fmt::Debug for RawServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawServer")
            .field("addr", &self.addr)
            .finish()
    }
}

async fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).await.ok()?;
        if n == 0 || head.len() > 16 * 1024 {
            return None;
        }
        head.extend_from_slice(&buf[..n]);
    }
    Some(String::from_utf8_lossy(&head).to_lowercase())
}

async fn answer(mut stream: TcpStream, fault: Arc<Fault>, state: Arc<RawState>) {
    let Some(head) = read_head(&mut stream).await else {
        return;
    };
    state.requests.fetch_add(1, Ordering::SeqCst);
    state.heads.lock().expect("heads").push(head);
    let outcome = match &*fault {
        Fault::Silent => {
            std::future::pending::<()>().await;
            Ok(())
        }
        Fault::Trickle { body, interval } => trickle(&mut stream, body, *interval).await,
        Fault::Chunked { total } => chunked(&mut stream, *total).await,
        Fault::Gzip(body) => {
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-encoding: gzip\r\n\
                 content-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            write_all(&mut stream, &[head.as_bytes(), body].concat()).await
        }
    };
    if outcome.is_err() {
        state.hung_up.store(true, Ordering::SeqCst);
    }
    state.finished.fetch_add(1, Ordering::SeqCst);
}

async fn write_all(stream: &mut TcpStream, bytes: &[u8]) -> std::io::Result<()> {
    stream.write_all(bytes).await?;
    stream.flush().await
}

async fn trickle(stream: &mut TcpStream, body: &[u8], interval: Duration) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         connection: close\r\n\r\n",
        body.len()
    );
    write_all(stream, head.as_bytes()).await?;
    for byte in body {
        write_all(stream, &[*byte]).await?;
        tokio::time::sleep(interval).await;
    }
    Ok(())
}

async fn chunked(stream: &mut TcpStream, total: usize) -> std::io::Result<()> {
    write_all(
        stream,
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\
          connection: close\r\n\r\n",
    )
    .await?;
    let chunk = [b' '; 8192];
    let mut sent = 0;
    while sent < total {
        let len = chunk.len().min(total - sent);
        let mut frame = format!("{len:x}\r\n").into_bytes();
        frame.extend_from_slice(&chunk[..len]);
        frame.extend_from_slice(b"\r\n");
        write_all(stream, &frame).await?;
        sent += len;
    }
    write_all(stream, b"0\r\n\r\n").await
}
