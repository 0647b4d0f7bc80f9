//! The opt-in verified-token cache: exact-token lookup, bounded capacity,
//! entries expire with their token.

use std::any::Any;
use std::hash::{BuildHasher, Hasher, RandomState};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::claims::Payload;
use crate::claims::Profile;

/// What a verified token left behind.
pub(crate) struct CachedToken {
    /// Its claims, as the verifier parsed them.
    pub(crate) payload: Payload<'static>,
    /// Its payload JSON.
    pub(crate) json: Box<str>,
    /// How its claims are read.
    pub(crate) profile: Profile,
    pub(crate) source: usize,
    /// The index of its issuer's pool.
    pub(crate) pool: usize,
    /// The key-set generation read before the token's key was looked up.
    pub(crate) generation: u64,
    /// Seconds since the epoch until which a hit may be served (`exp + leeway`).
    pub(crate) valid_until: u64,
    /// The claims as the type first asked for; other types are built again
    /// from `payload`.
    pub(crate) typed: Box<dyn Any + Send + Sync>,
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
