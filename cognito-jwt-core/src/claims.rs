//! Typed Cognito claims, and the registered claims the verifier checks.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fmt;

use serde::de::{self, DeserializeOwned, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::config::TokenUse;
use crate::error::{Error, ErrorKind};

/// A string that borrows from the JSON input when it has no escapes.
pub(crate) struct Text<'a>(pub(crate) Cow<'a, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(TextVisitor)
    }
}

/// A JSON array of strings, borrowing where it can.
struct TextList<'a>(Vec<Cow<'a, str>>);

impl<'de> Deserialize<'de> for TextList<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ListVisitor;
        impl<'de> Visitor<'de> for ListVisitor {
            type Value = TextList<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of strings")
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(2).min(64));
                while let Some(Text(item)) = seq.next_element()? {
                    items.push(item);
                }
                Ok(TextList(items))
            }
        }
        deserializer.deserialize_seq(ListVisitor)
    }
}

/// A NumericDate (RFC 7519): whole seconds since the epoch. Fractions are
/// truncated; negative, non-finite and absurd values (after year 9999) are
/// refused rather than wrapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct NumericDate(pub(crate) u64);

const MAX_NUMERIC_DATE: u64 = 253_402_300_799;

impl<'de> Deserialize<'de> for NumericDate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DateVisitor;
        impl Visitor<'_> for DateVisitor {
            type Value = NumericDate;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a NumericDate (seconds since 1970) before year 10000")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                if v > MAX_NUMERIC_DATE {
                    return Err(E::custom("a NumericDate after year 9999"));
                }
                Ok(NumericDate(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                u64::try_from(v)
                    .map_err(|_| E::custom("a negative NumericDate"))
                    .and_then(|v| self.visit_u64(v))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                if !(v.is_finite() && (0.0..=MAX_NUMERIC_DATE as f64).contains(&v)) {
                    return Err(E::custom("a NumericDate out of range"));
                }
                // Truncation is the intent: RFC 7519 allows fractional seconds.
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                Ok(NumericDate(v as u64))
            }
        }
        deserializer.deserialize_any(DateVisitor)
    }
}

fn take<'de, A, V>(slot: &mut Option<V>, name: &'static str, map: &mut A) -> Result<(), A::Error>
where
    A: MapAccess<'de>,
    V: Deserialize<'de>,
{
    if slot.is_some() {
        return Err(de::Error::duplicate_field(name));
    }
    *slot = Some(map.next_value()?);
    Ok(())
}

/// The claims the verifier itself checks, parsed in one borrowing pass with
/// every other claim skipped. Duplicate keys are refused.
#[derive(Debug, Clone, Default)]
pub(crate) struct Registered<'a> {
    pub(crate) iss: Option<Cow<'a, str>>,
    pub(crate) sub: Option<Cow<'a, str>>,
    pub(crate) token_use: Option<Cow<'a, str>>,
    pub(crate) aud: Option<Cow<'a, str>>,
    pub(crate) client_id: Option<Cow<'a, str>>,
    pub(crate) exp: Option<NumericDate>,
    pub(crate) nbf: Option<NumericDate>,
    pub(crate) iat: Option<NumericDate>,
    pub(crate) groups: Vec<Cow<'a, str>>,
    pub(crate) scope: Option<Scopes<'a>>,
    pub(crate) jti: Option<Cow<'a, str>>,
    pub(crate) origin_jti: Option<Cow<'a, str>>,
    pub(crate) username: Option<Cow<'a, str>>,
}

