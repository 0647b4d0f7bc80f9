//! DPoP (RFC 9449) for tests: a client's key, its proofs (genuine or
//! deliberately broken), tokens bound to it, and server nonces.

use std::time::Duration;

use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::hmac;
use serde_json::{Value, json};

use super::keys::{TestSigningKey, b64};
use super::token::{Parts, Segments, compact, now, token_setters, unique_id};
use crate::algorithm::Algorithm;
use crate::error::ConfigError;

/// A DPoP client's key pair: it signs proofs, and tokens are bound to its
/// thumbprint ([`OidcTokenBuilder::bound_to`](crate::testing::OidcTokenBuilder::bound_to)).
///
/// ```
/// use cognito_jwt_core::testing::{DpopKey, TestOidcIssuer};
/// use cognito_jwt_core::{Algorithm, Dpop, DpopRequest, ErrorKind, StandardClaims};
///
/// # tokio_test_block_on(async {
/// let issuer = TestOidcIssuer::new("https://login.example.com", Algorithm::RS256);
/// let verifier = issuer.verifier_from(
///     issuer
///         .verifier_builder(issuer.issuer_config("orders-api"))
///         .dpop(Dpop::new("https://api.example.com")),
/// );
/// let key = DpopKey::generate(Algorithm::ES256);
/// let token = issuer.access_token("orders-api").bound_to(&key).sign();
/// let url = "https://api.example.com/orders";
/// let proof = key.proof("GET", url).access_token(&token).sign();
///
/// let request = DpopRequest::new(&proof, "GET", url);
/// let claims = verifier.verify_dpop_with::<StandardClaims>(&token, &Default::default(), &request).await;
/// assert!(claims.is_ok());
/// let replayed = verifier.verify_dpop_with::<StandardClaims>(&token, &Default::default(), &request).await;
/// assert_eq!(replayed.unwrap_err().kind(), ErrorKind::DpopProofReplayed);
/// let as_bearer = verifier.verify::<StandardClaims>(&token).await;
/// assert_eq!(as_bearer.unwrap_err().kind(), ErrorKind::DpopRequired);
/// # });
/// # fn tokio_test_block_on(f: impl std::future::Future<Output = ()>) {
/// #     tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
/// # }
/// ```
#[derive(Debug)]
pub struct DpopKey {
    key: TestSigningKey,
}

impl DpopKey {
    /// A new key for `algorithm`.
    ///
    /// # Panics
    /// If the crypto backend cannot generate keys (test code only).
    pub fn generate(algorithm: Algorithm) -> Self {
        Self {
            key: TestSigningKey::generate("dpop", algorithm),
        }
    }

    /// The algorithm its proofs are signed with.
    pub fn algorithm(&self) -> Algorithm {
        self.key.algorithm()
    }

    /// The public JWK a proof carries: the key type's members only.
    pub fn public_jwk(&self) -> Value {
        let jwk = self.key.jwk();
        let member = |name: &str| jwk.get(name).cloned().unwrap_or(Value::Null);
        match jwk.get("kty").and_then(Value::as_str) {
            Some("RSA") => json!({"kty": "RSA", "n": member("n"), "e": member("e")}),
            Some("EC") => {
                json!({"kty": "EC", "crv": member("crv"), "x": member("x"), "y": member("y")})
            }
            _ => json!({"kty": "OKP", "crv": member("crv"), "x": member("x")}),
        }
    }

