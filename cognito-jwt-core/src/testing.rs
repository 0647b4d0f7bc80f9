//! Test helpers: a local Cognito-like issuer that generates keys, mints ID
//! and access tokens (genuine or deliberately broken), and produces its key
//! set. Enable the `testing` feature in `[dev-dependencies]` only.
//!
//! ```
//! use cognito_jwt_core::testing::TestIssuer;
//! use cognito_jwt_core::{AccessTokenClaims, TokenUse};
//!
//! let issuer = TestIssuer::new("eu-west-1_TestPool1");
//! let verifier = issuer.verifier("my-client", TokenUse::Access); // keys already cached
//!
//! let token = issuer.access_token("my-client").group("admins").sign();
//! let claims: AccessTokenClaims = verifier.verify_sync(&token).unwrap();
//! assert!(claims.in_group("admins"));
//!
//! let expired = issuer.access_token("my-client").expires_in(-60).sign();
//! assert!(verifier.verify_sync::<AccessTokenClaims>(&expired).is_err());
//! ```

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, RsaEncoding};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};

use crate::Algorithm;
use crate::config::{AcceptedTokenUse, UserPool};
use crate::jwks::{FetchError, FetchFuture, JwksFetcher};
use crate::{CognitoJwtVerifier, CognitoJwtVerifierBuilder};

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
        json!({"alg": "RS256", "e": self.e(), "kid": self.kid, "kty": "RSA", "n": self.n(), "use": "sig"})
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
        let input = format!("{}.{}", b64(header_json), b64(payload_json));
        let signature = self.sign(input.as_bytes());
        format!("{input}.{}", b64(signature))
    }
}

