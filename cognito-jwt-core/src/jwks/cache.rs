//! The key-set cache: one entry per key-set URL, shared by every clone of a
//! verifier, with single-flight fetching, a cool-down for unknown `kid`s,
//! back-off on failures, periodic refresh, and bounded staleness.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::fetch::JwksFetcher;
use super::keys::{KeySet, RsaKey, parse_key_set};
use crate::error::{Error, ErrorKind};

/// Timing settings for the key-set cache; see the builder for defaults.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CacheSettings {
    pub(crate) cooldown: Duration,
    pub(crate) refresh_interval: Duration,
    pub(crate) max_staleness: Duration,
    pub(crate) fetch_timeout: Duration,
    pub(crate) min_backoff: Duration,
    pub(crate) max_backoff: Duration,
}

/// Per-URL fetch state. Only the fetch path locks; the verification path
/// reads the moka cache and one atomic.
struct Source {
    /// When (ms since the cache's epoch) the current set is due for a
    /// refresh; 0 while there is none.
    due_at_ms: AtomicU64,
    /// This source's position, which keys its set in the cache (cheaper to
    /// hash on every verification than the URL).
    index: usize,
    url: Arc<str>,
    flight: tokio::sync::Mutex<()>,
    /// Earliest moment (ms since the cache's epoch) another fetch may start.
    next_attempt_ms: AtomicU64,
    failures: AtomicU32,
    last_error: Mutex<Option<String>>,
}

pub(crate) struct KeyCache {
    sets: moka::sync::Cache<usize, Arc<KeySet>>,
    /// Bumped whenever a set is stored that drops or replaces a key of the
    /// set before it (or has no set before it): a verified token remembered
    /// under an older generation may have lost its key.
    generation: AtomicU64,
    sources: Vec<Source>,
    fetcher: Arc<dyn JwksFetcher>,
    settings: CacheSettings,
    epoch: Instant,
}

