//! The opt-in verified-token cache: exact-token lookup, bounded by the bytes
//! its entries hold, entries served only until their token expires.
//!
//! A hit must scale with cores: the map is read under an epoch guard
//! (papaya), and the eviction policy (CLOCK) marks an entry as used only
//! when it is not marked already. A hit takes a reference to the entry's
//! claims and releases the guard before the caller checks them: a slow
//! custom check must not keep every entry evicted meanwhile from being
//! freed. Inserts, each of which follows a signature check, take a lock.

use std::any::Any;
use std::collections::VecDeque;
use std::hash::{BuildHasher, Hasher, RandomState};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use crate::claims::Profile;
use crate::claims::{ALLOCATION_OVERHEAD, Payload};
use crate::jwt::HeaderClaims;

/// What a verified token left behind.
pub(crate) struct CachedToken {
    /// Its claims, shared with the hits being served.
    pub(crate) claims: Arc<CachedClaims>,
    /// How its claims are read.
    pub(crate) profile: Profile,
    pub(crate) source: usize,
    /// The index of its issuer's pool.
    pub(crate) pool: usize,
    /// The key-set generation read before the token's key was looked up.
    pub(crate) generation: u64,
    /// The [`Inner::id`](crate::engine::Inner::id) of the engine that
    /// verified it: the only one that may serve it.
    pub(crate) engine: u64,
    /// Seconds since the epoch until which a hit may be served (`exp + leeway`).
    pub(crate) valid_until: u64,
}

/// The claims of a verified token, which a hit hands out.
pub(crate) struct CachedClaims {
    /// As the verifier parsed them.
    pub(crate) payload: Payload<'static>,
    /// The payload JSON.
    pub(crate) json: Box<str>,
    /// The claims a load balancer put in the header, for its tokens.
    pub(crate) header: Option<Box<HeaderClaims>>,
    /// As the type first asked for; other types are built again from
    /// `payload`.
    pub(crate) typed: Box<dyn Any + Send + Sync>,
}

