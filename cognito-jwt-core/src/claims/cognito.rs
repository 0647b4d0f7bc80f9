//! The built-in Cognito claims types: plain structs with a field per claim
//! Cognito issues, built from the verifier's own parse of the payload
//! (no second pass), with any other claim read on demand.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use super::TokenUse;
use super::payload::{Payload, Text as PayloadText, json_problem};
use super::view::{ClaimsView, Profile, split_scope};

/// The claims of a Cognito ID token (`token_use` = `id`).
///
/// Every claim Cognito issues has an accessor; any other claim (custom
/// attributes, `identities`, claims a pre-token-generation trigger adds) is
/// read on demand with [`claim`](Self::claim) or
/// [`custom_attribute`](Self::custom_attribute). `email_verified` accepts
/// both the boolean and the string form (moto sends `"true"`).
///
/// The claims are one copy of the token's payload (their strings are read
/// from it), so building them costs one allocation, plus one for the
/// groups and roles when there are any.
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
/// assert_eq!(claims.email(), Some("jo@example.com"));
/// assert_eq!(claims.email_verified(), Some(true));
/// assert_eq!(claims.custom_attribute("tenant").as_deref(), Some("acme"));
/// assert!(claims.in_group("admins"));
/// assert_eq!(claims.groups().collect::<Vec<_>>(), ["admins"]);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct IdTokenClaims {
    text: Text,
    sub: Span,
    iss: Span,
    aud: Span,
    exp: u64,
    iat: Option<u64>,
    nbf: Option<u64>,
    auth_time: Option<u64>,
    username: Option<Span>,
    /// `cognito:groups`, then `cognito:roles`: the first `groups` are groups.
    lists: Box<[Span]>,
    groups: usize,
    preferred_role: Option<Span>,
    email: Option<Span>,
    email_verified: Option<bool>,
    phone_number: Option<Span>,
    phone_number_verified: Option<bool>,
    jti: Option<Span>,
    origin_jti: Option<Span>,
    event_id: Option<Span>,
    nonce: Option<Span>,
    at_hash: Option<Span>,
}

/// The claims of a Cognito access token (`token_use` = `access`).
///
/// Every claim Cognito issues has an accessor; any other claim (for
/// instance those a pre-token-generation trigger adds) is read on demand
/// with [`claim`](Self::claim). Machine-to-machine tokens (client
/// credentials) have no `username` and no groups; their `sub` is the
/// client id.
///
/// The claims are one copy of the token's payload (their strings are read
/// from it), so building them costs one allocation, plus one for the
/// groups when there are any.
///
/// ```
/// use cognito_jwt_core::AccessTokenClaims;
///
/// let claims: AccessTokenClaims = serde_json::from_str(r#"{
///     "sub": "a1b2", "iss": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123",
///     "client_id": "1example23456789", "token_use": "access", "exp": 1700000000,
///     "scope": "openid orders/read", "username": "jo", "tenant": "acme"
/// }"#)?;
/// assert_eq!(claims.sub(), "a1b2");
/// assert_eq!(claims.username(), Some("jo"));
/// assert!(claims.has_scope("orders/read"));
/// assert_eq!(claims.scopes().collect::<Vec<_>>(), ["openid", "orders/read"]);
/// assert_eq!(claims.claim::<&str>("tenant")?, Some("acme"));
/// assert!(!claims.is_machine_to_machine());
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct AccessTokenClaims {
    text: Text,
    sub: Span,
    iss: Span,
    client_id: Span,
    exp: u64,
    iat: Option<u64>,
    nbf: Option<u64>,
    auth_time: Option<u64>,
    username: Option<Span>,
    scope: Option<Span>,
    groups: Box<[Span]>,
    jti: Option<Span>,
    origin_jti: Option<Span>,
    event_id: Option<Span>,
    version: Option<u64>,
}

/// Where one of the claims' strings is in their [`Text`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start: usize,
    end: usize,
}

/// The claims' text: the payload JSON, then any string the payload wrote
/// with escapes, unescaped. Owned, not shared: a token-cache hit clones the
/// claims, and a shared reference count written by every core serving the
/// token would keep hits from scaling.
#[derive(Clone, PartialEq, Eq)]
struct Text {
    text: Box<str>,
    json_len: usize,
}

impl Text {
    fn json(&self) -> &str {
        self.text.get(..self.json_len).unwrap_or_default()
    }

