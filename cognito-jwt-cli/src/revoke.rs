//! `cognito-jwt revoke`: write a revocation to the Redis every replica
//! follows (see the `cognito-jwt-redis` crate).

use std::time::{SystemTime, UNIX_EPOCH};

use clap::{ArgGroup, Args};
use cognito_jwt_core::{
    DEFAULT_SESSION_TTL, DEFAULT_TOKEN_LIFETIME, RevocationEntry, RevocationKind,
};
use cognito_jwt_redis::RedisStore;

use crate::{EXIT_UNAVAILABLE, EXIT_USAGE, Outcome, runtime};

/// Entries are kept this much past the lifetime they are computed from,
/// as the verifiers' own lists keep them (a verifier's leeway).
const LEEWAY_MARGIN: u64 = 300;

#[derive(Debug, Args)]
#[command(group(
    ArgGroup::new("what")
        .required(true)
        .args(["origin_jti", "jti", "sub", "client_id"])
))]
#[command(group(ArgGroup::new("dated").args(["sub", "client_id"]).multiple(false)))]
pub(crate) struct RevokeArgs {
    /// The Redis every server follows (redis:// or rediss://).
    #[arg(long, env = "REVOCATION_REDIS_URL", value_name = "URL")]
    redis_url: Option<String>,
    /// Revoke one sign-in session: every token with this `origin_jti`.
    #[arg(long, value_name = "ID")]
    origin_jti: Option<String>,
    /// Revoke one token: the token with this `jti`.
    #[arg(long, value_name = "ID")]
    jti: Option<String>,
    /// Sign a user out everywhere: their tokens issued at or before --at.
    #[arg(long, value_name = "SUB")]
    sub: Option<String>,
    /// Revoke an app client's tokens issued at or before --at.
    #[arg(long = "client-id", value_name = "ID")]
    client_id: Option<String>,
    /// With --sub or --client-id: revoke tokens issued (iat) at or before
    /// this time, in seconds since 1970. Default: now.
    #[arg(long, value_name = "UNIX-SECONDS", requires = "dated")]
    at: Option<u64>,
    /// The issuer (`iss`) of the tokens to revoke, byte for byte. Default:
    /// both Cognito issuer URLs of --user-pool-id / COGNITO_USER_POOL_ID.
    #[arg(long, env = "COGNITO_ISSUER", value_name = "ISS")]
    issuer: Option<String>,
    /// The user pool whose tokens to revoke, when --issuer is not given.
    #[arg(long, env = "COGNITO_USER_POOL_ID", value_name = "ID")]
    user_pool_id: Option<String>,
    /// How long to keep the entry, in seconds. Default: 2592000 (30 days)
    /// for a session, 86400 (24 hours, the longest token lifetime) for the
    /// others.
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    ttl: Option<u64>,
}

pub(crate) fn run(args: RevokeArgs) -> Outcome {
    let Some(url) = args.redis_url.as_deref().filter(|u| !u.trim().is_empty()) else {
        return Err((
            EXIT_USAGE,
            "error: --redis-url / REVOCATION_REDIS_URL is required".to_owned(),
        ));
    };
    let store = RedisStore::open(url.trim())
        .map_err(|e| (EXIT_USAGE, format!("error: --redis-url / {e}")))?;
    let issuers = issuers(&args)?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (kind, id, at, default_ttl) =
        match (&args.origin_jti, &args.jti, &args.sub, &args.client_id) {
            (Some(id), ..) => (RevocationKind::Session, id, now, DEFAULT_SESSION_TTL),
            (_, Some(id), ..) => (RevocationKind::Token, id, now, DEFAULT_TOKEN_LIFETIME),
            (_, _, Some(id), _) => (
                RevocationKind::Subject,
                id,
                args.at.unwrap_or(now),
                DEFAULT_TOKEN_LIFETIME,
            ),
            (_, _, _, Some(id)) => (
                RevocationKind::Client,
                id,
                args.at.unwrap_or(now),
                DEFAULT_TOKEN_LIFETIME,
            ),
            _ => {
                return Err((
                    EXIT_USAGE,
                    "error: one of --origin-jti, --jti, --sub or --client-id is required"
                        .to_owned(),
                ));
            }
        };
    if id.is_empty() {
        return Err((EXIT_USAGE, format!("error: --{}: empty", option_of(kind))));
    }
    let ttl = args.ttl.unwrap_or(default_ttl.as_secs());
    let until = at
        .max(now)
        .saturating_add(ttl)
        .saturating_add(LEEWAY_MARGIN);
    let entries: Vec<RevocationEntry> = issuers
        .into_iter()
        .map(|issuer| RevocationEntry::new(kind, issuer, id.as_str(), at, until))
        .collect();
    runtime()?.block_on(async {
        for entry in &entries {
            store
                .write(entry)
                .await
                .map_err(|e| (EXIT_UNAVAILABLE, format!("unavailable: {e}")))?;
        }
        Ok::<(), (u8, String)>(())
    })?;
    for entry in &entries {
        println!("{}", entry.to_json());
    }
    Ok(())
}

fn option_of(kind: RevocationKind) -> &'static str {
    match kind {
        RevocationKind::Session => "origin-jti",
        RevocationKind::Token => "jti",
        RevocationKind::Subject => "sub",
        _ => "client-id",
    }
}

/// The issuers to write entries for: --issuer, or both issuer URLs of the
/// user pool (tokens name one or the other).
fn issuers(args: &RevokeArgs) -> Result<Vec<String>, (u8, String)> {
    if let Some(issuer) = args.issuer.as_deref().filter(|i| !i.trim().is_empty()) {
        return Ok(vec![issuer.trim().to_owned()]);
    }
    let Some(pool) = args.user_pool_id.as_deref().map(str::trim) else {
        return Err((
            EXIT_USAGE,
            "error: --issuer / COGNITO_ISSUER is required, or --user-pool-id / \
             COGNITO_USER_POOL_ID to revoke a user pool's tokens"
                .to_owned(),
        ));
    };
    let region = match pool.split_once('_') {
        Some((region, id))
            if !region.is_empty()
                && !id.is_empty()
                && pool
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') =>
        {
            region
        }
        _ => {
            return Err((
                EXIT_USAGE,
                "error: --user-pool-id / COGNITO_USER_POOL_ID: expected REGION_ID, e.g. \
                 eu-west-1_AbC123xyz"
                    .to_owned(),
            ));
        }
    };
    Ok(["cognito-idp", "issuer-cognito-idp"]
        .into_iter()
        .map(|host| format!("https://{host}.{region}.amazonaws.com/{pool}"))
        .collect())
}
