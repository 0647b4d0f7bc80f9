//! The fetch gate every source goes through, whatever it publishes: one
//! fetch at a time per source, run as a task of its own and shared by every
//! caller waiting for it; the cool-down after an unknown `kid`; exponential
//! back-off after a failure; the time-out and the body cap; the runtime to
//! fetch on; the refresh-ahead task of a key set; logs and metrics.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;
use tracing::{Instrument, Span};

use super::discovery::jwks_uri_of;
use super::fetch::{FetchOutcome, FetchReason, MAX_JWKS_BYTES};
use super::keys::VerifyingKey;
use super::pem::{KeyDocumentError, p256_point};
use super::sources::{Absence, Shared, Source, Store, duration_ms, later, lock};
use crate::error::{Error, ErrorKind};

/// Why a fetch is started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    /// A key is missing: within the cool-down and back-off.
    Routine,
    /// A per-kid key is older than the refresh interval: within the
    /// back-off only (others' unknown kids do not hold it up).
    Refresh,
    /// Now, whatever the cool-down and back-off say.
    Force(FetchReason),
}

/// What a fetch brought.
enum Fetched {
    /// A key set, stored, with its number of keys.
    Set(usize),
    /// The key for the kid.
    Key(VerifyingKey),
    /// No usable key for the kid (not a failure of the endpoint).
    Absent(Absence, String),
    Failed(String),
}

impl Shared {
    pub(super) fn unavailable(&self, source: &Source) -> Error {
        let gate = lock(&source.gate);
        let last = gate
            .last_error
            .clone()
            .unwrap_or_else(|| "no key has been fetched yet".to_owned());
        let wait = gate.next_attempt.map_or(Duration::ZERO, |at| {
            at.saturating_duration_since(Instant::now())
        });
        drop(gate);
        let what = match source.store {
            Store::Set(_) => "the key set at",
            Store::PerKid(_) => "the key endpoint",
        };
        Error::new(
            ErrorKind::JwksUnavailable,
            format!(
                "{what} {} is unavailable ({last}); retrying in {} s",
                source.url(),
                wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
            ),
        )
        .with_retry_after(wait.max(Duration::from_secs(1)))
    }

    /// Start fetching `kid` (a per-kid source) or the key set of source
    /// `index`, unless a fetch is under way (then join it: `true` when it
    /// fetches what was asked for) or the cool-down or back-off forbids it
    /// (`None`, as without a runtime). The fetch runs as a task of its
    /// own; the receiver says when it is over.
    pub(super) fn start(
        self: &Arc<Self>,
        index: usize,
        kid: &str,
        mode: Mode,
    ) -> Option<(watch::Receiver<bool>, bool)> {
        let source = &self.sources[index];
        let per_kid = matches!(source.store, Store::PerKid(_));
        let kid = if per_kid { kid } else { "" };
        let mut gate = lock(&source.gate);
        if let Some((fetching, fetch)) = &gate.in_flight
            // A fetch whose task vanished (its runtime shut down) never
            // finishes: start another.
            && fetch.has_changed().is_ok()
        {
            return Some((fetch.clone(), **fetching == *kid));
        }
        // The fetch that stored the key may have ended since the caller
        // looked (it stores before it leaves the gate): nothing to fetch.
        if mode == Mode::Routine && self.holds(index, kid) {
            return None;
        }
        let now = Instant::now();
        let waiting = gate.next_attempt.is_some_and(|at| now < at);
        let held_back = match mode {
            Mode::Force(_) => false,
            Mode::Routine => waiting,
            Mode::Refresh => waiting && gate.failures > 0,
        };
        if held_back {
            return None;
        }
        let runtime = self.runtime()?;
        let reason = match mode {
            Mode::Force(reason) => reason,
            Mode::Refresh => FetchReason::Refresh,
            Mode::Routine if per_kid => FetchReason::UnknownKid,
            Mode::Routine => match source.usable_set(self) {
                None if !gate.attempted => FetchReason::Cold,
                None => FetchReason::Retry,
                Some(set) if set.fetched_at.elapsed() >= self.refresh_at() => FetchReason::Refresh,
                Some(_) => FetchReason::UnknownKid,
            },
        };
        let (done, fetch) = watch::channel(false);
        gate.in_flight = Some((kid.into(), fetch.clone()));
        gate.attempted = true;
        drop(gate);
        let shared = Arc::clone(self);
        let kid = kid.to_owned();
        runtime.spawn(async move {
            shared.fetch(index, &kid, reason).await;
            lock(&shared.sources[index].gate).in_flight = None;
            let _ = done.send(true);
            shared.keep_refreshing();
        });
        Some((fetch, true))
    }

    /// How old a set is when its background refresh starts.
    fn refresh_at(&self) -> Duration {
        self.settings
            .refresh_interval
            .saturating_sub(self.settings.refresh_ahead())
    }

