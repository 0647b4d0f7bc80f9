//! The verifier: one pipeline for `verify` and `verify_sync`.
//!
//! split → header → key lookup by `kid` (the only step that differs:
//! `verify` may wait for a fetch, `verify_sync` never waits) → signature →
//! claims parse → issuer (must own the key) → registered claims →
//! requirements → custom check → claims type.
//!
//! The claims are parsed only once the signature holds, so a forged token
//! naming a cached key costs one signature check whatever its payload. A
//! token whose key no cached set has, or several sets have (issuers that
//! publish the same `kid`), is first scanned for its `iss` (no allocation,
//! no duplicate bookkeeping), and its key taken from that issuer's set:
//! nothing is fetched for a payload that is not a JSON object naming a
//! configured issuer. With several key sets, a signature that fails with
//! the one cached key its `kid` names is checked once more with the key of
//! the issuer its `iss` names, when that is another set (not loaded yet,
//! or which gained the `kid` since).

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::algorithm::AlgorithmSet;
use crate::builder::CognitoJwtVerifierBuilder;
use crate::claims::{ClaimsView, Payload, Profile, issuer_of, json_problem};
use crate::config::{ResolvedPool, TokenUse};
use crate::error::{Error, ErrorKind};
use crate::health::Health;
use crate::issuer::ResolvedIssuer;
use crate::jwks::{KeyCache, KeyLookup, VerifyingKey};
use crate::jwt::{Decoded, HeaderRules};
use crate::metrics::Metrics;
use crate::requirements::Requirements;
use crate::token_cache::{CachedClaims, CachedToken, TokenCache};
use crate::token_claims::TokenClaims;

/// The custom check: sees the verified claims, returns a reason to refuse.
pub(crate) type CustomCheck = dyn Fn(&ClaimsView<'_>) -> Result<(), String> + Send + Sync;

/// The rules one trusted issuer's tokens are checked by.
pub(crate) enum Rules {
    /// A Cognito user pool: `token_use`, `client_id` or `aud`, groups.
    Cognito(ResolvedPool),
    /// Any OpenID Connect or OAuth issuer.
    Oidc(ResolvedIssuer),
}

pub(crate) struct Pool {
    pub(crate) rules: Rules,
    /// The index of the pool's key-set URL in the key cache.
    pub(crate) source: usize,
}

impl Pool {
    fn algorithms(&self) -> AlgorithmSet {
        match &self.rules {
            Rules::Cognito(_) => AlgorithmSet::RS256,
            Rules::Oidc(issuer) => issuer.algorithms,
        }
    }
}

/// The engine behind both verifiers: one pipeline, one key cache, one
/// token cache.
pub(crate) struct Inner {
    /// What a header must say before anything else happens.
    pub(crate) header: HeaderRules,
    /// The list claims the parser keeps beyond its table (configured groups
    /// claims), by name.
    pub(crate) extra_lists: Vec<Box<str>>,
    pub(crate) pools: Vec<Pool>,
    /// `(issuer, pool index)`, searched by exact byte match.
    pub(crate) issuers: Vec<(String, usize)>,
    pub(crate) keys: KeyCache,
    pub(crate) leeway: u64,
    pub(crate) requirements: Requirements,
    pub(crate) custom_check: Option<Arc<CustomCheck>>,
    /// Shared by every engine of a resolver-backed verifier; entries say
    /// which engine verified them.
    pub(crate) token_cache: Option<Arc<TokenCache>>,
    /// Unique in the process: a token-cache entry is served only by the
    /// engine that verified its token.
    pub(crate) id: u64,
    pub(crate) metrics: Metrics,
}

/// A fresh [`Inner::id`].
pub(crate) fn next_engine_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// Verifies Cognito ID and access tokens against the pools' key sets.
///
/// Cheap to clone (an `Arc`); build one per process and share it. Every
/// clone shares one key-set cache.
///
/// ```no_run
/// use cognito_jwt_core::{AccessTokenClaims, CognitoJwtVerifier, TokenUse, UserPool};
///
/// # async fn run(token: &str) -> Result<(), Box<dyn std::error::Error>> {
/// let verifier = CognitoJwtVerifier::builder()
///     .user_pool(
///         UserPool::new("eu-west-1_AbC123xyz")
///             .client_id("1example23456789")
///             .token_use(TokenUse::Access),
///     )
///     .build()?;
///
/// let claims: AccessTokenClaims = verifier.verify(token).await?;
/// println!("hello {}", claims.sub);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct CognitoJwtVerifier {
    pub(crate) inner: Arc<Inner>,
}

