//! The header of a token: its parameters read once (each at most once),
//! checked against the verifier kind's rules before any key is looked up,
//! and the claims a load balancer adds to it.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::malformed;
use crate::algorithm::{Algorithm, AlgorithmSet};
use crate::claims::{NumericDate, Text};
use crate::error::{Error, ErrorKind};
use crate::jwks::MAX_KID_LEN;

/// The claims a load balancer adds to its token's header (JWS lets a
/// header carry any parameter): which load balancer signed it, for which
/// app client, from which identity provider, until when. Strings and a
/// number when present; their values are checked by the load balancer's
/// rules once the signature holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct HeaderClaims {
    pub(crate) signer: Option<String>,
    pub(crate) client: Option<String>,
    pub(crate) iss: Option<String>,
    pub(crate) exp: Option<u64>,
}

impl HeaderClaims {
    /// The bytes it holds, for the token cache's bound.
    pub(crate) fn heap_bytes(&self) -> usize {
        size_of::<Self>()
            + [&self.signer, &self.client, &self.iss]
                .into_iter()
                .flatten()
                .map(String::len)
                .sum::<usize>()
    }
}

/// The header fields that matter. Everything else (including `jku`, `jwk`,
/// `x5u`, `x5c`) is ignored: keys only ever come from the configured key set.
#[derive(Default)]
struct RawHeader<'a> {
    alg: Option<Cow<'a, str>>,
    kid: Option<Cow<'a, str>>,
    typ: Option<Cow<'a, str>>,
    /// A load balancer's parameters, boxed: only its headers have them,
    /// and the others pay nothing for the room.
    claims: Option<Box<RawHeaderClaims<'a>>>,
    has_cty: bool,
    has_crit: bool,
}

#[derive(Default)]
struct RawHeaderClaims<'a> {
    signer: Option<Cow<'a, str>>,
    client: Option<Cow<'a, str>>,
    iss: Option<Cow<'a, str>>,
    /// `Err` when it is not a number.
    exp: Option<Result<u64, ()>>,
}

impl<'de> Deserialize<'de> for RawHeader<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct HeaderVisitor;
        impl<'de> Visitor<'de> for HeaderVisitor {
            type Value = RawHeader<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut header = RawHeader::default();
                // Known parameters are tracked by bit, others by name (rare).
                let mut seen_known = 0u16;
                let mut seen_other: Vec<Cow<'de, str>> = Vec::new();
                while let Some(Text(key)) = map.next_key::<Text<'de>>()? {
                    let bit = match key.as_ref() {
                        "alg" => 1,
                        "kid" => 2,
                        "typ" => 4,
                        "cty" => 8,
                        "crit" => 16,
                        "signer" => 32,
                        "client" => 64,
                        "iss" => 128,
                        "exp" => 256,
                        _ => 0,
                    };
                    let duplicate = if bit == 0 {
                        seen_other.contains(&key)
                    } else {
                        seen_known & bit != 0
                    };
                    if duplicate {
                        return Err(de::Error::custom("duplicate header parameter"));
                    }
                    seen_known |= bit;
                    match key.as_ref() {
                        "alg" => header.alg = Some(map.next_value::<StrOrOther<'de>>()?.0),
                        "kid" => header.kid = Some(map.next_value::<StrOrOther<'de>>()?.0),
                        "typ" => header.typ = Some(map.next_value::<StrOrOther<'de>>()?.0),
                        "signer" => {
                            let claims = header.claims.get_or_insert_default();
                            claims.signer = Some(map.next_value::<StrOrOther<'de>>()?.0);
                        }
                        "client" => {
                            let claims = header.claims.get_or_insert_default();
                            claims.client = Some(map.next_value::<StrOrOther<'de>>()?.0);
                        }
                        "iss" => {
                            let claims = header.claims.get_or_insert_default();
                            claims.iss = Some(map.next_value::<StrOrOther<'de>>()?.0);
                        }
                        "exp" => {
                            // Only load balancers' headers have it.
                            let value = map.next_value::<serde_json::Value>()?;
                            header.claims.get_or_insert_default().exp = Some(
                                NumericDate::deserialize(value)
                                    .map(|date| date.0)
                                    .map_err(|_| ()),
                            );
                        }
                        "cty" => {
                            map.next_value::<IgnoredAny>()?;
                            header.has_cty = true;
                        }
                        "crit" => {
                            map.next_value::<IgnoredAny>()?;
                            header.has_crit = true;
                        }
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                            seen_other.push(key);
                        }
                    }
                }
                Ok(header)
            }
        }
        deserializer.deserialize_map(HeaderVisitor)
    }
}

/// A string value; any other JSON type becomes a marker that fails the
/// later checks with a precise message instead of a parse error.
struct StrOrOther<'a>(Cow<'a, str>);

