//! The built-in Cognito claims types: plain structs with a field per claim
//! Cognito issues, built from the verifier's own parse of the payload
//! (no second pass), with any other claim read on demand.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use super::TokenUse;
use super::payload::{Payload, Text, json_problem};
use super::view::{ClaimsView, Profile, split_scope};

/// The claims of a Cognito ID token (`token_use` = `id`).
///
/// Every claim Cognito issues has a field; any other claim (custom
/// attributes, `identities`, claims a pre-token-generation trigger adds) is
/// read on demand with [`claim`](Self::claim) or
/// [`custom_attribute`](Self::custom_attribute). `email_verified` accepts
/// both the boolean and the string form (moto sends `"true"`).
///
/// ```
/// use cognito_jwt_core::IdTokenClaims;
///
/// let claims: IdTokenClaims = serde_json::from_str(r#"{
///     "sub": "a1b2", "iss": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123",
///     "aud": "1example23456789", "token_use": "id", "exp": 1700000000,
///     "email": "jo@example.com", "email_verified": "true", "custom:tenant": "acme",
///     "cognito:groups": ["admins"]
/// }"#)?;
/// assert_eq!(claims.email.as_deref(), Some("jo@example.com"));
/// assert_eq!(claims.email_verified, Some(true));
/// assert_eq!(claims.custom_attribute("tenant").as_deref(), Some("acme"));
/// assert!(claims.in_group("admins"));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct IdTokenClaims {
    /// `sub`: the user's stable, unique id.
    pub sub: String,
    /// `iss`: the user pool's issuer URL.
    pub iss: String,
    /// `aud`: the app client id the token was issued to.
    pub aud: String,
    /// `token_use`: always [`TokenUse::Id`].
    pub token_use: TokenUse,
    /// `exp`: expiry, seconds since the epoch.
    pub exp: u64,
    /// `iat`: issue time, seconds since the epoch.
    pub iat: Option<u64>,
    /// `nbf`: not before, seconds since the epoch (Cognito omits it).
    pub nbf: Option<u64>,
    /// `auth_time`: when the user signed in, seconds since the epoch.
    pub auth_time: Option<u64>,
    /// `cognito:username`.
    pub username: Option<String>,
    /// `cognito:groups` (empty when the user is in no group).
    pub groups: Vec<String>,
    /// `cognito:roles`.
    pub roles: Vec<String>,
    /// `cognito:preferred_role`.
    pub preferred_role: Option<String>,
    /// `email`.
    pub email: Option<String>,
    /// `email_verified`.
    pub email_verified: Option<bool>,
    /// `phone_number`.
    pub phone_number: Option<String>,
    /// `phone_number_verified`.
    pub phone_number_verified: Option<bool>,
    /// `jti`: this token's id.
    pub jti: Option<String>,
    /// `origin_jti`: the id shared by every token of one sign-in.
    pub origin_jti: Option<String>,
    /// `event_id`.
    pub event_id: Option<String>,
    /// `nonce` (hosted UI / OAuth flows).
    pub nonce: Option<String>,
    /// `at_hash` (hosted UI / OAuth flows).
    pub at_hash: Option<String>,
    /// Owned, not shared: a token-cache hit clones the claims, and a shared
    /// reference count written by every core serving the token would keep
    /// hits from scaling.
    json: Box<str>,
}