impl fmt::Debug for CognitoJwtVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CognitoJwtVerifier")
            .field(
                "issuers",
                &self
                    .inner
                    .issuers
                    .iter()
                    .map(|(i, _)| i)
                    .collect::<Vec<_>>(),
            )
            .field("keys", &self.inner.keys)
            .field("leeway_secs", &self.inner.leeway)
            .field("token_cache", &self.inner.token_cache.is_some())
            .finish_non_exhaustive()
    }
}

impl CognitoJwtVerifier {
    /// A builder with every setting at its documented default.
    pub fn builder() -> CognitoJwtVerifierBuilder {
        CognitoJwtVerifierBuilder::default()
    }

    /// Verify a token, fetching the key set if needed, and return its
    /// claims as `T`.
    ///
    /// # Errors
    /// An [`Error`] whose [`kind`](Error::kind) says why the token was refused.
    pub async fn verify<T: TokenClaims>(&self, token: &str) -> Result<T, Error> {
        self.verify_with(token, &Requirements::new()).await
    }

    /// [`verify`](Self::verify), then also check `requirements` (on top of
    /// those set on the builder).
    ///
    /// # Errors
    /// As [`verify`](Self::verify), plus [`ErrorKind::MissingGroup`] and
    /// [`ErrorKind::MissingScope`].
    pub async fn verify_with<T: TokenClaims>(
        &self,
        token: &str,
        requirements: &Requirements,
    ) -> Result<T, Error> {
        let result = self.inner.verify_with(token, requirements).await;
        self.inner.metrics.verified(result)
    }

    /// Verify a token using only cached keys; never waits on the network.
    ///
    /// # Errors
    /// As [`verify`](Self::verify); [`ErrorKind::JwksNotCached`] when the
    /// issuer's key set has not been fetched yet (call
    /// [`hydrate`](Self::hydrate) at start-up), [`ErrorKind::UnknownKid`]
    /// when the cached set lacks the token's key.
    pub fn verify_sync<T: TokenClaims>(&self, token: &str) -> Result<T, Error> {
        self.verify_sync_with(token, &Requirements::new())
    }

    /// [`verify_sync`](Self::verify_sync) with extra requirements.
    ///
    /// # Errors
    /// As [`verify_sync`](Self::verify_sync) and [`verify_with`](Self::verify_with).
    pub fn verify_sync_with<T: TokenClaims>(
        &self,
        token: &str,
        requirements: &Requirements,
    ) -> Result<T, Error> {
        let result = self.inner.verify_sync_with(token, requirements);
        self.inner.metrics.verified(result)
    }

    /// Fetch every configured key set now, e.g. at start-up to fail fast or
    /// to log a problem early. Verification works without it.
    ///
    /// # Errors
    /// [`ErrorKind::JwksUnavailable`] for the first key set that could not
    /// be fetched.
    pub async fn hydrate(&self) -> Result<(), Error> {
        self.inner.keys.hydrate().await
    }

