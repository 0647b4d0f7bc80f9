//! Metrics through the [`metrics`](https://docs.rs/metrics) facade: what
//! the verifiers decide, how their key sets are fetched, how the token
//! cache serves, and what the key sets hold. The `metrics` feature turns
//! them on; without it none of this is compiled and nothing is counted.
//!
//! | name | type | labels | what it counts or holds |
//! |---|---|---|---|
//! | [`cognito_jwt_verifications_total`](VERIFICATIONS_TOTAL) | counter | `verifier`, `outcome` | finished calls to `verify`, `verify_with`, `verify_sync` and `verify_sync_with`; `outcome` is `ok` or the refusal's [`ErrorKind::as_str`](crate::ErrorKind::as_str) (`invalid_signature`, `expired`, `jwks_unavailable`, …) |
//! | [`cognito_jwt_jwks_fetches_total`](JWKS_FETCHES_TOTAL) | counter | `verifier`, `reason`, `outcome` | key-set fetches (a discovery document and its key set count as one); `reason` is `cold` (the first fetch), `retry` (after a failure left no usable set), `refresh` (the set was due), `unknown_kid` (a token named a key the set lacks; every load-balancer key fetch), `hydrate` (`hydrate()`); `outcome` is `ok`, `not_found` (the load balancer has no key with that kid) or `error` |
//! | [`cognito_jwt_token_cache_hits_total`](TOKEN_CACHE_HITS_TOTAL) | counter | `verifier` | tokens served from the token cache, signature check skipped |
//! | [`cognito_jwt_token_cache_misses_total`](TOKEN_CACHE_MISSES_TOTAL) | counter | `verifier` | tokens looked up in the token cache and verified in full (only with a token cache) |
//! | [`cognito_jwt_jwks_keys`](JWKS_KEYS) | gauge | `verifier` | keys held, over all the verifier's key sets (and the load balancer keys fetched) |
//! | [`cognito_jwt_jwks_age_seconds`](JWKS_AGE_SECONDS) | gauge | `verifier` | the age of the oldest key set held, in seconds (not set by `AlbJwtVerifier`: its keys never change) |
//! | [`cognito_jwt_revocation_entries`](REVOCATION_ENTRIES) | gauge | — | entries held by the revocation list ([`RevocationList`](crate::RevocationList)), set on every write |
//! | [`cognito_jwt_revocation_overflows_total`](REVOCATION_OVERFLOWS_TOTAL) | counter | — | revocations refused because the list was full (the replica then counts as out of sync) |
//! | [`cognito_jwt_revocation_probes_total`](REVOCATION_PROBES_TOTAL) | counter | `outcome` | probes of Cognito's `GetUser` (`CognitoJwtVerifierBuilder::revocation_probe`): `valid`, `revoked` (the session is then revoked) or `failed` (throttled, unreachable; verification is never affected) |
//!
//! The `verifier` label is the name given to the builder's
//! `metrics_name` (by default `cognito`, `oidc` or `alb`): a value the
//! operator chose, one per verifier (two verifiers given one name add up
//! their counters and keys, and share one age gauge). No label ever
//! carries a token, a claim, an issuer, a key id or a URL, so a client
//! cannot add series; the issuers an `IssuerResolver` allows all count
//! under their verifier's name.
//!
//! Every series of a verifier is registered, at zero, when it is built,
//! with the recorder installed then: **install your recorder (exporter)
//! before building the verifiers**. Recording is then an atomic operation
//! on a handle kept by the verifier, and nothing at all without the
//! feature. What that costs (`benches/README.md`, "What recording metrics
//! costs"): nothing measurable on a full verification; about 40 ns on a
//! token-cache hit (0.022 → 0.025 × of an RSA check), which makes two
//! adds (the hit and the verification). Those adds land on counters that
//! every core shares, so two threads doing nothing but cache hits, at
//! 1.5–1.6 million a second each, reached 1.5–1.7 × one thread instead
//! of 2 ×. That is about seventeen times the rate at which one core of the
//! axum example answers HTTP requests from its token cache (about 93,000 a
//! second, metrics recorded).
//! The age gauge is set whenever a key set is stored, looked up
//! (each token verified without the token cache) or reported by `health()`:
//! without traffic it shows the age at the last of these.
//!
//! With [`metrics-exporter-prometheus`](https://docs.rs/metrics-exporter-prometheus),
//! whose text is the body of a `GET /metrics` route:
//!
//! ```
//! use cognito_jwt_core::{CognitoJwtVerifier, StandardClaims, TokenUse, UserPool};
//! use metrics_exporter_prometheus::PrometheusBuilder;
//!
//! // A server installs it globally at start-up, before building its
//! // verifiers: `let prometheus = PrometheusBuilder::new().install_recorder()?;`
//! let recorder = PrometheusBuilder::new().build_recorder();
//! let prometheus = recorder.handle();
//! let verifier = metrics::with_local_recorder(&recorder, || {
//!     cognito_jwt_core::metrics::describe();
//!     CognitoJwtVerifier::builder()
//!         .user_pool(UserPool::new("eu-west-1_AbC123").client_id("c").token_use(TokenUse::Access))
//!         .metrics_name("api")
//!         .build()
//! })?;
//!
//! assert!(verifier.verify_sync::<StandardClaims>("not a token").is_err());
//! let text = prometheus.render();
//! assert!(text.contains(r#"cognito_jwt_verifications_total{verifier="api",outcome="malformed"} 1"#));
//! assert!(text.contains(r#"cognito_jwt_verifications_total{verifier="api",outcome="ok"} 0"#));
//! # Ok::<(), cognito_jwt_core::ConfigError>(())
//! ```

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use ::metrics::{Counter, Gauge, SharedString, Unit, describe_counter, describe_gauge};
use tokio::time::Instant;

