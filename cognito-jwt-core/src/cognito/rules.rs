//! Cognito's own claim rules: `sub`, `token_use`, and the app client in
//! `aud` (ID tokens) or `client_id` (access tokens); and the engine for a
//! set of user pools under them.

use crate::algorithm::AlgorithmSet;
use crate::claims::{Audience, Payload, Profile, TokenUse};
use std::any::Any;

use crate::engine::{
    Common, Inner, IssuerSettings, Pool, Rules, Trusted, TrustedIssuer, Unbuilt, check_dates,
};
use crate::error::{ConfigError, Error, ErrorKind};
use crate::jwks::{Seed, SourceSpec};
use crate::jwt::{HeaderClaims, HeaderRules, Typ};
use crate::metrics::Metrics;

use super::user_pool::{ResolvedPool, UserPool};

impl Rules for ResolvedPool {
    fn check_claims(
        &self,
        payload: &Payload<'_>,
        _header: (Typ, Option<&HeaderClaims>),
        wanted: Option<TokenUse>,
        now: u64,
        leeway: u64,
    ) -> Result<Profile, Error> {
        check_dates(payload, now, leeway, "Cognito tokens always expire")?;
        check_cognito(payload, self, wanted).map(Profile::Cognito)
    }

    fn is_named(&self, name: &str) -> bool {
        self.pool_id == name
    }

    fn resource_server(&self) -> Option<(&str, &[String])> {
        // The first issuer: the original AWS host unless only the updated
        // one is accepted, or the configured override.
        let issuer = self.issuers.first()?;
        Some((issuer, &self.resources))
    }
}

/// Cognito's own rules: `sub`, `token_use`, and the app client in `aud`
/// (ID tokens) or `client_id` (access tokens), and an access token's
/// resource binding.
fn check_cognito(
    payload: &Payload<'_>,
    pool: &ResolvedPool,
    wanted: Option<TokenUse>,
) -> Result<TokenUse, Error> {
    if payload.sub.is_none() {
        return Err(Error::new(
            ErrorKind::Malformed,
            "the token has no sub claim; Cognito tokens always name their subject",
        ));
    }
    let token_use = match payload.token_use.as_deref() {
        Some("id") => TokenUse::Id,
        Some("access") => TokenUse::Access,
        Some(_) => {
            return Err(Error::new(
                ErrorKind::InvalidTokenUse,
                "the token's token_use is neither id nor access (refresh tokens are never \
                 accepted)",
            ));
        }
        None => {
            return Err(Error::new(
                ErrorKind::InvalidTokenUse,
                "the token has no token_use claim; only Cognito ID and access tokens are \
                 accepted",
            ));
        }
    };
    if !pool.token_use.accepts(token_use) || wanted.is_some_and(|w| w != token_use) {
        let expected = wanted.map_or(pool.token_use, Into::into);
        return Err(Error::new(
            ErrorKind::InvalidTokenUse,
            format!(
                "a {token_use} token was sent where {} is expected; send the {} token",
                expected.describe(),
                expected.token_name()
            ),
        ));
    }
    let (client, claim) = match token_use {
        TokenUse::Id => match &payload.aud {
            Some(aud) => match aud.single() {
                Some(aud) => (Some(aud), "aud"),
                None => {
                    return Err(Error::new(
                        ErrorKind::Malformed,
                        "the payload is not a valid claims object: claim `aud` must be a string",
                    ));
                }
            },
            None => (None, "aud"),
        },
        TokenUse::Access => (payload.client_id.as_deref(), "client_id"),
    };
    match client {
        None => Err(Error::new(
            ErrorKind::InvalidAudience,
            format!("the {token_use} token has no {claim} claim"),
        )),
        Some(client)
            if pool
                .client_ids
                .iter()
                .any(|c| c.as_bytes() == client.as_bytes()) =>
        {
            if token_use == TokenUse::Access {
                check_resource(payload.aud.as_ref(), client, pool)?;
            }
            Ok(token_use)
        }
        Some(_) => Err(Error::new(
            ErrorKind::InvalidAudience,
            format!(
                "the token's {claim} is not an accepted app client (expected {}); check \
                 COGNITO_CLIENT_ID",
                pool.client_ids.join(" or ")
            ),
        )),
    }
}

