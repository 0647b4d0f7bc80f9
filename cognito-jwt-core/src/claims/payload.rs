//! The one parser of a token's claims: every claim this crate knows is read
//! in a single borrowing pass, duplicates refused, every other claim
//! skipped with the deserializer's nesting limit. The verifier checks the
//! registered claims from it, and the built-in claims types are built from
//! it without parsing again.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use serde::de::{self, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::scan::{Scan, scan};
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
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(4).min(64));
                while let Some(Text(item)) = seq.next_element()? {
                    items.push(item);
                }
                Ok(TextList(items))
            }
        }
        deserializer.deserialize_seq(ListVisitor)
    }
}

/// `aud`: one string, or an array of strings (RFC 7519 §4.1.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Audience<'a> {
    One(Cow<'a, str>),
    Many(Vec<Cow<'a, str>>),
}

impl<'a> Audience<'a> {
    /// The single string, when `aud` is one (Cognito's form).
    pub(crate) fn single(&self) -> Option<&str> {
        match self {
            Audience::One(aud) => Some(aud),
            Audience::Many(_) => None,
        }
    }

    /// Every audience named.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &str> {
        let (one, many) = match self {
            Audience::One(aud) => (Some(aud.as_ref()), &[][..]),
            Audience::Many(list) => (None, list.as_slice()),
        };
        one.into_iter().chain(many.iter().map(|a| a.as_ref()))
    }

    fn into_owned(self) -> Audience<'static> {
        match self {
            Audience::One(aud) => Audience::One(Cow::Owned(aud.into_owned())),
            Audience::Many(list) => Audience::Many(
                list.into_iter()
                    .map(|a| Cow::Owned(a.into_owned()))
                    .collect(),
            ),
        }
    }
}

impl<'de> Deserialize<'de> for Audience<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct AudienceVisitor;
        impl<'de> Visitor<'de> for AudienceVisitor {
            type Value = Audience<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or an array of strings")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Audience::One(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Audience::One(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Audience::One(Cow::Owned(v)))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(4).min(64));
                while let Some(Text(item)) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Audience::Many(items))
            }
        }
        deserializer.deserialize_any(AudienceVisitor)
    }
}

/// `cnf` (RFC 7800): the key a token is bound to. Only DPoP's `jkt` (RFC
/// 9449 §6.1) is read; other members (such as mTLS's `x5t#S256`) are
/// skipped, and none may repeat.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Confirmation<'a> {
    /// The SHA-256 thumbprint of the DPoP key, base64url.
    pub(crate) jkt: Option<Cow<'a, str>>,
}

impl Confirmation<'_> {
    fn into_owned(self) -> Confirmation<'static> {
        Confirmation {
            jkt: self.jkt.map(|jkt| Cow::Owned(jkt.into_owned())),
        }
    }
}

impl<'de> Deserialize<'de> for Confirmation<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ConfirmationVisitor;
        impl<'de> Visitor<'de> for ConfirmationVisitor {
            type Value = Confirmation<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object of confirmation methods")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut confirmation = Confirmation::default();
                let mut others = SeenKeys::default();
                while let Some(Text(key)) = map.next_key::<Text<'de>>()? {
                    if key == "jkt" {
                        if confirmation.jkt.is_some() {
                            return Err(de::Error::custom("a confirmation method appears twice"));
                        }
                        confirmation.jkt = Some(map.next_value::<Text<'de>>()?.0);
                    } else {
                        if !others.insert(key) {
                            return Err(de::Error::custom("a confirmation method appears twice"));
                        }
                        map.next_value::<Skip>()?;
                    }
                }
                Ok(confirmation)
            }
        }
        deserializer.deserialize_map(ConfirmationVisitor)
    }
}

/// Latest NumericDate accepted: the last second of year 9999.
pub(crate) const MAX_NUMERIC_DATE: u64 = 253_402_300_799;

