//! What a verifier can say about its key sets: for the operator's own
//! dashboards, logs and endpoints. Public readiness probes serve the
//! bounded summary of [`http::Readiness`](crate::http::Readiness) instead,
//! which has no URLs or error text.

use std::fmt;
use std::time::Duration;

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

use crate::revocation::{RevocationHealth, RevocationList};

/// The state of one key set, as [`CognitoJwtVerifier::health`](crate::CognitoJwtVerifier::health)
/// reports it.
///
/// Serializes as an object with a `"state"` of `never_fetched`, `fresh`,
/// `stale` or `unavailable`, ages and waits in whole seconds, and the last
/// error's text (URLs and status codes; never a token or key material).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeySetState {
    /// Nothing has been fetched or loaded yet (verification fetches it on
    /// first use).
    NeverFetched,
    /// Usable, and refreshed within the refresh interval.
    Fresh {
        /// Time since it was fetched.
        age: Duration,
    },
    /// Usable (within the maximum staleness), but the last refresh failed
    /// or is overdue.
    Stale {
        /// Time since it was fetched.
        age: Duration,
        /// Why the last refresh failed.
        last_error: String,
    },
    /// No usable key set: tokens of this issuer are answered with
    /// [`ErrorKind::JwksUnavailable`](crate::ErrorKind::JwksUnavailable).
    Unavailable {
        /// Why the last fetch failed.
        last_error: String,
        /// When the next fetch may start.
        next_attempt_in: Duration,
    },
}

impl KeySetState {
    /// The state's name: `never_fetched`, `fresh`, `stale` or `unavailable`.
    pub const fn as_str(&self) -> &'static str {
        match self {
            KeySetState::NeverFetched => "never_fetched",
            KeySetState::Fresh { .. } => "fresh",
            KeySetState::Stale { .. } => "stale",
            KeySetState::Unavailable { .. } => "unavailable",
        }
    }

    /// Whether tokens can be verified with this key set now.
    pub const fn is_usable(&self) -> bool {
        matches!(self, KeySetState::Fresh { .. } | KeySetState::Stale { .. })
    }
}

impl fmt::Display for KeySetState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One key set's name, URL, state and number of usable keys.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeySetHealth {
    /// What the configuration calls it: the user pool id, `issuer[i]` for
    /// the OpenID Connect issuer given `i`-th, `load_balancer_arn[i]` for
    /// a load balancer's key endpoint (names joined by `, ` when several
    /// share one key set). Never a URL.
    pub name: String,
    /// The key-set URL.
    pub url: String,
    /// Its state.
    pub state: KeySetState,
    /// Usable keys held (0 unless the state is usable).
    pub keys: usize,
    /// Whether keys are fetched one by one when a token names them (a load
    /// balancer's key endpoint): never fetched is then ready, as nothing
    /// can be fetched ahead.
    on_demand: bool,
}

impl KeySetHealth {
    pub(crate) fn new(name: String, url: String, state: KeySetState, keys: usize) -> Self {
        Self {
            name,
            url,
            state,
            keys,
            on_demand: false,
        }
    }

    /// The health of a source whose keys are fetched when a token names
    /// them.
    pub(crate) fn fetched_on_demand(mut self) -> Self {
        self.on_demand = true;
        self
    }

    /// Whether it can serve: keys held, or (fetched on demand) nothing
    /// fetched yet.
    fn can_serve(&self) -> bool {
        self.state.is_usable()
            || (self.on_demand && matches!(self.state, KeySetState::NeverFetched))
    }

    /// Seconds since the key set in use was fetched; `None` when none is
    /// held (never fetched, or unavailable).
    pub fn age_secs(&self) -> Option<u64> {
        match &self.state {
            KeySetState::Fresh { age } | KeySetState::Stale { age, .. } => Some(age.as_secs()),
            KeySetState::NeverFetched | KeySetState::Unavailable { .. } => None,
        }
    }
}