const NOT_A_STRING: &str = "\u{0}not a string";

impl<'de> Deserialize<'de> for StrOrOther<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = StrOrOther<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(StrOrOther(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(StrOrOther(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(StrOrOther(Cow::Owned(v)))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(StrOrOther(Cow::Borrowed(NOT_A_STRING)))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(StrOrOther(Cow::Borrowed(NOT_A_STRING)))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(StrOrOther(Cow::Borrowed(NOT_A_STRING)))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(StrOrOther(Cow::Borrowed(NOT_A_STRING)))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(StrOrOther(Cow::Borrowed(NOT_A_STRING)))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(StrOrOther(Cow::Borrowed(NOT_A_STRING)))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(StrOrOther(Cow::Borrowed(NOT_A_STRING)))
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// Whose tokens a verifier takes, which sets the header rules and the
/// words of their messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Cognito's: RS256 only, `typ` absent or `JWT`.
    Cognito,
    /// Any issuer's: `typ` absent, `JWT` or `at+jwt`.
    Oidc,
    /// A load balancer's: padded segments, ES256, `typ` absent or `JWT`, a
    /// `kid` that is a UUID, and the load balancer's header claims.
    LoadBalancer,
}

/// What the header rules accept: the algorithms, and whose tokens they are
/// ([`Kind`]). `typ` is always compared as a media type
/// ([`media_type_is`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HeaderRules {
    pub(crate) algorithms: AlgorithmSet,
    pub(crate) kind: Kind,
}

impl HeaderRules {
    pub(crate) const COGNITO: Self = Self {
        algorithms: AlgorithmSet::RS256,
        kind: Kind::Cognito,
    };

    pub(crate) const LOAD_BALANCER: Self = Self {
        algorithms: AlgorithmSet::ES256,
        kind: Kind::LoadBalancer,
    };
}

/// The header's `typ`, as a media type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Typ {
    /// Absent.
    Absent,
    /// `JWT`, `jwt` or `application/jwt`, any case.
    Jwt,
    /// `at+jwt` or `application/at+jwt`, any case (RFC 9068).
    AccessToken,
}

/// Whether the header parameter `typ` names the media type
/// `application/<subtype>`: the one comparison for every `typ` check
/// (`jwt`, RFC 9068's `at+jwt`, DPoP's `dpop+jwt`).
///
/// RFC 7515 §4.1.9 makes `typ` a media type, to be read with
/// `application/` prepended when it has no `/`; media type names are
/// case-insensitive (RFC 2045 §5.1), in ASCII. Anything else, parameters
/// and surrounding whitespace included, is another type.
pub(crate) fn media_type_is(typ: &str, subtype: &str) -> bool {
    let named = match typ.split_once('/') {
        Some((top, named)) if top.eq_ignore_ascii_case("application") => named,
        Some(_) => return false,
        None => typ,
    };
    named.eq_ignore_ascii_case(subtype)
}

/// The JWT types a verifier tells apart.
fn media_type(typ: &str) -> Option<Typ> {
    if media_type_is(typ, "jwt") {
        Some(Typ::Jwt)
    } else if media_type_is(typ, "at+jwt") {
        Some(Typ::AccessToken)
    } else {
        None
    }
}

/// The checked header.
pub(crate) struct Header<'a> {
    pub(crate) kid: Cow<'a, str>,
    pub(crate) alg: Algorithm,
    pub(crate) typ: Typ,
    /// A load balancer's header claims (only with [`Kind::LoadBalancer`]).
    pub(crate) claims: Option<Box<HeaderClaims>>,
}