/// A NumericDate (RFC 7519): seconds since the epoch, integer, fractional
/// or in exponent form; fractions are truncated. Negative, non-finite and
/// absurd values (after year 9999) are refused rather than wrapped.
pub(crate) struct NumericDate(pub(crate) u64);

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

/// Accepts `true`/`false` and the strings `"true"`/`"false"` (moto and ALB
/// send strings).
struct FlexibleBool(bool);

impl<'de> Deserialize<'de> for FlexibleBool {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct BoolVisitor;
        impl Visitor<'_> for BoolVisitor {
            type Value = FlexibleBool;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a boolean or \"true\"/\"false\"")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(FlexibleBool(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                match v {
                    "true" => Ok(FlexibleBool(true)),
                    "false" => Ok(FlexibleBool(false)),
                    _ => Err(E::custom("expected a boolean or \"true\"/\"false\"")),
                }
            }
        }
        deserializer.deserialize_any(BoolVisitor)
    }
}

/// Skips any JSON value through `deserialize_any`, so that the
/// deserializer's nesting limit applies (`IgnoredAny` skips without one):
/// deeply nested claims are refused for every claims type alike.
pub(crate) struct Skip;

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

/// Names of the other (unknown) claims seen so far, to refuse repeats in
/// linear time: a short list searched in place, a hash set past that.
#[derive(Default)]
pub(crate) struct SeenKeys<'a> {
    few: Vec<Cow<'a, str>>,
    many: HashSet<Cow<'a, str>>,
}

impl<'a> SeenKeys<'a> {
    const FEW: usize = 16;

    /// Record `key`; `false` when it was seen before.
    pub(crate) fn insert(&mut self, key: Cow<'a, str>) -> bool {
        if self.few.len() < Self::FEW {
            if self.few.contains(&key) {
                return false;
            }
            self.few.push(key);
            return true;
        }
        if self.few.contains(&key) {
            return false;
        }
        self.many.insert(key)
    }
}

/// What an allocator keeps beside each allocation, roughly (glibc's
/// malloc: 8 to 16 bytes of header and rounding).
pub(crate) const ALLOCATION_OVERHEAD: usize = 16;

