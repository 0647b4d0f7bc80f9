//! The builder of a [`CognitoJwtVerifier`]: every setting, its default,
//! and the checks `build()` makes before any request is served.

use std::fmt;
use std::sync::Arc;

use crate::claims::ClaimsView;
use crate::engine::{Common, MIN_TOKEN_CACHE_BYTES, common_setters};
use crate::error::ConfigError;

use super::rules::cognito_engine;
use super::user_pool::UserPool;
use super::verifier::CognitoJwtVerifier;

/// Builds a [`CognitoJwtVerifier`]. `build()` does no network I/O.
#[must_use]
#[derive(Default)]
pub struct CognitoJwtVerifierBuilder {
    pools: Vec<UserPool>,
    common: Common,
}

impl fmt::Debug for CognitoJwtVerifierBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CognitoJwtVerifierBuilder")
            .field("pools", &self.pools)
            .field("leeway", &self.common.leeway)
            .field("requirements", &self.common.requirements)
            .field("key_set_options", &self.common.key_set)
            .finish_non_exhaustive()
    }
}

impl CognitoJwtVerifier {
    /// A builder with every setting at its documented default.
    pub fn builder() -> CognitoJwtVerifierBuilder {
        CognitoJwtVerifierBuilder::default()
    }
}

impl CognitoJwtVerifierBuilder {
    /// Trust this user pool. Call once per pool.
    pub fn user_pool(mut self, pool: UserPool) -> Self {
        self.pools.push(pool);
        self
    }

    /// Require a group (`cognito:groups`) on every token; several calls
    /// mean any of them. Defaults to none. An empty or blank name fails
    /// [`build`](Self::build) with a [`ConfigError`] naming
    /// `require_any_group`.
    pub fn require_any_group(mut self, group: impl Into<String>) -> Self {
        self.common.requirements = self.common.requirements.any_group(group);
        self
    }

    /// Run `check` on every verified token, after all built-in checks; an
    /// `Err` refuses the token with [`ErrorKind::CustomCheckFailed`](crate::ErrorKind::CustomCheckFailed) and the
    /// given reason (do not put claim values in it: it reaches logs).
    ///
    /// ```
    /// # use cognito_jwt_core::{AcceptedTokenUse, CognitoJwtVerifier, UserPool};
    /// use std::collections::HashSet;
    /// use std::sync::{Arc, RwLock};
    ///
    /// let revoked: Arc<RwLock<HashSet<String>>> = Arc::default();
    /// let deny_list = Arc::clone(&revoked);
    /// let verifier = CognitoJwtVerifier::builder()
    ///     .user_pool(UserPool::new("eu-west-1_AbC123").client_id("c").token_use(AcceptedTokenUse::Any))
    ///     .custom_check(move |claims| match claims.origin_jti() {
    ///         Some(session) if deny_list.read().unwrap().contains(session) => {
    ///             Err("the session was signed out".into())
    ///         }
    ///         _ => Ok(()),
    ///     })
    ///     .build()?;
    /// # Ok::<(), cognito_jwt_core::ConfigError>(())
    /// ```
    pub fn custom_check<F>(mut self, check: F) -> Self
    where
        F: Fn(&ClaimsView<'_>) -> Result<(), String> + Send + Sync + 'static,
    {
        self.common.custom_check = Some(Arc::new(check));
        self
    }

    /// The smallest [`token_cache_max_bytes`](Self::token_cache_max_bytes):
    /// 64 KiB, a dozen Cognito tokens. A smaller figure is more likely a
    /// number of tokens than a number of bytes.
    ///
    /// ```
    /// # use cognito_jwt_core::{CognitoJwtVerifier, TokenUse, UserPool};
    /// let verifier = CognitoJwtVerifier::builder()
    ///     .user_pool(UserPool::new("eu-west-1_AbC123").client_id("c").token_use(TokenUse::Access))
    ///     // About 14,000 Cognito access tokens.
    ///     .token_cache_max_bytes(64 * 1024 * 1024)
    ///     .build()?;
    /// # Ok::<(), cognito_jwt_core::ConfigError>(())
    /// ```
    pub const MIN_TOKEN_CACHE_BYTES: u64 = MIN_TOKEN_CACHE_BYTES;

    common_setters!("cognito", scopes);

    /// Ask Cognito's `GetUser` about verified access tokens in the
    /// background, and revoke the sessions Cognito says have ended (signed
    /// out or disabled in the console or another app): see
    /// [`RevocationProbe`](crate::RevocationProbe) for what it covers and
    /// what it costs. Needs [`revocation`](Self::revocation) (the list it
    /// writes to) and a Tokio runtime where tokens are verified. Off by
    /// default.
    #[cfg(feature = "reqwest")]
    pub fn revocation_probe(mut self, probe: crate::RevocationProbe) -> Self {
        self.common.probe = Some(probe);
        self
    }

    /// Check the configuration and build the verifier. Does no I/O.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first setting that is missing or wrong.
    pub fn build(self) -> Result<CognitoJwtVerifier, ConfigError> {
        if self.pools.is_empty() {
            return Err(ConfigError::missing(
                "user_pool".to_owned(),
                "at least one UserPool (CognitoJwtVerifierBuilder::user_pool)".to_owned(),
            ));
        }
        self.common.check()?;
        let metrics = self.common.metrics("cognito");
        Ok(CognitoJwtVerifier {
            inner: Arc::new(cognito_engine(&self.pools, self.common, metrics)?),
        })
    }
}
