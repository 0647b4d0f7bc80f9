//! Lambda cold start, side by side: the time from spawning an authorizer
//! process to its first answered invocation, and its peak memory.
//!
//! This binary is the Lambda Runtime API for the functions it starts: for
//! each run it listens on a fresh port of 127.0.0.1, spawns the function
//! with `AWS_LAMBDA_RUNTIME_API` pointing there, hands it one REST `TOKEN`
//! event (a valid, Cognito-sized access token) on its first
//! `GET /2018-06-01/runtime/invocation/next`, and takes the time when the
//! answer is posted back. Both instants are read from this process's
//! monotonic clock: the first just before the spawn, the second when the
//! `POST …/invocation/{id}/response` arrives. The answer must be an Allow
//! for the token's `sub`. Then the function's peak resident set (`VmHWM` in
//! `/proc/<pid>/status`) is read and the process is killed.
//!
//! The floor comes first when `--noop` names it: `noop-authorizer`, on the
//! same Lambda runtime, answering Allow without verifying anything; the
//! ratio column is to the first row. `--also LABEL=PATH` adds another
//! build of the Rust authorizer (another commit), in its three key-set
//! cases; `--webpki [LABEL=]PATH` (repeatable) adds `webpki-authorizer`,
//! the same init with a client of compiled-in roots, beside itself on the
//! platform's store.
//!
//! The cases: the Rust `apigw-authorizer` and the aws-jwt-verify
//! authorizer of `benches/node/authorizer.mjs`, each with the key set
//! bundled (`COGNITO_JWKS_FILE`, read at init), and fetched at init
//! (`COGNITO_JWKS_URI`) from a key-set server on 127.0.0.1 over HTTP and
//! over HTTPS. Both servers count the requests. The HTTPS server's
//! certificate chains to a test root CA made at start-up ([`TestCa`]), and
//! each authorizer trusts it as a deployment would trust a private CA:
//! the Rust one through the platform's store, `SSL_CERT_FILE` naming a
//! copy of the system bundle (`--system-bundle`, Debian's by default)
//! with the test root appended, so that the whole store is read and
//! parsed as on Lambda; once more with `SSL_CERT_DIR` naming the hashed
//! certificate directory too (`--system-dir`, what the store costs on a
//! Debian image that sets neither variable); Node through
//! `NODE_EXTRA_CA_CERTS`. One untimed warm-up round, then `--rounds`
//! rounds, each running every case once in a rotated order, so that a
//! drifting machine affects all cases alike. Exits non-zero when a
//! function fails to answer within 20 s, answers anything but an Allow,
//! fetches a bundled key set, or fetches a key set more or fewer times
//! than expected (once for the Rust authorizers; twice for Node, whose
//! `hydrate()` fetches once per accepted issuer form).
//!
//! `--only TEXT` (repeatable) keeps the cases whose label (authorizer and
//! key set) contains one of the `TEXT`s, e.g. to run one case under a
//! profiler with `--rust` naming a wrapper script.
//!
//! ```text
//! cargo build --release -p cognito-jwt-examples --bin apigw-authorizer
//! cargo run --release -p cognito-jwt-benches --bin cold-start -- \
//!     --rust target/release/apigw-authorizer --node-script benches/node/authorizer.mjs --rounds 20
//! ```
//!
//! `benches/cold-start/run.sh` does all of it (and `npm ci` for the Node
//! authorizer).

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use cognito_jwt_benches::{CLIENT_ID, Fixture, KeySetServer, POOL_ID, TestCa};
use serde_json::Value;
use tokio::sync::oneshot;

/// Bound on one run: a function that has not answered by then fails it.
const BOUND: Duration = Duration::from_secs(20);

const METHOD_ARN: &str = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/GET/api/me";

struct Options {
    rust: PathBuf,
    node_script: PathBuf,
    node: String,
    rounds: usize,
    /// The floor: an authorizer on the same runtime that verifies nothing.
    noop: Option<PathBuf>,
    /// Other builds of the Rust authorizer (another commit), by label.
    also: Vec<(String, PathBuf)>,
    /// `webpki-authorizer` builds, by label: compiled-in roots against the
    /// platform's store.
    webpki: Vec<(String, PathBuf)>,
    /// The system CA bundle that `SSL_CERT_FILE`'s copy starts with.
    system_bundle: PathBuf,
    /// The hashed certificate directory of the Debian-layout case.
    system_dir: PathBuf,
    /// Keep only the cases whose label contains one of these.
    only: Vec<String>,
}