impl std::fmt::Debug for KeyCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyCache")
            .field(
                "urls",
                &self.sources.iter().map(|s| &*s.url).collect::<Vec<_>>(),
            )
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl KeyCache {
    pub(crate) fn new(
        urls: Vec<String>,
        fetcher: Arc<dyn JwksFetcher>,
        settings: CacheSettings,
    ) -> Self {
        let sets = moka::sync::Cache::builder()
            .max_capacity(urls.len() as u64 + 1)
            .time_to_live(settings.max_staleness)
            .build();
        let sources = urls
            .into_iter()
            .enumerate()
            .map(|(index, url)| Source {
                due_at_ms: AtomicU64::new(0),
                index,
                url: url.into(),
                flight: tokio::sync::Mutex::new(()),
                next_attempt_ms: AtomicU64::new(0),
                failures: AtomicU32::new(0),
                last_error: Mutex::new(None),
            })
            .collect();
        Self {
            sets,
            generation: AtomicU64::new(0),
            sources,
            fetcher,
            settings,
            epoch: Instant::now(),
        }
    }

    pub(crate) fn url(&self, source: usize) -> &str {
        &self.sources[source].url
    }

    pub(crate) fn source_count(&self) -> usize {
        self.sources.len()
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn may_fetch(&self, source: &Source) -> bool {
        self.now_ms() >= source.next_attempt_ms.load(Ordering::Acquire)
    }

    /// The key for `kid` in the cached set; never fetches.
    pub(crate) fn cached_key(&self, index: usize, kid: &str) -> Result<Arc<RsaKey>, Error> {
        let Some(set) = self.sets.get(&index) else {
            return Err(Error::new(
                ErrorKind::JwksNotCached,
                format!(
                    "the key set at {} is not cached yet; call hydrate() at start-up or \
                     use verify()",
                    self.sources[index].url
                ),
            ));
        };
        set.get(kid).cloned().ok_or_else(|| {
            Error::new(
                ErrorKind::UnknownKid,
                "the token's kid is not in the cached key set; the token was signed by \
                 another pool or by a key newer than the cache (use verify() to refetch)",
            )
        })
    }

    /// The key-set generation; read it before looking up a key, and a
    /// token verified with that key may be served again while
    /// [`still_current`](Self::still_current) says so.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Whether no key has left any set since `generation` was read, and
    /// `source`'s set is not due for a refresh (a due set must go through
    /// [`key`](Self::key), which refreshes it). Two atomic loads and a
    /// clock read: no lookup, no shared reference count.
    pub(crate) fn still_current(&self, source: usize, generation: u64) -> bool {
        self.generation.load(Ordering::Acquire) == generation && self.is_fresh(source)
    }

    /// Whether `source` has a set that is not due for a refresh.
    fn is_fresh(&self, source: usize) -> bool {
        self.now_ms() < self.sources[source].due_at_ms.load(Ordering::Acquire)
    }

    /// Store a newly parsed set for `source`.
    fn store(&self, source: &Source, set: Arc<KeySet>, previous: Option<&KeySet>) {
        self.sets.insert(source.index, Arc::clone(&set));
        if !previous.is_some_and(|p| p.all_kept_in(&set)) {
            self.generation.fetch_add(1, Ordering::AcqRel);
        }
        let due = self
            .now_ms()
            .saturating_add(duration_ms(self.settings.refresh_interval));
        source.due_at_ms.store(due, Ordering::Release);
    }

    /// Find the key for `kid`, fetching the set when it is missing, when the
    /// kid is unknown and the cool-down allows, or when it is due for refresh.
    pub(crate) async fn key(&self, index: usize, kid: &str) -> Result<Arc<RsaKey>, Error> {
        let source = &self.sources[index];
        if let Some(set) = self.sets.get(&source.index) {
            if let Some(key) = set.get(kid) {
                // One caller refreshes a due set; the others keep using it.
                if self.is_due(&set)
                    && self.may_fetch(source)
                    && let Ok(_guard) = source.flight.try_lock()
                    && self.may_fetch(source)
                    && let Ok(fresh) = self.fetch(source, Some(&set), "refresh").await
                {
                    // A key removed upstream stops verifying right away.
                    return fresh.get(kid).cloned().ok_or_else(unknown_kid);
                }
                return Ok(Arc::clone(key));
            }
            if !self.may_fetch(source) {
                return self
                    .just_fetched(index, kid)
                    .ok_or_else(|| self.unknown_kid_while_waiting(source));
            }
        } else if !self.may_fetch(source) {
            return self
                .just_fetched(index, kid)
                .ok_or_else(|| self.unavailable(source));
        }

        let _guard = source.flight.lock().await;
        // Whoever held the lock may have fetched what we need.
        let current = self.sets.get(&source.index);
        if let Some(key) = current.as_ref().and_then(|set| set.get(kid)) {
            return Ok(Arc::clone(key));
        }
        if !self.may_fetch(source) {
            return Err(match current {
                Some(_) => self.unknown_kid_while_waiting(source),
                None => self.unavailable(source),
            });
        }
        let reason = if current.is_some() {
            "unknown kid"
        } else {
            "cold"
        };
        // A failed refetch is an outage: the kid may belong to a rotated key
        // that the endpoint would have served, so answer "unavailable" (503),
        // not "invalid token".
        self.fetch(source, current.as_deref(), reason)
            .await
            .and_then(|set| set.get(kid).cloned().ok_or_else(unknown_kid))
    }

    /// The key, if a fetch that finished since this caller last looked has
    /// it. A successful fetch stores the set before it starts the cool-down,
    /// so a caller that finds no fetch allowed looks once more before
    /// answering: without this, a caller arriving as a cold fetch completes
    /// would be refused (503) with the keys already in place.
    fn just_fetched(&self, source: usize, kid: &str) -> Option<Arc<RsaKey>> {
        self.sets.get(&source)?.get(kid).cloned()
    }

    /// An unknown kid while no fetch may start: during the cool-down after a
    /// good fetch the set is fresh, so the kid is unknown; during the
    /// back-off after a failed fetch the set may be stale, so it is an outage.
    fn unknown_kid_while_waiting(&self, source: &Source) -> Error {
        if source.failures.load(Ordering::Acquire) > 0 {
            self.unavailable(source)
        } else {
            tracing::debug!(url = %source.url, "unknown kid during the refetch cool-down");
            unknown_kid()
        }
    }

    fn is_due(&self, set: &KeySet) -> bool {
        set.fetched_at.elapsed() >= self.settings.refresh_interval
    }

    /// Fetch every source now (under the single-flight lock), ignoring the
    /// cool-down. Returns the first error.
    pub(crate) async fn hydrate(&self) -> Result<(), Error> {
        let mut first_error = None;
        for source in &self.sources {
            let _guard = source.flight.lock().await;
            let current = self.sets.get(&source.index);
            if let Err(e) = self.fetch(source, current.as_deref(), "hydrate").await {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Load a key-set document the caller already has.
    pub(crate) fn insert_document(&self, index: usize, document: &[u8]) -> Result<usize, Error> {
        let source = &self.sources[index];
        let previous = self.sets.get(&source.index);
        let set = parse_key_set(document, previous.as_deref(), &source.url)
            .map_err(|reason| Error::new(ErrorKind::JwksUnavailable, reason))?;
        let count = set.len();
        self.store(source, Arc::new(set), previous.as_deref());
        source.failures.store(0, Ordering::Release);
        Ok(count)
    }

    fn unavailable(&self, source: &Source) -> Error {
        let last = source
            .last_error
            .lock()
            .map(|e| e.clone())
            .unwrap_or_default()
            .unwrap_or_else(|| "no key set has been fetched yet".to_owned());
        let wait_ms = source
            .next_attempt_ms
            .load(Ordering::Acquire)
            .saturating_sub(self.now_ms());
        Error::new(
            ErrorKind::JwksUnavailable,
            format!(
                "the key set at {} is unavailable ({last}); retrying in {} s",
                source.url,
                wait_ms.div_ceil(1000)
            ),
        )
        .with_retry_after(Duration::from_millis(wait_ms.max(1000)))
    }

    async fn fetch(
        &self,
        source: &Source,
        previous: Option<&KeySet>,
        reason: &'static str,
    ) -> Result<Arc<KeySet>, Error> {
        let started = Instant::now();
        let outcome = match tokio::time::timeout(
            self.settings.fetch_timeout,
            self.fetcher.fetch(&source.url),
        )
        .await
        {
            Err(_) => Err(format!(
                "no complete response within {} ms",
                self.settings.fetch_timeout.as_millis()
            )),
            Ok(Err(e)) => Err(e.to_string()),
            Ok(Ok(body)) => parse_key_set(&body, previous, &source.url),
        };
        let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        match outcome {
            Ok(set) => {
                tracing::info!(
                    url = %source.url,
                    reason,
                    duration_ms = elapsed_ms,
                    keys = set.len(),
                    "fetched key set"
                );
                let set = Arc::new(set);
                self.store(source, Arc::clone(&set), previous);
                source.failures.store(0, Ordering::Release);
                let next = self.now_ms() + duration_ms(self.settings.cooldown);
                source.next_attempt_ms.store(next, Ordering::Release);
                Ok(set)
            }
            Err(message) => {
                let failures = source
                    .failures
                    .fetch_add(1, Ordering::AcqRel)
                    .saturating_add(1);
                let backoff = self
                    .settings
                    .min_backoff
                    .saturating_mul(1u32 << failures.saturating_sub(1).min(16))
                    .min(self.settings.max_backoff);
                let next = self.now_ms() + duration_ms(backoff);
                source.next_attempt_ms.store(next, Ordering::Release);
                tracing::warn!(
                    url = %source.url,
                    reason,
                    duration_ms = elapsed_ms,
                    failures,
                    retry_in_ms = duration_ms(backoff),
                    error = %message,
                    "key-set fetch failed"
                );
                if let Ok(mut last) = source.last_error.lock() {
                    *last = Some(message);
                }
                Err(self.unavailable(source))
            }
        }
    }
}

fn duration_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn unknown_kid() -> Error {
    Error::new(
        ErrorKind::UnknownKid,
        "the token's kid is not in the issuer's key set; the token was signed by another \
         pool or an unknown key",
    )
}

#[cfg(all(test, feature = "testing"))]
mod tests {
    use super::*;
    use crate::testing::{TestKey, UnreachableJwks};

    fn cache(refresh: Duration) -> KeyCache {
        KeyCache::new(
            vec!["https://a.example/jwks.json".to_owned()],
            Arc::new(UnreachableJwks),
            CacheSettings {
                cooldown: Duration::from_secs(10),
                refresh_interval: refresh,
                max_staleness: Duration::from_secs(3600),
                fetch_timeout: Duration::from_secs(5),
                min_backoff: Duration::from_secs(1),
                max_backoff: Duration::from_secs(60),
            },
        )
    }

    fn document(keys: &[&TestKey]) -> String {
        serde_json::json!({ "keys": keys.iter().map(|k| k.jwk()).collect::<Vec<_>>() }).to_string()
    }

    #[test]
    fn the_generation_moves_only_when_a_key_leaves_or_changes() {
        let (a, b) = (TestKey::generate("a"), TestKey::generate("b"));
        let keys = cache(Duration::from_secs(60));
        let before = keys.generation();
        assert!(!keys.still_current(0, before), "nothing cached yet");

        keys.insert_document(0, document(&[&a]).as_bytes()).unwrap();
        let first = keys.generation();
        assert_ne!(
            first, before,
            "a first set replaces nothing it can vouch for"
        );
        assert!(keys.still_current(0, first));

        // The same keys again, or one more: tokens verified before stay good.
        keys.insert_document(0, document(&[&a]).as_bytes()).unwrap();
        keys.insert_document(0, document(&[&a, &b]).as_bytes())
            .unwrap();
        assert_eq!(keys.generation(), first);
        assert!(keys.still_current(0, first));

        // A key leaves: everything remembered before is checked again.
        keys.insert_document(0, document(&[&b]).as_bytes()).unwrap();
        assert_ne!(keys.generation(), first);
        assert!(!keys.still_current(0, first));
        assert!(keys.still_current(0, keys.generation()));

        // The same kid with another key counts as leaving.
        let current = keys.generation();
        let b2 = TestKey::generate("b");
        keys.insert_document(0, document(&[&b2]).as_bytes())
            .unwrap();
        assert!(!keys.still_current(0, current));
    }

    #[test]
    fn a_set_due_for_refresh_is_not_current() {
        let a = TestKey::generate("a");
        let keys = cache(Duration::from_millis(30));
        keys.insert_document(0, document(&[&a]).as_bytes()).unwrap();
        let generation = keys.generation();
        assert!(keys.still_current(0, generation));
        std::thread::sleep(Duration::from_millis(60));
        assert!(!keys.still_current(0, generation));
    }
}
