//! Reading a load balancer's key document: one PEM `PUBLIC KEY` per `kid`,
//! which must be a P-256 key. Never echoes the document.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// The longest PEM document accepted (a P-256 key is 178 bytes).
const MAX_PEM_BYTES: usize = 4 * 1024;

/// DER of a P-256 `SubjectPublicKeyInfo` up to the point: `id-ecPublicKey`,
/// `prime256v1`, a 66-byte bit string.
const P256_SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

/// Why a key document gives no P-256 key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyDocumentError {
    /// It cannot be read as a public key: not PEM, not base64, not a
    /// `SubjectPublicKeyInfo` (an outage: the endpoint answered garbage).
    Unreadable(&'static str),
    /// A readable public key of another type (an RSA or P-384
    /// `SubjectPublicKeyInfo`, a PKCS#1 RSA key), which can never verify
    /// ES256 (a refusal, as an unusable key in a key set).
    NotP256,
}

/// The uncompressed P-256 point of a PEM `PUBLIC KEY` document; why not
/// otherwise (never echoing the document).
pub(crate) fn p256_point(document: &[u8]) -> Result<Vec<u8>, KeyDocumentError> {
    use KeyDocumentError::Unreadable;
    if document.len() > MAX_PEM_BYTES {
        return Err(Unreadable(
            "the key document is larger than a P-256 public key",
        ));
    }
    let text =
        std::str::from_utf8(document).map_err(|_| Unreadable("the key document is not text"))?;
    let text = text.trim();
    let (body, pkcs1) = match text
        .strip_prefix("-----BEGIN PUBLIC KEY-----")
        .and_then(|rest| rest.strip_suffix("-----END PUBLIC KEY-----"))
    {
        Some(body) => (body, false),
        None => (
            text.strip_prefix("-----BEGIN RSA PUBLIC KEY-----")
                .and_then(|rest| rest.strip_suffix("-----END RSA PUBLIC KEY-----"))
                .ok_or(Unreadable("the key document is not a PEM PUBLIC KEY"))?,
            true,
        ),
    };
    let base64: String = body.split_ascii_whitespace().collect();
    let der = STANDARD
        .decode(base64)
        .map_err(|_| Unreadable("the PEM body is not base64"))?;
    match der.strip_prefix(&P256_SPKI_PREFIX[..]) {
        Some(point) if !pkcs1 && point.len() == 65 && point[0] == 0x04 => Ok(point.to_vec()),
        _ if is_public_key_info(&der) || is_rsa_public_key(&der) => Err(KeyDocumentError::NotP256),
        _ => Err(Unreadable(
            "the PEM body is not a SubjectPublicKeyInfo (DER)",
        )),
    }
}

/// Whether `der` has the shape of a DER `SubjectPublicKeyInfo`: a SEQUENCE
/// of an AlgorithmIdentifier (a SEQUENCE that starts with an OID) and a
/// BIT STRING, nothing after either.
fn is_public_key_info(der: &[u8]) -> bool {
    let Some((0x30, info, [])) = der_element(der) else {
        return false;
    };
    let Some((0x30, algorithm, rest)) = der_element(info) else {
        return false;
    };
    matches!(der_element(algorithm), Some((0x06, [_, ..], _)))
        && matches!(der_element(rest), Some((0x03, [_, ..], [])))
}

/// Whether `der` has the shape of a PKCS#1 `RSAPublicKey`: a SEQUENCE of
/// two INTEGERs (modulus, exponent), nothing after.
fn is_rsa_public_key(der: &[u8]) -> bool {
    let Some((0x30, key, [])) = der_element(der) else {
        return false;
    };
    let Some((0x02, [_, ..], rest)) = der_element(key) else {
        return false;
    };
    matches!(der_element(rest), Some((0x02, [_, ..], [])))
}

/// The tag, contents and what follows of the DER element `input` starts
/// with (definite lengths up to 65535 bytes, as a key document's are).
fn der_element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (length, rest) = match first {
        0..=0x7f => (usize::from(first), rest),
        0x81 => {
            let (&length, rest) = rest.split_first()?;
            (usize::from(length), rest)
        }
        0x82 => {
            let (length, rest) = rest.split_first_chunk::<2>()?;
            (usize::from(u16::from_be_bytes(*length)), rest)
        }
        _ => return None,
    };
    let (contents, rest) = rest.split_at_checked(length)?;
    Some((tag, contents, rest))
}

/// The PEM document of a P-256 public key given as its uncompressed point.
#[cfg(feature = "testing")]
pub(crate) fn p256_pem(point: &[u8]) -> String {
    let mut der = P256_SPKI_PREFIX.to_vec();
    der.extend_from_slice(point);
    let base64 = STANDARD.encode(der);
    let mut pem = String::from("-----BEGIN PUBLIC KEY-----\n");
    for line in base64.as_bytes().chunks(64) {
        pem.push_str(&String::from_utf8_lossy(line));
        pem.push('\n');
    }
    pem.push_str("-----END PUBLIC KEY-----\n");
    pem
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_p256_public_keys() {
        assert!(matches!(
            p256_point(b""),
            Err(KeyDocumentError::Unreadable(_))
        ));
        assert!(matches!(
            p256_point(b"-----BEGIN PUBLIC KEY-----\n!!\n-----END PUBLIC KEY-----"),
            Err(KeyDocumentError::Unreadable(_))
        ));
        let mut point = vec![4u8];
        point.extend_from_slice(&[7; 64]);
        #[cfg(feature = "testing")]
        assert_eq!(p256_point(p256_pem(&point).as_bytes()), Ok(point));
    }
}
