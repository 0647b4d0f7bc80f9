//! The verifier: one pipeline for `verify` and `verify_sync`.
//!
//! split → header → claims parse → issuer → key lookup (the only step that
//! differs: `verify` may fetch, `verify_sync` never waits) → signature →
//! registered claims → requirements → custom check → claims type.

use std::fmt;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::builder::CognitoJwtVerifierBuilder;
use crate::claims::{ClaimsView, Payload, json_problem};
use crate::config::{ResolvedPool, TokenUse};
use crate::error::{Error, ErrorKind};
use crate::jwks::{KeyCache, RsaKey};
use crate::jwt::Decoded;
use crate::requirements::Requirements;
use crate::token_cache::{CachedToken, TokenCache};
use crate::token_claims::TokenClaims;

/// The custom check: sees the verified claims, returns a reason to refuse.
pub(crate) type CustomCheck = dyn Fn(&ClaimsView<'_>) -> Result<(), String> + Send + Sync;

pub(crate) struct Pool {
    pub(crate) resolved: ResolvedPool,
    /// The index of the pool's key-set URL in the key cache.
    pub(crate) source: usize,
}

pub(crate) struct Inner {
    pub(crate) pools: Vec<Pool>,
    /// `(issuer, pool index)`, searched by exact byte match.
    pub(crate) issuers: Vec<(String, usize)>,
    pub(crate) keys: KeyCache,
    pub(crate) leeway: u64,
    pub(crate) requirements: Requirements,
    pub(crate) custom_check: Option<Arc<CustomCheck>>,
    pub(crate) token_cache: Option<TokenCache>,
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
        if let Some(hit) = self.cached(token, requirements) {
            return hit;
        }
        // Read before any key is looked up (see `KeyCache::generation`).
        let generation = self.inner.keys.generation();
        let decoded = Decoded::new(token)?;
        let payload = Payload::parse(&decoded.json)?;
        let pool = self.pool_for(&payload)?;
        let key = self.inner.keys.key(pool.source, &decoded.kid).await?;
        self.finish(
            token,
            &decoded,
            &payload,
            pool,
            &key,
            requirements,
            generation,
        )
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
        if let Some(hit) = self.cached(token, requirements) {
            return hit;
        }
        let generation = self.inner.keys.generation();
        let decoded = Decoded::new(token)?;
        let payload = Payload::parse(&decoded.json)?;
        let pool = self.pool_for(&payload)?;
        let key = self.inner.keys.cached_key(pool.source, &decoded.kid)?;
        self.finish(
            token,
            &decoded,
            &payload,
            pool,
            &key,
            requirements,
            generation,
        )
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
            .find(|p| p.resolved.pool_id == user_pool_id)
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

    /// The key-set URLs this verifier fetches.
    pub fn jwks_uris(&self) -> impl Iterator<Item = &str> {
        (0..self.inner.keys.source_count()).map(|i| self.inner.keys.url(i))
    }

    /// The pool whose issuer the token names, by exact byte match.
    fn pool_for(&self, payload: &Payload<'_>) -> Result<&Pool, Error> {
        let iss = payload
            .iss
            .as_deref()
            .ok_or_else(|| Error::new(ErrorKind::InvalidIssuer, "the token has no iss claim"))?;
        self.inner
            .issuers
            .iter()
            .find(|(issuer, _)| issuer.as_bytes() == iss.as_bytes())
            .map(|(_, pool)| &self.inner.pools[*pool])
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidIssuer,
                    format!(
                        "the token's iss is not a configured issuer (expected {}); check the \
                         user pool id, or set the issuer override for emulators",
                        self.inner
                            .issuers
                            .iter()
                            .map(|(i, _)| i.as_str())
                            .collect::<Vec<_>>()
                            .join(" or ")
                    ),
                )
            })
    }

    /// Everything after the key lookup: signature, registered claims,
    /// requirements, the custom check, the claims type, and the token cache.
    #[allow(clippy::too_many_arguments)]
    fn finish<T: TokenClaims>(
        &self,
        token: &str,
        decoded: &Decoded<'_>,
        payload: &Payload<'_>,
        pool: &Pool,
        key: &RsaKey,
        requirements: &Requirements,
        generation: u64,
    ) -> Result<T, Error> {
        let signature = decoded.signature.as_deref().map_err(|p| p.error())?;
        if !key.verify(decoded.parts.signing_input, signature) {
            return Err(Error::new(
                ErrorKind::InvalidSignature,
                "the signature does not verify with the issuer's key; the token was altered \
                 or forged",
            ));
        }
        let token_use = self.check_claims(payload, &pool.resolved, T::TOKEN_USE)?;
        let view = ClaimsView::new(payload, &decoded.json, token_use);
        self.check_requirements(&view, requirements)?;
        let claims = claims_of::<T>(&view)?;
        if let Some(cache) = &self.inner.token_cache {
            cache.insert(
                token,
                CachedToken {
                    payload: payload.clone().into_owned(),
                    json: decoded.json.as_str().into(),
                    token_use,
                    source: pool.source,
                    generation,
                    valid_until: self.valid_until(payload),
                    typed: Box::new(claims.clone()),
                },
                now_secs(),
            );
        }
        Ok(claims)
    }

    /// Serve a repeated token from the verified-token cache.
    fn cached<T: TokenClaims>(
        &self,
        token: &str,
        requirements: &Requirements,
    ) -> Option<Result<T, Error>> {
        let cache = self.inner.token_cache.as_ref()?;
        cache
            .get(token, now_secs(), |entry| {
                // A removed key, or a key set due for refresh, sends the
                // token through the full path (which refreshes the set), so
                // that repeated tokens alone cannot keep a removed key alive.
                if T::TOKEN_USE.is_some_and(|wanted| wanted != entry.token_use)
                    || !self
                        .inner
                        .keys
                        .still_current(entry.source, entry.generation)
                {
                    return None;
                }
                let view = ClaimsView::new(&entry.payload, &entry.json, entry.token_use);
                Some(self.check_requirements(&view, requirements).and_then(|()| {
                    match entry.typed.downcast_ref::<T>() {
                        Some(claims) => Ok(claims.clone()),
                        None => claims_of(&view),
                    }
                }))
            })
            .flatten()
    }

    /// Until when (`exp + leeway`, in seconds since the epoch) a verified
    /// token may be served from the cache.
    fn valid_until(&self, payload: &Payload<'_>) -> u64 {
        payload.exp.unwrap_or(0).saturating_add(self.inner.leeway)
    }

    fn check_claims(
        &self,
        payload: &Payload<'_>,
        pool: &ResolvedPool,
        wanted: Option<TokenUse>,
    ) -> Result<TokenUse, Error> {
        let now = now_secs();
        let leeway = self.inner.leeway;
        let exp = payload.exp.ok_or_else(|| {
            Error::new(
                ErrorKind::Malformed,
                "the token has no exp claim; Cognito tokens always expire",
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
            TokenUse::Id => (payload.aud.as_deref(), "aud"),
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

    fn check_requirements(
        &self,
        view: &ClaimsView<'_>,
        requirements: &Requirements,
    ) -> Result<(), Error> {
        self.inner.requirements.check_view(view)?;
        requirements.check_view(view)?;
        if let Some(check) = &self.inner.custom_check {
            check(view).map_err(|reason| Error::new(ErrorKind::CustomCheckFailed, reason))?;
        }
        Ok(())
    }
}

/// The verified claims as `T`.
fn claims_of<T: TokenClaims>(view: &ClaimsView<'_>) -> Result<T, Error> {
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

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