/// The claims of a Cognito access token (`token_use` = `access`).
///
/// Every claim Cognito issues has a field; any other claim (for instance
/// those a pre-token-generation trigger adds) is read on demand with
/// [`claim`](Self::claim). Machine-to-machine tokens (client credentials)
/// have no `username` and no groups; their `sub` is the client id.
///
/// ```
/// use cognito_jwt_core::AccessTokenClaims;
///
/// let claims: AccessTokenClaims = serde_json::from_str(r#"{
///     "sub": "a1b2", "iss": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123",
///     "client_id": "1example23456789", "token_use": "access", "exp": 1700000000,
///     "scope": "openid orders/read", "username": "jo", "tenant": "acme"
/// }"#)?;
/// assert!(claims.has_scope("orders/read"));
/// assert_eq!(claims.scopes().collect::<Vec<_>>(), ["openid", "orders/read"]);
/// assert_eq!(claims.claim::<&str>("tenant")?, Some("acme"));
/// assert!(!claims.is_machine_to_machine());
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AccessTokenClaims {
    /// `sub`: the user's id, or the client id for machine-to-machine tokens.
    pub sub: String,
    /// `iss`: the user pool's issuer URL.
    pub iss: String,
    /// `client_id`: the app client the token was issued to.
    pub client_id: String,
    /// `token_use`: always [`TokenUse::Access`].
    pub token_use: TokenUse,
    /// `exp`: expiry, seconds since the epoch.
    pub exp: u64,
    /// `iat`: issue time, seconds since the epoch.
    pub iat: Option<u64>,
    /// `nbf`: not before, seconds since the epoch (Cognito omits it).
    pub nbf: Option<u64>,
    /// `auth_time`: when the user signed in, seconds since the epoch.
    pub auth_time: Option<u64>,
    /// `username` (absent for machine-to-machine tokens).
    pub username: Option<String>,
    /// `scope`: the granted scopes, space-separated; see
    /// [`scopes`](Self::scopes).
    pub scope: Option<String>,
    /// `cognito:groups` (empty when the user is in no group).
    pub groups: Vec<String>,
    /// `jti`: this token's id.
    pub jti: Option<String>,
    /// `origin_jti`: the id shared by every token of one sign-in.
    pub origin_jti: Option<String>,
    /// `event_id`.
    pub event_id: Option<String>,
    /// `version`: 2 for tokens customized by a V2 pre-token-generation trigger.
    pub version: Option<u64>,
    /// Owned, not shared (see [`IdTokenClaims`]).
    json: Box<str>,
}

fn text(value: &Option<Cow<'_, str>>) -> Option<String> {
    value.as_deref().map(str::to_owned)
}

fn list(value: &Option<Vec<Cow<'_, str>>>) -> Vec<String> {
    value
        .iter()
        .flatten()
        .map(|item| item.as_ref().to_owned())
        .collect()
}

fn required<T: Clone>(value: &Option<T>, claim: &'static str) -> Result<T, serde_json::Error> {
    value.clone().ok_or_else(|| de::Error::missing_field(claim))
}

fn required_text(
    value: &Option<Cow<'_, str>>,
    claim: &'static str,
) -> Result<String, serde_json::Error> {
    text(value).ok_or_else(|| de::Error::missing_field(claim))
}

fn token_use(payload: &Payload<'_>, expected: TokenUse) -> Result<TokenUse, serde_json::Error> {
    match payload.token_use.as_deref() {
        Some(actual) if actual == expected.as_str() => Ok(expected),
        Some(_) => Err(de::Error::custom(format_args!(
            "claim `token_use` is not {}",
            expected.as_str()
        ))),
        None => Err(de::Error::missing_field("token_use")),
    }
}

impl IdTokenClaims {
    /// Build from the verifier's parse of a payload.
    pub(crate) fn build(view: &ClaimsView<'_>) -> Result<Self, serde_json::Error> {
        let p = view.payload;
        Ok(Self {
            sub: required_text(&p.sub, "sub")?,
            iss: required_text(&p.iss, "iss")?,
            aud: p
                .aud
                .as_ref()
                .and_then(|aud| aud.single())
                .map(str::to_owned)
                .ok_or_else(|| de::Error::missing_field("aud"))?,
            token_use: token_use(p, TokenUse::Id)?,
            exp: required(&p.exp, "exp")?,
            iat: p.iat,
            nbf: p.nbf,
            auth_time: p.auth_time,
            username: text(&p.cognito_username),
            groups: list(&p.groups),
            roles: list(&p.roles),
            preferred_role: text(&p.preferred_role),
            email: text(&p.email),
            email_verified: p.email_verified,
            phone_number: text(&p.phone_number),
            phone_number_verified: p.phone_number_verified,
            jti: text(&p.jti),
            origin_jti: text(&p.origin_jti),
            event_id: text(&p.event_id),
            nonce: text(&p.nonce),
            at_hash: text(&p.at_hash),
            json: view.json().into(),
        })
    }

    /// A custom attribute: `custom_attribute("tenant")` reads `custom:tenant`
    /// when it is a string.
    pub fn custom_attribute(&self, name: &str) -> Option<String> {
        self.claim::<Text<'_>>(&format!("custom:{name}"))
            .ok()
            .flatten()
            .map(|Text(t)| t.into_owned())
    }

