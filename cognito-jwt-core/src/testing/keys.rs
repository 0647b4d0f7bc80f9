//! Signing keys: RSA ([`TestKey`]), elliptic and Edwards curves
//! ([`TestCurveKey`]), and hand-made compact JWS.

use std::fmt;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, RsaEncoding};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use super::token::{Segments, compact};
use crate::Algorithm;

/// The size of a generated [`TestKey`]: the moduli Cognito's verifiers
/// must accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RsaKeySize {
    /// 2048 bits, what Cognito uses.
    Rsa2048,
    /// 3072 bits.
    Rsa3072,
    /// 4096 bits.
    Rsa4096,
    /// 8192 bits, the largest key a verifier accepts.
    Rsa8192,
}

impl RsaKeySize {
    fn backend(self) -> KeySize {
        match self {
            Self::Rsa2048 => KeySize::Rsa2048,
            Self::Rsa3072 => KeySize::Rsa3072,
            Self::Rsa4096 => KeySize::Rsa4096,
            Self::Rsa8192 => KeySize::Rsa8192,
        }
    }
}

/// An RSA signature scheme for [`TestKey::sign_with`]: PKCS#1 v1.5 or PSS,
/// with SHA-256, SHA-384 or SHA-512. Only [`Pkcs1Sha256`](Self::Pkcs1Sha256)
/// (RS256) is what Cognito signs with; the others make tokens a verifier
/// must refuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RsaPadding {
    /// PKCS#1 v1.5 with SHA-256 (`RS256`).
    Pkcs1Sha256,
    /// PKCS#1 v1.5 with SHA-384 (`RS384`).
    Pkcs1Sha384,
    /// PKCS#1 v1.5 with SHA-512 (`RS512`).
    Pkcs1Sha512,
    /// PSS with SHA-256 (`PS256`).
    PssSha256,
    /// PSS with SHA-384 (`PS384`).
    PssSha384,
    /// PSS with SHA-512 (`PS512`).
    PssSha512,
}

impl RsaPadding {
    /// The JWS `alg` name of this scheme, e.g. `"PS256"`.
    pub fn alg(self) -> &'static str {
        match self {
            Self::Pkcs1Sha256 => "RS256",
            Self::Pkcs1Sha384 => "RS384",
            Self::Pkcs1Sha512 => "RS512",
            Self::PssSha256 => "PS256",
            Self::PssSha384 => "PS384",
            Self::PssSha512 => "PS512",
        }
    }

    fn backend(self) -> &'static dyn RsaEncoding {
        match self {
            Self::Pkcs1Sha256 => &signature::RSA_PKCS1_SHA256,
            Self::Pkcs1Sha384 => &signature::RSA_PKCS1_SHA384,
            Self::Pkcs1Sha512 => &signature::RSA_PKCS1_SHA512,
            Self::PssSha256 => &signature::RSA_PSS_SHA256,
            Self::PssSha384 => &signature::RSA_PSS_SHA384,
            Self::PssSha512 => &signature::RSA_PSS_SHA512,
        }
    }
}

/// An RSA signing key with a `kid`.
pub struct TestKey {
    kid: String,
    pair: KeyPair,
}

impl fmt::Debug for TestKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl TestKey {
    /// Generate a 2048-bit key.
    ///
    /// # Panics
    /// If the crypto backend cannot generate keys (test code only).
    pub fn generate(kid: impl Into<String>) -> Self {
        Self::generate_with_size(kid, RsaKeySize::Rsa2048)
    }

    /// Generate a key of the given size.
    ///
    /// # Panics
    /// If the crypto backend cannot generate keys (test code only).
    #[allow(clippy::expect_used)]
    pub fn generate_with_size(kid: impl Into<String>, size: RsaKeySize) -> Self {
        Self {
            kid: kid.into(),
            pair: KeyPair::generate(size.backend()).expect("RSA key generation"),
        }
    }

    /// The key id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The modulus `n`, unpadded base64url.
    pub fn n(&self) -> String {
        URL_SAFE_NO_PAD.encode(
            self.pair
                .public_key()
                .modulus()
                .big_endian_without_leading_zero(),
        )
    }

    /// The exponent `e`, unpadded base64url (`AQAB`).
    pub fn e(&self) -> String {
        URL_SAFE_NO_PAD.encode(
            self.pair
                .public_key()
                .exponent()
                .big_endian_without_leading_zero(),
        )
    }