impl Serialize for KeySetHealth {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut out = serializer.serialize_struct("KeySetHealth", 7)?;
        out.serialize_field("name", &self.name)?;
        out.serialize_field("url", &self.url)?;
        out.serialize_field("state", self.state.as_str())?;
        out.serialize_field("keys", &self.keys)?;
        match &self.state {
            KeySetState::NeverFetched => {}
            KeySetState::Fresh { age } => out.serialize_field("age_secs", &age.as_secs())?,
            KeySetState::Stale { age, last_error } => {
                out.serialize_field("age_secs", &age.as_secs())?;
                out.serialize_field("last_error", last_error)?;
            }
            KeySetState::Unavailable {
                last_error,
                next_attempt_in,
            } => {
                out.serialize_field("last_error", last_error)?;
                out.serialize_field(
                    "next_attempt_in_secs",
                    &next_attempt_in.as_secs_f64().ceil(),
                )?;
            }
        }
        out.end()
    }
}

/// Every key set of a verifier, and whether it is ready: every key set
/// has usable keys (a load balancer's key endpoint, whose keys are fetched
/// when a token names them, is also ready before its first fetch).
///
/// It names key-set URLs and the last fetch errors (which can carry
/// internal host names): serve it on the operator's own endpoints only.
/// A public readiness probe answers with
/// [`http::Readiness`](crate::http::Readiness).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Health {
    /// Whether every key set is usable.
    pub ready: bool,
    /// One entry per key-set URL.
    pub key_sets: Vec<KeySetHealth>,
    /// The revocation list, when the verifier has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revocation: Option<RevocationHealth>,
    /// Whether the key sets are those of issuers an
    /// [`IssuerResolver`](crate::IssuerResolver) allowed, one per issuer.
    #[serde(skip)]
    resolved: bool,
}

impl Health {
    pub(crate) fn new(key_sets: Vec<KeySetHealth>) -> Self {
        Self {
            ready: key_sets.iter().all(KeySetHealth::can_serve),
            key_sets,
            revocation: None,
            resolved: false,
        }
    }

    /// The health of a verifier whose issuers are resolved at run time:
    /// always ready (see [`JwtVerifier::health`](crate::JwtVerifier::health)).
    pub(crate) fn resolved(key_sets: Vec<KeySetHealth>) -> Self {
        Self {
            ready: true,
            key_sets,
            revocation: None,
            resolved: true,
        }
    }

    /// With the health of `list`: not ready while it is out of sync under
    /// the closed policy.
    pub(crate) fn with_revocation(mut self, list: Option<&RevocationList>) -> Self {
        if let Some(list) = list {
            let revocation = list.health();
            self.ready &= revocation.is_ready();
            self.revocation = Some(revocation);
        }
        self
    }

    /// Whether the key sets are those of the issuers an
    /// [`IssuerResolver`](crate::IssuerResolver) allowed (one each), rather
    /// than configured ones.
    pub fn is_resolved(&self) -> bool {
        self.resolved
    }

    /// Seconds a client should wait before asking again when not ready:
    /// the earliest next fetch among the unusable key sets (at least 1).
    pub fn retry_after_secs(&self) -> Option<u64> {
        if self.ready {
            return None;
        }
        let soonest = self
            .key_sets
            .iter()
            .filter_map(|k| match &k.state {
                KeySetState::Unavailable {
                    next_attempt_in, ..
                } => {
                    Some(next_attempt_in.as_secs() + u64::from(next_attempt_in.subsec_nanos() > 0))
                }
                _ => None,
            })
            .min()
            .unwrap_or(1);
        Some(soonest.max(1))
    }

    /// Every detail as JSON, for the operator's own endpoints, e.g.
    /// `{"ready":true,"key_sets":[{"name":…,"url":…,"state":"fresh","keys":2,"age_secs":40}]}`
    /// (a public readiness probe serves
    /// [`Readiness::body_json`](crate::http::Readiness::body_json)).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| format!("{{\"ready\":{}}}", self.ready))
    }
}