impl<'de> Deserialize<'de> for Registered<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RegisteredVisitor;
        impl<'de> Visitor<'de> for RegisteredVisitor {
            type Value = Registered<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object of claims")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut r = Registered::default();
                let mut groups: Option<TextList<'de>> = None;
                let mut text: Option<Text<'de>>;
                // Unregistered keys seen so far: a repeat is refused too, so
                // that no claim is ever last-wins for any claims type.
                let mut others: Vec<Cow<'de, str>> = Vec::new();
                while let Some(Text(key)) = map.next_key::<Text<'de>>()? {
                    let slot = match key.as_ref() {
                        "iss" => &mut r.iss,
                        "sub" => &mut r.sub,
                        "token_use" => &mut r.token_use,
                        "aud" => &mut r.aud,
                        "client_id" => &mut r.client_id,
                        "scope" => {
                            let mut raw: Option<Text<'de>> = None;
                            take(&mut raw, "scope", &mut map).map_err(|_: A::Error| {
                                de::Error::custom("claim `scope` must be a string, once")
                            })?;
                            if r.scope.is_some() {
                                return Err(de::Error::custom("duplicate claim `scope`"));
                            }
                            r.scope = raw.map(|Text(t)| Scopes::Raw(t));
                            continue;
                        }
                        "jti" => &mut r.jti,
                        "origin_jti" => &mut r.origin_jti,
                        "username" => &mut r.username,
                        "exp" => {
                            take(&mut r.exp, "exp", &mut map)?;
                            continue;
                        }
                        "nbf" => {
                            take(&mut r.nbf, "nbf", &mut map)?;
                            continue;
                        }
                        "iat" => {
                            take(&mut r.iat, "iat", &mut map)?;
                            continue;
                        }
                        "cognito:groups" => {
                            take(&mut groups, "cognito:groups", &mut map)?;
                            continue;
                        }
                        _ => {
                            if others.contains(&key) {
                                return Err(de::Error::custom("duplicate claim"));
                            }
                            map.next_value::<IgnoredAny>()?;
                            others.push(key);
                            continue;
                        }
                    };
                    if slot.is_some() {
                        return Err(de::Error::custom(format_args!(
                            "duplicate claim `{}`",
                            key_name(&key)
                        )));
                    }
                    text = Some(map.next_value().map_err(|_: A::Error| {
                        de::Error::custom(format_args!(
                            "claim `{}` must be a string",
                            key_name(&key)
                        ))
                    })?);
                    *slot = text.take().map(|Text(t)| t);
                }
                r.groups = groups.map(|TextList(g)| g).unwrap_or_default();
                Ok(r)
            }
        }
        deserializer.deserialize_map(RegisteredVisitor)
    }
}

/// A registered claim name, for messages (the key matched a fixed name, so
/// it is never attacker text).
fn key_name(key: &str) -> &'static str {
    [
        "iss",
        "sub",
        "token_use",
        "aud",
        "client_id",
        "scope",
        "jti",
        "origin_jti",
        "username",
    ]
    .into_iter()
    .find(|k| *k == key)
    .unwrap_or("?")
}

impl Registered<'_> {
    pub(crate) fn parse(payload: &[u8]) -> Result<Registered<'_>, Error> {
        serde_json::from_slice(payload).map_err(|e| {
            Error::new(
                ErrorKind::Malformed,
                format!(
                    "the payload is not a valid claims object: {}",
                    json_problem(&e)
                ),
            )
        })
    }

    pub(crate) fn into_owned(self) -> Registered<'static> {
        fn own(c: Option<Cow<'_, str>>) -> Option<Cow<'static, str>> {
            c.map(|c| Cow::Owned(c.into_owned()))
        }
        Registered {
            iss: own(self.iss),
            sub: own(self.sub),
            token_use: own(self.token_use),
            aud: own(self.aud),
            client_id: own(self.client_id),
            exp: self.exp,
            nbf: self.nbf,
            iat: self.iat,
            groups: self
                .groups
                .into_iter()
                .map(|g| Cow::Owned(g.into_owned()))
                .collect(),
            scope: self.scope.map(Scopes::into_owned),
            jti: own(self.jti),
            origin_jti: own(self.origin_jti),
            username: own(self.username),
        }
    }
}

