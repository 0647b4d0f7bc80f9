//! DPoP proofs seen by any replica: a [`ProofReplay`] that records each
//! proof with one synchronous `SET <key> 1 NX PXAT <expiry>`, so that two
//! replicas can never both accept it (pub/sub, as revocations use, would
//! leave a window where both do).

use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use cognito_jwt_core::{ConfigError, ProofReplay, ReplayUnavailable};
use redis::{Client, Connection};

use crate::store::client_for;

/// The prefix of every recorded proof's key.
pub const DPOP_KEY_PREFIX: &str = "cognito-jwt:dpop:";

/// How long one check may wait for Redis (connecting, then the `SET`)
/// before the failure policy applies.
pub const DEFAULT_REPLAY_TIMEOUT: Duration = Duration::from_millis(250);

/// What a check does when Redis cannot answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ReplayFailure {
    /// Refuse the proof with `dpop_replay_unavailable` (HTTP 503): a
    /// replay is never accepted. The default.
    #[default]
    Closed,
    /// Fall back to remembering nothing: accept the proof (logged at
    /// warn). A proof replayed during the outage is accepted.
    Open,
}

/// DPoP proofs recorded in Redis (or Valkey), shared by every replica
/// given the same server: give it to
/// [`Dpop::replay_store`](cognito_jwt_core::Dpop::replay_store).
///
/// ```no_run
/// use cognito_jwt_core::Dpop;
/// use cognito_jwt_redis::RedisReplayStore;
///
/// # fn run() -> Result<(), cognito_jwt_core::ConfigError> {
/// let dpop = Dpop::new("https://api.example.com")
///     .replay_store(RedisReplayStore::open("redis://127.0.0.1:6379")?);
/// # Ok(()) }
/// ```
///
/// Each check is one round trip on the request path (the one exception
/// to "no I/O on the request path"), over one connection made again
/// after any failure; checks wait their turn for it.
pub struct RedisReplayStore {
    client: Client,
    connection: Mutex<Option<Connection>>,
    failure: ReplayFailure,
    timeout: Duration,
}

impl fmt::Debug for RedisReplayStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The connection info holds the password: never printed.
        f.debug_struct("RedisReplayStore")
            .field("failure", &self.failure)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl RedisReplayStore {
    /// A store on the Redis at `url` (`redis://`, `rediss://`), closed on
    /// failure. Does no I/O: it connects on its first check.
    ///
    /// # Errors
    /// A [`ConfigError`] naming `REVOCATION_REDIS_URL` when `url` does not
    /// parse (its text is not repeated: it may hold a password).
    pub fn open(url: &str) -> Result<Self, ConfigError> {
        Ok(Self {
            client: client_for(url)?,
            connection: Mutex::new(None),
            failure: ReplayFailure::default(),
            timeout: DEFAULT_REPLAY_TIMEOUT,
        })
    }

    /// What a check does when Redis cannot answer. Defaults to
    /// [`ReplayFailure::Closed`].
    #[must_use]
    pub fn failure(mut self, failure: ReplayFailure) -> Self {
        self.failure = failure;
        self
    }

    /// How long a check may wait for Redis. Defaults to
    /// [`DEFAULT_REPLAY_TIMEOUT`] (250 ms).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout.max(Duration::from_millis(1));
        self
    }

    fn record(&self, key: &str, expires_at_ms: u64) -> redis::RedisResult<bool> {
        let mut slot = self
            .connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mut connection = match slot.take() {
            Some(connection) => connection,
            None => {
                let connection = self.client.get_connection_with_timeout(self.timeout)?;
                connection.set_read_timeout(Some(self.timeout))?;
                connection.set_write_timeout(Some(self.timeout))?;
                connection
            }
        };
        let set: Option<String> = redis::cmd("SET")
            .arg(format!("{DPOP_KEY_PREFIX}{key}"))
            .arg(1)
            .arg("NX")
            .arg("PXAT")
            .arg(expires_at_ms)
            .query(&mut connection)?;
        // Kept only after a full answer: a connection that failed may hold
        // a half-read reply.
        *slot = Some(connection);
        Ok(set.is_some())
    }
}

impl ProofReplay for RedisReplayStore {
    fn first_use(
        &self,
        key: &str,
        expires_at_ms: u64,
        _now_ms: u64,
    ) -> Result<bool, ReplayUnavailable> {
        match self.record(key, expires_at_ms) {
            Ok(first) => Ok(first),
            Err(error) => {
                // By kind only: a Redis error can carry the URL.
                let kind = format!("{:?}", error.kind());
                match self.failure {
                    ReplayFailure::Closed => {
                        tracing::warn!(kind, "Redis did not record a DPoP proof; refusing it");
                        Err(ReplayUnavailable::new("Redis did not answer"))
                    }
                    ReplayFailure::Open => {
                        tracing::warn!(
                            kind,
                            "Redis did not record a DPoP proof; accepting it (open policy)"
                        );
                        Ok(true)
                    }
                }
            }
        }
    }
}
