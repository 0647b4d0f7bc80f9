//! An Application Load Balancer's `x-amzn-oidc-data` token, its
//! [`AlbJwtVerifier`] with the key cached, and its floor.

use std::fmt;

use aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE;
use cognito_jwt_core::testing::TestAlb;
use cognito_jwt_core::{AlbClaims, AlbJwtVerifier};

use crate::curves::ParsedKeyFloor;

/// A token as a load balancer signs it (ES256, `R ‖ S` signature, every
/// segment padded base64url) for a Cognito user, the verifier of
/// `cognito_jwt_core::testing::TestAlb` with that key cached, and the
/// floor: aws-lc-rs ECDSA P-256 (fixed-size signature) verification of the
/// token's signing input, padded segments included, key parsed once.
pub struct AlbCase {
    token: String,
    verifier: AlbJwtVerifier,
    floor: ParsedKeyFloor,
}

impl fmt::Debug for AlbCase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AlbCase")
            .field("token_len", &self.token.len())
            .finish_non_exhaustive()
    }
}

impl Default for AlbCase {
    fn default() -> Self {
        Self::new()
    }
}

impl AlbCase {
    /// A load balancer in eu-west-1 with a fresh key, a token valid for a
    /// day (a real one is valid for minutes; the verifier does not care,
    /// and a long benchmark run must not see it expire), and its key
    /// fetched once from the load balancer's local key server (no
    /// network).
    ///
    /// # Panics
    /// When the token is refused or the floor fails: timing the wrong path
    /// would be worse than no figure.
    #[allow(clippy::expect_used)]
    pub fn new() -> Self {
        let alb = TestAlb::new("eu-west-1");
        let token = alb.data().expires_in(24 * 3600).sign();
        let verifier = alb.verifier();
        // `verify_sync` only reads cached keys and a load balancer's key is
        // fetched by kid on first use, so verify once with `verify`: on a
        // thread and runtime of its own, which works whether or not the
        // caller is already inside a Tokio runtime.
        std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .expect("tokio runtime");
                    if let Err(e) = runtime.block_on(verifier.verify::<AlbClaims>(&token)) {
                        panic!("the first ALB verification failed: {:?}", e.kind());
                    }
                })
                .join()
                .expect("the key-fetching thread");
        });
        let signature = token
            .rsplit_once('.')
            .map(|(_, s)| URL_SAFE.decode(s).expect("signature base64"))
            .expect("a signature segment");
        let case = Self {
            floor: ParsedKeyFloor::new(
                &ECDSA_P256_SHA256_FIXED,
                &alb.key().public_key(),
                signature,
            ),
            token,
            verifier,
        };
        assert!(case.floor(), "ALB floor: the signature must verify");
        if let Err(e) = case.verifier.verify_sync::<AlbClaims>(&case.token) {
            panic!("valid ALB token refused: {:?}", e.kind());
        }
        case
    }

    /// The `x-amzn-oidc-data` value.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The floor: the signature check alone, with a key parsed beforehand.
    pub fn floor(&self) -> bool {
        self.floor.verify(&self.token)
    }

    /// `AlbJwtVerifier::verify_sync` into [`AlbClaims`], key cached.
    pub fn verify_cached(&self) -> bool {
        self.verifier.verify_sync::<AlbClaims>(&self.token).is_ok()
    }
}
