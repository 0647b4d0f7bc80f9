//! The load balancers' keys: one PEM document per `kid`, fetched once,
//! parsed once, and cached by URL in a bounded cache.
//!
//! The same rules as the key-set cache, per key endpoint (one per region):
//! - a fetch runs as a task of its own, shared by every caller waiting for
//!   it; one fetch at a time per endpoint. `verify_sync` starts it in the
//!   background (on the caller's Tokio runtime, else the one the verifier
//!   was built or first used on) and answers
//!   [`ErrorKind::JwksNotCached`] meanwhile;
//! - a kid the endpoint does not know (HTTP 404, or the 403 an S3 key
//!   bucket answers for a missing object), or whose document is a readable
//!   public key that cannot verify ES256 (RSA, P-384: skipped, as the
//!   key-set cache skips an unusable key, so the token gets
//!   [`ErrorKind::UnknownKid`]), is remembered for one cool-down and starts
//!   the cool-down: at most one such fetch per cool-down per endpoint, so
//!   that a flood of random UUIDs costs one request per cool-down, and a
//!   key published late verifies once the cool-down is over;
//! - any other failure (another HTTP status such as 429, 408, 407 or 5xx,
//!   a time-out, a document that cannot be read as a public key) backs off
//!   exponentially and answers [`ErrorKind::JwksUnavailable`] meanwhile;
//! - a key is re-fetched in the background once it is older than the
//!   refresh interval, when a token uses it (no request waits; the fetch
//!   skips the cool-down but not the back-off): a 404 drops it, and while
//!   the endpoint fails it keeps serving up to the maximum staleness, after
//!   which tokens get [`ErrorKind::JwksUnavailable`] until a fetch works.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::runtime::Handle;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::error::{Error, ErrorKind};
use crate::health::{KeySetHealth, KeySetState};
use crate::jwks::{
    FetchOutcome, FetchReason, JwksFetcher, KeySetOptions, MAX_JWKS_BYTES, VerifyingKey,
};
use crate::metrics::{KeySetMetrics, Metrics};

/// Keys held at most: a load balancer uses one key at a time per region.
const MAX_KEYS: u64 = 256;
/// Unknown kids remembered at most.
const MAX_MISSING: u64 = 4096;
/// The longest PEM document accepted (a P-256 key is 178 bytes).
const MAX_PEM_BYTES: usize = 4 * 1024;

/// DER of a P-256 `SubjectPublicKeyInfo` up to the point: `id-ecPublicKey`,
/// `prime256v1`, a 66-byte bit string.
const P256_SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

/// Why a key document gives no P-256 key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyDocumentError {
    /// It cannot be read as a public key: not PEM, not base64, not a
    /// `SubjectPublicKeyInfo` (an outage: the endpoint answered garbage).
    Unreadable(&'static str),
    /// A readable public key of another type (an RSA or P-384
    /// `SubjectPublicKeyInfo`, a PKCS#1 RSA key), which can never verify
    /// ES256 (a refusal, as an unusable key in a key set).
    NotP256,
}

/// The uncompressed P-256 point of a PEM `PUBLIC KEY` document; why not
/// otherwise (never echoing the document).
pub(crate) fn p256_point(document: &[u8]) -> Result<Vec<u8>, KeyDocumentError> {
    use KeyDocumentError::Unreadable;
    if document.len() > MAX_PEM_BYTES {
        return Err(Unreadable(
            "the key document is larger than a P-256 public key",
        ));
    }
    let text =
        std::str::from_utf8(document).map_err(|_| Unreadable("the key document is not text"))?;
    let text = text.trim();
    let (body, pkcs1) = match text
        .strip_prefix("-----BEGIN PUBLIC KEY-----")
        .and_then(|rest| rest.strip_suffix("-----END PUBLIC KEY-----"))
    {
        Some(body) => (body, false),
        None => (
            text.strip_prefix("-----BEGIN RSA PUBLIC KEY-----")
                .and_then(|rest| rest.strip_suffix("-----END RSA PUBLIC KEY-----"))
                .ok_or(Unreadable("the key document is not a PEM PUBLIC KEY"))?,
            true,
        ),
    };
    let base64: String = body.split_ascii_whitespace().collect();
    let der = STANDARD
        .decode(base64)
        .map_err(|_| Unreadable("the PEM body is not base64"))?;
    match der.strip_prefix(&P256_SPKI_PREFIX[..]) {
        Some(point) if !pkcs1 && point.len() == 65 && point[0] == 0x04 => Ok(point.to_vec()),
        _ if is_public_key_info(&der) || is_rsa_public_key(&der) => Err(KeyDocumentError::NotP256),
        _ => Err(Unreadable(
            "the PEM body is not a SubjectPublicKeyInfo (DER)",
        )),
    }
}