    /// Load a key-set document you already have (offline use, tests) for the
    /// pool with this id. Returns the number of usable keys.
    ///
    /// # Errors
    /// [`ErrorKind::JwksUnavailable`] when the document has no usable key;
    /// [`ErrorKind::InvalidIssuer`] when no configured pool has this id.
    pub fn cache_jwks(&self, user_pool_id: &str, jwks_json: &str) -> Result<usize, Error> {
        let pool = self
            .inner
            .pools
            .iter()
            .find(|p| matches!(&p.rules, Rules::Cognito(pool) if pool.pool_id == user_pool_id))
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidIssuer,
                    "no configured pool has this id; pass the id given to UserPool::new",
                )
            })?;
        self.inner
            .keys
            .insert_document(pool.source, jwks_json.as_bytes())
    }

    /// The state of every key set: never fetched, fresh, stale or
    /// unavailable, with URLs, ages and the last error. Cheap; meant for
    /// dashboards and the operator's own endpoints (the error text can name
    /// internal hosts): a public readiness probe serves
    /// [`http::Readiness`](crate::http::Readiness) instead.
    ///
    /// ```
    /// # use cognito_jwt_core::{CognitoJwtVerifier, TokenUse, UserPool};
    /// let verifier = CognitoJwtVerifier::builder()
    ///     .user_pool(UserPool::new("eu-west-1_AbC123").client_id("c").token_use(TokenUse::Access))
    ///     .build()?;
    /// let health = verifier.health();
    /// assert!(!health.ready); // nothing fetched yet
    /// assert_eq!(health.key_sets[0].state.as_str(), "never_fetched");
    /// # Ok::<(), cognito_jwt_core::ConfigError>(())
    /// ```
    pub fn health(&self) -> Health {
        Health::new(self.inner.keys.health())
    }

    /// Whether every key set has usable keys, so that tokens of every
    /// configured issuer can be verified now.
    pub fn is_ready(&self) -> bool {
        self.health().ready
    }

    /// The key-set URLs this verifier fetches.
    pub fn jwks_uris(&self) -> impl Iterator<Item = &str> {
        // A user pool's key-set URL is configured, never discovered.
        (0..self.inner.keys.source_count()).map(|i| self.inner.keys.configured_url(i))
    }
}

impl Inner {
    /// The pipeline, fetching a key set when needed.
    pub(crate) async fn verify_with<T: TokenClaims>(
        &self,
        token: &str,
        requirements: &Requirements,
    ) -> Result<T, Error> {
        if let Some(hit) = self.cached(token, requirements) {
            return hit;
        }
        // Read before any key is looked up (see `KeyCache::generation`).
        let generation = self.keys.generation();
        let decoded = Decoded::new(token, &self.header)?;
        let source = match self.keys.find(&decoded.kid) {
            KeyLookup::One(source, key) => match signed_with(&decoded, &key) {
                Ok(()) => source,
                Err(refused) => {
                    let Some(own) = self.own_source(&decoded, source) else {
                        return Err(refused);
                    };
                    let key = self.keys.key(own, &decoded.kid).await?;
                    signed_with(&decoded, &key)?;
                    own
                }
            },
            KeyLookup::Several | KeyLookup::None => {
                let source = self.source_to_fetch(&decoded)?;
                let key = self.keys.key(source, &decoded.kid).await?;
                signed_with(&decoded, &key)?;
                source
            }
        };
        self.finish(token, &decoded, source, requirements, generation)
    }

    /// The pipeline on cached keys only.
    pub(crate) fn verify_sync_with<T: TokenClaims>(
        &self,
        token: &str,
        requirements: &Requirements,
    ) -> Result<T, Error> {
        if let Some(hit) = self.cached(token, requirements) {
            return hit;
        }
        let generation = self.keys.generation();
        let decoded = Decoded::new(token, &self.header)?;
        let source = match self.keys.find(&decoded.kid) {
            KeyLookup::One(source, key) => match signed_with(&decoded, &key) {
                Ok(()) => source,
                Err(refused) => {
                    let Some(own) = self.own_source(&decoded, source) else {
                        return Err(refused);
                    };
                    let key = self.keys.cached_key(own, &decoded.kid)?;
                    signed_with(&decoded, &key)?;
                    own
                }
            },
            KeyLookup::Several | KeyLookup::None => {
                let source = self.source_to_fetch(&decoded)?;
                let key = self.keys.cached_key(source, &decoded.kid)?;
                signed_with(&decoded, &key)?;
                source
            }
        };
        self.finish(token, &decoded, source, requirements, generation)
    }

    /// Load a key-set document for the pool `pool` names.
    pub(crate) fn cache_jwks(
        &self,
        pool: impl Fn(&Rules) -> bool,
        jwks_json: &str,
        not_found: &'static str,
    ) -> Result<usize, Error> {
        let pool = self
            .pools
            .iter()
            .find(|p| pool(&p.rules))
            .ok_or_else(|| Error::new(ErrorKind::InvalidIssuer, not_found))?;
        self.keys.insert_document(pool.source, jwks_json.as_bytes())
    }

