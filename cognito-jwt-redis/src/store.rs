//! Writing entries to Redis, and reading them all back.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cognito_jwt_core::{
    ConfigError, PublishFuture, RevocationEntry, RevocationError, RevocationPublisher,
};
use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Client};
use tokio::sync::Mutex;

use crate::{OPERATION_TIMEOUT, REDIS_URL_VAR};

/// The channel every revocation is published on.
pub const CHANNEL: &str = "cognito-jwt:revocation";

/// The prefix of every entry's key.
pub const KEY_PREFIX: &str = "cognito-jwt:revocation:";

/// How many keys one `SCAN` step asks for and one `MGET` reads.
const BATCH: usize = 1000;

/// The key `entry` is stored under:
/// `cognito-jwt:revocation:<kind>:<base64url issuer>:<base64url id>`.
pub fn key_of(entry: &RevocationEntry) -> String {
    format!(
        "{KEY_PREFIX}{}:{}:{}",
        entry.kind,
        URL_SAFE_NO_PAD.encode(&entry.issuer),
        URL_SAFE_NO_PAD.encode(&entry.id)
    )
}

/// A client for the Redis at `url`, with a TLS provider for `rediss://`.
/// Does no I/O.
pub(crate) fn client_for(url: &str) -> Result<Client, ConfigError> {
    if url.starts_with("rediss://") {
        // redis' rustls needs a process-wide provider; an earlier one
        // (the program's own) is kept.
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    }
    Client::open(url).map_err(|_| ConfigError::Invalid {
        name: REDIS_URL_VAR.to_owned(),
        problem: "expected a URL such as redis://host:6379 or \
                  rediss://user:password@host:6380/0 (its text is not repeated here: it may \
                  hold a password)"
            .to_owned(),
    })
}

/// One Redis server: writes entries (as a [`RevocationPublisher`]) and
/// reads the whole set. Keeps one multiplexed connection, made again after
/// any failure.
pub struct RedisStore {
    client: Client,
    connection: Mutex<Option<MultiplexedConnection>>,
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The connection info holds the password: never printed.
        f.debug_struct("RedisStore").finish_non_exhaustive()
    }
}

impl RedisStore {
    /// A store for the Redis at `url`. Does no I/O.
    ///
    /// # Errors
    /// A [`ConfigError`] naming `REVOCATION_REDIS_URL` when `url` is not a
    /// `redis://`, `rediss://` or `unix://` URL.
    pub fn open(url: &str) -> Result<Self, ConfigError> {
        Ok(Self {
            client: client_for(url)?,
            connection: Mutex::new(None),
        })
    }

    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    /// Write and publish `entry` in one transaction.
    ///
    /// # Errors
    /// [`RevocationError::Unavailable`] naming what failed (never the URL).
    pub async fn write(&self, entry: &RevocationEntry) -> Result<(), RevocationError> {
        let json = entry.to_json();
        let mut pipe = redis::pipe();
        pipe.atomic()
            .cmd("SET")
            .arg(key_of(entry))
            .arg(&json)
            .arg("EXAT")
            .arg(entry.until)
            .ignore()
            .cmd("PUBLISH")
            .arg(CHANNEL)
            .arg(&json)
            .ignore();
        let mut slot = self.connection.lock().await;
        let mut connection = match slot.take() {
            Some(connection) => connection,
            None => self.connect().await.map_err(unavailable)?,
        };
        let written: redis::RedisResult<()> = pipe.query_async(&mut connection).await;
        match written {
            Ok(()) => {
                *slot = Some(connection);
                Ok(())
            }
            Err(error) => Err(unavailable(error)),
        }
    }

    /// Every entry Redis holds now.
    pub(crate) async fn load_all(&self) -> redis::RedisResult<Vec<RevocationEntry>> {
        let mut connection = self.connect().await?;
        let pattern = format!("{KEY_PREFIX}*");
        let mut cursor: u64 = 0;
        let mut entries = Vec::new();
        let mut unreadable = 0usize;
        loop {
            let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(BATCH)
                .query_async(&mut connection)
                .await?;
            for chunk in keys.chunks(BATCH) {
                let values: Vec<Option<String>> = redis::cmd("MGET")
                    .arg(chunk)
                    .query_async(&mut connection)
                    .await?;
                for value in values.into_iter().flatten() {
                    match RevocationEntry::from_json(&value) {
                        Ok(entry) => entries.push(entry),
                        Err(_) => unreadable += 1,
                    }
                }
            }
            if next == 0 {
                break;
            }
            cursor = next;
        }
        if unreadable > 0 {
            tracing::warn!(
                unreadable,
                "cognito-jwt: Redis holds revocation keys that are not entries; they are ignored"
            );
        }
        Ok(entries)
    }

    /// A new multiplexed connection, with time-outs.
    pub(crate) async fn connect(&self) -> redis::RedisResult<MultiplexedConnection> {
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(OPERATION_TIMEOUT))
            .set_response_timeout(Some(OPERATION_TIMEOUT));
        let mut connection = self
            .client
            .get_multiplexed_async_connection_with_config(&config)
            .await?;
        // Fails now rather than at the first command if the server is not
        // answering (a `redis://` to a TLS port, say).
        let _: String = redis::cmd("PING").query_async(&mut connection).await?;
        Ok(connection)
    }
}

impl RevocationPublisher for RedisStore {
    fn publish<'a>(&'a self, entry: &'a RevocationEntry) -> PublishFuture<'a> {
        Box::pin(self.write(entry))
    }
}

/// What a failed Redis operation tells the revoker: its kind, never its
/// text (which can hold the URL).
pub(crate) fn unavailable(error: redis::RedisError) -> RevocationError {
    RevocationError::Unavailable(describe(&error))
}

/// A Redis error without its text.
pub(crate) fn describe(error: &redis::RedisError) -> String {
    if error.is_timeout() {
        "Redis did not answer in time".to_owned()
    } else if error.is_connection_refusal() {
        "Redis refused the connection".to_owned()
    } else if error.is_io_error() || error.is_connection_dropped() {
        "the connection to Redis failed".to_owned()
    } else {
        format!("Redis answered with an error ({:?})", error.kind())
    }
}