/// The `scope` claim: the raw space-separated string, or the set a typed
/// claims struct already split.
#[derive(Debug, Clone)]
pub(crate) enum Scopes<'a> {
    Raw(Cow<'a, str>),
    Set(&'a BTreeSet<String>),
}

impl Scopes<'_> {
    fn into_owned(self) -> Scopes<'static> {
        match self {
            Scopes::Raw(raw) => Scopes::Raw(Cow::Owned(raw.into_owned())),
            Scopes::Set(set) => Scopes::Raw(Cow::Owned(
                set.iter().map(String::as_str).collect::<Vec<_>>().join(" "),
            )),
        }
    }

    fn iter(&self) -> impl Iterator<Item = &str> {
        let (raw, set) = match self {
            Scopes::Raw(raw) => (Some(raw.split(' ').filter(|s| !s.is_empty())), None),
            Scopes::Set(set) => (None, Some(set.iter().map(String::as_str))),
        };
        raw.into_iter().flatten().chain(set.into_iter().flatten())
    }
}

fn borrowed(text: &str) -> Option<Cow<'_, str>> {
    Some(Cow::Borrowed(text))
}

fn extra_date(extra: &Map<String, Value>, name: &str) -> Result<Option<NumericDate>, ()> {
    match extra.get(name) {
        None => Ok(None),
        Some(value) => value
            .as_u64()
            .filter(|v| *v <= MAX_NUMERIC_DATE)
            .map(|v| Some(NumericDate(v)))
            .ok_or(()),
    }
}

/// Claims types whose fields already hold everything the verifier checks,
/// so the payload is parsed once. `None` when a claim the verifier checks
/// sits in `extra` with a type the single pass cannot vouch for; the caller
/// then uses the generic two-pass path, which reports it precisely.
pub(crate) trait SinglePass {
    fn registered(&self) -> Option<Registered<'_>>;
}

/// The registered view of the fields both built-in types share (same names
/// in both); evaluates to `None` when a time claim is out of range.
macro_rules! shared_registered {
    ($claims:expr) => {{
        let claims = $claims;
        (|| {
            Some(Registered {
                iss: borrowed(&claims.iss),
                sub: borrowed(&claims.sub),
                token_use: borrowed(&claims.token_use),
                exp: Some((claims.exp <= MAX_NUMERIC_DATE).then_some(NumericDate(claims.exp))?),
                nbf: extra_date(&claims.extra, "nbf").ok()?,
                iat: match claims.iat {
                    Some(iat) if iat > MAX_NUMERIC_DATE => return None,
                    iat => iat.map(NumericDate),
                },
                groups: claims
                    .groups
                    .iter()
                    .map(|g| Cow::Borrowed(g.as_str()))
                    .collect(),
                jti: claims.jti.as_deref().map(Cow::Borrowed),
                origin_jti: claims.origin_jti.as_deref().map(Cow::Borrowed),
                ..Registered::default()
            })
        })()
    }};
}

impl SinglePass for AccessTokenClaims {
    fn registered(&self) -> Option<Registered<'_>> {
        if self.extra.contains_key("aud") {
            return None;
        }
        Some(Registered {
            client_id: borrowed(&self.client_id),
            scope: Some(Scopes::Set(&self.scopes)),
            username: self.username.as_deref().map(Cow::Borrowed),
            ..shared_registered!(self)?
        })
    }
}

impl SinglePass for IdTokenClaims {
    fn registered(&self) -> Option<Registered<'_>> {
        if ["client_id", "scope", "username"]
            .iter()
            .any(|k| self.extra.contains_key(*k))
        {
            return None;
        }
        Some(Registered {
            aud: borrowed(&self.aud),
            ..shared_registered!(self)?
        })
    }
}

/// Describe a serde_json error without quoting the input: serde_json's
/// messages name types and positions, and the "unknown variant"/"invalid
/// value" forms that could echo input are not produced by our visitors, but
/// a caller's own claims type might produce them, so keep only the category.
pub(crate) fn json_problem(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    match e.classify() {
        Category::Syntax | Category::Eof => {
            format!("invalid JSON at line {} column {}", e.line(), e.column())
        }
        Category::Data => {
            let text = e.to_string();
            // Keep messages produced by our own visitors and by serde derive
            // for missing/duplicate fields; drop anything that might quote input.
            if text.contains(['"', '\'', '`']) {
                "a claim has the wrong type or value".to_owned()
            } else {
                text
            }
        }
        Category::Io => "could not be read".to_owned(),
    }
}

