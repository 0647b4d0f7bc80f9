//! `cognito-jwt`: why is my token rejected?
//!
//! ```text
//! cognito-jwt verify [OPTIONS] [TOKEN]   verify and print the claims (exit 0/1/2/3)
//! cognito-jwt inspect [TOKEN]            print header and claims WITHOUT verifying
//! cognito-jwt jwks [OPTIONS]             print the pool's key set as a seed file (exit 0/2/3)
//! cognito-jwt alb verify [OPTIONS] [TOKEN]  verify an ALB's x-amzn-oidc-data (exit 0/1/2/3)
//! cognito-jwt oidc verify [OPTIONS] [TOKEN]  verify a token of any OIDC issuer (exit 0/1/2/3)
//! cognito-jwt gateway [OPTIONS]          forward-auth verifier for nginx, Caddy, Traefik, Envoy
//! cognito-jwt revoke [OPTIONS]           revoke a session, token, user or client in Redis (exit 0/2/3)
//! ```
//!
//! The token is read from stdin when absent or `-`; surrounding whitespace and
//! a leading `Bearer ` are ignored. Text from a token is printed escaped:
//! control characters, bidirectional overrides and isolates and line
//! separators as `\uXXXX` in JSON and `\u{…}` elsewhere.

mod alb;
mod gateway;
mod output;
mod revoke;

use std::io::Read as _;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use clap::{Args, Parser, Subcommand};
use cognito_jwt_core::{
    AcceptedTokenUse, Algorithm, CognitoJwtVerifier, ConfigError, Dpop, DpopRequest, Error,
    ErrorKind, HttpClass, Issuer, IssuerHosts, JwksFetcher as _, JwtVerifier, Requirements,
    ReqwestFetcher, UserPool,
};

/// Verify or inspect Amazon Cognito ID and access tokens, or fetch a user
/// pool's key set.
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
    /// Fetch a user pool's key set and print it as a seed file.
    ///
    /// Prints the key set exactly as served, with a top-level "fetched_at"
    /// (seconds since the Unix epoch) added: save it (`cognito-jwt jwks >
    /// jwks.json`) and name the file in COGNITO_JWKS_FILE to seed a
    /// verifier's key-set cache from it. Only a set with at least one usable
    /// key is printed.
    ///
    /// Exit codes: 0 printed; 2 usage or configuration error; 3 the key set
    /// cannot be fetched or has no usable key ("unavailable: MESSAGE" on
    /// stderr).
    Jwks(JwksArgs),
    /// Verify the `x-amzn-oidc-data` header an Application Load Balancer
    /// signs (`alb verify`).
    Alb(alb::AlbArgs),
    /// Tokens of any OpenID Connect or OAuth 2.0 issuer.
    #[command(subcommand)]
    Oidc(OidcCommand),
    /// Serve forward-auth checks for nginx `auth_request`, Caddy
    /// `forward_auth`, Traefik `ForwardAuth` (`/auth`) and Envoy or Istio
    /// `ext_authz` (gRPC).
    ///
    /// The verifier comes from the variables the example servers read, or
    /// their flags: exactly one of COGNITO_USER_POOL_ID (with the other
    /// COGNITO_*), OIDC_ISSUER (with OIDC_*) or ALB_ARN (with ALB_*), and
    /// REQUIRED_CLAIMS. An allowed check is answered 200 with X-Auth-Sub,
    /// X-Auth-Username, X-Auth-Groups, X-Auth-Scopes, X-Auth-Client-Id and
    /// X-Auth-Token-Use, every one present; a refused one as the example
    /// servers refuse it (401, 403, 400 or 503). Per-route rules come from
    /// the check URL (`/auth?any_group=admins`).
    ///
    /// Exit codes: 0 stopped by SIGTERM or Ctrl-C; 2 configuration error;
    /// 3 cannot listen.
    Gateway(gateway::GatewayArgs),
    /// Revoke a session, a token, a user or an app client on every server
    /// that follows the same Redis (REVOCATION_REDIS_URL).
    ///
    /// Prints each entry written as JSON. Exit codes: 0 written and
    /// published; 2 usage error naming the option; 3 something it depends
    /// on is unavailable, here Redis ("unavailable: MESSAGE" on stderr).
    Revoke(revoke::RevokeArgs),
}