/// Base64url without padding, as in JWTs.
pub fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Join a header and payload (raw JSON text, so duplicate keys and other
/// malformations are possible) and sign them with `key` using RS256.
pub fn sign_parts(key: &TestKey, header_json: &str, payload_json: &str) -> String {
    let input = format!("{}.{}", b64(header_json), b64(payload_json));
    let signature = key.sign_rs256(input.as_bytes());
    format!("{input}.{}", b64(signature))
}

/// A key-set "fetcher" that serves a fixed document without any I/O.
#[derive(Debug, Clone)]
pub struct StaticJwks(pub String);

impl JwksFetcher for StaticJwks {
    fn fetch<'a>(&'a self, _url: &'a str) -> FetchFuture<'a> {
        Box::pin(async move { Ok(self.0.as_bytes().to_vec()) })
    }
}

/// A key-set "fetcher" whose endpoint is down: every fetch fails at once,
/// without any I/O. A verifier with it and no cached keys refuses every
/// token it cannot reject without keys with [`ErrorKind::JwksUnavailable`]
/// (HTTP 503).
///
/// [`ErrorKind::JwksUnavailable`]: crate::ErrorKind::JwksUnavailable
#[derive(Debug, Clone, Copy, Default)]
pub struct UnreachableJwks;

impl JwksFetcher for UnreachableJwks {
    fn fetch<'a>(&'a self, _url: &'a str) -> FetchFuture<'a> {
        Box::pin(async { Err(FetchError::new("connection refused")) })
    }
}

/// A key-set fetcher for tests of the key-set lifecycle: serves whatever
/// document it is given, fails or stalls on demand, and counts its
/// fetches. Clones share one script. Its delay is Tokio time, so tests
/// with paused time (`#[tokio::test(start_paused = true)]`) run a
/// 24-hour scenario in milliseconds.
///
/// ```
/// use cognito_jwt_core::testing::{ScriptedJwks, TestIssuer};
/// use cognito_jwt_core::{AccessTokenClaims, CognitoJwtVerifier, TokenUse};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let issuer = TestIssuer::new("eu-west-1_Scripted");
/// let jwks = ScriptedJwks::serving(issuer.jwks_json());
/// let verifier = CognitoJwtVerifier::builder()
///     .user_pool(issuer.user_pool("client", TokenUse::Access))
///     .fetcher(jwks.clone())
///     .build()
///     .unwrap();
/// let token = issuer.access_token("client").sign();
/// verifier.verify::<AccessTokenClaims>(&token).await.unwrap();
/// assert_eq!(jwks.fetches(), 1);
/// jwks.fail("503 Service Unavailable"); // later fetches fail
/// # }
/// ```
#[derive(Debug, Clone, Default)]
pub struct ScriptedJwks {
    script: Arc<Mutex<Script>>,
    fetches: Arc<AtomicU64>,
}

#[derive(Debug, Default)]
struct Script {
    response: Option<Result<String, String>>,
    delay: std::time::Duration,
}

impl ScriptedJwks {
    /// A fetcher serving `document`.
    pub fn serving(document: impl Into<String>) -> Self {
        let jwks = Self::default();
        jwks.serve(document);
        jwks
    }

    fn script(&self) -> MutexGuard<'_, Script> {
        self.script.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Serve `document` from the next fetch on.
    pub fn serve(&self, document: impl Into<String>) {
        self.script().response = Some(Ok(document.into()));
    }

    /// Fail with `message` from the next fetch on.
    pub fn fail(&self, message: impl Into<String>) {
        self.script().response = Some(Err(message.into()));
    }

    /// Take `delay` (Tokio time) to answer each fetch from the next one on.
    pub fn delay(&self, delay: std::time::Duration) {
        self.script().delay = delay;
    }

    /// How many fetches have started.
    pub fn fetches(&self) -> u64 {
        self.fetches.load(Ordering::SeqCst)
    }
}

impl JwksFetcher for ScriptedJwks {
    fn fetch<'a>(&'a self, _url: &'a str) -> FetchFuture<'a> {
        self.fetches.fetch_add(1, Ordering::SeqCst);
        let (response, delay) = {
            let script = self.script();
            (script.response.clone(), script.delay)
        };
        Box::pin(async move {
            tokio::time::sleep(delay).await;
            match response {
                Some(Ok(document)) => Ok(document.into_bytes()),
                Some(Err(message)) => Err(FetchError::new(message)),
                None => Err(FetchError::new("nothing scripted")),
            }
        })
    }
}

/// A local stand-in for a Cognito user pool.
#[derive(Debug)]
pub struct TestIssuer {
    pool_id: String,
    issuer: String,
    keys: Vec<TestKey>,
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

fn unique_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut random = [0u8; 8];
    let _ = SystemRandom::new().fill(&mut random);
    format!(
        "{:016x}-{:04x}-4000-8000-{:012x}",
        u64::from_le_bytes(random),
        COUNTER.fetch_add(1, Ordering::Relaxed) & 0xffff,
        now()
    )
}

impl TestIssuer {
    /// An issuer for `pool_id` with the AWS issuer URL
    /// (`https://cognito-idp.<region>.amazonaws.com/<pool_id>`) and one fresh key.
    pub fn new(pool_id: impl Into<String>) -> Self {
        let pool_id = pool_id.into();
        let region = pool_id.split('_').next().unwrap_or("local").to_owned();
        Self {
            issuer: format!("https://cognito-idp.{region}.amazonaws.com/{pool_id}"),
            keys: vec![TestKey::generate(format!("{pool_id}-key-1"))],
            pool_id,
        }
    }

    /// Use another `iss` (e.g. an emulator's `http://127.0.0.1:9229/<pool>`).
    #[must_use]
    pub fn with_issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = issuer.into();
        self
    }

    /// The pool id.
    pub fn pool_id(&self) -> &str {
        &self.pool_id
    }

    /// The `iss` of minted tokens.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The current signing key (the newest).
    pub fn key(&self) -> &TestKey {
        &self.keys[self.keys.len() - 1]
    }

    /// Add a new key, which signs from now on; the old keys stay published.
    pub fn rotate(&mut self) -> &TestKey {
        let kid = format!("{}-key-{}", self.pool_id, self.keys.len() + 1);
        self.keys.push(TestKey::generate(kid));
        self.key()
    }

    /// Stop publishing every key but the current one.
    pub fn retire_old_keys(&mut self) {
        let newest = self.keys.len() - 1;
        self.keys.drain(..newest);
    }

    /// A [`JwksFetcher`] that answers every fetch, in-process, with this
    /// issuer's key set as it is now (a snapshot).
    pub fn fetcher(&self) -> StaticJwks {
        StaticJwks(self.jwks_json())
    }

    /// The published key set: `{"keys": [...]}`.
    pub fn jwks_json(&self) -> String {
        json!({"keys": self.keys.iter().map(TestKey::jwk).collect::<Vec<_>>()}).to_string()
    }

    /// A `UserPool` matching this issuer (issuer override set when the
    /// issuer is not the AWS one).
    pub fn user_pool(&self, client_id: &str, token_use: impl Into<AcceptedTokenUse>) -> UserPool {
        let pool = UserPool::new(&self.pool_id)
            .client_id(client_id)
            .token_use(token_use);
        let aws = self.issuer.starts_with("https://cognito-idp.");
        if aws { pool } else { pool.issuer(&self.issuer) }
    }

    /// A builder for a verifier of this issuer: its pool, and a fetcher
    /// that answers in-process (see [`fetcher`](Self::fetcher)), so that no
    /// test ever reaches the network. Add settings, then pass it to
    /// [`verifier_from`](Self::verifier_from).
    pub fn verifier_builder(
        &self,
        client_id: &str,
        token_use: impl Into<AcceptedTokenUse>,
    ) -> CognitoJwtVerifierBuilder {
        CognitoJwtVerifier::builder()
            .user_pool(self.user_pool(client_id, token_use))
            .fetcher(self.fetcher())
    }

    /// Build `builder` and cache this issuer's key set in the verifier.
    ///
    /// # Panics
    /// If the configuration is invalid (test code only).
    #[allow(clippy::expect_used)]
    pub fn verifier_from(&self, builder: CognitoJwtVerifierBuilder) -> CognitoJwtVerifier {
        let verifier = builder.build().expect("test verifier configuration");
        verifier
            .cache_jwks(&self.pool_id, &self.jwks_json())
            .expect("test key set");
        verifier
    }

    /// A verifier for this issuer with its key set already cached, so tests
    /// need no HTTP server. Use [`verify_sync`](CognitoJwtVerifier::verify_sync)
    /// or `verify`. It never touches the network: a refetch (for an unknown
    /// `kid`) is answered in-process with the key set as it is now.
    ///
    /// ```
    /// use cognito_jwt_core::TokenUse;
    /// use cognito_jwt_core::testing::TestIssuer;
    ///
    /// let issuer = TestIssuer::new("eu-west-1_TestPool1");
    /// let admins_only = issuer.verifier_from(
    ///     issuer
    ///         .verifier_builder("my-client", TokenUse::Access)
    ///         .require_any_group("admins"),
    /// );
    /// let token = issuer.access_token("my-client").sign();
    /// assert!(admins_only.verify_sync::<serde_json::Value>(&token).is_err());
    /// ```
    pub fn verifier(
        &self,
        client_id: &str,
        token_use: impl Into<AcceptedTokenUse>,
    ) -> CognitoJwtVerifier {
        self.verifier_from(self.verifier_builder(client_id, token_use))
    }

    /// An access token for `client_id`, shaped like Cognito's, valid for an hour.
    pub fn access_token(&self, client_id: &str) -> TokenBuilder<'_> {
        let now = now();
        let sub = unique_id();
        let claims = json!({
            "sub": sub,
            "iss": self.issuer,
            "client_id": client_id,
            "origin_jti": unique_id(),
            "event_id": unique_id(),
            "token_use": "access",
            "scope": "aws.cognito.signin.user.admin",
            "auth_time": now,
            "exp": now + 3600,
            "iat": now,
            "jti": unique_id(),
            "username": "test-user",
        });
        TokenBuilder::new(self, claims)
    }

    /// A machine-to-machine access token (client credentials): no username,
    /// no groups, `sub` = client id.
    pub fn m2m_access_token(&self, client_id: &str, scope: &str) -> TokenBuilder<'_> {
        let now = now();
        let claims = json!({
            "sub": client_id,
            "iss": self.issuer,
            "client_id": client_id,
            "token_use": "access",
            "scope": scope,
            "auth_time": now,
            "exp": now + 3600,
            "iat": now,
            "jti": unique_id(),
            "version": 2,
        });
        TokenBuilder::new(self, claims)
    }

    /// An ID token for `client_id`, shaped like Cognito's, valid for an hour.
    pub fn id_token(&self, client_id: &str) -> TokenBuilder<'_> {
        let now = now();
        let claims = json!({
            "sub": unique_id(),
            "email_verified": true,
            "iss": self.issuer,
            "cognito:username": "test-user",
            "origin_jti": unique_id(),
            "aud": client_id,
            "event_id": unique_id(),
            "token_use": "id",
            "auth_time": now,
            "exp": now + 3600,
            "iat": now,
            "jti": unique_id(),
            "email": "test-user@example.com",
        });
        TokenBuilder::new(self, claims)
    }
}

