//! The load balancers' keys: one PEM document per `kid`, fetched once,
//! parsed once, and cached by URL in a bounded cache.
//!
//! The same rules as the key-set cache, per key endpoint (one per region):
//! - a fetch runs as a task of its own, shared by every caller waiting for
//!   it; one fetch at a time per endpoint;
//! - a kid the endpoint does not know (an HTTP 4xx answer) is remembered
//!   (negative cache) and starts the cool-down: at most one such fetch per
//!   cool-down per endpoint, so that a flood of random UUIDs costs one
//!   request per cool-down;
//! - any other failure (5xx, time-out, a document that is not a P-256
//!   public key) backs off exponentially and answers
//!   [`ErrorKind::JwksUnavailable`] meanwhile.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::error::{Error, ErrorKind};
use crate::health::{KeySetHealth, KeySetState};
use crate::jwks::{
    CacheSettings, FetchOutcome, FetchReason, JwksFetcher, MAX_JWKS_BYTES, VerifyingKey,
};
use crate::metrics::{KeySetMetrics, Metrics};

/// Keys held at most: a load balancer uses one key at a time per region.
const MAX_KEYS: u64 = 256;
/// Unknown kids remembered at most.
const MAX_MISSING: u64 = 4096;
/// How long an unknown kid is remembered.
const MISSING_TTL: Duration = Duration::from_secs(15 * 60);
/// The longest PEM document accepted (a P-256 key is 178 bytes).
const MAX_PEM_BYTES: usize = 4 * 1024;

/// DER of a P-256 `SubjectPublicKeyInfo` up to the point: `id-ecPublicKey`,
/// `prime256v1`, a 66-byte bit string.
const P256_SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

/// The uncompressed P-256 point of a PEM `PUBLIC KEY` document; why not
/// otherwise (never echoing the document).
pub(crate) fn p256_point(document: &[u8]) -> Result<Vec<u8>, &'static str> {
    if document.len() > MAX_PEM_BYTES {
        return Err("the key document is larger than a P-256 public key");
    }
    let text = std::str::from_utf8(document).map_err(|_| "the key document is not text")?;
    let body = text
        .trim()
        .strip_prefix("-----BEGIN PUBLIC KEY-----")
        .and_then(|rest| rest.strip_suffix("-----END PUBLIC KEY-----"))
        .ok_or("the key document is not a PEM PUBLIC KEY")?;
    let base64: String = body.split_ascii_whitespace().collect();
    let der = STANDARD
        .decode(base64)
        .map_err(|_| "the PEM body is not base64")?;
    match der.strip_prefix(&P256_SPKI_PREFIX[..]) {
        Some(point) if point.len() == 65 && point[0] == 0x04 => Ok(point.to_vec()),
        _ => Err("the key is not a P-256 public key (SubjectPublicKeyInfo, uncompressed point)"),
    }
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
    /// No fetch of a new kid starts before this.
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

struct Shared {
    endpoints: Vec<Endpoint>,
    keys: moka::sync::Cache<Arc<str>, Arc<VerifyingKey>>,
    missing: moka::sync::Cache<Arc<str>, ()>,
    fetcher: Arc<dyn JwksFetcher>,
    settings: CacheSettings,
    metrics: Metrics,
    /// The keys' share of the keys gauge (they have no age: a load
    /// balancer's key never changes under its kid).
    gauges: KeySetMetrics,
}

/// The key cache of an [`AlbJwtVerifier`](crate::AlbJwtVerifier).
pub(crate) struct AlbKeys {
    shared: Arc<Shared>,
}

fn lock(gate: &Mutex<Gate>) -> MutexGuard<'_, Gate> {
    gate.lock().unwrap_or_else(PoisonError::into_inner)
}

fn unknown_kid(why: &'static str) -> Error {
    Error::new(ErrorKind::UnknownKid, why)
}

fn no_such_key() -> Error {
    unknown_kid(
        "the load balancer's key endpoint has no key with the token's kid; the header was \
         forged or signed in another region",
    )
}

impl AlbKeys {
    pub(crate) fn new(
        bases: Vec<(String, String)>,
        fetcher: Arc<dyn JwksFetcher>,
        settings: CacheSettings,
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
                missing: moka::sync::Cache::builder()
                    .max_capacity(MAX_MISSING)
                    .time_to_live(MISSING_TTL)
                    .build(),
                fetcher,
                settings,
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

    /// The cached key at `url`; never waits, never fetches.
    pub(crate) fn cached(&self, url: &Arc<str>) -> Result<Arc<VerifyingKey>, Error> {
        self.shared.keys.get(url).ok_or_else(|| {
            Error::new(
                ErrorKind::JwksNotCached,
                "the load balancer's key for this kid is not cached yet; use verify()",
            )
        })
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
            if let Some(key) = self.shared.keys.get(&url) {
                return Ok(key);
            }
            if self.shared.missing.contains_key(&url) {
                return Err(no_such_key());
            }
            let (mut fetch, ours) = self.start(endpoint, &url, kid)?;
            let _ = fetch.wait_for(|done| *done).await;
            if ours {
                return match self.shared.keys.get(&url) {
                    Some(key) => Ok(key),
                    None if self.shared.missing.contains_key(&url) => Err(no_such_key()),
                    None => Err(self.shared.unavailable(endpoint)),
                };
            }
        }
        Err(self.shared.unavailable(endpoint))
    }

