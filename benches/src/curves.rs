//! ES256 and EdDSA tokens of a generic OpenID Connect issuer, each with its
//! own floor: the bare aws-lc-rs signature check with a parsed key.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED, ED25519, ParsedPublicKey, VerificationAlgorithm,
};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cognito_jwt_core::testing::TestCurveKey;
use cognito_jwt_core::{Algorithm, Issuer, JwtVerifier, StandardClaims};
use serde_json::json;

/// The issuer of the curve tokens.
const ISSUER: &str = "https://login.example.com/bench";

/// One algorithm's token, verifier (keys cached) and floor.
pub struct CurveCase {
    token: String,
    verifier: JwtVerifier,
    floor: ParsedKeyFloor,
}

/// A floor: one token's signature checked by aws-lc-rs alone, with a key
/// parsed beforehand and the signature decoded beforehand.
pub(crate) struct ParsedKeyFloor {
    key: ParsedPublicKey,
    signature: Vec<u8>,
}

impl ParsedKeyFloor {
    /// # Panics
    /// When aws-lc-rs refuses the public key.
    #[allow(clippy::expect_used)]
    pub(crate) fn new(
        algorithm: &'static dyn VerificationAlgorithm,
        public_key: &[u8],
        signature: Vec<u8>,
    ) -> Self {
        Self {
            key: ParsedPublicKey::new(algorithm, public_key).expect("the key parses"),
            signature,
        }
    }

    /// Check the signature over `token`'s signing input (everything
    /// before its last dot).
    pub(crate) fn verify(&self, token: &str) -> bool {
        let end = token.rfind('.').unwrap_or(0);
        self.key
            .verify_sig(&token.as_bytes()[..end], &self.signature)
            .is_ok()
    }
}

impl fmt::Debug for CurveCase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CurveCase")
            .field("token_len", &self.token.len())
            .finish_non_exhaustive()
    }
}

impl CurveCase {
    /// ES256 (P-256).
    pub fn es256() -> Self {
        Self::new(TestCurveKey::es256("bench-es256"))
    }

    /// EdDSA (Ed25519).
    pub fn eddsa() -> Self {
        Self::new(TestCurveKey::ed25519("bench-eddsa"))
    }

    /// # Panics
    /// When the token is refused or the floor fails: timing the wrong path
    /// would be worse than no figure.
    #[allow(clippy::expect_used)]
    fn new(key: TestCurveKey) -> Self {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("a clock after 1970")
            .as_secs();
        let header = json!({ "alg": key.algorithm().to_string(), "kid": key.kid(), "typ": "JWT" });
        let claims = json!({
            "iss": ISSUER,
            "sub": "auth0|5f7c8ec7c33c6c004bbafe82",
            "aud": ["orders-api", "https://login.example.com/userinfo"],
            "azp": "4b1jcf0c7ebqa9hp3e5kd2mv8n",
            "client_id": "4b1jcf0c7ebqa9hp3e5kd2mv8n",
            "exp": now + 24 * 3600,
            "iat": now,
            "jti": "0b5fd3c4-6a3e-4f7e-9a49-2f9c1c0e8d21",
            "scope": "openid profile email orders:read orders:write",
        });
        let token = key.sign_parts(&header.to_string(), &claims.to_string());
        let verifier = JwtVerifier::builder()
            .issuer(
                Issuer::new(ISSUER)
                    .audience("orders-api")
                    .jwks_uri(format!("{ISSUER}/keys"))
                    .algorithms([key.algorithm()]),
            )
            .build()
            .expect("verifier configuration");
        verifier
            .cache_jwks(ISSUER, &json!({ "keys": [key.jwk()] }).to_string())
            .expect("key set");
        let backend: &'static dyn VerificationAlgorithm = match key.algorithm() {
            Algorithm::ES256 => &ECDSA_P256_SHA256_FIXED,
            _ => &ED25519,
        };
        let signature = token
            .rsplit_once('.')
            .map(|(_, s)| URL_SAFE_NO_PAD.decode(s).expect("signature base64"))
            .expect("a signature segment");
        let case = Self {
            floor: ParsedKeyFloor::new(backend, &key.public_key(), signature),
            token,
            verifier,
        };
        assert!(case.floor(), "floor: the signature must verify");
        if let Err(e) = case.verifier.verify_sync::<StandardClaims>(&case.token) {
            panic!("valid {} token refused: {:?}", key.algorithm(), e.kind());
        }
        case
    }

    /// The floor: the signature check alone, with a key parsed beforehand.
    pub fn floor(&self) -> bool {
        self.floor.verify(&self.token)
    }

    /// The whole verification on cached keys, into [`StandardClaims`].
    pub fn verify_cached(&self) -> bool {
        self.verifier
            .verify_sync::<StandardClaims>(&self.token)
            .is_ok()
    }
}
