//! `cognito-jwt gateway`, run as a built binary with a cleared
//! environment against a local key-set server: its HTTP check endpoint,
//! its Envoy gRPC service, and the recipes through real nginx and Caddy.
//!
//! Every process listens on a free 127.0.0.1 port and is stopped by PID
//! when its handle drops.

mod dpop;
mod grpc;
mod http;
mod proxies;
mod revocation;

use std::fs::File;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::LazyLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use cognito_jwt_core::testing::TestIssuer;
use cognito_jwt_test_support::CaseTokens;

use crate::support;

pub(crate) const POOL_ID: &str = "eu-west-1_GatewayIt1";
pub(crate) const CLIENT_ID: &str = "gateway-test-client";
pub(crate) const GROUP: &str = "admins";

/// Key generation is slow: one issuer and one set of tokens per binary.
pub(crate) static ISSUER: LazyLock<TestIssuer> = LazyLock::new(|| TestIssuer::new(POOL_ID));
pub(crate) static TOKENS: LazyLock<CaseTokens> =
    LazyLock::new(|| CaseTokens::new(&ISSUER, CLIENT_ID, GROUP));
/// The key set, served until the test binary exits.
static JWKS_URI: LazyLock<String> = LazyLock::new(|| {
    let path = format!("/{POOL_ID}/.well-known/jwks.json");
    let address = support::serve(path.clone(), "application/json", ISSUER.jwks_json());
    format!("http://{address}{path}")
});

/// A key-set URL on a port where nothing listens.
pub(crate) fn closed_port_url() -> String {
    let port = free_port();
    format!("http://127.0.0.1:{port}/{POOL_ID}/.well-known/jwks.json")
}

/// A port free now on 127.0.0.1.
pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// The variables of a gateway for [`ISSUER`]'s access tokens.
pub(crate) fn pool_env() -> Vec<(String, String)> {
    pool_env_with_keys(&JWKS_URI)
}

