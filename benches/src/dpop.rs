//! A DPoP-bound verification (RFC 9449): the Cognito-sized access token,
//! bound to an ES256 client key, sent with a proof; its floor is the sum of
//! the two signature checks (the token's RS256, the proof's ES256), each
//! with a key parsed and a signature decoded beforehand.
//!
//! Every verification needs a proof it has not seen (the replay store
//! refuses the others), so the proofs are minted beforehand, on first
//! use, and each operation takes the next one: [`PROOFS`] of them, enough
//! for the `instructions` binary's warm-up and two batches of each case.

use std::fmt;
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED, ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cognito_jwt_core::testing::{DpopKey, TestIssuer, TokenBuilder};
use cognito_jwt_core::{
    AccessTokenClaims, Algorithm, CognitoJwtVerifier, Dpop, DpopRequest, ReplayStore, Requirements,
    TokenUse,
};
use serde_json::json;

use crate::{CLIENT_ID, POOL_ID};

/// Proofs minted for the DPoP cases, each used once.
pub const PROOFS: usize = 6_000;
const ORIGIN: &str = "https://api.example.com";
const URL: &str = "https://api.example.com/orders";

/// The bound token, its verifiers (without and with the token cache), the
/// proofs and the floor's parsed keys.
pub struct DpopCase {
    token: String,
    verifier: CognitoJwtVerifier,
    caching_verifier: CognitoJwtVerifier,
    proofs: Vec<String>,
    next: AtomicUsize,
    token_key: ParsedPublicKey,
    token_signature: Vec<u8>,
    proof_key: ParsedPublicKey,
    proof_signature: Vec<u8>,
}

impl fmt::Debug for DpopCase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DpopCase")
            .field("token_len", &self.token.len())
            .field("proofs", &self.proofs.len())
            .finish_non_exhaustive()
    }
}

fn signature_of(jws: &str) -> Vec<u8> {
    jws.rsplit_once('.')
        .and_then(|(_, s)| URL_SAFE_NO_PAD.decode(s).ok())
        .unwrap_or_default()
}

/// Poll `future` once: with cached keys, a verification never waits.
fn ready<T>(future: impl Future<Output = T>) -> Option<T> {
    match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(value) => Some(value),
        Poll::Pending => None,
    }
}

impl DpopCase {
    /// The case for `issuer`'s access tokens (`token` is one of them, to
    /// be bound to a new key).
    ///
    /// # Panics
    /// When a verifier cannot be built, or the first proof is refused:
    /// counting the wrong path would be worse than no figure.
    #[allow(clippy::expect_used)]
    pub fn new(issuer: &TestIssuer, token: TokenBuilder<'_>) -> Self {
        let key = DpopKey::generate(Algorithm::ES256);
        let token = token
            .claim("cnf", json!({ "jkt": key.thumbprint() }))
            .sign();
        let build = |cache: bool| {
            let mut builder = CognitoJwtVerifier::builder()
                .user_pool(issuer.user_pool(CLIENT_ID, TokenUse::Access))
                .dpop(
                    Dpop::new(ORIGIN)
                        .iat_window(Duration::from_secs(300))
                        .replay_store(ReplayStore::new(4 * PROOFS)),
                );
            if cache {
                builder = builder.token_cache_max_bytes(4 * 1024 * 1024);
            }
            let verifier = builder.build().expect("verifier configuration");
            verifier
                .cache_jwks(POOL_ID, &issuer.jwks_json())
                .expect("key set");
            verifier
        };
        let proofs: Vec<String> = (0..PROOFS)
            .map(|_| key.proof("GET", URL).access_token(&token).sign())
            .collect();
        let jwk = key.public_jwk();
        let coordinate = |name: &str| {
            URL_SAFE_NO_PAD
                .decode(jwk[name].as_str().unwrap_or_default())
                .expect("a coordinate")
        };
        let point = [vec![4], coordinate("x"), coordinate("y")].concat();
        let case = Self {
            token_key: ParsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, issuer.key().public_der())
                .expect("the issuer's key parses"),
            token_signature: signature_of(&token),
            proof_key: ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point)
                .expect("the proof key parses"),
            proof_signature: signature_of(&proofs[0]),
            verifier: build(false),
            caching_verifier: build(true),
            token,
            proofs,
            next: AtomicUsize::new(1),
        };
        assert!(case.floor(), "floor: both signatures must verify");
        case
    }

    /// The floor: the token's and a proof's signature checks alone.
    pub fn floor(&self) -> bool {
        fn input(jws: &str) -> &[u8] {
            jws.rfind('.')
                .map_or(&b""[..], |end| &jws.as_bytes()[..end])
        }
        self.token_key
            .verify_sig(input(&self.token), &self.token_signature)
            .is_ok()
            && self
                .proof_key
                .verify_sig(input(&self.proofs[0]), &self.proof_signature)
                .is_ok()
    }

    fn verify_with(&self, verifier: &CognitoJwtVerifier) -> bool {
        let Some(proof) = self.proofs.get(self.next.fetch_add(1, Ordering::Relaxed)) else {
            return false;
        };
        let request = DpopRequest::new(proof, "GET", URL);
        ready(verifier.verify_dpop_with::<AccessTokenClaims>(
            &self.token,
            &Requirements::new(),
            &request,
        ))
        .is_some_and(|result| result.is_ok())
    }

    /// The whole DPoP-bound verification on cached keys: the token, the
    /// next proof, the binding and the replay store.
    pub fn verify(&self) -> bool {
        self.verify_with(&self.verifier)
    }

    /// The same with the token cache: a hit skips the token's signature,
    /// never the proof's.
    pub fn verify_cache_hit(&self) -> bool {
        self.verify_with(&self.caching_verifier)
    }
}
