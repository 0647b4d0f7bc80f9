//! The read-only view of a verified token's claims.

use std::fmt;

use serde::de::DeserializeOwned;

use super::TokenUse;
use super::payload::Payload;
use crate::jwt::HeaderClaims;

/// How a verified token's claims are read: by Cognito's rules (with the
/// token's use), or by a generic issuer's (with its groups claim).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Profile {
    Cognito(TokenUse),
    Oidc { groups: GroupsClaim },
}

/// Where a generic issuer's groups (or roles) are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GroupsClaim {
    /// No groups claim is configured.
    None,
    /// `cognito:groups`, from the table.
    CognitoGroups,
    /// One of the parser's extra list claims, by index.
    Extra(usize),
}

/// A read-only view of a verified token's claims: what the custom check
/// hook sees, what group and scope requirements are checked against, and
/// what [`TokenClaims::from_view`](crate::TokenClaims::from_view) builds
/// claims from.
#[derive(Clone, Copy)]
pub struct ClaimsView<'a> {
    pub(crate) payload: &'a Payload<'a>,
    json: &'a str,
    profile: Profile,
    /// The claims a load balancer put in the token's header.
    header: Option<&'a HeaderClaims>,
}

impl fmt::Debug for ClaimsView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClaimsView")
            .field("token_use", &self.token_use())
            .finish_non_exhaustive()
    }
}

impl<'a> ClaimsView<'a> {
    pub(crate) fn new(payload: &'a Payload<'a>, json: &'a str, profile: Profile) -> Self {
        Self {
            payload,
            json,
            profile,
            header: None,
        }
    }

    /// The view of a token whose header carries claims (a load
    /// balancer's), when it does.
    pub(crate) fn with_header(mut self, header: Option<&'a HeaderClaims>) -> Self {
        self.header = header;
        self
    }

    /// The load balancer that signed the token (its ARN, the header's
    /// `signer`), for a token verified by an
    /// [`AlbJwtVerifier`](crate::AlbJwtVerifier); `None` otherwise.
    pub fn signer(&self) -> Option<&str> {
        self.header.and_then(|header| header.signer.as_deref())
    }

    /// The claims a load balancer put in the token's header.
    pub(crate) fn header_claims(&self) -> Option<&'a HeaderClaims> {
        self.header
    }

    /// `token_use` of a Cognito token: [`TokenUse::Id`] or
    /// [`TokenUse::Access`]; `None` for tokens verified by a
    /// [`JwtVerifier`](crate::JwtVerifier), which have no such claim.
    pub fn token_use(&self) -> Option<TokenUse> {
        match self.profile {
            Profile::Cognito(token_use) => Some(token_use),
            Profile::Oidc { .. } => None,
        }
    }
    /// `iss`.
    pub fn issuer(&self) -> &str {
        self.payload.iss.as_deref().unwrap_or("")
    }
    /// `sub`: the user's id (the client id for machine-to-machine tokens).
    pub fn subject(&self) -> &str {
        self.payload.sub.as_deref().unwrap_or("")
    }
    /// The verified app client: `aud` of a Cognito ID token, `client_id`
    /// of a Cognito access token; for other issuers' tokens, their
    /// `client_id` claim (empty when absent); for a load balancer's, the
    /// header's `client`.
    pub fn client_id(&self) -> &str {
        if let Some(header) = self.header {
            return header.client.as_deref().unwrap_or("");
        }
        match self.profile {
            Profile::Cognito(TokenUse::Id) => {
                self.payload.aud.as_ref().and_then(|aud| aud.single())
            }
            _ => self.payload.client_id.as_deref(),
        }
        .unwrap_or("")
    }
    /// Every audience in `aud` (a string or an array of strings).
    pub fn audiences(&self) -> impl Iterator<Item = &str> {
        self.payload.aud.iter().flat_map(|aud| aud.iter())
    }
    /// The user name: `username` of an access token, `cognito:username` of
    /// a Cognito ID token; `None` for machine-to-machine tokens.
    pub fn username(&self) -> Option<&str> {
        match self.profile {
            Profile::Cognito(TokenUse::Id) => self.payload.cognito_username.as_deref(),
            _ => self.payload.username.as_deref(),
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
    /// `auth_time`: when the user signed in, in seconds since the epoch;
    /// `None` when the token does not say (machine-to-machine tokens).
    pub fn auth_time(&self) -> Option<u64> {
        self.payload.auth_time
    }
    /// `exp`, in seconds since the epoch.
    pub fn expires_at(&self) -> u64 {
        self.payload.exp.unwrap_or(0)
    }
    /// The groups: `cognito:groups` of a Cognito token, or the groups
    /// claim configured for the issuer
    /// ([`Issuer::groups_claim`](crate::Issuer::groups_claim)); empty when
    /// there are none.
    pub fn groups(&self) -> impl Iterator<Item = &str> {
        let list = match self.profile {
            Profile::Cognito(_)
            | Profile::Oidc {
                groups: GroupsClaim::CognitoGroups,
            } => self.payload.groups.as_deref(),
            Profile::Oidc {
                groups: GroupsClaim::Extra(index),
            } => self
                .payload
                .extra_lists
                .iter()
                .find(|(i, _)| *i == index)
                .map(|(_, list)| list.as_slice()),
            Profile::Oidc {
                groups: GroupsClaim::None,
            } => None,
        };
        list.into_iter().flatten().map(|g| g.as_ref())
    }
    /// The scopes. Of a Cognito token: its space-separated `scope` claim,
    /// split, and always empty for ID tokens (Cognito grants scopes to
    /// access tokens only). Of other issuers' tokens: `scope` split, then
    /// the items of an `scp` array.
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        let (scope, scp) = match self.profile {
            Profile::Cognito(TokenUse::Id) => (None, None),
            Profile::Cognito(_) => (self.payload.scope.as_deref(), None),
            Profile::Oidc { .. } => (self.payload.scope.as_deref(), self.payload.scp.as_deref()),
        };
        scope
            .into_iter()
            .flat_map(split_scope)
            .chain(scp.into_iter().flatten().map(|s| s.as_ref()))
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
