//! Share a [`RevocationList`] between replicas through Redis (or Valkey):
//! a session signed out on one replica is refused on every replica within
//! about a second, and nothing on the request path touches the network.
//!
//! ```no_run
//! use cognito_jwt_core::{CognitoJwtVerifier, RevocationList, TokenUse, UserPool};
//! use cognito_jwt_redis::RedisRevocation;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! // Inside the Tokio runtime: the sync task starts at once, and the
//! // server starts even when Redis is unreachable (the list is then out
//! // of sync, and the failure policy applies).
//! let revocation = RedisRevocation::start("redis://127.0.0.1:6379", RevocationList::builder())?;
//! let verifier = CognitoJwtVerifier::builder()
//!     .user_pool(UserPool::new("eu-west-1_AbC123").client_id("c").token_use(TokenUse::Access))
//!     .revocation(revocation.list().clone())
//!     .build()?;
//! // On sign-out, with the caller's verified claims:
//! // revocation.list().revoke(&claims).await?;
//! # Ok(()) }
//! ```
//!
//! # How replicas stay in step
//!
//! - **A revocation is one atomic step**: `MULTI`, `SET <key> <entry> EXAT
//!   <until>`, `PUBLISH cognito-jwt:revocation <entry>`, `EXEC`; the entry
//!   is the JSON of [`RevocationEntry`](cognito_jwt_core::RevocationEntry), the key
//!   `cognito-jwt:revocation:<kind>:<issuer>:<id>` (issuer and id in
//!   base64url, so that no `:` in them can collide). Redis forgets it at
//!   `until`, as every list does.
//! - **Every replica subscribes before it loads** the whole set (`SCAN`
//!   over the key prefix, then `MGET`), then applies what arrived
//!   meanwhile: nothing published during the snapshot is lost. It loads the
//!   set again every half of the maximum staleness and after every
//!   reconnection (a revocation made while it was cut off arrives then).
//! - **In sync** means Redis answered within the maximum staleness
//!   ([`RevocationListBuilder::max_staleness`]). Past it, the list's
//!   failure policy applies: closed (the default) refuses every token with
//!   `revocation_unavailable` (HTTP 503), open verifies against what the
//!   list holds and reports itself degraded.
//!
//! # DPoP proofs across replicas
//!
//! [`RedisReplayStore`] records every DPoP proof a replica accepts with one
//! `SET cognito-jwt:dpop:<key> 1 NX PXAT <expiry>`, awaited (without
//! blocking the runtime's thread) before the proof is accepted: a proof
//! accepted by one replica is refused by every other, and Redis forgets it
//! once it is too old to be accepted anyway. When Redis does not answer,
//! its own failure policy ([`ReplayFailure`], closed by default) applies.
//!
//! Errors are reported by kind only: a Redis error can carry the URL and
//! its password.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod replay;
mod store;
mod sync;

use std::time::Duration;

use cognito_jwt_core::{ConfigError, RevocationList, RevocationListBuilder};

pub use replay::{DEFAULT_REPLAY_TIMEOUT, DPOP_KEY_PREFIX, RedisReplayStore, ReplayFailure};
pub use store::{CHANNEL, KEY_PREFIX, RedisStore, key_of};

/// The variable holding the Redis URL in every program that reads its
/// settings from the environment.
pub const REDIS_URL_VAR: &str = "REVOCATION_REDIS_URL";

/// A [`RevocationList`] kept in sync with Redis by a background task, and
/// whose revocations are written to Redis first. Dropping it stops the
/// task (the list then goes out of sync after its maximum staleness).
#[derive(Debug)]
pub struct RedisRevocation {
    list: RevocationList,
    task: tokio::task::JoinHandle<()>,
}

impl RedisRevocation {
    /// Start sharing a list with the settings of `builder` through the
    /// Redis at `url` (`redis://` or `rediss://`, with credentials and a
    /// database number if needed). Call it inside a Tokio runtime. Does no
    /// I/O: the task connects in the background, and retries for ever.
    ///
    /// # Errors
    /// A [`ConfigError`] naming `REVOCATION_REDIS_URL` when the URL does
    /// not parse (its text is not quoted back: it may hold a password),
    /// when no Tokio runtime is running, or when the list's settings are
    /// invalid.
    pub fn start(url: &str, builder: RevocationListBuilder) -> Result<Self, ConfigError> {
        let store = std::sync::Arc::new(RedisStore::open(url)?);
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| ConfigError::Invalid {
            name: REDIS_URL_VAR.to_owned(),
            problem: "RedisRevocation::start must be called inside a Tokio runtime".to_owned(),
        })?;
        let list = builder.publisher(store.clone()).build()?;
        let task = runtime.spawn(sync::run(store, list.clone()));
        Ok(Self { list, task })
    }

    /// [`start`](Self::start) from the environment: `REVOCATION_REDIS_URL`
    /// and the list's variables
    /// ([`RevocationListBuilder::from_env`]). `None` when
    /// `REVOCATION_REDIS_URL` is unset: the caller keeps a list in its own
    /// process.
    ///
    /// # Errors
    /// As [`start`](Self::start) and
    /// [`RevocationListBuilder::from_env`].
    pub fn from_env() -> Result<Option<Self>, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// [`from_env`](Self::from_env), reading each variable through
    /// `lookup` (a command-line flag's value, else the environment's).
    ///
    /// # Errors
    /// As [`from_env`](Self::from_env).
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<Self>, ConfigError> {
        let builder = RevocationList::builder().from_lookup(&lookup)?;
        match lookup(REDIS_URL_VAR) {
            Some(url) if !url.trim().is_empty() => Self::start(url.trim(), builder).map(Some),
            _ => Ok(None),
        }
    }

    /// The list: give a clone to every verifier, and revoke through it.
    pub fn list(&self) -> &RevocationList {
        &self.list
    }
}

impl Drop for RedisRevocation {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// How long one Redis operation may take before it counts as failed.
pub(crate) const OPERATION_TIMEOUT: Duration = Duration::from_secs(2);