/// Builds one token; every claim and header parameter can be changed.
#[derive(Debug)]
#[must_use]
pub struct TokenBuilder<'a> {
    issuer: &'a TestIssuer,
    header: Map<String, Value>,
    claims: Map<String, Value>,
}

impl<'a> TokenBuilder<'a> {
    fn new(issuer: &'a TestIssuer, claims: Value) -> Self {
        let mut header = Map::new();
        header.insert("kid".into(), issuer.key().kid.clone().into());
        header.insert("alg".into(), "RS256".into());
        let Value::Object(claims) = claims else {
            unreachable!("claims are built as an object")
        };
        Self {
            issuer,
            header,
            claims,
        }
    }

    /// Set (or replace) a claim.
    pub fn claim(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.claims.insert(name.to_owned(), value.into());
        self
    }

    /// Remove a claim.
    pub fn without(mut self, name: &str) -> Self {
        self.claims.remove(name);
        self
    }

    /// Set (or replace) a header parameter.
    pub fn header(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.header.insert(name.to_owned(), value.into());
        self
    }

    /// Remove a header parameter.
    pub fn without_header(mut self, name: &str) -> Self {
        self.header.remove(name);
        self
    }

    /// Add a group to `cognito:groups`.
    pub fn group(mut self, group: &str) -> Self {
        let groups = self
            .claims
            .entry("cognito:groups")
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(list) = groups {
            list.push(group.into());
        }
        self
    }

