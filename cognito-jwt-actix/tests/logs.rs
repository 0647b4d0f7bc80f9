//! What the adapter logs, at TRACE level, over the whole case table and
//! requests carrying attacker-chosen text: never a token, a token segment, a
//! claim value or the planted text. A binary of its own: it installs the
//! global tracing subscriber (a thread-local one races with other tests over
//! tracing's per-callsite interest cache).

use actix_web::http::header::{AUTHORIZATION, HeaderValue};
use actix_web::test::{self, TestRequest};
use actix_web::{App, web};
use cognito_jwt_actix::{CognitoAuth, CognitoClaims};
use cognito_jwt_core::testing::TestIssuer;
use cognito_jwt_core::{AccessTokenClaims, TokenUse};
use cognito_jwt_test_support::{
    CaseTokens, LogCapture, attacker_cases, cases, secrets_of, serving_verifier,
    unavailable_verifier,
};

const CLIENT: &str = "actix-client";

async fn signed_in(_claims: CognitoClaims<AccessTokenClaims>) -> &'static str {
    "ok"
}

#[actix_web::test]
async fn logs_never_contain_the_token() {
    let logs = LogCapture::global();

    let issuer = TestIssuer::new("eu-west-1_ActixLogs");
    let tokens = CaseTokens::new(&issuer, CLIENT, "admins");
    let verifier = issuer.verifier(CLIENT, TokenUse::Access);
    let unavailable = unavailable_verifier(&issuer, CLIENT);
    let serving = serving_verifier(&issuer, CLIENT, "admins");
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(verifier.clone()))
            .route("/me", web::get().to(signed_in))
            .service(
                web::scope("/admin")
                    .wrap(
                        CognitoAuth::<AccessTokenClaims>::new(verifier).require_any_group("admins"),
                    )
                    .route("", web::get().to(signed_in)),
            )
            .service(
                web::scope("/down")
                    .wrap(CognitoAuth::<AccessTokenClaims>::new(unavailable))
                    .route("", web::get().to(signed_in)),
            )
            .service(
                web::scope("/serving")
                    .wrap(CognitoAuth::<AccessTokenClaims>::new(serving))
                    .route("", web::get().to(signed_in)),
            ),
    )
    .await;
    // Verifiers with cached keys but a real key-set URL see only the case
    // table, whose tokens all name a known kid: nothing leaves the process.
    let table: Vec<Vec<Vec<u8>>> = cases(&tokens)
        .into_iter()
        .map(|case| case.authorization)
        .collect();
    let attacks: Vec<Vec<Vec<u8>>> = attacker_cases(&issuer, CLIENT, "admins")
        .into_iter()
        .map(|case| case.authorization)
        .collect();
    let runs = table
        .iter()
        .flat_map(|a| ["/me", "/admin", "/down", "/serving"].map(|uri| (uri, a)))
        .chain(
            attacks
                .iter()
                .flat_map(|a| ["/down", "/serving"].map(|uri| (uri, a))),
        );
    for (uri, authorization) in runs {
        let request = authorization
            .iter()
            .fold(TestRequest::get().uri(uri), |request, value| {
                request.append_header((AUTHORIZATION, HeaderValue::from_bytes(value).unwrap()))
            });
        test::call_service(&app, request.to_request()).await;
    }

    let logs = logs.text();
    assert!(logs.contains("bearer token rejected"), "{logs}");
    assert!(logs.contains("malformed authorization"), "{logs}");
    assert!(logs.contains("cannot verify bearer token"), "{logs}");
    assert!(logs.contains("no bearer token"), "{logs}");
    assert!(logs.contains("kind=unknown_kid"), "{logs}");
    assert!(logs.contains("kind=missing_group"), "{logs}");
    let secrets = secrets_of(table.iter().chain(&attacks).flatten().map(Vec::as_slice));
    assert!(secrets.len() > 20, "{}", secrets.len());
    for secret in &secrets {
        assert!(
            !logs.contains(secret.as_str()),
            "a log line reveals a token or planted text"
        );
    }
    for token in tokens.all() {
        for secret in std::iter::once(token).chain(token.split('.').filter(|s| s.len() > 8)) {
            assert!(!logs.contains(secret), "a log line reveals a token");
        }
    }
}