/// Resource binding (RFC 8707) of an access token issued to `client`:
/// its `aud` names the resource servers it was issued for.
///
/// With no resource configured (the default) this costs the `aud` check
/// alone: a token without `aud` passes, one bound to a resource is refused
/// unless any resource is accepted.
fn check_resource(
    aud: Option<&Audience<'_>>,
    client: &str,
    pool: &ResolvedPool,
) -> Result<(), Error> {
    let Some(aud) = aud else {
        if pool.resources.is_empty()
            || pool
                .unbound_clients
                .iter()
                .any(|c| c.as_bytes() == client.as_bytes())
        {
            return Ok(());
        }
        tracing::debug!(
            pool = %pool.pool_id,
            accepted_by = "UserPool::unbound_clients (COGNITO_UNBOUND_CLIENTS) naming its client",
            "access token refused: it is bound to no resource"
        );
        return Err(Error::new(
            ErrorKind::InvalidAudience,
            "the access token names no resource (aud) and its app client is not one of the \
             unbound clients; list clients that cannot bind tokens (SDK sign-in, client \
             credentials) in COGNITO_UNBOUND_CLIENTS",
        ));
    };
    if pool.any_resource
        || aud.iter().any(|named| {
            pool.resources
                .iter()
                .any(|ours| ours.as_bytes() == named.as_bytes())
        })
    {
        return Ok(());
    }
    // No claim value reaches a log line (SECURITY.md): each resource the
    // token names is logged as the start of its SHA-256, which an operator
    // can match against the resources they expect.
    let named = fingerprints(aud);
    let count = aud.iter().count();
    if pool.resources.is_empty() {
        tracing::debug!(
            pool = %pool.pool_id,
            resource_sha256 = %named,
            resources_named = count,
            accepted_by = "UserPool::resource (COGNITO_RESOURCE) naming it, or \
                           UserPool::dangerously_accept_any_resource",
            "access token refused: it is bound to a resource and none is configured"
        );
        Err(Error::new(
            ErrorKind::InvalidAudience,
            "the access token is bound to a resource server (aud) and no resource is \
             configured; name this API's resource in COGNITO_RESOURCE",
        ))
    } else {
        tracing::debug!(
            pool = %pool.pool_id,
            resource_sha256 = %named,
            resources_named = count,
            accepted_by = "UserPool::resource (COGNITO_RESOURCE) naming it",
            "access token refused: it is bound to other resources"
        );
        Err(Error::new(
            ErrorKind::InvalidAudience,
            "the access token is bound to other resources (aud) than this API's; check \
             COGNITO_RESOURCE",
        ))
    }
}

/// The first 16 hex digits of the SHA-256 of each of the first four
/// resources named, space-separated: what the logs say of a token's `aud`.
fn fingerprints(aud: &Audience<'_>) -> String {
    use std::fmt::Write as _;

    let mut out = String::new();
    for named in aud.iter().take(4) {
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, named.as_bytes());
        if !out.is_empty() {
            out.push(' ');
        }
        for byte in &digest.as_ref()[..8] {
            let _ = write!(out, "{byte:02x}");
        }
    }
    out
}

/// The engine for these user pools, under Cognito's rules. Does no I/O
/// beyond reading seed files.
pub(crate) fn cognito_engine(
    pools: &[UserPool],
    common: Common,
    metrics: Metrics,
) -> Result<Inner, ConfigError> {
    let inner = unseeded_cognito_engine(pools, common, metrics)?;
    for (index, pool) in pools.iter().enumerate() {
        if let Some(seed) = pool.seed(index)? {
            load_seed(&inner, pool, index, &seed)?;
        }
    }
    Ok(inner)
}

/// Load `seed`, the seed of `pool`, the pool at `index` of those `inner`
/// was built for by [`unseeded_cognito_engine`].
pub(crate) fn load_seed(
    inner: &Inner,
    pool: &UserPool,
    index: usize,
    seed: &Seed,
) -> Result<(), ConfigError> {
    inner
        .keys
        .seed(inner.pools[index].source, seed)
        .map(drop)
        .map_err(|problem| ConfigError::invalid(pool.seed_name(index), problem))
}

/// The engine for these user pools, under Cognito's rules, without their
/// seeds (see [`load_seed`]). Does no I/O.
pub(crate) fn unseeded_cognito_engine(
    pools: &[UserPool],
    common: Common,
    metrics: Metrics,
) -> Result<Inner, ConfigError> {
    let mut trusted = Trusted {
        pools: Vec::new(),
        issuers: Vec::new(),
        sources: Vec::new(),
        header: HeaderRules::COGNITO,
        extra_lists: Vec::new(),
    };
    for (index, pool) in pools.iter().enumerate() {
        let resolved = pool.resolve(index)?;
        for issuer in &resolved.issuers {
            trusted.issuer(
                issuer,
                index,
                format!("user_pool[{index}]"),
                "merge the two pools",
            )?;
        }
        let source = trusted.source(SourceSpec {
            name: resolved.pool_id.clone(),
            url: resolved.jwks_uri.clone(),
            discovery: None,
            algorithms: AlgorithmSet::RS256,
            per_kid: false,
        });
        trusted.pools.push(Pool {
            rules: Box::new(resolved),
            source,
            algorithms: AlgorithmSet::RS256,
            requirements: None,
            require_dpop: false,
        });
    }
    common.engine(trusted, metrics)
}

impl IssuerSettings for UserPool {
    fn issuer_urls(&self, index: usize) -> Result<Vec<String>, ConfigError> {
        Ok(self.resolve(index)?.issuers)
    }

    fn build(&self, common: Common, metrics: Metrics) -> Result<Inner, Unbuilt> {
        let unusable = |e: ConfigError| Unbuilt::Unusable(e.to_string());
        let engine = unseeded_cognito_engine(std::slice::from_ref(self), common, metrics)
            .map_err(unusable)?;
        // A seed file that cannot be read now (being written by a
        // deployment, on a volume not mounted yet) is an outage.
        let seed = self
            .seed(0)
            .map_err(|e| Unbuilt::Unavailable(e.to_string()))?;
        if let Some(seed) = seed {
            load_seed(&engine, self, 0, &seed).map_err(unusable)?;
        }
        Ok(engine)
    }

    fn same_rules(&self, other: &dyn Any) -> bool {
        other
            .downcast_ref::<Self>()
            .is_some_and(|other| UserPool::same_rules(self, other))
    }

    fn same_settings(&self, other: &dyn Any) -> bool {
        other.downcast_ref::<Self>() == Some(self)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl From<UserPool> for TrustedIssuer {
    fn from(pool: UserPool) -> Self {
        Self::new(pool)
    }
}
