//! DPoP (RFC 9449) through a real `App`: the shared DPoP case table
//! (every broken proof, replays, nonces, downgrades) with the extractor and
//! with the middleware, answered as the core and axum answer it.

use actix_web::http::Method;
use actix_web::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use actix_web::test::{self, TestRequest};
use actix_web::{App, web};
use cognito_jwt_actix::{CognitoAuth, CognitoClaims};
use cognito_jwt_core::StandardClaims;
use cognito_jwt_test_support::{DPOP_PATH, DpopSuite};

async fn claims(claims: CognitoClaims<StandardClaims>) -> String {
    claims.sub.clone().unwrap_or_default()
}

/// Send every case of `suite` to `app`, in order, and check the answers
/// (a macro: the service type of `test::init_service` cannot be named).
macro_rules! run_suite {
    ($app:expr, $suite:expr) => {
        for case in &$suite.cases {
            let mut request = TestRequest::default()
                .method(Method::from_bytes(case.method.as_bytes()).expect("method"))
                .uri(&case.target);
            for value in &case.authorization {
                request = request.append_header((AUTHORIZATION, value.as_slice()));
            }
            for value in &case.dpop {
                request = request.append_header(("dpop", value.as_slice()));
            }
            let response = test::call_service($app, request.to_request()).await;
            assert_eq!(response.status().as_u16(), case.status, "{}", case.name);
            let challenge = response
                .headers()
                .get(WWW_AUTHENTICATE)
                .map(|value| value.to_str().expect("visible ASCII").to_owned());
            assert_eq!(challenge, case.www_authenticate, "{}", case.name);
            assert_eq!(
                response.headers().contains_key("dpop-nonce"),
                case.dpop_nonce,
                "{}",
                case.name
            );
            let headers = format!("{:?}", response.headers());
            let body = test::read_body(response).await;
            let body = String::from_utf8_lossy(&body);
            for secret in case.authorization.iter().chain(&case.dpop) {
                let text = String::from_utf8_lossy(secret);
                let token = text.rsplit(' ').next().unwrap_or_default();
                if !token.is_empty() {
                    assert!(
                        !headers.contains(token) && !body.contains(token),
                        "{}",
                        case.name
                    );
                }
            }
        }
    };
}

#[actix_web::test]
async fn the_dpop_case_table_with_the_extractor() {
    for suite in DpopSuite::all() {
        let app = test::init_service(
            App::new()
                .app_data(web::Data::new(suite.verifier.clone()))
                .route(DPOP_PATH, web::route().to(claims)),
        )
        .await;
        run_suite!(&app, suite);
    }
}

#[actix_web::test]
async fn the_dpop_case_table_with_the_middleware() {
    for suite in DpopSuite::all() {
        let app = test::init_service(
            App::new().service(
                web::scope("")
                    .wrap(CognitoAuth::new(suite.verifier.clone()).claims::<StandardClaims>())
                    .route(DPOP_PATH, web::route().to(|| async { "ok" })),
            ),
        )
        .await;
        run_suite!(&app, suite);
    }
}
