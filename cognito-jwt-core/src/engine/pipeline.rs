//! The pipeline: `verify` and `verify_sync` on one engine.
//!
//! split → header → key lookup by `kid` (the only step that differs:
//! `verify` may wait for a fetch, `verify_sync` never waits) → signature →
//! claims parse → issuer (must own the key) → the verifier kind's
//! [`Rules`] (dates and its own claims) → requirements → custom check →
//! claims type.
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

use std::sync::Arc;
use std::time::SystemTime;

use tracing::level_filters::{LevelFilter, STATIC_MAX_LEVEL};
use tracing::{Instrument, Level, Span};

use super::checks::{claims_of, unix_secs};
use super::dpop::{Presented, ReplaySlot};
use super::token_cache::{CachedClaims, CachedToken, TokenCache};
use crate::algorithm::AlgorithmSet;
use crate::claims::{ClaimsView, Payload, Profile, TokenClaims, TokenUse, issuer_of};
use crate::error::{Error, ErrorKind};
use crate::health::Health;
use crate::jwks::{KeyCache, KeyLookup, VerifyingKey};
use crate::jwt::{Decoded, HeaderClaims, HeaderRules, Kind, SignatureProblem, Typ};
use crate::metrics::Metrics;
use crate::requirements::Requirements;
use crate::revocation::RevocationList;

