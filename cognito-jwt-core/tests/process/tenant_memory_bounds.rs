//! Memory stays bounded for a many-tenant verifier: live heap bytes,
//! counted by a wrapping global allocator, do not grow with the number of
//! refused issuers seen, nor with allowed issuers coming and going.
//!
//! The allocator counts every allocation of the process: the test holds
//! the process lock (`crate::alone`) so that nothing runs beside it.
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cognito_jwt_core::testing::{ScriptedJwks, TestCurveKey};
use cognito_jwt_core::{Algorithm, ErrorKind, Issuer, IssuerResolver, JwtVerifier, StandardClaims};
use serde_json::json;

/// Live heap bytes now.
fn live() -> usize {
    crate::ALLOCATOR.allocated()
}

fn token(key: &TestCurveKey, iss: &str) -> String {
    let exp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_secs()
        + 600;
    let header = json!({ "alg": "ES256", "kid": key.kid() });
    let claims = json!({ "iss": iss, "sub": "u", "aud": "api", "exp": exp });
    key.sign_parts(&header.to_string(), &claims.to_string())
}

#[tokio::test(flavor = "current_thread")]
async fn floods_of_refused_and_churning_issuers_leave_no_growing_state() {
    let _alone = crate::alone().await;
    let key = TestCurveKey::es256("k1");
    let resolver = IssuerResolver::from_fn(|iss| {
        iss.starts_with("https://allowed.example.com/").then(|| {
            Issuer::new(iss)
                .audience("api")
                .jwks_uri(format!("{iss}/keys"))
                .algorithms([Algorithm::ES256])
                .into()
        })
    });
    let verifier = JwtVerifier::builder()
        .issuer_resolver(resolver)
        .max_issuers(4)
        .refused_issuers(256, Duration::from_secs(600))
        .fetcher(ScriptedJwks::serving(
            json!({ "keys": [key.jwk()] }).to_string(),
        ))
        .build()
        .unwrap();

    let refused = |from: usize, count: usize| {
        let (verifier, key) = (&verifier, &key);
        async move {
            for n in from..from + count {
                let forged = token(key, &format!("https://evil.example.com/{n}"));
                let err = verifier
                    .verify::<StandardClaims>(&forged)
                    .await
                    .unwrap_err();
                assert_eq!(err.kind(), ErrorKind::InvalidIssuer);
            }
        }
    };
    refused(0, 1_000).await;
    let before = live();
    refused(1_000, 10_000).await;
    let grown = live().saturating_sub(before);
    assert!(
        grown < 64 * 1024,
        "10,000 refused issuers left {grown} live bytes behind"
    );

    // Allowed issuers coming and going: at most 4 engines (and their
    // refresh tasks) live at any time.
    let churn = |from: usize, count: usize| {
        let (verifier, key) = (&verifier, &key);
        async move {
            for n in from..from + count {
                let good = token(key, &format!("https://allowed.example.com/{n}"));
                verifier
                    .verify::<StandardClaims>(&good)
                    .await
                    .expect("an allowed issuer's token");
            }
        }
    };
    churn(0, 100).await;
    let before = live();
    churn(100, 1_000).await;
    let grown = live().saturating_sub(before);
    assert!(
        grown < 128 * 1024,
        "1,000 resolved and evicted issuers left {grown} live bytes behind"
    );
    assert!(verifier.health().key_sets.len() <= 4);
}