/// Whether `der` has the shape of a DER `SubjectPublicKeyInfo`: a SEQUENCE
/// of an AlgorithmIdentifier (a SEQUENCE that starts with an OID) and a
/// BIT STRING, nothing after either.
fn is_public_key_info(der: &[u8]) -> bool {
    let Some((0x30, info, [])) = der_element(der) else {
        return false;
    };
    let Some((0x30, algorithm, rest)) = der_element(info) else {
        return false;
    };
    matches!(der_element(algorithm), Some((0x06, [_, ..], _)))
        && matches!(der_element(rest), Some((0x03, [_, ..], [])))
}

/// Whether `der` has the shape of a PKCS#1 `RSAPublicKey`: a SEQUENCE of
/// two INTEGERs (modulus, exponent), nothing after.
fn is_rsa_public_key(der: &[u8]) -> bool {
    let Some((0x30, key, [])) = der_element(der) else {
        return false;
    };
    let Some((0x02, [_, ..], rest)) = der_element(key) else {
        return false;
    };
    matches!(der_element(rest), Some((0x02, [_, ..], [])))
}

/// The tag, contents and what follows of the DER element `input` starts
/// with (definite lengths up to 65535 bytes, as a key document's are).
fn der_element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (length, rest) = match first {
        0..=0x7f => (usize::from(first), rest),
        0x81 => {
            let (&length, rest) = rest.split_first()?;
            (usize::from(length), rest)
        }
        0x82 => {
            let (length, rest) = rest.split_first_chunk::<2>()?;
            (usize::from(u16::from_be_bytes(*length)), rest)
        }
        _ => return None,
    };
    let (contents, rest) = rest.split_at_checked(length)?;
    Some((tag, contents, rest))
}

/// The PEM document of a P-256 public key given as its uncompressed point.
#[cfg(feature = "testing")]
pub(crate) fn p256_pem(point: &[u8]) -> String {
    let mut der = P256_SPKI_PREFIX.to_vec();
    der.extend_from_slice(point);
    let base64 = STANDARD.encode(der);
    let mut pem = String::from("-----BEGIN PUBLIC KEY-----\n");
    for line in base64.as_bytes().chunks(64) {
        pem.push_str(&String::from_utf8_lossy(line));
        pem.push('\n');
    }
    pem.push_str("-----END PUBLIC KEY-----\n");
    pem
}

/// One key endpoint's fetches.
#[derive(Default)]
struct Gate {
    /// The fetch under way, and its URL.
    in_flight: Option<(Arc<str>, watch::Receiver<bool>)>,
    /// No fetch of a new kid starts before this (cool-down after a missing
    /// key, back-off after a failure); no refresh before the back-off's.
    next_attempt: Option<Instant>,
    failures: u32,
    last_error: Option<String>,
    last_success: Option<Instant>,
}

struct Endpoint {
    /// The first load balancer (`load_balancer_arn[i]`) using it.
    name: String,
    base: String,
    gate: Mutex<Gate>,
}

/// A key, and when it was fetched.
#[derive(Clone)]
struct Held {
    key: Arc<VerifyingKey>,
    fetched_at: Instant,
}