/// The custom check: sees the verified claims, returns a reason to refuse.
pub(crate) type CustomCheck = dyn Fn(&ClaimsView<'_>) -> Result<(), String> + Send + Sync;

/// The claim rules of one trusted issuer, which each verifier kind (its
/// face) implements: the engine runs them after the signature and the
/// issuer held, and knows no kind.
pub(crate) trait Rules: Send + Sync {
    /// The dates and the kind's own claims of a token whose signature and
    /// issuer held (its header's `typ`, and the claims a load balancer puts
    /// in its header), `now` and `leeway` in seconds; `wanted` is the
    /// Cognito token use the requested claims type stands for, if any.
    /// Returns how the claims are read.
    fn check_claims(
        &self,
        payload: &Payload<'_>,
        header: (Typ, Option<&HeaderClaims>),
        wanted: Option<TokenUse>,
        now: u64,
        leeway: u64,
    ) -> Result<Profile, Error>;

    /// Whether these are the rules of `name`, as the face names its
    /// issuers (a user pool id, an issuer URL).
    fn is_named(&self, name: &str) -> bool;

    /// For a protected resource's metadata (RFC 9728): the issuer to name
    /// as an authorization server, and the resources its access tokens may
    /// be bound to (RFC 8707); `None` when the face names none.
    fn resource_server(&self) -> Option<(&str, &[String])> {
        None
    }
}

/// One trusted issuer: its rules, and what the engine checks for it on
/// every token (read on the cached path too, so kept out of the rules).
pub(crate) struct Pool {
    pub(crate) rules: Box<dyn Rules>,
    /// The index of the pool's key-set URL in the key cache.
    pub(crate) source: usize,
    /// The algorithms its tokens may use.
    pub(crate) algorithms: AlgorithmSet,
    /// Requirements of its own, on top of the verifier's.
    pub(crate) requirements: Option<Requirements>,
    /// Its tokens are accepted with a DPoP proof only.
    pub(crate) require_dpop: bool,
}

/// The engine behind both verifiers: one pipeline, one key cache, one
/// token cache.
pub(crate) struct Inner {
    /// What a header must say before anything else happens.
    pub(crate) header: HeaderRules,
    /// The list claims the parser keeps beyond its table (configured groups
    /// claims), by name.
    pub(crate) extra_lists: Vec<Box<str>>,
    /// The claims the verifier's and its issuers' claim rules name
    /// (outside the parser's table), read in the one parse.
    pub(crate) captured_claims: Vec<Box<str>>,
    pub(crate) pools: Vec<Pool>,
    /// `(issuer, pool index)`, searched by exact byte match.
    pub(crate) issuers: Vec<(String, usize)>,
    pub(crate) keys: KeyCache,
    pub(crate) leeway: u64,
    pub(crate) requirements: Requirements,
    pub(crate) custom_check: Option<Arc<CustomCheck>>,
    pub(crate) revocation: Option<RevocationList>,
    /// How DPoP proofs are checked, when they are accepted.
    pub(crate) dpop: Option<Arc<crate::dpop::DpopConfig>>,
    /// Asks Cognito about verified access tokens in the background.
    #[cfg(feature = "reqwest")]
    pub(crate) probe: Option<Arc<crate::revocation::CognitoProbe>>,
    /// Shared by every engine of a resolver-backed verifier; entries say
    /// which engine verified them.
    pub(crate) token_cache: Option<Arc<TokenCache>>,
    /// Unique in the process: a token-cache entry is served only by the
    /// engine that verified its token.
    pub(crate) id: u64,
    pub(crate) metrics: Metrics,
}

impl Inner {
    /// The pipeline, fetching a key when needed, in its span.
    pub(crate) async fn verify_with<T: TokenClaims>(
        &self,
        token: &str,
        requirements: &Requirements,
        presented: Presented<'_>,
    ) -> Result<T, Error> {
        if !verify_span_wanted() {
            return self
                .verify_steps(token, requirements, presented, None)
                .await;
        }
        let span = self.verify_span(T::TOKEN_USE);
        let result = self
            .verify_steps(token, requirements, presented, Some(&span))
            .instrument(span.clone())
            .await;
        record_outcome(&span, &result);
        result
    }

    /// The pipeline on cached keys only, in its span when one is wanted.
    pub(crate) fn verify_sync_with<T: TokenClaims>(
        &self,
        token: &str,
        requirements: &Requirements,
        presented: Presented<'_>,
    ) -> Result<T, Error> {
        if verify_span_wanted() {
            return self.verify_sync_in_span(token, requirements, presented);
        }
        self.verify_sync_steps(token, requirements, presented, None)
    }

    /// Kept out of line: the verification without a subscriber stays as
    /// compact as it was before spans.
    #[cold]
    #[inline(never)]
    fn verify_sync_in_span<T: TokenClaims>(
        &self,
        token: &str,
        requirements: &Requirements,
        presented: Presented<'_>,
    ) -> Result<T, Error> {
        let span = self.verify_span(T::TOKEN_USE);
        let result =
            span.in_scope(|| self.verify_sync_steps(token, requirements, presented, Some(&span)));
        record_outcome(&span, &result);
        result
    }

    /// The span of one verification, at DEBUG. Its fields
    /// name the verifier, the token use the claims type asks for, and once
    /// over the outcome; never the token or a claim value.
    #[inline]
    fn verify_span(&self, token_use: Option<TokenUse>) -> Span {
        tracing::debug_span!(
            "cognito_jwt.verify",
            "cognito_jwt.verifier" = self.metrics.verifier(),
            "cognito_jwt.token_use" = token_use.map(TokenUse::as_str),
            "cognito_jwt.token_cache_hit" = tracing::field::Empty,
            "cognito_jwt.outcome" = tracing::field::Empty,
            "error.type" = tracing::field::Empty,
            "otel.status_code" = tracing::field::Empty,
        )
    }

    async fn verify_steps<T: TokenClaims>(
        &self,
        token: &str,
        requirements: &Requirements,
        presented: Presented<'_>,
        span: Option<&Span>,
    ) -> Result<T, Error> {
        // A DPoP proof's first use is recorded last, awaiting the store.
        let replay = ReplaySlot::new();
        let presented = presented.recording_in(&replay);
        let claims = match self.cached(token, requirements, presented, span) {
            Some(hit) => hit?,
            None => {
                // Read before any key is looked up (see `KeyCache::generation`).
                let generation = self.keys.generation();
                let decoded = Decoded::new(token, &self.header)?;
                let source = match self.cached_signature(&decoded)? {
                    Signed::By(source) => source,
                    Signed::Fetch(source) => {
                        let key = self.keys.key(source, decoded.kid()).await?;
                        signed_with(&decoded, &key)?;
                        source
                    }
                };
                self.finish(token, &decoded, source, requirements, presented, generation)?
            }
        };
        self.record_first_use(replay).await?;
        Ok(claims)
    }

    fn verify_sync_steps<T: TokenClaims>(
        &self,
        token: &str,
        requirements: &Requirements,
        presented: Presented<'_>,
        span: Option<&Span>,
    ) -> Result<T, Error> {
        if let Some(hit) = self.cached(token, requirements, presented, span) {
            return hit;
        }
        let generation = self.keys.generation();
        let decoded = Decoded::new(token, &self.header)?;
        let source = match self.cached_signature(&decoded)? {
            Signed::By(source) => source,
            Signed::Fetch(source) => {
                let key = self.keys.cached_key(source, decoded.kid())?;
                signed_with(&decoded, &key)?;
                source
            }
        };
        self.finish(token, &decoded, source, requirements, presented, generation)
    }

    /// The signature checked with the cached key the `kid` names, when
    /// exactly one source has it; else the source whose key is needed. A
    /// token whose header names its issuer (a load balancer's `signer`) is
    /// refused first when that issuer is not configured, before any key
    /// is looked up.
    #[inline]
    fn cached_signature(&self, decoded: &Decoded<'_>) -> Result<Signed, Error> {
        if let Some(claims) = &decoded.header_claims {
            self.pool_for(claims.signer.as_deref())?;
        }
        Ok(match self.keys.find(decoded.kid()) {
            KeyLookup::One(source, key) => match signed_with(decoded, &key) {
                Ok(()) => Signed::By(source),
                Err(refused) => Signed::Fetch(self.own_source(decoded, source).ok_or(refused)?),
            },
            KeyLookup::Several | KeyLookup::None => Signed::Fetch(self.source_to_fetch(decoded)?),
        })
    }

    /// Load a key-set document for the pool `pool` names.
    pub(crate) fn cache_jwks(
        &self,
        pool: impl Fn(&dyn Rules) -> bool,
        jwks_json: &str,
        not_found: &'static str,
    ) -> Result<usize, Error> {
        let pool = self
            .pools
            .iter()
            .find(|p| pool(p.rules.as_ref()))
            .ok_or_else(|| Error::new(ErrorKind::InvalidIssuer, not_found))?;
        self.keys.insert_document(pool.source, jwks_json.as_bytes())
    }

    /// The key-set URLs: configured, discovered, or (until discovery
    /// ran) the discovery documents'.
    pub(crate) fn jwks_uris(&self) -> impl Iterator<Item = String> + '_ {
        (0..self.keys.source_count()).map(|i| self.keys.url(i).to_string())
    }

    /// The key source to fetch from for a token whose key no cached
    /// source has: its issuer's, read from the payload, which must be a
    /// JSON object naming a configured issuer (or from the header, for a
    /// load balancer's). Nothing is fetched for anything else.
    fn source_to_fetch(&self, decoded: &Decoded<'_>) -> Result<usize, Error> {
        if let Some(claims) = &decoded.header_claims {
            return self
                .pool_for(claims.signer.as_deref())
                .map(|pool| pool.source);
        }
        let iss = issuer_of(decoded.json())?;
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

    /// The pool whose issuer the token names, by exact byte match: its
    /// `iss`, or for a load balancer's token the header's `signer`.
    fn pool_for(&self, iss: Option<&str>) -> Result<&Pool, Error> {
        let load_balancer = self.header.kind == Kind::LoadBalancer;
        let iss = iss.ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidIssuer,
                if load_balancer {
                    "the header has no signer; only tokens a load balancer signed are accepted"
                } else {
                    "the token has no iss claim"
                },
            )
        })?;
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
                    match self.header.kind {
                        Kind::Cognito => format!(
                            "the token's iss is not a configured issuer (expected {expected}); \
                             check the user pool id, or set the issuer override for emulators",
                        ),
                        Kind::Oidc => format!(
                            "the token's iss is not a configured issuer (expected {expected}); \
                             issuers are compared byte for byte, trailing slash included",
                        ),
                        Kind::LoadBalancer => format!(
                            "the header's signer is not a configured load balancer (expected \
                             {expected}); check the load balancer ARNs the verifier was built with",
                        ),
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
        presented: Presented<'_>,
        generation: u64,
    ) -> Result<T, Error> {
        let mut payload = Payload::default();
        Payload::parse_into(
            decoded.json(),
            &self.extra_lists,
            &self.captured_claims,
            &mut payload,
        )?;
        let payload = &payload;
        let header_claims = decoded.header_claims.as_deref();
        let pool = self.pool_for(match header_claims {
            Some(claims) => claims.signer.as_deref(),
            None => payload.iss.as_deref(),
        })?;
        if pool.source != source {
            return Err(Error::new(
                ErrorKind::InvalidIssuer,
                "the token is signed with another configured issuer's key than its iss names",
            ));
        }
        if !pool.algorithms.contains(decoded.alg) {
            return Err(Error::new(
                ErrorKind::UnsupportedAlgorithm,
                format!(
                    "the token's alg is not accepted for its issuer (accepted: {})",
                    pool.algorithms.names()
                ),
            ));
        }
        let now = unix_secs(SystemTime::now())?;
        let profile = pool.rules.check_claims(
            payload,
            (decoded.typ, header_claims),
            T::TOKEN_USE,
            now,
            self.leeway,
        )?;
        self.check_presented(pool, payload, token, presented, now)?;
        if let Some(list) = &self.revocation {
            list.check(
                payload,
                header_claims.and_then(|h| h.signer.as_deref()),
                now,
            )?;
        }
        let view = ClaimsView::new(payload, decoded.json(), profile).with_header(header_claims);
        self.check_requirements(pool, &view, requirements, now)?;
        let claims = claims_of::<T>(&view)?;
        #[cfg(feature = "reqwest")]
        if let Some(probe) = &self.probe {
            probe.observe(token, payload, now);
        }
        if let Some(cache) = &self.token_cache {
            cache.insert(
                token,
                CachedToken {
                    claims: Arc::new(CachedClaims {
                        payload: payload.clone().into_owned(),
                        json: decoded.json().into(),
                        header: decoded.header_claims.clone(),
                        typed: Box::new(claims.clone()),
                    }),
                    profile,
                    source: pool.source,
                    pool: self.pool_index(pool),
                    generation,
                    engine: self.id,
                    valid_until: self.valid_until(payload, header_claims),
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
    /// and misses, and saying which in the verification's span.
    fn cached<T: TokenClaims>(
        &self,
        token: &str,
        requirements: &Requirements,
        presented: Presented<'_>,
        span: Option<&Span>,
    ) -> Option<Result<T, Error>> {
        let cache = self.token_cache.as_ref()?;
        let hit = self.cache_hit(cache, token, requirements, presented);
        self.metrics.token_cache(hit.is_some());
        if let Some(span) = span {
            span.record("cognito_jwt.token_cache_hit", hit.is_some());
        }
        hit
    }

    /// The answer for a token the cache can serve, if it can.
    fn cache_hit<T: TokenClaims>(
        &self,
        cache: &TokenCache,
        token: &str,
        requirements: &Requirements,
        presented: Presented<'_>,
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
                        token,
                        (&entry.claims, entry.profile, entry.pool),
                        requirements,
                        presented,
                        now,
                    ))
                })
            })
            .flatten()?;
        Some(match hit {
            Hit::Served(result) => result,
            // The cache's guard is released: a custom check (which may be
            // slow) holds this entry's claims only, never the memory of the
            // entries evicted meanwhile.
            Hit::CheckOutside(claims, profile, pool) => self.serve_hit(
                token,
                (&claims, profile, pool),
                requirements,
                presented,
                now,
            ),
        })
    }

    /// The checks every request runs, and the claims as `T`, for a token
    /// the cache holds: its claims, how they are read, and its pool.
    fn serve_hit<T: TokenClaims>(
        &self,
        token: &str,
        (claims, profile, pool): (&CachedClaims, Profile, usize),
        requirements: &Requirements,
        presented: Presented<'_>,
        now: u64,
    ) -> Result<T, Error> {
        self.check_presented(&self.pools[pool], &claims.payload, token, presented, now)?;
        if let Some(list) = &self.revocation {
            let signer = claims.header.as_deref().and_then(|h| h.signer.as_deref());
            list.check(&claims.payload, signer, now)?;
        }
        let view = ClaimsView::new(&claims.payload, &claims.json, profile)
            .with_header(claims.header.as_deref());
        self.check_requirements(&self.pools[pool], &view, requirements, now)?;
        #[cfg(feature = "reqwest")]
        if let Some(probe) = &self.probe {
            probe.observe(token, &claims.payload, now);
        }
        match claims.typed.downcast_ref::<T>() {
            Some(claims) => Ok(claims.clone()),
            None => claims_of(&view),
        }
    }

    /// The health of its key sets and revocation list.
    pub(crate) fn health(&self) -> Health {
        Health::new(self.keys.health()).with_revocation(self.revocation.as_ref())
    }

    /// Until when (`exp + leeway`, in seconds since the epoch) a verified
    /// token may be served from the cache.
    fn valid_until(&self, payload: &Payload<'_>, header: Option<&HeaderClaims>) -> u64 {
        let exp = match (payload.exp, header.and_then(|claims| claims.exp)) {
            (Some(payload), Some(header)) => payload.min(header),
            (payload, header) => payload.or(header).unwrap_or(0),
        };
        exp.saturating_add(self.leeway)
    }

    fn check_requirements(
        &self,
        pool: &Pool,
        view: &ClaimsView<'_>,
        requirements: &Requirements,
        now: u64,
    ) -> Result<(), Error> {
        self.requirements.check_view(view, now)?;
        if let Some(own) = &pool.requirements {
            own.check_view(view, now)?;
        }
        requirements.check_view(view, now)?;
        if let Some(check) = &self.custom_check {
            check(view).map_err(|reason| Error::new(ErrorKind::CustomCheckFailed, reason))?;
        }
        Ok(())
    }
}