use crate::error::{Error, ErrorKind};
use crate::jwks::{FetchOutcome, FetchReason};

/// Verifications by outcome: a counter labelled `verifier` and `outcome`
/// (`ok`, or the [`ErrorKind::as_str`](crate::ErrorKind::as_str) name of
/// the refusal).
pub const VERIFICATIONS_TOTAL: &str = "cognito_jwt_verifications_total";

/// Key-set fetches by reason and outcome: a counter labelled `verifier`,
/// `reason` (`cold`, `retry`, `refresh`, `unknown_kid`, `hydrate`) and
/// `outcome` (`ok`, `not_found`, `error`).
pub const JWKS_FETCHES_TOTAL: &str = "cognito_jwt_jwks_fetches_total";

/// Tokens served from the token cache: a counter labelled `verifier`.
pub const TOKEN_CACHE_HITS_TOTAL: &str = "cognito_jwt_token_cache_hits_total";

/// Tokens the token cache did not serve (verified in full): a counter
/// labelled `verifier`.
pub const TOKEN_CACHE_MISSES_TOTAL: &str = "cognito_jwt_token_cache_misses_total";

/// Keys held over all of a verifier's key sets: a gauge labelled
/// `verifier`.
pub const JWKS_KEYS: &str = "cognito_jwt_jwks_keys";

/// The age in seconds of the oldest key set a verifier holds: a gauge
/// labelled `verifier`.
pub const JWKS_AGE_SECONDS: &str = "cognito_jwt_jwks_age_seconds";

/// Entries held by the process's revocation lists: a gauge without labels
/// (one list per process is the usual set-up; several set it in turn).
pub const REVOCATION_ENTRIES: &str = "cognito_jwt_revocation_entries";

/// Revocations refused because a revocation list was full: a counter
/// without labels. Each leaves its replica out of sync until there is room.
pub const REVOCATION_OVERFLOWS_TOTAL: &str = "cognito_jwt_revocation_overflows_total";

/// Probes of Cognito's `GetUser` by outcome: a counter labelled `outcome`
/// (`valid`, `revoked`, `failed`).
pub const REVOCATION_PROBES_TOTAL: &str = "cognito_jwt_revocation_probes_total";

/// Describe every metric (type, unit, help text) to the installed
/// recorder. Call it once, after installing the recorder; exporters that
/// print help texts (Prometheus' `# HELP`) use them.
pub fn describe() {
    describe_counter!(
        VERIFICATIONS_TOTAL,
        Unit::Count,
        "Token verifications by verifier and outcome (ok, or the error kind)."
    );
    describe_counter!(
        JWKS_FETCHES_TOTAL,
        Unit::Count,
        "Key-set fetches by verifier, reason and outcome."
    );
    describe_counter!(
        TOKEN_CACHE_HITS_TOTAL,
        Unit::Count,
        "Tokens served from the verified-token cache."
    );
    describe_counter!(
        TOKEN_CACHE_MISSES_TOTAL,
        Unit::Count,
        "Tokens looked up in the verified-token cache and verified in full."
    );
    describe_gauge!(
        JWKS_KEYS,
        Unit::Count,
        "Keys held over all of the verifier's key sets."
    );
    describe_gauge!(
        JWKS_AGE_SECONDS,
        Unit::Seconds,
        "Age of the oldest key set the verifier holds."
    );
    describe_gauge!(
        REVOCATION_ENTRIES,
        Unit::Count,
        "Entries held by the revocation list."
    );
    describe_counter!(
        REVOCATION_OVERFLOWS_TOTAL,
        Unit::Count,
        "Revocations refused because the revocation list was full."
    );
    describe_counter!(
        REVOCATION_PROBES_TOTAL,
        Unit::Count,
        "Probes of Cognito's GetUser by outcome (valid, revoked, failed)."
    );
}