/// Declares [`Payload`], its parser and its owned copy from one table: the
/// claims this crate knows, by name, field and kind. A claim not listed is
/// skipped (and must not repeat).
macro_rules! payload {
    ($( $kind:ident $key:literal => $field:ident, )*) => {
        /// Every claim this crate reads, as the token has it. Strings borrow
        /// from the payload JSON unless they were written with escapes.
        #[derive(Debug, Clone, Default, PartialEq, Eq)]
        pub(crate) struct Payload<'a> {
            $( pub(crate) $field: payload!(@type $kind), )*
            /// The verifier's extra list claims (groups or roles claims
            /// named by configuration), by their index in the names the
            /// parser was given.
            pub(crate) extra_lists: Vec<(usize, Vec<Cow<'a, str>>)>,
            /// The claims the verifier's claim rules name (outside the
            /// table), read in this one pass: name and value.
            pub(crate) captured: Vec<(Cow<'a, str>, serde_json::Value)>,
        }

        impl<'de> Visitor<'de> for PayloadVisitor<'_, '_, 'de> {
            type Value = ();
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object of claims")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let payload = self.out;
                let mut others = SeenKeys::default();
                while let Some(Text(key)) = map.next_key::<Text<'de>>()? {
                    match key.as_ref() {
                        $( $key => payload!(@read $kind $key, payload.$field, map), )*
                        _ => {
                            let extra = self.extra_lists.iter().position(|name| **name == *key);
                            let captured = extra.is_none()
                                && self.capture.iter().any(|name| **name == *key);
                            let name = captured.then(|| key.clone());
                            if !others.insert(key) {
                                return Err(de::Error::custom("a claim appears twice"));
                            }
                            if let Some(name) = name {
                                payload.captured.push((name, map.next_value()?));
                                continue;
                            }
                            match extra {
                                Some(index) => {
                                    let TextList(list) = map.next_value().map_err(|_: A::Error| {
                                        de::Error::custom(
                                            "a configured groups claim must be an array of strings",
                                        )
                                    })?;
                                    payload.extra_lists.push((index, list));
                                }
                                None => {
                                    map.next_value::<Skip>()?;
                                }
                            }
                        }
                    }
                }
                Ok(())
            }
        }

        impl Payload<'_> {
            /// A copy that owns its strings (for the verified-token cache).
            pub(crate) fn into_owned(self) -> Payload<'static> {
                Payload {
                    $( $field: payload!(@own $kind self.$field), )*
                    extra_lists: self
                        .extra_lists
                        .into_iter()
                        .map(|(i, l)| (i, l.into_iter().map(|t| Cow::Owned(t.into_owned())).collect()))
                        .collect(),
                    captured: self
                        .captured
                        .into_iter()
                        .map(|(name, value)| (Cow::Owned(name.into_owned()), value))
                        .collect(),
                }
            }

            /// Whether the claim `name` of the table is present; `None`
            /// for a name the table does not have.
            pub(crate) fn has(&self, name: &str) -> Option<bool> {
                match name {
                    $( $key => Some(self.$field.is_some()), )*
                    _ => None,
                }
            }

            /// The heap bytes an owned copy holds beyond the struct itself:
            /// each string and list, with [`ALLOCATION_OVERHEAD`] apiece.
            pub(crate) fn heap_bytes(&self) -> usize {
                0 $( + payload!(@heap $kind self.$field) )*
                    // A captured value: its name, and its JSON text as an
                    // estimate of the value's own allocations.
                    + self
                        .captured
                        .iter()
                        .map(|(name, value)| {
                            name.len() + value.to_string().len() + 4 * ALLOCATION_OVERHEAD
                        })
                        .sum::<usize>()
            }
        }

        impl<'a> Payload<'a> {
            /// The fast path's read of the claim `key` ([`scan`]):
            /// `Some(false)` when the table does not have it, `None` where
            /// the scan stops (a repeat, or a value it does not read).
            pub(super) fn scan_known(&mut self, key: &str, scan: &mut Scan<'a>) -> Option<bool> {
                match key {
                    $( $key => {
                        if self.$field.is_some() {
                            return None;
                        }
                        self.$field = Some(payload!(@scan $kind scan));
                    } )*
                    _ => return Some(false),
                }
                Some(true)
            }
        }

        /// Every claim name of the table.
        pub(crate) const KNOWN_CLAIMS: &[&str] = &[$( $key, )*];
    };

    (@type text) => { Option<Cow<'a, str>> };
    (@type audience) => { Option<Audience<'a>> };
    (@type date) => { Option<u64> };
    (@type number) => { Option<u64> };
    (@type flag) => { Option<bool> };
    (@type list) => { Option<Vec<Cow<'a, str>>> };
    (@type confirmation) => { Option<Confirmation<'a>> };

    (@read $kind:ident $key:literal, $slot:expr, $map:ident) => {{
        if $slot.is_some() {
            return Err(de::Error::custom(concat!("claim `", $key, "` appears twice")));
        }
        $slot = Some(payload!(@value $kind $key, $map));
    }};
    (@value text $key:literal, $map:ident) => {
        $map.next_value::<Text<'de>>()
            .map_err(|_: A::Error| de::Error::custom(concat!("claim `", $key, "` must be a string")))?
            .0
    };
    (@value audience $key:literal, $map:ident) => {
        $map.next_value::<Audience<'de>>()
            .map_err(|_: A::Error| de::Error::custom(concat!("claim `", $key, "` must be a string or an array of strings")))?
    };
    (@value date $key:literal, $map:ident) => {
        $map.next_value::<NumericDate>()
            .map_err(|_: A::Error| de::Error::custom(concat!(
                "claim `", $key,
                "` must be a NumericDate (seconds since 1970, not negative, before year 10000)"
            )))?
            .0
    };
    (@value number $key:literal, $map:ident) => {
        $map.next_value::<u64>()
            .map_err(|_: A::Error| de::Error::custom(concat!("claim `", $key, "` must be a non-negative integer")))?
    };
    (@value flag $key:literal, $map:ident) => {
        $map.next_value::<FlexibleBool>()
            .map_err(|_: A::Error| de::Error::custom(concat!("claim `", $key, "` must be a boolean")))?
            .0
    };
    (@value confirmation $key:literal, $map:ident) => {
        $map.next_value::<Confirmation<'de>>()
            .map_err(|_: A::Error| de::Error::custom(concat!(
                "claim `", $key, "` must be an object whose jkt is a string, each member once"
            )))?
    };
    (@value list $key:literal, $map:ident) => {
        $map.next_value::<TextList<'de>>()
            .map_err(|_: A::Error| de::Error::custom(concat!("claim `", $key, "` must be an array of strings")))?
            .0
    };

    (@scan text $scan:ident) => { Cow::Borrowed($scan.string()?) };
    (@scan audience $scan:ident) => { $scan.audience()? };
    (@scan date $scan:ident) => { $scan.date()? };
    (@scan number $scan:ident) => { $scan.unsigned()? };
    (@scan flag $scan:ident) => { $scan.flag()? };
    (@scan list $scan:ident) => { $scan.strings()? };
    (@scan confirmation $scan:ident) => { $scan.confirmation()? };

    (@heap text $v:expr) => { $v.as_ref().map_or(0, |t| t.len() + ALLOCATION_OVERHEAD) };
    (@heap list $v:expr) => {
        $v.as_ref().map_or(0, |l| {
            l.iter().map(|t| size_of::<Cow<'_, str>>() + t.len() + ALLOCATION_OVERHEAD).sum::<usize>()
                + ALLOCATION_OVERHEAD
        })
    };
    (@heap confirmation $v:expr) => {
        $v.as_ref().and_then(|c| c.jkt.as_ref()).map_or(0, |t| t.len() + ALLOCATION_OVERHEAD)
    };
    (@heap $kind:ident $v:expr) => { 0 };

    (@own text $v:expr) => { $v.map(|t| Cow::Owned(t.into_owned())) };
    (@own audience $v:expr) => { $v.map(Audience::into_owned) };
    (@own date $v:expr) => { $v };
    (@own number $v:expr) => { $v };
    (@own flag $v:expr) => { $v };
    (@own confirmation $v:expr) => { $v.map(Confirmation::into_owned) };
    (@own list $v:expr) => { $v.map(|l| l.into_iter().map(|t| Cow::Owned(t.into_owned())).collect()) };
}

/// The parser, with the names of the extra list claims to keep and of the
/// claims to capture for claim rules. It fills `out` in place (a payload
/// is several hundred bytes: not moved through the deserializer's results).
pub(crate) struct PayloadVisitor<'n, 'p, 'de> {
    pub(crate) extra_lists: &'n [Box<str>],
    pub(crate) capture: &'n [Box<str>],
    pub(crate) out: &'p mut Payload<'de>,
}

payload! {
    text "iss" => iss,
    text "sub" => sub,
    audience "aud" => aud,
    text "client_id" => client_id,
    text "token_use" => token_use,
    date "exp" => exp,
    date "nbf" => nbf,
    date "iat" => iat,
    date "auth_time" => auth_time,
    text "scope" => scope,
    list "scp" => scp,
    list "cognito:groups" => groups,
    list "cognito:roles" => roles,
    text "cognito:preferred_role" => preferred_role,
    text "cognito:username" => cognito_username,
    text "username" => username,
    text "jti" => jti,
    text "origin_jti" => origin_jti,
    text "event_id" => event_id,
    number "version" => version,
    text "email" => email,
    flag "email_verified" => email_verified,
    text "phone_number" => phone_number,
    flag "phone_number_verified" => phone_number_verified,
    text "nonce" => nonce,
    text "at_hash" => at_hash,
    confirmation "cnf" => cnf,
}

impl<'de> Deserialize<'de> for Payload<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut payload = Payload::default();
        deserializer.deserialize_map(PayloadVisitor {
            extra_lists: &[],
            capture: &[],
            out: &mut payload,
        })?;
        Ok(payload)
    }
}

impl Payload<'_> {
    /// Parse a payload's JSON: one object, nothing after it.
    pub(crate) fn parse(json: &str) -> Result<Payload<'_>, Error> {
        Payload::parse_with(json, &[], &[])
    }

    /// [`parse`](Self::parse), also keeping the list claims named in
    /// `extra_lists` (configured groups claims) and the values of the
    /// claims named in `capture` (those the claim rules read).
    pub(crate) fn parse_with<'j>(
        json: &'j str,
        extra_lists: &[Box<str>],
        capture: &[Box<str>],
    ) -> Result<Payload<'j>, Error> {
        let mut payload = Payload::default();
        Payload::parse_into(json, extra_lists, capture, &mut payload).map(|()| payload)
    }

    /// [`parse_with`](Self::parse_with) into `out` (a default
    /// [`Payload`]), which the verifier keeps in place: a payload is
    /// several hundred bytes, not worth moving through results.
    pub(crate) fn parse_into<'j>(
        json: &'j str,
        extra_lists: &[Box<str>],
        capture: &[Box<str>],
        out: &mut Payload<'j>,
    ) -> Result<(), Error> {
        if scan(json, extra_lists, capture, out).is_some() {
            return Ok(());
        }
        // The serde pass decides, from the start.
        *out = Payload::default();
        Payload::serde_into(json, extra_lists, capture, out)
    }

    /// [`parse_with`](Self::parse_with) by the serde pass alone: what
    /// decides whenever the scan stops.
    #[cfg(test)]
    pub(super) fn parse_serde<'j>(
        json: &'j str,
        extra_lists: &[Box<str>],
        capture: &[Box<str>],
    ) -> Result<Payload<'j>, Error> {
        let mut payload = Payload::default();
        Payload::serde_into(json, extra_lists, capture, &mut payload).map(|()| payload)
    }

    fn serde_into<'j>(
        json: &'j str,
        extra_lists: &[Box<str>],
        capture: &[Box<str>],
        out: &mut Payload<'j>,
    ) -> Result<(), Error> {
        let mut deserializer = serde_json::Deserializer::from_str(json);
        deserializer
            .deserialize_map(PayloadVisitor {
                extra_lists,
                capture,
                out,
            })
            .and_then(|()| deserializer.end())
            .map_err(|e| not_a_claims_object(&e))
    }
}

