//! The sources of the key cache and what each holds: a key-set document's
//! keys, or keys fetched one by one (with the kids known to have none);
//! how they are stored, found usable, and made due for a refresh.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use tokio::runtime::Handle;
use tokio::sync::watch;
use tokio::task::AbortHandle;
use tokio::time::Instant;

use super::discovery::Discovery;
use super::fetch::JwksFetcher;
use super::keys::{KeySet, VerifyingKey, parse_key_set};
use super::options::KeySetOptions;
use crate::algorithm::AlgorithmSet;
use crate::metrics::{KeySetMetrics, Metrics};

/// Kids held at most by a per-kid source: a load balancer uses one key at
/// a time per region.
const MAX_PER_KID_KEYS: u64 = 256;
/// Kids remembered as missing at most, per per-kid source.
const MAX_MISSING: u64 = 4096;

/// What one source's fetches have done so far.
#[derive(Default)]
pub(super) struct Gate {
    /// The fetch under way, if any, with the kid it fetches (per-kid
    /// sources; empty for a key set): it sends `true` when it is over.
    pub(super) in_flight: Option<(Box<str>, watch::Receiver<bool>)>,
    /// No fetch starts before this (cool-down after a key set was fetched
    /// or a kid was found missing, back-off after a failure), unless
    /// forced; a per-kid refresh waits only for the back-off.
    pub(super) next_attempt: Option<Instant>,
    pub(super) failures: u32,
    pub(super) last_error: Option<String>,
    pub(super) attempted: bool,
    pub(super) last_success: Option<Instant>,
}

pub(super) struct Shared {
    pub(super) sources: Vec<Source>,
    /// Bumped whenever a key leaves or changes (or a first set is stored):
    /// a verified token remembered under an older generation may have lost
    /// its key.
    pub(super) generation: AtomicU64,
    pub(super) fetcher: Arc<dyn JwksFetcher>,
    pub(super) settings: KeySetOptions,
    pub(super) epoch: Instant,
    /// The runtime the verifier was built on, for callers outside one.
    pub(super) runtime: std::sync::OnceLock<Handle>,
    /// The refresh-ahead tasks, aborted when the cache is dropped: a task
    /// would otherwise sleep until its next refresh is due (up to the
    /// refresh interval), which adds up when verifiers come and go (the
    /// resolved issuers of a many-tenant verifier).
    pub(super) refresh_tasks: Mutex<Vec<AbortHandle>>,
    pub(super) metrics: Metrics,
}

pub(super) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub(super) fn duration_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// `at + d`, or far in the future when that overflows.
pub(super) fn later(at: Instant, d: Duration) -> Instant {
    at.checked_add(d)
        .unwrap_or_else(|| at + Duration::from_secs(100 * 365 * 24 * 3600))
}

/// What a source holds.
pub(super) enum Store {
    /// A key-set document's usable keys.
    Set(RwLock<Option<Arc<KeySet>>>),
    /// Keys fetched one by one, and kids known to have none.
    PerKid(PerKid),
}

pub(super) struct PerKid {
    pub(super) keys: moka::sync::Cache<Arc<str>, HeldKey>,
    missing: moka::sync::Cache<Arc<str>, Missing>,
}

/// A key fetched on its own, and when.
#[derive(Clone)]
pub(super) struct HeldKey {
    pub(super) key: Arc<VerifyingKey>,
    pub(super) fetched_at: Instant,
}

/// A kid remembered as having no key to use, until `until`.
#[derive(Clone, Copy)]
struct Missing {
    until: Instant,
    why: Absence,
}

/// Why a kid has no key to use at a per-kid source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Absence {
    /// The endpoint has no key with that kid.
    NotFound,
    /// The endpoint's key for it cannot verify the source's algorithms.
    Unusable,
}

pub(super) struct Source {
    pub(super) name: Box<str>,
    /// The configured URL: the key set's, the discovery document's, or the
    /// base of a per-kid source.
    pub(super) configured: Arc<str>,
    /// Set when the key-set URL comes from a discovery document.
    pub(super) discovery: Option<Discovery>,
    /// The key-set URL the discovery document named when it was last
    /// read, and when that was.
    pub(super) discovered: RwLock<Option<(Arc<str>, Instant)>>,
    pub(super) algorithms: AlgorithmSet,
    pub(super) store: Store,
    /// When (ms since the cache's epoch) the keys are due for a refresh;
    /// 0 while there are none. Read on every token-cache hit.
    pub(super) due_at_ms: AtomicU64,
    pub(super) gate: Mutex<Gate>,
    /// Whether its refresh-ahead task is running (key sets only).
    pub(super) refreshing: AtomicBool,
    /// Its share of the keys and age gauges.
    pub(super) gauges: KeySetMetrics,
}

impl Source {
    /// The key-set URL: the one last discovered, else the configured one.
    pub(super) fn url(&self) -> Arc<str> {
        self.discovered
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_ref()
            .map_or_else(|| Arc::clone(&self.configured), |(url, _)| Arc::clone(url))
    }

    /// The set, unless there is none or it is older than the maximum
    /// staleness (always `None` for a per-kid source).
    pub(super) fn usable_set(&self, shared: &Shared) -> Option<Arc<KeySet>> {
        let Store::Set(set) = &self.store else {
            return None;
        };
        let set = set
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()?;
        (set.fetched_at.elapsed() < shared.settings.max_staleness).then_some(set)
    }

    /// Whether it holds a key set (which its refresh-ahead task keeps).
    pub(super) fn has_set(&self) -> bool {
        matches!(&self.store, Store::Set(set) if set
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .is_some())
    }
}