    /// The public key as a Cognito-style JWK.
    pub fn jwk(&self) -> Value {
        self.jwk_for(RsaPadding::Pkcs1Sha256)
    }

    /// The public key as a JWK whose `alg` is `padding`'s.
    fn jwk_for(&self, padding: RsaPadding) -> Value {
        json!({
            "alg": padding.alg(),
            "e": self.e(),
            "kid": self.kid,
            "kty": "RSA",
            "n": self.n(),
            "use": "sig",
        })
    }

    /// The public key as PKCS#1 DER (what an attacker might use as an HMAC secret).
    pub fn public_der(&self) -> Vec<u8> {
        self.pair.public_key().as_ref().to_vec()
    }

    /// Sign `input` with RSA using `padding`.
    ///
    /// # Panics
    /// If signing fails (test code only).
    #[allow(clippy::expect_used)]
    pub fn sign_with(&self, padding: RsaPadding, input: &[u8]) -> Vec<u8> {
        let mut signature = vec![0; self.pair.public_modulus_len()];
        self.pair
            .sign(
                padding.backend(),
                &SystemRandom::new(),
                input,
                &mut signature,
            )
            .expect("RSA signing");
        signature
    }

    /// Sign `input` with RS256.
    pub fn sign_rs256(&self, input: &[u8]) -> Vec<u8> {
        self.sign_with(RsaPadding::Pkcs1Sha256, input)
    }
}

/// An elliptic-curve or Edwards-curve signing key with a `kid`: ECDSA on
/// P-256 (`ES256`) or P-384 (`ES384`), or Ed25519 (`EdDSA`), generated
/// fresh, for tokens of other issuers than Cognito.
pub struct TestCurveKey {
    kid: String,
    algorithm: Algorithm,
    pair: CurvePair,
}

enum CurvePair {
    Ecdsa {
        fixed: EcdsaKeyPair,
        der: EcdsaKeyPair,
    },
    Ed25519(Ed25519KeyPair),
}

impl fmt::Debug for TestCurveKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestCurveKey")
            .field("kid", &self.kid)
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

impl TestCurveKey {
    /// A new P-256 key for `ES256`.
    pub fn es256(kid: impl Into<String>) -> Self {
        Self::ecdsa(
            kid.into(),
            Algorithm::ES256,
            &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
        )
    }

    /// A new P-384 key for `ES384`.
    pub fn es384(kid: impl Into<String>) -> Self {
        Self::ecdsa(
            kid.into(),
            Algorithm::ES384,
            &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
            &signature::ECDSA_P384_SHA384_ASN1_SIGNING,
        )
    }

    /// A new Ed25519 key for `EdDSA`.
    pub fn ed25519(kid: impl Into<String>) -> Self {
        Self {
            kid: kid.into(),
            algorithm: Algorithm::EdDSA,
            pair: CurvePair::Ed25519(Ed25519KeyPair::generate().expect("Ed25519 key generation")),
        }
    }

    fn ecdsa(
        kid: String,
        algorithm: Algorithm,
        fixed: &'static signature::EcdsaSigningAlgorithm,
        der: &'static signature::EcdsaSigningAlgorithm,
    ) -> Self {
        let pair = EcdsaKeyPair::generate(fixed).expect("EC key generation");
        let pkcs8 = pair.to_pkcs8v1().expect("EC key export");
        let der = EcdsaKeyPair::from_pkcs8(der, pkcs8.as_ref()).expect("EC key import");
        Self {
            kid,
            algorithm,
            pair: CurvePair::Ecdsa { fixed: pair, der },
        }
    }

    /// The key id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The algorithm this key signs with.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The public key as sent in a key set: the uncompressed point
    /// (`04 ‖ x ‖ y`) of an EC key, the 32 bytes of an Ed25519 key.
    pub fn public_key(&self) -> Vec<u8> {
        match &self.pair {
            CurvePair::Ecdsa { fixed, .. } => fixed.public_key().as_ref().to_vec(),
            CurvePair::Ed25519(pair) => pair.public_key().as_ref().to_vec(),
        }
    }