/// Whether a claim name is `iss`, decided without keeping (or, for names
/// written with escapes, allocating) the name.
struct IsIss(bool);

impl<'de> Deserialize<'de> for IsIss {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NameVisitor;
        impl Visitor<'_> for NameVisitor {
            type Value = IsIss;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a claim name")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(IsIss(v == "iss"))
            }
        }
        deserializer.deserialize_str(NameVisitor)
    }
}

/// The `iss` of a payload, read in one pass that checks only that the
/// payload is a JSON object and skips every other value without building
/// anything (its nesting limit applies). Used before a key-set fetch; the
/// full parse, duplicates included, runs once the signature holds.
pub(crate) fn issuer_of(json: &str) -> Result<Option<Cow<'_, str>>, Error> {
    struct IssuerVisitor;
    impl<'de> Visitor<'de> for IssuerVisitor {
        type Value = Option<Cow<'de, str>>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON object of claims")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut iss = None;
            while let Some(IsIss(is_iss)) = map.next_key::<IsIss>()? {
                if is_iss && iss.is_none() {
                    let Text(value) = map
                        .next_value()
                        .map_err(|_: A::Error| de::Error::custom("claim `iss` must be a string"))?;
                    iss = Some(value);
                } else {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            Ok(iss)
        }
    }
    let mut deserializer = serde_json::Deserializer::from_str(json);
    deserializer
        .deserialize_map(IssuerVisitor)
        .and_then(|iss| deserializer.end().map(|()| iss))
        .map_err(|e| not_a_claims_object(&e))
}

