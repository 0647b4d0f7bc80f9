//! The key-set cache: one entry per key-set URL, shared by every clone of a
//! verifier.
//!
//! Its lifecycle:
//! - **Fetches run as tasks of their own** on a Tokio runtime, one at a time
//!   per URL, shared by every caller waiting for them: a caller that goes
//!   away (client gone, time-out) never cancels or restarts a fetch.
//! - **Refresh ahead:** once a set is loaded, a background task refreshes it
//!   before it is due ([`KeySetOptions::refresh_interval`]), so no request
//!   waits for a routine refresh and keys removed upstream stop verifying
//!   within one interval, on `verify` and `verify_sync` alike.
//! - **Unknown `kid`:** a token naming a key no cached set has refetches,
//!   at most once per cool-down per URL.
//! - **Failures** back off exponentially; a set keeps serving for
//!   [`KeySetOptions::max_staleness`] after its last successful fetch.
//!
//! All time is [`tokio::time::Instant`], so tests drive it with paused time.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::{Duration, SystemTime};

use tokio::runtime::Handle;
use tokio::sync::watch;
use tokio::task::AbortHandle;
use tokio::time::Instant;

use super::discovery::{Discovery, jwks_uri_of};
use super::fetch::{FetchOutcome, FetchReason, JwksFetcher, MAX_JWKS_BYTES};
use super::keys::{KeySet, VerifyingKey, fetched_at_field, parse_key_set};
use super::options::KeySetOptions;
use crate::algorithm::AlgorithmSet;
use crate::error::{Error, ErrorKind};
use crate::health::{KeySetHealth, KeySetState};
use crate::metrics::{KeySetMetrics, Metrics};

/// A key-set document loaded at start-up (for instance bundled with a
/// Lambda function), with what says when it was fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Seed {
    pub(crate) document: String,
    /// The document's own `fetched_at` field (seconds since the epoch).
    stamp: Option<u64>,
    /// When it was fetched without that field: the file's modification
    /// time, else the time it was given.
    fallback: SystemTime,
}

impl Seed {
    /// A seed whose age is its `fetched_at` field, or `fallback`.
    pub(crate) fn new(document: String, fallback: SystemTime) -> Self {
        Self {
            stamp: fetched_at_field(document.as_bytes()),
            document,
            fallback,
        }
    }

    /// How far a `fetched_at` field may be ahead of the clock: the
    /// largest leeway, as clocks go.
    const MAX_CLOCK_SKEW: Duration = Duration::from_secs(300);

    /// Its age at `now`; why its `fetched_at` field cannot be believed
    /// otherwise, for the error naming the seed's setting. A field ahead of
    /// the clock by more than the skew allowed would make an old document
    /// count as just fetched.
    pub(crate) fn age(&self, now: SystemTime) -> Result<Duration, String> {
        let fetched_at = match self.stamp {
            None => self.fallback,
            Some(secs) => SystemTime::UNIX_EPOCH
                .checked_add(Duration::from_secs(secs))
                .ok_or_else(|| {
                    "its fetched_at field is not a time this system can hold; it must be the \
                     seconds since 1970 at which the key set was fetched, as `cognito-jwt jwks` \
                     writes it"
                        .to_owned()
                })?,
        };
        match fetched_at.duration_since(now) {
            Ok(ahead) if self.stamp.is_some() && ahead > Self::MAX_CLOCK_SKEW => Err(format!(
                "its fetched_at field is {} s in the future (at most {} s of clock skew is \
                 allowed); write the key set again with `cognito-jwt jwks`, or check this \
                 machine's clock",
                ahead.as_secs(),
                Self::MAX_CLOCK_SKEW.as_secs()
            )),
            Ok(_) => Ok(Duration::ZERO),
            Err(behind) => Ok(behind.duration()),
        }
    }
}