/// Parse and check the decoded header.
pub(crate) fn check_header<'a>(
    header_json: &'a [u8],
    rules: &HeaderRules,
) -> Result<Header<'a>, Error> {
    let header: RawHeader<'_> = serde_json::from_slice(header_json).map_err(|e| {
        Error::new(
            ErrorKind::Malformed,
            if e.is_data() && e.to_string().starts_with("duplicate") {
                "the header repeats a parameter".to_owned()
            } else {
                "the header is not a JSON object".to_owned()
            },
        )
    })?;
    let unsupported = |message: String| Err(Error::new(ErrorKind::UnsupportedAlgorithm, message));
    let alg = match (header.alg.as_deref(), rules.kind) {
        (None, Kind::Cognito) => {
            return unsupported("the header has no alg; Cognito signs with RS256".to_owned());
        }
        (None, Kind::LoadBalancer) => {
            return unsupported("the header has no alg; load balancers sign with ES256".to_owned());
        }
        (None, Kind::Oidc) => {
            return unsupported(format!(
                "the header has no alg; accepted: {}",
                rules.algorithms.names()
            ));
        }
        (Some(alg), kind) => match Algorithm::from_alg(alg) {
            Some(alg) if rules.algorithms.contains(alg) => alg,
            _ => {
                return unsupported(match kind {
                    Kind::Cognito => {
                        "the header's alg is not RS256, the only algorithm Cognito uses".to_owned()
                    }
                    Kind::LoadBalancer => {
                        "the header's alg is not ES256, the only algorithm load balancers use"
                            .to_owned()
                    }
                    Kind::Oidc => format!(
                        "the header's alg is not an accepted algorithm ({})",
                        rules.algorithms.names()
                    ),
                });
            }
        },
    };
    if header.has_crit {
        return Err(malformed(
            "the header has a crit parameter; no critical extensions are supported",
        ));
    }
    if header.has_cty {
        return Err(malformed(
            "the header has a cty parameter; nested or typed content is not accepted",
        ));
    }
    let typ = match (header.typ.as_deref().map(media_type), rules.kind) {
        (None, _) => Typ::Absent,
        (Some(Some(Typ::Jwt)), _) => Typ::Jwt,
        (Some(_), Kind::Cognito | Kind::LoadBalancer) => {
            return Err(malformed("the header's typ is not JWT"));
        }
        (Some(Some(typ)), Kind::Oidc) => typ,
        (Some(None), Kind::Oidc) => {
            return Err(malformed(
                "the header's typ is neither JWT nor at+jwt (RFC 9068)",
            ));
        }
    };
    let kid = match header.kid {
        None => Err(malformed(match rules.kind {
            Kind::Cognito => "the header has no kid; Cognito tokens always name their key",
            Kind::LoadBalancer => "the header has no kid; load balancers always name their key",
            Kind::Oidc => "the header has no kid; keys are only ever looked up by kid",
        })),
        Some(kid) if kid == NOT_A_STRING => Err(malformed("the header's kid is not a string")),
        Some(kid) if kid.is_empty() || kid.len() > MAX_KID_LEN => Err(malformed(
            "the header's kid is empty or longer than 256 bytes",
        )),
        Some(kid) if rules.kind == Kind::LoadBalancer && !is_uuid(&kid) => Err(malformed(
            "the header's kid is not a UUID, the form of every load balancer key id",
        )),
        Some(kid) => Ok(kid),
    }?;
    let claims = match rules.kind {
        Kind::LoadBalancer => {
            let raw = header.claims.unwrap_or_default();
            Some(Box::new(HeaderClaims {
                signer: string_claim(raw.signer, "signer")?,
                client: string_claim(raw.client, "client")?,
                iss: string_claim(raw.iss, "iss")?,
                exp: raw
                    .exp
                    .transpose()
                    .map_err(|()| malformed("the header's exp has the wrong type"))?,
            }))
        }
        Kind::Cognito | Kind::Oidc => None,
    };
    Ok(Header {
        kid,
        alg,
        typ,
        claims,
    })
}

/// A header claim that must be a string when present.
fn string_claim(value: Option<Cow<'_, str>>, name: &str) -> Result<Option<String>, Error> {
    match value {
        Some(value) if value == NOT_A_STRING => Err(Error::new(
            ErrorKind::Malformed,
            format!("the header's {name} has the wrong type"),
        )),
        value => Ok(value.map(Cow::into_owned)),
    }
}