/// Why a kid has no key to use.
#[derive(Clone, Copy)]
enum Absence {
    /// The endpoint has no key with that kid.
    NotFound,
    /// The endpoint's key for it cannot verify ES256.
    NotP256,
}

/// A kid remembered as having no key to use, until `until`.
#[derive(Clone, Copy)]
struct Missing {
    until: Instant,
    why: Absence,
}

/// Why a fetch is started.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Purpose {
    /// A kid not held: waits for the cool-down and the back-off.
    NewKid,
    /// A held key due for re-validation: waits for the back-off only.
    Refresh,
}

/// How one fetch of a kid's URL ended.
enum Fetched {
    Key(VerifyingKey),
    Absent(Absence, String),
    Failed(String),
}

struct Shared {
    endpoints: Vec<Endpoint>,
    keys: moka::sync::Cache<Arc<str>, Held>,
    missing: moka::sync::Cache<Arc<str>, Missing>,
    fetcher: Arc<dyn JwksFetcher>,
    settings: KeySetOptions,
    /// The runtime the verifier was built or first used on, for callers
    /// outside one (`verify_sync` on a thread of its own).
    runtime: Mutex<Option<Handle>>,
    metrics: Metrics,
    /// The keys' share of the keys gauge.
    gauges: KeySetMetrics,
}

/// The key cache of an [`AlbJwtVerifier`](crate::AlbJwtVerifier).
pub(crate) struct AlbKeys {
    shared: Arc<Shared>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn unknown_kid(why: &'static str) -> Error {
    Error::new(ErrorKind::UnknownKid, why)
}

fn absent(why: Absence) -> Error {
    unknown_kid(match why {
        Absence::NotFound => {
            "the load balancer's key endpoint has no key with the token's kid; the header was \
             forged or signed in another region"
        }
        Absence::NotP256 => {
            "the load balancer's key endpoint publishes a key for the token's kid that is not a \
             P-256 key, so it cannot verify ES256; the header was not signed by a load balancer"
        }
    })
}

fn no_runtime() -> Error {
    Error::new(
        ErrorKind::JwksUnavailable,
        "no Tokio runtime to fetch the load balancer's key on: build or first use the verifier \
         inside a Tokio runtime",
    )
}

fn later(at: Instant, d: Duration) -> Instant {
    at.checked_add(d)
        .unwrap_or_else(|| at + Duration::from_secs(100 * 365 * 24 * 3600))
}

impl AlbKeys {
    pub(crate) fn new(
        bases: Vec<(String, String)>,
        fetcher: Arc<dyn JwksFetcher>,
        settings: KeySetOptions,
        metrics: Metrics,
    ) -> Self {
        Self {
            shared: Arc::new(Shared {
                endpoints: bases
                    .into_iter()
                    .map(|(name, base)| Endpoint {
                        name,
                        base,
                        gate: Mutex::new(Gate::default()),
                    })
                    .collect(),
                keys: moka::sync::Cache::new(MAX_KEYS),
                // Entries carry their own end (Tokio time, as every other
                // time here); the bound keeps a flood of kids in check.
                missing: moka::sync::Cache::new(MAX_MISSING),
                fetcher,
                settings,
                runtime: Mutex::new(Handle::try_current().ok()),
                gauges: metrics.key_set(),
                metrics,
            }),
        }
    }

    pub(crate) fn endpoint_count(&self) -> usize {
        self.shared.endpoints.len()
    }

    pub(crate) fn base(&self, endpoint: usize) -> &str {
        &self.shared.endpoints[endpoint].base
    }

    /// The URL of `kid` at `endpoint` (the kid is a checked UUID).
    pub(crate) fn url(&self, endpoint: usize, kid: &str) -> Arc<str> {
        format!("{}/{kid}", self.base(endpoint)).into()
    }