/// A read-only view of a verified token's claims, given to the custom check
/// hook and used for group and scope requirements.
#[derive(Clone, Copy)]
pub struct ClaimsView<'a> {
    registered: &'a Registered<'a>,
    payload: &'a [u8],
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
    pub(crate) fn new(
        registered: &'a Registered<'a>,
        payload: &'a [u8],
        token_use: TokenUse,
    ) -> Self {
        Self {
            registered,
            payload,
            token_use,
        }
    }

    /// `token_use`: [`TokenUse::Id`] or [`TokenUse::Access`].
    pub fn token_use(&self) -> TokenUse {
        self.token_use
    }
    /// `iss`.
    pub fn issuer(&self) -> &str {
        self.registered.iss.as_deref().unwrap_or("")
    }
    /// `sub`, if present.
    pub fn subject(&self) -> Option<&str> {
        self.registered.sub.as_deref()
    }
    /// The verified app client: `aud` of an ID token, `client_id` of an
    /// access token.
    pub fn client_id(&self) -> Option<&str> {
        match self.token_use {
            TokenUse::Id => self.registered.aud.as_deref(),
            _ => self.registered.client_id.as_deref(),
        }
    }
    /// `username` of an access token, if present.
    pub fn username(&self) -> Option<&str> {
        self.registered.username.as_deref()
    }
    /// `jti`, if present.
    pub fn jti(&self) -> Option<&str> {
        self.registered.jti.as_deref()
    }
    /// `origin_jti`, if present: the same for every token of one sign-in
    /// session, which makes it the claim to check against a revocation list.
    pub fn origin_jti(&self) -> Option<&str> {
        self.registered.origin_jti.as_deref()
    }
    /// `exp`, in seconds since the epoch.
    pub fn expires_at(&self) -> u64 {
        self.registered.exp.map_or(0, |d| d.0)
    }
    /// `cognito:groups` (empty when the user is in no group).
    pub fn groups(&self) -> impl Iterator<Item = &str> {
        self.registered.groups.iter().map(|g| g.as_ref())
    }
    /// The space-separated `scope` claim of an access token, split. Always
    /// empty for ID tokens: Cognito grants scopes to access tokens only.
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        let scope = match self.token_use {
            TokenUse::Id => None,
            _ => self.registered.scope.as_ref(),
        };
        scope.into_iter().flat_map(Scopes::iter)
    }
    /// Deserialize the whole payload into any type, e.g. to read a custom claim.
    ///
    /// # Errors
    /// When the payload does not fit `T`.
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(self.payload)
    }
}

/// Accepts `true`/`false` and the strings `"true"`/`"false"` (moto sends strings).
fn flexible_bool<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    struct BoolVisitor;
    impl Visitor<'_> for BoolVisitor {
        type Value = bool;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a boolean or \"true\"/\"false\"")
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
            Ok(v)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
            match v {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err(E::custom("expected \"true\" or \"false\"")),
            }
        }
    }
    deserializer.deserialize_any(BoolVisitor)
}

#[derive(Deserialize)]
#[serde(transparent)]
struct FlexibleBool(#[serde(deserialize_with = "flexible_bool")] bool);

fn join_scopes<S: Serializer>(scopes: &BTreeSet<String>, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&format_args!(
        "{}",
        scopes
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(" ")
    ))
}