#[derive(Debug, Subcommand)]
enum OidcCommand {
    /// Verify a token against an issuer and print its claims as JSON.
    ///
    /// The key set is found by OpenID Connect discovery unless --jwks-uri
    /// names it. Exit codes: 0 verified; 1 rejected ("rejected: KIND:
    /// MESSAGE" on stderr); 2 usage or configuration error; 3 key set
    /// unavailable ("unavailable: MESSAGE").
    Verify(OidcVerifyArgs),
}

#[derive(Debug, Args)]
struct OidcVerifyArgs {
    /// The issuer, exactly as in the tokens' `iss` (e.g.
    /// `https://login.example.com/tenant-1`).
    #[arg(long, env = "OIDC_ISSUER", value_name = "URL")]
    issuer: Option<String>,
    /// Accepted audience; repeatable, comma-separated in the environment.
    #[arg(
        long = "audience",
        env = "OIDC_AUDIENCE",
        value_name = "AUD",
        value_delimiter = ','
    )]
    audiences: Vec<String>,
    /// Key set URL; default: found by OpenID Connect discovery.
    #[arg(long, env = "OIDC_JWKS_URI", value_name = "URL")]
    jwks_uri: Option<String>,
    /// Accepted signature algorithm (repeatable); default RS256.
    #[arg(long = "algorithm", value_name = "ALG")]
    algorithms: Vec<String>,
    /// Require RFC 9068 access tokens (typ at+jwt and its claims).
    #[arg(long)]
    access_token_profile: bool,
    /// The token must carry at least one of these scopes (repeatable).
    #[arg(long = "scope", value_name = "SCOPE")]
    scopes: Vec<String>,
    #[command(flatten)]
    rules: RuleArgs,
    /// Clock-skew allowance in seconds (at most 300).
    #[arg(long, value_name = "SECONDS", default_value_t = 0)]
    leeway: u64,
    /// Permit http:// issuer, discovery and key-set URLs (local providers).
    #[arg(long)]
    allow_http: bool,
    /// The token is DPoP-bound (RFC 9449): check it with this proof (the
    /// DPoP header's value) for a request with --method to --url.
    #[arg(long, value_name = "JWT", requires = "url")]
    dpop_proof: Option<String>,
    /// The request method the DPoP proof is for.
    #[arg(
        long,
        value_name = "METHOD",
        default_value = "GET",
        requires = "dpop_proof"
    )]
    method: String,
    /// The request URL the DPoP proof is for (its origin is the service's).
    #[arg(long, value_name = "URL", requires = "dpop_proof")]
    url: Option<String>,
    /// The JWT; "-" or absent reads it from stdin.
    token: Option<String>,
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
    /// Which AWS issuer hosts `iss` may name: both (default), original
    /// (cognito-idp) or updated (issuer-cognito-idp).
    #[arg(
        long,
        env = "COGNITO_ISSUER_HOSTS",
        value_name = "both|original|updated"
    )]
    issuer_hosts: Option<String>,
    /// A resource access tokens may be bound to (RFC 8707: their `aud`);
    /// repeatable, comma-separated in the environment. Without one, an
    /// access token bound to any resource is refused.
    #[arg(
        long = "resource",
        env = "COGNITO_RESOURCE",
        value_name = "RESOURCE",
        value_delimiter = ','
    )]
    resources: Vec<String>,
    /// An app client whose access tokens carry no `aud` (SDK sign-in,
    /// client credentials), accepted unbound with --resource; repeatable,
    /// comma-separated in the environment.
    #[arg(
        long = "unbound-client",
        env = "COGNITO_UNBOUND_CLIENTS",
        value_name = "ID",
        value_delimiter = ','
    )]
    unbound_clients: Vec<String>,
    /// The token must be in at least one of these groups (repeatable).
    #[arg(long = "group", value_name = "NAME")]
    groups: Vec<String>,
    /// The token must carry at least one of these scopes (repeatable).
    #[arg(long = "scope", value_name = "SCOPE")]
    scopes: Vec<String>,
    #[command(flatten)]
    rules: RuleArgs,
    /// Clock-skew allowance in seconds (at most 300).
    #[arg(long, value_name = "SECONDS", default_value_t = 0)]
    leeway: u64,
    /// The JWT; "-" or absent reads it from stdin.
    token: Option<String>,
}

