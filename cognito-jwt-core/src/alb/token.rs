//! Taking an ALB token apart: three base64url segments *with* `=`
//! padding, and a header that carries the load balancer's fields.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};

use crate::claims::{NumericDate, SeenKeys, Text};
use crate::error::{Error, ErrorKind};
use crate::jwt::{Parts, split};

/// Padded base64url, as the load balancer writes every segment. The
/// signature covers the segments exactly as sent, padding included, so a
/// token with its padding removed no longer verifies; it is refused as
/// malformed before that.
const PADDED_BASE64URL: base64_simd::Base64 = base64_simd::URL_SAFE;

/// An ES256 signature in JOSE form: `R ‖ S`, 32 bytes each.
const SIGNATURE_LEN: usize = 64;

fn malformed(message: &'static str) -> Error {
    Error::new(ErrorKind::Malformed, message)
}

fn decode(segment: &str, what: &'static str) -> Result<Vec<u8>, Error> {
    PADDED_BASE64URL.decode_to_vec(segment).map_err(|_| {
        Error::new(
            ErrorKind::Malformed,
            format!(
                "the {what} is not padded base64url; send the x-amzn-oidc-data header exactly \
                 as the load balancer wrote it"
            ),
        )
    })
}

/// A token taken apart before its key is looked up.
pub(crate) struct AlbToken<'t> {
    pub(crate) parts: Parts<'t>,
    pub(crate) header: RawAlbHeader,
    pub(crate) json: String,
    pub(crate) signature: Vec<u8>,
}

impl<'t> AlbToken<'t> {
    pub(crate) fn decode(token: &'t str) -> Result<Self, Error> {
        let parts = split(token)?;
        let header_json = decode(parts.header, "header")?;
        let header = RawAlbHeader::parse(&header_json)?;
        let json = String::from_utf8(decode(parts.payload, "payload")?)
            .map_err(|_| malformed("the payload is not UTF-8 JSON"))?;
        let signature = decode(parts.signature, "signature")?;
        Ok(Self {
            parts,
            header,
            json,
            signature,
        })
    }

    /// The signature, when it has the ES256 form; a DER-encoded or
    /// truncated signature is refused here.
    pub(crate) fn signature(&self) -> Result<&[u8], Error> {
        if self.signature.len() == SIGNATURE_LEN {
            Ok(&self.signature)
        } else {
            Err(Error::new(
                ErrorKind::InvalidSignature,
                "the signature is not the 64-byte R‖S form of ES256 (JWS forbids DER)",
            ))
        }
    }
}

/// The header as sent: `alg`, `kid`, `signer`, `iss`, `client`, `exp`,
/// and `typ`. Every name at most once; `jku`, `jwk`, `x5u`, `x5c` and
/// any other parameter are ignored; `crit` and `cty` are refused.
#[derive(Default)]
pub(crate) struct RawAlbHeader {
    pub(crate) alg: Option<String>,
    pub(crate) kid: Option<String>,
    pub(crate) signer: Option<String>,
    pub(crate) iss: Option<String>,
    pub(crate) client: Option<String>,
    pub(crate) typ: Option<String>,
    pub(crate) exp: Option<u64>,
    has_crit: bool,
    has_cty: bool,
}

impl RawAlbHeader {
    fn parse(json: &[u8]) -> Result<Self, Error> {
        let header: RawAlbHeader = serde_json::from_slice(json).map_err(|e| {
            let problem = e.to_string();
            Error::new(
                ErrorKind::Malformed,
                if problem.starts_with("duplicate") {
                    "the header repeats a parameter".to_owned()
                } else if let Some(field) = ["alg", "kid", "signer", "iss", "client", "typ", "exp"]
                    .iter()
                    .find(|f| problem.starts_with(&format!("`{f}`")))
                {
                    format!("the header's {field} has the wrong type")
                } else {
                    "the header is not a JSON object".to_owned()
                },
            )
        })?;
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
        Ok(header)
    }
}

fn text<'de, A: MapAccess<'de>>(map: &mut A, name: &'static str) -> Result<String, A::Error> {
    map.next_value::<Text<'de>>()
        .map(|Text(t)| t.into_owned())
        .map_err(|_| de::Error::custom(format!("`{name}` must be a string")))
}

impl<'de> Deserialize<'de> for RawAlbHeader {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct HeaderVisitor;
        impl<'de> Visitor<'de> for HeaderVisitor {
            type Value = RawAlbHeader;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut header = RawAlbHeader::default();
                let mut seen = SeenKeys::default();
                while let Some(Text(key)) = map.next_key::<Text<'de>>()? {
                    let name: Cow<'de, str> = key.clone();
                    if !seen.insert(key) {
                        return Err(de::Error::custom("duplicate header parameter"));
                    }
                    match name.as_ref() {
                        "alg" => header.alg = Some(text(&mut map, "alg")?),
                        "kid" => header.kid = Some(text(&mut map, "kid")?),
                        "signer" => header.signer = Some(text(&mut map, "signer")?),
                        "iss" => header.iss = Some(text(&mut map, "iss")?),
                        "client" => header.client = Some(text(&mut map, "client")?),
                        "typ" => header.typ = Some(text(&mut map, "typ")?),
                        "exp" => {
                            header.exp = Some(
                                map.next_value::<NumericDate>()
                                    .map_err(|_| de::Error::custom("`exp` must be a number"))?
                                    .0,
                            );
                        }
                        "crit" => {
                            map.next_value::<IgnoredAny>()?;
                            header.has_crit = true;
                        }
                        "cty" => {
                            map.next_value::<IgnoredAny>()?;
                            header.has_cty = true;
                        }
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(header)
            }
        }
        deserializer.deserialize_map(HeaderVisitor)
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

    #[test]
    fn uuids() {
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
    fn header_fields_once_each() {
        assert!(RawAlbHeader::parse(br#"{"alg":"ES256","alg":"ES256"}"#).is_err());
        assert!(RawAlbHeader::parse(br#"{"x":1,"x":2}"#).is_err());
        assert!(RawAlbHeader::parse(br#"{"alg":"ES256","crit":["exp"]}"#).is_err());
        assert!(RawAlbHeader::parse(br#"{"kid":7}"#).is_err());
        let h = RawAlbHeader::parse(br#"{"alg":"ES256","exp":17,"jku":"https://x"}"#).unwrap();
        assert_eq!((h.alg.as_deref(), h.exp), (Some("ES256"), Some(17)));
    }
}