    fn get(&self, span: Span) -> &str {
        self.text.get(span.start..span.end).unwrap_or_default()
    }

    fn opt(&self, span: Option<Span>) -> Option<&str> {
        span.map(|span| self.get(span))
    }

    fn list<'s>(
        &'s self,
        spans: &'s [Span],
    ) -> impl ExactSizeIterator<Item = &'s str> + Clone + 's {
        spans.iter().map(|&span| self.get(span))
    }
}

/// Builds a [`Text`]: a string the parser borrowed from the payload is
/// found where it is; any other (unescaped) is appended.
struct TextBuilder<'j> {
    json: &'j str,
    text: String,
}

impl<'j> TextBuilder<'j> {
    fn new(json: &'j str) -> Self {
        let mut text = String::with_capacity(json.len());
        text.push_str(json);
        Self { json, text }
    }

    fn span(&mut self, value: &str) -> Span {
        // An offset into the payload, or out of its range for a string
        // elsewhere (another allocation cannot overlap the payload's).
        let start = (value.as_ptr() as usize).wrapping_sub(self.json.as_ptr() as usize);
        if start <= self.json.len() && value.len() <= self.json.len() - start {
            return Span {
                start,
                end: start + value.len(),
            };
        }
        let start = self.text.len();
        self.text.push_str(value);
        Span {
            start,
            end: self.text.len(),
        }
    }

    fn opt(&mut self, value: &Option<Cow<'_, str>>) -> Option<Span> {
        value.as_deref().map(|value| self.span(value))
    }

    fn required(
        &mut self,
        value: &Option<Cow<'_, str>>,
        claim: &'static str,
    ) -> Result<Span, serde_json::Error> {
        self.opt(value)
            .ok_or_else(|| de::Error::missing_field(claim))
    }

    fn list(&mut self, lists: &[&Option<Vec<Cow<'_, str>>>]) -> Box<[Span]> {
        let mut spans =
            Vec::with_capacity(lists.iter().map(|l| l.as_ref().map_or(0, Vec::len)).sum());
        for item in lists.iter().copied().flatten().flatten() {
            spans.push(self.span(item));
        }
        spans.into_boxed_slice()
    }

    fn finish(self) -> Text {
        Text {
            json_len: self.json.len(),
            text: self.text.into_boxed_str(),
        }
    }
}

fn required<T: Clone>(value: &Option<T>, claim: &'static str) -> Result<T, serde_json::Error> {
    value.clone().ok_or_else(|| de::Error::missing_field(claim))
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
        let mut t = TextBuilder::new(view.json());
        // Checked in the order the fields had before.
        let sub = t.required(&p.sub, "sub")?;
        let iss = t.required(&p.iss, "iss")?;
        let aud = p
            .aud
            .as_ref()
            .and_then(|aud| aud.single())
            .ok_or_else(|| de::Error::missing_field("aud"))?;
        let aud = t.span(aud);
        token_use(p, TokenUse::Id)?;
        let groups = p.groups.as_ref().map_or(0, Vec::len);
        Ok(Self {
            sub,
            iss,
            aud,
            exp: required(&p.exp, "exp")?,
            iat: p.iat,
            nbf: p.nbf,
            auth_time: p.auth_time,
            username: t.opt(&p.cognito_username),
            lists: t.list(&[&p.groups, &p.roles]),
            groups,
            preferred_role: t.opt(&p.preferred_role),
            email: t.opt(&p.email),
            email_verified: p.email_verified,
            phone_number: t.opt(&p.phone_number),
            phone_number_verified: p.phone_number_verified,
            jti: t.opt(&p.jti),
            origin_jti: t.opt(&p.origin_jti),
            event_id: t.opt(&p.event_id),
            nonce: t.opt(&p.nonce),
            at_hash: t.opt(&p.at_hash),
            text: t.finish(),
        })
    }