/// [`pool_env`] with the key set at `jwks_uri`.
pub(crate) fn pool_env_with_keys(jwks_uri: &str) -> Vec<(String, String)> {
    [
        ("COGNITO_USER_POOL_ID", POOL_ID),
        ("COGNITO_CLIENT_ID", CLIENT_ID),
        ("COGNITO_TOKEN_USE", "access"),
        ("COGNITO_JWKS_URI", jwks_uri),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// A directory of its own under the system's temporary directory,
/// removed on drop.
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    pub(crate) fn new(what: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "cognito-jwt-{what}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("a temporary directory");
        Self(path)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A child process killed and reaped on drop.
pub(crate) struct Process(pub(crate) Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A running gateway.
pub(crate) struct Gateway {
    process: Process,
    /// Its HTTP address.
    pub(crate) http: SocketAddr,
    /// Its gRPC address, when `GATEWAY_GRPC_ADDR` was set.
    pub(crate) grpc: Option<SocketAddr>,
    dir: TempDir,
}

impl Gateway {
    /// Start `cognito-jwt gateway` with only `env` set (and `BIND_ADDR`
    /// on a free port unless given); wait until it listens.
    pub(crate) fn start(env: &[(String, String)]) -> Self {
        Self::start_with(&[], env)
    }

    /// [`start`](Self::start) with these command-line arguments.
    pub(crate) fn start_with(args: &[&str], env: &[(String, String)]) -> Self {
        let dir = TempDir::new("gateway");
        let log = File::create(dir.path().join("stderr")).expect("a log file");
        let mut command = Command::new(env!("CARGO_BIN_EXE_cognito-jwt"));
        command
            .arg("gateway")
            .args(args)
            .env_clear()
            .env("BIND_ADDR", "127.0.0.1:0")
            .env("RUST_LOG", "trace")
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log);
        let mut child = command.spawn().expect("the gateway starts");
        let stdout = child.stdout.take().expect("stdout");
        let process = Process(child);
        let with_grpc = env.iter().any(|(k, _)| k == "GATEWAY_GRPC_ADDR");
        let mut lines = BufReader::new(stdout).lines();
        let mut next = |prefix: &str| -> SocketAddr {
            let line = lines
                .next()
                .and_then(Result::ok)
                .unwrap_or_else(|| panic!("the gateway did not start: {}", read(&dir, "stderr")));
            line.strip_prefix(prefix)
                .and_then(|address| address.parse().ok())
                .unwrap_or_else(|| panic!("unexpected line {line:?}"))
        };
        let http = next("listening on http://");
        let grpc = with_grpc.then(|| next("grpc listening on "));
        Self {
            process,
            http,
            grpc,
            dir,
        }
    }

    /// Everything the gateway logged so far.
    pub(crate) fn logs(&self) -> String {
        read(&self.dir, "stderr")
    }

    /// Send SIGTERM and wait for the exit.
    pub(crate) fn terminate(mut self) -> ExitStatus {
        let status = Command::new("kill")
            .args(["-TERM", &self.process.0.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
        self.process.0.wait().expect("the gateway exits")
    }
}

fn read(dir: &TempDir, name: &str) -> String {
    std::fs::read_to_string(dir.path().join(name)).unwrap_or_default()
}

/// One HTTP answer.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: String,
}

impl Answer {
    /// The value of the one header `name`; `None` when absent.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        let mut values = self
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name));
        let value = values.next().map(|(_, v)| v.as_str());
        assert!(values.next().is_none(), "two {name} headers: {self:?}");
        value
    }

    /// The `WWW-Authenticate` value.
    pub(crate) fn challenge(&self) -> Option<&str> {
        self.header("www-authenticate")
    }
}

/// Send `method target` to `address` with `headers` (each value raw
/// bytes, sent as they are), over HTTP/1.1 with `Connection: close`.
pub(crate) fn request(
    address: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &[u8])],
) -> Answer {
    let mut stream = TcpStream::connect(address).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("a read timeout");
    let mut head =
        format!("{method} {target} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n")
            .into_bytes();
    for (name, value) in headers {
        head.extend_from_slice(name.as_bytes());
        head.extend_from_slice(b": ");
        head.extend_from_slice(value);
        head.extend_from_slice(b"\r\n");
    }
    head.extend_from_slice(b"\r\n");
    stream.write_all(&head).expect("send");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("an answer");
    parse(&raw)
}

/// An HTTP/1.1 response, its body dechunked when it is chunked.
fn parse(raw: &[u8]) -> Answer {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text.split_once("\r\n\r\n").expect("a response head");
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .expect("a status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let chunked = headers.iter().any(|(n, v)| {
        n.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_owned()
    };
    Answer {
        status,
        headers,
        body,
    }
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if size == 0 || rest.len() < size {
            break;
        }
        out.push_str(&rest[..size]);
        body = rest[size..].trim_start_matches("\r\n");
    }
    out
}

/// An upstream that answers every request with 200 and, as its body, the
/// request's header lines (`name: value`, names in lower case), until the
/// test binary exits; its address.
pub(crate) fn echo_upstream() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let address = listener.local_addr().expect("its address");
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || echo(&stream));
        }
    });
    address
}

fn echo(stream: &TcpStream) {
    let mut reader = BufReader::new(stream);
    let mut lines = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) if line == b"\r\n" => break,
            Ok(_) => lines.push(String::from_utf8_lossy(&line).trim_end().to_owned()),
        }
    }
    let body: String = lines
        .iter()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| format!("{}: {}\n", n.to_ascii_lowercase(), v.trim()))
        .collect();
    let response = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {}\r\n\
         connection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = stream;
    let _ = stream.write_all(response.as_bytes());
}

/// The values of header `name` the echo upstream saw, in order.
pub(crate) fn seen<'a>(echoed: &'a Answer, name: &str) -> Vec<&'a str> {
    echoed
        .body
        .lines()
        .filter_map(|line| line.split_once(": ").or_else(|| line.split_once(':')))
        .filter(|(n, _)| *n == name)
        .map(|(_, v)| v)
        .collect()
}

/// `Authorization: Bearer <token>` as request headers.
pub(crate) fn bearer(token: &str) -> Vec<u8> {
    format!("Bearer {token}").into_bytes()
}