/// What one URL's fetches have done so far.
#[derive(Default)]
struct FetchState {
    /// The fetch under way, if any: it sends `true` when it is over.
    in_flight: Option<watch::Receiver<bool>>,
    /// No fetch starts before this (cool-down after a success, back-off
    /// after a failure), unless forced.
    next_attempt: Option<Instant>,
    failures: u32,
    last_error: Option<String>,
    attempted: bool,
}

/// Where a source's key set is found, and which algorithms its keys may
/// serve.
#[derive(Debug, Clone)]
pub(crate) struct SourceSpec {
    /// What the configuration calls it (a pool id, `issuer[0]`), for
    /// readiness answers that must not show URLs.
    pub(crate) name: String,
    /// The key-set URL, or the discovery document's when `discovery` is set.
    pub(crate) url: String,
    pub(crate) discovery: Option<Discovery>,
    pub(crate) algorithms: AlgorithmSet,
}

struct Source {
    name: Box<str>,
    /// The configured URL: the key set's, or the discovery document's.
    configured: Arc<str>,
    /// Set when the key-set URL comes from a discovery document.
    discovery: Option<Discovery>,
    /// The key-set URL the discovery document named when it was last
    /// read, and when that was.
    discovered: RwLock<Option<(Arc<str>, Instant)>>,
    algorithms: AlgorithmSet,
    set: RwLock<Option<Arc<KeySet>>>,
    /// When (ms since the cache's epoch) the current set is due for a
    /// refresh; 0 while there is none. Read on every token-cache hit.
    due_at_ms: AtomicU64,
    state: Mutex<FetchState>,
    /// Whether its refresh-ahead task is running.
    refreshing: AtomicBool,
    /// Its share of the keys and age gauges.
    gauges: KeySetMetrics,
}

struct Shared {
    sources: Vec<Source>,
    /// Bumped whenever a set is stored that drops or replaces a key of the
    /// set before it (or has no set before it): a verified token remembered
    /// under an older generation may have lost its key.
    generation: AtomicU64,
    fetcher: Arc<dyn JwksFetcher>,
    settings: KeySetOptions,
    epoch: Instant,
    /// The runtime the verifier was built on, for callers outside one.
    runtime: Mutex<Option<Handle>>,
    /// The refresh-ahead tasks, aborted when the cache is dropped: a task
    /// would otherwise sleep until its next refresh is due (up to the
    /// refresh interval), which adds up when verifiers come and go (the
    /// resolved issuers of a many-tenant verifier).
    refresh_tasks: Mutex<Vec<AbortHandle>>,
    metrics: Metrics,
}

pub(crate) struct KeyCache {
    shared: Arc<Shared>,
}

/// Which cached sets have a `kid`.
pub(crate) enum KeyLookup {
    /// No usable set has it.
    None,
    /// Exactly one set has it: this source's.
    One(usize, Arc<VerifyingKey>),
    /// Several sets have it (issuers that publish static kids such as
    /// `"1"`): only the token's issuer says whose key it is.
    Several,
}

impl std::fmt::Debug for KeyCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyCache")
            .field(
                "urls",
                &self
                    .shared
                    .sources
                    .iter()
                    .map(Source::url)
                    .collect::<Vec<_>>(),
            )
            .field("settings", &self.shared.settings)
            .finish_non_exhaustive()
    }
}

