//! Remembering the proofs seen, so that none is accepted twice: in memory
//! for one process ([`ReplayStore`]), or any [`ProofReplay`] shared by
//! replicas.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;

/// The default capacity of a [`ReplayStore`]: 100,000 proofs (about
/// 9 MB), a minute of 1,600 requests a second with the default window.
pub const DEFAULT_REPLAY_ENTRIES: usize = 100_000;

/// The store cannot say whether a proof is new (full, or its shared
/// store does not answer): the proof is refused with
/// [`ErrorKind::DpopReplayUnavailable`](crate::ErrorKind::DpopReplayUnavailable).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayUnavailable {
    reason: String,
}

impl ReplayUnavailable {
    /// Why, without any proof text.
    pub fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
        }
    }

    /// Why, as given.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for ReplayUnavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for ReplayUnavailable {}

/// The answer of [`ProofReplay::first_use_async`], to be awaited.
pub type FirstUse<'a> = Pin<Box<dyn Future<Output = Result<bool, ReplayUnavailable>> + Send + 'a>>;

/// Where the proofs seen are remembered. Called on the request path, once
/// per proof that passed every other check: keep it quick (the shared
/// Redis store is the one exception to "no I/O on the request path",
/// because a proof accepted by two replicas would be a replay).
///
/// The verifiers' async methods (`verify_dpop_with`, and so every
/// adapter) await [`first_use_async`](Self::first_use_async); a store that
/// does I/O implements it without blocking, so that a runtime's worker
/// serves other requests meanwhile. Its default calls
/// [`first_use`](Self::first_use), right for a store in memory.
///
/// ```
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use cognito_jwt_core::{FirstUse, ProofReplay, ReplayUnavailable};
///
/// /// Refuses every proof while "down".
/// #[derive(Debug, Default)]
/// struct Maintenance(AtomicBool);
///
/// impl ProofReplay for Maintenance {
///     fn first_use(&self, _: &str, _: u64, _: u64) -> Result<bool, ReplayUnavailable> {
///         if self.0.load(Ordering::Relaxed) {
///             return Err(ReplayUnavailable::new("the store is under maintenance"));
///         }
///         Ok(true)
///     }
///
///     fn first_use_async<'a>(&'a self, key: &'a str, expires_at_ms: u64, now_ms: u64) -> FirstUse<'a> {
///         // A networked store would await its client here.
///         Box::pin(async move { self.first_use(key, expires_at_ms, now_ms) })
///     }
/// }
/// ```
pub trait ProofReplay: fmt::Debug + Send + Sync + 'static {
    /// Record `key` (a proof's key thumbprint, a dot and its `jti`: at
    /// most 300 bytes) until `expires_at_ms` (milliseconds since
    /// 1970, after which the proof is too old anyway); `now_ms` is the
    /// time of the check. `Ok(true)` the first time, `Ok(false)` when
    /// `key` was recorded before and has not expired.
    ///
    /// # Errors
    /// [`ReplayUnavailable`] when the store cannot tell.
    fn first_use(
        &self,
        key: &str,
        expires_at_ms: u64,
        now_ms: u64,
    ) -> Result<bool, ReplayUnavailable>;

    /// [`first_use`](Self::first_use) for the async verification path: the
    /// same answer, as a future that must not block the thread polling it
    /// (wait on the network with async I/O and timers). Defaults to calling
    /// `first_use`.
    fn first_use_async<'a>(
        &'a self,
        key: &'a str,
        expires_at_ms: u64,
        now_ms: u64,
    ) -> FirstUse<'a> {
        Box::pin(std::future::ready(self.first_use(
            key,
            expires_at_ms,
            now_ms,
        )))
    }
}

/// Proofs seen by this process, in memory, bounded: when it holds
/// `max_entries` proofs that could still be accepted, it refuses new
/// proofs rather than forget one (which would let it be replayed).
/// Expired entries are dropped as new ones come.
#[derive(Debug)]
pub struct ReplayStore {
    max_entries: usize,
    seen: Mutex<Seen>,
}

#[derive(Debug, Default)]
struct Seen {
    expiry: HashMap<Box<str>, u64>,
    by_expiry: BinaryHeap<Reverse<(u64, Box<str>)>>,
}

impl ReplayStore {
    /// A store for at most `max_entries` proofs (at least 1).
    pub fn new(max_entries: usize) -> Self {
        Self {
            max_entries: max_entries.max(1),
            seen: Mutex::new(Seen::default()),
        }
    }

    /// The number of proofs remembered.
    pub fn len(&self) -> usize {
        self.lock().expiry.len()
    }

    /// Whether no proof is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl ProofReplay for ReplayStore {
    fn first_use(
        &self,
        key: &str,
        expires_at_ms: u64,
        now_ms: u64,
    ) -> Result<bool, ReplayUnavailable> {
        let mut seen = self.lock();
        while let Some(Reverse((at, _))) = seen.by_expiry.peek()
            && *at <= now_ms
        {
            if let Some(Reverse((at, old))) = seen.by_expiry.pop()
                && seen.expiry.get(&old) == Some(&at)
            {
                seen.expiry.remove(&old);
            }
        }
        if seen.expiry.get(key).is_some_and(|&at| at > now_ms) {
            return Ok(false);
        }
        if seen.expiry.len() >= self.max_entries {
            return Err(ReplayUnavailable::new(
                "the DPoP replay store is full of proofs that could still be replayed",
            ));
        }
        seen.expiry.insert(key.into(), expires_at_ms);
        seen.by_expiry.push(Reverse((expires_at_ms, key.into())));
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_new_once_until_it_expires_and_a_full_store_refuses() {
        let store = ReplayStore::new(2);
        assert_eq!(store.first_use("a", 1_000, 0), Ok(true));
        assert_eq!(store.first_use("a", 1_000, 10), Ok(false));
        assert_eq!(store.first_use("b", 2_000, 10), Ok(true));
        assert!(store.first_use("c", 2_000, 10).is_err());
        assert_eq!(store.first_use("a", 1_000, 10), Ok(false));
        assert_eq!(store.first_use("c", 3_000, 1_000), Ok(true));
        assert_eq!(
            store.first_use("a", 3_000, 1_000),
            Err(ReplayUnavailable::new(
                "the DPoP replay store is full of proofs that could still be replayed"
            ))
        );
        assert_eq!(store.len(), 2);
        assert_eq!(store.first_use("a", 4_000, 2_000), Ok(true));
    }
}
