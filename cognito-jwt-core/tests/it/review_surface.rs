//! Findings of the outside review about what the crate shows and accepts
//! at its edges: the readiness body, requirement names and `typ`.
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cognito_jwt_core::http::Readiness;
use cognito_jwt_core::testing::{ScriptedJwks, TestCurveKey, TestIssuer};
use cognito_jwt_core::{
    AccessTokenClaims, Algorithm, CognitoJwtVerifier, ErrorKind, Issuer, IssuerResolver,
    JwtVerifier, StandardClaims, TokenUse,
};
use serde_json::{Value, json};

const CLIENT: &str = "review-client";
const AUD: &str = "orders-api";
/// Fetch error text as an internal endpoint might word it.
const INTERNAL_ERROR: &str = "connect to jwks.internal.corp:8443 as svc:hunter2 refused";

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_secs()
}

fn tenant(n: usize) -> String {
    format!("https://id.example.com/tenant-{n}")
}

fn es256_token(key: &TestCurveKey, iss: &str) -> String {
    let header = json!({ "alg": "ES256", "kid": key.kid(), "typ": "JWT" });
    let claims = json!({ "iss": iss, "sub": "user-1", "aud": AUD, "exp": now() + 600 });
    key.sign_parts(&header.to_string(), &claims.to_string())
}

fn tenant_issuer(iss: &str) -> Issuer {
    Issuer::new(iss)
        .audience(AUD)
        .jwks_uri(format!("{iss}/keys"))
        .algorithms([Algorithm::ES256])
}

/// Neither a URL, a host, a tenant nor any error text.
fn assert_discloses_nothing(body: &str) {
    for secret in [
        "://",
        "example.com",
        "tenant",
        "jwks",
        "internal",
        "hunter2",
        "refused",
    ] {
        assert!(!body.contains(secret), "{secret:?} in {body}");
    }
}

#[tokio::test(start_paused = true)]
async fn ready_body_of_configured_key_sets_names_them_without_urls_or_errors() {
    let issuer = TestIssuer::new("eu-west-1_Review7");
    let jwks = ScriptedJwks::default();
    jwks.fail(INTERNAL_ERROR);
    let verifier = CognitoJwtVerifier::builder()
        .user_pool(issuer.user_pool(CLIENT, TokenUse::Access))
        .fetcher(jwks.clone())
        .build()
        .unwrap();
    let token = issuer.access_token(CLIENT).sign();

    let answer = Readiness::of(&verifier);
    assert_eq!(
        answer.body_json(),
        r#"{"ready":false,"key_sets":[{"name":"eu-west-1_Review7","state":"never_fetched","age_secs":null}]}"#
    );

    let err = verifier
        .verify::<AccessTokenClaims>(&token)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::JwksUnavailable);
    let answer = Readiness::of(&verifier);
    assert_eq!(answer.status(), 503);
    assert_eq!(
        answer.body_json(),
        r#"{"ready":false,"key_sets":[{"name":"eu-west-1_Review7","state":"unavailable","age_secs":null}]}"#
    );
    assert_discloses_nothing(&answer.body_json());
    // The operator's own view keeps the detail.
    assert!(verifier.health().to_json().contains(INTERNAL_ERROR));

    jwks.serve(issuer.jwks_json());
    tokio::time::sleep(Duration::from_secs(2)).await;
    let _: AccessTokenClaims = verifier.verify(&token).await.unwrap();
    tokio::time::sleep(Duration::from_secs(40)).await;
    let answer = Readiness::of(&verifier);
    assert_eq!(answer.status(), 200);
    assert_eq!(
        answer.body_json(),
        r#"{"ready":true,"key_sets":[{"name":"eu-west-1_Review7","state":"fresh","age_secs":40}]}"#
    );
}

#[tokio::test]
async fn ready_body_of_oidc_issuers_names_them_by_position() {
    let key = TestCurveKey::es256("k1");
    let jwks = ScriptedJwks::default();
    jwks.fail(INTERNAL_ERROR);
    let verifier = JwtVerifier::builder()
        .issuer(tenant_issuer(&tenant(1)))
        .issuer(tenant_issuer(&tenant(2)))
        .fetcher(jwks)
        .build()
        .unwrap();
    let _ = verifier
        .verify::<Value>(&es256_token(&key, &tenant(1)))
        .await;
    let body = Readiness::of(&verifier).body_json();
    assert_eq!(
        body,
        concat!(
            r#"{"ready":false,"key_sets":["#,
            r#"{"name":"issuer[0]","state":"unavailable","age_secs":null},"#,
            r#"{"name":"issuer[1]","state":"never_fetched","age_secs":null}]}"#
        )
    );
    assert_discloses_nothing(&body);
}

#[tokio::test]
async fn ready_body_of_a_resolver_counts_issuers_and_lists_none() {
    let key = TestCurveKey::es256("k1");
    let jwks = ScriptedJwks::serving(json!({ "keys": [key.jwk()] }).to_string());
    let resolver = IssuerResolver::from_fn(|iss| {
        (0..100)
            .map(tenant)
            .find(|t| t == iss)
            .map(|t| tenant_issuer(&t).into())
    });
    let verifier = JwtVerifier::builder()
        .issuer_resolver(resolver)
        .max_issuers(1000)
        .fetcher(jwks.clone())
        .build()
        .unwrap();
    assert_eq!(
        Readiness::of(&verifier).body_json(),
        r#"{"ready":true,"issuers":{"resolved":0,"usable":0,"unavailable":0}}"#
    );

    for n in 0..40 {
        let _: StandardClaims = verifier
            .verify(&es256_token(&key, &tenant(n)))
            .await
            .unwrap();
    }
    jwks.fail(INTERNAL_ERROR);
    let err = verifier
        .verify::<Value>(&es256_token(&key, &tenant(40)))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::JwksUnavailable);

    let answer = Readiness::of(&verifier);
    assert_eq!(
        answer.status(),
        200,
        "one tenant's outage is not the service's"
    );
    let body = answer.body_json();
    assert_eq!(
        body,
        r#"{"ready":true,"issuers":{"resolved":41,"usable":40,"unavailable":1}}"#
    );
    assert_discloses_nothing(&body);
    assert_eq!(
        verifier.health().key_sets.len(),
        41,
        "health() keeps the detail"
    );
}