    /// Replace `scope`.
    pub fn scope(self, scope: &str) -> Self {
        self.claim("scope", scope)
    }

    /// Set `exp` to now + `seconds` (negative for an expired token).
    pub fn expires_in(self, seconds: i64) -> Self {
        self.claim("exp", now() + seconds)
    }

    /// The header and claims as JSON text, e.g. to edit and pass to [`sign_parts`].
    pub fn json(&self) -> (String, String) {
        (
            Value::Object(self.header.clone()).to_string(),
            Value::Object(self.claims.clone()).to_string(),
        )
    }

    /// Sign with the issuer's current key (RS256).
    pub fn sign(self) -> String {
        let key = self.issuer.key();
        self.sign_with(key)
    }

    /// Sign with another key (RS256), keeping the header's `kid`.
    pub fn sign_with(self, key: &TestKey) -> String {
        let (header, claims) = self.json();
        sign_parts(key, &header, &claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwk_round_trip_verifies() {
        let issuer = TestIssuer::new("eu-west-1_abc");
        let der = crate::jwks::rsa_public_key_der(
            &URL_SAFE_NO_PAD.decode(issuer.key().n()).unwrap(),
            &URL_SAFE_NO_PAD.decode(issuer.key().e()).unwrap(),
        );
        assert_eq!(der, issuer.key().public_der());
    }

    #[test]
    fn a_larger_key_signs_with_its_own_modulus_size() {
        let key = TestKey::generate_with_size("big", RsaKeySize::Rsa3072);
        assert_eq!(URL_SAFE_NO_PAD.decode(key.n()).unwrap().len(), 384);
        assert_eq!(key.sign_with(RsaPadding::PssSha512, b"input").len(), 384);
    }
}

/// A local stand-in for an Application Load Balancer: its ARN, a P-256
/// key with a UUID `kid`, and `x-amzn-oidc-data` values signed the way the
/// load balancer signs them (ES256, every segment padded base64url).
///
/// ```
/// use cognito_jwt_core::testing::TestAlb;
/// use cognito_jwt_core::AlbClaims;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let alb = TestAlb::new("eu-west-1");
/// let verifier = alb.verifier(); // keys served by alb.key_server(), no network
/// let header = alb.data().claim("email", "jo@example.com").sign();
/// let claims: AlbClaims = verifier.verify(&header).await.unwrap();
/// assert_eq!(claims.email.as_deref(), Some("jo@example.com"));
/// assert_eq!(claims.signer, alb.arn());
/// # }
/// ```
#[derive(Debug)]
pub struct TestAlb {
    arn: String,
    partition: String,
    region: String,
    key: TestCurveKey,
    server: TestAlbKeys,
}

/// A random UUID (version 4 layout), for load balancer key ids.
pub fn random_uuid() -> String {
    let mut bytes = [0u8; 16];
    let _ = SystemRandom::new().fill(&mut bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// Padded base64url, as a load balancer writes each segment.
pub fn b64_padded(bytes: impl AsRef<[u8]>) -> String {
    base64::engine::general_purpose::URL_SAFE.encode(bytes)
}

impl TestAlb {
    /// A load balancer in `region` (partition `aws`), with a fresh key and
    /// its own key server.
    pub fn new(region: &str) -> Self {
        Self::in_partition("aws", region)
    }

    /// A load balancer in `partition` and `region`, e.g. `aws-us-gov` and
    /// `us-gov-west-1`.
    pub fn in_partition(partition: &str, region: &str) -> Self {
        let mut id = [0u8; 8];
        let _ = SystemRandom::new().fill(&mut id);
        let id: String = id.iter().map(|b| format!("{b:02x}")).collect();
        let alb = Self {
            arn: format!(
                "arn:{partition}:elasticloadbalancing:{region}:123456789012:loadbalancer/app/test-alb/{id}"
            ),
            partition: partition.to_owned(),
            region: region.to_owned(),
            key: TestCurveKey::es256(random_uuid()),
            server: TestAlbKeys::default(),
        };
        alb.server.publish(&alb);
        alb
    }

    /// The load balancer's ARN (the header's `signer`).
    pub fn arn(&self) -> &str {
        &self.arn
    }

    /// Its region.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The `kid` of its key.
    pub fn kid(&self) -> &str {
        self.key.kid()
    }

    /// Its signing key.
    pub fn key(&self) -> &TestCurveKey {
        &self.key
    }

    /// The app client id its tokens carry in `client`.
    pub fn client_id(&self) -> &str {
        "test-alb-client"
    }

    /// The identity provider its tokens name in `iss`: a Cognito pool in
    /// its region.
    pub fn issuer(&self) -> String {
        format!(
            "https://cognito-idp.{0}.amazonaws.com/{0}_TestAlb1",
            self.region
        )
    }

    /// The URL its key is published at, where the verifier fetches it:
    /// `https://public-keys.auth.elb.<region>.amazonaws.com/<kid>`, or in
    /// `aws-us-gov` the region's S3 bucket.
    pub fn key_url(&self) -> String {
        if self.partition == "aws-us-gov" {
            format!(
                "https://s3-{0}.amazonaws.com/aws-elb-public-keys-prod-{0}/{1}",
                self.region,
                self.kid()
            )
        } else {
            format!(
                "https://public-keys.auth.elb.{}.amazonaws.com/{}",
                self.region,
                self.kid()
            )
        }
    }

    /// Its public key as the load balancer publishes it: a PEM
    /// `PUBLIC KEY` document.
    pub fn public_key_pem(&self) -> String {
        crate::alb::p256_pem(&self.key.public_key())
    }

    /// The key server its verifiers fetch from (no network): serves this
    /// load balancer's key at [`key_url`](Self::key_url) and 404 for any
    /// other URL. Clones share one server.
    pub fn key_server(&self) -> TestAlbKeys {
        self.server.clone()
    }

    /// A verifier builder trusting this load balancer, its client id and
    /// issuer, fetching from [`key_server`](Self::key_server).
    pub fn verifier_builder(&self) -> crate::AlbJwtVerifierBuilder {
        crate::AlbJwtVerifier::builder()
            .load_balancer_arn(self.arn.clone())
            .client_id(self.client_id())
            .issuer(self.issuer())
            .fetcher(self.key_server())
    }

    /// [`verifier_builder`](Self::verifier_builder), built.
    ///
    /// # Panics
    /// Never for a load balancer made by [`new`](Self::new).
    pub fn verifier(&self) -> crate::AlbJwtVerifier {
        self.verifier_builder()
            .build()
            .expect("a valid ALB configuration")
    }

    /// An `x-amzn-oidc-data` value as this load balancer sends it for a
    /// Cognito user, valid for two minutes.
    pub fn data(&self) -> AlbTokenBuilder<'_> {
        let exp = now() + 120;
        let user = unique_id();
        let mut header = Map::new();
        header.insert("typ".into(), json!("JWT"));
        header.insert("kid".into(), json!(self.kid()));
        header.insert("alg".into(), json!("ES256"));
        header.insert("iss".into(), json!(self.issuer()));
        header.insert("client".into(), json!(self.client_id()));
        header.insert("signer".into(), json!(self.arn));
        header.insert("exp".into(), json!(exp));
        let mut payload = Map::new();
        payload.insert("sub".into(), json!(user));
        payload.insert("email_verified".into(), json!("true"));
        payload.insert("email".into(), json!(format!("{user}@example.com")));
        payload.insert("username".into(), json!(user));
        payload.insert("exp".into(), json!(exp));
        payload.insert("iss".into(), json!(self.issuer()));
        AlbTokenBuilder {
            alb: self,
            header,
            payload,
        }
    }
}

/// An `x-amzn-oidc-data` value being built; see [`TestAlb::data`].
#[derive(Debug)]
pub struct AlbTokenBuilder<'a> {
    alb: &'a TestAlb,
    header: Map<String, Value>,
    payload: Map<String, Value>,
}

impl AlbTokenBuilder<'_> {
    /// Set a payload claim.
    pub fn claim(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.payload.insert(name.to_owned(), value.into());
        self
    }

    /// Remove a payload claim.
    pub fn without(mut self, name: &str) -> Self {
        self.payload.remove(name);
        self
    }

    /// Set a header field.
    pub fn header(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.header.insert(name.to_owned(), value.into());
        self
    }

    /// Remove a header field.
    pub fn without_header(mut self, name: &str) -> Self {
        self.header.remove(name);
        self
    }

    /// Expire `seconds` from now (negative: in the past), in the header
    /// and the payload.
    pub fn expires_in(self, seconds: i64) -> Self {
        self.header_expires_in(seconds).payload_expires_in(seconds)
    }

    /// Set only the header's `exp`, `seconds` from now.
    pub fn header_expires_in(self, seconds: i64) -> Self {
        self.header("exp", now() + seconds)
    }

    /// Set only the payload's `exp`, `seconds` from now.
    pub fn payload_expires_in(self, seconds: i64) -> Self {
        self.claim("exp", now() + seconds)
    }

    /// The header and payload JSON.
    pub fn json(&self) -> (String, String) {
        (
            Value::Object(self.header.clone()).to_string(),
            Value::Object(self.payload.clone()).to_string(),
        )
    }

    /// Signed by the load balancer's key, every segment padded.
    pub fn sign(self) -> String {
        let key = &self.alb.key;
        self.sign_with(key)
    }

    /// Signed by `key` (its `kid` is not put in the header), padded.
    pub fn sign_with(self, key: &TestCurveKey) -> String {
        let (header, payload) = self.json();
        let input = format!("{}.{}", b64_padded(header), b64_padded(payload));
        let signature = key.sign(input.as_bytes());
        format!("{input}.{}", b64_padded(signature))
    }

    /// Signed over unpadded segments, every segment unpadded: what a
    /// generic JWT library would produce, never what a load balancer sends.
    pub fn sign_unpadded(self) -> String {
        let (header, payload) = self.json();
        let input = format!("{}.{}", b64(header), b64(payload));
        let signature = self.alb.key.sign(input.as_bytes());
        format!("{input}.{}", b64(signature))
    }

    /// Signed with a DER-encoded ECDSA signature (as JWS forbids), padded.
    pub fn sign_der(self) -> String {
        let (header, payload) = self.json();
        let input = format!("{}.{}", b64_padded(header), b64_padded(payload));
        let signature = self.alb.key.sign_der(input.as_bytes()).unwrap_or_default();
        format!("{input}.{}", b64_padded(signature))
    }
}

/// A load balancers' key endpoint without the network: a
/// [`JwksFetcher`] serving PEM documents by URL, 404 for any other URL,
/// failing on demand, counting its fetches. Clones share one server.
#[derive(Debug, Clone, Default)]
pub struct TestAlbKeys {
    documents: Arc<Mutex<Vec<(String, String)>>>,
    failure: Arc<Mutex<Option<String>>>,
    fetches: Arc<AtomicU64>,
}

impl TestAlbKeys {
    /// Serve `alb`'s key at its URL too.
    pub fn publish(&self, alb: &TestAlb) {
        self.serve(alb.key_url(), alb.public_key_pem());
    }