impl Drop for KeyCache {
    fn drop(&mut self) {
        // Refresh tasks hold only a weak reference; they are aborted here
        // rather than left asleep until their next wake-up. Fetch tasks
        // under way finish on their own (bounded by the fetch time-out).
        for source in &self.shared.sources {
            source.refreshing.store(false, Ordering::Release);
        }
        for task in lock(&self.shared.refresh_tasks).drain(..) {
            task.abort();
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn duration_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// `at + d`, or far in the future when that overflows.
fn later(at: Instant, d: Duration) -> Instant {
    at.checked_add(d)
        .unwrap_or_else(|| at + Duration::from_secs(100 * 365 * 24 * 3600))
}

impl KeyCache {
    pub(crate) fn new(
        specs: Vec<SourceSpec>,
        fetcher: Arc<dyn JwksFetcher>,
        settings: KeySetOptions,
        metrics: Metrics,
    ) -> Self {
        let sources = specs
            .into_iter()
            .map(|spec| Source {
                name: spec.name.into(),
                configured: spec.url.into(),
                discovery: spec.discovery,
                discovered: RwLock::new(None),
                algorithms: spec.algorithms,
                set: RwLock::new(None),
                due_at_ms: AtomicU64::new(0),
                state: Mutex::new(FetchState::default()),
                refreshing: AtomicBool::new(false),
                gauges: metrics.key_set(),
            })
            .collect();
        Self {
            shared: Arc::new(Shared {
                sources,
                generation: AtomicU64::new(0),
                fetcher,
                settings,
                epoch: Instant::now(),
                runtime: Mutex::new(Handle::try_current().ok()),
                refresh_tasks: Mutex::new(Vec::new()),
                metrics,
            }),
        }
    }

    /// The key-set URL of `source`: the discovered one once discovery
    /// ran, else the configured one.
    pub(crate) fn url(&self, source: usize) -> Arc<str> {
        self.shared.sources[source].url()
    }

    /// The configured URL of `source`: its key set's, or its discovery
    /// document's.
    pub(crate) fn configured_url(&self, source: usize) -> &str {
        &self.shared.sources[source].configured
    }

    pub(crate) fn source_count(&self) -> usize {
        self.shared.sources.len()
    }

    /// The key-set generation; read it before looking up a key, and a
    /// token verified with that key may be served again while
    /// [`still_current`](Self::still_current) says so.
    pub(crate) fn generation(&self) -> u64 {
        self.shared.generation.load(Ordering::Acquire)
    }

    /// Whether no key has left any set since `generation` was read, and
    /// `source`'s set is not due for a refresh. Two atomic loads and a
    /// clock read: no lookup, no shared reference count.
    pub(crate) fn still_current(&self, source: usize, generation: u64) -> bool {
        self.shared.generation.load(Ordering::Acquire) == generation
            && self.shared.now_ms()
                < self.shared.sources[source]
                    .due_at_ms
                    .load(Ordering::Acquire)
    }

    /// The key for `kid` in the usable cached sets, with the index of its
    /// source, when exactly one set has it. The hot path: no lock is held,
    /// nothing waits.
    pub(crate) fn find(&self, kid: &str) -> KeyLookup {
        self.shared.keep_refreshing();
        self.shared.metrics.key_sets_read();
        self.shared.find(kid)
    }

    /// The key for `kid` in source `index`'s cached set; never waits. A
    /// missing set or an unknown kid starts a fetch in the background
    /// (within the cool-down) so that a later call may find it.
    pub(crate) fn cached_key(&self, index: usize, kid: &str) -> Result<Arc<VerifyingKey>, Error> {
        let source = &self.shared.sources[index];
        let set = source.usable_set(&self.shared);
        if let Some(key) = set.as_ref().and_then(|set| set.get(kid)) {
            return Ok(Arc::clone(key));
        }
        self.shared.start_fetch(index, false);
        match set {
            None => Err(Error::new(
                ErrorKind::JwksNotCached,
                format!(
                    "the key set at {} is not cached yet; call hydrate() at start-up, seed it \
                     (COGNITO_JWKS_FILE), or use verify()",
                    source.url()
                ),
            )),
            Some(_) => Err(Error::new(
                ErrorKind::UnknownKid,
                "the token's kid is not in the cached key set; the token was signed by \
                 another pool or by a key newer than the cache (use verify() to refetch)",
            )),
        }
    }

    /// The key for `kid` in source `index`'s set, fetching the set when it
    /// is missing or lacks the kid (within the cool-down). Waits only for
    /// such a fetch, never for a routine refresh, and a caller that goes
    /// away leaves the fetch running for the others.
    pub(crate) async fn key(&self, index: usize, kid: &str) -> Result<Arc<VerifyingKey>, Error> {
        let source = &self.shared.sources[index];
        if let Some(key) = source
            .usable_set(&self.shared)
            .and_then(|set| set.get(kid).cloned())
        {
            return Ok(key);
        }
        if self.shared.runtime().is_none() {
            return Err(no_runtime());
        }
        let fetch = self.shared.start_fetch(index, false);
        let fetched = fetch.is_some();
        if let Some(mut fetch) = fetch {
            // An error means the fetch task is gone (its runtime shut
            // down): what it stored, if anything, is looked at below.
            let _ = fetch.wait_for(|done| *done).await;
        }
        match source.usable_set(&self.shared) {
            Some(set) => match set.get(kid) {
                Some(key) => Ok(Arc::clone(key)),
                // During the back-off after a failed fetch the set may be
                // stale and the kid a rotated key: an outage, not a bad
                // token.
                None if lock(&source.state).failures > 0 => Err(self.shared.unavailable(source)),
                None if fetched => {
                    tracing::debug!(url = %source.url(), "unknown kid after a refetch");
                    Err(unknown_kid())
                }
                None => {
                    tracing::debug!(url = %source.url(), "unknown kid during the refetch cool-down");
                    Err(unknown_kid())
                }
            },
            None => Err(self.shared.unavailable(source)),
        }
    }

    /// Fetch every source now, ignoring the cool-down, and wait.
    ///
    /// Returns the first error.
    pub(crate) async fn hydrate(&self) -> Result<(), Error> {
        if self.shared.runtime().is_none() {
            return Err(no_runtime());
        }
        let fetches: Vec<_> = (0..self.shared.sources.len())
            .map(|index| {
                (
                    index,
                    self.shared
                        .start_fetch_for(index, true, Some(FetchReason::Hydrate)),
                )
            })
            .collect();
        let mut first_error = None;
        for (index, fetch) in fetches {
            if let Some(mut fetch) = fetch {
                let _ = fetch.wait_for(|done| *done).await;
            }
            let source = &self.shared.sources[index];
            if lock(&source.state).failures > 0 || source.usable_set(&self.shared).is_none() {
                first_error.get_or_insert_with(|| self.shared.unavailable(source));
            }
        }
        self.shared.keep_refreshing();
        first_error.map_or(Ok(()), Err)
    }

    /// Load a key-set document the caller already has, as fetched now.
    pub(crate) fn insert_document(&self, index: usize, document: &[u8]) -> Result<usize, Error> {
        let count = self
            .shared
            .load(index, document, Instant::now(), false)
            .map_err(|reason| Error::new(ErrorKind::JwksUnavailable, reason))?;
        self.shared.keep_refreshing();
        Ok(count)
    }

    /// Load a seed document; `Ok(false)` when it is too old to serve.
    pub(crate) fn seed(&self, index: usize, seed: &Seed) -> Result<bool, String> {
        let age = seed.age(SystemTime::now())?;
        if age >= self.shared.settings.max_staleness {
            tracing::warn!(
                url = %self.url(index),
                age_secs = age.as_secs(),
                "the seed key set is older than the maximum staleness and is not used"
            );
            return Ok(false);
        }
        let now = Instant::now();
        let fetched_at = now.checked_sub(age).unwrap_or(now);
        self.shared
            .load(index, seed.document.as_bytes(), fetched_at, false)?;
        self.shared.keep_refreshing();
        Ok(true)
    }

    /// Every source's state, for readiness checks.
    pub(crate) fn health(&self) -> Vec<KeySetHealth> {
        self.shared.metrics.key_sets_read();
        self.shared
            .sources
            .iter()
            .map(|source| self.shared.health_of(source))
            .collect()
    }
}

fn no_runtime() -> Error {
    Error::new(
        ErrorKind::JwksUnavailable,
        "no Tokio runtime to fetch the key set on: build or first use the verifier inside a \
         Tokio runtime (e.g. #[tokio::main]), or seed its key set and use verify_sync()",
    )
}

fn unknown_kid() -> Error {
    Error::new(
        ErrorKind::UnknownKid,
        "the token's kid is not in the issuer's key set; the token was signed by another \
         pool or an unknown key",
    )
}

impl Source {
    /// The key-set URL: the one last discovered, else the configured one.
    fn url(&self) -> Arc<str> {
        self.discovered
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_ref()
            .map_or_else(|| Arc::clone(&self.configured), |(url, _)| Arc::clone(url))
    }

    /// The set, unless there is none or it is older than the maximum
    /// staleness.
    fn usable_set(&self, shared: &Shared) -> Option<Arc<KeySet>> {
        let set = self
            .set
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()?;
        (set.fetched_at.elapsed() < shared.settings.max_staleness).then_some(set)
    }
}

impl Shared {
    fn now_ms(&self) -> u64 {
        duration_ms(self.epoch.elapsed())
    }

    /// The runtime to run fetches on: the caller's, else the one the
    /// verifier was built or first used on.
    fn runtime(&self) -> Option<Handle> {
        let mut saved = lock(&self.runtime);
        match Handle::try_current() {
            Ok(current) => {
                saved.get_or_insert_with(|| current.clone());
                Some(current)
            }
            Err(_) => saved.clone(),
        }
    }

    fn find(&self, kid: &str) -> KeyLookup {
        let mut found = KeyLookup::None;
        for (index, source) in self.sources.iter().enumerate() {
            let Some(key) = source
                .usable_set(self)
                .and_then(|set| set.get(kid).cloned())
            else {
                continue;
            };
            if matches!(found, KeyLookup::One(..)) {
                return KeyLookup::Several;
            }
            found = KeyLookup::One(index, key);
        }
        found
    }

    fn unavailable(&self, source: &Source) -> Error {
        let state = lock(&source.state);
        let last = state
            .last_error
            .clone()
            .unwrap_or_else(|| "no key set has been fetched yet".to_owned());
        let wait = state.next_attempt.map_or(Duration::ZERO, |at| {
            at.saturating_duration_since(Instant::now())
        });
        drop(state);
        Error::new(
            ErrorKind::JwksUnavailable,
            format!(
                "the key set at {} is unavailable ({last}); retrying in {} s",
                source.url(),
                wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
            ),
        )
        .with_retry_after(wait.max(Duration::from_secs(1)))
    }

    /// Parse and store a document for source `index`; `fetched` when it
    /// comes from a fetch, which starts the cool-down on unknown `kid`s. A
    /// document the caller had (a seed, `cache_jwks`) does not: a token
    /// signed by a key newer than the document fetches at once.
    fn load(
        &self,
        index: usize,
        document: &[u8],
        fetched_at: Instant,
        fetched: bool,
    ) -> Result<usize, String> {
        let source = &self.sources[index];
        let previous = source.usable_set(self);
        let set = parse_key_set(
            document,
            previous.as_deref(),
            &source.url(),
            source.algorithms,
            fetched_at,
        )?;
        let count = set.len();
        self.store(source, Arc::new(set), previous.as_deref(), fetched);
        Ok(count)
    }

    fn store(&self, source: &Source, set: Arc<KeySet>, previous: Option<&KeySet>, fetched: bool) {
        let due = later(set.fetched_at, self.settings.refresh_interval);
        *source
            .set
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Arc::clone(&set));
        if !previous.is_some_and(|p| p.all_kept_in(&set)) {
            self.generation.fetch_add(1, Ordering::AcqRel);
        }
        source.due_at_ms.store(
            duration_ms(due.saturating_duration_since(self.epoch)),
            Ordering::Release,
        );
        let mut state = lock(&source.state);
        state.failures = 0;
        state.last_error = None;
        if fetched {
            state.next_attempt = Some(later(Instant::now(), self.settings.cooldown));
        }
        drop(state);
        source.gauges.stored(set.len(), Some(set.fetched_at));
    }

    /// Start fetching source `index` unless a fetch is under way (then join
    /// it) or the cool-down or back-off forbids it (`force` ignores them).
    /// The fetch runs as a task of its own; the receiver says when it is
    /// over.
    fn start_fetch(self: &Arc<Self>, index: usize, force: bool) -> Option<watch::Receiver<bool>> {
        self.start_fetch_for(index, force, None)
    }

    /// [`start_fetch`](Self::start_fetch), logged and counted under `reason`
    /// when given, else under the one the cache's state implies.
    fn start_fetch_for(
        self: &Arc<Self>,
        index: usize,
        force: bool,
        reason: Option<FetchReason>,
    ) -> Option<watch::Receiver<bool>> {
        let source = &self.sources[index];
        let mut state = lock(&source.state);
        if let Some(fetch) = &state.in_flight {
            // A fetch whose task vanished (its runtime shut down) never
            // finishes: start another.
            if fetch.has_changed().is_ok() {
                return Some(fetch.clone());
            }
        }
        let now = Instant::now();
        if !force && state.next_attempt.is_some_and(|at| now < at) {
            return None;
        }
        let runtime = self.runtime()?;
        let reason = reason.unwrap_or_else(|| match source.usable_set(self) {
            None if !state.attempted => FetchReason::Cold,
            None => FetchReason::Retry,
            Some(set) if set.fetched_at.elapsed() >= self.refresh_at() => FetchReason::Refresh,
            Some(_) => FetchReason::UnknownKid,
        });
        let (done, fetch) = watch::channel(false);
        state.in_flight = Some(fetch.clone());
        state.attempted = true;
        drop(state);
        let shared = Arc::clone(self);
        runtime.spawn(async move {
            shared.fetch(index, reason).await;
            lock(&shared.sources[index].state).in_flight = None;
            let _ = done.send(true);
            shared.keep_refreshing();
        });
        Some(fetch)
    }

    /// How old a set is when its background refresh starts.
    fn refresh_at(&self) -> Duration {
        self.settings
            .refresh_interval
            .saturating_sub(self.settings.refresh_ahead())
    }

    async fn fetch(&self, index: usize, reason: FetchReason) {
        let source = &self.sources[index];
        let started = Instant::now();
        let outcome = match self.resolve(source).await {
            Ok(url) => self
                .get(&url)
                .await
                .and_then(|body| self.load(index, &body, Instant::now(), true)),
            Err(message) => Err(message),
        };
        let elapsed_ms = duration_ms(started.elapsed());
        let reason_name = reason.as_str();
        match outcome {
            Ok(keys) => {
                self.metrics.fetched(reason, FetchOutcome::Ok);
                tracing::info!(
                    url = %source.url(),
                    reason = reason_name,
                    duration_ms = elapsed_ms,
                    keys,
                    "fetched key set"
                );
            }
            Err(message) => {
                let mut state = lock(&source.state);
                state.failures = state.failures.saturating_add(1);
                let backoff = self
                    .settings
                    .min_backoff
                    .saturating_mul(1u32 << state.failures.saturating_sub(1).min(16))
                    .min(self.settings.max_backoff);
                state.next_attempt = Some(later(Instant::now(), backoff));
                let failures = state.failures;
                state.last_error = Some(message.clone());
                drop(state);
                self.metrics.fetched(reason, FetchOutcome::Error);
                tracing::warn!(
                    url = %source.url(),
                    reason = reason_name,
                    duration_ms = elapsed_ms,
                    failures,
                    retry_in_ms = duration_ms(backoff),
                    error = %message,
                    "key-set fetch failed"
                );
            }
        }
    }

    /// The key-set URL of `source`, reading its discovery document first
    /// when it has one and it was not read within the refresh interval, so
    /// that an issuer can move its keys. A first discovery that fails
    /// counts as a failed fetch (same back-off, same health report); a
    /// later one keeps the URL discovered before.
    async fn resolve(&self, source: &Source) -> Result<Arc<str>, String> {
        let Some(discovery) = &source.discovery else {
            return Ok(Arc::clone(&source.configured));
        };
        let known = source
            .discovered
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        if let Some((url, at)) = &known
            && at.elapsed() < self.refresh_at()
        {
            return Ok(Arc::clone(url));
        }
        let discovered = self
            .get(&source.configured)
            .await
            .and_then(|document| jwks_uri_of(&document, discovery));
        let url: Arc<str> = match (discovered, known) {
            (Ok(url), known) => {
                if known
                    .as_ref()
                    .is_none_or(|(previous, _)| **previous != *url)
                {
                    tracing::info!(
                        discovery = %source.configured,
                        jwks_uri = %url,
                        "discovered the key-set URL"
                    );
                }
                url.into()
            }
            (Err(message), None) => return Err(message),
            (Err(message), Some((url, _))) => {
                tracing::warn!(
                    discovery = %source.configured,
                    jwks_uri = %url,
                    error = %message,
                    "the discovery document could not be read again; keeping the key-set URL \
                     discovered before"
                );
                return Ok(url);
            }
        };
        *source
            .discovered
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) =
            Some((Arc::clone(&url), Instant::now()));
        Ok(url)
    }

    /// One document, within the fetch time-out and the size cap.
    async fn get(&self, url: &str) -> Result<Vec<u8>, String> {
        match tokio::time::timeout(self.settings.fetch_timeout, self.fetcher.fetch(url)).await {
            Err(_) => Err(format!(
                "no complete response within {} ms",
                self.settings.fetch_timeout.as_millis()
            )),
            Ok(Err(e)) => Err(e.to_string()),
            Ok(Ok(body)) if body.len() > MAX_JWKS_BYTES => Err(format!(
                "the response is larger than {} KiB",
                MAX_JWKS_BYTES / 1024
            )),
            Ok(Ok(body)) => Ok(body),
        }
    }

    /// Make sure every source with a set has its refresh-ahead task. Cheap
    /// when they run (one atomic load per source).
    fn keep_refreshing(self: &Arc<Self>) {
        for (index, source) in self.sources.iter().enumerate() {
            if source.refreshing.load(Ordering::Acquire)
                || source
                    .set
                    .read()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .is_none()
            {
                continue;
            }
            let Some(runtime) = self.runtime() else {
                return;
            };
            if source
                .refreshing
                .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                let task = runtime.spawn(refresh_ahead(Arc::downgrade(self), index));
                let mut tasks = lock(&self.refresh_tasks);
                tasks.retain(|task| !task.is_finished());
                tasks.push(task.abort_handle());
            }
        }
    }

