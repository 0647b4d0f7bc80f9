//! The readiness answer every adapter serves: whether every key set has
//! usable keys, as a bounded summary fit for unauthenticated callers.

use serde::Serialize;

use crate::Verify;
use crate::health::{Health, KeySetState};

/// A readiness probe's answer, framework-free: 200 when every key set has
/// usable keys, otherwise 503 with `Retry-After`.
///
/// The body is one bounded schema for every verifier kind, safe to serve
/// to anyone: no URLs, host names or error text (a fetch error can carry
/// an internal host name or credentials), no token or key material.
///
/// - Configured issuers (user pools, OpenID Connect issuers, load
///   balancers): one entry per key set, named as the configuration names
///   it (the pool id, `issuer[i]`, `load_balancer_arn[i]`; see
///   [`KeySetHealth::name`](crate::KeySetHealth::name)), with its state
///   (`fresh`, `stale`, `unavailable` or `never_fetched`) and `age_secs`,
///   the seconds since the key set in use was fetched, `null` when none is
///   held (never fetched, or unavailable):
///   `{"ready":true,"key_sets":[{"name":"eu-west-1_AbC123","state":"fresh","age_secs":40}]}`.
/// - Issuers allowed by an [`IssuerResolver`](crate::IssuerResolver):
///   counts only, so the body neither lists tenants nor grows with
///   [`max_issuers`](crate::JwtVerifierBuilder::max_issuers):
///   `{"ready":true,"issuers":{"resolved":12,"usable":11,"unavailable":1}}`
///   (`resolved` counts the issuers remembered, `usable` those whose key
///   set verifies tokens now, `unavailable` those whose key set cannot be
///   fetched; the rest were not fetched yet).
///
/// - With a [`RevocationList`](crate::RevocationList), both add its state
///   (`local`, `synced`, `stale`, `never_synced` or `full`) and `age_secs`,
///   the seconds since its shared store last answered (`null` when it never
///   did, or no store feeds it):
///   `"revocation":{"state":"synced","age_secs":3}`. Out of sync, the answer
///   is 503 under the closed failure policy, and 200 under the open one.
///
/// Per key-set detail (URLs, last errors, number of keys) stays in
/// [`health`](crate::Verify::health), for the operator's own endpoints.
///
/// ```
/// use cognito_jwt_core::http::Readiness;
/// use cognito_jwt_core::{CognitoJwtVerifier, TokenUse, UserPool};
///
/// let verifier = CognitoJwtVerifier::builder()
///     .user_pool(UserPool::new("eu-west-1_AbC123").client_id("c").token_use(TokenUse::Access))
///     .build()?;
/// let answer = Readiness::of(&verifier);
/// assert_eq!(answer.status(), 503); // nothing fetched yet
/// assert_eq!(answer.retry_after_secs(), Some(1));
/// assert_eq!(
///     answer.body_json(),
///     r#"{"ready":false,"key_sets":[{"name":"eu-west-1_AbC123","state":"never_fetched","age_secs":null}]}"#
/// );
/// # Ok::<(), cognito_jwt_core::ConfigError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Readiness {
    health: Health,
}

/// The body for configured key sets.
#[derive(Serialize)]
struct KeySetsBody<'a> {
    ready: bool,
    key_sets: Vec<KeySetSummary<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    revocation: Option<RevocationSummary>,
}

/// A revocation list's state and the seconds since its store answered.
#[derive(Serialize)]
struct RevocationSummary {
    state: &'static str,
    age_secs: Option<u64>,
}

#[derive(Serialize)]
struct KeySetSummary<'a> {
    name: &'a str,
    state: &'static str,
    age_secs: Option<u64>,
}

/// The body for resolved issuers.
#[derive(Serialize)]
struct IssuersBody {
    ready: bool,
    issuers: IssuerCounts,
    #[serde(skip_serializing_if = "Option::is_none")]
    revocation: Option<RevocationSummary>,
}

#[derive(Serialize)]
struct IssuerCounts {
    resolved: usize,
    usable: usize,
    unavailable: usize,
}

impl Readiness {
    /// The readiness of `verifier` (either kind) now.
    pub fn of(verifier: &impl Verify) -> Self {
        Self {
            health: verifier.health(),
        }
    }

    /// Whether every key set has usable keys (and the revocation list, if
    /// any, is in sync or fails open).
    pub fn is_ready(&self) -> bool {
        self.health.ready
    }

    /// 200 when ready, 503 otherwise.
    pub fn status(&self) -> u16 {
        if self.health.ready { 200 } else { 503 }
    }

    /// Seconds for `Retry-After` when not ready.
    pub fn retry_after_secs(&self) -> Option<u64> {
        self.health.retry_after_secs()
    }

    /// The JSON body (`application/json`): see [`Readiness`] for its
    /// two shapes.
    pub fn body_json(&self) -> String {
        let ready = self.health.ready;
        let revocation = || {
            self.health
                .revocation
                .as_ref()
                .map(|revocation| RevocationSummary {
                    state: revocation.state.as_str(),
                    age_secs: revocation.state.age_secs(),
                })
        };
        let body = if self.health.is_resolved() {
            let key_sets = &self.health.key_sets;
            serde_json::to_string(&IssuersBody {
                ready,
                issuers: IssuerCounts {
                    resolved: key_sets.len(),
                    usable: key_sets.iter().filter(|k| k.state.is_usable()).count(),
                    unavailable: key_sets
                        .iter()
                        .filter(|k| matches!(k.state, KeySetState::Unavailable { .. }))
                        .count(),
                },
                revocation: revocation(),
            })
        } else {
            serde_json::to_string(&KeySetsBody {
                ready,
                key_sets: self
                    .health
                    .key_sets
                    .iter()
                    .map(|k| KeySetSummary {
                        name: &k.name,
                        state: k.state.as_str(),
                        age_secs: k.age_secs(),
                    })
                    .collect(),
                revocation: revocation(),
            })
        };
        body.unwrap_or_else(|_| format!("{{\"ready\":{ready}}}"))
    }
}

/// The readiness of a verifier whose [`Health`] you hold, such as an
/// [`AlbJwtVerifier`](crate::AlbJwtVerifier)'s.
impl From<Health> for Readiness {
    fn from(health: Health) -> Self {
        Self { health }
    }
}