    /// The cached key at `url`; never waits. A kid not held (or held past
    /// the maximum staleness) starts its fetch in the background, within
    /// the cool-down and back-off, so that a later call may find it.
    pub(crate) fn cached(
        &self,
        endpoint: usize,
        url: &Arc<str>,
        kid: &str,
    ) -> Result<Arc<VerifyingKey>, Error> {
        if let Some(key) = self.usable(endpoint, url, kid) {
            return Ok(key);
        }
        if let Some(why) = self.shared.absence(url) {
            return Err(absent(why));
        }
        if self.shared.runtime().is_none() {
            return Err(Error::new(
                ErrorKind::JwksNotCached,
                "the load balancer's key for this kid is not cached, and there is no Tokio \
                 runtime to fetch it on: build or first use the verifier inside a Tokio runtime",
            ));
        }
        self.start(endpoint, url, kid, self.purpose(url))?;
        Err(Error::new(
            ErrorKind::JwksNotCached,
            "the load balancer's key for this kid is being fetched; retry shortly, or use \
             verify() to wait for it",
        ))
    }

    /// The key at `url`, fetching it when the cool-down and back-off allow.
    pub(crate) async fn key(
        &self,
        endpoint: usize,
        url: Arc<str>,
        kid: &str,
    ) -> Result<Arc<VerifyingKey>, Error> {
        // Waiting for other kids' fetches happens at most twice: after that
        // the endpoint is in its cool-down or back-off, or ours has run.
        for _ in 0..3 {
            if let Some(key) = self.usable(endpoint, &url, kid) {
                return Ok(key);
            }
            if let Some(why) = self.shared.absence(&url) {
                return Err(absent(why));
            }
            if self.shared.runtime().is_none() {
                return Err(no_runtime());
            }
            let (mut fetch, ours) = self.start(endpoint, &url, kid, self.purpose(&url))?;
            let _ = fetch.wait_for(|done| *done).await;
            if ours {
                return match self.usable(endpoint, &url, kid) {
                    Some(key) => Ok(key),
                    None => match self.shared.absence(&url) {
                        Some(why) => Err(absent(why)),
                        None => Err(self.shared.unavailable(endpoint)),
                    },
                };
            }
        }
        Err(self.shared.unavailable(endpoint))
    }

    /// The key held for `url` unless it is older than the maximum
    /// staleness; one older than the refresh interval is re-fetched in
    /// the background (nobody waits for it).
    fn usable(&self, endpoint: usize, url: &Arc<str>, kid: &str) -> Option<Arc<VerifyingKey>> {
        let held = self.shared.keys.get(url)?;
        let age = held.fetched_at.elapsed();
        if age >= self.shared.settings.max_staleness {
            return None;
        }
        if age >= self.shared.settings.refresh_interval && self.shared.runtime().is_some() {
            // Refused during the back-off, or while a fetch runs: the next
            // use tries again.
            let _ = self.start(endpoint, url, kid, Purpose::Refresh);
        }
        Some(held.key)
    }

    /// A held key past its staleness is re-fetched as a refresh, not as a
    /// new kid: the endpoint's cool-down after others' unknown kids does
    /// not hold it up.
    fn purpose(&self, url: &Arc<str>) -> Purpose {
        if self.shared.keys.contains_key(url) {
            Purpose::Refresh
        } else {
            Purpose::NewKid
        }
    }

    /// Join the endpoint's fetch under way (`false`: another kid's), or
    /// start one for `url` (`true`) unless the cool-down or back-off
    /// forbids it.
    fn start(
        &self,
        endpoint: usize,
        url: &Arc<str>,
        kid: &str,
        purpose: Purpose,
    ) -> Result<(watch::Receiver<bool>, bool), Error> {
        let shared = &self.shared;
        let mut gate = lock(&shared.endpoints[endpoint].gate);
        if let Some((fetching, fetch)) = &gate.in_flight
            && fetch.has_changed().is_ok()
        {
            return Ok((fetch.clone(), fetching == url));
        }
        let failing = gate.failures > 0;
        if gate.next_attempt.is_some_and(|at| Instant::now() < at)
            && (failing || purpose == Purpose::NewKid)
        {
            drop(gate);
            return Err(if failing {
                shared.unavailable(endpoint)
            } else {
                unknown_kid(
                    "the token's kid is not cached, and a kid unknown to the load balancer was \
                     fetched less than a cool-down ago; the header was forged, or retry shortly",
                )
            });
        }
        let runtime = shared.runtime().ok_or_else(no_runtime)?;
        let (done, fetch) = watch::channel(false);
        gate.in_flight = Some((Arc::clone(url), fetch.clone()));
        drop(gate);
        let task = Arc::clone(shared);
        let (url, kid) = (Arc::clone(url), kid.to_owned());
        runtime.spawn(async move {
            task.fetch(endpoint, url, &kid, purpose).await;
            lock(&task.endpoints[endpoint].gate).in_flight = None;
            let _ = done.send(true);
        });
        Ok((fetch, true))
    }