/// Whether `kid` is a UUID (`8-4-4-4-12` hexadecimal digits), the only
/// form a load balancer's key id takes. Checked before any fetch, so a
/// path or query can never reach the key URL.
pub(crate) fn is_uuid(kid: &str) -> bool {
    let bytes = kid.as_bytes();
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kid(json: &str) -> Result<String, ErrorKind> {
        check_header(json.as_bytes(), &HeaderRules::COGNITO)
            .map(|h| h.kid.into_owned())
            .map_err(|e| e.kind())
    }

    fn typ(json: &str) -> Result<Typ, ErrorKind> {
        let rules = HeaderRules {
            algorithms: AlgorithmSet::of([Algorithm::ES256]),
            kind: Kind::Oidc,
        };
        check_header(json.as_bytes(), &rules)
            .map(|h| h.typ)
            .map_err(|e| e.kind())
    }

    #[test]
    fn media_type_is_compares_case_insensitively_with_application_implied() {
        for typ in [
            "jwt",
            "JWT",
            "Jwt",
            "application/jwt",
            "APPLICATION/JWT",
            "aPpLiCaTiOn/jWt",
        ] {
            assert!(media_type_is(typ, "jwt"), "{typ}");
        }
        for typ in [
            "at+jwt",
            "AT+JWT",
            "application/at+jwt",
            "Application/At+Jwt",
        ] {
            assert!(media_type_is(typ, "at+jwt"), "{typ}");
            assert!(!media_type_is(typ, "jwt"), "{typ}");
        }
        assert!(media_type_is("application/DPoP+JWT", "dpop+jwt"));
        for typ in [
            "",
            "/jwt",
            "application/",
            "application/application/jwt",
            "text/jwt",
            "applications/jwt",
            "application /jwt",
            "jwt ",
            " jwt",
            "jwt;charset=utf-8",
            "application/jwt; charset=utf-8",
            "\u{ff2a}\u{ff37}\u{ff34}",
            "jwt\0",
            "jws",
            "at+jwt",
            "dpop+jwt",
        ] {
            assert!(!media_type_is(typ, "jwt"), "{typ:?}");
        }
    }

    #[test]
    fn cognito_accepts_every_spelling_of_jwt_and_nothing_else() {
        let h = |t: &str| format!(r#"{{"alg":"RS256","kid":"k","typ":"{t}"}}"#);
        for t in ["JWT", "jwt", "application/jwt", "Application/JWT"] {
            let typ = check_header(h(t).as_bytes(), &HeaderRules::COGNITO).map(|h| h.typ);
            assert!(matches!(typ, Ok(Typ::Jwt)), "{t}");
        }
        for t in ["at+jwt", "application/at+jwt", "JWS", "text/jwt", ""] {
            assert_eq!(kid(&h(t)), Err(ErrorKind::Malformed), "{t}");
        }
    }

    #[test]
    fn typ_is_a_media_type_for_other_issuers() {
        let h = |t: &str| format!(r#"{{"alg":"ES256","kid":"k","typ":"{t}"}}"#);
        for (t, want) in [
            ("JWT", Ok(Typ::Jwt)),
            ("jwt", Ok(Typ::Jwt)),
            ("application/JWT", Ok(Typ::Jwt)),
            ("at+jwt", Ok(Typ::AccessToken)),
            ("AT+JWT", Ok(Typ::AccessToken)),
            ("application/at+jwt", Ok(Typ::AccessToken)),
            ("text/at+jwt", Err(ErrorKind::Malformed)),
            ("application/", Err(ErrorKind::Malformed)),
            ("dpop+jwt", Err(ErrorKind::Malformed)),
        ] {
            assert_eq!(typ(&h(t)), want, "{t}");
        }
        assert_eq!(typ(r#"{"alg":"ES256","kid":"k"}"#), Ok(Typ::Absent));
        assert_eq!(
            typ(r#"{"alg":"RS256","kid":"k"}"#),
            Err(ErrorKind::UnsupportedAlgorithm)
        );
        assert_eq!(
            typ(r#"{"alg":"HS256","kid":"k"}"#),
            Err(ErrorKind::UnsupportedAlgorithm)
        );
    }

    #[test]
    fn header_rules() {
        assert_eq!(kid(r#"{"alg":"RS256","kid":"k"}"#), Ok("k".into()));
        assert_eq!(
            kid(r#"{"alg":"RS256","kid":"k","typ":"JWT"}"#),
            Ok("k".into())
        );
        assert_eq!(
            kid(r#"{"alg":"none","kid":"k"}"#),
            Err(ErrorKind::UnsupportedAlgorithm)
        );
        assert_eq!(
            kid(r#"{"alg":"rs256","kid":"k"}"#),
            Err(ErrorKind::UnsupportedAlgorithm)
        );
        assert_eq!(
            kid(r#"{"alg":1,"kid":"k"}"#),
            Err(ErrorKind::UnsupportedAlgorithm)
        );
        assert_eq!(kid(r#"{"kid":"k"}"#), Err(ErrorKind::UnsupportedAlgorithm));
        assert_eq!(
            kid(r#"{"alg":"RS256","kid":"k","alg":"RS256"}"#),
            Err(ErrorKind::Malformed)
        );
        assert_eq!(
            kid(r#"{"alg":"RS256","kid":"k","crit":["b64"]}"#),
            Err(ErrorKind::Malformed)
        );
        assert_eq!(
            kid(r#"{"alg":"RS256","kid":"k","cty":"JWT"}"#),
            Err(ErrorKind::Malformed)
        );
        assert_eq!(
            kid(r#"{"alg":"RS256","kid":"k","typ":"at+jwt"}"#),
            Err(ErrorKind::Malformed)
        );
        assert_eq!(kid(r#"{"alg":"RS256","kid":7}"#), Err(ErrorKind::Malformed));
        assert_eq!(kid(r#"{"alg":"RS256"}"#), Err(ErrorKind::Malformed));
        assert_eq!(kid(r#"["alg","RS256"]"#), Err(ErrorKind::Malformed));
        let long = format!(r#"{{"alg":"RS256","kid":"{}"}}"#, "k".repeat(257));
        assert_eq!(kid(&long), Err(ErrorKind::Malformed));
    }

    #[test]
    fn load_balancer_kids_are_uuids() {
        assert!(is_uuid("12345678-1234-1234-1234-123456789abc"));
        assert!(is_uuid("ABCDEF78-1234-1234-1234-123456789ABC"));
        for kid in [
            "",
            "12345678-1234-1234-1234-123456789abcd",
            "12345678-1234-1234-1234-12345678/abc",
            "../../../../etc/passwd-1234-123456789",
            "12345678_1234-1234-1234-123456789abc",
            "g2345678-1234-1234-1234-123456789abc",
        ] {
            assert!(!is_uuid(kid), "{kid}");
        }
    }

    #[test]
    fn load_balancer_header_claims_are_read_once_each_with_their_types() {
        let rules = HeaderRules::LOAD_BALANCER;
        let kid = "12345678-1234-1234-1234-123456789abc";
        let header = |rest: &str| format!(r#"{{"alg":"ES256","kid":"{kid}"{rest}}}"#);
        let check = |json: String| check_header(json.as_bytes(), &rules).map(|h| h.claims);
        let claims = check(header(
            r#","signer":"arn","client":"c","iss":"i","exp":17,"jku":"x""#,
        ))
        .unwrap()
        .unwrap();
        assert_eq!(
            (
                claims.signer.as_deref(),
                claims.client.as_deref(),
                claims.exp
            ),
            (Some("arn"), Some("c"), Some(17))
        );
        for rest in [
            r#","signer":"a","signer":"a""#,
            r#","x":1,"x":2"#,
            r#","crit":["exp"]"#,
            r#","signer":7"#,
            r#","client":[]"#,
            r#","exp":"soon""#,
            r#","typ":"at+jwt""#,
        ] {
            assert_eq!(
                check(header(rest)).map(|_| ()).map_err(|e| e.kind()),
                Err(ErrorKind::Malformed),
                "{rest}"
            );
        }
        let not_uuid = check_header(br#"{"alg":"ES256","kid":"k"}"#, &rules);
        assert_eq!(
            not_uuid.map(|_| ()).map_err(|e| e.kind()),
            Err(ErrorKind::Malformed)
        );
        // Other kinds read no header claims.
        let cognito = check_header(
            br#"{"alg":"RS256","kid":"k","signer":"a"}"#,
            &HeaderRules::COGNITO,
        );
        assert!(cognito.unwrap().claims.is_none());
    }
}