/// The refusal of a payload that is not a claims object.
fn not_a_claims_object(e: &serde_json::Error) -> Error {
    Error::new(
        ErrorKind::Malformed,
        format!(
            "the payload is not a valid claims object: {}",
            json_problem(e)
        ),
    )
}

/// Describe a serde_json error without quoting the input: the messages of
/// this module's visitors name claims by their fixed names only; anything
/// else that might quote input (a caller's own claims type) is reduced to
/// its category.
pub(crate) fn json_problem(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    match e.classify() {
        Category::Syntax | Category::Eof => {
            format!("invalid JSON at line {} column {}", e.line(), e.column())
        }
        Category::Data => {
            let text = e.to_string();
            let ours = text.starts_with("claim `") && text.matches('`').count() == 2;
            if ours || !text.contains(['"', '\'', '`']) {
                text
            } else {
                "a claim has the wrong type or value".to_owned()
            }
        }
        Category::Io => "could not be read".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Payload<'_>, String> {
        Payload::parse(json).map_err(|e| e.message().to_owned())
    }

    #[test]
    fn known_claims_borrow_and_others_are_skipped() {
        let json = r#"{"iss":"i","sub":"s\u00e9","exp":17e8,"nbf":1.5,"cognito:groups":["a","b"],"email_verified":"true","x":{"y":[1,2]},"version":2}"#;
        let p = parse(json).unwrap();
        assert!(matches!(p.iss, Some(Cow::Borrowed("i"))));
        assert_eq!(p.sub.as_deref(), Some("sé"));
        assert_eq!((p.exp, p.nbf), (Some(1_700_000_000), Some(1)));
        assert_eq!(p.groups.as_deref().map(<[_]>::len), Some(2));
        assert_eq!((p.email_verified, p.version), (Some(true), Some(2)));
        assert_eq!(p.clone().into_owned(), p);
    }

    #[test]
    fn repeats_wrong_types_and_trailing_text_are_refused() {
        for bad in [
            r#"{"exp":1,"exp":1}"#,
            r#"{"x":1,"x":2}"#,
            r#"{"iss":5}"#,
            r#"{"exp":"1"}"#,
            r#"{"exp":-1}"#,
            r#"{"exp":253402300800}"#,
            r#"{"cognito:groups":"a"}"#,
            r#"{"email_verified":"yes"}"#,
            r#"{"cnf":{"jkt":"a","jkt":"b"}}"#,
            r#"{"cnf":{"jkt":1}}"#,
            r#"{"cnf":"jkt"}"#,
            r#"{"cnf":{"x5t#S256":"a","x5t#S256":"b"}}"#,
            r#"{} {}"#,
            r#"[]"#,
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn repeats_among_many_other_claims_are_found() {
        let mut json: String = (0..100).map(|i| format!(r#""c{i}":0,"#)).collect();
        json.insert(0, '{');
        json.push_str(r#""c77":1}"#);
        assert!(parse(&json).unwrap_err().contains("twice"));
        json = json.replace(r#""c77":1"#, r#""c100":1"#);
        assert!(parse(&json).is_ok());
    }

    #[test]
    fn messages_name_claims_but_never_echo_values() {
        let message = parse(r#"{"iss":"planted","exp":"planted"}"#).unwrap_err();
        assert!(
            message.contains("`exp`") && !message.contains("planted"),
            "{message}"
        );
    }
}