    /// One entry per key endpoint: never fetched, fresh (its last fetch
    /// worked), stale (keys held, last fetch failed) or unavailable.
    pub(crate) fn health(&self) -> Vec<KeySetHealth> {
        let max_staleness = self.shared.settings.max_staleness;
        self.shared
            .endpoints
            .iter()
            .map(|endpoint| {
                let prefix = format!("{}/", endpoint.base);
                let keys = self
                    .shared
                    .keys
                    .iter()
                    .filter(|(url, held)| {
                        url.starts_with(&prefix) && held.fetched_at.elapsed() < max_staleness
                    })
                    .count();
                let gate = lock(&endpoint.gate);
                let age = gate.last_success.map(|at| at.elapsed());
                let state = match (&gate.last_error, age) {
                    (None, None) => KeySetState::NeverFetched,
                    (None, Some(age)) => KeySetState::Fresh { age },
                    (Some(error), Some(age)) if keys > 0 => KeySetState::Stale {
                        age,
                        last_error: error.clone(),
                    },
                    (Some(error), _) => KeySetState::Unavailable {
                        last_error: error.clone(),
                        next_attempt_in: gate.next_attempt.map_or(Duration::ZERO, |at| {
                            at.saturating_duration_since(Instant::now())
                        }),
                    },
                };
                KeySetHealth::new(endpoint.name.clone(), endpoint.base.clone(), state, keys)
            })
            .collect()
    }
}

impl Shared {
    /// The runtime to fetch on: the caller's, else the one the verifier
    /// was built or first used on.
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

    /// Why `url` has no key, while that is remembered.
    fn absence(&self, url: &Arc<str>) -> Option<Absence> {
        let missing = self.missing.get(url)?;
        if Instant::now() < missing.until {
            Some(missing.why)
        } else {
            self.missing.invalidate(url);
            None
        }
    }

    fn unavailable(&self, endpoint: usize) -> Error {
        let endpoint = &self.endpoints[endpoint];
        let gate = lock(&endpoint.gate);
        let last = gate
            .last_error
            .clone()
            .unwrap_or_else(|| "the fetch did not finish".to_owned());
        let wait = gate.next_attempt.map_or(Duration::ZERO, |at| {
            at.saturating_duration_since(Instant::now())
        });
        drop(gate);
        Error::new(
            ErrorKind::JwksUnavailable,
            format!(
                "the load balancer's key endpoint {} is unavailable ({last}); retrying in {} s",
                endpoint.base,
                wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
            ),
        )
        .with_retry_after(wait.max(Duration::from_secs(1)))
    }

    /// Fetch and read the document at `url`.
    async fn get(&self, url: &str, kid: &str) -> Fetched {
        match tokio::time::timeout(self.settings.fetch_timeout, self.fetcher.fetch(url)).await {
            Err(_) => Fetched::Failed(format!(
                "no complete response within {} ms",
                self.settings.fetch_timeout.as_millis()
            )),
            // 403 is what an S3 key bucket answers for a missing object.
            Ok(Err(e)) if matches!(e.status(), Some(404 | 403)) => {
                Fetched::Absent(Absence::NotFound, e.to_string())
            }
            Ok(Err(e)) => Fetched::Failed(e.to_string()),
            Ok(Ok(body)) if body.len() > MAX_JWKS_BYTES => {
                Fetched::Failed("the response is larger than a key document".to_owned())
            }
            Ok(Ok(body)) => match p256_point(&body) {
                Ok(point) => match VerifyingKey::es256(kid, &point) {
                    Ok(key) => Fetched::Key(key),
                    Err(reason) => Fetched::Failed(reason.to_owned()),
                },
                Err(KeyDocumentError::NotP256) => Fetched::Absent(
                    Absence::NotP256,
                    "the document is a public key of another type than P-256".to_owned(),
                ),
                Err(KeyDocumentError::Unreadable(reason)) => Fetched::Failed(reason.to_owned()),
            },
        }
    }