    /// How long the refresh task of source `index` sleeps before its next
    /// attempt.
    fn refresh_wait(&self, index: usize) -> Duration {
        let source = &self.sources[index];
        let set_age = source
            .set
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_ref()
            .map(|set| set.fetched_at.elapsed());
        let until_refresh =
            set_age.map_or(Duration::ZERO, |age| self.refresh_at().saturating_sub(age));
        let until_allowed = lock(&source.state)
            .next_attempt
            .map_or(Duration::ZERO, |at| {
                at.saturating_duration_since(Instant::now())
            });
        until_refresh.max(until_allowed)
    }

    fn health_of(&self, source: &Source) -> KeySetHealth {
        let set = source.usable_set(self);
        let state = lock(&source.state);
        let last_error = state.last_error.clone();
        let next_attempt_in = state.next_attempt.map_or(Duration::ZERO, |at| {
            at.saturating_duration_since(Instant::now())
        });
        let attempted = state.attempted;
        drop(state);
        let keys = set.as_ref().map_or(0, |s| s.len());
        let state = match set {
            Some(set) => {
                let age = set.fetched_at.elapsed();
                match last_error {
                    Some(last_error) => KeySetState::Stale { age, last_error },
                    None if age >= self.settings.refresh_interval => KeySetState::Stale {
                        age,
                        last_error: "not refreshed yet".to_owned(),
                    },
                    None => KeySetState::Fresh { age },
                }
            }
            None if !attempted => KeySetState::NeverFetched,
            None => KeySetState::Unavailable {
                last_error: last_error.unwrap_or_else(|| "the key set expired".to_owned()),
                next_attempt_in,
            },
        };
        KeySetHealth::new(
            source.name.to_string(),
            source.url().to_string(),
            state,
            keys,
        )
    }
}