/// Claim rules and step-up requirements, for `verify` and `oidc verify`.
#[derive(Debug, Args)]
struct RuleArgs {
    /// A claim rule the token must meet (repeatable; all must hold):
    /// `name=value`, `name=a|b` (one of), `name~=a|b` (a list claim holds
    /// one of), `name:=<JSON>` (equals this number or boolean).
    #[arg(long = "claim", value_name = "RULE")]
    claims: Vec<String>,
    /// Step-up: the token's `acr` must be one of these (repeatable).
    #[arg(long = "acr", value_name = "ACR")]
    acr: Vec<String>,
    /// Step-up: the token's `amr` must include every one of these
    /// (repeatable), such as mfa.
    #[arg(long = "amr", value_name = "METHOD")]
    amr: Vec<String>,
    /// Step-up: the user must have signed in (`auth_time`) at most this
    /// many seconds ago.
    #[arg(long = "max-age", value_name = "SECONDS")]
    max_age: Option<u64>,
}

impl RuleArgs {
    /// `requirements` with these rules added, checked; a malformed rule is
    /// a usage error naming its option.
    fn add_to(&self, mut requirements: Requirements) -> Result<Requirements, (u8, String)> {
        for rules in &self.claims {
            requirements = requirements
                .claim_rules(rules)
                .map_err(|e| (EXIT_USAGE, format!("error: --claim: {e}")))?;
        }
        for acr in &self.acr {
            requirements = requirements.any_acr(acr);
        }
        for method in &self.amr {
            requirements = requirements.all_amr(method);
        }
        if let Some(seconds) = self.max_age {
            requirements = requirements.max_auth_age(Duration::from_secs(seconds));
        }
        requirements.validate().map_err(|e| {
            let option = match e.name() {
                Some("any_group") => "--group",
                Some("any_scope") => "--scope",
                Some("any_acr") => "--acr",
                Some("all_amr") => "--amr",
                Some("max_auth_age") => "--max-age",
                _ => "--claim",
            };
            (EXIT_USAGE, format!("error: {option}: {e}"))
        })?;
        Ok(requirements)
    }
}

#[derive(Debug, Args)]
struct JwksArgs {
    /// User pool id, REGION_ID (e.g. eu-west-1_AbC123xyz).
    #[arg(long, env = "COGNITO_USER_POOL_ID", value_name = "ID")]
    user_pool_id: Option<String>,
    /// Key set URL override (emulators); default
    /// `https://cognito-idp.REGION.amazonaws.com/POOL/.well-known/jwks.json`.
    #[arg(long, env = "COGNITO_JWKS_URI", value_name = "URL")]
    jwks_uri: Option<String>,
}

const EXIT_REJECTED: u8 = 1;
const EXIT_USAGE: u8 = 2;
const EXIT_UNAVAILABLE: u8 = 3;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Verify(args) => verify(args),
        Command::Inspect { token } => inspect(token),
        Command::Jwks(args) => jwks(args),
        Command::Alb(args) => alb::run(args),
        Command::Oidc(OidcCommand::Verify(args)) => oidc_verify(args),
        Command::Gateway(args) => gateway::run(&args),
        Command::Revoke(args) => revoke::run(args),
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