    /// The public JWK: `kty` `EC` with `crv`, `x`, `y`, or `kty` `OKP`
    /// with `crv` `Ed25519` and `x`; with `kid`, `use` `sig` and `alg`.
    pub fn jwk(&self) -> Value {
        let public = self.public_key();
        match &self.pair {
            CurvePair::Ecdsa { .. } => {
                let len = (public.len() - 1) / 2;
                json!({
                    "kty": "EC",
                    "crv": if self.algorithm == Algorithm::ES256 { "P-256" } else { "P-384" },
                    "x": b64(&public[1..=len]),
                    "y": b64(&public[1 + len..]),
                    "kid": self.kid,
                    "use": "sig",
                    "alg": self.algorithm.as_str(),
                })
            }
            CurvePair::Ed25519(_) => json!({
                "kty": "OKP",
                "crv": "Ed25519",
                "x": b64(&public),
                "kid": self.kid,
                "use": "sig",
                "alg": "EdDSA",
            }),
        }
    }

    /// Sign `input`; ECDSA signatures in JOSE form (`R ‖ S`).
    pub fn sign(&self, input: &[u8]) -> Vec<u8> {
        match &self.pair {
            CurvePair::Ecdsa { fixed, .. } => fixed
                .sign(&SystemRandom::new(), input)
                .expect("ECDSA signing")
                .as_ref()
                .to_vec(),
            CurvePair::Ed25519(pair) => pair.sign(input).as_ref().to_vec(),
        }
    }

    /// Sign `input` with ECDSA, the signature DER-encoded (as JWS forbids);
    /// `None` for an Ed25519 key.
    pub fn sign_der(&self, input: &[u8]) -> Option<Vec<u8>> {
        match &self.pair {
            CurvePair::Ecdsa { der, .. } => Some(
                der.sign(&SystemRandom::new(), input)
                    .expect("ECDSA signing")
                    .as_ref()
                    .to_vec(),
            ),
            CurvePair::Ed25519(_) => None,
        }
    }

    /// A compact JWS of this header and payload (raw JSON text), signed
    /// with this key.
    pub fn sign_parts(&self, header_json: &str, payload_json: &str) -> String {
        compact(header_json, payload_json, Segments::Unpadded, |input| {
            self.sign(input)
        })
    }
}

/// Base64url without padding, as in JWTs.
pub fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Join a header and payload (raw JSON text, so duplicate keys and other
/// malformations are possible) and sign them with `key` using RS256.
pub fn sign_parts(key: &TestKey, header_json: &str, payload_json: &str) -> String {
    compact(header_json, payload_json, Segments::Unpadded, |input| {
        key.sign_rs256(input)
    })
}

/// A signing key for any [`Algorithm`] a [`JwtVerifier`](crate::JwtVerifier)
/// accepts: a 2048-bit [`TestKey`] for `RS256` to `PS512`, a
/// [`TestCurveKey`] for `ES256`, `ES384` and `EdDSA`. What a
/// [`TestOidcIssuer`](super::TestOidcIssuer) signs with; its JWK names its
/// algorithm, so a verifier uses it for that algorithm only.
///
/// ```
/// use cognito_jwt_core::testing::TestSigningKey;
/// use cognito_jwt_core::{Algorithm, ErrorKind, Issuer, JwtVerifier};
/// use serde_json::{Value, json};
///
/// let key = TestSigningKey::generate("k1", Algorithm::PS256);
/// let verifier = JwtVerifier::builder()
///     .issuer(
///         Issuer::new("https://id.example.com")
///             .audience("api")
///             .algorithms([Algorithm::RS256, Algorithm::PS256]),
///     )
///     .build()?;
/// verifier.cache_jwks("https://id.example.com", &json!({"keys": [key.jwk()]}).to_string())?;
///
/// let claims = json!({"iss": "https://id.example.com", "aud": "api", "exp": 4_000_000_000_u64});
/// let header = json!({"alg": "PS256", "kid": "k1"});
/// let token = key.sign_parts(&header.to_string(), &claims.to_string());
/// verifier.verify_sync::<Value>(&token)?;
///
/// // The same key announced as RS256: it serves PS256 only.
/// let relabelled = json!({"alg": "RS256", "kid": "k1"});
/// let token = key.sign_parts(&relabelled.to_string(), &claims.to_string());
/// let refused = verifier.verify_sync::<Value>(&token).unwrap_err();
/// assert_eq!(refused.kind(), ErrorKind::UnsupportedAlgorithm);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct TestSigningKey {
    algorithm: Algorithm,
    key: AnyKey,
}