impl Store {
    /// An empty store: for a key set, or for keys fetched one by one.
    pub(super) fn new(per_kid: bool) -> Self {
        if per_kid {
            Store::PerKid(PerKid {
                keys: moka::sync::Cache::new(MAX_PER_KID_KEYS),
                // Entries carry their own end (Tokio time, as every other
                // time here); the bound keeps a flood of kids in check.
                missing: moka::sync::Cache::new(MAX_MISSING),
            })
        } else {
            Store::Set(RwLock::new(None))
        }
    }
}

impl PerKid {
    /// Why `kid` has no key, while that is remembered.
    pub(super) fn absence(&self, kid: &str) -> Option<Absence> {
        let missing = self.missing.get(kid)?;
        if Instant::now() < missing.until {
            Some(missing.why)
        } else {
            self.missing.invalidate(kid);
            None
        }
    }
}

impl Shared {
    pub(super) fn now_ms(&self) -> u64 {
        duration_ms(self.epoch.elapsed())
    }

    /// The runtime to run fetches on: the caller's, else the one the
    /// verifier was built or first used on.
    pub(super) fn runtime(&self) -> Option<Handle> {
        match Handle::try_current() {
            Ok(current) => {
                self.runtime.get_or_init(|| current.clone());
                Some(current)
            }
            // Read without a lock: the verifiers used off a runtime call
            // this on every verification.
            Err(_) => self.runtime.get().cloned(),
        }
    }

    /// Whether source `index` holds a usable key for `kid` (no refresh is
    /// started).
    pub(super) fn holds(&self, index: usize, kid: &str) -> bool {
        let source = &self.sources[index];
        match &source.store {
            Store::Set(_) => source
                .usable_set(self)
                .is_some_and(|set| set.get(kid).is_some()),
            Store::PerKid(per_kid) => per_kid
                .keys
                .get(kid)
                .is_some_and(|held| held.fetched_at.elapsed() < self.settings.max_staleness),
        }
    }

    /// Parse and store a document for source `index`; `fetched` when it
    /// comes from a fetch, which starts the cool-down on unknown `kid`s. A
    /// document the caller had (a seed, `cache_jwks`) does not: a token
    /// signed by a key newer than the document fetches at once.
    pub(super) fn load(
        &self,
        index: usize,
        document: &[u8],
        fetched_at: Instant,
        fetched: bool,
    ) -> Result<usize, String> {
        let source = &self.sources[index];
        let Store::Set(slot) = &source.store else {
            return Err("this source publishes one key per kid, not a key set".to_owned());
        };
        let previous = source.usable_set(self);
        let set = Arc::new(parse_key_set(
            document,
            previous.as_deref(),
            &source.url(),
            source.algorithms,
            fetched_at,
        )?);
        let count = set.len();
        *slot
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Arc::clone(&set));
        if !previous.is_some_and(|p| p.all_kept_in(&set)) {
            self.generation.fetch_add(1, Ordering::AcqRel);
        }
        self.set_due(
            source,
            later(set.fetched_at, self.settings.refresh_interval),
            true,
        );
        let mut gate = lock(&source.gate);
        gate.failures = 0;
        gate.last_error = None;
        if fetched {
            gate.next_attempt = Some(later(Instant::now(), self.settings.cooldown));
            gate.last_success = Some(Instant::now());
        }
        drop(gate);
        source.gauges.stored(count, Some(set.fetched_at));
        Ok(count)
    }

    /// Store the key fetched for `kid` at a per-kid source.
    pub(super) fn store_key(&self, index: usize, kid: &str, key: VerifyingKey) {
        let source = &self.sources[index];
        let Store::PerKid(per_kid) = &source.store else {
            return;
        };
        let now = Instant::now();
        let kid: Arc<str> = kid.into();
        if per_kid
            .keys
            .get(&kid)
            .is_some_and(|held| !held.key.same_key(&key))
        {
            self.generation.fetch_add(1, Ordering::AcqRel);
        }
        per_kid.keys.insert(
            Arc::clone(&kid),
            HeldKey {
                key: Arc::new(key),
                fetched_at: now,
            },
        );
        per_kid.missing.invalidate(&kid);
        self.set_due(source, later(now, self.settings.refresh_interval), false);
        per_kid.keys.run_pending_tasks();
        let held = usize::try_from(per_kid.keys.entry_count()).unwrap_or(usize::MAX);
        source.gauges.stored(held, None);
    }

    /// Remember that `kid` has no usable key at a per-kid source, for one
    /// cool-down; a key held for it is dropped.
    pub(super) fn store_absence(&self, index: usize, kid: &str, why: Absence) -> Instant {
        let source = &self.sources[index];
        let until = later(Instant::now(), self.settings.cooldown);
        let Store::PerKid(per_kid) = &source.store else {
            return until;
        };
        let kid: Arc<str> = kid.into();
        if per_kid.keys.contains_key(&kid) {
            per_kid.keys.invalidate(&kid);
            self.generation.fetch_add(1, Ordering::AcqRel);
        }
        per_kid.missing.insert(kid, Missing { until, why });
        per_kid.keys.run_pending_tasks();
        let held = usize::try_from(per_kid.keys.entry_count()).unwrap_or(usize::MAX);
        source.gauges.stored(held, None);
        until
    }

    /// Record when `source`'s keys are next due: a set's replaces the
    /// last; a per-kid key's moves it earlier, or later once it passed.
    fn set_due(&self, source: &Source, due: Instant, replace: bool) {
        let due = duration_ms(due.saturating_duration_since(self.epoch));
        let current = source.due_at_ms.load(Ordering::Acquire);
        if replace || current <= self.now_ms() || due < current {
            source.due_at_ms.store(due, Ordering::Release);
        }
    }
}