    /// The key-set URLs: configured, discovered, or (until discovery
    /// ran) the discovery documents'.
    pub(crate) fn jwks_uris(&self) -> impl Iterator<Item = String> + '_ {
        (0..self.keys.source_count()).map(|i| self.keys.url(i).to_string())
    }

    /// The key set to fetch for a token whose key no cached set has: its
    /// issuer's, read from the payload, which must be a JSON object naming
    /// a configured issuer. Nothing is fetched for anything else.
    fn source_to_fetch(&self, decoded: &Decoded<'_>) -> Result<usize, Error> {
        let iss = issuer_of(&decoded.json)?;
        self.pool_for(iss.as_deref()).map(|pool| pool.source)
    }

    /// After the signature failed with the one cached key its `kid` names:
    /// the key set of the token's own issuer, when that is another set. It
    /// may not be loaded yet, or may have gained the `kid` since: issuers
    /// that publish static kids (such as `"1"`) share them.
    fn own_source(&self, decoded: &Decoded<'_>, tried: usize) -> Option<usize> {
        if self.keys.source_count() < 2 {
            return None;
        }
        self.source_to_fetch(decoded)
            .ok()
            .filter(|&own| own != tried)
    }

    /// The pool whose issuer the token names, by exact byte match.
    fn pool_for(&self, iss: Option<&str>) -> Result<&Pool, Error> {
        let iss =
            iss.ok_or_else(|| Error::new(ErrorKind::InvalidIssuer, "the token has no iss claim"))?;
        self.issuers
            .iter()
            .find(|(issuer, _)| issuer.as_bytes() == iss.as_bytes())
            .map(|(_, pool)| &self.pools[*pool])
            .ok_or_else(|| {
                let expected = self
                    .issuers
                    .iter()
                    .map(|(i, _)| i.as_str())
                    .collect::<Vec<_>>()
                    .join(" or ");
                Error::new(
                    ErrorKind::InvalidIssuer,
                    if self.header.cognito {
                        format!(
                            "the token's iss is not a configured issuer (expected {expected}); \
                             check the user pool id, or set the issuer override for emulators",
                        )
                    } else {
                        format!(
                            "the token's iss is not a configured issuer (expected {expected}); \
                             issuers are compared byte for byte, trailing slash included",
                        )
                    },
                )
            })
    }

    /// Everything after the signature, which key set `source` vouched for:
    /// claims, issuer, requirements, the custom check, the claims type, and
    /// the token cache.
    fn finish<T: TokenClaims>(
        &self,
        token: &str,
        decoded: &Decoded<'_>,
        source: usize,
        requirements: &Requirements,
        generation: u64,
    ) -> Result<T, Error> {
        let payload = Payload::parse_with(&decoded.json, &self.extra_lists)?;
        let pool = self.pool_for(payload.iss.as_deref())?;
        if pool.source != source {
            return Err(Error::new(
                ErrorKind::InvalidIssuer,
                "the token is signed with another configured issuer's key than its iss names",
            ));
        }
        if !pool.algorithms().contains(decoded.alg) {
            return Err(Error::new(
                ErrorKind::UnsupportedAlgorithm,
                format!(
                    "the token's alg is not accepted for its issuer (accepted: {})",
                    pool.algorithms().names()
                ),
            ));
        }
        let now = unix_secs(SystemTime::now())?;
        let profile = match &pool.rules {
            Rules::Cognito(rules) => {
                check_dates(&payload, now, self.leeway, "Cognito tokens always expire")?;
                Profile::Cognito(check_cognito(&payload, rules, T::TOKEN_USE)?)
            }
            Rules::Oidc(rules) => {
                if T::TOKEN_USE.is_some() {
                    return Err(Error::new(
                        ErrorKind::InvalidTokenUse,
                        "Cognito claims types (IdTokenClaims, AccessTokenClaims) are for \
                         CognitoJwtVerifier; use StandardClaims or your own type",
                    ));
                }
                check_dates(&payload, now, self.leeway, "tokens must expire")?;
                rules.check(&payload, decoded.typ)?
            }
        };
        let view = ClaimsView::new(&payload, &decoded.json, profile);
        self.check_requirements(pool, &view, requirements)?;
        let claims = claims_of::<T>(&view)?;
        if let Some(cache) = &self.token_cache {
            cache.insert(
                token,
                CachedToken {
                    claims: Arc::new(CachedClaims {
                        payload: payload.clone().into_owned(),
                        json: decoded.json.as_str().into(),
                        typed: Box::new(claims.clone()),
                    }),
                    profile,
                    source: pool.source,
                    pool: self.pool_index(pool),
                    generation,
                    engine: self.id,
                    valid_until: self.valid_until(&payload),
                },
                now,
            );
        }
        Ok(claims)
    }

    fn pool_index(&self, pool: &Pool) -> usize {
        self.pools
            .iter()
            .position(|p| std::ptr::eq(p, pool))
            .unwrap_or_default()
    }

    /// Serve a repeated token from the verified-token cache, counting hits
    /// and misses.
    fn cached<T: TokenClaims>(
        &self,
        token: &str,
        requirements: &Requirements,
    ) -> Option<Result<T, Error>> {
        let cache = self.token_cache.as_ref()?;
        let hit = self.cache_hit(cache, token, requirements);
        self.metrics.token_cache(hit.is_some());
        hit
    }

    /// The answer for a token the cache can serve, if it can.
    fn cache_hit<T: TokenClaims>(
        &self,
        cache: &TokenCache,
        token: &str,
        requirements: &Requirements,
    ) -> Option<Result<T, Error>> {
        // A clock before 1970 serves no hit: the full path fails closed.
        let now = unix_secs(SystemTime::now()).ok()?;
        let with_custom_check = self.custom_check.is_some();
        let hit = cache
            .get(token, now, |entry| {
                // A removed key, or a key set due for refresh, sends the
                // token through the full path (which refreshes the set), so
                // that repeated tokens alone cannot keep a removed key alive.
                // A type for another kind of token goes there too, to be
                // refused with its reason.
                let wanted_use = match entry.profile {
                    Profile::Cognito(token_use) => {
                        T::TOKEN_USE.is_none_or(|wanted| wanted == token_use)
                    }
                    Profile::Oidc { .. } => T::TOKEN_USE.is_none(),
                };
                // Another engine's entry (an issuer resolved again after
                // its engine was dropped) names another key cache.
                if !wanted_use
                    || entry.engine != self.id
                    || !self.keys.still_current(entry.source, entry.generation)
                {
                    return None;
                }
                Some(if with_custom_check {
                    Hit::CheckOutside(Arc::clone(&entry.claims), entry.profile, entry.pool)
                } else {
                    // Every built-in check is quick: served under the
                    // guard, touching no shared count.
                    Hit::Served(self.serve_hit(
                        &entry.claims,
                        entry.profile,
                        entry.pool,
                        requirements,
                    ))
                })
            })
            .flatten()?;
        Some(match hit {
            Hit::Served(result) => result,
            // The cache's guard is released: a custom check (which may be
            // slow) holds this entry's claims only, never the memory of the
            // entries evicted meanwhile.
            Hit::CheckOutside(claims, profile, pool) => {
                self.serve_hit(&claims, profile, pool, requirements)
            }
        })
    }

    /// The checks every request runs, and the claims as `T`, for a token
    /// the cache holds.
    fn serve_hit<T: TokenClaims>(
        &self,
        claims: &CachedClaims,
        profile: Profile,
        pool: usize,
        requirements: &Requirements,
    ) -> Result<T, Error> {
        let view = ClaimsView::new(&claims.payload, &claims.json, profile);
        self.check_requirements(&self.pools[pool], &view, requirements)?;
        match claims.typed.downcast_ref::<T>() {
            Some(claims) => Ok(claims.clone()),
            None => claims_of(&view),
        }
    }

    /// Until when (`exp + leeway`, in seconds since the epoch) a verified
    /// token may be served from the cache.
    fn valid_until(&self, payload: &Payload<'_>) -> u64 {
        payload.exp.unwrap_or(0).saturating_add(self.leeway)
    }

    fn check_requirements(
        &self,
        pool: &Pool,
        view: &ClaimsView<'_>,
        requirements: &Requirements,
    ) -> Result<(), Error> {
        self.requirements.check_view(view)?;
        if let Rules::Oidc(issuer) = &pool.rules {
            issuer.requirements.check_view(view)?;
        }
        requirements.check_view(view)?;
        if let Some(check) = &self.custom_check {
            check(view).map_err(|reason| Error::new(ErrorKind::CustomCheckFailed, reason))?;
        }
        Ok(())
    }
}

