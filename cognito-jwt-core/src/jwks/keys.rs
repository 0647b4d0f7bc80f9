//! Parsing a JSON Web Key Set into ready-to-verify keys.

use std::sync::Arc;
use tokio::time::Instant;

use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED, ECDSA_P384_SHA384_FIXED, ED25519, ParsedPublicKey,
    RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_2048_8192_SHA384, RSA_PKCS1_2048_8192_SHA512,
    RSA_PSS_2048_8192_SHA256, RSA_PSS_2048_8192_SHA384, RSA_PSS_2048_8192_SHA512,
    VerificationAlgorithm,
};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{
    AlgorithmParameters, EllipticCurve, EllipticCurveKeyType, Jwk, KeyAlgorithm, OctetKeyPairType,
    PublicKeyUse, RSAKeyType,
};
use serde::Deserialize;

use crate::algorithm::{Algorithm, AlgorithmSet};

/// Longest `kid` accepted, in bytes, in tokens and in key sets.
pub(crate) const MAX_KID_LEN: usize = 256;
/// RSA modulus bounds, in bits.
const MIN_MODULUS_BITS: usize = 2048;
const MAX_MODULUS_BITS: usize = 8192;
/// Key sets with more entries than this are refused as a whole.
const MAX_KEYS: usize = 64;

/// One usable signing key, parsed once when its set was loaded, for every
/// algorithm it may serve: those its JWK allows (`kty`, `crv`, `alg`) that
/// the verifier accepts.
pub(crate) struct VerifyingKey {
    pub(crate) kid: Box<str>,
    /// The public parameters as sent (`kty` and `n`, `e` or `crv`, `x`,
    /// `y`), to recognise the same key across refreshes.
    material: Box<str>,
    parsed: Vec<(Algorithm, ParsedPublicKey)>,
}

impl VerifyingKey {
    /// Whether the signature verifies with this key under `algorithm`;
    /// `false` when the key does not serve that algorithm.
    pub(crate) fn verify(
        &self,
        algorithm: Algorithm,
        signing_input: &[u8],
        signature: &[u8],
    ) -> bool {
        self.parsed
            .iter()
            .find(|(a, _)| *a == algorithm)
            .is_some_and(|(_, key)| key.verify_sig(signing_input, signature).is_ok())
    }

    /// Whether `other` is the same public key (a refresh that changed
    /// nothing).
    pub(crate) fn same_key(&self, other: &VerifyingKey) -> bool {
        self.material == other.material
    }

    /// Whether this key serves `algorithm`.
    pub(crate) fn serves(&self, algorithm: Algorithm) -> bool {
        self.parsed.iter().any(|(a, _)| *a == algorithm)
    }

    /// Every algorithm this key serves.
    fn algorithms(&self) -> AlgorithmSet {
        AlgorithmSet::of(self.parsed.iter().map(|(a, _)| *a))
    }

    /// A P-256 key for `ES256` only, from its uncompressed point
    /// (`04 ‖ x ‖ y`), as an Application Load Balancer publishes it.
    pub(crate) fn es256(kid: &str, point: &[u8]) -> Result<Self, &'static str> {
        let parsed = ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point)
            .map_err(|_| "the key is not a point on P-256")?;
        Ok(Self {
            kid: kid.into(),
            material: format!("EC {} {}", Algorithm::ES256, URL_SAFE_NO_PAD.encode(point)).into(),
            parsed: vec![(Algorithm::ES256, parsed)],
        })
    }
}

/// A usable key set: only signing keys with unique `kid`s.
pub(crate) struct KeySet {
    keys: Vec<Arc<VerifyingKey>>,
    pub(crate) fetched_at: Instant,
}

impl KeySet {
    pub(crate) fn get(&self, kid: &str) -> Option<&Arc<VerifyingKey>> {
        self.keys
            .iter()
            .find(|k| k.kid.as_bytes() == kid.as_bytes())
    }

    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether every key of this set is still in `next`, as the same parsed
    /// key (the parser reuses a key whose `kid`, parameters and algorithms
    /// are unchanged).
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

/// The public parameters of a JWK, by key type (also a DPoP proof's
/// `jwk`).
pub(crate) enum Material<'a> {
    Rsa {
        n: &'a str,
        e: &'a str,
    },
    Ec {
        curve: Algorithm,
        x: &'a str,
        y: &'a str,
    },
    Ed25519 {
        x: &'a str,
    },
}