/// The refresh-ahead task of one source: sleeps until the set is due
/// (less the refresh-ahead margin) or the back-off allows a retry,
/// refreshes, and starts over. Ends when the verifier is dropped.
async fn refresh_ahead(shared: Weak<Shared>, index: usize) {
    /// Marks the task stopped however it ends (its runtime may shut down),
    /// so that the next verification starts another.
    struct Running(Weak<Shared>, usize);
    impl Drop for Running {
        fn drop(&mut self) {
            if let Some(shared) = self.0.upgrade() {
                shared.sources[self.1]
                    .refreshing
                    .store(false, Ordering::Release);
            }
        }
    }
    let _running = Running(shared.clone(), index);
    loop {
        let wait = match shared.upgrade() {
            Some(shared) if shared.sources[index].refreshing.load(Ordering::Acquire) => {
                shared.refresh_wait(index)
            }
            _ => return,
        };
        tokio::time::sleep(wait).await;
        let fetch = match shared.upgrade() {
            Some(shared) if shared.refresh_wait(index).is_zero() => {
                shared.start_fetch(index, false)
            }
            Some(_) => None,
            None => return,
        };
        if let Some(mut fetch) = fetch {
            let _ = fetch.wait_for(|done| *done).await;
        }
    }
}

#[cfg(all(test, feature = "testing"))]
mod tests {
    use super::*;
    use crate::testing::{TestKey, UnreachableJwks};

