//! SECURITY-CASES 33 and 38 beyond the shared table: the scheme word in any
//! case, and attacker-chosen text in the `Authorization` header or in a
//! token's header and claims never comes back in an answer.

mod common;

use axum::Router;
use axum::routing::get;
use cognito_jwt_axum::{CognitoClaims, CognitoLayer};
use cognito_jwt_core::{AccessTokenClaims, CognitoJwtVerifier};
use cognito_jwt_test_support::{attacker_cases, secrets_of, serving_verifier};
use common::*;

async fn admin(CognitoClaims(claims): CognitoClaims<AccessTokenClaims>) -> &'static str {
    assert!(claims.in_group(GROUP));
    "welcome"
}

fn serving() -> CognitoJwtVerifier {
    serving_verifier(&ISSUER, CLIENT, GROUP)
}

fn apps() -> Vec<(&'static str, Router)> {
    vec![
        (
            "extractor",
            Router::new()
                .route("/api/admin", get(admin))
                .with_state(serving()),
        ),
        (
            "layer",
            Router::new()
                .route("/api/admin", get(|| async { "welcome" }))
                .layer(CognitoLayer::new(serving())),
        ),
        (
            "keys unavailable",
            Router::new()
                .route("/api/admin", get(admin))
                .with_state(unavailable_verifier()),
        ),
    ]
}

#[tokio::test]
async fn attacker_text_is_never_echoed_in_answers() {
    for (app_name, app) in apps() {
        let down = app_name == "keys unavailable";
        for case in attacker_cases(&ISSUER, CLIENT, GROUP) {
            let reply = send(&app, request("/api/admin", &case.authorization)).await;
            let expected = if down {
                case.status_without_keys
            } else {
                case.status
            };
            let what = format!("{app_name}, {}", case.name);
            assert_eq!(reply.status.as_u16(), expected, "{what}: {reply:?}");
            let secrets = secrets_of(case.authorization.iter().map(Vec::as_slice));
            for secret in &secrets {
                reply.assert_not_echoed(secret, &what);
            }
        }
    }
}

#[tokio::test]
async fn the_scheme_word_is_case_insensitive() {
    for (app_name, app) in apps().into_iter().take(2) {
        for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
            let value = format!("{scheme} {}", TOKENS.valid_in_group).into_bytes();
            let reply = send(&app, request("/api/admin", &[value])).await;
            assert_eq!(reply.status, 200, "{app_name}, {scheme}: {reply:?}");
        }
        for other in ["Basic dXNlcjpwYXNz", "Digest username=\"u\"", "Token abc"] {
            let reply = send(&app, request("/api/admin", &[other.into()])).await;
            assert_eq!(reply.status, 401, "{app_name}, {other}");
            assert_eq!(
                reply.challenge(),
                Some("Bearer realm=\"api\""),
                "{app_name}, {other}"
            );
        }
    }
}