    /// Fetch, store, log and count, in the fetch's span: at INFO, named
    /// `cognito_jwt.key_fetch`, with the URL's scheme, host and port (never
    /// its path or query), the reason, and once over the outcome and the
    /// duration.
    async fn fetch(&self, index: usize, kid: &str, reason: FetchReason) {
        let source = &self.sources[index];
        let span = tracing::info_span!(
            "cognito_jwt.key_fetch",
            "http.request.method" = "GET",
            "url.scheme" = tracing::field::Empty,
            "server.address" = tracing::field::Empty,
            "server.port" = tracing::field::Empty,
            "cognito_jwt.verifier" = self.metrics.verifier(),
            "cognito_jwt.fetch.reason" = reason.as_str(),
            "cognito_jwt.fetch.outcome" = tracing::field::Empty,
            "cognito_jwt.fetch.duration_ms" = tracing::field::Empty,
            "error.type" = tracing::field::Empty,
            "otel.status_code" = tracing::field::Empty,
        );
        let started = Instant::now();
        let (fetched, url) = async {
            match &source.store {
                Store::Set(_) => match self.resolve(source).await {
                    Ok(url) => (
                        self.get(&url)
                            .await
                            .and_then(|body| self.load(index, &body, Instant::now(), true))
                            .map_or_else(Fetched::Failed, Fetched::Set),
                        url,
                    ),
                    Err(message) => (Fetched::Failed(message), source.url()),
                },
                Store::PerKid(_) => {
                    let url: Arc<str> = format!("{}/{kid}", source.configured).into();
                    (self.get_key(&url, kid).await, url)
                }
            }
        }
        .instrument(span.clone())
        .await;
        let duration_ms = duration_ms(started.elapsed());
        let reason_name = reason.as_str();
        let _in_span = span.enter();
        record_fetch(&span, &url, &fetched, duration_ms);
        let mut gate = lock(&source.gate);
        match fetched {
            Fetched::Set(keys) => {
                drop(gate);
                self.metrics.fetched(reason, FetchOutcome::Ok);
                tracing::info!(%url, reason = reason_name, duration_ms, keys, "fetched key set");
            }
            Fetched::Key(key) => {
                drop(gate);
                self.store_key(index, kid, key);
                let now = Instant::now();
                let mut gate = lock(&source.gate);
                gate.failures = 0;
                gate.last_error = None;
                // A refresh may run during the cool-down others' unknown
                // kids started: that stays.
                gate.next_attempt = gate.next_attempt.filter(|at| now < *at);
                gate.last_success = Some(now);
                drop(gate);
                self.metrics.fetched(reason, FetchOutcome::Ok);
                tracing::info!(%url, reason = reason_name, duration_ms, "fetched key");
            }
            Fetched::Absent(why, message) => {
                drop(gate);
                let until = self.store_absence(index, kid, why);
                let mut gate = lock(&source.gate);
                gate.failures = 0;
                gate.last_error = None;
                gate.next_attempt = Some(until);
                gate.last_success = Some(Instant::now());
                drop(gate);
                self.metrics.fetched(reason, FetchOutcome::NotFound);
                tracing::debug!(%url, reason = reason_name, duration_ms, error = %message, "no usable key for the kid");
            }
            Fetched::Failed(message) => {
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
                    reason = reason_name,
                    duration_ms,
                    failures,
                    retry_in_ms = u64::try_from(backoff.as_millis()).unwrap_or(u64::MAX),
                    error = %message,
                    "{}",
                    match source.store {
                        Store::Set(_) => "key-set fetch failed",
                        Store::PerKid(_) => "key fetch failed",
                    }
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

    /// One document, within the fetch time-out and the size cap; a 404 (or
    /// the 403 an S3 key bucket answers for a missing object) is
    /// `Ok(None)` when `absent_ok`.
    async fn fetch_body(&self, url: &str, absent_ok: bool) -> Result<Option<Vec<u8>>, String> {
        match tokio::time::timeout(self.settings.fetch_timeout, self.fetcher.fetch(url)).await {
            Err(_) => Err(format!(
                "no complete response within {} ms",
                self.settings.fetch_timeout.as_millis()
            )),
            Ok(Err(e)) if absent_ok && matches!(e.status(), Some(404 | 403)) => Ok(None),
            Ok(Err(e)) => Err(e.to_string()),
            Ok(Ok(body)) if body.len() > MAX_JWKS_BYTES => Err(format!(
                "the response is larger than {} KiB",
                MAX_JWKS_BYTES / 1024
            )),
            Ok(Ok(body)) => Ok(Some(body)),
        }
    }

    /// A key-set (or discovery) document.
    async fn get(&self, url: &str) -> Result<Vec<u8>, String> {
        self.fetch_body(url, false)
            .await
            .map(Option::unwrap_or_default)
    }

    /// The key document of one kid, read as a P-256 key.
    async fn get_key(&self, url: &str, kid: &str) -> Fetched {
        match self.fetch_body(url, true).await {
            Err(message) => Fetched::Failed(message),
            Ok(None) => Fetched::Absent(
                Absence::NotFound,
                "the endpoint has no key with this kid".to_owned(),
            ),
            Ok(Some(body)) => match p256_point(&body) {
                Ok(point) => match VerifyingKey::es256(kid, &point) {
                    Ok(key) => Fetched::Key(key),
                    Err(reason) => Fetched::Failed(reason.to_owned()),
                },
                Err(KeyDocumentError::NotP256) => Fetched::Absent(
                    Absence::Unusable,
                    "the document is a public key of another type than P-256".to_owned(),
                ),
                Err(KeyDocumentError::Unreadable(reason)) => Fetched::Failed(reason.to_owned()),
            },
        }
    }

    /// Make sure every source with a key set has its refresh-ahead task.
    /// Cheap when they run (one atomic load per source).
    pub(super) fn keep_refreshing(self: &Arc<Self>) {
        for (index, source) in self.sources.iter().enumerate() {
            if source.refreshing.load(Ordering::Acquire) || !source.has_set() {
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
        let set_age = match &source.store {
            Store::Set(set) => set
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .as_ref()
                .map(|set| set.fetched_at.elapsed()),
            Store::PerKid(_) => None,
        };
        let until_refresh =
            set_age.map_or(Duration::ZERO, |age| self.refresh_at().saturating_sub(age));
        let until_allowed = lock(&source.gate)
            .next_attempt
            .map_or(Duration::ZERO, |at| {
                at.saturating_duration_since(Instant::now())
            });
        until_refresh.max(until_allowed)
    }
}

/// The fetch's outcome and duration, and where it went, in its span.
fn record_fetch(span: &Span, url: &str, fetched: &Fetched, duration_ms: u64) {
    if span.is_disabled() {
        return;
    }
    let (scheme, host, port) = url_parts(url);
    span.record("url.scheme", scheme);
    span.record("server.address", host);
    span.record("server.port", port);
    span.record("cognito_jwt.fetch.duration_ms", duration_ms);
    let outcome = match fetched {
        Fetched::Set(_) | Fetched::Key(_) => FetchOutcome::Ok,
        Fetched::Absent(..) => FetchOutcome::NotFound,
        Fetched::Failed(_) => FetchOutcome::Error,
    };
    span.record("cognito_jwt.fetch.outcome", outcome.as_str());
    if outcome == FetchOutcome::Error {
        // What verifications that needed the key are refused with.
        span.record("error.type", ErrorKind::JwksUnavailable.as_str());
        span.record("otel.status_code", "ERROR");
    }
}

/// The scheme, host and port of a URL (`None` where it has none), read
/// without a URL parser: the host is what lies between `://` (and any
/// `user@`) and the first `/`, `?` or `#`, less a `:port`; an IPv6
/// address loses its brackets. Nothing after the host is returned, so no
/// path or query (which may name a tenant or carry a key) reaches a span.
fn url_parts(url: &str) -> (Option<&str>, &str, Option<u16>) {
    let (scheme, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (Some(scheme), rest),
        None => (None, url),
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host_port)| host_port);
    let (host, port) = match host_port.strip_prefix('[') {
        Some(bracketed) => match bracketed.split_once(']') {
            Some((host, after)) => (host, after.strip_prefix(':')),
            None => (bracketed, None),
        },
        None => match host_port.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (host_port, None),
        },
    };
    (scheme, host, port.and_then(|port| port.parse().ok()))
}

/// The refresh-ahead task of one key set: sleeps until the set is due
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
                shared.start(index, "", Mode::Routine)
            }
            Some(_) => None,
            None => return,
        };
        if let Some((mut fetch, _)) = fetch {
            let _ = fetch.wait_for(|done| *done).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::url_parts;

    #[test]
    fn a_span_names_the_host_never_the_path_or_query() {
        for (url, parts) in [
            (
                "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Abc/.well-known/jwks.json",
                (Some("https"), "cognito-idp.eu-west-1.amazonaws.com", None),
            ),
            (
                "http://127.0.0.1:8080/jwks?tenant=secret#frag",
                (Some("http"), "127.0.0.1", Some(8080)),
            ),
            (
                "https://user:pass@keys.example:443?k=v",
                (Some("https"), "keys.example", Some(443)),
            ),
            (
                "https://[::1]:9000/keys",
                (Some("https"), "::1", Some(9000)),
            ),
            ("https://[::1]/keys", (Some("https"), "::1", None)),
            (
                "https://idp.example#x/y",
                (Some("https"), "idp.example", None),
            ),
            (
                "https://idp.example:http/x",
                (Some("https"), "idp.example", None),
            ),
            ("idp.example/path@x", (None, "idp.example", None)),
            ("", (None, "", None)),
        ] {
            assert_eq!(url_parts(url), parts, "{url}");
        }
    }
}