    /// Whether the user is in `group`.
    pub fn in_group(&self, group: &str) -> bool {
        self.groups.iter().any(|g| g == group)
    }
}

impl AccessTokenClaims {
    /// Build from the verifier's parse of a payload.
    pub(crate) fn build(view: &ClaimsView<'_>) -> Result<Self, serde_json::Error> {
        let p = view.payload;
        Ok(Self {
            sub: required_text(&p.sub, "sub")?,
            iss: required_text(&p.iss, "iss")?,
            client_id: required_text(&p.client_id, "client_id")?,
            token_use: token_use(p, TokenUse::Access)?,
            exp: required(&p.exp, "exp")?,
            iat: p.iat,
            nbf: p.nbf,
            auth_time: p.auth_time,
            username: text(&p.username),
            scope: text(&p.scope),
            groups: list(&p.groups),
            jti: text(&p.jti),
            origin_jti: text(&p.origin_jti),
            event_id: text(&p.event_id),
            version: p.version,
            json: view.json().into(),
        })
    }

    /// The granted scopes, in token order: the space-separated `scope`
    /// claim, split (empty when absent).
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        split_scope(self.scope.as_deref().unwrap_or(""))
    }

    /// Whether the token carries `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes().any(|s| s == scope)
    }

    /// Whether the user is in `group`.
    pub fn in_group(&self, group: &str) -> bool {
        self.groups.iter().any(|g| g == group)
    }

    /// Whether this is a machine-to-machine (client credentials) token: it
    /// has no `username`.
    pub fn is_machine_to_machine(&self) -> bool {
        self.username.is_none()
    }
}

/// What both built-in types share: the payload they were built from, read
/// on demand, and serde in and out of it.
macro_rules! payload_backed {
    ($($name:ident => $use:expr),*) => {$(
        impl $name {
            /// Any claim, deserialized on demand into `T` (which may borrow,
            /// e.g. `&str` or `Cow<str>`); `Ok(None)` when the token does not
            /// have it.
            ///
            /// # Errors
            /// When the claim's value does not fit `T`.
            pub fn claim<'a, T: Deserialize<'a>>(
                &'a self,
                name: &str,
            ) -> Result<Option<T>, serde_json::Error> {
                claim_of(&self.json, name)
            }

            /// The token's payload: the JSON object of all its claims.
            pub fn json(&self) -> &str {
                &self.json
            }
        }

        /// Reads a claims object with the verifier's own parser: duplicate
        /// keys, mistyped claims and a missing required claim are refused.
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let json = object_json(deserializer)?;
                let payload = Payload::parse(&json)
                    .map_err(|e| de::Error::custom(e.message()))?;
                $name::build(&ClaimsView::new(&payload, &json, Profile::Cognito($use)))
                    .map_err(|e| de::Error::custom(json_problem(&e)))
            }
        }

        /// Serializes as the token's JSON object of claims.
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let object: Map<String, Value> =
                    serde_json::from_str(&self.json).map_err(serde::ser::Error::custom)?;
                object.serialize(serializer)
            }
        }

        /// Shows only the expiry: claims are personal data and `Debug`
        /// output ends up in logs.
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("exp", &self.exp)
                    .finish_non_exhaustive()
            }
        }
    )*};
}

payload_backed!(IdTokenClaims => TokenUse::Id, AccessTokenClaims => TokenUse::Access);

/// Deserialize any claims object into JSON text, refusing duplicate keys.
fn object_json<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    struct ObjectVisitor;
    impl<'de> Visitor<'de> for ObjectVisitor {
        type Value = Map<String, Value>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON object of claims")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut object = Map::new();
            while let Some(key) = map.next_key::<String>()? {
                let value: Value = map.next_value()?;
                if object.insert(key, value).is_some() {
                    return Err(de::Error::custom("a claim appears twice"));
                }
            }
            Ok(object)
        }
    }
    let object = deserializer.deserialize_map(ObjectVisitor)?;
    serde_json::to_string(&object).map_err(de::Error::custom)
}

