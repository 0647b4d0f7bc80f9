//! Who a verified token names, and the context an authorizer hands on.

use std::collections::BTreeMap;

use cognito_jwt_core::{ClaimsView, TokenClaims, TokenUse};
use serde::{Deserialize, Serialize};

/// The signed-in caller: the claims of a verified token that an authorizer
/// uses, plus the whole payload. A Cognito ID or access token fills every
/// field; a token of another OpenID Connect issuer (through a
/// `JwtVerifier`) has no `token_use`, and its fields are empty where it
/// lacks the claim.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Identity {
    /// `sub`: the user's id (the client id for machine-to-machine tokens);
    /// empty when the token has none. It becomes the policy's
    /// `principalId`.
    pub sub: String,
    /// `username` of an access token, `cognito:username` of an ID token;
    /// `None` for machine-to-machine tokens.
    pub username: Option<String>,
    /// The verified app client: `client_id` of an access token, `aud` of a
    /// Cognito ID token; for other issuers `client_id`, else `azp`, else
    /// empty.
    pub client_id: String,
    /// Which kind of Cognito token it was; `None` for other issuers'
    /// tokens.
    pub token_use: Option<TokenUse>,
    /// The granted scopes, space-separated as in the claim; `None` for ID
    /// tokens and access tokens without scopes.
    pub scope: Option<String>,
    /// `cognito:groups` (empty when the user is in no group).
    pub groups: Vec<String>,
    /// Every claim of the token, for custom attributes and claims a
    /// pre-token-generation trigger added.
    pub claims: serde_json::Value,
}

/// What the verifier builds for the authorizer: an [`Identity`] read from
/// the verifier's own parse (so ID and access tokens both work, whatever
/// the pool accepts).
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "serde_json::Value")]
pub(crate) struct Verified(pub(crate) Identity);

impl TryFrom<serde_json::Value> for Verified {
    type Error = &'static str;

    // `TokenClaims` asks for `Deserialize`, but a payload alone proves
    // nothing: only the verifier builds a `Verified`, through `from_view`.
    fn try_from(_: serde_json::Value) -> Result<Self, Self::Error> {
        Err("an identity is built by the verifier from a verified token, never deserialized")
    }
}

impl TokenClaims for Verified {
    fn from_view(view: &ClaimsView<'_>) -> Result<Self, serde_json::Error> {
        let scopes: Vec<&str> = view.scopes().collect();
        let claims: serde_json::Value = view.deserialize()?;
        let token_use = view.token_use();
        let client_id = match (view.client_id(), token_use) {
            ("", None) => claims
                .get("azp")
                .and_then(serde_json::Value::as_str)
                .unwrap_or(""),
            (client_id, _) => client_id,
        }
        .to_owned();
        Ok(Verified(Identity {
            sub: view.subject().to_owned(),
            username: view.username().map(str::to_owned),
            client_id,
            token_use,
            scope: (!scopes.is_empty()).then(|| scopes.join(" ")),
            groups: view.groups().map(str::to_owned).collect(),
            claims,
        }))
    }
}

/// A value of an authorizer context: API Gateway accepts only strings,
/// numbers and booleans there, so nothing else can be put in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum ContextValue {
    /// A string.
    String(String),
    /// An integer.
    Number(serde_json::Number),
    /// A boolean.
    Bool(bool),
}

impl From<String> for ContextValue {
    fn from(value: String) -> Self {
        ContextValue::String(value)
    }
}

impl From<&str> for ContextValue {
    fn from(value: &str) -> Self {
        ContextValue::String(value.to_owned())
    }
}

impl From<bool> for ContextValue {
    fn from(value: bool) -> Self {
        ContextValue::Bool(value)
    }
}

impl From<i64> for ContextValue {
    fn from(value: i64) -> Self {
        ContextValue::Number(value.into())
    }
}

impl From<u64> for ContextValue {
    fn from(value: u64) -> Self {
        ContextValue::Number(value.into())
    }
}

impl From<i32> for ContextValue {
    fn from(value: i32) -> Self {
        ContextValue::Number(value.into())
    }
}

impl From<u32> for ContextValue {
    fn from(value: u32) -> Self {
        ContextValue::Number(value.into())
    }
}

/// The `context` of an Allow answer (`resolverContext` for AppSync): what
/// the backend reads as `$context.authorizer.<key>` (REST),
/// `$context.authorizer.lambda.<key>` (HTTP API) or
/// `$ctx.identity.resolverContext.<key>` (AppSync).
///
/// It starts with the caller's `sub`, `username`, `client_id`, `token_use`,
/// `scope` and `groups` (see [`AuthorizerContext::of`]); add your own with
/// [`AuthorizerOptions::context`](crate::AuthorizerOptions::context).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct AuthorizerContext(BTreeMap<String, ContextValue>);

impl AuthorizerContext {
    /// An empty context.
    pub fn new() -> Self {
        Self::default()
    }

    /// The standard context of `identity`: `sub`, `client_id`, `token_use`
    /// (`access` or `id`; `""` for other issuers' tokens), `username` (`""`
    /// for machine-to-machine tokens), `scope` (space-separated, `""` for
    /// ID tokens) and `groups`. Every key is present; a claim the token
    /// lacks is `""`.
    ///
    /// Groups are joined with a space, like `scope`: Cognito group names
    /// cannot contain white space, so the list splits back unambiguously.
    pub fn of(identity: &Identity) -> Self {
        let mut context = Self::new();
        context.insert("sub", identity.sub.as_str());
        context.insert("username", identity.username.as_deref().unwrap_or(""));
        context.insert("client_id", identity.client_id.as_str());
        context.insert("token_use", identity.token_use.map_or("", TokenUse::as_str));
        context.insert("scope", identity.scope.as_deref().unwrap_or(""));
        context.insert("groups", identity.groups.join(" "));
        context
    }

    /// Set `key` to `value`, replacing any value it had.
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<ContextValue>) {
        self.0.insert(key.into(), value.into());
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&ContextValue> {
        self.0.get(key)
    }

    /// Remove `key`, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<ContextValue> {
        self.0.remove(key)
    }

    /// The entries, by key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &ContextValue)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// How many entries there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// As a JSON object, the form the response types carry.
    pub(crate) fn to_json(&self) -> serde_json::Value {
        serde_json::Value::Object(
            self.0
                .iter()
                .map(|(key, value)| (key.clone(), value.to_json()))
                .collect(),
        )
    }
}

impl ContextValue {
    pub(crate) fn to_json(&self) -> serde_json::Value {
        match self {
            ContextValue::String(s) => serde_json::Value::String(s.clone()),
            ContextValue::Number(n) => serde_json::Value::Number(n.clone()),
            ContextValue::Bool(b) => serde_json::Value::Bool(*b),
        }
    }
}