    /// Its RFC 7638 SHA-256 thumbprint, base64url: a bound token's
    /// `cnf.jkt`.
    pub fn thumbprint(&self) -> String {
        let jwk = self.public_jwk();
        let text = |name: &str| {
            jwk.get(name)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let canonical = match text("kty").as_str() {
            "RSA" => format!(r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#, text("e"), text("n")),
            "EC" => format!(
                r#"{{"crv":"{}","kty":"EC","x":"{}","y":"{}"}}"#,
                text("crv"),
                text("x"),
                text("y")
            ),
            _ => format!(
                r#"{{"crv":"{}","kty":"OKP","x":"{}"}}"#,
                text("crv"),
                text("x")
            ),
        };
        b64(digest(&SHA256, canonical.as_bytes()))
    }

    /// A proof for a request with `method` to `url`: header `typ`
    /// `dpop+jwt`, this key's `alg` and public `jwk`; claims a fresh
    /// `jti`, `htm`, `htu` (without query or fragment) and `iat` now. Add
    /// the token's hash with [`access_token`](DpopProofBuilder::access_token).
    pub fn proof(&self, method: &str, url: &str) -> DpopProofBuilder<'_> {
        let htu = url.split(['?', '#']).next().unwrap_or_default();
        DpopProofBuilder {
            key: self,
            parts: Parts::new(
                json!({"typ": "dpop+jwt", "alg": self.algorithm().as_str(), "jwk": self.public_jwk()}),
                json!({"jti": unique_id(), "htm": method, "htu": htu, "iat": now()}),
            ),
        }
    }
}

/// A DPoP proof being built (see [`DpopKey::proof`]); every setter makes a
/// variant a verifier must refuse, unless it restores what it changed.
#[derive(Debug)]
#[must_use]
pub struct DpopProofBuilder<'a> {
    key: &'a DpopKey,
    parts: Parts,
}

impl DpopProofBuilder<'_> {
    token_setters!();

    /// Set `ath` to the hash of `token`, as a proof sent with it must.
    pub fn access_token(self, token: &str) -> Self {
        self.claim("ath", b64(digest(&SHA256, token.as_bytes())))
    }

    /// Set `iat` to now + `seconds` (negative for an old proof).
    pub fn issued_in(self, seconds: i64) -> Self {
        self.claim("iat", now() + seconds)
    }

    /// Set `nonce` (see [`dpop_nonce`]).
    pub fn nonce(self, nonce: &str) -> Self {
        self.claim("nonce", nonce)
    }

    /// Put the private key's `d` (here a made-up value) in the header's
    /// `jwk`, as a careless client might.
    pub fn with_private_key_in_jwk(mut self) -> Self {
        if let Some(Value::Object(jwk)) = self.parts.header.get_mut("jwk") {
            jwk.insert("d".to_owned(), Value::from(b64([7u8; 32])));
        }
        self
    }

    /// Sign with the key.
    pub fn sign(self) -> String {
        self.parts
            .sign(Segments::Unpadded, |input| self.key.key.sign(input))
    }

    /// Sign with another key, keeping the header (`jwk` included) as it
    /// is: a proof whose signature does not verify with its `jwk`.
    pub fn sign_with(self, other: &DpopKey) -> String {
        self.parts
            .sign(Segments::Unpadded, |input| other.key.sign(input))
    }

    /// `alg` `none` and an empty signature.
    pub fn unsigned(self) -> String {
        let (header, claims) = self.header("alg", "none").json();
        compact(&header, &claims, Segments::Unpadded, |_| Vec::new())
    }

    /// `alg` `HS256`, signed with HMAC under `secret` (such as the key's
    /// public JWK text, as in key-confusion attacks).
    pub fn sign_hs256(self, secret: &[u8]) -> String {
        let (header, claims) = self.header("alg", "HS256").json();
        let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
        compact(&header, &claims, Segments::Unpadded, |input| {
            hmac::sign(&key, input).as_ref().to_vec()
        })
    }
}

/// The DPoP nonce a server configured with `secret` and `window`
/// ([`Dpop::nonces`](crate::Dpop::nonces)) gives at `unix_secs`: of now
/// for a current nonce, of two windows ago for a stale one.
///
/// # Errors
/// As `Dpop::nonces` at build: a secret under 32 bytes, a window outside
/// 10 s to a day.
pub fn dpop_nonce(secret: &[u8], window: Duration, unix_secs: u64) -> Result<String, ConfigError> {
    crate::dpop::nonce_at(secret, window, unix_secs)
}
