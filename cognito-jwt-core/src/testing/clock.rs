//! A clock tests move by hand.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

/// A clock in whole seconds since 1970 that only moves when told, for
/// tests of expiry and staleness without sleeping: give it to
/// [`RevocationListBuilder::clock`](crate::RevocationListBuilder::clock).
/// Clones share one time.
///
/// ```
/// use std::time::Duration;
/// use cognito_jwt_core::testing::ManualClock;
///
/// let clock = ManualClock::at(1_767_000_000);
/// clock.advance(Duration::from_secs(61));
/// assert_eq!(clock.now(), 1_767_000_061);
/// ```
#[derive(Debug, Clone)]
pub struct ManualClock {
    secs: Arc<AtomicU64>,
}

impl ManualClock {
    /// A clock reading `unix_secs`.
    pub fn at(unix_secs: u64) -> Self {
        Self {
            secs: Arc::new(AtomicU64::new(unix_secs)),
        }
    }

    /// A clock reading the system time now.
    pub fn now_system() -> Self {
        Self::at(
            SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
        )
    }

    /// The time it reads.
    pub fn now(&self) -> u64 {
        self.secs.load(Ordering::Relaxed)
    }

    /// Move it forward by `by` (whole seconds).
    pub fn advance(&self, by: Duration) {
        self.secs.fetch_add(by.as_secs(), Ordering::Relaxed);
    }

    pub(crate) fn handle(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.secs)
    }
}
