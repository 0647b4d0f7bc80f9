//! What a revocation list can say about itself.

use std::fmt;
use std::time::Duration;

use serde::Serialize;
use serde::ser::SerializeStruct;

use super::list::RevocationFailure;

/// Whether a [`RevocationList`](crate::RevocationList) can be trusted now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RevocationState {
    /// Held in this process only: always in sync.
    Local,
    /// Fed by a shared store that answered within the maximum staleness.
    Synced {
        /// Time since the store last answered.
        age: Duration,
    },
    /// Fed by a shared store that has not answered within the maximum
    /// staleness.
    Stale {
        /// Time since the store last answered.
        age: Duration,
    },
    /// Fed by a shared store that has never answered.
    NeverSynced,
    /// A revocation found no room: out of sync until there is.
    Full,
}

impl RevocationState {
    /// The state's name: `local`, `synced`, `stale`, `never_synced` or
    /// `full`.
    pub const fn as_str(&self) -> &'static str {
        match self {
            RevocationState::Local => "local",
            RevocationState::Synced { .. } => "synced",
            RevocationState::Stale { .. } => "stale",
            RevocationState::NeverSynced => "never_synced",
            RevocationState::Full => "full",
        }
    }

    /// Whether every revocation made anywhere is known here.
    pub const fn is_in_sync(&self) -> bool {
        matches!(
            self,
            RevocationState::Local | RevocationState::Synced { .. }
        )
    }

    /// Seconds since the shared store last answered, if it ever did.
    pub fn age_secs(&self) -> Option<u64> {
        match self {
            RevocationState::Synced { age } | RevocationState::Stale { age } => Some(age.as_secs()),
            _ => None,
        }
    }
}

impl fmt::Display for RevocationState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The health of a revocation list: its state, size and policy. Carries no
/// store address or error text.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RevocationHealth {
    /// Whether it can be trusted now.
    pub state: RevocationState,
    /// Entries held.
    pub entries: usize,
    /// The bound on entries.
    pub max_entries: usize,
    /// What verification does while it is out of sync.
    pub failure: RevocationFailure,
}

impl RevocationHealth {
    pub(crate) fn new(
        state: RevocationState,
        entries: usize,
        max_entries: usize,
        failure: RevocationFailure,
    ) -> Self {
        Self {
            state,
            entries,
            max_entries,
            failure,
        }
    }

    /// Whether verification can go on: in sync, or out of sync under the
    /// open policy (then [`is_degraded`](Self::is_degraded)).
    pub fn is_ready(&self) -> bool {
        self.state.is_in_sync() || self.failure == RevocationFailure::Open
    }

    /// Out of sync, verifying anyway under the open policy.
    pub fn is_degraded(&self) -> bool {
        !self.state.is_in_sync() && self.failure == RevocationFailure::Open
    }
}

impl Serialize for RevocationHealth {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut out = serializer.serialize_struct("RevocationHealth", 5)?;
        out.serialize_field("state", self.state.as_str())?;
        out.serialize_field("age_secs", &self.state.age_secs())?;
        out.serialize_field("entries", &self.entries)?;
        out.serialize_field("max_entries", &self.max_entries)?;
        out.serialize_field(
            "failure",
            match self.failure {
                RevocationFailure::Closed => "closed",
                RevocationFailure::Open => "open",
            },
        )?;
        out.end()
    }
}
