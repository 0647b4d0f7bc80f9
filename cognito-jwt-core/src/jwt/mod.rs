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

/// Append the decoded `segment` (the `what` of a token) to `out`: padded
/// base64url for a load balancer's, unpadded otherwise.
fn decode_segment(segment: &str, padded: bool, what: &str, out: &mut Vec<u8>) -> Result<(), Error> {
    if padded {
        PADDED_BASE64URL
            .decode_append(segment, out)
            .map_err(|_| not_padded_base64url(what))
    } else {
        BASE64URL
            .decode_append(segment, out)
            .map_err(|_| not_base64url(what))
    }
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
///
/// The header's and the payload's JSON are decoded once, one after the
/// other, into one buffer, and the signature into another; both buffers
/// come from, and go back to, a small per-thread pool ([`Buffers`]), so a
/// verification allocates nothing to decode its token once the pool is
/// warm.
pub(crate) struct Decoded<'t> {
    pub(crate) parts: Parts<'t>,
    /// The rules the header was checked under.
    rules: HeaderRules,
    /// Whether the header's check came from [`KnownHeaders`].
    header_known: bool,
    /// The header's JSON text, then the payload's (from `payload_at`).
    text: String,
    payload_at: usize,
    kid: Kid,
    pub(crate) alg: Algorithm,
    pub(crate) typ: Typ,
    /// The claims a load balancer puts in the header; `None` for other
    /// tokens.
    pub(crate) header_claims: Option<Box<HeaderClaims>>,
    /// The decoded signature, when `signature_problem` is `None`.
    signature: Vec<u8>,
    signature_problem: Option<SignatureProblem>,
}

/// Where the header's `kid` is: a range of the decoded header (written
/// without escapes, as every issuer writes it), or a copy.
enum Kid {
    In(std::ops::Range<usize>),
    Owned(String),
}

impl<'t> Decoded<'t> {
    pub(crate) fn new(token: &'t str, rules: &HeaderRules) -> Result<Self, Error> {
        let parts = split(token)?;
        let Buffers(mut text, mut signature) = Buffers::take();
        let padded = rules.kind == Kind::LoadBalancer;
        // A header this thread has seen on a token whose signature held,
        // under the same rules: its check's result, with no decoding.
        let known = if padded {
            None
        } else {
            KnownHeaders::find(rules, parts.header, &mut text)
        };
        let header_known = known.is_some();
        let (kid, alg, typ, header_claims) = match known {
            Some((kid, alg, typ)) => (kid, alg, typ, None),
            None => {
                let decoded = decode_segment(parts.header, padded, "header", &mut text);
                let header = match decoded.and_then(|()| check_header(&text, rules)) {
                    Ok(header) => header,
                    Err(error) => {
                        Buffers(text, signature).give_back();
                        return Err(error);
                    }
                };
                let kid = match header.kid {
                    // Borrowed from `text`: its offset there, kept across the
                    // appends below (they only add after it).
                    std::borrow::Cow::Borrowed(kid) => {
                        let start = (kid.as_ptr() as usize).wrapping_sub(text.as_ptr() as usize);
                        Kid::In(start..start + kid.len())
                    }
                    std::borrow::Cow::Owned(kid) => Kid::Owned(kid),
                };
                (kid, header.alg, header.typ, header.claims)
            }
        };
        let payload_at = text.len();
        if let Err(error) = decode_segment(parts.payload, padded, "payload", &mut text) {
            Buffers(text, signature).give_back();
            return Err(error);
        }
        let text = match String::from_utf8(text) {
            Ok(text) => text,
            Err(not_utf8) => {
                Buffers(not_utf8.into_bytes(), signature).give_back();
                return Err(malformed("the payload is not UTF-8 JSON"));
            }
        };
        let signature_problem = if padded {
            PADDED_BASE64URL
                .decode_append(parts.signature, &mut signature)
                .map_err(|_| not_padded_base64url("signature"))
                .map(|()| match signature.len() {
                    0 => Some(SignatureProblem::Empty),
                    ES256_SIGNATURE_LEN => None,
                    _ => Some(SignatureProblem::NotJoseEs256),
                })
        } else {
            decode_signature_into(parts.signature, &mut signature).map(Result::err)
        };
        let signature_problem = match signature_problem {
            Ok(problem) => problem,
            Err(error) => {
                Buffers(text.into_bytes(), signature).give_back();
                return Err(error);
            }
        };
        Ok(Self {
            parts,
            rules: *rules,
            header_known,
            text,
            payload_at,
            kid,
            alg,
            typ,
            header_claims,
            signature,
            signature_problem,
        })
    }

