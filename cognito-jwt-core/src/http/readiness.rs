//! The readiness answer every adapter serves: whether every key set has
//! usable keys, and the state of each.

use crate::Verify;

/// A readiness probe's answer, framework-free: 200 with
/// `{"ready":true,"key_sets":[…]}` when every key set has usable keys,
/// otherwise 503 with `Retry-After` and the same body with
/// `"ready":false`. The body names key-set URLs, states, ages and the last
/// fetch error; never a token or key material.
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
/// assert!(answer.body_json().starts_with(r#"{"ready":false"#));
/// # Ok::<(), cognito_jwt_core::ConfigError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Readiness {
    health: crate::Health,
}

impl Readiness {
    /// The readiness of `verifier` (either kind) now.
    pub fn of(verifier: &impl Verify) -> Self {
        Self {
            health: verifier.health(),
        }
    }

    /// Whether every key set has usable keys.
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

    /// The JSON body (`application/json`).
    pub fn body_json(&self) -> String {
        self.health.to_json()
    }
}