/// The bytes an entry is counted as: the token, its payload JSON and
/// parsed claims, the typed claims (estimated as the JSON and the parsed
/// claims once more, which is what the built-in types hold), and the
/// structures around them.
fn weight(token: &str, entry: &CachedToken) -> u64 {
    const STRUCTURES: usize = size_of::<Entry>()
        // The map's key and the ring's copy of it.
        + 2 * size_of::<Arc<str>>()
        + 2 * size_of::<usize>()
        // The claims' shared allocation and its two counts.
        + size_of::<CachedClaims>()
        + 2 * size_of::<usize>()
        // The map's node, the token, the claims, the JSON and the typed
        // claims' box.
        + 5 * ALLOCATION_OVERHEAD;
    let claims = &entry.claims;
    let parsed =
        claims.payload.heap_bytes() + claims.header.as_deref().map_or(0, HeaderClaims::heap_bytes);
    let typed = size_of_val(&*claims.typed) + claims.json.len() + parsed;
    (STRUCTURES + token.len() + claims.json.len() + parsed + typed) as u64
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

struct Entry {
    token: CachedToken,
    weight: u64,
    /// Set by a hit, cleared by the clock hand: an entry used since the hand
    /// last passed is kept for another round.
    referenced: AtomicBool,
}

/// The eviction order: every cached token once, the hand at the front.
struct Clock {
    ring: VecDeque<Arc<str>>,
    bytes: u64,
}

pub(crate) struct TokenCache {
    entries: papaya::HashMap<Arc<str>, Entry, SignatureHash>,
    clock: Mutex<Clock>,
    max_bytes: u64,
}

impl TokenCache {
    pub(crate) fn new(max_bytes: u64) -> Self {
        Self {
            entries: papaya::HashMap::builder()
                .hasher(SignatureHash(RandomState::new()))
                .build(),
            clock: Mutex::new(Clock {
                ring: VecDeque::new(),
                bytes: 0,
            }),
            max_bytes,
        }
    }

    /// Call `serve` with the entry for `token`, if there is one that has not
    /// expired at `now` (seconds since the epoch). `serve` runs under the
    /// map's guard: let it take what it needs (an `Arc` of the claims) and
    /// do anything slow after `get` returns.
    pub(crate) fn get<R>(
        &self,
        token: &str,
        now: u64,
        serve: impl FnOnce(&CachedToken) -> R,
    ) -> Option<R> {
        let guard = self.entries.guard();
        let entry = self.entries.get(token, &guard)?;
        if now >= entry.token.valid_until {
            return None;
        }
        if !entry.referenced.load(Ordering::Relaxed) {
            entry.referenced.store(true, Ordering::Relaxed);
        }
        Some(serve(&entry.token))
    }

    /// Remember `entry` for `token`, first evicting expired entries and
    /// those not used recently until it fits. A token heavier than the
    /// whole cache is not remembered.
    pub(crate) fn insert(&self, token: &str, entry: CachedToken, now: u64) {
        let weight = weight(token, &entry);
        if weight > self.max_bytes {
            return;
        }
        let mut clock = self.clock.lock().unwrap_or_else(PoisonError::into_inner);
        let guard = self.entries.guard();
        // A token verified again (its key set changed, or two requests
        // raced) keeps its place in the ring, marked as used.
        let again = self.entries.contains_key(token, &guard);
        if !again {
            self.make_room(&mut clock, self.max_bytes - weight, now, &guard);
        }
        let entry = Entry {
            token: entry,
            weight,
            referenced: AtomicBool::new(again),
        };
        let key: Arc<str> = token.into();
        match self.entries.insert(Arc::clone(&key), entry, &guard) {
            Some(replaced) => clock.bytes -= replaced.weight,
            None => clock.ring.push_back(key),
        }
        clock.bytes += weight;
        self.make_room(&mut clock, self.max_bytes, now, &guard);
    }

    /// Move the clock hand until the entries count at most `budget` bytes:
    /// the entry under the hand is evicted when it has expired or was not
    /// used since the hand last passed, else its mark is cleared.
    fn make_room(&self, clock: &mut Clock, budget: u64, now: u64, guard: &impl papaya::Guard) {
        while clock.bytes > budget {
            let Some(oldest) = clock.ring.pop_front() else {
                return;
            };
            let Some(entry) = self.entries.get(&oldest, guard) else {
                continue;
            };
            let expired = now >= entry.token.valid_until;
            if !expired && entry.referenced.swap(false, Ordering::Relaxed) {
                clock.ring.push_back(oldest);
            } else {
                clock.bytes -= entry.weight;
                self.entries.remove(&oldest, guard);
            }
        }
    }

    /// The entries held and the bytes they are counted as (checked against
    /// the entries themselves).
    #[cfg(test)]
    pub(crate) fn usage(&self) -> (usize, u64) {
        let clock = self.clock.lock().unwrap_or_else(PoisonError::into_inner);
        let guard = self.entries.guard();
        let counted: u64 = self.entries.iter(&guard).map(|(_, e)| e.weight).sum();
        assert_eq!(
            counted, clock.bytes,
            "the running count is the entries' sum"
        );
        assert_eq!(
            clock.ring.len(),
            self.entries.len(),
            "one ring slot per entry"
        );
        (self.entries.len(), clock.bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::TokenUse;

    const NOW: u64 = 1_700_000_000;
    const LATER: u64 = NOW + 3600;

    /// A distinct token of `len` bytes (its end, which the hasher reads,
    /// differs from any other number's).
    fn token(n: usize, len: usize) -> String {
        format!("{n:x>len$}")
    }

    /// An entry whose payload JSON is `json_len` bytes.
    fn entry(json_len: usize, valid_until: u64) -> CachedToken {
        CachedToken {
            claims: Arc::new(CachedClaims {
                payload: Payload::default(),
                json: "j".repeat(json_len).into(),
                header: None,
                typed: Box::new(()),
            }),
            profile: Profile::Cognito(TokenUse::Access),
            source: 0,
            pool: 0,
            generation: 0,
            engine: 0,
            valid_until,
        }
    }

    fn served(cache: &TokenCache, token: &str, now: u64) -> bool {
        cache.get(token, now, |_| ()).is_some()
    }

    #[test]
    fn the_cache_holds_at_most_its_bytes_whatever_the_token_sizes() {
        const MAX: u64 = 256 * 1024;
        let cache = TokenCache::new(MAX);
        let sizes = [1024, 8192, 1200, 4096, 2048, 8192, 8192, 1024];
        for (n, &len) in sizes.iter().cycle().take(2_000).enumerate() {
            cache.insert(&token(n, len), entry(len * 3 / 4, LATER), NOW);
            let (entries, bytes) = cache.usage();
            assert!(bytes <= MAX, "{bytes} bytes in {entries} entries");
        }
        let (entries, bytes) = cache.usage();
        assert!(
            entries > 10 && bytes > MAX / 2,
            "{bytes} bytes in {entries} entries"
        );
    }

    #[test]
    fn an_8_kib_token_takes_the_room_of_several_1_kib_tokens() {
        const MAX: u64 = 512 * 1024;
        let held = |len: usize| {
            let cache = TokenCache::new(MAX);
            for n in 0..1_000 {
                cache.insert(&token(n, len), entry(len * 3 / 4, LATER), NOW);
            }
            cache.usage().0
        };
        let (small, large) = (held(1024), held(8192));
        assert!(
            small >= 6 * large && large >= 1,
            "{small} tokens of 1 KiB, {large} of 8 KiB"
        );
    }

    #[test]
    fn a_token_heavier_than_the_whole_cache_is_not_remembered() {
        let cache = TokenCache::new(16 * 1024);
        cache.insert(&token(1, 8192), entry(6_000, LATER), NOW);
        assert_eq!(cache.usage(), (0, 0));
        assert!(!served(&cache, &token(1, 8192), NOW));
    }

    #[test]
    fn entries_used_since_the_last_pass_outlive_those_that_were_not() {
        let one = weight(&token(0, 1024), &entry(768, LATER));
        let cache = TokenCache::new(4 * one);
        for n in 0..4 {
            cache.insert(&token(n, 1024), entry(768, LATER), NOW);
        }
        assert_eq!(cache.usage(), (4, 4 * one));
        assert!(served(&cache, &token(0, 1024), NOW));
        cache.insert(&token(4, 1024), entry(768, LATER), NOW);
        assert_eq!(cache.usage(), (4, 4 * one));
        assert!(served(&cache, &token(0, 1024), NOW));
        assert!(!served(&cache, &token(1, 1024), NOW));
        assert!(served(&cache, &token(4, 1024), NOW));
    }

    #[test]
    fn expired_entries_are_not_served_and_are_evicted_first() {
        let one = weight(&token(0, 1024), &entry(768, LATER));
        let cache = TokenCache::new(3 * one);
        cache.insert(&token(0, 1024), entry(768, LATER), NOW);
        cache.insert(&token(1, 1024), entry(768, NOW + 10), NOW);
        cache.insert(&token(2, 1024), entry(768, LATER), NOW);
        for n in 0..3 {
            assert!(served(&cache, &token(n, 1024), NOW));
        }
        assert!(!served(&cache, &token(1, 1024), NOW + 10));
        cache.insert(&token(3, 1024), entry(768, LATER), NOW + 10);
        assert!(!served(&cache, &token(1, 1024), NOW));
        for n in [0, 2, 3] {
            assert!(served(&cache, &token(n, 1024), NOW + 10));
        }
    }

    #[test]
    fn a_token_verified_again_replaces_its_entry_and_is_counted_once() {
        let cache = TokenCache::new(1024 * 1024);
        cache.insert(&token(0, 1024), entry(700, LATER), NOW);
        cache.insert(&token(0, 1024), entry(768, LATER), NOW);
        assert_eq!(
            cache.usage(),
            (1, weight(&token(0, 1024), &entry(768, LATER)))
        );
        assert_eq!(
            cache.get(&token(0, 1024), NOW, |e| e.claims.json.len()),
            Some(768)
        );
    }

    #[test]
    fn concurrent_inserts_and_hits_keep_the_count_exact() {
        const MAX: u64 = 128 * 1024;
        let cache = TokenCache::new(MAX);
        std::thread::scope(|scope| {
            for thread in 0..4 {
                let cache = &cache;
                scope.spawn(move || {
                    for n in 0..2_000 {
                        let len = if n % 3 == 0 { 8192 } else { 1024 };
                        let token = token(thread * 10_000 + n % 300, len);
                        if !served(cache, &token, NOW) {
                            cache.insert(&token, entry(len * 3 / 4, LATER), NOW);
                        }
                    }
                });
            }
        });
        let (entries, bytes) = cache.usage();
        assert!(
            bytes <= MAX && entries > 0,
            "{bytes} bytes in {entries} entries"
        );
    }
}