    /// Remember this token's header, for the next token of this thread
    /// that has the same header segment: called once its signature held,
    /// so only headers a trusted key signed are kept. A load balancer's
    /// header (its claims change with every token) is never kept.
    pub(crate) fn remember_header(&self) {
        if self.header_known || self.rules.kind == Kind::LoadBalancer {
            return;
        }
        KnownHeaders::remember(KnownHeader {
            rules: self.rules,
            segment: self.parts.header.into(),
            kid: self.kid().into(),
            alg: self.alg,
            typ: self.typ,
        });
    }

    /// The header's `kid`.
    pub(crate) fn kid(&self) -> &str {
        match &self.kid {
            Kid::In(range) => self.text.get(range.clone()).unwrap_or_default(),
            Kid::Owned(kid) => kid,
        }
    }

    /// The payload's JSON text.
    pub(crate) fn json(&self) -> &str {
        self.text.get(self.payload_at..).unwrap_or_default()
    }

    /// The decoded signature, or why it cannot be checked.
    pub(crate) fn signature(&self) -> Result<&[u8], SignatureProblem> {
        match self.signature_problem {
            None => Ok(&self.signature),
            Some(problem) => Err(problem),
        }
    }
}

impl Drop for Decoded<'_> {
    fn drop(&mut self) {
        Buffers(
            std::mem::take(&mut self.text).into_bytes(),
            std::mem::take(&mut self.signature),
        )
        .give_back();
    }
}

/// The two decoding buffers of [`Decoded`]: text (header and payload JSON)
/// and signature. One spare pair per thread; a pair larger than any token
/// needs is dropped rather than kept, so the pool holds at most
/// 2 × [`MAX_TOKEN_LEN`] bytes per thread.
struct Buffers(Vec<u8>, Vec<u8>);

thread_local! {
    static SPARE: std::cell::Cell<(Vec<u8>, Vec<u8>)> =
        const { std::cell::Cell::new((Vec::new(), Vec::new())) };
}

impl Buffers {
    /// The thread's spare pair, empty (new ones when it has none, or
    /// while the thread is being torn down).
    fn take() -> Self {
        let (text, signature) = SPARE.try_with(std::cell::Cell::take).unwrap_or_default();
        Self(text, signature)
    }

    /// Back to the thread's pool, emptied.
    fn give_back(self) {
        let Self(mut text, mut signature) = self;
        if text.capacity() > MAX_TOKEN_LEN || signature.capacity() > MAX_TOKEN_LEN {
            return;
        }
        text.clear();
        signature.clear();
        // A thread being torn down keeps nothing.
        let _ = SPARE.try_with(|spare| spare.set((text, signature)));
    }
}

/// A header segment whose check passed on a token whose signature held,
/// with the check's result. The check is a function of the segment's bytes
/// and the rules alone, so the same bytes under the same rules give the
/// same result without decoding them again.
struct KnownHeader {
    rules: HeaderRules,
    segment: Box<str>,
    kid: Box<str>,
    alg: Algorithm,
    typ: Typ,
}