    fn cache(refresh: Duration) -> KeyCache {
        KeyCache::new(
            vec![SourceSpec {
                name: "pool".to_owned(),
                url: "https://a.example/jwks.json".to_owned(),
                discovery: None,
                algorithms: AlgorithmSet::RS256,
            }],
            Arc::new(UnreachableJwks),
            KeySetOptions::default()
                .refresh_interval(refresh)
                .max_staleness(Duration::from_secs(3600)),
            Metrics::new("test"),
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

    #[tokio::test(start_paused = true)]
    async fn a_set_due_for_refresh_is_not_current() {
        let a = TestKey::generate("a");
        let keys = cache(Duration::from_secs(30));
        keys.insert_document(0, document(&[&a]).as_bytes()).unwrap();
        let generation = keys.generation();
        assert!(keys.still_current(0, generation));
        tokio::time::advance(Duration::from_secs(31)).await;
        assert!(!keys.still_current(0, generation));
    }

    #[test]
    fn seeds_take_their_age_from_their_own_field() {
        let a = TestKey::generate("a");
        let stamped = serde_json::json!({ "keys": [a.jwk()], "fetched_at": 1_000 }).to_string();
        let fallback = SystemTime::UNIX_EPOCH + Duration::from_secs(5);
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(3_000);
        assert_eq!(
            Seed::new(stamped, fallback).age(now),
            Ok(Duration::from_secs(2_000))
        );
        assert_eq!(
            Seed::new(document(&[&a]), fallback).age(now),
            Ok(Duration::from_secs(2_995))
        );
        // Far too old to serve.
        let keys = cache(Duration::from_secs(60));
        let old = Seed::new(document(&[&a]), SystemTime::UNIX_EPOCH);
        assert_eq!(keys.seed(0, &old), Ok(false));
        assert!(matches!(keys.find("a"), KeyLookup::None));
    }
}
