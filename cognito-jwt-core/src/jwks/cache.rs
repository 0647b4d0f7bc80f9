//! The key cache: one source per place keys are published, shared by every
//! clone of a verifier, for both shapes of publication:
//! - **key-set documents** (JWKS: Cognito, any OpenID Connect issuer),
//!   fetched whole, refreshed ahead, seeded at start-up;
//! - **one PEM document per `kid`** at `<url>/<kid>` (an Application Load
//!   Balancer's regional key endpoint), fetched the first time a kid is
//!   used, re-fetched in the background once older than the refresh
//!   interval, and remembered as missing for one cool-down when the
//!   endpoint has no usable key by that id (a 404, the 403 an S3 key
//!   bucket answers, a key that is not P-256).
//!
//! One lifecycle for both ([`gate`](super::gate)):
//! - **Fetches run as tasks of their own** on a Tokio runtime (the
//!   caller's, else the one the verifier was built or first used on), one
//!   at a time per source, shared by every caller waiting for them: a
//!   caller that goes away (client gone, time-out) never cancels or
//!   restarts a fetch.
//! - **Refresh:** a key set is refreshed ahead, before it is due
//!   ([`KeySetOptions::refresh_interval`]), by a background task; a PEM key
//!   is re-fetched in the background when a token uses it after that
//!   interval. No request waits for a routine refresh, and keys removed
//!   upstream stop verifying within one interval.
//! - **Unknown `kid`:** a token naming a key the source does not have
//!   fetches at most once per cool-down per source.
//! - **Failures** back off exponentially; keys keep serving for
//!   [`KeySetOptions::max_staleness`] after their last successful fetch.
//!
//! All time is [`tokio::time::Instant`], so tests drive it with paused time.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};

use tokio::runtime::Handle;
use tokio::time::Instant;

use super::discovery::Discovery;
use super::fetch::{FetchReason, JwksFetcher};
use super::gate::Mode;
use super::keys::VerifyingKey;
use super::options::KeySetOptions;
use super::seed::Seed;
use super::sources::{Absence, Gate, Shared, Source, Store, lock};
use crate::algorithm::AlgorithmSet;
use crate::error::{Error, ErrorKind};
use crate::health::{KeySetHealth, KeySetState};
use crate::metrics::Metrics;

/// Where a source's keys are found, and which algorithms they may serve.
#[derive(Debug, Clone)]
pub(crate) struct SourceSpec {
    /// What the configuration calls it (a pool id, `issuer[0]`,
    /// `load_balancer_arn[0]`), for readiness answers that must not show
    /// URLs.
    pub(crate) name: String,
    /// The key-set URL, the discovery document's when `discovery` is set,
    /// or the base of `<url>/<kid>` when `per_kid` is.
    pub(crate) url: String,
    pub(crate) discovery: Option<Discovery>,
    pub(crate) algorithms: AlgorithmSet,
    /// One PEM document per kid, at `<url>/<kid>`.
    pub(crate) per_kid: bool,
}

pub(crate) struct KeyCache {
    shared: Arc<Shared>,
}