impl Material<'_> {
    /// The algorithms a key of this type can serve at all.
    pub(crate) fn algorithms(&self) -> AlgorithmSet {
        match self {
            Material::Rsa { .. } => AlgorithmSet::RSA,
            Material::Ec { curve, .. } => AlgorithmSet::of([*curve]),
            Material::Ed25519 { .. } => AlgorithmSet::of([Algorithm::EdDSA]),
        }
    }

    fn fingerprint(&self) -> String {
        match self {
            Material::Rsa { n, e } => format!("RSA {n} {e}"),
            Material::Ec { curve, x, y } => format!("EC {curve} {x} {y}"),
            Material::Ed25519 { x } => format!("OKP {x}"),
        }
    }

    /// Decode and check the parameters, then parse them for `algorithm`.
    pub(crate) fn parse(&self, algorithm: Algorithm) -> Result<ParsedPublicKey, &'static str> {
        let backend: &'static dyn VerificationAlgorithm = match algorithm {
            Algorithm::RS256 => &RSA_PKCS1_2048_8192_SHA256,
            Algorithm::RS384 => &RSA_PKCS1_2048_8192_SHA384,
            Algorithm::RS512 => &RSA_PKCS1_2048_8192_SHA512,
            Algorithm::PS256 => &RSA_PSS_2048_8192_SHA256,
            Algorithm::PS384 => &RSA_PSS_2048_8192_SHA384,
            Algorithm::PS512 => &RSA_PSS_2048_8192_SHA512,
            Algorithm::ES256 => &ECDSA_P256_SHA256_FIXED,
            Algorithm::ES384 => &ECDSA_P384_SHA384_FIXED,
            Algorithm::EdDSA => &ED25519,
        };
        let bytes = match self {
            Material::Rsa { n, e } => rsa_public_key(n, e)?,
            Material::Ec { curve, x, y } => {
                let len = if *curve == Algorithm::ES256 { 32 } else { 48 };
                let x = decode_exact(x, len).ok_or("x is not a coordinate of the curve's size")?;
                let y = decode_exact(y, len).ok_or("y is not a coordinate of the curve's size")?;
                let mut point = Vec::with_capacity(1 + 2 * len);
                point.push(0x04);
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                point
            }
            Material::Ed25519 { x } => {
                decode_exact(x, 32).ok_or("x is not a 32-byte Ed25519 key")?
            }
        };
        ParsedPublicKey::new(backend, bytes)
            .map_err(|_| "the key was rejected by the crypto backend")
    }
}

fn decode_exact(value: &str, len: usize) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD
        .decode(value)
        .ok()
        .filter(|v| v.len() == len)
}

/// The `alg` a JWK names, as one of ours; `Err` for any other (including
/// `HS256` and encryption algorithms).
fn key_algorithm(alg: &KeyAlgorithm) -> Result<Algorithm, &'static str> {
    Ok(match alg {
        KeyAlgorithm::RS256 => Algorithm::RS256,
        KeyAlgorithm::RS384 => Algorithm::RS384,
        KeyAlgorithm::RS512 => Algorithm::RS512,
        KeyAlgorithm::PS256 => Algorithm::PS256,
        KeyAlgorithm::PS384 => Algorithm::PS384,
        KeyAlgorithm::PS512 => Algorithm::PS512,
        KeyAlgorithm::ES256 => Algorithm::ES256,
        KeyAlgorithm::ES384 => Algorithm::ES384,
        KeyAlgorithm::EdDSA => Algorithm::EdDSA,
        _ => return Err("alg is not a supported signature algorithm"),
    })
}