enum AnyKey {
    Rsa { key: TestKey, padding: RsaPadding },
    Curve(TestCurveKey),
}

impl fmt::Debug for TestSigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestSigningKey")
            .field("kid", &self.kid())
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

impl TestSigningKey {
    /// A new key for `algorithm`.
    ///
    /// # Panics
    /// If the crypto backend cannot generate keys (test code only).
    pub fn generate(kid: impl Into<String>, algorithm: Algorithm) -> Self {
        let kid = kid.into();
        let rsa = |kid, padding| AnyKey::Rsa {
            key: TestKey::generate(kid),
            padding,
        };
        let key = match algorithm {
            Algorithm::RS256 => rsa(kid, RsaPadding::Pkcs1Sha256),
            Algorithm::RS384 => rsa(kid, RsaPadding::Pkcs1Sha384),
            Algorithm::RS512 => rsa(kid, RsaPadding::Pkcs1Sha512),
            Algorithm::PS256 => rsa(kid, RsaPadding::PssSha256),
            Algorithm::PS384 => rsa(kid, RsaPadding::PssSha384),
            Algorithm::PS512 => rsa(kid, RsaPadding::PssSha512),
            Algorithm::ES256 => AnyKey::Curve(TestCurveKey::es256(kid)),
            Algorithm::ES384 => AnyKey::Curve(TestCurveKey::es384(kid)),
            Algorithm::EdDSA => AnyKey::Curve(TestCurveKey::ed25519(kid)),
        };
        Self { algorithm, key }
    }

    /// The key id.
    pub fn kid(&self) -> &str {
        match &self.key {
            AnyKey::Rsa { key, .. } => key.kid(),
            AnyKey::Curve(key) => key.kid(),
        }
    }

    /// The algorithm this key signs with.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The public JWK, with `kid`, `use` `sig` and `alg` this key's
    /// algorithm.
    pub fn jwk(&self) -> Value {
        match &self.key {
            AnyKey::Rsa { key, padding } => key.jwk_for(*padding),
            AnyKey::Curve(key) => key.jwk(),
        }
    }

    /// Sign `input` with this key's algorithm (ECDSA signatures in JOSE
    /// form).
    pub fn sign(&self, input: &[u8]) -> Vec<u8> {
        match &self.key {
            AnyKey::Rsa { key, padding } => key.sign_with(*padding, input),
            AnyKey::Curve(key) => key.sign(input),
        }
    }

    /// A compact JWS of this header and payload (raw JSON text), signed
    /// with this key whatever the header's `alg` says.
    pub fn sign_parts(&self, header_json: &str, payload_json: &str) -> String {
        compact(header_json, payload_json, Segments::Unpadded, |input| {
            self.sign(input)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwk_round_trip_verifies() {
        let key = TestKey::generate("k");
        let der = crate::jwks::rsa_public_key_der(
            &URL_SAFE_NO_PAD.decode(key.n()).unwrap(),
            &URL_SAFE_NO_PAD.decode(key.e()).unwrap(),
        );
        assert_eq!(der, key.public_der());
    }

    #[test]
    fn a_larger_key_signs_with_its_own_modulus_size() {
        let key = TestKey::generate_with_size("big", RsaKeySize::Rsa3072);
        assert_eq!(URL_SAFE_NO_PAD.decode(key.n()).unwrap().len(), 384);
        assert_eq!(key.sign_with(RsaPadding::PssSha512, b"input").len(), 384);
    }

    #[test]
    fn a_signing_key_announces_its_algorithm_and_key_type() {
        for algorithm in Algorithm::ALL {
            let key = TestSigningKey::generate("k", *algorithm);
            assert_eq!(key.algorithm(), *algorithm);
            let jwk = key.jwk();
            assert_eq!(jwk["alg"], algorithm.as_str());
            assert_eq!(jwk["kid"], "k");
            let kty = match algorithm {
                Algorithm::ES256 | Algorithm::ES384 => "EC",
                Algorithm::EdDSA => "OKP",
                _ => "RSA",
            };
            assert_eq!(jwk["kty"], kty, "{algorithm}");
        }
    }
}