/// Every fetch reason, in declaration order.
const REASONS: [FetchReason; 5] = [
    FetchReason::Cold,
    FetchReason::Retry,
    FetchReason::Refresh,
    FetchReason::UnknownKid,
    FetchReason::Hydrate,
];

/// Every fetch outcome, in declaration order.
const OUTCOMES: [FetchOutcome; 3] = [
    FetchOutcome::Ok,
    FetchOutcome::NotFound,
    FetchOutcome::Error,
];

/// One verifier's metric handles, registered when it is built and shared
/// by everything it owns (its key caches, its resolved issuers' engines).
/// Cheap to clone. Without the `metrics` feature, its twin in
/// `no_metrics.rs` does nothing.
#[derive(Clone)]
pub(crate) struct Metrics {
    handles: Arc<Handles>,
}

struct Handles {
    /// The `verifier` label, also the verification and fetch spans' field.
    verifier: Arc<str>,
    /// `ok`, then one per [`ErrorKind`] in declaration order.
    verifications: Vec<Counter>,
    cache_hits: Counter,
    cache_misses: Counter,
    /// By reason, then outcome, in declaration order.
    fetches: Vec<Counter>,
    keys: Gauge,
    age: Gauge,
    /// The key sets held, for the age of the oldest and the keys' sum.
    sets: Mutex<HeldSets>,
    /// When the oldest set held was fetched, in ms from `epoch` (negative
    /// for a seed fetched before it); `i64::MAX` while none has a date.
    oldest_ms: AtomicI64,
    epoch: Instant,
}

#[derive(Default)]
struct HeldSets {
    next_slot: u64,
    /// `(slot, keys, fetched at in ms from the epoch)`.
    held: Vec<(u64, usize, Option<i64>)>,
}

impl Metrics {
    /// Register every series of the verifier named `verifier`.
    pub(crate) fn new(verifier: &str) -> Self {
        let name = SharedString::from(verifier.to_owned());
        let verifications = std::iter::once("ok")
            .chain(ErrorKind::ALL.iter().map(|kind| kind.as_str()))
            .map(|outcome| {
                ::metrics::counter!(VERIFICATIONS_TOTAL, "verifier" => name.clone(), "outcome" => outcome)
            })
            .collect();
        let fetches = REASONS
            .iter()
            .flat_map(|reason| OUTCOMES.iter().map(move |outcome| (reason, outcome)))
            .map(|(reason, outcome)| {
                ::metrics::counter!(
                    JWKS_FETCHES_TOTAL,
                    "verifier" => name.clone(),
                    "reason" => reason.as_str(),
                    "outcome" => outcome.as_str()
                )
            })
            .collect();
        Self {
            handles: Arc::new(Handles {
                verifier: verifier.into(),
                verifications,
                cache_hits: ::metrics::counter!(TOKEN_CACHE_HITS_TOTAL, "verifier" => name.clone()),
                cache_misses: ::metrics::counter!(TOKEN_CACHE_MISSES_TOTAL, "verifier" => name.clone()),
                fetches,
                keys: ::metrics::gauge!(JWKS_KEYS, "verifier" => name.clone()),
                age: ::metrics::gauge!(JWKS_AGE_SECONDS, "verifier" => name),
                sets: Mutex::default(),
                oldest_ms: AtomicI64::new(i64::MAX),
                epoch: Instant::now(),
            }),
        }
    }

    /// The verifier's name: its `verifier` label.
    pub(crate) fn verifier(&self) -> &str {
        &self.handles.verifier
    }