fn options() -> Result<Options, String> {
    let mut rust = None;
    let mut node_script = None;
    let mut node = "node".to_owned();
    let mut rounds = 20;
    let mut noop = None;
    let mut also = Vec::new();
    let mut webpki = Vec::new();
    let mut system_bundle = PathBuf::from("/etc/ssl/certs/ca-certificates.crt");
    let mut system_dir = PathBuf::from("/etc/ssl/certs");
    let mut only = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--rust" => rust = Some(PathBuf::from(value)),
            "--node-script" => node_script = Some(PathBuf::from(value)),
            "--node" => node = value,
            "--noop" => noop = Some(PathBuf::from(value)),
            "--webpki" => webpki.push(match value.rsplit_once('=') {
                Some((label, path)) => (label.to_owned(), PathBuf::from(path)),
                None => (
                    "webpki-authorizer (benches)".to_owned(),
                    PathBuf::from(value),
                ),
            }),
            "--system-bundle" => system_bundle = PathBuf::from(value),
            "--system-dir" => system_dir = PathBuf::from(value),
            "--only" => only.push(value),
            "--also" => {
                // The path is after the last `=`: a label may hold one.
                let (label, path) = value
                    .rsplit_once('=')
                    .ok_or_else(|| format!("--also: expected LABEL=PATH, got {value:?}"))?;
                also.push((label.to_owned(), PathBuf::from(path)));
            }
            "--rounds" => {
                rounds = value
                    .parse()
                    .map_err(|_| format!("--rounds: {value:?} is not a number"))?;
            }
            _ => {
                return Err(format!(
                    "unknown flag {flag}; expected --rust, --node-script, --node, --rounds, \
                     --noop, --also, --webpki, --system-bundle, --system-dir, --only"
                ));
            }
        }
    }
    if rounds == 0 {
        return Err("--rounds must be positive".to_owned());
    }
    Ok(Options {
        rust: rust.ok_or("--rust <path of apigw-authorizer> is required")?,
        node_script: node_script.ok_or("--node-script <path of authorizer.mjs> is required")?,
        node,
        rounds,
        noop,
        also,
        webpki,
        system_bundle,
        system_dir,
        only,
    })
}

/// Where a function gets its key set from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keys {
    /// `COGNITO_JWKS_FILE`: a file shipped with the function.
    Bundled,
    /// Fetched at init from the key-set server on 127.0.0.1, over HTTP.
    Http,
    /// Fetched at init over HTTPS, trusting the test CA as `Trust` says.
    Https(Trust),
}

/// How an authorizer fetching over HTTPS trusts the test CA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trust {
    /// The platform's store: `SSL_CERT_FILE` = the system bundle + the
    /// test root.
    PlatformFile,
    /// The platform's store laid out as on Debian: the bundle as above,
    /// and `SSL_CERT_DIR` = the hashed certificate directory.
    PlatformFileAndDir,
    /// Roots compiled into the binary, plus the test root
    /// (`webpki-authorizer --roots webpki --extra-root`).
    CompiledIn,
    /// Node's own roots plus `NODE_EXTRA_CA_CERTS`.
    NodeExtraCaCerts,
}

impl fmt::Display for Keys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Keys::Bundled => "bundled file",
            Keys::Http => "fetched from 127.0.0.1 (HTTP)",
            Keys::Https(Trust::PlatformFile) => {
                "fetched over HTTPS; platform store: SSL_CERT_FILE (bundle + test CA)"
            }
            Keys::Https(Trust::PlatformFileAndDir) => {
                "fetched over HTTPS; platform store: SSL_CERT_FILE + SSL_CERT_DIR (Debian layout)"
            }
            Keys::Https(Trust::CompiledIn) => {
                "fetched over HTTPS; compiled-in roots (webpki-root-certs) + test CA"
            }
            Keys::Https(Trust::NodeExtraCaCerts) => {
                "fetched over HTTPS; Node's roots + NODE_EXTRA_CA_CERTS"
            }
        })
    }
}

