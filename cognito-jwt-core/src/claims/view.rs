//! The read-only view of a verified token's claims.

use std::fmt;

use serde::de::DeserializeOwned;

use super::payload::Payload;
use crate::config::TokenUse;

/// A read-only view of a verified token's claims: what the custom check
/// hook sees, what group and scope requirements are checked against, and
/// what [`TokenClaims::from_view`](crate::TokenClaims::from_view) builds
/// claims from.
#[derive(Clone, Copy)]
pub struct ClaimsView<'a> {
    pub(crate) payload: &'a Payload<'a>,
    json: &'a str,
    token_use: TokenUse,
}

impl fmt::Debug for ClaimsView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClaimsView")
            .field("token_use", &self.token_use)
            .finish_non_exhaustive()
    }
}

impl<'a> ClaimsView<'a> {
    pub(crate) fn new(payload: &'a Payload<'a>, json: &'a str, token_use: TokenUse) -> Self {
        Self {
            payload,
            json,
            token_use,
        }
    }

    /// `token_use`: [`TokenUse::Id`] or [`TokenUse::Access`].
    pub fn token_use(&self) -> TokenUse {
        self.token_use
    }
    /// `iss`.
    pub fn issuer(&self) -> &str {
        self.payload.iss.as_deref().unwrap_or("")
    }
    /// `sub`: the user's id (the client id for machine-to-machine tokens).
    pub fn subject(&self) -> &str {
        self.payload.sub.as_deref().unwrap_or("")
    }
    /// The verified app client: `aud` of an ID token, `client_id` of an
    /// access token.
    pub fn client_id(&self) -> &str {
        match self.token_use {
            TokenUse::Id => self.payload.aud.as_deref(),
            TokenUse::Access => self.payload.client_id.as_deref(),
        }
        .unwrap_or("")
    }
    /// The user name: `username` of an access token, `cognito:username` of
    /// an ID token; `None` for machine-to-machine tokens.
    pub fn username(&self) -> Option<&str> {
        match self.token_use {
            TokenUse::Id => self.payload.cognito_username.as_deref(),
            TokenUse::Access => self.payload.username.as_deref(),
        }
    }
    /// `jti`, if present.
    pub fn jti(&self) -> Option<&str> {
        self.payload.jti.as_deref()
    }
    /// `origin_jti`, if present: the same for every token of one sign-in
    /// session, which makes it the claim to check against a revocation list.
    pub fn origin_jti(&self) -> Option<&str> {
        self.payload.origin_jti.as_deref()
    }
    /// `exp`, in seconds since the epoch.
    pub fn expires_at(&self) -> u64 {
        self.payload.exp.unwrap_or(0)
    }
    /// `cognito:groups` (empty when the user is in no group).
    pub fn groups(&self) -> impl Iterator<Item = &str> {
        self.payload.groups()
    }
    /// The space-separated `scope` claim of an access token, split. Always
    /// empty for ID tokens: Cognito grants scopes to access tokens only.
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        let scope = match self.token_use {
            TokenUse::Id => None,
            TokenUse::Access => self.payload.scope.as_deref(),
        };
        scope.into_iter().flat_map(split_scope)
    }
    /// The payload: the JSON object of all the token's claims.
    pub fn json(&self) -> &str {
        self.json
    }
    /// Deserialize the whole payload into any type, e.g. to read a custom claim.
    ///
    /// # Errors
    /// When the payload does not fit `T`.
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(self.json)
    }
}

/// The space-separated `scope` claim, split.
pub(crate) fn split_scope(scope: &str) -> impl Iterator<Item = &str> {
    scope.split(' ').filter(|s| !s.is_empty())
}
