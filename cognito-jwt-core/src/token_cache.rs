//! The opt-in verified-token cache: exact-token lookup, bounded capacity,
//! entries expire with their token.

use std::any::Any;
use std::hash::{BuildHasher, Hasher, RandomState};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::claims::Registered;
use crate::config::TokenUse;
use crate::error::{Error, ErrorKind};
use crate::verifier::TokenClaims;

/// What a verified token left behind.
pub(crate) struct CachedToken {
    pub(crate) registered: Registered<'static>,
    pub(crate) payload: Box<[u8]>,
    pub(crate) token_use: TokenUse,
    pub(crate) source: usize,
    /// The key-set generation read before the token's key was looked up.
    pub(crate) generation: u64,
    /// Seconds since the epoch until which a hit may be served (`exp + leeway`).
    pub(crate) valid_until: u64,
    typed: Box<dyn Any + Send + Sync>,
}

impl CachedToken {
    pub(crate) fn new<T: TokenClaims>(
        registered: Registered<'static>,
        payload: Box<[u8]>,
        token_use: TokenUse,
        source: usize,
        generation: u64,
        valid_until: u64,
        claims: T,
    ) -> Self {
        Self {
            registered,
            payload,
            token_use,
            source,
            generation,
            valid_until,
            typed: Box::new(claims),
        }
    }

    /// The claims as `T`: a clone when the token was first verified as `T`,
    /// otherwise deserialized again from the verified payload.
    pub(crate) fn claims<T: TokenClaims>(&self) -> Result<T, Error> {
        if let Some(claims) = self.typed.downcast_ref::<T>() {
            return Ok(claims.clone());
        }
        serde_json::from_slice(&self.payload).map_err(|e| {
            Error::new(
                ErrorKind::Malformed,
                format!(
                    "the claims do not fit the requested type: {}",
                    crate::claims::json_problem(&e)
                ),
            )
        })
    }
}

/// Hashes only the last 32 bytes of each write: for a token, part of its
/// signature. Equality is still checked on the whole token, so this only
/// chooses buckets; and only verified tokens are ever inserted, whose
/// signatures nobody but the issuer controls.
#[derive(Clone)]
pub(crate) struct SignatureHash(RandomState);

pub(crate) struct SuffixHasher(std::hash::DefaultHasher);

impl BuildHasher for SignatureHash {
    type Hasher = SuffixHasher;
    fn build_hasher(&self) -> SuffixHasher {
        SuffixHasher(self.0.build_hasher())
    }
}

impl Hasher for SuffixHasher {
    fn finish(&self) -> u64 {
        self.0.finish()
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0.write(&bytes[bytes.len().saturating_sub(32)..]);
    }
}

struct UntilExpiry;

impl moka::Expiry<Box<str>, Arc<CachedToken>> for UntilExpiry {
    fn expire_after_create(
        &self,
        _key: &Box<str>,
        value: &Arc<CachedToken>,
        _created_at: Instant,
    ) -> Option<Duration> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Some(Duration::from_secs(value.valid_until.saturating_sub(now)))
    }
}

pub(crate) struct TokenCache {
    entries: moka::sync::Cache<Box<str>, Arc<CachedToken>, SignatureHash>,
}

impl TokenCache {
    pub(crate) fn new(capacity: u64) -> Self {
        Self {
            entries: moka::sync::Cache::builder()
                .max_capacity(capacity)
                .expire_after(UntilExpiry)
                .build_with_hasher(SignatureHash(RandomState::new())),
        }
    }

    pub(crate) fn get(&self, token: &str) -> Option<Arc<CachedToken>> {
        self.entries.get(token)
    }

    pub(crate) fn insert(&self, token: &str, entry: CachedToken) {
        self.entries.insert(token.into(), Arc::new(entry));
    }

    pub(crate) fn remove(&self, token: &str) {
        self.entries.invalidate(token);
    }
}
