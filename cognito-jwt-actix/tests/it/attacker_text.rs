//! SECURITY-CASES 33 and 38 beyond the shared table: the scheme word in any
//! case, and attacker-chosen text in the `Authorization` header or in a
//! token's header and claims never comes back in an answer.

use std::sync::LazyLock;

use actix_web::http::header::{AUTHORIZATION, HeaderValue, WWW_AUTHENTICATE};
use actix_web::test::{self, TestRequest};
use actix_web::{App, web};
use cognito_jwt_actix::{CognitoAuth, CognitoClaims};
use cognito_jwt_core::AccessTokenClaims;
use cognito_jwt_core::testing::TestIssuer;
use cognito_jwt_test_support::{
    PLANTED, attacker_cases, secrets_of, serving_verifier, unavailable_verifier,
};

const CLIENT: &str = "actix-extra-client";
const GROUP: &str = "admins";

static ISSUER: LazyLock<TestIssuer> = LazyLock::new(|| TestIssuer::new("eu-west-1_ActixExtra"));

async fn admin_only(claims: CognitoClaims<AccessTokenClaims>) -> &'static str {
    assert!(claims.in_group(GROUP));
    "ok"
}

async fn plain() -> &'static str {
    "ok"
}

fn request(uri: &str, authorization: &[Vec<u8>]) -> TestRequest {
    authorization
        .iter()
        .fold(TestRequest::get().uri(uri), |request, value| {
            request.append_header((
                AUTHORIZATION,
                HeaderValue::from_bytes(value).expect("a header value"),
            ))
        })
}

#[actix_web::test]
async fn attacker_text_is_never_echoed_in_answers() {
    let serving = serving_verifier(&ISSUER, CLIENT, GROUP);
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(serving.clone()))
            .route("/extractor", web::get().to(admin_only))
            .service(
                web::scope("/middleware")
                    .wrap(CognitoAuth::<AccessTokenClaims>::new(serving))
                    .route("", web::get().to(plain)),
            )
            .service(
                web::scope("/down")
                    .wrap(CognitoAuth::<AccessTokenClaims>::new(unavailable_verifier(
                        &ISSUER, CLIENT,
                    )))
                    .route("", web::get().to(plain)),
            ),
    )
    .await;
    let cases = attacker_cases(&ISSUER, CLIENT, GROUP);
    let secrets = secrets_of(
        cases
            .iter()
            .flat_map(|case| &case.authorization)
            .map(Vec::as_slice),
    );
    assert!(secrets.len() > PLANTED.len());
    for uri in ["/extractor", "/middleware", "/down"] {
        for case in &cases {
            let response =
                test::call_service(&app, request(uri, &case.authorization).to_request()).await;
            let what = format!("{uri}, {}", case.name);
            let expected = if uri == "/down" {
                case.status_without_keys
            } else {
                case.status
            };
            assert_eq!(response.status().as_u16(), expected, "{what}");
            let headers: Vec<String> = response
                .headers()
                .iter()
                .map(|(n, v)| format!("{n}: {}", String::from_utf8_lossy(v.as_bytes())))
                .collect();
            let body = test::read_body(response).await;
            let body = String::from_utf8_lossy(&body);
            for secret in &secrets {
                assert!(!body.contains(secret.as_str()), "{what}: body echoes it");
                for header in &headers {
                    assert!(!header.contains(secret.as_str()), "{what}: {header}");
                }
            }
        }
    }
}

#[actix_web::test]
async fn the_scheme_word_is_case_insensitive() {
    let verifier = serving_verifier(&ISSUER, CLIENT, GROUP);
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(verifier.clone()))
            .route("/extractor", web::get().to(admin_only))
            .service(
                web::scope("/middleware")
                    .wrap(CognitoAuth::<AccessTokenClaims>::new(verifier))
                    .route("", web::get().to(plain)),
            ),
    )
    .await;
    let token = ISSUER.access_token(CLIENT).group(GROUP).sign();
    for uri in ["/extractor", "/middleware"] {
        for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
            let value = format!("{scheme} {token}").into_bytes();
            let response = test::call_service(&app, request(uri, &[value]).to_request()).await;
            assert_eq!(response.status(), 200, "{uri}, {scheme}");
        }
        for other in ["Basic dXNlcjpwYXNz", "Digest username=\"u\"", "Token abc"] {
            let response =
                test::call_service(&app, request(uri, &[other.into()]).to_request()).await;
            assert_eq!(response.status(), 401, "{uri}, {other}");
            assert_eq!(
                response
                    .headers()
                    .get(WWW_AUTHENTICATE)
                    .map(HeaderValue::as_bytes),
                Some(&b"Bearer realm=\"api\""[..]),
                "{uri}, {other}"
            );
        }
    }
}
