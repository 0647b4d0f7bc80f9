//! The same extractors, middleware, readiness handler and answers with a
//! `JwtVerifier` (an OIDC issuer signing with ES256) as with Cognito.

use std::time::{SystemTime, UNIX_EPOCH};

use actix_web::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use actix_web::test::{self, TestRequest};
use actix_web::{App, web};
use cognito_jwt_actix::{CognitoAuth, CognitoClaims, OptionalCognitoClaims};
use cognito_jwt_core::testing::TestCurveKey;
use cognito_jwt_core::{Algorithm, Issuer, JwtVerifier, StandardClaims};
use serde_json::json;

const ISS: &str = "https://id.example.com/actix";
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

async fn me(claims: CognitoClaims<StandardClaims>) -> String {
    claims.sub.clone().unwrap_or_default()
}

async fn home(OptionalCognitoClaims(user): OptionalCognitoClaims<StandardClaims>) -> &'static str {
    if user.is_some() {
        "your feed"
    } else {
        "public feed"
    }
}

fn get(uri: &str, token: Option<&str>) -> TestRequest {
    let request = TestRequest::get().uri(uri);
    match token {
        Some(token) => request.insert_header((AUTHORIZATION, format!("Bearer {token}"))),
        None => request,
    }
}

#[actix_web::test]
async fn the_extractors_and_readiness_use_a_jwt_verifier_from_app_data() {
    let key = TestCurveKey::es256("es-1");
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(oidc_verifier(&key)))
            .route("/me", web::get().to(me))
            .route("/home", web::get().to(home))
            .route("/ready", web::get().to(cognito_jwt_actix::ready)),
    )
    .await;

    let ok = test::call_service(&app, get("/me", Some(&token(&key, "", 600))).to_request()).await;
    assert_eq!(ok.status(), 200);
    assert_eq!(test::read_body(ok).await, "user-9");

    let expired =
        test::call_service(&app, get("/me", Some(&token(&key, "", -600))).to_request()).await;
    assert_eq!(expired.status(), 401);
    let challenge = expired.headers().get(WWW_AUTHENTICATE).unwrap();
    assert!(
        challenge
            .to_str()
            .unwrap()
            .contains(r#"error="invalid_token""#)
    );

    let anonymous = test::call_service(&app, get("/home", None).to_request()).await;
    assert_eq!(test::read_body(anonymous).await, "public feed");

    let ready = test::call_service(&app, get("/ready", None).to_request()).await;
    assert_eq!(ready.status(), 200);
}

#[actix_web::test]
async fn the_middleware_takes_a_jwt_verifier_with_the_same_answers() {
    let key = TestCurveKey::es256("es-1");
    let app = test::init_service(
        App::new().service(
            web::scope("/orders")
                .wrap(
                    CognitoAuth::new(oidc_verifier(&key))
                        .claims::<StandardClaims>()
                        .require_any_scope("orders:read"),
                )
                .route("", web::get().to(me)),
        ),
    )
    .await;

    let ok = test::call_service(
        &app,
        get("/orders", Some(&token(&key, "orders:read", 600))).to_request(),
    )
    .await;
    assert_eq!(ok.status(), 200);
    assert_eq!(test::read_body(ok).await, "user-9");

    let no_scope = test::call_service(
        &app,
        get("/orders", Some(&token(&key, "profile", 600))).to_request(),
    )
    .await;
    assert_eq!(no_scope.status(), 403);
    let challenge = no_scope.headers().get(WWW_AUTHENTICATE).unwrap();
    assert!(challenge.to_str().unwrap().contains("insufficient_scope"));

    let missing = test::call_service(&app, get("/orders", None).to_request()).await;
    assert_eq!(missing.status(), 401);
}
