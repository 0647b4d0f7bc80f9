//! `cognito-jwt`: why is my token rejected?
//!
//! ```text
//! cognito-jwt verify [OPTIONS] [TOKEN]   verify and print the claims (exit 0/1/2/3)
//! cognito-jwt inspect [TOKEN]            print header and claims WITHOUT verifying
//! ```
//!
//! The token is read from stdin when absent or `-`; surrounding whitespace and
//! a leading `Bearer ` are ignored.

use std::io::Read as _;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use clap::{Args, Parser, Subcommand};
use cognito_jwt_core::{
    AcceptedTokenUse, CognitoJwtVerifier, ConfigError, ErrorKind, HttpClass, Requirements, UserPool,
};

/// Verify or inspect Amazon Cognito ID and access tokens.
#[derive(Debug, Parser)]
#[command(name = "cognito-jwt", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Verify a token against a user pool and print its claims as JSON.
    ///
    /// Exit codes: 0 verified; 1 rejected ("rejected: KIND: MESSAGE" on
    /// stderr); 2 usage or configuration error; 3 key set unavailable.
    Verify(VerifyArgs),
    /// Print a token's header and claims WITHOUT verifying anything.
    Inspect {
        /// The JWT; "-" or absent reads it from stdin.
        token: Option<String>,
    },
}

#[derive(Debug, Args)]
struct VerifyArgs {
    /// User pool id, REGION_ID (e.g. eu-west-1_AbC123xyz).
    #[arg(long, env = "COGNITO_USER_POOL_ID", value_name = "ID")]
    user_pool_id: Option<String>,
    /// Accepted app client id; repeatable, comma-separated in the environment.
    #[arg(
        long = "client-id",
        env = "COGNITO_CLIENT_ID",
        value_name = "ID",
        value_delimiter = ','
    )]
    client_ids: Vec<String>,
    /// Which tokens to accept: id, access or any.
    #[arg(
        long,
        env = "COGNITO_TOKEN_USE",
        value_name = "id|access|any",
        default_value = "any"
    )]
    token_use: String,
    /// Key set URL override (emulators).
    #[arg(long, env = "COGNITO_JWKS_URI", value_name = "URL")]
    jwks_uri: Option<String>,
    /// Expected `iss` override (emulators).
    #[arg(long, env = "COGNITO_ISSUER", value_name = "URL")]
    issuer: Option<String>,
    /// The token must be in at least one of these groups (repeatable).
    #[arg(long = "group", value_name = "NAME")]
    groups: Vec<String>,
    /// The token must carry at least one of these scopes (repeatable).
    #[arg(long = "scope", value_name = "SCOPE")]
    scopes: Vec<String>,
    /// Clock-skew allowance in seconds (at most 300).
    #[arg(long, value_name = "SECONDS", default_value_t = 0)]
    leeway: u64,
    /// The JWT; "-" or absent reads it from stdin.
    token: Option<String>,
}

const EXIT_REJECTED: u8 = 1;
const EXIT_USAGE: u8 = 2;
const EXIT_UNAVAILABLE: u8 = 3;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Verify(args) => verify(args),
        Command::Inspect { token } => inspect(token),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err((code, message)) => {
            eprintln!("{message}");
            ExitCode::from(code)
        }
    }
}

type Outcome = Result<(), (u8, String)>;

fn read_token(arg: Option<String>) -> Result<String, (u8, String)> {
    let raw = match arg.as_deref() {
        Some("-") | None => {
            let mut input = String::new();
            std::io::stdin()
                .take(1 << 20)
                .read_to_string(&mut input)
                .map_err(|e| {
                    (
                        EXIT_USAGE,
                        format!("error: cannot read the token from stdin: {e}"),
                    )
                })?;
            input
        }
        Some(token) => token.to_owned(),
    };
    let token = without_bearer(raw.trim());
    if token.is_empty() {
        return Err((
            EXIT_USAGE,
            "error: no token given; pass it as an argument or on stdin".to_owned(),
        ));
    }
    Ok(token.to_owned())
}

/// `text` without a leading `Bearer` scheme (any case) and the whitespace
/// after it; a lone `Bearer` leaves nothing.
fn without_bearer(text: &str) -> &str {
    match text.get(..6) {
        Some(scheme) if scheme.eq_ignore_ascii_case("bearer") => {
            let rest = &text[6..];
            if rest.is_empty() || rest.starts_with(char::is_whitespace) {
                rest.trim_start()
            } else {
                text
            }
        }
        _ => text,
    }
}

/// The CLI option (and variable) that a core configuration error is about.
fn option_for(error: &ConfigError) -> &'static str {
    let name = error.name().unwrap_or("");
    if name.contains("pool_id") || name == "COGNITO_USER_POOL_ID" {
        "--user-pool-id / COGNITO_USER_POOL_ID"
    } else if name.contains("client_id") || name == "COGNITO_CLIENT_ID" {
        "--client-id / COGNITO_CLIENT_ID"
    } else if name.contains("jwks_uri") {
        "--jwks-uri / COGNITO_JWKS_URI"
    } else if name.contains("issuer") || name.contains("replica") {
        "--issuer / COGNITO_ISSUER"
    } else if name.contains("leeway") {
        "--leeway"
    } else if name.contains("token_use") {
        "--token-use / COGNITO_TOKEN_USE"
    } else {
        "configuration"
    }
}

