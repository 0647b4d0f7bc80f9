//! The DPoP (RFC 9449) cases every adapter answers identically: a
//! verifier, the requests (method, target, `Authorization` and `DPoP`
//! headers) and the answers, in the order they must be sent (a replayed
//! proof follows the request that used it).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cognito_jwt_core::testing::{DpopKey, TestOidcIssuer, dpop_nonce};
use cognito_jwt_core::{Algorithm, Dpop, JwtVerifier};

/// The origin clients reach the test service at.
pub const DPOP_ORIGIN: &str = "https://api.example.com";
/// The path the cases are sent to: adapters serve it (any method) behind
/// authentication with the default realm.
pub const DPOP_PATH: &str = "/api/dpop";
/// The audience of the cases' tokens.
const AUDIENCE: &str = "dpop-api";
/// The nonce secret of [`DpopSuite::nonces`].
pub const NONCE_SECRET: &[u8] = b"a nonce secret of at least 32 bytes, for tests";
/// The nonce window of [`DpopSuite::nonces`].
pub const NONCE_WINDOW: Duration = Duration::from_secs(300);
/// The `algs` of every DPoP challenge (the default algorithms).
const ALGS: &str = r#"algs="RS256 PS256 ES256 EdDSA""#;

/// One request of a DPoP suite and its answer.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct DpopCase {
    /// What the case is about.
    pub name: &'static str,
    /// The request method.
    pub method: &'static str,
    /// The request target (path and query).
    pub target: String,
    /// `Authorization` header values, each a separate header.
    pub authorization: Vec<Vec<u8>>,
    /// `DPoP` header values, each a separate header.
    pub dpop: Vec<Vec<u8>>,
    /// The expected status.
    pub status: u16,
    /// The expected `WWW-Authenticate` value, exactly; `None` on success.
    pub www_authenticate: Option<String>,
    /// Whether a `DPoP-Nonce` header must come back.
    pub dpop_nonce: bool,
}

/// A verifier and the cases to send, in order, to a service built on it.
#[derive(Debug)]
#[non_exhaustive]
pub struct DpopSuite {
    /// The verifier to serve [`DPOP_PATH`] with.
    pub verifier: JwtVerifier,
    /// The requests and answers, in order.
    pub cases: Vec<DpopCase>,
}

fn dpop_challenge(error: &str, description: &str) -> String {
    format!(
        r#"DPoP realm="api", {ALGS}, error="{error}", error_description="{description}", Bearer realm="api""#
    )
}

fn bearer_challenge(error: &str, description: &str) -> String {
    format!(
        r#"Bearer realm="api", error="{error}", error_description="{description}", DPoP realm="api", {ALGS}"#
    )
}

fn dpop_scheme(token: &str) -> Vec<Vec<u8>> {
    vec![format!("DPoP {token}").into_bytes()]
}

fn url(path: &str) -> String {
    format!("{DPOP_ORIGIN}{path}")
}

#[allow(clippy::expect_used)]
fn verifier(issuer: &TestOidcIssuer, dpop: Dpop) -> JwtVerifier {
    issuer.verifier_from(
        issuer
            .verifier_builder(issuer.issuer_config(AUDIENCE))
            .dpop(dpop),
    )
}