/// Whether `key` signed the token, with the token's `alg`, which the key
/// must serve.
fn signed_with(decoded: &Decoded<'_>, key: &VerifyingKey) -> Result<(), Error> {
    if !key.serves(decoded.alg) {
        return Err(Error::new(
            ErrorKind::UnsupportedAlgorithm,
            format!(
                "the key the token's kid names is not a {} key (its kty, crv or alg \
                 differ); the token's alg does not fit its key",
                decoded.alg
            ),
        ));
    }
    let signature = decoded.signature.as_deref().map_err(|p| p.error())?;
    if !key.verify(decoded.alg, decoded.parts.signing_input, signature) {
        return Err(Error::new(
            ErrorKind::InvalidSignature,
            "the signature does not verify with the issuer's key; the token was altered \
             or forged",
        ));
    }
    Ok(())
}

/// A token-cache hit: answered under the cache's guard, or its claims
/// taken out to be checked after the guard is released.
enum Hit<T> {
    Served(Result<T, Error>),
    CheckOutside(Arc<CachedClaims>, Profile, usize),
}

/// `exp` (required), `nbf` and `iat`, with the leeway.
fn check_dates(payload: &Payload<'_>, now: u64, leeway: u64, why_exp: &str) -> Result<(), Error> {
    let exp = payload.exp.ok_or_else(|| {
        Error::new(
            ErrorKind::Malformed,
            format!("the token has no exp claim; {why_exp}"),
        )
    })?;
    if now >= exp.saturating_add(leeway) {
        return Err(Error::new(
            ErrorKind::Expired,
            "the token has expired; the client must refresh it",
        ));
    }
    if payload
        .nbf
        .is_some_and(|nbf| nbf > now.saturating_add(leeway))
    {
        return Err(Error::new(
            ErrorKind::NotYetValid,
            "the token's nbf is in the future; check the server clock",
        ));
    }
    if payload
        .iat
        .is_some_and(|iat| iat > now.saturating_add(leeway))
    {
        return Err(Error::new(
            ErrorKind::NotYetValid,
            "the token's iat is in the future; check the server clock",
        ));
    }
    Ok(())
}

