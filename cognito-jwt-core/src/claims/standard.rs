//! The registered claims of any issuer's token.

use std::borrow::Cow;

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};

use super::payload::Audience;
use super::view::{ClaimsView, split_scope};

/// The registered claims (RFC 7519 §4.1) and the OAuth claims `scope`,
/// `scp` and `client_id` of a token verified by a
/// [`JwtVerifier`](crate::JwtVerifier), built from the verifier's own parse.
/// For other claims, use your own type or [`serde_json::Value`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct StandardClaims {
    /// `iss`: the issuer, as configured.
    pub iss: String,
    /// `sub`: the subject, when the token names one.
    #[serde(default)]
    pub sub: Option<String>,
    /// `aud`, as a list whether the token has a string or an array.
    #[serde(default, deserialize_with = "one_or_many")]
    pub aud: Vec<String>,
    /// `exp`, in seconds since the epoch.
    pub exp: u64,
    /// `iat`, in seconds since the epoch.
    #[serde(default)]
    pub iat: Option<u64>,
    /// `nbf`, in seconds since the epoch.
    #[serde(default)]
    pub nbf: Option<u64>,
    /// `jti`.
    #[serde(default)]
    pub jti: Option<String>,
    /// `scope`: space-separated scopes.
    #[serde(default)]
    pub scope: Option<String>,
    /// `scp`: scopes as an array (some issuers send this instead).
    #[serde(default)]
    pub scp: Vec<String>,
    /// `client_id`: the OAuth client the token was issued to.
    #[serde(default)]
    pub client_id: Option<String>,
    /// `origin_jti`: the sign-in session a Cognito token belongs to (every
    /// token refreshed from one refresh token shares it).
    #[serde(default)]
    pub origin_jti: Option<String>,
}

fn one_or_many<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    Ok(Audience::deserialize(deserializer)?
        .iter()
        .map(str::to_owned)
        .collect())
}

fn owned(value: &Option<Cow<'_, str>>) -> Option<String> {
    value.as_deref().map(str::to_owned)
}

impl StandardClaims {
    /// Build from the verifier's parse of a payload.
    pub(crate) fn build(view: &ClaimsView<'_>) -> Result<Self, serde_json::Error> {
        let p = view.payload;
        Ok(Self {
            iss: owned(&p.iss).ok_or_else(|| de::Error::missing_field("iss"))?,
            sub: owned(&p.sub),
            aud: view.audiences().map(str::to_owned).collect(),
            exp: p.exp.ok_or_else(|| de::Error::missing_field("exp"))?,
            iat: p.iat,
            nbf: p.nbf,
            jti: owned(&p.jti),
            scope: owned(&p.scope),
            scp: p
                .scp
                .iter()
                .flatten()
                .map(|s| s.as_ref().to_owned())
                .collect(),
            client_id: owned(&p.client_id),
            origin_jti: owned(&p.origin_jti),
        })
    }

    /// Every scope: `scope` split on spaces, then the items of `scp`.
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        self.scope
            .as_deref()
            .into_iter()
            .flat_map(split_scope)
            .chain(self.scp.iter().map(String::as_str))
    }

    /// Whether the token carries `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes().any(|s| s == scope)
    }

    /// Whether `aud` names `audience`.
    pub fn has_audience(&self, audience: &str) -> bool {
        self.aud.iter().any(|a| a == audience)
    }
}