impl DpopSuite {
    /// Every check of a proof and of a token's binding, each with the
    /// request that must fail it, and the requests that must pass.
    pub fn checks() -> Self {
        let issuer = TestOidcIssuer::new("https://issuer.example.com", Algorithm::RS256);
        let key = DpopKey::generate(Algorithm::ES256);
        let other = DpopKey::generate(Algorithm::ES256);
        let es384 = DpopKey::generate(Algorithm::ES384);
        let bound = issuer.access_token(AUDIENCE).bound_to(&key).sign();
        let unbound = issuer.access_token(AUDIENCE).sign();
        let here = url(DPOP_PATH);
        let proof = || key.proof("GET", &here).access_token(&bound);
        let ok = |name, authorization, dpop: Vec<Vec<u8>>| DpopCase {
            name,
            method: "GET",
            target: DPOP_PATH.to_owned(),
            authorization,
            dpop,
            status: 200,
            www_authenticate: None,
            dpop_nonce: false,
        };
        let invalid_proof = |name, proof: String| DpopCase {
            dpop: vec![proof.into_bytes()],
            status: 401,
            www_authenticate: Some(dpop_challenge(
                "invalid_dpop_proof",
                "the DPoP proof is invalid",
            )),
            ..ok(name, dpop_scheme(&bound), vec![])
        };
        let used = proof().sign();
        let jwk_text = key.public_jwk().to_string();
        let cases = vec![
            ok(
                "a bound token with a good proof",
                dpop_scheme(&bound),
                vec![used.clone().into_bytes()],
            ),
            DpopCase {
                www_authenticate: Some(dpop_challenge(
                    "invalid_dpop_proof",
                    "the DPoP proof was used before",
                )),
                ..invalid_proof("the same proof again (replayed jti)", used)
            },
            DpopCase {
                target: format!("{DPOP_PATH}?page=2"),
                ..ok(
                    "the query is not part of htu",
                    dpop_scheme(&bound),
                    vec![proof().sign().into_bytes()],
                )
            },
            invalid_proof(
                "htm of another method",
                key.proof("POST", &here).access_token(&bound).sign(),
            ),
            invalid_proof(
                "htu of another path",
                key.proof("GET", &url("/api/other"))
                    .access_token(&bound)
                    .sign(),
            ),
            invalid_proof(
                "htu of another origin",
                key.proof("GET", &format!("https://evil.example.com{DPOP_PATH}"))
                    .access_token(&bound)
                    .sign(),
            ),
            invalid_proof("iat five minutes old", proof().issued_in(-300).sign()),
            invalid_proof("iat five minutes ahead", proof().issued_in(300).sign()),
            invalid_proof(
                "ath of another token",
                proof().access_token(&unbound).sign(),
            ),
            invalid_proof("no ath", proof().without("ath").sign()),
            invalid_proof("no jti", proof().without("jti").sign()),
            invalid_proof(
                "a private key in jwk",
                proof().with_private_key_in_jwk().sign(),
            ),
            invalid_proof(
                "alg ES384, not accepted",
                es384.proof("GET", &here).access_token(&bound).sign(),
            ),
            invalid_proof("alg none", proof().unsigned()),
            invalid_proof(
                "HMAC keyed with the public jwk",
                proof().sign_hs256(jwk_text.as_bytes()),
            ),
            invalid_proof(
                "signed by another key than its jwk",
                proof().sign_with(&other),
            ),
            invalid_proof("typ JWT", proof().header("typ", "JWT").sign()),
            invalid_proof("no jwk", proof().without_header("jwk").sign()),
            DpopCase {
                dpop: vec![proof().sign().into_bytes(), proof().sign().into_bytes()],
                www_authenticate: Some(dpop_challenge(
                    "invalid_dpop_proof",
                    "the DPoP proof is invalid",
                )),
                ..invalid_proof("two DPoP headers", String::new())
            },
            DpopCase {
                dpop: vec![],
                ..invalid_proof("the DPoP scheme without a DPoP header", String::new())
            },
            DpopCase {
                www_authenticate: Some(dpop_challenge(
                    "invalid_token",
                    "the token is not bound to the DPoP proof's key",
                )),
                ..invalid_proof(
                    "a token bound to another key (thumbprint mismatch)",
                    other.proof("GET", &here).access_token(&bound).sign(),
                )
            },
            DpopCase {
                authorization: dpop_scheme(&unbound),
                www_authenticate: Some(dpop_challenge(
                    "invalid_token",
                    "the token is not bound to the DPoP proof's key",
                )),
                ..invalid_proof(
                    "an unbound token with a proof",
                    key.proof("GET", &here).access_token(&unbound).sign(),
                )
            },
            DpopCase {
                authorization: crate::bearer(&bound),
                dpop: vec![],
                status: 401,
                www_authenticate: Some(bearer_challenge(
                    "invalid_token",
                    "the token must be sent with the DPoP scheme and a proof",
                )),
                ..ok("a bound token as a bearer token", vec![], vec![])
            },
            ok(
                "an unbound token as a bearer token",
                crate::bearer(&unbound),
                vec![],
            ),
            DpopCase {
                status: 401,
                www_authenticate: Some(format!(r#"Bearer realm="api", DPoP realm="api", {ALGS}"#)),
                ..ok("no credentials", vec![], vec![])
            },
        ];
        Self {
            verifier: verifier(&issuer, Dpop::new(DPOP_ORIGIN)),
            cases,
        }
    }

    /// Server nonces: a proof without one, with a stale one, and with the
    /// current one.
    pub fn nonces() -> Self {
        let issuer = TestOidcIssuer::new("https://issuer.example.com", Algorithm::EdDSA);
        let key = DpopKey::generate(Algorithm::EdDSA);
        let bound = issuer.access_token(AUDIENCE).bound_to(&key).sign();
        let here = url(DPOP_PATH);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let nonce_at = |at: u64| dpop_nonce(NONCE_SECRET, NONCE_WINDOW, at).unwrap_or_default();
        let stale = nonce_at(now.saturating_sub(3 * NONCE_WINDOW.as_secs()));
        let use_nonce = |name, proof: String| DpopCase {
            name,
            method: "GET",
            target: DPOP_PATH.to_owned(),
            authorization: dpop_scheme(&bound),
            dpop: vec![proof.into_bytes()],
            status: 401,
            www_authenticate: Some(dpop_challenge(
                "use_dpop_nonce",
                "the DPoP proof must carry the server's nonce",
            )),
            dpop_nonce: true,
        };
        let proof = || key.proof("GET", &here).access_token(&bound);
        let cases = vec![
            use_nonce("a proof without a nonce", proof().sign()),
            use_nonce("a proof with a stale nonce", proof().nonce(&stale).sign()),
            DpopCase {
                status: 200,
                www_authenticate: None,
                dpop_nonce: false,
                ..use_nonce(
                    "a proof with the current nonce",
                    proof().nonce(&nonce_at(now)).sign(),
                )
            },
        ];
        Self {
            verifier: verifier(
                &issuer,
                Dpop::new(DPOP_ORIGIN).nonces(NONCE_SECRET, NONCE_WINDOW),
            ),
            cases,
        }
    }

    /// Every suite.
    pub fn all() -> Vec<Self> {
        vec![Self::checks(), Self::nonces()]
    }
}
