//! The gateway's configuration: its own settings from flags or variables
//! (clap), and the verifier from the variables the example servers read
//! (or their flags), loaded by the core's own loaders, so that a rule
//! variable the core learns is read here with no change.

use std::net::SocketAddr;
use std::time::Duration;

use clap::Args;
use cognito_jwt_core::http::TokenSource;
use cognito_jwt_core::{
    AlbJwtVerifier, AlbJwtVerifierBuilder, AnyVerifier, ClaimRule, CognitoJwtVerifier, ConfigError,
    DEFAULT_REPLAY_ENTRIES, DPOP_NONCE_SECRET, Dpop, Issuer, JwtVerifier, ReplayStore,
    Requirements, RevocationList, RevocationProbe, UserPool, Verify as _,
};
use cognito_jwt_redis::{RedisReplayStore, RedisRevocation, ReplayFailure};

use super::rules::Anonymous;
use super::verifier_flags::VerifierFlags;

/// `cognito-jwt gateway`'s own settings; each flag falls back to its
/// variable.
#[derive(Debug, Args)]
pub(crate) struct GatewayArgs {
    /// Where the HTTP check endpoint (`/auth`), `/health`, `/ready` and
    /// `/metrics` listen; `127.0.0.1:0` picks a free port.
    #[arg(
        long,
        env = "BIND_ADDR",
        value_name = "ADDR",
        default_value = "127.0.0.1:8081"
    )]
    pub(crate) bind_addr: SocketAddr,
    /// Where the Envoy gRPC ext_authz service listens; off when unset.
    #[arg(long, env = "GATEWAY_GRPC_ADDR", value_name = "ADDR")]
    pub(crate) grpc_addr: Option<SocketAddr>,
    /// A request without a token: deny (401) or allow (through, with empty
    /// identity headers). A bad token is refused either way.
    #[arg(
        long,
        env = "GATEWAY_ANONYMOUS",
        value_enum,
        value_name = "deny|allow",
        default_value = "deny"
    )]
    pub(crate) anonymous: Anonymous,
    /// Every token must be in one of these groups (403 otherwise);
    /// repeatable, comma-separated in the variable.
    #[arg(
        long = "required-group",
        env = "GATEWAY_REQUIRED_GROUP",
        value_name = "GROUP",
        value_delimiter = ','
    )]
    pub(crate) required_groups: Vec<String>,
    /// Every token must carry one of these scopes (403 otherwise);
    /// repeatable, comma-separated in the variable.
    #[arg(
        long = "required-scope",
        env = "GATEWAY_REQUIRED_SCOPE",
        value_name = "SCOPE",
        value_delimiter = ','
    )]
    pub(crate) required_scopes: Vec<String>,
    /// Remember verified tokens up to this many bytes (about 5 KiB per
    /// Cognito token); unset or 0: off.
    #[arg(long, env = "TOKEN_CACHE_MAX_BYTES", value_name = "BYTES")]
    pub(crate) token_cache_max_bytes: Option<u64>,
    /// Accept an `http://` OIDC_ISSUER (and key-set URL): for a provider
    /// on this machine during development and tests only.
    #[arg(long)]
    pub(crate) allow_http: bool,
    /// Accept only RFC 9068 access tokens (`typ` `at+jwt`) from
    /// OIDC_ISSUER, as `oidc verify --access-token-profile` does.
    #[arg(long)]
    pub(crate) access_token_profile: bool,
    #[command(flatten)]
    pub(crate) verifier: VerifierFlags,
}

/// How long a DPoP nonce stays current: accepted in its window and the
/// next, as the example servers do.
const DPOP_NONCE_WINDOW: Duration = Duration::from_secs(300);

/// The variables that choose the verifier kind, one of which must be set.
const KINDS: [&str; 3] = ["COGNITO_USER_POOL_ID", "OIDC_ISSUER", "ALB_ARN"];

/// Everything a check needs, shared by both protocols.
#[derive(Debug)]
pub(crate) struct Gateway {
    pub(crate) verifier: AnyVerifier,
    /// Where the verifier's tokens travel (`Authorization`, or
    /// `x-amzn-oidc-data` behind a load balancer).
    pub(crate) token_source: TokenSource,
    pub(crate) anonymous: Anonymous,
    /// `GATEWAY_REQUIRED_GROUP` and `GATEWAY_REQUIRED_SCOPE`, checked on
    /// top of each route's rules (both must hold).
    pub(crate) requirements: Requirements,
    /// Keeps the revocation list in step with Redis, when
    /// `REVOCATION_REDIS_URL` is set.
    pub(crate) _revocation_sync: Option<RedisRevocation>,
}