/// The CLI option (and variable) that a core configuration error is about:
/// the first of `options` whose key is part of the setting's name.
pub(crate) fn option_for(error: &ConfigError, options: &[(&str, &'static str)]) -> &'static str {
    let name = error.name().unwrap_or("");
    options
        .iter()
        .find(|(part, _)| name.contains(part))
        .map_or("configuration", |(_, option)| option)
}

/// `verify`'s options, by the settings and variables they set.
const VERIFY_OPTIONS: &[(&str, &str)] = &[
    ("pool_id", "--user-pool-id / COGNITO_USER_POOL_ID"),
    (
        "COGNITO_USER_POOL_ID",
        "--user-pool-id / COGNITO_USER_POOL_ID",
    ),
    (
        "unbound_clients",
        "--unbound-client / COGNITO_UNBOUND_CLIENTS",
    ),
    ("resource", "--resource / COGNITO_RESOURCE"),
    ("client_id", "--client-id / COGNITO_CLIENT_ID"),
    ("COGNITO_CLIENT_ID", "--client-id / COGNITO_CLIENT_ID"),
    ("jwks_uri", "--jwks-uri / COGNITO_JWKS_URI"),
    ("issuer", "--issuer / COGNITO_ISSUER"),
    ("replica", "--issuer / COGNITO_ISSUER"),
    ("leeway", "--leeway"),
    ("token_use", "--token-use / COGNITO_TOKEN_USE"),
];

fn config_error(error: &ConfigError) -> (u8, String) {
    (
        EXIT_USAGE,
        format!("error: {}: {error}", option_for(error, VERIFY_OPTIONS)),
    )
}

/// The pool id given, or the usage error that says it is missing.
fn required_pool_id(arg: Option<&str>) -> Result<String, (u8, String)> {
    let Some(pool_id) = arg else {
        // Let the core explain, with its rename hint for near-miss variables.
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
    Ok(pool_id.to_owned())
}

fn build_verifier(args: &VerifyArgs) -> Result<CognitoJwtVerifier, (u8, String)> {
    let pool_id = required_pool_id(args.user_pool_id.as_deref())?;
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
        .token_use(token_use)
        .resources(args.resources.iter().map(|r| r.trim()));
    if !args.unbound_clients.is_empty() {
        pool = pool.unbound_clients(args.unbound_clients.iter().map(|c| c.trim()));
    }
    if let Some(uri) = &args.jwks_uri {
        pool = pool.jwks_uri(uri);
    }
    if let Some(issuer) = &args.issuer {
        pool = pool.issuer(issuer);
    }
    if let Some(hosts) = &args.issuer_hosts {
        if args.issuer.is_some() {
            return Err((
                EXIT_USAGE,
                "error: --issuer-hosts / COGNITO_ISSUER_HOSTS: has no effect with --issuer / \
                 COGNITO_ISSUER, which is exactly the issuer accepted; drop one of them"
                    .to_owned(),
            ));
        }
        let hosts: IssuerHosts = hosts.parse().map_err(|()| {
            (
                EXIT_USAGE,
                format!(
                    "error: --issuer-hosts / COGNITO_ISSUER_HOSTS: expected both, original or \
                     updated, got {hosts:?}"
                ),
            )
        })?;
        pool = pool.issuer_hosts(hosts);
    }
    CognitoJwtVerifier::builder()
        .user_pool(pool)
        .leeway(Duration::from_secs(args.leeway))
        .build()
        .map_err(|e| config_error(&e))
}

fn runtime() -> Result<tokio::runtime::Runtime, (u8, String)> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            (
                EXIT_UNAVAILABLE,
                format!("unavailable: cannot start the runtime: {e}"),
            )
        })
}

fn verify(args: VerifyArgs) -> Outcome {
    let verifier = build_verifier(&args)?;
    let mut requirements = Requirements::new();
    for group in &args.groups {
        requirements = requirements.any_group(group);
    }
    for scope in &args.scopes {
        requirements = requirements.any_scope(scope);
    }
    let requirements = args.rules.add_to(requirements)?;
    let token = read_token(args.token.clone())?;
    let result =
        runtime()?.block_on(verifier.verify_with::<serde_json::Value>(&token, &requirements));
    report(result)
}

/// Print the claims, or the refusal with its exit code.
fn report(result: Result<serde_json::Value, Error>) -> Outcome {
    match result {
        Ok(claims) => {
            println!("{}", output::json(&claims));
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

/// `oidc verify`'s options, by the settings they set.
const OIDC_OPTIONS: &[(&str, &str)] = &[
    ("audience", "--audience / OIDC_AUDIENCE"),
    ("jwks_uri", "--jwks-uri / OIDC_JWKS_URI"),
    ("issuer", "--issuer / OIDC_ISSUER"),
    ("algorithm", "--algorithm"),
    ("leeway", "--leeway"),
    ("dpop", "--url"),
];

fn oidc_verifier(args: &OidcVerifyArgs) -> Result<JwtVerifier, (u8, String)> {
    let config_error = |e: &ConfigError| {
        (
            EXIT_USAGE,
            format!("error: {}: {e}", option_for(e, OIDC_OPTIONS)),
        )
    };
    let issuer = args.issuer.as_deref().ok_or_else(|| {
        (
            EXIT_USAGE,
            "error: --issuer / OIDC_ISSUER is required".to_owned(),
        )
    })?;
    if args.audiences.is_empty() {
        return Err((
            EXIT_USAGE,
            "error: --audience / OIDC_AUDIENCE is required".to_owned(),
        ));
    }
    let algorithms = args
        .algorithms
        .iter()
        .map(|alg| alg.parse::<Algorithm>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| config_error(&e))?;
    let mut issuer = Issuer::new(issuer)
        .audiences(args.audiences.iter().map(|a| a.trim()))
        .allow_http(args.allow_http);
    if !algorithms.is_empty() {
        issuer = issuer.algorithms(algorithms);
    }
    if let Some(uri) = &args.jwks_uri {
        issuer = issuer.jwks_uri(uri);
    }
    if args.access_token_profile {
        issuer = issuer.access_token_profile();
    }
    let mut builder = JwtVerifier::builder()
        .issuer(issuer)
        .leeway(Duration::from_secs(args.leeway));
    if let Some(url) = &args.url {
        builder = builder.dpop(Dpop::new(origin_of(url)));
    }
    builder.build().map_err(|e| config_error(&e))
}

/// `scheme://authority` of `url` (the whole text when it has no path).
fn origin_of(url: &str) -> &str {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url;
    };
    let authority = rest.find(['/', '?', '#']).map_or(rest.len(), |i| i);
    &url[..scheme.len() + 3 + authority]
}

fn oidc_verify(args: OidcVerifyArgs) -> Outcome {
    let verifier = oidc_verifier(&args)?;
    let requirements = args
        .scopes
        .iter()
        .fold(Requirements::new(), |requirements, scope| {
            requirements.any_scope(scope)
        });
    let requirements = args.rules.add_to(requirements)?;
    let token = read_token(args.token.clone())?;
    let runtime = runtime()?;
    match (&args.dpop_proof, &args.url) {
        (Some(proof), Some(url)) => {
            let request = DpopRequest::new(proof.trim(), &args.method, url);
            report(
                runtime.block_on(verifier.verify_dpop_with::<serde_json::Value>(
                    &token,
                    &requirements,
                    &request,
                )),
            )
        }
        _ => report(
            runtime.block_on(verifier.verify_with::<serde_json::Value>(&token, &requirements)),
        ),
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
    println!("UNVERIFIED — nothing below has been checked; use `cognito-jwt verify` for that.");
    println!("header:\n{}", output::json_pretty(&header));
    println!("claims:\n{}", output::json_pretty(&claims));
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    match claims.get("exp").and_then(serde_json::Value::as_u64) {
        Some(exp) if exp > now => println!("expiry: expires in {}", human(exp - now)),
        Some(exp) => println!("expiry: EXPIRED {} ago", human(now - exp)),
        None => println!("expiry: no numeric exp claim (would be rejected)"),
    }
    if let Some(token_use) = claims.get("token_use").and_then(serde_json::Value::as_str) {
        println!("token_use: {}", output::text(token_use));
    }
    if let Some(iss) = claims.get("iss").and_then(serde_json::Value::as_str) {
        println!("issuer: {}", output::text(iss));
    }
    Ok(())
}

/// The client id of the verifier `jwks` loads the key set into. That
/// verifier never sees a token, so this id is never compared with one.
const KEY_SET_ONLY_CLIENT_ID: &str = "cognito-jwt-cli";
/// The verifier's default fetch time-outs.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

fn jwks(args: JwksArgs) -> Outcome {
    let pool_id = required_pool_id(args.user_pool_id.as_deref())?;
    let mut pool = UserPool::new(pool_id.clone())
        .client_id(KEY_SET_ONLY_CLIENT_ID)
        .token_use(AcceptedTokenUse::Any);
    if let Some(uri) = &args.jwks_uri {
        pool = pool.jwks_uri(uri);
    }
    // The verifier checks the pool id and URL, derives the default URL as
    // `verify` does, and below says whether the set has a usable key.
    let verifier = CognitoJwtVerifier::builder()
        .user_pool(pool)
        .build()
        .map_err(|e| config_error(&e))?;
    let url = verifier
        .jwks_uris()
        .next()
        .expect("a verifier with one pool has one key-set URL")
        .to_owned();
    let unavailable = |reason: String| (EXIT_UNAVAILABLE, format!("unavailable: {reason}"));
    let fetcher = ReqwestFetcher::new(CONNECT_TIMEOUT, FETCH_TIMEOUT)
        .map_err(|e| unavailable(e.to_string()))?;
    let body = runtime()?
        .block_on(fetcher.fetch(&url))
        .map_err(|e| unavailable(format!("cannot fetch the key set at {url}: {e}")))?;
    let fetched_at = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let document = String::from_utf8(body)
        .map_err(|_| unavailable(format!("the response is not UTF-8 text ({url})")))?;
    verifier
        .cache_jwks(&pool_id, &document)
        .map_err(|e| unavailable(format!("{} ({url})", e.message())))?;
    let seed = seed_file(&document, fetched_at)
        .map_err(|reason| unavailable(format!("{reason} ({url})")))?;
    println!("{seed}");
    Ok(())
}

/// `document`, a JSON object, with `"fetched_at": <fetched_at>` added as
/// its last member; everything else is kept byte for byte as served.
fn seed_file(document: &str, fetched_at: u64) -> Result<String, &'static str> {
    let object: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(document).map_err(|_| "the response is not a JSON object")?;
    if object.contains_key("fetched_at") {
        return Err("the response already has a fetched_at member: a seed file, not a key set?");
    }
    let members = document
        .trim_end()
        .strip_suffix('}')
        .ok_or("the response is not a JSON object")?;
    let separator = if object.is_empty() { "" } else { "," };
    Ok(format!("{members}{separator}\"fetched_at\":{fetched_at}}}"))
}

#[cfg(test)]
mod tests {
    use super::seed_file;

    #[test]
    fn seed_file_appends_fetched_at_and_keeps_the_served_text() {
        let pretty = "{\n  \"keys\": [ {\"kid\": \"a\", \"kty\": \"RSA\"} ]\n}\n";
        assert_eq!(
            seed_file(pretty, 7).as_deref(),
            Ok("{\n  \"keys\": [ {\"kid\": \"a\", \"kty\": \"RSA\"} ]\n,\"fetched_at\":7}")
        );
        assert_eq!(seed_file(" {} ", 7).as_deref(), Ok(" {\"fetched_at\":7}"));
    }

    #[test]
    fn seed_file_refuses_what_it_cannot_extend() {
        for document in ["[]", "\"keys\"", "{\"keys\": []", ""] {
            assert!(seed_file(document, 7).is_err(), "{document:?}");
        }
        let seed = "{\"keys\": [], \"fetched_at\": 1}";
        assert!(seed_file(seed, 7).is_err_and(|reason| reason.contains("fetched_at")));
    }
}