#[derive(Deserialize)]
#[serde(transparent)]
struct ScopeSet(#[serde(deserialize_with = "split_scopes")] BTreeSet<String>);

fn split_scopes<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeSet<String>, D::Error> {
    let Text(raw) = Text::deserialize(d)?;
    Ok(raw
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect())
}

/// Generates a claims struct with a hand-written, single-pass `Deserialize`
/// that refuses duplicate keys (including unknown ones) and keeps every claim
/// it does not name in `extra`.
macro_rules! claims_struct {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            required { $( $(#[$rdoc:meta])* $rkey:literal => $rfield:ident : $rty:ty, )* }
            optional { $( $(#[$odoc:meta])* $okey:literal => $ofield:ident : $oty:ty, )* }
            lists { $( $(#[$ldoc:meta])* $lkey:literal => $lfield:ident, )* }
            $( scope { $(#[$sdoc:meta])* $skey:literal => $sfield:ident, } )?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Serialize)]
        #[non_exhaustive]
        pub struct $name {
            $( $(#[$rdoc])* #[serde(rename = $rkey)] pub $rfield: $rty, )*
            $( $(#[$odoc])* #[serde(rename = $okey, skip_serializing_if = "Option::is_none")] pub $ofield: Option<$oty>, )*
            $( $(#[$ldoc])* #[serde(rename = $lkey, skip_serializing_if = "Vec::is_empty")] pub $lfield: Vec<String>, )*
            $( $(#[$sdoc])* #[serde(rename = $skey, serialize_with = "join_scopes", skip_serializing_if = "BTreeSet::is_empty")] pub $sfield: BTreeSet<String>, )?
            /// Every other claim (custom attributes `custom:*`, `identities`,
            /// claims added by a pre-token-generation trigger, …).
            #[serde(flatten)]
            pub extra: Map<String, Value>,
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct ClaimsVisitor;
                impl<'de> Visitor<'de> for ClaimsVisitor {
                    type Value = $name;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str(concat!("a JSON object of ", stringify!($name)))
                    }
                    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<$name, A::Error> {
                        $( let mut $rfield: Option<$rty> = None; )*
                        $( let mut $ofield: Option<Wrap<$oty>> = None; )*
                        $( let mut $lfield: Option<Vec<String>> = None; )*
                        $( let mut $sfield: Option<ScopeSet> = None; )?
                        let mut extra = Map::new();
                        while let Some(Text(key)) = map.next_key::<Text<'de>>()? {
                            match key.as_ref() {
                                $( $rkey => take(&mut $rfield, $rkey, &mut map)?, )*
                                $( $okey => take(&mut $ofield, $okey, &mut map)?, )*
                                $( $lkey => take(&mut $lfield, $lkey, &mut map)?, )*
                                $( $skey => take(&mut $sfield, $skey, &mut map)?, )?
                                _ => {
                                    let value: Value = map.next_value()?;
                                    if extra.insert(key.into_owned(), value).is_some() {
                                        return Err(de::Error::custom("duplicate claim"));
                                    }
                                }
                            }
                        }
                        Ok($name {
                            $( $rfield: $rfield.ok_or_else(|| de::Error::missing_field($rkey))?, )*
                            $( $ofield: $ofield.map(Wrap::into_inner), )*
                            $( $lfield: $lfield.unwrap_or_default(), )*
                            $( $sfield: $sfield.map(|ScopeSet(s)| s).unwrap_or_default(), )?
                            extra,
                        })
                    }
                }
                deserializer.deserialize_map(ClaimsVisitor)
            }
        }
    };
}

/// Lets the macro treat every optional field alike while `bool` fields use
/// the lenient parser.
trait OptionalClaim: Sized {
    type Raw: DeserializeOwned;
    fn from_raw(raw: Self::Raw) -> Self;
}
macro_rules! plain_claim {
    ($($ty:ty),*) => {$(
        impl OptionalClaim for $ty {
            type Raw = $ty;
            fn from_raw(raw: $ty) -> $ty { raw }
        }
    )*};
}
plain_claim!(String, u64);
impl OptionalClaim for bool {
    type Raw = FlexibleBool;
    fn from_raw(raw: FlexibleBool) -> bool {
        raw.0
    }
}

struct Wrap<T>(T);
impl<T: OptionalClaim> Wrap<T> {
    fn into_inner(self) -> T {
        self.0
    }
}
impl<'de, T: OptionalClaim> Deserialize<'de> for Wrap<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::Raw::deserialize(deserializer).map(|raw| Wrap(T::from_raw(raw)))
    }
}

claims_struct! {
    /// The claims of a Cognito ID token (`token_use` = `id`).
    ///
    /// Deserialization refuses duplicate keys and accepts both the boolean and
    /// the string form of `email_verified` (moto sends `"true"`).
    pub struct IdTokenClaims {
        required {
            /// `sub`: the user's stable, unique id.
            "sub" => sub: String,
            /// `iss`: the user pool's issuer URL.
            "iss" => iss: String,
            /// `aud`: the app client id the token was issued to.
            "aud" => aud: String,
            /// `token_use`: always `id`.
            "token_use" => token_use: String,
            /// `exp`: expiry, seconds since the epoch.
            "exp" => exp: u64,
        }
        optional {
            /// `iat`: issue time, seconds since the epoch.
            "iat" => iat: u64,
            /// `auth_time`: when the user signed in.
            "auth_time" => auth_time: u64,
            /// `cognito:username`.
            "cognito:username" => username: String,
            /// `cognito:preferred_role`.
            "cognito:preferred_role" => preferred_role: String,
            /// `email`.
            "email" => email: String,
            /// `email_verified`.
            "email_verified" => email_verified: bool,
            /// `phone_number`.
            "phone_number" => phone_number: String,
            /// `phone_number_verified`.
            "phone_number_verified" => phone_number_verified: bool,
            /// `jti`: this token's id.
            "jti" => jti: String,
            /// `origin_jti`: the id shared by every token of one sign-in.
            "origin_jti" => origin_jti: String,
            /// `event_id`.
            "event_id" => event_id: String,
            /// `nonce` (hosted UI / OAuth flows).
            "nonce" => nonce: String,
            /// `at_hash` (hosted UI / OAuth flows).
            "at_hash" => at_hash: String,
        }
        lists {
            /// `cognito:groups` (empty when the user is in no group).
            "cognito:groups" => groups,
            /// `cognito:roles`.
            "cognito:roles" => roles,
        }
    }
}

claims_struct! {
    /// The claims of a Cognito access token (`token_use` = `access`).
    ///
    /// Machine-to-machine tokens (client credentials) have no `username` and
    /// no groups; their `sub` is the client id.
    pub struct AccessTokenClaims {
        required {
            /// `sub`: the user's id, or the client id for machine-to-machine tokens.
            "sub" => sub: String,
            /// `iss`: the user pool's issuer URL.
            "iss" => iss: String,
            /// `client_id`: the app client the token was issued to.
            "client_id" => client_id: String,
            /// `token_use`: always `access`.
            "token_use" => token_use: String,
            /// `exp`: expiry, seconds since the epoch.
            "exp" => exp: u64,
        }
        optional {
            /// `iat`: issue time, seconds since the epoch.
            "iat" => iat: u64,
            /// `auth_time`: when the user signed in.
            "auth_time" => auth_time: u64,
            /// `username` (absent for machine-to-machine tokens).
            "username" => username: String,
            /// `jti`: this token's id.
            "jti" => jti: String,
            /// `origin_jti`: the id shared by every token of one sign-in.
            "origin_jti" => origin_jti: String,
            /// `event_id`.
            "event_id" => event_id: String,
            /// `version`: 2 for tokens customized by a V2 pre-token-generation trigger.
            "version" => version: u64,
        }
        lists {
            /// `cognito:groups` (empty when the user is in no group).
            "cognito:groups" => groups,
        }
        scope {
            /// `scope`, split on spaces (empty when absent).
            "scope" => scopes,
        }
    }
}

impl IdTokenClaims {
    /// A custom attribute: `custom_attribute("tenant")` reads `custom:tenant`.
    pub fn custom_attribute(&self, name: &str) -> Option<&str> {
        custom_attribute(&self.extra, name)
    }
    /// Whether the user is in `group`.
    pub fn in_group(&self, group: &str) -> bool {
        self.groups.iter().any(|g| g == group)
    }
}

impl AccessTokenClaims {
    /// Whether the token carries `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.contains(scope)
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

fn custom_attribute<'a>(extra: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    extra
        .iter()
        .find(|(k, _)| k.strip_prefix("custom:") == Some(name))
        .and_then(|(_, v)| v.as_str())
}

macro_rules! redacted_debug {
    ($($name:ident),*) => {$(
        /// Shows only the subject and expiry: claims are personal data and
        /// `Debug` output ends up in logs.
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("exp", &self.exp)
                    .finish_non_exhaustive()
            }
        }
    )*};
}
redacted_debug!(IdTokenClaims, AccessTokenClaims);
