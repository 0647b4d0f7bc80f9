//! The same extractor, layer, readiness probe and answers with a
//! `JwtVerifier` (an OIDC issuer signing with ES256, its RFC 9068 access
//! tokens) as with Cognito.

use axum::Router;
use axum::routing::get;
use cognito_jwt_axum::{CognitoClaims, CognitoLayer, Verifier};
use cognito_jwt_core::testing::{TestOidcIssuer, TestSigningKey};
use cognito_jwt_core::{Algorithm, StandardClaims};

use crate::support::*;

const AUD: &str = "orders-api";

fn issuer() -> TestOidcIssuer {
    TestOidcIssuer::new("https://id.example.com/axum", Algorithm::ES256)
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
    let oidc = issuer();
    let app = Router::new()
        .route("/me", get(me))
        .route("/home", get(home))
        .route("/ready", get(cognito_jwt_axum::ready))
        .with_state(oidc.verifier(AUD));

    let token = oidc.access_token(AUD).claim("sub", "user-9").sign();
    let ok = send(&app, request("/me", &bearer(&token))).await;
    assert_eq!((ok.status.as_u16(), ok.body.as_str()), (200, "user-9"));

    let token = oidc.access_token(AUD).expires_in(-600).sign();
    let expired = send(&app, request("/me", &bearer(&token))).await;
    assert_eq!(expired.status, 401);
    assert_eq!(expired.bearer_error(), Some("invalid_token"));

    let other_key = TestSigningKey::generate(oidc.key().kid(), Algorithm::ES256);
    let token = oidc.access_token(AUD).sign_with(&other_key);
    let forged = send(&app, request("/me", &bearer(&token))).await;
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
    let oidc = issuer();
    let verifier = oidc.verifier(AUD);
    let guard = CognitoLayer::new(verifier.clone())
        .claims::<StandardClaims>()
        .require_any_scope("orders:read");
    let app = Router::new()
        .route("/orders", get(me).layer(guard))
        .with_state(Verifier::from(verifier));

    let token = oidc.access_token(AUD).claim("sub", "user-9");
    let token = token.scope("orders:read").sign();
    let ok = send(&app, request("/orders", &bearer(&token))).await;
    assert_eq!((ok.status.as_u16(), ok.body.as_str()), (200, "user-9"));

    let token = oidc.access_token(AUD).scope("profile").sign();
    let no_scope = send(&app, request("/orders", &bearer(&token))).await;
    assert_eq!(no_scope.status, 403);
    assert_eq!(no_scope.bearer_error(), Some("insufficient_scope"));

    let malformed = send(&app, request("/orders", &[b"Bearer ".to_vec()])).await;
    assert_eq!(malformed.status, 400);
}
