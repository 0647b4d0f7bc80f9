//! Parsing a JSON Web Key Set into ready-to-verify RSA keys.

use std::sync::Arc;
use tokio::time::Instant;

use aws_lc_rs::signature::{ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, KeyAlgorithm, PublicKeyUse, RSAKeyType};
use serde::Deserialize;

/// Longest `kid` accepted, in bytes, in tokens and in key sets.
pub(crate) const MAX_KID_LEN: usize = 256;
/// RSA modulus bounds, in bits.
const MIN_MODULUS_BITS: usize = 2048;
const MAX_MODULUS_BITS: usize = 8192;
/// Key sets with more entries than this are refused as a whole.
const MAX_KEYS: usize = 64;

/// One usable RS256 key, parsed once when its set was loaded.
pub(crate) struct RsaKey {
    pub(crate) kid: Box<str>,
    /// `n` and `e` as sent, to recognise the same key across refreshes.
    components: (Box<str>, Box<str>),
    pub(crate) key: ParsedPublicKey,
}

impl RsaKey {
    fn new(kid: &str, n: &str, e: &str, key: ParsedPublicKey) -> Self {
        Self {
            kid: kid.into(),
            components: (n.into(), e.into()),
            key,
        }
    }

    pub(crate) fn verify(&self, signing_input: &[u8], signature: &[u8]) -> bool {
        self.key.verify_sig(signing_input, signature).is_ok()
    }
}

/// A usable key set: only RS256 signing keys with unique `kid`s.
pub(crate) struct KeySet {
    keys: Vec<Arc<RsaKey>>,
    pub(crate) fetched_at: Instant,
}

impl KeySet {
    pub(crate) fn get(&self, kid: &str) -> Option<&Arc<RsaKey>> {
        self.keys
            .iter()
            .find(|k| k.kid.as_bytes() == kid.as_bytes())
    }

    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether every key of this set is still in `next`, as the same parsed
    /// key (the parser reuses a key whose `kid`, `n` and `e` are unchanged).
    pub(crate) fn all_kept_in(&self, next: &KeySet) -> bool {
        self.keys
            .iter()
            .all(|key| next.keys.iter().any(|k| Arc::ptr_eq(k, key)))
    }
}

#[derive(Deserialize)]
struct RawSet {
    keys: Vec<serde_json::Value>,
}

/// Why one entry of a key set was skipped. Never contains key material.
fn usable(jwk: &Jwk) -> Result<(&str, &str, &str), &'static str> {
    let kid = jwk.common.key_id.as_deref().ok_or("no kid")?;
    if kid.is_empty() || kid.len() > MAX_KID_LEN {
        return Err("kid empty or too long");
    }
    match &jwk.common.public_key_use {
        None | Some(PublicKeyUse::Signature) => {}
        Some(_) => return Err("use is not sig"),
    }
    match jwk.common.key_algorithm {
        None | Some(KeyAlgorithm::RS256) => {}
        Some(_) => return Err("alg is not RS256"),
    }
    if let Some(ops) = &jwk.common.key_operations
        && !ops
            .iter()
            .any(|op| matches!(op, jsonwebtoken::jwk::KeyOperations::Verify))
    {
        return Err("key_ops does not allow verify");
    }
    match &jwk.algorithm {
        AlgorithmParameters::RSA(rsa) if rsa.key_type == RSAKeyType::RSA => {
            Ok((kid, rsa.n.as_str(), rsa.e.as_str()))
        }
        _ => Err("kty is not RSA"),
    }
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    &bytes[start..]
}

/// Checks the RSA parameters ourselves, so the bounds hold whatever the
/// backend accepts: modulus 2048–8192 bits, odd exponent from 65537 to 2^32.
fn rsa_public_key(n: &str, e: &str) -> Result<ParsedPublicKey, &'static str> {
    let n = URL_SAFE_NO_PAD
        .decode(n)
        .map_err(|_| "n is not base64url")?;
    let e = URL_SAFE_NO_PAD
        .decode(e)
        .map_err(|_| "e is not base64url")?;
    let n = strip_leading_zeros(&n);
    let e = strip_leading_zeros(&e);
    let Some(first) = n.first() else {
        return Err("modulus is zero");
    };
    let bits = n.len() * 8 - first.leading_zeros() as usize;
    if !(MIN_MODULUS_BITS..=MAX_MODULUS_BITS).contains(&bits) {
        return Err("modulus size outside 2048..=8192 bits");
    }
    if e.len() > 4 {
        return Err("exponent too large");
    }
    let exponent = e.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
    if exponent < 65_537 || exponent % 2 == 0 {
        return Err("exponent below 65537 or even");
    }
    ParsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, rsa_public_key_der(n, e))
        .map_err(|_| "the RSA key was rejected by the crypto backend")
}