    fn count_keys(&self) {
        self.keys.run_pending_tasks();
        let held = usize::try_from(self.keys.entry_count()).unwrap_or(usize::MAX);
        self.gauges.stored(held, None);
    }

    async fn fetch(&self, endpoint: usize, url: Arc<str>, kid: &str, purpose: Purpose) {
        let started = Instant::now();
        let outcome = self.get(&url, kid).await;
        let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let reason = match purpose {
            Purpose::NewKid => FetchReason::UnknownKid,
            Purpose::Refresh => FetchReason::Refresh,
        };
        let gate = &self.endpoints[endpoint].gate;
        match outcome {
            Fetched::Key(key) => {
                let now = Instant::now();
                self.keys.insert(
                    Arc::clone(&url),
                    Held {
                        key: Arc::new(key),
                        fetched_at: now,
                    },
                );
                self.missing.invalidate(&url);
                self.count_keys();
                self.metrics.fetched(reason, FetchOutcome::Ok);
                let mut gate = lock(gate);
                gate.failures = 0;
                gate.last_error = None;
                // A refresh may run during the cool-down others' unknown
                // kids started: that stays.
                gate.next_attempt = gate.next_attempt.filter(|at| now < *at);
                gate.last_success = Some(now);
                drop(gate);
                tracing::info!(%url, reason = reason.as_str(), duration_ms, "fetched load balancer key");
            }
            Fetched::Absent(why, message) => {
                let now = Instant::now();
                let until = later(now, self.settings.cooldown);
                self.keys.invalidate(&url);
                self.missing
                    .insert(Arc::clone(&url), Missing { until, why });
                self.count_keys();
                self.metrics.fetched(reason, FetchOutcome::NotFound);
                let mut gate = lock(gate);
                gate.failures = 0;
                gate.last_error = None;
                gate.next_attempt = Some(until);
                drop(gate);
                tracing::debug!(%url, reason = reason.as_str(), duration_ms, error = %message, "no usable load balancer key");
            }
            Fetched::Failed(message) => {
                let mut gate = lock(gate);
                gate.failures = gate.failures.saturating_add(1);
                let backoff = self
                    .settings
                    .min_backoff
                    .saturating_mul(1u32 << gate.failures.saturating_sub(1).min(16))
                    .min(self.settings.max_backoff);
                gate.next_attempt = Some(later(Instant::now(), backoff));
                gate.last_error = Some(message.clone());
                let failures = gate.failures;
                drop(gate);
                self.metrics.fetched(reason, FetchOutcome::Error);
                tracing::warn!(
                    %url,
                    reason = reason.as_str(),
                    duration_ms,
                    failures,
                    retry_in_ms = u64::try_from(backoff.as_millis()).unwrap_or(u64::MAX),
                    error = %message,
                    "load balancer key fetch failed"
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_p256_public_keys() {
        assert!(matches!(
            p256_point(b""),
            Err(KeyDocumentError::Unreadable(_))
        ));
        assert!(matches!(
            p256_point(b"-----BEGIN PUBLIC KEY-----\n!!\n-----END PUBLIC KEY-----"),
            Err(KeyDocumentError::Unreadable(_))
        ));
        let mut point = vec![4u8];
        point.extend_from_slice(&[7; 64]);
        #[cfg(feature = "testing")]
        assert_eq!(p256_point(p256_pem(&point).as_bytes()), Ok(point));
    }
}
