//! SECURITY-CASES 33 and 38 beyond the shared table: the scheme word in any
//! case, and attacker-chosen text in the `Authorization` header or in a
//! token's header and claims never comes back in an answer.

mod common;

use axum::Router;
use axum::routing::get;
use cognito_jwt_axum::{CognitoClaims, CognitoLayer};
use cognito_jwt_core::AccessTokenClaims;
use common::*;

async fn admin(CognitoClaims(claims): CognitoClaims<AccessTokenClaims>) -> &'static str {
    assert!(claims.in_group(GROUP));
    "welcome"
}

fn apps() -> Vec<(&'static str, Router)> {
    vec![
        (
            "extractor",
            Router::new()
                .route("/api/admin", get(admin))
                .with_state(serving_verifier()),
        ),
        (
            "layer",
            Router::new()
                .route("/api/admin", get(|| async { "welcome" }))
                .layer(CognitoLayer::new(serving_verifier())),
        ),
        (
            "keys unavailable",
            Router::new()
                .route("/api/admin", get(admin))
                .with_state(unavailable_verifier()),
        ),
    ]
}

/// What each of [`attacker_requests`] gets, with the keys at hand or not.
/// Whatever can be refused without the key set is refused alike.
fn expected_status(name: &str, keys_unavailable: bool) -> u16 {
    match name {
        "garbage token" | "odd typ" | "other issuer" | "unknown scheme" | "basic" => 401,
        "tab in token" | "space in token" | "two headers" => 400,
        _ if keys_unavailable => 503,
        "unknown kid" => 401,
        "other group" => 403,
        "valid" => 200,
        other => panic!("no expectation for {other}"),
    }
}

#[tokio::test]
async fn attacker_text_is_never_echoed_in_answers() {
    for (app_name, app) in apps() {
        let down = app_name == "keys unavailable";
        for (name, authorization) in attacker_requests() {
            let reply = send(&app, request("/api/admin", &authorization)).await;
            let expected = expected_status(name, down);
            let what = format!("{app_name}, {name}");
            assert_eq!(reply.status.as_u16(), expected, "{what}: {reply:?}");
            for planted in PLANTED {
                reply.assert_not_echoed(planted, &what);
            }
            for value in &authorization {
                if let Some(token) = value.strip_prefix(b"Bearer ") {
                    let token = String::from_utf8_lossy(token);
                    for secret in token.split('.').filter(|s| s.len() >= 16) {
                        reply.assert_not_echoed(secret, &what);
                    }
                }
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