/// Whether a subscriber may want DEBUG spans: the level check a span's
/// macro starts with. Without a subscriber at DEBUG nothing more is done,
/// not even the disabled span the macro makes, which with tracing's `log`
/// feature (on in many programs) costs hundreds of instructions per
/// verification.
#[inline]
fn verify_span_wanted() -> bool {
    Level::DEBUG <= STATIC_MAX_LEVEL && Level::DEBUG <= LevelFilter::current()
}

/// The outcome of a verification in its span: `ok`, or the error kind
/// (also as `error.type`, with `otel.status_code` `ERROR`, which
/// `tracing-opentelemetry` reads as the span's status).
#[inline]
fn record_outcome<T>(span: &Span, result: &Result<T, Error>) {
    if span.is_disabled() {
        return;
    }
    match result {
        Ok(_) => {
            span.record("cognito_jwt.outcome", "ok");
        }
        Err(error) => {
            let kind = error.kind().as_str();
            span.record("cognito_jwt.outcome", kind);
            span.record("error.type", kind);
            span.record("otel.status_code", "ERROR");
        }
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
    let signature = decoded.signature().map_err(SignatureProblem::error)?;
    if !key.verify(decoded.alg, decoded.parts.signing_input, signature) {
        return Err(Error::new(
            ErrorKind::InvalidSignature,
            "the signature does not verify with the issuer's key; the token was altered \
             or forged",
        ));
    }
    decoded.remember_header();
    Ok(())
}

/// Where the signature stands after the cached keys were tried.
enum Signed {
    /// It verified with this source's cached key.
    By(usize),
    /// It needs this source's key, which is not cached (or not the one
    /// tried).
    Fetch(usize),
}

/// A token-cache hit: answered under the cache's guard, or its claims
/// taken out to be checked after the guard is released.
enum Hit<T> {
    Served(Result<T, Error>),
    CheckOutside(Arc<CachedClaims>, Profile, usize),
}
