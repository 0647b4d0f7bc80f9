//! DPoP proofs seen by any replica: a [`ProofReplay`] that records each
//! proof with one `SET <key> 1 NX PXAT <expiry>`, answered before the
//! proof is accepted, so that two replicas can never both accept it
//! (pub/sub, as revocations use, would leave a window where both do).

use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use cognito_jwt_core::{ConfigError, FirstUse, ProofReplay, ReplayUnavailable};
use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Client, Connection};

use crate::store::{client_for, describe};

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
/// to "no I/O on the request path"). The verifiers' async methods (and so
/// the adapters) await it without blocking the runtime's thread, over one
/// multiplexed connection that concurrent checks share; it needs a Tokio
/// runtime with timers (what `#[tokio::main]`, axum and actix-web run),
/// and outside any Tokio runtime it answers as the synchronous path does.
/// That path ([`ProofReplay::first_use`]) blocks its thread, over one
/// connection that checks wait their turn for. Either connection is made
/// again after any failure.
pub struct RedisReplayStore {
    client: Client,
    connection: Mutex<Option<Connection>>,
    shared: Mutex<Option<MultiplexedConnection>>,
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
            shared: Mutex::new(None),
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

    /// How long a check may wait for Redis, connecting included. Defaults
    /// to [`DEFAULT_REPLAY_TIMEOUT`] (250 ms).
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
        let set: Option<String> = set_command(key, expires_at_ms).query(&mut connection)?;
        // Kept only after a full answer: a connection that failed may hold
        // a half-read reply.
        *slot = Some(connection);
        Ok(set.is_some())
    }

    /// [`record`](Self::record) without blocking: on the shared
    /// multiplexed connection, within the timeout.
    async fn record_async(&self, key: &str, expires_at_ms: u64) -> Result<bool, String> {
        let attempt = async {
            let cached = self
                .shared
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone();
            let mut connection = match cached {
                Some(connection) => connection,
                None => {
                    let config = AsyncConnectionConfig::new()
                        .set_connection_timeout(Some(self.timeout))
                        .set_response_timeout(Some(self.timeout));
                    let connection = self
                        .client
                        .get_multiplexed_async_connection_with_config(&config)
                        .await?;
                    *self.shared.lock().unwrap_or_else(PoisonError::into_inner) =
                        Some(connection.clone());
                    connection
                }
            };
            let set: Option<String> = set_command(key, expires_at_ms)
                .query_async(&mut connection)
                .await?;
            Ok::<_, redis::RedisError>(set.is_some())
        };
        let answer = match tokio::time::timeout(self.timeout, attempt).await {
            Ok(Ok(first)) => return Ok(first),
            Ok(Err(error)) => describe(&error),
            Err(_) => "Redis did not answer in time".to_owned(),
        };
        // A connection that failed or hung is not used again.
        self.shared
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        Err(answer)
    }

    /// The answer for a check Redis did not answer, by the failure policy.
    fn unanswered(&self, why: &str) -> Result<bool, ReplayUnavailable> {
        match self.failure {
            ReplayFailure::Closed => {
                tracing::warn!(why, "Redis did not record a DPoP proof; refusing it");
                Err(ReplayUnavailable::new("Redis did not answer"))
            }
            ReplayFailure::Open => {
                tracing::warn!(
                    why,
                    "Redis did not record a DPoP proof; accepting it (open policy)"
                );
                Ok(true)
            }
        }
    }
}

/// `SET <prefix><key> 1 NX PXAT <expires_at_ms>`: answers `OK` only when
/// the key was not set.
fn set_command(key: &str, expires_at_ms: u64) -> redis::Cmd {
    let mut command = redis::cmd("SET");
    command
        .arg(format!("{DPOP_KEY_PREFIX}{key}"))
        .arg(1)
        .arg("NX")
        .arg("PXAT")
        .arg(expires_at_ms);
    command
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
            // By kind only: a Redis error can carry the URL.
            Err(error) => self.unanswered(&describe(&error)),
        }
    }

    fn first_use_async<'a>(
        &'a self,
        key: &'a str,
        expires_at_ms: u64,
        now_ms: u64,
    ) -> FirstUse<'a> {
        // The async client and its timer need a Tokio runtime: anywhere
        // else, the blocking path answers rather than a panic.
        if tokio::runtime::Handle::try_current().is_err() {
            return Box::pin(std::future::ready(self.first_use(
                key,
                expires_at_ms,
                now_ms,
            )));
        }
        Box::pin(async move {
            match self.record_async(key, expires_at_ms).await {
                Ok(first) => Ok(first),
                Err(why) => self.unanswered(&why),
            }
        })
    }
}
