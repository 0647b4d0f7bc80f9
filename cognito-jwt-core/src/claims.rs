//! Typed Cognito claims, and the registered claims the verifier checks.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use serde::de::{self, DeserializeOwned, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
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
    pub(crate) groups: Groups<'a>,
    pub(crate) scope: Option<Cow<'a, str>>,
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
                            r.scope = raw.map(|Text(t)| t);
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
                r.groups = Groups::List(groups.map(|TextList(g)| g).unwrap_or_default());
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
            groups: Groups::List(
                self.groups
                    .iter()
                    .map(|g| Cow::Owned(g.to_owned()))
                    .collect(),
            ),
            scope: own(self.scope),
            jti: own(self.jti),
            origin_jti: own(self.origin_jti),
            username: own(self.username),
        }
    }
}

/// `cognito:groups`: parsed by the registered pass, or spans of a built-in
/// claims type's payload.
#[derive(Debug, Clone)]
pub(crate) enum Groups<'a> {
    List(Vec<Cow<'a, str>>),
    Spans(&'a [Span], &'a Source),
}

impl Default for Groups<'_> {
    fn default() -> Self {
        Groups::List(Vec::new())
    }
}

impl Groups<'_> {
    pub(crate) fn iter(&self) -> impl Iterator<Item = &str> {
        let (list, spans) = match self {
            Groups::List(list) => (Some(list.iter().map(|g| g.as_ref())), None),
            Groups::Spans(spans, source) => (None, Some(spans.iter().map(|s| source.get(*s)))),
        };
        list.into_iter()
            .flatten()
            .chain(spans.into_iter().flatten())
    }
}

/// The space-separated `scope` claim, split.
fn split_scope(scope: &str) -> impl Iterator<Item = &str> {
    scope.split(' ').filter(|s| !s.is_empty())
}

/// Claims types whose fields already hold everything the verifier checks,
/// so the payload is parsed once. `None` when the token has a claim the
/// verifier reads that the type does not keep (for instance `aud` in an
/// access token); the caller then uses the generic two-pass path.
pub(crate) trait SinglePass {
    /// Parse a decoded payload; on failure, the payload is handed back.
    fn parse(json: String) -> Result<Self, String>
    where
        Self: Sized;
    fn registered(&self) -> Option<Registered<'_>>;
    /// The payload JSON the claims were parsed from.
    fn json(&self) -> &str;
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
        self.registered.groups.iter()
    }
    /// The space-separated `scope` claim of an access token, split. Always
    /// empty for ID tokens: Cognito grants scopes to access tokens only.
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        let scope = match self.token_use {
            TokenUse::Id => None,
            _ => self.registered.scope.as_ref(),
        };
        scope.into_iter().flat_map(|s| split_scope(s))
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

/// Where a claim's text is: a byte range of the payload JSON, or, for a
/// string written with JSON escapes, of the unescaped text kept beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    start: u32,
    end: u32,
    unescaped: bool,
}

/// The payload JSON of a built-in claims type and the unescaped copies of
/// its escaped strings (usually none). Every text field points into it, so
/// parsing allocates once per token instead of once per claim.
#[derive(Debug, Clone, Default)]
pub(crate) struct Source {
    json: String,
    unescaped: String,
}

impl Source {
    pub(crate) fn get(&self, span: Span) -> &str {
        let text = if span.unescaped {
            &self.unescaped
        } else {
            &self.json
        };
        text.get(span.start as usize..span.end as usize)
            .unwrap_or_default()
    }
}

/// Skips any JSON value through `deserialize_any`, so that the
/// deserializer's nesting limit applies (`IgnoredAny` skips without one):
/// a built-in claims type refuses the deeply nested claims a `Value` would.
struct Skip;

