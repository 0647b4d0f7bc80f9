//! What a Cognito token is: its `token_use` claim, which the claims
//! types, the claims view and the Cognito rules all read.

use std::fmt;

/// What a Cognito token is: its `token_use` claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum TokenUse {
    /// An ID token (`token_use` = `id`, client id in `aud`).
    Id,
    /// An access token (`token_use` = `access`, client id in `client_id`).
    Access,
}

impl TokenUse {
    /// `"id"` or `"access"`, as in the claim.
    pub const fn as_str(self) -> &'static str {
        match self {
            TokenUse::Id => "id",
            TokenUse::Access => "access",
        }
    }
}

impl fmt::Display for TokenUse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
