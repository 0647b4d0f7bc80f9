//! `webpki-authorizer`: the init of `apigw-authorizer` (tracing to stderr,
//! the verifier from the environment, `cognito_jwt_lambda::run`, which
//! fetches the key set before the first poll) with the key-set fetcher's
//! reqwest client chosen on the command line, for the cold-start comparison
//! of where a fetch's trusted roots come from:
//!
//! - `--roots webpki`: the Mozilla roots compiled into the binary
//!   (`webpki-root-certs`, through `ClientBuilder::tls_certs_only`): no
//!   file is read;
//! - `--roots platform`: the platform's store, as the default fetcher reads
//!   it (rustls-platform-verifier: `SSL_CERT_FILE`/`SSL_CERT_DIR`, else the
//!   distribution's bundle and directory).
//!
//! `--extra-root FILE` adds the PEM certificates of `FILE` to the roots
//! (the benchmark's test CA). Either way the client is handed to the
//! verifier with `ReqwestFetcher::from_client`, built as the default
//! fetcher builds its own (no redirects, the same time-outs). Only
//! `COGNITO_USER_POOL_ID`, `COGNITO_CLIENT_ID`, `COGNITO_TOKEN_USE`,
//! `COGNITO_JWKS_URI` and `COGNITO_JWKS_FILE` are read, as `UserPool::from_env`
//! reads them; `benches/cold-start/run.sh` starts it beside the shipped
//! authorizer.

use std::process::ExitCode;
use std::time::Duration;

use cognito_jwt_core::{CognitoJwtVerifier, ReqwestFetcher, UserPool};
use cognito_jwt_lambda::{AuthorizerOptions, report_init_error, run};

/// Where the client's trusted roots come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Roots {
    Webpki,
    Platform,
}

#[derive(Debug)]
struct Options {
    roots: Roots,
    extra_root: Option<String>,
}

/// A start-up problem, reported to the Runtime API as an init error.
#[derive(Debug)]
struct InitError(String);

impl std::fmt::Display for InitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InitError {}

fn options() -> Result<Options, InitError> {
    let mut roots = None;
    let mut extra_root = None;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .ok_or_else(|| InitError(format!("{flag} needs a value")))?;
        match (flag.as_str(), value.as_str()) {
            ("--roots", "webpki") => roots = Some(Roots::Webpki),
            ("--roots", "platform") => roots = Some(Roots::Platform),
            ("--extra-root", _) => extra_root = Some(value),
            _ => {
                return Err(InitError(format!(
                    "unexpected {flag} {value}; expected --roots webpki|platform \
                     [--extra-root FILE]"
                )));
            }
        }
    }
    Ok(Options {
        roots: roots.ok_or_else(|| InitError("--roots webpki|platform is required".into()))?,
        extra_root,
    })
}

/// The key-set client, built as the default fetcher builds its own.
fn client(options: &Options) -> Result<reqwest::Client, InitError> {
    let mut extra = Vec::new();
    if let Some(path) = &options.extra_root {
        let pem = std::fs::read(path).map_err(|e| InitError(format!("cannot read {path}: {e}")))?;
        extra = reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|e| InitError(format!("{path}: {e}")))?;
    }
    let builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(10));
    let builder = match options.roots {
        Roots::Platform => builder.tls_certs_merge(extra),
        Roots::Webpki => {
            let compiled_in = webpki_root_certs::TLS_SERVER_ROOT_CERTS
                .iter()
                .map(|der| reqwest::Certificate::from_der(der))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| InitError(format!("a compiled-in root: {e}")))?;
            builder.tls_certs_only(compiled_in.into_iter().chain(extra))
        }
    };
    builder
        .build()
        .map_err(|e| InitError(format!("cannot build the HTTP client: {e}")))
}

fn verifier(options: &Options) -> Result<CognitoJwtVerifier, InitError> {
    let pool = UserPool::from_env().map_err(|e| InitError(e.to_string()))?;
    CognitoJwtVerifier::builder()
        .user_pool(pool)
        .fetcher(ReqwestFetcher::from_client(client(options)?))
        .build()
        .map_err(|e| InitError(e.to_string()))
}

#[tokio::main]
async fn main() -> ExitCode {
    use std::io::IsTerminal as _;
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("info"))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let verifier = match options().and_then(|options| verifier(&options)) {
        Ok(verifier) => verifier,
        Err(error) => {
            report_init_error(error).await;
            return ExitCode::from(2);
        }
    };
    match run(verifier, AuthorizerOptions::new()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "the Lambda runtime failed");
            ExitCode::FAILURE
        }
    }
}
