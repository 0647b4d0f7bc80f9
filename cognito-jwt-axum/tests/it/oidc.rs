//! The same extractor, layer, readiness probe and answers with a
//! `JwtVerifier` (an OIDC issuer signing with ES256) as with Cognito.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::routing::get;
use cognito_jwt_axum::{CognitoClaims, CognitoLayer, Verifier};
use cognito_jwt_core::testing::TestCurveKey;
use cognito_jwt_core::{Algorithm, Issuer, JwtVerifier, StandardClaims};
use serde_json::json;

use crate::support::*;

const ISS: &str = "https://id.example.com/axum";
const AUD: &str = "orders-api";

fn token(key: &TestCurveKey, scope: &str, exp_in: i64) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_secs()
        .cast_signed();
    let header = json!({ "alg": "ES256", "kid": key.kid(), "typ": "JWT" });
    let claims =
        json!({ "iss": ISS, "sub": "user-9", "aud": AUD, "scope": scope, "exp": now + exp_in });
    key.sign_parts(&header.to_string(), &claims.to_string())
}

fn oidc_verifier(key: &TestCurveKey) -> JwtVerifier {
    let verifier = JwtVerifier::builder()
        .issuer(
            Issuer::new(ISS)
                .audience(AUD)
                .jwks_uri(format!("{ISS}/keys"))
                .algorithms([Algorithm::ES256]),
        )
        .build()
        .expect("a valid configuration");
    verifier
        .cache_jwks(ISS, &json!({ "keys": [key.jwk()] }).to_string())
        .expect("a usable key set");
    verifier
}

async fn me(CognitoClaims(claims): CognitoClaims<StandardClaims>) -> String {
    claims.sub.unwrap_or_default()
}

async fn home(user: Option<CognitoClaims<StandardClaims>>) -> &'static str {
    if user.is_some() {
        "your feed"
    } else {
        "public feed"
    }
}

#[tokio::test]
async fn the_extractor_and_readiness_take_a_jwt_verifier_from_the_state() {
    let key = TestCurveKey::es256("es-1");
    let app = Router::new()
        .route("/me", get(me))
        .route("/home", get(home))
        .route("/ready", get(cognito_jwt_axum::ready))
        .with_state(Verifier::from(oidc_verifier(&key)));

    let ok = send(&app, request("/me", &bearer(&token(&key, "", 600)))).await;
    assert_eq!((ok.status.as_u16(), ok.body.as_str()), (200, "user-9"));

    let expired = send(&app, request("/me", &bearer(&token(&key, "", -600)))).await;
    assert_eq!(expired.status, 401);
    assert_eq!(expired.bearer_error(), Some("invalid_token"));

    let other_key = TestCurveKey::es256("es-1");
    let forged = send(&app, request("/me", &bearer(&token(&other_key, "", 600)))).await;
    assert_eq!(forged.bearer_error(), Some("invalid_token"));

    let anonymous = send(&app, request("/home", &[])).await;
    assert_eq!(anonymous.body, "public feed");
    let missing = send(&app, request("/me", &[])).await;
    assert_eq!(missing.status, 401);
    assert_eq!(missing.challenge(), Some(r#"Bearer realm="api""#));

    let ready = send(&app, request("/ready", &[])).await;
    assert_eq!(ready.status, 200);
    assert_eq!(ready.json()["ready"], true);
}

#[tokio::test]
async fn the_layer_takes_a_jwt_verifier_with_the_same_answers() {
    let key = TestCurveKey::es256("es-1");
    let verifier = oidc_verifier(&key);
    let guard = CognitoLayer::new(verifier.clone())
        .claims::<StandardClaims>()
        .require_any_scope("orders:read");
    let app = Router::new()
        .route("/orders", get(me).layer(guard))
        .with_state(Verifier::from(verifier));

    let ok = send(
        &app,
        request("/orders", &bearer(&token(&key, "orders:read", 600))),
    )
    .await;
    assert_eq!((ok.status.as_u16(), ok.body.as_str()), (200, "user-9"));

    let no_scope = send(
        &app,
        request("/orders", &bearer(&token(&key, "profile", 600))),
    )
    .await;
    assert_eq!(no_scope.status, 403);
    assert_eq!(no_scope.bearer_error(), Some("insufficient_scope"));

    let malformed = send(&app, request("/orders", &[b"Bearer ".to_vec()])).await;
    assert_eq!(malformed.status, 400);
}
