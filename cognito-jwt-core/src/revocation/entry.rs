//! What a revocation says: one entry, its kind, and the claims a verified
//! token gives to revoke its own session.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{AccessTokenClaims, IdTokenClaims, StandardClaims};

/// What a [`RevocationEntry`] refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RevocationKind {
    /// One sign-in session: every token whose `origin_jti` is the entry's
    /// id (Cognito gives every token refreshed from one refresh token the
    /// same `origin_jti`).
    Session,
    /// One token: the token whose `jti` is the entry's id.
    Token,
    /// A user: every token whose `sub` is the entry's id and whose `iat`
    /// is at or before the entry's `at` ("sign out everywhere", a disabled
    /// user). Tokens issued later pass.
    Subject,
    /// An app client: every token whose `client_id` (or, for an ID token,
    /// `aud`) is the entry's id and whose `iat` is at or before `at`.
    Client,
}

impl RevocationKind {
    /// The kind's stable name: `session`, `token`, `subject` or `client`.
    pub const fn as_str(self) -> &'static str {
        match self {
            RevocationKind::Session => "session",
            RevocationKind::Token => "token",
            RevocationKind::Subject => "subject",
            RevocationKind::Client => "client",
        }
    }
}

impl fmt::Display for RevocationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One revocation: what it refuses, of which issuer, and until when it is
/// kept. This is also its JSON form on a shared store (the
/// `cognito-jwt-redis` crate writes and publishes exactly this):
/// `{"kind":"session","iss":"https://…","id":"…","at":1767000000,"until":1769592000}`.
///
/// Entries are keyed by issuer, kind and id: `sub` values such as `"1"`
/// mean different users at different issuers.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RevocationEntry {
    /// What it refuses.
    pub kind: RevocationKind,
    /// The issuer (`iss`) of the tokens it refuses, byte for byte.
    #[serde(rename = "iss")]
    pub issuer: String,
    /// The `origin_jti`, `jti`, `sub` or client id it names.
    pub id: String,
    /// When it was revoked (seconds since 1970). For a subject or a
    /// client, tokens issued (`iat`) at or before this second are refused.
    pub at: u64,
    /// When it may be forgotten (seconds since 1970): no token it refuses
    /// can still be valid, or minted, after it.
    pub until: u64,
    /// For a session revoked from its token: the user, so that many
    /// revoked sessions of one user collapse into one subject entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
}

impl RevocationEntry {
    /// An entry refusing `kind` `id` of `issuer`, revoked `at` and kept
    /// `until` (both in seconds since 1970).
    pub fn new(
        kind: RevocationKind,
        issuer: impl Into<String>,
        id: impl Into<String>,
        at: u64,
        until: u64,
    ) -> Self {
        Self {
            kind,
            issuer: issuer.into(),
            id: id.into(),
            at,
            until,
            sub: None,
        }
    }

    /// The same entry, naming the user whose session it is.
    #[must_use]
    pub fn of_subject(mut self, sub: impl Into<String>) -> Self {
        self.sub = Some(sub.into());
        self
    }

    /// The entry as JSON (see [`RevocationEntry`]).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// An entry read from its JSON form.
    ///
    /// # Errors
    /// When `json` is not an entry, or names an empty issuer or id.
    pub fn from_json(json: &str) -> Result<Self, serde_json::Error> {
        let entry: Self = serde_json::from_str(json)?;
        if entry.issuer.is_empty() || entry.id.is_empty() {
            return Err(serde::de::Error::custom(
                "a revocation entry needs a non-empty iss and id",
            ));
        }
        Ok(entry)
    }
}

/// Ids and issuers are claim values: shown by length only.
impl fmt::Debug for RevocationEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RevocationEntry")
            .field("kind", &self.kind)
            .field("issuer", &self.issuer)
            .field("id", &format_args!("<{} bytes>", self.id.len()))
            .field("at", &self.at)
            .field("until", &self.until)
            .finish_non_exhaustive()
    }
}

/// The claims of a verified token that
/// [`RevocationList::revoke`](crate::RevocationList::revoke) needs to end
/// its session: implemented by the built-in claims types.
pub trait Revocable {
    /// The token's issuer.
    fn issuer(&self) -> &str;
    /// The user (`sub`), if the token names one.
    fn subject(&self) -> Option<&str>;
    /// The sign-in session (`origin_jti`), if the token names one.
    fn session_id(&self) -> Option<&str> {
        None
    }
    /// The token's own id (`jti`), if any.
    fn token_id(&self) -> Option<&str>;
    /// The token's expiry (`exp`, seconds since 1970).
    fn expires_at(&self) -> u64;
}

impl Revocable for StandardClaims {
    fn issuer(&self) -> &str {
        &self.iss
    }
    fn subject(&self) -> Option<&str> {
        self.sub.as_deref()
    }
    fn session_id(&self) -> Option<&str> {
        self.origin_jti.as_deref()
    }
    fn token_id(&self) -> Option<&str> {
        self.jti.as_deref()
    }
    fn expires_at(&self) -> u64 {
        self.exp
    }
}

/// The Cognito claims types have the same accessors.
macro_rules! revocable {
    ($($type:ty),*) => {$(
        impl Revocable for $type {
            fn issuer(&self) -> &str {
                self.iss()
            }
            fn subject(&self) -> Option<&str> {
                Some(self.sub())
            }
            fn session_id(&self) -> Option<&str> {
                self.origin_jti()
            }
            fn token_id(&self) -> Option<&str> {
                self.jti()
            }
            fn expires_at(&self) -> u64 {
                self.exp()
            }
        }
    )*};
}

revocable!(AccessTokenClaims, IdTokenClaims);