impl<'de> Deserialize<'de> for Skip {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SkipVisitor;
        impl<'de> Visitor<'de> for SkipVisitor {
            type Value = Skip;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Skip, A::Error> {
                while seq.next_element::<Skip>()?.is_some() {}
                Ok(Skip)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Skip, A::Error> {
                while map.next_entry::<IgnoredAny, Skip>()?.is_some() {}
                Ok(Skip)
            }
        }
        deserializer.deserialize_any(SkipVisitor)
    }
}

/// Records where the strings of one payload are while it is parsed.
struct Spans<'a> {
    base: &'a str,
    unescaped: String,
}

impl Spans<'_> {
    fn span(&mut self, text: &str) -> Span {
        // A string without escapes is a slice of `base` (the deserializer
        // reads from it); its offset is found from the addresses, without
        // unsafe. An unescaped copy lies elsewhere and is kept aside.
        let offset = (text.as_ptr() as usize).wrapping_sub(self.base.as_ptr() as usize);
        if offset <= self.base.len()
            && text.len() <= self.base.len() - offset
            && let (Ok(start), Ok(end)) =
                (u32::try_from(offset), u32::try_from(offset + text.len()))
        {
            return Span {
                start,
                end,
                unescaped: false,
            };
        }
        let start = self.unescaped.len();
        self.unescaped.push_str(text);
        Span {
            start: u32::try_from(start).unwrap_or(u32::MAX),
            end: u32::try_from(self.unescaped.len()).unwrap_or(u32::MAX),
            unescaped: true,
        }
    }
}

/// One claim's value while a built-in claims type is parsed.
trait Field<'de>: Sized {
    fn read<A: MapAccess<'de>>(map: &mut A, spans: &mut Spans<'de>) -> Result<Self, A::Error>;
}

impl<'de> Field<'de> for Span {
    fn read<A: MapAccess<'de>>(map: &mut A, spans: &mut Spans<'de>) -> Result<Self, A::Error> {
        let Text(text) = map.next_value()?;
        Ok(spans.span(&text))
    }
}

impl<'de> Field<'de> for Vec<Span> {
    fn read<A: MapAccess<'de>>(map: &mut A, spans: &mut Spans<'de>) -> Result<Self, A::Error> {
        struct List<'s, 'de>(&'s mut Spans<'de>);
        impl<'de> DeserializeSeed<'de> for List<'_, 'de> {
            type Value = Vec<Span>;
            fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<Span>, D::Error> {
                d.deserialize_seq(self)
            }
        }
        impl<'de> Visitor<'de> for List<'_, 'de> {
            type Value = Vec<Span>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of strings")
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Span>, A::Error> {
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(4).min(64));
                while let Some(Text(item)) = seq.next_element()? {
                    items.push(self.0.span(&item));
                }
                Ok(items)
            }
        }
        map.next_value_seed(List(spans))
    }
}

impl<'de> Field<'de> for u64 {
    fn read<A: MapAccess<'de>>(map: &mut A, _: &mut Spans<'de>) -> Result<Self, A::Error> {
        map.next_value()
    }
}

impl<'de> Field<'de> for bool {
    fn read<A: MapAccess<'de>>(map: &mut A, _: &mut Spans<'de>) -> Result<Self, A::Error> {
        map.next_value::<FlexibleBool>().map(|b| b.0)
    }
}

fn read_once<'de, A, V>(
    slot: &mut Option<V>,
    name: &'static str,
    map: &mut A,
    spans: &mut Spans<'de>,
) -> Result<(), A::Error>
where
    A: MapAccess<'de>,
    V: Field<'de>,
{
    if slot.is_some() {
        return Err(de::Error::duplicate_field(name));
    }
    *slot = Some(V::read(map, spans)?);
    Ok(())
}

/// Deserialize any claims object into JSON text, refusing duplicate keys:
/// the path for built-in claims types read from something other than a
/// token payload (the verifier itself never takes it).
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
                    return Err(de::Error::custom("duplicate claim"));
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