    /// Serve `document` at `url`.
    pub fn serve(&self, url: impl Into<String>, document: impl Into<String>) {
        let mut documents = self
            .documents
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let url = url.into();
        documents.retain(|(u, _)| *u != url);
        documents.push((url, document.into()));
    }

    /// Fail every fetch with `message` (as a connection error would), or
    /// serve again with `None`.
    pub fn fail(&self, message: Option<&str>) {
        *self.failure.lock().unwrap_or_else(PoisonError::into_inner) = message.map(str::to_owned);
    }

    /// How many fetches have started.
    pub fn fetches(&self) -> u64 {
        self.fetches.load(Ordering::SeqCst)
    }

    /// The document at `url`, if served.
    pub fn document(&self, url: &str) -> Option<String> {
        self.documents
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .find(|(u, _)| u == url)
            .map(|(_, d)| d.clone())
    }
}

impl JwksFetcher for TestAlbKeys {
    fn fetch<'a>(&'a self, url: &'a str) -> FetchFuture<'a> {
        self.fetches.fetch_add(1, Ordering::SeqCst);
        let failure = self
            .failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let document = self.document(url);
        Box::pin(async move {
            match (failure, document) {
                (Some(message), _) => Err(FetchError::new(message)),
                (None, Some(document)) => Ok(document.into_bytes()),
                (None, None) => Err(FetchError::http_status(404, "HTTP 404 Not Found")),
            }
        })
    }
}