struct Case {
    name: String,
    program: PathBuf,
    args: Vec<OsString>,
    keys: Keys,
    /// Key-set requests a start must make: 0 when bundled.
    fetches: usize,
    runs: Vec<Run>,
}

/// What one cold start measured.
#[derive(Debug, Clone, Copy)]
struct Run {
    /// From just before the spawn to the posted answer.
    first_answer: Duration,
    /// From just before the spawn to the first poll for an event: the
    /// end of the function's init phase.
    init: Duration,
    peak_rss_kib: u64,
    key_set_fetches: usize,
}

/// What the function posted back.
#[derive(Debug)]
enum Posted {
    Response(Bytes),
    Error(&'static str, Bytes),
}

/// The Runtime API's state for one function process.
struct Stub {
    event: Mutex<Option<String>>,
    first_poll: OnceLock<Instant>,
    posted: Mutex<Option<oneshot::Sender<(Instant, Posted)>>>,
}

impl Stub {
    fn record(&self, posted: Posted) -> StatusCode {
        let at = Instant::now();
        if let Some(sender) = self.posted.lock().ok().and_then(|mut s| s.take()) {
            drop(sender.send((at, posted)));
        }
        StatusCode::ACCEPTED
    }
}

/// `GET /runtime/invocation/next`: the event on the first poll; later
/// polls wait until the process is killed.
async fn next(State(stub): State<Arc<Stub>>) -> Response {
    let _ = stub.first_poll.set(Instant::now());
    let event = stub.event.lock().ok().and_then(|mut e| e.take());
    let Some(event) = event else {
        return std::future::pending().await;
    };
    let deadline_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() + 30_000);
    let mut headers = HeaderMap::new();
    for (name, value) in [
        ("lambda-runtime-aws-request-id", "cold-start-1".to_owned()),
        ("lambda-runtime-deadline-ms", deadline_ms.to_string()),
        (
            "lambda-runtime-invoked-function-arn",
            "arn:aws:lambda:eu-west-1:123456789012:function:authorizer".to_owned(),
        ),
        (
            "lambda-runtime-trace-id",
            "Root=1-00000000-000000000000000000000000".to_owned(),
        ),
        ("content-type", "application/json".to_owned()),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    (headers, event).into_response()
}

fn runtime_api(stub: Arc<Stub>) -> Router {
    Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route(
            "/2018-06-01/runtime/invocation/{id}/response",
            post(|State(s): State<Arc<Stub>>, body: Bytes| async move {
                s.record(Posted::Response(body))
            }),
        )
        .route(
            "/2018-06-01/runtime/invocation/{id}/error",
            post(|State(s): State<Arc<Stub>>, body: Bytes| async move {
                s.record(Posted::Error("invocation error", body))
            }),
        )
        .route(
            "/2018-06-01/runtime/init/error",
            post(|State(s): State<Arc<Stub>>, body: Bytes| async move {
                s.record(Posted::Error("init error", body))
            }),
        )
        .with_state(stub)
}

/// Everything a run needs besides its case.
struct Bench {
    event: String,
    sub: String,
    jwks_file: PathBuf,
    key_set: KeySetServer,
    key_set_tls: KeySetServer,
    /// The test root CA, PEM.
    test_root: PathBuf,
    /// The system bundle with the test root appended.
    bundle: PathBuf,
    system_dir: PathBuf,
    work_dir: PathBuf,
}

impl Bench {
    async fn cold_start(&self, case: &Case) -> Result<Run, String> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| format!("cannot listen on 127.0.0.1: {e}"))?;
        let address = listener
            .local_addr()
            .map_err(|e| format!("no local address: {e}"))?;
        let (sender, answered) = oneshot::channel();
        let stub = Arc::new(Stub {
            event: Mutex::new(Some(self.event.clone())),
            first_poll: OnceLock::new(),
            posted: Mutex::new(Some(sender)),
        });
        let server =
            tokio::spawn(axum::serve(listener, runtime_api(Arc::clone(&stub))).into_future());