    /// `sub`: the user's stable, unique id.
    pub fn sub(&self) -> &str {
        self.text.get(self.sub)
    }
    /// `aud`: the app client id the token was issued to.
    pub fn aud(&self) -> &str {
        self.text.get(self.aud)
    }
    /// `cognito:username`.
    pub fn username(&self) -> Option<&str> {
        self.text.opt(self.username)
    }
    /// `cognito:groups`, in token order (none when the user is in no group).
    pub fn groups(&self) -> impl ExactSizeIterator<Item = &str> + Clone + '_ {
        self.text
            .list(self.lists.get(..self.groups).unwrap_or_default())
    }
    /// `cognito:roles`, in token order.
    pub fn roles(&self) -> impl ExactSizeIterator<Item = &str> + Clone + '_ {
        self.text
            .list(self.lists.get(self.groups..).unwrap_or_default())
    }
    /// `cognito:preferred_role`.
    pub fn preferred_role(&self) -> Option<&str> {
        self.text.opt(self.preferred_role)
    }
    /// `email`.
    pub fn email(&self) -> Option<&str> {
        self.text.opt(self.email)
    }
    /// `email_verified`.
    pub fn email_verified(&self) -> Option<bool> {
        self.email_verified
    }
    /// `phone_number`.
    pub fn phone_number(&self) -> Option<&str> {
        self.text.opt(self.phone_number)
    }
    /// `phone_number_verified`.
    pub fn phone_number_verified(&self) -> Option<bool> {
        self.phone_number_verified
    }
    /// `nonce` (hosted UI / OAuth flows).
    pub fn nonce(&self) -> Option<&str> {
        self.text.opt(self.nonce)
    }
    /// `at_hash` (hosted UI / OAuth flows).
    pub fn at_hash(&self) -> Option<&str> {
        self.text.opt(self.at_hash)
    }

    /// A custom attribute: `custom_attribute("tenant")` reads `custom:tenant`
    /// when it is a string.
    pub fn custom_attribute(&self, name: &str) -> Option<String> {
        self.claim::<PayloadText<'_>>(&format!("custom:{name}"))
            .ok()
            .flatten()
            .map(|PayloadText(t)| t.into_owned())
    }
}

impl AccessTokenClaims {
    /// Build from the verifier's parse of a payload.
    pub(crate) fn build(view: &ClaimsView<'_>) -> Result<Self, serde_json::Error> {
        let p = view.payload;
        let mut t = TextBuilder::new(view.json());
        // Checked in the order the fields had before.
        let sub = t.required(&p.sub, "sub")?;
        let iss = t.required(&p.iss, "iss")?;
        let client_id = t.required(&p.client_id, "client_id")?;
        token_use(p, TokenUse::Access)?;
        Ok(Self {
            sub,
            iss,
            client_id,
            exp: required(&p.exp, "exp")?,
            iat: p.iat,
            nbf: p.nbf,
            auth_time: p.auth_time,
            username: t.opt(&p.username),
            scope: t.opt(&p.scope),
            groups: t.list(&[&p.groups]),
            jti: t.opt(&p.jti),
            origin_jti: t.opt(&p.origin_jti),
            event_id: t.opt(&p.event_id),
            version: p.version,
            text: t.finish(),
        })
    }

    /// `sub`: the user's id, or the client id for machine-to-machine tokens.
    pub fn sub(&self) -> &str {
        self.text.get(self.sub)
    }
    /// `client_id`: the app client the token was issued to.
    pub fn client_id(&self) -> &str {
        self.text.get(self.client_id)
    }
    /// `username` (absent for machine-to-machine tokens).
    pub fn username(&self) -> Option<&str> {
        self.text.opt(self.username)
    }
    /// `scope`: the granted scopes, space-separated; see
    /// [`scopes`](Self::scopes).
    pub fn scope(&self) -> Option<&str> {
        self.text.opt(self.scope)
    }
    /// `cognito:groups`, in token order (none when the user is in no group).
    pub fn groups(&self) -> impl ExactSizeIterator<Item = &str> + Clone + '_ {
        self.text.list(&self.groups)
    }
    /// `version`: 2 for tokens customized by a V2 pre-token-generation trigger.
    pub fn version(&self) -> Option<u64> {
        self.version
    }

    /// The granted scopes, in token order: the space-separated `scope`
    /// claim, split (empty when absent).
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        split_scope(self.scope().unwrap_or(""))
    }

    /// Whether the token carries `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes().any(|s| s == scope)
    }

    /// Whether this is a machine-to-machine (client credentials) token: it
    /// has no `username`.
    pub fn is_machine_to_machine(&self) -> bool {
        self.username.is_none()
    }
}

