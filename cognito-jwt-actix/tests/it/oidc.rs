//! The same extractors, middleware, readiness handler and answers with a
//! `JwtVerifier` (an OIDC issuer signing with ES256, its RFC 9068 access
//! tokens) as with Cognito.

use actix_web::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use actix_web::test::{self, TestRequest};
use actix_web::{App, web};
use cognito_jwt_actix::{CognitoAuth, CognitoClaims, OptionalCognitoClaims};
use cognito_jwt_core::testing::TestOidcIssuer;
use cognito_jwt_core::{Algorithm, StandardClaims};

const AUD: &str = "orders-api";

fn issuer() -> TestOidcIssuer {
    TestOidcIssuer::new("https://id.example.com/actix", Algorithm::ES256)
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
    let oidc = issuer();
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(oidc.verifier(AUD)))
            .route("/me", web::get().to(me))
            .route("/home", web::get().to(home))
            .route("/ready", web::get().to(cognito_jwt_actix::ready)),
    )
    .await;

    let token = oidc.access_token(AUD).claim("sub", "user-9").sign();
    let ok = test::call_service(&app, get("/me", Some(&token)).to_request()).await;
    assert_eq!(ok.status(), 200);
    assert_eq!(test::read_body(ok).await, "user-9");

    let token = oidc.access_token(AUD).expires_in(-600).sign();
    let expired = test::call_service(&app, get("/me", Some(&token)).to_request()).await;
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
    let oidc = issuer();
    let app = test::init_service(
        App::new().service(
            web::scope("/orders")
                .wrap(
                    CognitoAuth::new(oidc.verifier(AUD))
                        .claims::<StandardClaims>()
                        .require_any_scope("orders:read"),
                )
                .route("", web::get().to(me)),
        ),
    )
    .await;

    let token = oidc.access_token(AUD).claim("sub", "user-9");
    let token = token.scope("orders:read").sign();
    let ok = test::call_service(&app, get("/orders", Some(&token)).to_request()).await;
    assert_eq!(ok.status(), 200);
    assert_eq!(test::read_body(ok).await, "user-9");

    let token = oidc.access_token(AUD).scope("profile").sign();
    let no_scope = test::call_service(&app, get("/orders", Some(&token)).to_request()).await;
    assert_eq!(no_scope.status(), 403);
    let challenge = no_scope.headers().get(WWW_AUTHENTICATE).unwrap();
    assert!(challenge.to_str().unwrap().contains("insufficient_scope"));

    let missing = test::call_service(&app, get("/orders", None).to_request()).await;
    assert_eq!(missing.status(), 401);
}