/// DER for the PKCS#1 `RSAPublicKey ::= SEQUENCE { n INTEGER, e INTEGER }`.
pub(crate) fn rsa_public_key_der(n: &[u8], e: &[u8]) -> Vec<u8> {
    fn integer(out: &mut Vec<u8>, value: &[u8]) {
        let pad = value.first().is_some_and(|b| b & 0x80 != 0);
        out.push(0x02);
        length(out, value.len() + usize::from(pad));
        if pad {
            out.push(0);
        }
        out.extend_from_slice(value);
    }
    fn length(out: &mut Vec<u8>, len: usize) {
        if len < 0x80 {
            out.push(len as u8);
        } else {
            let bytes = len.to_be_bytes();
            let significant = strip_leading_zeros(&bytes);
            out.push(0x80 | significant.len() as u8);
            out.extend_from_slice(significant);
        }
    }
    let mut body = Vec::with_capacity(n.len() + e.len() + 16);
    integer(&mut body, n);
    integer(&mut body, e);
    let mut out = Vec::with_capacity(body.len() + 4);
    out.push(0x30);
    length(&mut out, body.len());
    out.extend_from_slice(&body);
    out
}

/// Parse a JWKS document. Unusable entries are skipped with a debug log; a
/// `kid` shared by two or more usable RS256 keys is ambiguous and none of
/// them is used (whatever their order; unusable entries sharing a kid with a
/// usable key do not count). Keys identical to ones in `previous` are reused
/// instead of parsed again. Fails when the document is not a key set or has
/// no usable key, so that the caller keeps its last good set.
pub(crate) fn parse_key_set(
    body: &[u8],
    previous: Option<&KeySet>,
    url: &str,
    fetched_at: Instant,
) -> Result<KeySet, String> {
    let raw: RawSet = serde_json::from_slice(body)
        .map_err(|_| "the response is not a JSON object with a \"keys\" array".to_owned())?;
    if raw.keys.len() > MAX_KEYS {
        return Err(format!(
            "the key set has {} entries, more than the {MAX_KEYS} accepted",
            raw.keys.len()
        ));
    }
    let mut keys: Vec<Arc<RsaKey>> = Vec::with_capacity(raw.keys.len());
    let mut ambiguous: Vec<Box<str>> = Vec::new();
    for (index, value) in raw.keys.into_iter().enumerate() {
        let jwk: Jwk = match serde_json::from_value(value) {
            Ok(jwk) => jwk,
            Err(_) => {
                tracing::debug!(url, index, reason = "not a JWK", "skipping key-set entry");
                continue;
            }
        };
        let (kid, n, e) = match usable(&jwk) {
            Ok(parts) => parts,
            Err(reason) => {
                tracing::debug!(url, index, reason, "skipping key-set entry");
                continue;
            }
        };
        let reused = previous
            .and_then(|p| p.get(kid))
            .filter(|k| &*k.components.0 == n && &*k.components.1 == e)
            .cloned();
        let key = match reused {
            Some(key) => key,
            None => match rsa_public_key(n, e) {
                Ok(parsed) => Arc::new(RsaKey::new(kid, n, e, parsed)),
                Err(reason) => {
                    tracing::debug!(url, index, reason, "skipping key-set entry");
                    continue;
                }
            },
        };
        if keys.iter().any(|k| k.kid == key.kid) {
            ambiguous.push(key.kid.clone());
        }
        keys.push(key);
    }
    if !ambiguous.is_empty() {
        keys.retain(|k| !ambiguous.contains(&k.kid));
        tracing::warn!(
            url,
            duplicates = ambiguous.len(),
            "the key set names the same kid on several keys; those keys are not used"
        );
    }
    if keys.is_empty() {
        return Err("the key set has no usable RS256 signing key".to_owned());
    }
    Ok(KeySet { keys, fetched_at })
}

/// The `fetched_at` field of a seed document (seconds since the epoch), if
/// it has one: `cognito-jwt jwks` writes it beside the `keys`.
pub(crate) fn fetched_at_field(body: &[u8]) -> Option<u64> {
    #[derive(Deserialize)]
    struct Stamp {
        fetched_at: Option<u64>,
    }
    serde_json::from_slice::<Stamp>(body).ok()?.fetched_at
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_lengths() {
        let der = rsa_public_key_der(&[0x80; 256], &[1, 0, 1]);
        assert_eq!(&der[..4], &[0x30, 0x82, 0x01, 0x0a]);
        assert_eq!(&der[4..8], &[0x02, 0x82, 0x01, 0x01]);
    }

    #[test]
    fn not_a_key_set() {
        for body in [
            &b""[..],
            b"<html>",
            b"{\"keys\":{}}",
            b"{\"keys\":[]}",
            b"[]",
        ] {
            assert!(parse_key_set(body, None, "u", Instant::now()).is_err());
        }
    }
}