/// The entry's `kid`, parameters and the algorithms it may serve among
/// `accepted`; why it is skipped otherwise. Never contains key material.
fn usable(
    jwk: &Jwk,
    accepted: AlgorithmSet,
) -> Result<(&str, Material<'_>, AlgorithmSet), &'static str> {
    let kid = jwk.common.key_id.as_deref().ok_or("no kid")?;
    if kid.is_empty() || kid.len() > MAX_KID_LEN {
        return Err("kid empty or too long");
    }
    match &jwk.common.public_key_use {
        None | Some(PublicKeyUse::Signature) => {}
        Some(_) => return Err("use is not sig"),
    }
    if let Some(ops) = &jwk.common.key_operations
        && !ops
            .iter()
            .any(|op| matches!(op, jsonwebtoken::jwk::KeyOperations::Verify))
    {
        return Err("key_ops does not allow verify");
    }
    let material = match &jwk.algorithm {
        AlgorithmParameters::RSA(rsa) if rsa.key_type == RSAKeyType::RSA => Material::Rsa {
            n: rsa.n.as_str(),
            e: rsa.e.as_str(),
        },
        AlgorithmParameters::EllipticCurve(ec) if ec.key_type == EllipticCurveKeyType::EC => {
            let curve = match ec.curve {
                EllipticCurve::P256 => Algorithm::ES256,
                EllipticCurve::P384 => Algorithm::ES384,
                _ => return Err("crv is not P-256 or P-384"),
            };
            Material::Ec {
                curve,
                x: ec.x.as_str(),
                y: ec.y.as_str(),
            }
        }
        AlgorithmParameters::OctetKeyPair(okp)
            if okp.key_type == OctetKeyPairType::OctetKeyPair =>
        {
            if okp.curve != EllipticCurve::Ed25519 {
                return Err("crv of an OKP key is not Ed25519");
            }
            Material::Ed25519 { x: okp.x.as_str() }
        }
        _ => return Err("kty is not RSA, EC or OKP"),
    };
    let mut algorithms = material.algorithms();
    if let Some(alg) = &jwk.common.key_algorithm {
        let alg = key_algorithm(alg)?;
        if !algorithms.contains(alg) {
            return Err("alg does not fit the key type or curve");
        }
        algorithms = AlgorithmSet::of([alg]);
    }
    let algorithms = algorithms.intersection(accepted);
    if algorithms.is_empty() {
        return Err("the key serves none of the accepted algorithms");
    }
    Ok((kid, material, algorithms))
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    &bytes[start..]
}

/// Checks the RSA parameters ourselves, so the bounds hold whatever the
/// backend accepts: modulus 2048–8192 bits, odd exponent from 65537 to 2^32.
fn rsa_public_key(n: &str, e: &str) -> Result<Vec<u8>, &'static str> {
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
    Ok(rsa_public_key_der(n, e))
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

/// Parse a JWKS document, keeping the keys that serve one of `accepted`.
/// Unusable entries are skipped with a debug log; a
/// `kid` shared by two or more usable keys is ambiguous and none of
/// them is used (whatever their order; unusable entries sharing a kid with a
/// usable key do not count). A key of `previous` with the same `kid`,
/// parameters and algorithms (what `alg`, `use` and `key_ops` leave of the
/// accepted ones) is reused instead of parsed again; any other change makes
/// a new key, so that a narrowed `alg` takes effect at once. Fails when the document is not a key set or has
/// no usable key, so that the caller keeps its last good set.
pub(crate) fn parse_key_set(
    body: &[u8],
    previous: Option<&KeySet>,
    url: &str,
    accepted: AlgorithmSet,
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
    let mut keys: Vec<Arc<VerifyingKey>> = Vec::with_capacity(raw.keys.len());
    let mut ambiguous: Vec<Box<str>> = Vec::new();
    for (index, value) in raw.keys.into_iter().enumerate() {
        let jwk: Jwk = match serde_json::from_value(value) {
            Ok(jwk) => jwk,
            Err(_) => {
                tracing::debug!(url, index, reason = "not a JWK", "skipping key-set entry");
                continue;
            }
        };
        let (kid, material, algorithms) = match usable(&jwk, accepted) {
            Ok(parts) => parts,
            Err(reason) => {
                tracing::debug!(url, index, reason, "skipping key-set entry");
                continue;
            }
        };
        let fingerprint = material.fingerprint();
        let reused = previous
            .and_then(|p| p.get(kid))
            .filter(|k| *k.material == *fingerprint && k.algorithms() == algorithms)
            .cloned();
        let key = match reused {
            Some(key) => key,
            None => match algorithms
                .iter()
                .map(|a| material.parse(a).map(|parsed| (a, parsed)))
                .collect::<Result<Vec<_>, _>>()
            {
                Ok(parsed) => Arc::new(VerifyingKey {
                    kid: kid.into(),
                    material: fingerprint.into(),
                    parsed,
                }),
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
        return Err(format!(
            "the key set has no usable signing key for {}",
            accepted.names()
        ));
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
            assert!(parse_key_set(body, None, "u", AlgorithmSet::RS256, Instant::now()).is_err());
        }
    }
}