        let log = self.work_dir.join("authorizer.log");
        let stderr = std::fs::File::create(&log)
            .map_err(|e| format!("cannot create {}: {e}", log.display()))?;
        let mut command = Command::new(&case.program);
        command
            .args(&case.args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("AWS_LAMBDA_RUNTIME_API", address.to_string())
            .env("AWS_LAMBDA_FUNCTION_NAME", "authorizer")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_REGION", "eu-west-1")
            .env("COGNITO_USER_POOL_ID", POOL_ID)
            .env("COGNITO_CLIENT_ID", CLIENT_ID)
            .env("COGNITO_TOKEN_USE", "access")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr);
        // Set in every case: a bundled set must make no request, and any
        // request must stay on 127.0.0.1, where it is counted.
        match case.keys {
            Keys::Bundled => command
                .env("COGNITO_JWKS_URI", self.key_set.url())
                .env("COGNITO_JWKS_FILE", &self.jwks_file),
            Keys::Http => command.env("COGNITO_JWKS_URI", self.key_set.url()),
            Keys::Https(trust) => {
                command.env("COGNITO_JWKS_URI", self.key_set_tls.url());
                match trust {
                    Trust::PlatformFile => command.env("SSL_CERT_FILE", &self.bundle),
                    Trust::PlatformFileAndDir => command
                        .env("SSL_CERT_FILE", &self.bundle)
                        .env("SSL_CERT_DIR", &self.system_dir),
                    Trust::CompiledIn => &mut command,
                    Trust::NodeExtraCaCerts => command.env("NODE_EXTRA_CA_CERTS", &self.test_root),
                }
            }
        };
        let requests = || self.key_set.requests() + self.key_set_tls.requests();
        let fetches_before = requests();

        let started = Instant::now();
        let mut child = match command.spawn() {
            Ok(child) => child,
            Err(error) => {
                server.abort();
                return Err(format!("cannot start {}: {error}", case.program.display()));
            }
        };
        let outcome = tokio::time::timeout(BOUND, answered).await;
        let peak_rss_kib = peak_rss_kib(child.id());
        // The function waits for its next event: stop it.
        drop(child.kill());
        drop(child.wait());
        server.abort();

        let failed = |problem: String| {
            let output = std::fs::read_to_string(&log).unwrap_or_default();
            let tail: Vec<&str> = output.lines().rev().take(10).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            format!(
                "{} ({}): {problem}\n{}",
                case.name,
                case.keys,
                tail.join("\n")
            )
        };
        let (answered_at, posted) = match outcome {
            Ok(Ok(answer)) => answer,
            Ok(Err(_)) => return Err(failed("the Runtime API stopped".to_owned())),
            Err(_) => return Err(failed(format!("no answer within {BOUND:?}"))),
        };
        match posted {
            Posted::Response(body) => self.check_allow(&body).map_err(&failed)?,
            Posted::Error(what, body) => {
                return Err(failed(format!(
                    "{what}: {}",
                    String::from_utf8_lossy(&body)
                )));
            }
        }
        let key_set_fetches = requests() - fetches_before;
        if key_set_fetches != case.fetches {
            return Err(failed(format!(
                "fetched the key set {key_set_fetches} times, expected {}",
                case.fetches
            )));
        }
        let init = stub
            .first_poll
            .get()
            .map_or(Duration::ZERO, |at| at.duration_since(started));
        Ok(Run {
            first_answer: answered_at.duration_since(started),
            init,
            peak_rss_kib: peak_rss_kib.map_err(&failed)?,
            key_set_fetches,
        })
    }

    /// The answer must allow the token's user.
    fn check_allow(&self, body: &[u8]) -> Result<(), String> {
        let answer: Value =
            serde_json::from_slice(body).map_err(|e| format!("the answer is not JSON: {e}"))?;
        let principal = answer.get("principalId").and_then(Value::as_str);
        let effect = answer
            .pointer("/policyDocument/Statement/0/Effect")
            .and_then(Value::as_str);
        if principal == Some(self.sub.as_str()) && effect == Some("Allow") {
            Ok(())
        } else {
            Err(format!("expected an Allow for {}, got {answer}", self.sub))
        }
    }
}

/// The process's peak resident set size so far, in KiB.
fn peak_rss_kib(pid: u32) -> Result<u64, String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|e| format!("cannot read /proc/{pid}/status: {e}"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| format!("no VmHWM in /proc/{pid}/status"))
}