/// The headers a thread remembers: an issuer signs every token with one
/// of a few keys, so its tokens have one of a few headers. At most
/// [`KnownHeaders::MAX`] per thread, each segment at most
/// [`KnownHeaders::MAX_SEGMENT`] bytes; the oldest is replaced first.
struct KnownHeaders {
    headers: Vec<KnownHeader>,
    /// The slot the next header replaces, once full.
    next: usize,
}

thread_local! {
    static KNOWN_HEADERS: std::cell::RefCell<KnownHeaders> =
        const { std::cell::RefCell::new(KnownHeaders { headers: Vec::new(), next: 0 }) };
}

impl KnownHeaders {
    const MAX: usize = 4;
    /// Longer than any header an issuer writes (Cognito's is 105 bytes).
    const MAX_SEGMENT: usize = 512;

    /// The checked header of `segment` under `rules`, when known: its
    /// `kid` written at the start of `text` (an empty buffer), and a
    /// range of it returned.
    fn find(
        rules: &HeaderRules,
        segment: &str,
        text: &mut Vec<u8>,
    ) -> Option<(Kid, Algorithm, Typ)> {
        KNOWN_HEADERS
            .try_with(|known| {
                let known = known.try_borrow().ok()?;
                let header = known
                    .headers
                    .iter()
                    .find(|h| h.segment.as_bytes() == segment.as_bytes() && h.rules == *rules)?;
                text.extend_from_slice(header.kid.as_bytes());
                Some((Kid::In(0..header.kid.len()), header.alg, header.typ))
            })
            .ok()
            .flatten()
    }