    /// Count a verification's outcome; returns it unchanged.
    #[inline]
    pub(crate) fn verified<T>(&self, result: Result<T, Error>) -> Result<T, Error> {
        let index = match &result {
            Ok(_) => 0,
            Err(e) => 1 + e.kind() as usize,
        };
        if let Some(counter) = self.handles.verifications.get(index) {
            counter.increment(1);
        }
        result
    }

    /// Count a token-cache lookup.
    #[inline]
    pub(crate) fn token_cache(&self, hit: bool) {
        if hit {
            self.handles.cache_hits.increment(1);
        } else {
            self.handles.cache_misses.increment(1);
        }
    }

    /// Count a finished key-set (or key) fetch.
    pub(crate) fn fetched(&self, reason: FetchReason, outcome: FetchOutcome) {
        let index = reason as usize * OUTCOMES.len() + outcome as usize;
        if let Some(counter) = self.handles.fetches.get(index) {
            counter.increment(1);
        }
    }

    /// Bring the age gauge up to date: one atomic load and a clock read.
    #[inline]
    pub(crate) fn key_sets_read(&self) {
        let oldest = self.handles.oldest_ms.load(Ordering::Acquire);
        if oldest != i64::MAX {
            let now = self.handles.ms_since_epoch(Instant::now());
            #[allow(clippy::cast_precision_loss)]
            self.handles
                .age
                .set(now.saturating_sub(oldest) as f64 / 1000.0);
        }
    }

    /// A new key set's share of the gauges: nothing until it stores keys,
    /// given back when it is dropped.
    pub(crate) fn key_set(&self) -> KeySetMetrics {
        let mut sets = self.handles.lock();
        sets.next_slot += 1;
        KeySetMetrics {
            metrics: self.clone(),
            slot: sets.next_slot,
        }
    }
}

impl Handles {
    fn lock(&self) -> std::sync::MutexGuard<'_, HeldSets> {
        self.sets.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn ms_since_epoch(&self, at: Instant) -> i64 {
        let ms = |d: std::time::Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        match at.checked_duration_since(self.epoch) {
            Some(after) => ms(after),
            None => -ms(self.epoch.duration_since(at)),
        }
    }

    /// Replace slot `slot`'s entry (`None`: remove it), then update the
    /// keys' sum and the oldest date.
    fn update(&self, slot: u64, entry: Option<(usize, Option<Instant>)>) {
        let mut sets = self.lock();
        let before = match sets.held.iter().position(|(s, _, _)| *s == slot) {
            Some(i) => sets.held.swap_remove(i).1,
            None => 0,
        };
        let after = entry.map_or(0, |(keys, _)| keys);
        if let Some((keys, fetched_at)) = entry {
            let fetched_ms = fetched_at.map(|at| self.ms_since_epoch(at));
            sets.held.push((slot, keys, fetched_ms));
        }
        let oldest = sets
            .held
            .iter()
            .filter_map(|(_, _, at)| *at)
            .min()
            .unwrap_or(i64::MAX);
        self.oldest_ms.store(oldest, Ordering::Release);
        drop(sets);
        // Increments rather than a sum: two verifiers given the same name
        // add up instead of overwriting each other.
        #[allow(clippy::cast_precision_loss)]
        if after >= before {
            self.keys.increment((after - before) as f64);
        } else {
            self.keys.decrement((before - after) as f64);
        }
    }
}

/// One key set's (or key cache's) share of its verifier's gauges.
pub(crate) struct KeySetMetrics {
    metrics: Metrics,
    slot: u64,
}

impl KeySetMetrics {
    /// The set now holds `keys` keys, fetched at `fetched_at` (`None`:
    /// no age to report).
    pub(crate) fn stored(&self, keys: usize, fetched_at: Option<Instant>) {
        self.metrics
            .handles
            .update(self.slot, Some((keys, fetched_at)));
        self.metrics.key_sets_read();
    }
}

impl Drop for KeySetMetrics {
    fn drop(&mut self) {
        self.metrics.handles.update(self.slot, None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexes_follow_declaration_order() {
        for (index, kind) in ErrorKind::ALL.iter().enumerate() {
            assert_eq!(*kind as usize, index, "{kind}");
        }
        for (index, reason) in REASONS.iter().enumerate() {
            assert_eq!(*reason as usize, index, "{}", reason.as_str());
        }
        for (index, outcome) in OUTCOMES.iter().enumerate() {
            assert_eq!(*outcome as usize, index, "{}", outcome.as_str());
        }
    }
}