/// Serialize a payload as the JSON object it is.
fn serialize_json<S: Serializer>(json: &str, serializer: S) -> Result<S::Ok, S::Error> {
    let object: Map<String, Value> =
        serde_json::from_str(json).map_err(serde::ser::Error::custom)?;
    object.serialize(serializer)
}

/// Generates a built-in claims type: a cheap-to-clone handle on the payload
/// JSON, parsed in one pass that refuses duplicate keys (unknown ones too)
/// and records where each known claim's text is, with one accessor per
/// claim. Other claims are read on demand with `claim`.
macro_rules! claims_struct {
    (
        $(#[$meta:meta])*
        pub struct $name:ident / $inner:ident {
            text { $( $(#[$tdoc:meta])* $tkey:literal => $tfield:ident, )* }
            date { $(#[$ddoc:meta])* $dkey:literal => $dfield:ident, }
            optional_text { $( $(#[$otdoc:meta])* $otkey:literal => $otfield:ident, )* }
            optional_number { $( $(#[$ondoc:meta])* $onkey:literal => $onfield:ident, )* }
            optional_bool { $( $(#[$obdoc:meta])* $obkey:literal => $obfield:ident, )* }
            lists { $( $(#[$ldoc:meta])* $lkey:literal => $lfield:ident, )* }
            scope { $( $skey:literal => $sfield:ident, )? }
            two_pass_when_present [ $( $gkey:literal ),* ]
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone)]
        pub struct $name(Arc<$inner>);

        #[derive(Debug)]
        struct $inner {
            source: Source,
            $( $tfield: Span, )*
            $dfield: u64,
            $( $otfield: Option<Span>, )*
            $( $onfield: Option<u64>, )*
            $( $obfield: Option<bool>, )*
            $( $lfield: Vec<Span>, )*
            $( $sfield: Option<Span>, )?
            /// The token has a claim the verifier reads but this type does
            /// not keep; see [`SinglePass`].
            two_pass: bool,
        }

        impl $name {
            $( $(#[$tdoc])* pub fn $tfield(&self) -> &str { self.0.source.get(self.0.$tfield) } )*
            $(#[$ddoc])* pub fn $dfield(&self) -> u64 { self.0.$dfield }
            $( $(#[$otdoc])* pub fn $otfield(&self) -> Option<&str> {
                self.0.$otfield.map(|s| self.0.source.get(s))
            } )*
            $( $(#[$ondoc])* pub fn $onfield(&self) -> Option<u64> { self.0.$onfield } )*
            $( $(#[$obdoc])* pub fn $obfield(&self) -> Option<bool> { self.0.$obfield } )*
            $( $(#[$ldoc])* pub fn $lfield(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
                self.0.$lfield.iter().map(|s| self.0.source.get(*s))
            } )*

            /// Any claim, deserialized on demand into `T` (which may borrow,
            /// e.g. `&str` or `Cow<str>`); `Ok(None)` when the token does not
            /// have it.
            ///
            /// # Errors
            /// When the claim's value does not fit `T`.
            pub fn claim<'a, T: Deserialize<'a>>(&'a self, name: &str) -> Result<Option<T>, serde_json::Error> {
                claim_of(&self.0.source.json, name)
            }

            /// The token's payload: the JSON object of all its claims.
            pub fn json(&self) -> &str {
                &self.0.source.json
            }
        }

        impl SinglePass for $name {
            fn parse(json: String) -> Result<Self, String> {
                match Self::parse_json(json) {
                    Ok(claims) => Ok(claims),
                    Err((_, json)) => Err(json),
                }
            }

            fn registered(&self) -> Option<Registered<'_>> {
                self.registered_view()
            }

            fn json(&self) -> &str {
                &self.0.source.json
            }
        }

        impl $name {
            fn parse_json(json: String) -> Result<Self, (serde_json::Error, String)> {
                struct Seed<'s, 'de>(&'s mut Spans<'de>);
                impl<'de> DeserializeSeed<'de> for Seed<'_, 'de> {
                    type Value = $inner;
                    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<$inner, D::Error> {
                        deserializer.deserialize_map(self)
                    }
                }
                impl<'de> Visitor<'de> for Seed<'_, 'de> {
                    type Value = $inner;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str(concat!("a JSON object of ", stringify!($name)))
                    }
                    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<$inner, A::Error> {
                        let spans = self.0;
                        $( let mut $tfield: Option<Span> = None; )*
                        let mut $dfield: Option<u64> = None;
                        $( let mut $otfield: Option<Span> = None; )*
                        $( let mut $onfield: Option<u64> = None; )*
                        $( let mut $obfield: Option<bool> = None; )*
                        $( let mut $lfield: Option<Vec<Span>> = None; )*
                        $( let mut $sfield: Option<Span> = None; )?
                        let mut two_pass = false;
                        let mut others: Vec<Cow<'de, str>> = Vec::new();
                        while let Some(Text(key)) = map.next_key::<Text<'de>>()? {
                            match key.as_ref() {
                                $( $tkey => read_once(&mut $tfield, $tkey, &mut map, spans)?, )*
                                $dkey => read_once(&mut $dfield, $dkey, &mut map, spans)?,
                                $( $otkey => read_once(&mut $otfield, $otkey, &mut map, spans)?, )*
                                $( $onkey => read_once(&mut $onfield, $onkey, &mut map, spans)?, )*
                                $( $obkey => read_once(&mut $obfield, $obkey, &mut map, spans)?, )*
                                $( $lkey => read_once(&mut $lfield, $lkey, &mut map, spans)?, )*
                                $( $skey => read_once(&mut $sfield, $skey, &mut map, spans)?, )?
                                _ => {
                                    if others.contains(&key) {
                                        return Err(de::Error::custom("duplicate claim"));
                                    }
                                    two_pass |= [$( $gkey ),*].contains(&key.as_ref());
                                    map.next_value::<Skip>()?;
                                    others.push(key);
                                }
                            }
                        }
                        Ok($inner {
                            source: Source::default(),
                            $( $tfield: $tfield.ok_or_else(|| de::Error::missing_field($tkey))?, )*
                            $dfield: $dfield.ok_or_else(|| de::Error::missing_field($dkey))?,
                            $( $otfield, )*
                            $( $onfield, )*
                            $( $obfield, )*
                            $( $lfield: $lfield.unwrap_or_default(), )*
                            $( $sfield, )?
                            two_pass,
                        })
                    }
                }
                let mut spans = Spans { base: &json, unescaped: String::new() };
                let mut deserializer = serde_json::Deserializer::from_str(&json);
                let parsed = Seed(&mut spans)
                    .deserialize(&mut deserializer)
                    .and_then(|inner| deserializer.end().map(|()| inner));
                let unescaped = spans.unescaped;
                match parsed {
                    Ok(mut inner) => {
                        inner.source = Source { json, unescaped };
                        Ok($name(Arc::new(inner)))
                    }
                    Err(e) => Err((e, json)),
                }
            }

            fn registered_view(&self) -> Option<Registered<'_>> {
                let c = &*self.0;
                if c.two_pass || c.$dfield > MAX_NUMERIC_DATE {
                    return None;
                }
                let date = |d: Option<u64>| match d {
                    Some(d) if d > MAX_NUMERIC_DATE => Err(()),
                    d => Ok(d.map(NumericDate)),
                };
                Some(Registered {
                    iss: Some(Cow::Borrowed(self.iss())),
                    sub: Some(Cow::Borrowed(self.sub())),
                    token_use: Some(Cow::Borrowed(self.token_use())),
                    exp: Some(NumericDate(c.$dfield)),
                    nbf: date(self.nbf()).ok()?,
                    iat: date(self.iat()).ok()?,
                    groups: Groups::Spans(&c.groups, &c.source),
                    jti: self.jti().map(Cow::Borrowed),
                    origin_jti: self.origin_jti().map(Cow::Borrowed),
                    ..self.registered_own()
                })
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let json = object_json(deserializer)?;
                $name::parse_json(json).map_err(|(e, _)| de::Error::custom(json_problem(&e)))
            }
        }

        /// Serializes as the token's JSON object of claims.
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serialize_json(&self.0.source.json, serializer)
            }
        }

        /// Equal when the payloads are.
        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                self.0.source.json == other.0.source.json
            }
        }
        impl Eq for $name {}
    };
}

claims_struct! {
    /// The claims of a Cognito ID token (`token_use` = `id`).
    ///
    /// A cheap-to-clone handle on the verified payload (one allocation per
    /// token, whatever the number of claims), with an accessor per claim
    /// Cognito issues and [`claim`](Self::claim) for any other. Parsing
    /// refuses duplicate keys and accepts both the boolean and the string
    /// form of `email_verified` (moto sends `"true"`).
    ///
    /// ```
    /// use cognito_jwt_core::IdTokenClaims;
    ///
    /// let claims: IdTokenClaims = serde_json::from_str(r#"{
    ///     "sub": "a1b2", "iss": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123",
    ///     "aud": "1example23456789", "token_use": "id", "exp": 1700000000,
    ///     "email": "jo@example.com", "email_verified": "true", "custom:tenant": "acme",
    ///     "cognito:groups": ["admins"]
    /// }"#).unwrap();
    /// assert_eq!(claims.email(), Some("jo@example.com"));
    /// assert_eq!(claims.email_verified(), Some(true));
    /// assert_eq!(claims.custom_attribute("tenant").as_deref(), Some("acme"));
    /// assert!(claims.in_group("admins"));
    /// ```
    pub struct IdTokenClaims / IdInner {
        text {
            /// `sub`: the user's stable, unique id.
            "sub" => sub,
            /// `iss`: the user pool's issuer URL.
            "iss" => iss,
            /// `aud`: the app client id the token was issued to.
            "aud" => aud,
            /// `token_use`: always `id`.
            "token_use" => token_use,
        }
        date {
            /// `exp`: expiry, seconds since the epoch.
            "exp" => exp,
        }
        optional_text {
            /// `cognito:username`.
            "cognito:username" => username,
            /// `cognito:preferred_role`.
            "cognito:preferred_role" => preferred_role,
            /// `email`.
            "email" => email,
            /// `phone_number`.
            "phone_number" => phone_number,
            /// `jti`: this token's id.
            "jti" => jti,
            /// `origin_jti`: the id shared by every token of one sign-in.
            "origin_jti" => origin_jti,
            /// `event_id`.
            "event_id" => event_id,
            /// `nonce` (hosted UI / OAuth flows).
            "nonce" => nonce,
            /// `at_hash` (hosted UI / OAuth flows).
            "at_hash" => at_hash,
        }
        optional_number {
            /// `iat`: issue time, seconds since the epoch.
            "iat" => iat,
            /// `nbf`: not before, seconds since the epoch (Cognito omits it).
            "nbf" => nbf,
            /// `auth_time`: when the user signed in.
            "auth_time" => auth_time,
        }
        optional_bool {
            /// `email_verified`.
            "email_verified" => email_verified,
            /// `phone_number_verified`.
            "phone_number_verified" => phone_number_verified,
        }
        lists {
            /// `cognito:groups` (empty when the user is in no group).
            "cognito:groups" => groups,
            /// `cognito:roles`.
            "cognito:roles" => roles,
        }
        scope {}
        two_pass_when_present ["client_id", "scope", "username"]
    }
}

claims_struct! {
    /// The claims of a Cognito access token (`token_use` = `access`).
    ///
    /// A cheap-to-clone handle on the verified payload (one allocation per
    /// token, whatever the number of claims), with an accessor per claim
    /// Cognito issues and [`claim`](Self::claim) for any other (for
    /// instance those a pre-token-generation trigger adds).
    /// Machine-to-machine tokens (client credentials) have no `username` and
    /// no groups; their `sub` is the client id.
    ///
    /// ```
    /// use cognito_jwt_core::AccessTokenClaims;
    ///
    /// let claims: AccessTokenClaims = serde_json::from_str(r#"{
    ///     "sub": "a1b2", "iss": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123",
    ///     "client_id": "1example23456789", "token_use": "access", "exp": 1700000000,
    ///     "scope": "openid orders/read", "username": "jo", "tenant": "acme"
    /// }"#).unwrap();
    /// assert!(claims.has_scope("orders/read"));
    /// assert_eq!(claims.scopes().collect::<Vec<_>>(), ["openid", "orders/read"]);
    /// assert_eq!(claims.claim::<&str>("tenant").unwrap(), Some("acme"));
    /// assert!(!claims.is_machine_to_machine());
    /// ```
    pub struct AccessTokenClaims / AccessInner {
        text {
            /// `sub`: the user's id, or the client id for machine-to-machine tokens.
            "sub" => sub,
            /// `iss`: the user pool's issuer URL.
            "iss" => iss,
            /// `client_id`: the app client the token was issued to.
            "client_id" => client_id,
            /// `token_use`: always `access`.
            "token_use" => token_use,
        }
        date {
            /// `exp`: expiry, seconds since the epoch.
            "exp" => exp,
        }
        optional_text {
            /// `username` (absent for machine-to-machine tokens).
            "username" => username,
            /// `jti`: this token's id.
            "jti" => jti,
            /// `origin_jti`: the id shared by every token of one sign-in.
            "origin_jti" => origin_jti,
            /// `event_id`.
            "event_id" => event_id,
        }
        optional_number {
            /// `iat`: issue time, seconds since the epoch.
            "iat" => iat,
            /// `nbf`: not before, seconds since the epoch (Cognito omits it).
            "nbf" => nbf,
            /// `auth_time`: when the user signed in.
            "auth_time" => auth_time,
            /// `version`: 2 for tokens customized by a V2 pre-token-generation trigger.
            "version" => version,
        }
        optional_bool {}
        lists {
            /// `cognito:groups` (empty when the user is in no group).
            "cognito:groups" => groups,
        }
        scope {
            "scope" => scope,
        }
        two_pass_when_present ["aud"]
    }
}

impl IdTokenClaims {
    /// A custom attribute: `custom_attribute("tenant")` reads `custom:tenant`
    /// when it is a string.
    pub fn custom_attribute(&self, name: &str) -> Option<Cow<'_, str>> {
        self.claim::<Text<'_>>(&format!("custom:{name}"))
            .ok()
            .flatten()
            .map(|Text(t)| t)
    }
    /// Whether the user is in `group`.
    pub fn in_group(&self, group: &str) -> bool {
        self.groups().any(|g| g == group)
    }
    fn registered_own(&self) -> Registered<'_> {
        Registered {
            aud: Some(Cow::Borrowed(self.aud())),
            ..Registered::default()
        }
    }
}

impl AccessTokenClaims {
    /// The granted scopes, in token order: the space-separated `scope`
    /// claim, split (empty when absent).
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        split_scope(self.0.scope.map_or("", |s| self.0.source.get(s)))
    }
    /// Whether the token carries `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes().any(|s| s == scope)
    }
    /// Whether the user is in `group`.
    pub fn in_group(&self, group: &str) -> bool {
        self.groups().any(|g| g == group)
    }
    /// Whether this is a machine-to-machine (client credentials) token: it
    /// has no `username`.
    pub fn is_machine_to_machine(&self) -> bool {
        self.username().is_none()
    }
    fn registered_own(&self) -> Registered<'_> {
        Registered {
            client_id: Some(Cow::Borrowed(self.client_id())),
            scope: self.0.scope.map(|s| Cow::Borrowed(self.0.source.get(s))),
            username: self.username().map(Cow::Borrowed),
            ..Registered::default()
        }
    }
}

macro_rules! redacted_debug {
    ($($name:ident),*) => {$(
        /// Shows only the subject and expiry: claims are personal data and
        /// `Debug` output ends up in logs.
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("exp", &self.0.exp)
                    .finish_non_exhaustive()
            }
        }
    )*};
}
redacted_debug!(IdTokenClaims, AccessTokenClaims);

#[cfg(test)]
mod tests {
    use super::*;

    const ACCESS: &str = r#"{"sub":"u-1","iss":"https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_A","client_id":"c1","token_use":"access","exp":1700000000,"scope":"openid  orders/read","cognito:groups":["admins","ops"],"username":"jo","tenant":{"plan":"gold"}}"#;

    fn access(json: &str) -> AccessTokenClaims {
        AccessTokenClaims::parse(json.to_owned()).expect("parses")
    }

    #[test]
    fn fields_point_into_the_payload() {
        let claims = access(ACCESS);
        assert_eq!(claims.sub(), "u-1");
        assert_eq!(claims.client_id(), "c1");
        assert_eq!(claims.exp(), 1_700_000_000);
        assert_eq!(claims.iat(), None);
        assert_eq!(claims.username(), Some("jo"));
        assert_eq!(claims.groups().collect::<Vec<_>>(), ["admins", "ops"]);
        assert_eq!(claims.groups().len(), 2);
        assert_eq!(
            claims.scopes().collect::<Vec<_>>(),
            ["openid", "orders/read"]
        );
        assert!(claims.has_scope("orders/read") && !claims.has_scope("orders"));
        assert_eq!(claims.json(), ACCESS);
        assert!(claims.0.source.unescaped.is_empty());
        // Clones share the parsed payload.
        let copy = claims.clone();
        assert!(Arc::ptr_eq(&claims.0, &copy.0));
        assert_eq!(claims, copy);
    }

    #[test]
    fn escaped_strings_are_unescaped_beside_the_payload() {
        let json = ACCESS
            .replace(r#""sub":"u-1""#, r#""sub":"u\u002d1\"x""#)
            .replace(r#""ops""#, r#""o\/ps""#);
        let claims = access(&json);
        assert_eq!(claims.sub(), "u-1\"x");
        assert_eq!(claims.groups().collect::<Vec<_>>(), ["admins", "o/ps"]);
        assert_eq!(claims.0.source.unescaped, "u-1\"xo/ps");
        let registered = claims.registered().expect("single pass");
        assert_eq!(registered.sub.as_deref(), Some("u-1\"x"));
        assert_eq!(
            registered.groups.iter().collect::<Vec<_>>(),
            ["admins", "o/ps"]
        );
    }

    #[test]
    fn other_claims_are_read_on_demand() {
        let claims = access(ACCESS);
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
            ACCESS.replace(r#""exp":1700000000"#, r#""exp":1.7e9"#),
            ACCESS.replace(r#"["admins","ops"]"#, r#""admins""#),
            format!("{ACCESS} {{}}"),
        ] {
            assert!(AccessTokenClaims::parse(bad.clone()).is_err(), "{bad}");
            assert!(
                serde_json::from_str::<AccessTokenClaims>(&bad).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_claim_the_type_does_not_keep_sends_the_checks_through_the_generic_pass() {
        let with_aud = ACCESS.replace(r#""username""#, r#""aud":"x","username""#);
        assert!(access(&with_aud).registered().is_none());
        assert!(access(ACCESS).registered().is_some());
        let huge_exp = ACCESS.replace("1700000000", "253402300800");
        assert!(access(&huge_exp).registered().is_none());
    }

    #[test]
    fn serde_round_trip_and_generic_deserialization() {
        let claims = access(ACCESS);
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
        assert!(id.roles().next().is_none());
    }
}