fn config_error(error: &ConfigError) -> (u8, String) {
    (EXIT_USAGE, format!("error: {}: {error}", option_for(error)))
}

fn build_verifier(args: &VerifyArgs) -> Result<CognitoJwtVerifier, (u8, String)> {
    let Some(pool_id) = args.user_pool_id.clone() else {
        // Let the core explain, with its "did you mean" for near-miss variables.
        let hint = UserPool::from_env()
            .err()
            .filter(|e| e.name() == Some("COGNITO_USER_POOL_ID"))
            .map(|e| format!(" ({e})"))
            .unwrap_or_default();
        return Err((
            EXIT_USAGE,
            format!("error: --user-pool-id / COGNITO_USER_POOL_ID is required{hint}"),
        ));
    };
    if args.client_ids.is_empty() {
        let hint = UserPool::from_env()
            .err()
            .filter(|e| e.name() == Some("COGNITO_CLIENT_ID"))
            .map(|e| format!(" ({e})"))
            .unwrap_or_default();
        return Err((
            EXIT_USAGE,
            format!("error: --client-id / COGNITO_CLIENT_ID is required{hint}"),
        ));
    }
    let token_use: AcceptedTokenUse = args.token_use.parse().map_err(|_| {
        (
            EXIT_USAGE,
            format!(
                "error: --token-use / COGNITO_TOKEN_USE: expected id, access or any, got {:?}",
                args.token_use
            ),
        )
    })?;
    let mut pool = UserPool::new(pool_id)
        .client_ids(args.client_ids.iter().map(|c| c.trim()))
        .token_use(token_use);
    if let Some(uri) = &args.jwks_uri {
        pool = pool.jwks_uri(uri);
    }
    if let Some(issuer) = &args.issuer {
        pool = pool.issuer(issuer);
    }
    CognitoJwtVerifier::builder()
        .user_pool(pool)
        .leeway(Duration::from_secs(args.leeway))
        .build()
        .map_err(|e| config_error(&e))
}

fn verify(args: VerifyArgs) -> Outcome {
    let verifier = build_verifier(&args)?;
    let token = read_token(args.token.clone())?;
    let mut requirements = Requirements::new();
    for group in &args.groups {
        requirements = requirements.any_group(group);
    }
    for scope in &args.scopes {
        requirements = requirements.any_scope(scope);
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            (
                EXIT_UNAVAILABLE,
                format!("unavailable: cannot start the runtime: {e}"),
            )
        })?;
    let result = runtime.block_on(verifier.verify_with::<serde_json::Value>(&token, &requirements));
    match result {
        Ok(claims) => {
            println!("{claims}");
            Ok(())
        }
        Err(e) if e.kind().http_class() == HttpClass::Unavailable => {
            Err((EXIT_UNAVAILABLE, format!("unavailable: {}", e.message())))
        }
        Err(e) => Err((
            EXIT_REJECTED,
            format!("rejected: {}: {}", e.kind().as_str(), e.message()),
        )),
    }
}

fn decode_json(segment: &str, what: &str) -> Result<serde_json::Value, (u8, String)> {
    let bytes = URL_SAFE_NO_PAD.decode(segment).map_err(|_| {
        (
            EXIT_REJECTED,
            format!(
                "rejected: {}: the {what} is not base64url",
                ErrorKind::Malformed
            ),
        )
    })?;
    serde_json::from_slice(&bytes).map_err(|_| {
        (
            EXIT_REJECTED,
            format!("rejected: {}: the {what} is not JSON", ErrorKind::Malformed),
        )
    })
}

fn human(seconds: u64) -> String {
    match seconds {
        0..=119 => format!("{seconds} s"),
        120..=7199 => format!("{} min", seconds / 60),
        7200..=172_799 => format!("{} h", seconds / 3600),
        _ => format!("{} days", seconds / 86_400),
    }
}

fn inspect(token: Option<String>) -> Outcome {
    let token = read_token(token)?;
    let segments: Vec<&str> = token.split('.').collect();
    if segments.len() != 3 {
        return Err((
            EXIT_REJECTED,
            format!(
                "rejected: {}: a JWT has 3 dot-separated segments, this has {}",
                ErrorKind::Malformed,
                segments.len()
            ),
        ));
    }
    let header = decode_json(segments[0], "header")?;
    let claims = decode_json(segments[1], "payload")?;
    let pretty = |v: &serde_json::Value| serde_json::to_string_pretty(v).unwrap_or_default();
    println!("UNVERIFIED — nothing below has been checked; use `cognito-jwt verify` for that.");
    println!("header:\n{}", pretty(&header));
    println!("claims:\n{}", pretty(&claims));
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    match claims.get("exp").and_then(serde_json::Value::as_u64) {
        Some(exp) if exp > now => println!("expiry: expires in {}", human(exp - now)),
        Some(exp) => println!("expiry: EXPIRED {} ago", human(now - exp)),
        None => println!("expiry: no numeric exp claim (would be rejected)"),
    }
    if let Some(token_use) = claims.get("token_use").and_then(serde_json::Value::as_str) {
        println!("token_use: {token_use}");
    }
    if let Some(iss) = claims.get("iss").and_then(serde_json::Value::as_str) {
        println!("issuer: {iss}");
    }
    Ok(())
}
