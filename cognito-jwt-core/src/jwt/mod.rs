//! Splitting a compact JWS and checking its header, before any key lookup:
//! unpadded base64url as RFC 7515 writes it, or the padded segments and
//! header fields of an Application Load Balancer's `x-amzn-oidc-data`.

mod header;

use crate::algorithm::Algorithm;
use crate::error::{Error, ErrorKind};

pub(crate) use header::{HeaderClaims, HeaderRules, Kind, Typ, check_header, media_type_is};

/// Longest token accepted, in bytes, checked before any decoding. Cognito
/// tokens are 1–4 KiB even with many groups and custom claims.
pub const MAX_TOKEN_LEN: usize = 8 * 1024;

/// The largest signature: RSA with an 8192-bit modulus.
const MAX_SIGNATURE_LEN: usize = 1024;

/// A compact JWS split into its segments.
pub(crate) struct Parts<'a> {
    pub(crate) header: &'a str,
    pub(crate) payload: &'a str,
    pub(crate) signature: &'a str,
    /// `header.payload`, the bytes the signature covers.
    pub(crate) signing_input: &'a [u8],
}

pub(super) fn malformed(message: &'static str) -> Error {
    Error::new(ErrorKind::Malformed, message)
}

/// Unpadded base64url with canonical trailing bits, decoded with SIMD where
/// the CPU has it. Every byte of every token goes through it.
const BASE64URL: base64_simd::Base64 = base64_simd::URL_SAFE_NO_PAD;

/// Split a compact JWS into its three segments. The characters are checked
/// by the decoding that follows.
pub(crate) fn split(token: &str) -> Result<Parts<'_>, Error> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(malformed(
            "the token is longer than 8192 bytes; Cognito tokens are far smaller",
        ));
    }
    if token.is_empty() {
        return Err(malformed("the token is empty"));
    }
    let bytes = token.as_bytes();
    let mut dots = memchr::memchr_iter(b'.', bytes);
    let (Some(first), Some(second), None) = (dots.next(), dots.next(), dots.next()) else {
        return Err(three_segments());
    };
    if first == 0 || second == first + 1 {
        return Err(malformed("the token's header or payload segment is empty"));
    }
    Ok(Parts {
        header: &token[..first],
        payload: &token[first + 1..second],
        signature: &token[second + 1..],
        signing_input: &bytes[..second],
    })
}

fn three_segments() -> Error {
    malformed("a JWT has exactly three dot-separated segments (header.payload.signature)")
}

fn not_base64url(what: &str) -> Error {
    Error::new(
        ErrorKind::Malformed,
        format!("the {what} is not unpadded base64url; send the JWT exactly as issued"),
    )
}

/// Padded base64url, as a load balancer writes every segment. The
/// signature covers the segments exactly as sent, padding included, so a
/// token with its padding removed no longer verifies; it is refused as
/// malformed before that.
const PADDED_BASE64URL: base64_simd::Base64 = base64_simd::URL_SAFE;

/// An ES256 signature in JOSE form: `R ‖ S`, 32 bytes each.
const ES256_SIGNATURE_LEN: usize = 64;

fn not_padded_base64url(what: &str) -> Error {
    Error::new(
        ErrorKind::Malformed,
        format!(
            "the {what} is not padded base64url; send the x-amzn-oidc-data header exactly as \
             the load balancer wrote it"
        ),
    )
}

/// A token taken apart before the key lookup: segments split and decoded,
/// header checked, signature decoded (or why it cannot be checked).
pub(crate) struct Decoded<'t> {
    pub(crate) parts: Parts<'t>,
    pub(crate) kid: String,
    pub(crate) alg: Algorithm,
    pub(crate) typ: Typ,
    /// The claims a load balancer puts in the header; `None` for other
    /// tokens.
    pub(crate) header_claims: Option<Box<HeaderClaims>>,
    /// The payload's JSON text.
    pub(crate) json: String,
    pub(crate) signature: Result<Vec<u8>, SignatureProblem>,
}

impl<'t> Decoded<'t> {
    pub(crate) fn new(token: &'t str, rules: &HeaderRules) -> Result<Self, Error> {
        let parts = split(token)?;
        let padded = rules.kind == Kind::LoadBalancer;
        let header_json = if padded {
            PADDED_BASE64URL
                .decode_to_vec(parts.header)
                .map_err(|_| not_padded_base64url("header"))?
        } else {
            decode_header(parts.header)?
        };
        let header = check_header(&header_json, rules)?;
        let (kid, alg, typ) = (header.kid.into_owned(), header.alg, header.typ);
        let header_claims = header.claims;
        let (json, signature) = if padded {
            let payload = PADDED_BASE64URL
                .decode_to_vec(parts.payload)
                .map_err(|_| not_padded_base64url("payload"))?;
            let json = String::from_utf8(payload)
                .map_err(|_| malformed("the payload is not UTF-8 JSON"))?;
            let signature = PADDED_BASE64URL
                .decode_to_vec(parts.signature)
                .map_err(|_| not_padded_base64url("signature"))?;
            let signature = match signature.len() {
                0 => Err(SignatureProblem::Empty),
                ES256_SIGNATURE_LEN => Ok(signature),
                _ => Err(SignatureProblem::NotJoseEs256),
            };
            (json, signature)
        } else {
            (
                decode_payload(parts.payload)?,
                decode_signature(parts.signature)?,
            )
        };
        Ok(Self {
            parts,
            kid,
            alg,
            typ,
            header_claims,
            json,
            signature,
        })
    }
}

