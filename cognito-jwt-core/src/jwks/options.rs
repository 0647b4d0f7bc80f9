//! The timings and limits of a verifier's key sets, with their bounds.

use std::time::Duration;

use crate::error::ConfigError;

/// The timings and limits of a verifier's key sets: how often they are
/// refreshed, how long they outlive failed refreshes, how fetches are
/// bounded and spaced. Every verifier builder takes one through
/// `key_set_options`; each setting keeps its default until set.
///
/// The bounds are checked when the verifier is built: a setting outside
/// its range fails `build` with a [`ConfigError`] naming it
/// `key_set_options.<setter>` (`key_set_options.cooldown`,
/// `key_set_options.refresh_interval`, `key_set_options.max_staleness`,
/// `key_set_options.fetch_timeout`, `key_set_options.connect_timeout` or
/// `key_set_options.backoff`).
///
/// ```
/// use std::time::Duration;
/// use cognito_jwt_core::{CognitoJwtVerifier, KeySetOptions, TokenUse, UserPool};
///
/// # fn main() -> Result<(), cognito_jwt_core::ConfigError> {
/// let verifier = CognitoJwtVerifier::builder()
///     .user_pool(
///         UserPool::new("eu-west-1_AbCdEf123")
///             .client_id("1example23456789")
///             .token_use(TokenUse::Access),
///     )
///     .key_set_options(
///         KeySetOptions::default()
///             .refresh_interval(Duration::from_secs(5 * 60))
///             .cooldown(Duration::from_secs(30)),
///     )
///     .build()?;
/// # drop(verifier);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
#[must_use]
pub struct KeySetOptions {
    pub(crate) cooldown: Duration,
    pub(crate) refresh_interval: Duration,
    pub(crate) max_staleness: Duration,
    pub(crate) fetch_timeout: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) min_backoff: Duration,
    pub(crate) max_backoff: Duration,
}

impl Default for KeySetOptions {
    fn default() -> Self {
        Self {
            cooldown: Duration::from_secs(10),
            refresh_interval: Duration::from_secs(15 * 60),
            max_staleness: Duration::from_secs(24 * 60 * 60),
            fetch_timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(2),
            min_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
        }
    }
}

impl KeySetOptions {
    /// How long to wait, after fetching, before fetching again because a
    /// token named an unknown `kid`. Defaults to 10 seconds; 100 ms to 1
    /// hour. A flood of random `kid`s causes at most one fetch per window
    /// and key-set URL.
    ///
    /// For [`AlbJwtVerifier`](crate::AlbJwtVerifier): after the key
    /// endpoint says it has no key for a kid (HTTP 404, or the 403 of an
    /// S3 key bucket) or publishes one that is not a P-256 key, that kid
    /// is refused as unknown, and no other new kid is fetched from that
    /// endpoint, for this long.
    pub fn cooldown(mut self, cooldown: Duration) -> Self {
        self.cooldown = cooldown;
        self
    }

    /// How often key sets (for the ALB verifier, each fetched key) are
    /// fetched again, so that keys withdrawn upstream stop verifying
    /// within one interval. Defaults to 15 minutes; 100 ms to 7 days.
    ///
    /// Refreshes run in the background, shortly before a set is due (by
    /// the fetch time-out, at most half the interval; an ALB key, when a
    /// token uses it after the interval): no request waits for one. They
    /// need a Tokio runtime: the caller's, or the one the verifier was
    /// built or first used on.
    pub fn refresh_interval(mut self, interval: Duration) -> Self {
        self.refresh_interval = interval;
        self
    }

    /// How long a key set (or ALB key) stays usable after its last
    /// successful fetch while refreshes fail. Defaults to 24 hours; at
    /// least the refresh interval, at most 30 days. After that,
    /// verification reports
    /// [`ErrorKind::JwksUnavailable`](crate::ErrorKind::JwksUnavailable)
    /// until a fetch succeeds.
    pub fn max_staleness(mut self, max: Duration) -> Self {
        self.max_staleness = max;
        self
    }

    /// Total time allowed for one fetch (a key set, an ALB key, or a
    /// discovery document), body included. Defaults to 5 seconds; 1 ms to
    /// 5 minutes. Waiting verifications are released when it fires.
    pub fn fetch_timeout(mut self, timeout: Duration) -> Self {
        self.fetch_timeout = timeout;
        self
    }

    /// Connect time-out of the default fetcher (unused with a fetcher of
    /// your own). Defaults to 2 seconds; 1 ms to 5 minutes.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Back-off after failed fetches: `min` after the first failure,
    /// doubling up to `max`. Defaults to 1 second and 60 seconds; each
    /// 10 ms to 1 hour, `min` at most `max`.
    pub fn backoff(mut self, min: Duration, max: Duration) -> Self {
        self.min_backoff = min;
        self.max_backoff = max;
        self
    }

    /// How long before a set is due its background refresh starts: the
    /// fetch time-out, at most half the interval.
    pub(crate) fn refresh_ahead(&self) -> Duration {
        self.fetch_timeout.min(self.refresh_interval / 2)
    }

    /// Check every bound. Zero cool-downs and back-offs would void the
    /// bound on fetches caused by unknown `kid`s; absurd values would
    /// overflow time arithmetic or keep keys forever.
    /// A setting out of range is named `key_set_options.<setter>`.
    pub(crate) fn check(&self) -> Result<(), ConfigError> {
        const MS: Duration = Duration::from_millis(1);
        const MINUTE: Duration = Duration::from_secs(60);
        const HOUR: Duration = Duration::from_secs(3600);
        const DAY: Duration = Duration::from_secs(24 * 3600);
        for (name, value, min, max) in [
            ("key_set_options.cooldown", self.cooldown, 100 * MS, HOUR),
            (
                "key_set_options.refresh_interval",
                self.refresh_interval,
                100 * MS,
                7 * DAY,
            ),
            (
                "key_set_options.max_staleness",
                self.max_staleness,
                100 * MS,
                30 * DAY,
            ),
            (
                "key_set_options.fetch_timeout",
                self.fetch_timeout,
                MS,
                5 * MINUTE,
            ),
            (
                "key_set_options.connect_timeout",
                self.connect_timeout,
                MS,
                5 * MINUTE,
            ),
            ("key_set_options.backoff", self.min_backoff, 10 * MS, HOUR),
            ("key_set_options.backoff", self.max_backoff, 10 * MS, HOUR),
        ] {
            if value < min || value > max {
                return Err(ConfigError::invalid(
                    name,
                    format!("{value:?} is outside the accepted range {min:?} to {max:?}",),
                ));
            }
        }
        if self.max_staleness < self.refresh_interval {
            return Err(ConfigError::invalid(
                "key_set_options.max_staleness",
                "it must be at least the refresh interval, or keys would vanish before a refresh",
            ));
        }
        if self.min_backoff > self.max_backoff {
            return Err(ConfigError::invalid(
                "key_set_options.backoff",
                "min must not exceed max",
            ));
        }
        Ok(())
    }
}