impl Gateway {
    /// The gateway `args` and the environment configure. Does no I/O
    /// beyond reading variables.
    ///
    /// # Errors
    /// A message naming the option or variable that is wrong.
    pub(crate) fn from_args(args: &GatewayArgs) -> Result<Self, String> {
        let cache = args.token_cache_max_bytes.filter(|&bytes| bytes > 0);
        let lookup = |name: &str| args.verifier.lookup(name);
        let revocation_sync = RedisRevocation::from_lookup(lookup).map_err(|e| e.to_string())?;
        let probe = RevocationProbe::from_lookup(lookup).map_err(|e| e.to_string())?;
        let revocation = Revocation {
            list: match (&revocation_sync, &probe) {
                (Some(sync), _) => Some(sync.list().clone()),
                // The probe writes to a list of this process.
                (None, Some(_)) => Some(
                    RevocationList::builder()
                        .from_lookup(lookup)
                        .and_then(|b| b.build())
                        .map_err(|e| e.to_string())?,
                ),
                (None, None) => None,
            },
            probe,
        };
        let dpop = dpop_from(&lookup)?;
        let verifier = verifier_from(&lookup, cache, &revocation, dpop.as_ref(), args)?;
        let mut requirements = Requirements::new();
        for group in args.required_groups.iter().map(|g| g.trim()) {
            requirements = requirements.any_group(group);
        }
        for scope in args.required_scopes.iter().map(|s| s.trim()) {
            requirements = requirements.any_scope(scope);
        }
        requirements.validate().map_err(|e| {
            let option = match e.name() {
                Some("any_scope") => "--required-scope / GATEWAY_REQUIRED_SCOPE",
                _ => "--required-group / GATEWAY_REQUIRED_GROUP",
            };
            format!("{option}: {e}")
        })?;
        Ok(Self {
            token_source: verifier.token_source(),
            verifier,
            anonymous: args.anonymous,
            requirements,
            _revocation_sync: revocation_sync,
        })
    }
}

/// Where the verifier's variables are read: a flag's value, else the
/// environment's.
type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The verifier of the one kind `lookup` configures: a user pool
/// (`COGNITO_*`), an OpenID Connect issuer (`OIDC_*`) or load balancers
/// (`ALB_*`), each with the rule variables the example servers read.
/// The revocation list the verifier checks (Redis-shared, or this
/// process's for the probe) and the probe of Cognito, if configured.
struct Revocation {
    list: Option<RevocationList>,
    probe: Option<RevocationProbe>,
}

fn verifier_from(
    lookup: Lookup<'_>,
    token_cache: Option<u64>,
    revocation: &Revocation,
    dpop: Option<&Dpop>,
    args: &GatewayArgs,
) -> Result<AnyVerifier, String> {
    let is_set = |name: &&str| lookup(name).is_some_and(|value| !value.trim().is_empty());
    let set: Vec<&str> = KINDS.into_iter().filter(is_set).collect();
    let named = |e: ConfigError| match e.name() {
        Some("dpop.external_origin") => renamed(&e, "--public-url / PUBLIC_URL"),
        Some("dpop.nonces") => renamed(&e, "--dpop-nonce-secret / DPOP_NONCE_SECRET"),
        _ => e.to_string(),
    };
    let rules = ClaimRule::from_lookup(lookup).map_err(named)?;
    // What every kind's builder takes alike (the `common_setters` of the
    // core): claim rules, the token cache, the revocation list and DPoP.
    macro_rules! common {
        ($builder:expr) => {{
            let mut builder = $builder;
            if let Some(dpop) = dpop {
                builder = builder.dpop(dpop.clone());
            }
            for rule in rules {
                builder = builder.require_claim(rule);
            }
            if let Some(bytes) = token_cache {
                builder = builder.token_cache_max_bytes(bytes);
            }
            if let Some(list) = &revocation.list {
                builder = builder.revocation(list.clone());
            }
            builder
        }};
    }
    match set.as_slice() {
        ["COGNITO_USER_POOL_ID"] => {
            let pool = UserPool::from_lookup(lookup).map_err(named)?;
            let mut builder = common!(CognitoJwtVerifier::builder().user_pool(pool));
            if let Some(probe) = &revocation.probe {
                builder = builder.revocation_probe(probe.clone());
            }
            Ok(builder.build().map_err(named)?.into())
        }
        ["OIDC_ISSUER"] => {
            let mut issuer = Issuer::from_lookup(lookup)
                .map_err(named)?
                .allow_http(args.allow_http);
            if args.access_token_profile {
                issuer = issuer.access_token_profile();
            }
            reject_probe(revocation, "OIDC_ISSUER")?;
            let builder = common!(JwtVerifier::builder().issuer(issuer));
            Ok(builder.build().map_err(named)?.into())
        }
        ["ALB_ARN"] => {
            reject_probe(revocation, "ALB_ARN")?;
            let builder = common!(alb_builder(lookup)?);
            Ok(builder.build().map_err(|e| alb_error(&e))?.into())
        }
        [] => Err(format!(
            "no verifier is configured: set exactly one of COGNITO_USER_POOL_ID (a user \
             pool), OIDC_ISSUER (any OpenID Connect issuer) or ALB_ARN (Application Load \
             Balancers){}",
            near_misses(lookup)
        )),
        several => Err(format!(
            "{} are all set: set exactly one of them, the kind of verifier to run",
            several.join(" and ")
        )),
    }
}