/// Decode the header segment.
pub(crate) fn decode_header(segment: &str) -> Result<Vec<u8>, Error> {
    BASE64URL
        .decode_to_vec(segment)
        .map_err(|_| not_base64url("header"))
}

/// Decode the payload into the UTF-8 text of its JSON.
pub(crate) fn decode_payload(segment: &str) -> Result<String, Error> {
    let bytes = BASE64URL
        .decode_to_vec(segment)
        .map_err(|_| not_base64url("payload"))?;
    String::from_utf8(bytes).map_err(|_| malformed("the payload is not UTF-8 JSON"))
}

/// Why a signature segment cannot be checked, reported after the header and
/// claims checks (as the signature check itself is).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SignatureProblem {
    Empty,
    TooLong,
    /// Not the 64 bytes of a JOSE ES256 signature (a load balancer's).
    NotJoseEs256,
}

impl SignatureProblem {
    pub(crate) fn error(self) -> Error {
        Error::new(
            ErrorKind::InvalidSignature,
            match self {
                SignatureProblem::Empty => "the token has an empty signature",
                SignatureProblem::TooLong => "the signature is longer than any accepted signature",
                SignatureProblem::NotJoseEs256 => {
                    "the signature is not the 64-byte R‖S form of ES256 (JWS forbids DER)"
                }
            },
        )
    }
}

/// Decode the signature. Characters outside base64url are refused at once
/// (like any other segment's); an empty or over-long signature is reported
/// later, by the signature check.
pub(crate) fn decode_signature(segment: &str) -> Result<Result<Vec<u8>, SignatureProblem>, Error> {
    let segment = segment.as_bytes();
    if segment.is_empty() {
        return Ok(Err(SignatureProblem::Empty));
    }
    if BASE64URL.estimated_decoded_length(segment.len()) > MAX_SIGNATURE_LEN {
        BASE64URL
            .check(segment)
            .map_err(|_| not_base64url("signature"))?;
        return Ok(Err(SignatureProblem::TooLong));
    }
    BASE64URL
        .decode_to_vec(segment)
        .map(Ok)
        .map_err(|_| not_base64url("signature"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitting() {
        for bad in ["", "a.b", "a.b.c.d", "a..c", ".b.c", "..", "a.b.c."] {
            assert!(split(bad).is_err(), "{bad:?}");
        }
        let parts = split("aa.bb.cc").unwrap();
        assert_eq!(parts.signing_input, b"aa.bb");
        assert_eq!(
            (parts.header, parts.payload, parts.signature),
            ("aa", "bb", "cc")
        );
        assert_eq!(split("aa.bb.").unwrap().signature, "");
        assert!(split(&"a.".repeat(100_000)).is_err());
    }

    #[test]
    fn decoding_refuses_what_is_not_canonical_unpadded_base64url() {
        // "eyJ9" is `{"}`; each variant breaks one rule.
        for bad in [
            "eyJ9=",
            "eyJ+",
            "eyJ/",
            "eyJ 9",
            "eyJ9\n",
            "eyJ",
            "e",
            "eyJ9\u{e9}",
            "eyK",
        ] {
            assert!(decode_header(bad).is_err(), "{bad:?}");
            assert!(decode_payload(bad).is_err(), "{bad:?}");
        }
        // Non-zero trailing bits: "eQ" is canonical for "y", "eR" is not.
        assert_eq!(decode_payload("eQ").unwrap(), "y");
        assert!(decode_payload("eR").is_err());
        // Invalid UTF-8 (0xff) in the payload.
        assert!(decode_payload("_w").is_err());
        assert_eq!(decode_signature("").unwrap(), Err(SignatureProblem::Empty));
        let long = "A".repeat(1400);
        assert_eq!(
            decode_signature(&long).unwrap(),
            Err(SignatureProblem::TooLong)
        );
        assert!(decode_signature(&format!("{long}*")).is_err());
        assert!(decode_signature("AA*A").is_err());
        assert_eq!(decode_signature("AQID").unwrap(), Ok(vec![1u8, 2, 3]));
        assert_eq!(decode_header("eyJ9").unwrap(), b"{\"}");
    }
}