/// Cognito's own rules: `sub`, `token_use`, and the app client in `aud`
/// (ID tokens) or `client_id` (access tokens).
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

/// The verified claims as `T`.
pub(crate) fn claims_of<T: TokenClaims>(view: &ClaimsView<'_>) -> Result<T, Error> {
    T::from_view(view).map_err(|e| {
        Error::new(
            ErrorKind::Malformed,
            format!(
                "the claims do not fit the requested type: {}",
                json_problem(&e)
            ),
        )
    })
}

/// Seconds since the epoch; a clock that reads before 1970 fails closed
/// (every token is refused as expired) rather than reading as 0, which
/// would let every `exp` pass.
pub(crate) fn unix_secs(now: SystemTime) -> Result<u64, Error> {
    now.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .map_err(|_| {
            Error::new(
                ErrorKind::Expired,
                "the server clock reads before 1970, so no expiry can be checked; fix the clock",
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_clock_before_the_epoch_fails_closed() {
        let before = UNIX_EPOCH - Duration::from_secs(1);
        assert_eq!(
            unix_secs(before).map_err(|e| e.kind()),
            Err(ErrorKind::Expired)
        );
        assert_eq!(unix_secs(UNIX_EPOCH + Duration::from_secs(7)).ok(), Some(7));
    }
}