    fn remember(header: KnownHeader) {
        if header.segment.len() > Self::MAX_SEGMENT {
            return;
        }
        let _ = KNOWN_HEADERS.try_with(|known| {
            let Ok(mut known) = known.try_borrow_mut() else {
                return;
            };
            if known
                .headers
                .iter()
                .any(|h| h.segment == header.segment && h.rules == header.rules)
            {
                return;
            }
            if known.headers.len() < Self::MAX {
                known.headers.push(header);
            } else {
                let slot = known.next;
                known.headers[slot] = header;
                known.next = (slot + 1) % Self::MAX;
            }
        });
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
    let mut signature = Vec::new();
    Ok(decode_signature_into(segment, &mut signature)?.map(|()| signature))
}

/// [`decode_signature`], appending to `signature`.
fn decode_signature_into(
    segment: &str,
    signature: &mut Vec<u8>,
) -> Result<Result<(), SignatureProblem>, Error> {
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
        .decode_append(segment, signature)
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

    fn segment(json: &str) -> String {
        BASE64URL.encode_to_string(json)
    }

    #[test]
    fn decoded_kid_json_and_signature_from_the_reused_buffers() {
        let payload = r#"{"iss":"https://issuer.example","sub":"é"}"#;
        for (header, kid) in [
            (r#"{"alg":"RS256","kid":"key-1"}"#, "key-1"),
            // Written with an escape: a copy rather than a range.
            (r#"{"alg":"RS256","kid":"k\u0065y-2"}"#, "key-2"),
        ] {
            let token = format!("{}.{}.AQID", segment(header), segment(payload));
            for _ in 0..3 {
                let decoded = Decoded::new(&token, &HeaderRules::COGNITO).unwrap();
                assert_eq!(decoded.kid(), kid);
                assert_eq!(decoded.json(), payload);
                assert_eq!(decoded.signature(), Ok(&[1u8, 2, 3][..]));
                assert_eq!(
                    decoded.parts.signing_input,
                    token.rsplit_once('.').unwrap().0.as_bytes()
                );
            }
        }
        let empty = format!(
            "{}.{}.",
            segment(r#"{"alg":"RS256","kid":"k"}"#),
            segment("{}")
        );
        let decoded = Decoded::new(&empty, &HeaderRules::COGNITO).unwrap();
        assert_eq!(decoded.signature(), Err(SignatureProblem::Empty));
        // Not UTF-8 (0xff), and a header refused: the buffers go back too.
        let not_utf8 = format!("{}._w.AQID", segment(r#"{"alg":"RS256","kid":"k"}"#));
        assert!(Decoded::new(&not_utf8, &HeaderRules::COGNITO).is_err());
        assert!(Decoded::new("eyJ9.e30.AQID", &HeaderRules::COGNITO).is_err());
    }

    #[test]
    fn the_thread_keeps_one_spare_pair_of_buffers_bounded_by_the_token_size() {
        let token = format!(
            "{}.{}.AQID",
            segment(r#"{"alg":"RS256","kid":"key-1"}"#),
            segment(&format!(r#"{{"iss":"{}"}}"#, "x".repeat(2_000)))
        );
        drop(Decoded::new(&token, &HeaderRules::COGNITO).unwrap());
        let Buffers(text, signature) = Buffers::take();
        assert!(text.is_empty() && signature.is_empty());
        assert!(text.capacity() >= 2_000, "the buffer went back to the pool");
        assert!(text.capacity() <= MAX_TOKEN_LEN && signature.capacity() <= MAX_TOKEN_LEN);
        // Taken: the next decoding starts from new buffers, and gives them back.
        assert_eq!(Buffers::take().0.capacity(), 0);
        Buffers(vec![0; MAX_TOKEN_LEN + 1], Vec::new()).give_back();
        assert_eq!(
            Buffers::take().0.capacity(),
            0,
            "an oversized buffer is dropped"
        );
    }

    #[test]
    fn a_header_is_remembered_only_once_its_signature_held_and_only_under_its_rules() {
        let payload = segment(r#"{"iss":"i"}"#);
        let token = |header: &str| format!("{}.{payload}.AQID", segment(header));
        let first = token(r#"{"alg":"RS256","kid":"remembered-1"}"#);
        // Checked but not remembered: no signature held yet.
        assert!(
            !Decoded::new(&first, &HeaderRules::COGNITO)
                .unwrap()
                .header_known
        );
        let decoded = Decoded::new(&first, &HeaderRules::COGNITO).unwrap();
        assert!(!decoded.header_known);
        decoded.remember_header();
        drop(decoded);
        let again = Decoded::new(&first, &HeaderRules::COGNITO).unwrap();
        assert!(again.header_known);
        assert_eq!(
            (again.kid(), again.alg, again.typ),
            ("remembered-1", Algorithm::RS256, Typ::Absent)
        );
        assert_eq!(again.json(), r#"{"iss":"i"}"#);
        drop(again);
        // Other rules check it afresh.
        let oidc = HeaderRules {
            algorithms: crate::algorithm::AlgorithmSet::RS256,
            kind: Kind::Oidc,
        };
        assert!(!Decoded::new(&first, &oidc).unwrap().header_known);
        // One byte more in the segment (a space in the JSON) is another header.
        let spaced = token(r#"{"alg":"RS256", "kid":"remembered-1"}"#);
        assert!(
            !Decoded::new(&spaced, &HeaderRules::COGNITO)
                .unwrap()
                .header_known
        );
        // At most four per thread, the oldest replaced first.
        for i in 2..=5 {
            let other = token(&format!(r#"{{"alg":"RS256","kid":"remembered-{i}"}}"#));
            Decoded::new(&other, &HeaderRules::COGNITO)
                .unwrap()
                .remember_header();
        }
        KNOWN_HEADERS.with(|known| assert_eq!(known.borrow().headers.len(), KnownHeaders::MAX));
        assert!(
            !Decoded::new(&first, &HeaderRules::COGNITO)
                .unwrap()
                .header_known
        );
        // A segment longer than any issuer's is never kept.
        let long = token(&format!(
            r#"{{"alg":"RS256","kid":"k","x":"{}"}}"#,
            "y".repeat(600)
        ));
        Decoded::new(&long, &HeaderRules::COGNITO)
            .unwrap()
            .remember_header();
        assert!(
            !Decoded::new(&long, &HeaderRules::COGNITO)
                .unwrap()
                .header_known
        );
    }
}