fn median<T: Copy + Ord>(values: impl Iterator<Item = T>) -> Option<T> {
    let mut values: Vec<T> = values.collect();
    values.sort_unstable();
    values.get(values.len().checked_sub(1)? / 2).copied()
}

fn ms(duration: Duration) -> String {
    format!("{:.1}", duration.as_secs_f64() * 1000.0)
}

fn mib(kib: u64) -> String {
    // Peak RSS is at most a few hundred MiB: the conversion is exact enough.
    #[allow(clippy::cast_precision_loss)]
    let mib = kib as f64 / 1024.0;
    format!("{mib:.1}")
}

fn report(cases: &[Case]) {
    let baseline = cases
        .first()
        .and_then(|case| median(case.runs.iter().map(|r| r.first_answer)));
    println!(
        "| authorizer | key set | median ms to first answer | × first row | min–max ms | \
         median ms to init done | peak RSS MiB (median) | max | key-set requests per start |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|");
    for case in cases {
        let runs = &case.runs;
        let (Some(first), Some(init), Some(rss)) = (
            median(runs.iter().map(|r| r.first_answer)),
            median(runs.iter().map(|r| r.init)),
            median(runs.iter().map(|r| r.peak_rss_kib)),
        ) else {
            continue;
        };
        let min = runs
            .iter()
            .map(|r| r.first_answer)
            .min()
            .unwrap_or_default();
        let max = runs
            .iter()
            .map(|r| r.first_answer)
            .max()
            .unwrap_or_default();
        let max_rss = runs
            .iter()
            .map(|r| r.peak_rss_kib)
            .max()
            .unwrap_or_default();
        let ratio = baseline.map_or_else(
            || "–".to_owned(),
            |b| format!("{:.2}", first.as_secs_f64() / b.as_secs_f64()),
        );
        let fetches = median(runs.iter().map(|r| r.key_set_fetches)).unwrap_or_default();
        println!(
            "| {} | {} | {} | {ratio} | {}–{} | {} | {} | {} | {fetches} |",
            case.name,
            case.keys,
            ms(first),
            ms(min),
            ms(max),
            ms(init),
            mib(rss),
            mib(max_rss),
        );
    }
}

fn cases(options: &Options, test_root: &Path) -> Vec<Case> {
    let case = |name: &str, program: &Path, args: Vec<OsString>, keys| Case {
        name: name.to_owned(),
        program: program.to_owned(),
        args,
        keys,
        fetches: match keys {
            Keys::Bundled => 0,
            Keys::Http | Keys::Https(_) if program == Path::new(&options.node) => 2,
            Keys::Http | Keys::Https(_) => 1,
        },
        runs: Vec::new(),
    };
    let rust_cases = [Keys::Bundled, Keys::Http, Keys::Https(Trust::PlatformFile)];
    let mut cases: Vec<Case> = options
        .noop
        .iter()
        .map(|noop| {
            case(
                "no-op authorizer (floor: verifies nothing)",
                noop,
                vec![],
                Keys::Bundled,
            )
        })
        .collect();
    for keys in rust_cases {
        cases.push(case("apigw-authorizer (Rust)", &options.rust, vec![], keys));
    }
    cases.push(case(
        "apigw-authorizer (Rust)",
        &options.rust,
        vec![],
        Keys::Https(Trust::PlatformFileAndDir),
    ));
    for (label, webpki) in &options.webpki {
        let args = |roots: &str, extra_root: bool| {
            let mut args: Vec<OsString> = vec!["--roots".into(), roots.into()];
            if extra_root {
                args.extend(["--extra-root".into(), test_root.as_os_str().to_owned()]);
            }
            args
        };
        cases.push(case(
            &format!("{label}, platform store"),
            webpki,
            args("platform", false),
            Keys::Https(Trust::PlatformFile),
        ));
        cases.push(case(
            &format!("{label}, compiled-in roots"),
            webpki,
            args("webpki", true),
            Keys::Https(Trust::CompiledIn),
        ));
    }
    let node = Path::new(&options.node);
    let script = || vec![options.node_script.clone().into_os_string()];
    for keys in [
        Keys::Bundled,
        Keys::Http,
        Keys::Https(Trust::NodeExtraCaCerts),
    ] {
        cases.push(case("aws-jwt-verify (Node)", node, script(), keys));
    }
    for (label, path) in &options.also {
        for keys in rust_cases {
            cases.push(case(label, path, vec![], keys));
        }
    }
    if !options.only.is_empty() {
        cases.retain(|case| {
            let label = format!("{} {}", case.name, case.keys);
            options
                .only
                .iter()
                .any(|only| label.contains(only.as_str()))
        });
    }
    cases
}