/// Which cached sources have a `kid`.
pub(crate) enum KeyLookup {
    /// No usable source has it.
    None,
    /// Exactly one source has it: this one.
    One(usize, Arc<VerifyingKey>),
    /// Several sources have it (issuers that publish static kids such as
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
                store: Store::new(spec.per_kid),
                due_at_ms: AtomicU64::new(0),
                gate: Mutex::new(Gate::default()),
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
                runtime: Handle::try_current()
                    .ok()
                    .map(std::sync::OnceLock::from)
                    .unwrap_or_default(),
                refresh_tasks: Mutex::new(Vec::new()),
                metrics,
            }),
        }
    }

    /// The URL of `source`: its key set's (the discovered one once
    /// discovery ran), or the base of its per-kid documents.
    pub(crate) fn url(&self, source: usize) -> Arc<str> {
        self.shared.sources[source].url()
    }

    /// The configured URL of `source`: its key set's, its discovery
    /// document's, or its per-kid base.
    pub(crate) fn configured_url(&self, source: usize) -> &str {
        &self.shared.sources[source].configured
    }

    pub(crate) fn source_count(&self) -> usize {
        self.shared.sources.len()
    }

    /// The key generation; read it before looking up a key, and a token
    /// verified with that key may be served again while
    /// [`still_current`](Self::still_current) says so.
    pub(crate) fn generation(&self) -> u64 {
        self.shared.generation.load(Ordering::Acquire)
    }

    /// Whether no key has left any source since `generation` was read, and
    /// `source`'s keys are not due for a refresh. Two atomic loads and a
    /// clock read: no lookup, no shared reference count.
    pub(crate) fn still_current(&self, source: usize, generation: u64) -> bool {
        self.shared.generation.load(Ordering::Acquire) == generation
            && self.shared.now_ms()
                < self.shared.sources[source]
                    .due_at_ms
                    .load(Ordering::Acquire)
    }

    /// The key for `kid` in the usable cached sources, with the index of
    /// its source, when exactly one has it. The hot path: no lock is held,
    /// nothing waits.
    pub(crate) fn find(&self, kid: &str) -> KeyLookup {
        self.shared.keep_refreshing();
        self.shared.metrics.key_sets_read();
        let mut found = KeyLookup::None;
        for index in 0..self.shared.sources.len() {
            let Some(key) = self.shared.lookup(index, kid) else {
                continue;
            };
            if matches!(found, KeyLookup::One(..)) {
                return KeyLookup::Several;
            }
            found = KeyLookup::One(index, key);
        }
        found
    }

    /// The key for `kid` at source `index`, cached only; never waits. A
    /// missing key starts its fetch in the background (within the
    /// cool-down and back-off) so that a later call may find it.
    pub(crate) fn cached_key(&self, index: usize, kid: &str) -> Result<Arc<VerifyingKey>, Error> {
        let shared = &self.shared;
        if let Some(key) = shared.lookup(index, kid) {
            return Ok(key);
        }
        let source = &shared.sources[index];
        match &source.store {
            Store::Set(_) => {
                // Refused when a fetch stored the key since the lookup.
                if shared.start(index, kid, Mode::Routine).is_none()
                    && let Some(key) = shared.lookup(index, kid)
                {
                    return Ok(key);
                }
                Err(match source.usable_set(shared) {
                    None => Error::new(
                        ErrorKind::JwksNotCached,
                        format!(
                            "the key set at {} is not cached yet; call hydrate() at start-up, \
                             seed it (COGNITO_JWKS_FILE), or use verify()",
                            source.url()
                        ),
                    ),
                    Some(_) => Error::new(
                        ErrorKind::UnknownKid,
                        "the token's kid is not in the cached key set; the token was signed by \
                         another pool or by a key newer than the cache (use verify() to refetch)",
                    ),
                })
            }
            Store::PerKid(per_kid) => {
                if let Some(why) = per_kid.absence(kid) {
                    return Err(absent(why));
                }
                if shared.runtime().is_none() {
                    return Err(Error::new(
                        ErrorKind::JwksNotCached,
                        "the key for this kid is not cached, and there is no Tokio runtime to \
                         fetch it on: build or first use the verifier inside a Tokio runtime",
                    ));
                }
                match shared.start(index, kid, Mode::Routine) {
                    Some(_) => Err(Error::new(
                        ErrorKind::JwksNotCached,
                        "the key for this kid is being fetched; retry shortly, or use verify() \
                         to wait for it",
                    )),
                    // Refused when a fetch stored the key since the lookup.
                    None => shared
                        .lookup(index, kid)
                        .ok_or_else(|| shared.refused(index, kid, false)),
                }
            }
        }
    }

    /// The key for `kid` at source `index`, fetching it (the whole set, or
    /// the kid's document) when it is missing, within the cool-down. Waits
    /// only for such a fetch, never for a routine refresh, and a caller
    /// that goes away leaves the fetch running for the others.
    pub(crate) async fn key(&self, index: usize, kid: &str) -> Result<Arc<VerifyingKey>, Error> {
        let shared = &self.shared;
        // Waiting for other kids' fetches (per-kid sources) happens at most
        // twice: after that the source is in its cool-down or back-off, or
        // ours has run.
        for _ in 0..3 {
            if let Some(key) = shared.lookup(index, kid) {
                return Ok(key);
            }
            if let Store::PerKid(per_kid) = &shared.sources[index].store
                && let Some(why) = per_kid.absence(kid)
            {
                return Err(absent(why));
            }
            if shared.runtime().is_none() {
                return Err(no_runtime());
            }
            let Some((mut fetch, ours)) = shared.start(index, kid, Mode::Routine) else {
                // A fetch may have stored the key between the lookup above
                // and the gate, starting the cool-down that refused ours.
                return shared
                    .lookup(index, kid)
                    .ok_or_else(|| shared.refused(index, kid, false));
            };
            // An error means the fetch task is gone (its runtime shut
            // down): what it stored, if anything, is looked at below.
            let _ = fetch.wait_for(|done| *done).await;
            if ours {
                return shared
                    .lookup(index, kid)
                    .ok_or_else(|| shared.refused(index, kid, true));
            }
        }
        Err(shared.unavailable(&shared.sources[index]))
    }

    /// Fetch every key set now, ignoring the cool-down, and wait. Per-kid
    /// sources have nothing to fetch ahead.
    ///
    /// Returns the first error.
    pub(crate) async fn hydrate(&self) -> Result<(), Error> {
        let shared = &self.shared;
        if shared.runtime().is_none() {
            return Err(no_runtime());
        }
        let fetches: Vec<_> = (0..shared.sources.len())
            .filter(|&index| matches!(shared.sources[index].store, Store::Set(_)))
            .map(|index| {
                (
                    index,
                    shared.start(index, "", Mode::Force(FetchReason::Hydrate)),
                )
            })
            .collect();
        let mut first_error = None;
        for (index, fetch) in fetches {
            if let Some((mut fetch, _)) = fetch {
                let _ = fetch.wait_for(|done| *done).await;
            }
            let source = &shared.sources[index];
            if lock(&source.gate).failures > 0 || source.usable_set(shared).is_none() {
                first_error.get_or_insert_with(|| shared.unavailable(source));
            }
        }
        shared.keep_refreshing();
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

pub(super) fn no_runtime() -> Error {
    Error::new(
        ErrorKind::JwksUnavailable,
        "no Tokio runtime to fetch the key set on: build or first use the verifier inside a \
         Tokio runtime (e.g. #[tokio::main]), or seed its key set and use verify_sync()",
    )
}

pub(super) fn unknown_kid(message: &'static str) -> Error {
    Error::new(ErrorKind::UnknownKid, message)
}

fn absent(why: Absence) -> Error {
    unknown_kid(match why {
        Absence::NotFound => {
            "the key endpoint has no key with the token's kid; the token was forged or signed \
             elsewhere"
        }
        Absence::Unusable => {
            "the key endpoint's key for the token's kid cannot verify the token's algorithm; \
             the token was forged or signed elsewhere"
        }
    })
}

impl Shared {
    /// The usable key for `kid` at source `index`; a per-kid key older
    /// than the refresh interval is re-fetched in the background (nobody
    /// waits for it).
    pub(super) fn lookup(self: &Arc<Self>, index: usize, kid: &str) -> Option<Arc<VerifyingKey>> {
        let source = &self.sources[index];
        match &source.store {
            Store::Set(_) => source.usable_set(self)?.get(kid).cloned(),
            Store::PerKid(per_kid) => {
                let held = per_kid.keys.get(kid)?;
                let age = held.fetched_at.elapsed();
                if age >= self.settings.max_staleness {
                    return None;
                }
                if age >= self.settings.refresh_interval {
                    // Refused during the back-off, or joined while a fetch
                    // runs: the next use tries again.
                    let _ = self.start(index, kid, Mode::Refresh);
                }
                Some(held.key)
            }
        }
    }

    /// Why the key for `kid` cannot be had now: the source fails (back-off),
    /// has no such kid, or (before `fetched`) a kid unknown to it was
    /// fetched less than a cool-down ago.
    pub(super) fn refused(&self, index: usize, kid: &str, fetched: bool) -> Error {
        let source = &self.sources[index];
        match &source.store {
            Store::PerKid(per_kid) => {
                if let Some(why) = per_kid.absence(kid) {
                    return absent(why);
                }
                if fetched || lock(&source.gate).failures > 0 {
                    return self.unavailable(source);
                }
                unknown_kid(
                    "the token's kid is not cached, and a kid unknown to the key endpoint was \
                     fetched less than a cool-down ago; the token was forged, or retry shortly",
                )
            }
            Store::Set(_) => {
                if source.usable_set(self).is_none() || lock(&source.gate).failures > 0 {
                    // During the back-off after a failed fetch the set may
                    // be stale and the kid a rotated key: an outage, not a
                    // bad token.
                    return self.unavailable(source);
                }
                if fetched {
                    tracing::debug!(url = %source.url(), "unknown kid after a refetch");
                } else {
                    tracing::debug!(url = %source.url(), "unknown kid during the refetch cool-down");
                }
                unknown_kid(
                    "the token's kid is not in the issuer's key set; the token was signed by \
                     another pool or an unknown key",
                )
            }
        }
    }

    pub(super) fn health_of(&self, source: &Source) -> KeySetHealth {
        let gate = lock(&source.gate);
        let last_error = gate.last_error.clone();
        let next_attempt_in = gate.next_attempt.map_or(Duration::ZERO, |at| {
            at.saturating_duration_since(Instant::now())
        });
        let (attempted, last_success) = (gate.attempted, gate.last_success);
        drop(gate);
        // How many keys it holds, how old they are (a per-kid source: its
        // last successful fetch), and whether it holds any at all.
        let (keys, age, holds) = match &source.store {
            Store::Set(_) => {
                let set = source.usable_set(self);
                let age = set.as_ref().map(|s| s.fetched_at.elapsed());
                (set.map_or(0, |s| s.len()), age, age.is_some())
            }
            Store::PerKid(per_kid) => {
                let max_staleness = self.settings.max_staleness;
                let keys = per_kid
                    .keys
                    .iter()
                    .filter(|(_, held)| held.fetched_at.elapsed() < max_staleness)
                    .count();
                (keys, last_success.map(|at| at.elapsed()), keys > 0)
            }
        };
        let is_set = matches!(source.store, Store::Set(_));
        let state = match (age, last_error) {
            (Some(age), Some(last_error)) if holds => KeySetState::Stale { age, last_error },
            (Some(age), None) if is_set && age >= self.settings.refresh_interval => {
                KeySetState::Stale {
                    age,
                    last_error: "not refreshed yet".to_owned(),
                }
            }
            // A per-kid source whose last fetch worked (a key, or the
            // answer that a kid has none) is fresh, whatever it holds.
            (Some(age), None) => KeySetState::Fresh { age },
            (None, None) if !attempted => KeySetState::NeverFetched,
            (_, last_error) => KeySetState::Unavailable {
                last_error: last_error.unwrap_or_else(|| "the key set expired".to_owned()),
                next_attempt_in,
            },
        };
        let health = KeySetHealth::new(
            source.name.to_string(),
            source.url().to_string(),
            state,
            keys,
        );
        match source.store {
            Store::Set(_) => health,
            Store::PerKid(_) => health.fetched_on_demand(),
        }
    }
}

#[cfg(all(test, feature = "testing"))]
mod tests {
    use super::*;
    use crate::jwks::KeyLookup;
    use crate::testing::{TestKey, UnreachableJwks};

    fn cache(refresh: Duration) -> KeyCache {
        KeyCache::new(
            vec![SourceSpec {
                name: "pool".to_owned(),
                url: "https://a.example/jwks.json".to_owned(),
                discovery: None,
                algorithms: AlgorithmSet::RS256,
                per_kid: false,
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
