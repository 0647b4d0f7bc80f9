//! Key-set documents loaded at start-up (bundled with a Lambda function, or
//! written by `cognito-jwt jwks`), and how old they are.

use std::time::{Duration, SystemTime};

use super::keys::fetched_at_field;

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