/// Writes the test root, and the system bundle with the test root
/// appended, into `work_dir`: (root, bundle).
fn trust_files(
    work_dir: &Path,
    test_ca: &TestCa,
    system_bundle: &Path,
) -> Result<(PathBuf, PathBuf), String> {
    let system = std::fs::read_to_string(system_bundle).map_err(|e| {
        format!(
            "cannot read the system CA bundle {}: {e} (name another with --system-bundle)",
            system_bundle.display()
        )
    })?;
    let root = work_dir.join("test-root.pem");
    let bundle = work_dir.join("ca-bundle.pem");
    let mut combined = system;
    if !combined.ends_with('\n') {
        combined.push('\n');
    }
    combined.push_str(test_ca.root_pem());
    std::fs::write(&root, test_ca.root_pem())
        .and_then(|()| std::fs::write(&bundle, combined))
        .map_err(|e| format!("cannot write into {}: {e}", work_dir.display()))?;
    Ok((root, bundle))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let options = match options() {
        Ok(options) => options,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    let fixture = Fixture::new();
    let sub = serde_json::from_slice::<Value>(fixture.payload())
        .ok()
        .and_then(|claims| claims.get("sub").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_default();
    let event = serde_json::json!({
        "type": "TOKEN",
        "authorizationToken": format!("Bearer {}", fixture.access_token()),
        "methodArn": METHOD_ARN,
    })
    .to_string();
    let work_dir = std::env::temp_dir().join(format!("cold-start-{}", std::process::id()));
    let jwks_file = work_dir.join("jwks.json");
    if let Err(error) = std::fs::create_dir_all(&work_dir)
        .and_then(|()| std::fs::write(&jwks_file, fixture.issuer().jwks_json()))
    {
        eprintln!("error: cannot write {}: {error}", jwks_file.display());
        return ExitCode::FAILURE;
    }
    let test_ca = match TestCa::new() {
        Ok(test_ca) => test_ca,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    let (test_root, bundle) = match trust_files(&work_dir, &test_ca, &options.system_bundle) {
        Ok(files) => files,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    let servers = async {
        let jwks = fixture.issuer().jwks_json();
        Ok::<_, std::io::Error>((
            KeySetServer::start(POOL_ID, jwks.clone()).await?,
            KeySetServer::start_tls(POOL_ID, jwks, test_ca.server_config()).await?,
        ))
    };
    let (key_set, key_set_tls) = match servers.await {
        Ok(servers) => servers,
        Err(error) => {
            eprintln!("error: cannot serve the key set on 127.0.0.1: {error}");
            return ExitCode::FAILURE;
        }
    };
    let mut cases = cases(&options, &test_root);
    let bench = Bench {
        event,
        sub,
        jwks_file,
        key_set,
        key_set_tls,
        test_root,
        bundle,
        system_dir: options.system_dir.clone(),
        work_dir,
    };

    println!(
        "cold start: {} rounds of {} cases in rotated order after one warm-up round; \
         token {} bytes, RSA-2048",
        options.rounds,
        cases.len(),
        fixture.access_token().len()
    );
    let mut outcome = ExitCode::SUCCESS;
    'rounds: for round in 0..=options.rounds {
        for offset in 0..cases.len() {
            let index = (round + offset) % cases.len();
            match bench.cold_start(&cases[index]).await {
                // Round 0 warms the page cache and is not counted.
                Ok(run) if round > 0 => cases[index].runs.push(run),
                Ok(_) => {}
                Err(error) => {
                    eprintln!("error: {error}");
                    outcome = ExitCode::FAILURE;
                    break 'rounds;
                }
            }
        }
    }
    if let Err(error) = std::fs::remove_dir_all(&bench.work_dir) {
        eprintln!(
            "warning: cannot remove {}: {error}",
            bench.work_dir.display()
        );
    }
    report(&cases);
    outcome
}