/// Read one claim of a payload (already parsed once, so well-formed and
/// free of duplicates) into `T`.
fn claim_of<'a, T: Deserialize<'a>>(
    json: &'a str,
    name: &str,
) -> Result<Option<T>, serde_json::Error> {
    struct Find<'n, T>(&'n str, std::marker::PhantomData<T>);
    impl<'de, T: Deserialize<'de>> Visitor<'de> for Find<'_, T> {
        type Value = Option<T>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON object of claims")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut found = None;
            while let Some(Text(key)) = map.next_key::<Text<'de>>()? {
                if found.is_none() && key == self.0 {
                    found = Some(map.next_value::<T>()?);
                } else {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            Ok(found)
        }
    }
    let mut deserializer = serde_json::Deserializer::from_str(json);
    deserializer.deserialize_map(Find(name, std::marker::PhantomData))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACCESS: &str = r#"{"sub":"u-1","iss":"https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_A","client_id":"c1","token_use":"access","exp":1700000000,"scope":"openid  orders/read","cognito:groups":["admins","ops"],"username":"jo","tenant":{"plan":"gold"}}"#;

    fn access(json: &str) -> Result<AccessTokenClaims, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn fields_hold_the_claims() {
        let claims = access(ACCESS).unwrap();
        assert_eq!(
            (claims.sub.as_str(), claims.client_id.as_str()),
            ("u-1", "c1")
        );
        assert_eq!((claims.exp, claims.iat), (1_700_000_000, None));
        assert_eq!(claims.username.as_deref(), Some("jo"));
        assert_eq!(claims.groups, ["admins", "ops"]);
        assert_eq!(
            claims.scopes().collect::<Vec<_>>(),
            ["openid", "orders/read"]
        );
        assert!(claims.has_scope("orders/read") && !claims.has_scope("orders"));
        assert_eq!(claims.clone(), claims);
    }

    #[test]
    fn other_claims_are_read_on_demand() {
        let claims = access(ACCESS).unwrap();
        let tenant: Value = claims.claim("tenant").unwrap().unwrap();
        assert_eq!(tenant["plan"], "gold");
        assert_eq!(claims.claim::<&str>("username").unwrap(), Some("jo"));
        assert_eq!(claims.claim::<u64>("missing").unwrap(), None);
        assert!(claims.claim::<u64>("tenant").is_err());
    }

    #[test]
    fn duplicates_missing_and_mistyped_claims_are_refused() {
        for bad in [
            ACCESS.replace(r#""username":"jo""#, r#""username":"jo","username":"jo""#),
            ACCESS.replace(r#""tenant""#, r#""t":1,"t""#),
            ACCESS.replace(r#""sub":"u-1","#, ""),
            ACCESS.replace(r#""exp":1700000000"#, r#""exp":"1700000000""#),
            ACCESS.replace(r#""token_use":"access""#, r#""token_use":"id""#),
            ACCESS.replace(r#"["admins","ops"]"#, r#""admins""#),
            format!("{ACCESS} {{}}"),
        ] {
            assert!(access(&bad).is_err(), "{bad}");
        }
        // Fractional and exponent-form dates are NumericDates too.
        let exponent = ACCESS.replace("1700000000", "1.7e9");
        assert_eq!(access(&exponent).unwrap().exp, 1_700_000_000);
    }

    #[test]
    fn serde_round_trip() {
        let claims = access(ACCESS).unwrap();
        let value = serde_json::to_value(&claims).unwrap();
        assert_eq!(value["cognito:groups"][1], "ops");
        assert_eq!(value["tenant"]["plan"], "gold");
        let again: AccessTokenClaims = serde_json::from_value(value).unwrap();
        assert_eq!(again.sub, "u-1");
        assert_eq!(again.scopes().count(), 2);
        let id: IdTokenClaims = serde_json::from_str(
            r#"{"sub":"s","iss":"i","aud":"a","token_use":"id","exp":1,"email_verified":"false","custom:n":"v\u00e9"}"#,
        )
        .unwrap();
        assert_eq!(id.email_verified, Some(false));
        assert_eq!(id.custom_attribute("n").as_deref(), Some("vé"));
        assert_eq!(id.custom_attribute("missing"), None);
        assert!(id.roles.is_empty());
        assert_eq!(format!("{id:?}"), "IdTokenClaims { exp: 1, .. }");
    }
}