/// What both built-in types share: the claims they both have, the payload
/// they were built from, read on demand, and serde in and out of it.
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
                claim_of(self.text.json(), name)
            }

            /// The token's payload: the JSON object of all its claims.
            pub fn json(&self) -> &str {
                self.text.json()
            }

            /// `token_use`: always the type's own ([`TokenUse::Id`] or
            /// [`TokenUse::Access`]).
            pub fn token_use(&self) -> TokenUse {
                $use
            }
            /// `iss`: the user pool's issuer URL.
            pub fn iss(&self) -> &str {
                self.text.get(self.iss)
            }
            /// `exp`: expiry, seconds since the epoch.
            pub fn exp(&self) -> u64 {
                self.exp
            }
            /// `iat`: issue time, seconds since the epoch.
            pub fn iat(&self) -> Option<u64> {
                self.iat
            }
            /// `nbf`: not before, seconds since the epoch (Cognito omits it).
            pub fn nbf(&self) -> Option<u64> {
                self.nbf
            }
            /// `auth_time`: when the user signed in, seconds since the epoch.
            pub fn auth_time(&self) -> Option<u64> {
                self.auth_time
            }
            /// `jti`: this token's id.
            pub fn jti(&self) -> Option<&str> {
                self.text.opt(self.jti)
            }
            /// `origin_jti`: the id shared by every token of one sign-in.
            pub fn origin_jti(&self) -> Option<&str> {
                self.text.opt(self.origin_jti)
            }
            /// `event_id`.
            pub fn event_id(&self) -> Option<&str> {
                self.text.opt(self.event_id)
            }
            /// Whether the user is in `group`.
            pub fn in_group(&self, group: &str) -> bool {
                self.groups().any(|g| g == group)
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
                    serde_json::from_str(self.text.json()).map_err(serde::ser::Error::custom)?;
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
            while let Some(PayloadText(key)) = map.next_key::<PayloadText<'de>>()? {
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
        assert_eq!((claims.sub(), claims.client_id()), ("u-1", "c1"));
        assert_eq!((claims.exp(), claims.iat()), (1_700_000_000, None));
        assert_eq!(claims.username(), Some("jo"));
        assert_eq!(claims.groups().collect::<Vec<_>>(), ["admins", "ops"]);
        assert_eq!(claims.groups().len(), 2);
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
        assert_eq!(access(&exponent).unwrap().exp(), 1_700_000_000);
    }

    #[test]
    fn strings_written_with_escapes_are_read_unescaped() {
        let escaped = ACCESS
            .replace(r#""u-1""#, r#""u\u002d1""#)
            .replace(r#"["admins","ops"]"#, r#"["ad\"mins","ops"]"#);
        let claims = access(&escaped).unwrap();
        assert_eq!(claims.sub(), "u-1");
        assert_eq!(claims.groups().collect::<Vec<_>>(), ["ad\"mins", "ops"]);
        assert_eq!(claims.username(), Some("jo"));
        // Deserialized claims keep the object (re-serialized, unescaped).
        let json: Value = serde_json::from_str(claims.json()).unwrap();
        assert_eq!(json, serde_json::from_str::<Value>(&escaped).unwrap());
        assert_eq!(claims.claim::<&str>("username").unwrap(), Some("jo"));
        let id: IdTokenClaims = serde_json::from_str(
            r#"{"sub":"s","iss":"i","aud":"a","token_use":"id","exp":1,"cognito:groups":["g\u0031"],"cognito:roles":["r1","r2"]}"#,
        )
        .unwrap();
        assert_eq!(id.groups().collect::<Vec<_>>(), ["g1"]);
        assert_eq!(id.roles().collect::<Vec<_>>(), ["r1", "r2"]);
        assert!(id.in_group("g1") && !id.in_group("r1"));
    }

    #[test]
    fn serde_round_trip() {
        let claims = access(ACCESS).unwrap();
        let value = serde_json::to_value(&claims).unwrap();
        assert_eq!(value["cognito:groups"][1], "ops");
        assert_eq!(value["tenant"]["plan"], "gold");
        let again: AccessTokenClaims = serde_json::from_value(value).unwrap();
        assert_eq!(again.sub(), "u-1");
        assert_eq!(again.scopes().count(), 2);
        let id: IdTokenClaims = serde_json::from_str(
            r#"{"sub":"s","iss":"i","aud":"a","token_use":"id","exp":1,"email_verified":"false","custom:n":"v\u00e9"}"#,
        )
        .unwrap();
        assert_eq!(id.email_verified(), Some(false));
        assert_eq!(id.custom_attribute("n").as_deref(), Some("vé"));
        assert_eq!(id.custom_attribute("missing"), None);
        assert_eq!(id.roles().len(), 0);
        assert_eq!(format!("{id:?}"), "IdTokenClaims { exp: 1, .. }");
    }
}