/// A setting's error under the name of the option and variable it came from.
fn renamed(error: &ConfigError, option: &str) -> String {
    match error {
        ConfigError::Invalid { problem, .. } => format!("{option} is invalid: {problem}"),
        other => format!("{option}: {other}"),
    }
}

/// DPoP as the example servers read it: on when `PUBLIC_URL` is set (the
/// external base URL proofs name; never a request header), with nonces
/// from `DPOP_NONCE_SECRET`, and the proofs seen in the revocation Redis
/// (`REVOCATION_REDIS_URL`, under `REVOCATION_FAIL`) or in this process.
fn dpop_from(lookup: Lookup<'_>) -> Result<Option<Dpop>, String> {
    let variable = |name: &str| {
        lookup(name)
            .map(|value| value.trim().to_owned())
            .filter(|value| !value.is_empty())
    };
    let secret = variable(DPOP_NONCE_SECRET);
    let Some(public_url) = variable("PUBLIC_URL") else {
        return match secret {
            None => Ok(None),
            Some(_) => Err(
                "--dpop-nonce-secret / DPOP_NONCE_SECRET is set but --public-url / PUBLIC_URL is \
                 not: nonces need DPoP, which PUBLIC_URL (the URL clients name in their proofs) \
                 turns on; set PUBLIC_URL, or unset DPOP_NONCE_SECRET"
                    .to_owned(),
            ),
        };
    };
    let mut dpop = Dpop::new(public_url);
    dpop = match variable("REVOCATION_REDIS_URL") {
        Some(url) => {
            let failure = match variable("REVOCATION_FAIL").as_deref() {
                Some("open") => ReplayFailure::Open,
                _ => ReplayFailure::Closed,
            };
            let store = RedisReplayStore::open(&url).map_err(|e| e.to_string())?;
            dpop.replay_store(store.failure(failure))
        }
        None => dpop.replay_store(ReplayStore::new(DEFAULT_REPLAY_ENTRIES)),
    };
    if let Some(secret) = secret {
        dpop = dpop.nonces(secret.into_bytes(), DPOP_NONCE_WINDOW);
    }
    Ok(Some(dpop))
}

/// The probe asks Cognito: with another kind of verifier it is a mistake.
fn reject_probe(revocation: &Revocation, kind: &str) -> Result<(), String> {
    match revocation.probe {
        Some(_) => Err(format!(
            "COGNITO_REVOCATION_PROBE: the probe asks Cognito's GetUser, and {kind} chooses \
             another kind of verifier; unset it"
        )),
        None => Ok(()),
    }
}

/// The core's "`<near miss>` is set: rename it to `<name>`" hints for
/// the variables that choose a kind, in parentheses, or nothing.
fn near_misses(lookup: Lookup<'_>) -> String {
    let hints: Vec<String> = [
        UserPool::from_lookup(lookup).err(),
        Issuer::from_lookup(lookup).err(),
    ]
    .into_iter()
    .flatten()
    .filter(|e| {
        matches!(
            e,
            ConfigError::Missing {
                did_you_mean: Some(_),
                ..
            }
        )
    })
    .filter(|e| e.name().is_some_and(|name| KINDS.contains(&name)))
    .map(|e| e.to_string())
    .collect();
    if hints.is_empty() {
        String::new()
    } else {
        format!(" ({})", hints.join("; "))
    }
}

/// Load balancers from `ALB_ARN` (comma-separated), `ALB_CLIENT_ID`
/// (comma-separated), `ALB_ISSUER` and `ALB_KEYS_URL`, as the example
/// servers read them.
fn alb_builder(lookup: Lookup<'_>) -> Result<AlbJwtVerifierBuilder, String> {
    let variable = |name: &str| {
        lookup(name)
            .map(|value| value.trim().to_owned())
            .filter(|value| !value.is_empty())
    };
    let list = |value: String| -> Vec<String> {
        value
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let mut builder = AlbJwtVerifier::builder();
    for arn in variable("ALB_ARN").map(list).unwrap_or_default() {
        builder = builder.load_balancer_arn(arn);
    }
    for client_id in variable("ALB_CLIENT_ID").map(list).unwrap_or_default() {
        builder = builder.client_id(client_id);
    }
    if let Some(issuer) = variable("ALB_ISSUER") {
        builder = builder.issuer(issuer);
    }
    if let Some(base) = variable("ALB_KEYS_URL") {
        builder = builder.keys_url(base);
    }
    Ok(builder)
}

/// A load balancer verifier's configuration error, naming its variable.
fn alb_error(error: &ConfigError) -> String {
    let name = match error.name().unwrap_or("") {
        n if n.contains("client_id") => "ALB_CLIENT_ID",
        n if n.contains("issuer") => "ALB_ISSUER",
        n if n.contains("keys_url") => "ALB_KEYS_URL",
        n if n.contains("claim") => "REQUIRED_CLAIMS",
        _ => "ALB_ARN",
    };
    format!("{name}: {error}")
}
