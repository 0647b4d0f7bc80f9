//! Revocation: signed-out sessions, revoked tokens, signed-out or disabled
//! users and revoked app clients, refused by every verifier given the list,
//! with in-memory lookups only on the request path.

mod entry;
mod env;
mod health;
mod list;
#[cfg(feature = "reqwest")]
mod probe;

pub use entry::{Revocable, RevocationEntry, RevocationKind};
pub use env::REVOCATION_ENV_VARS;
pub use health::{RevocationHealth, RevocationState};
pub use list::{
    DEFAULT_MAX_ENTRIES, DEFAULT_MAX_STALENESS, DEFAULT_SESSION_TTL, DEFAULT_TOKEN_LIFETIME,
    MAX_SESSIONS_PER_SUBJECT, PublishFuture, RevocationError, RevocationFailure, RevocationList,
    RevocationListBuilder, RevocationPublisher,
};
#[cfg(feature = "reqwest")]
pub(crate) use probe::CognitoProbe;
#[cfg(feature = "reqwest")]
pub use probe::{ADMIN_SCOPE, DEFAULT_PROBE_INTERVAL, RevocationProbe};