    /// Join the endpoint's fetch under way (`false`: another kid's), or
    /// start one for `url` (`true`) unless the cool-down or back-off
    /// forbids it.
    fn start(
        &self,
        endpoint: usize,
        url: &Arc<str>,
        kid: &str,
    ) -> Result<(watch::Receiver<bool>, bool), Error> {
        let shared = &self.shared;
        let mut gate = lock(&shared.endpoints[endpoint].gate);
        if let Some((fetching, fetch)) = &gate.in_flight
            && fetch.has_changed().is_ok()
        {
            return Ok((fetch.clone(), fetching == url));
        }
        if gate.next_attempt.is_some_and(|at| Instant::now() < at) {
            let failing = gate.failures > 0;
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
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            Error::new(
                ErrorKind::JwksUnavailable,
                "no Tokio runtime to fetch the load balancer's key on: verify inside a Tokio \
                 runtime",
            )
        })?;
        let (done, fetch) = watch::channel(false);
        gate.in_flight = Some((Arc::clone(url), fetch.clone()));
        drop(gate);
        let task = Arc::clone(shared);
        let (url, kid) = (Arc::clone(url), kid.to_owned());
        runtime.spawn(async move {
            task.fetch(endpoint, url, &kid).await;
            lock(&task.endpoints[endpoint].gate).in_flight = None;
            let _ = done.send(true);
        });
        Ok((fetch, true))
    }

    /// One entry per key endpoint: never fetched, fresh (its last fetch
    /// worked), stale (keys held, last fetch failed) or unavailable.
    pub(crate) fn health(&self) -> Vec<KeySetHealth> {
        self.shared
            .endpoints
            .iter()
            .map(|endpoint| {
                let prefix = format!("{}/", endpoint.base);
                let keys = self
                    .shared
                    .keys
                    .iter()
                    .filter(|(url, _)| url.starts_with(&prefix))
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

    async fn fetch(&self, endpoint: usize, url: Arc<str>, kid: &str) {
        let started = Instant::now();
        let outcome =
            match tokio::time::timeout(self.settings.fetch_timeout, self.fetcher.fetch(&url)).await
            {
                Err(_) => Err((
                    None,
                    format!(
                        "no complete response within {} ms",
                        self.settings.fetch_timeout.as_millis()
                    ),
                )),
                Ok(Err(e)) => Err((e.status(), e.to_string())),
                Ok(Ok(body)) if body.len() > MAX_JWKS_BYTES => Err((
                    None,
                    "the response is larger than a key document".to_owned(),
                )),
                Ok(Ok(body)) => p256_point(&body)
                    .and_then(|point| VerifyingKey::es256(kid, &point))
                    .map_err(|reason| (None, reason.to_owned())),
            };
        let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let gate = &self.endpoints[endpoint].gate;
        match outcome {
            Ok(key) => {
                self.keys.insert(Arc::clone(&url), Arc::new(key));
                self.keys.run_pending_tasks();
                let held = usize::try_from(self.keys.entry_count()).unwrap_or(usize::MAX);
                self.gauges.stored(held, None);
                self.metrics
                    .fetched(FetchReason::UnknownKid, FetchOutcome::Ok);
                let mut gate = lock(gate);
                gate.failures = 0;
                gate.last_error = None;
                gate.next_attempt = None;
                gate.last_success = Some(Instant::now());
                drop(gate);
                tracing::info!(%url, duration_ms, "fetched load balancer key");
            }
            Err((Some(status), message)) if (400..500).contains(&status) => {
                self.missing.insert(Arc::clone(&url), ());
                self.metrics
                    .fetched(FetchReason::UnknownKid, FetchOutcome::NotFound);
                let mut gate = lock(gate);
                gate.failures = 0;
                gate.last_error = None;
                gate.next_attempt = Some(Instant::now() + self.settings.cooldown);
                drop(gate);
                tracing::debug!(%url, status, duration_ms, error = %message, "no such load balancer key");
            }
            Err((_, message)) => {
                let mut gate = lock(gate);
                gate.failures = gate.failures.saturating_add(1);
                let backoff = self
                    .settings
                    .min_backoff
                    .saturating_mul(1u32 << gate.failures.saturating_sub(1).min(16))
                    .min(self.settings.max_backoff);
                gate.next_attempt = Some(Instant::now() + backoff);
                gate.last_error = Some(message.clone());
                let failures = gate.failures;
                drop(gate);
                self.metrics
                    .fetched(FetchReason::UnknownKid, FetchOutcome::Error);
                tracing::warn!(
                    %url,
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
        assert!(p256_point(b"").is_err());
        assert!(p256_point(b"-----BEGIN PUBLIC KEY-----\n!!\n-----END PUBLIC KEY-----").is_err());
        let mut point = vec![4u8];
        point.extend_from_slice(&[7; 64]);
        #[cfg(feature = "testing")]
        assert_eq!(p256_point(p256_pem(&point).as_bytes()), Ok(point));
    }
}
