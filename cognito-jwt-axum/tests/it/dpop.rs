//! DPoP (RFC 9449) through a real `Router`: the shared DPoP case table
//! (every broken proof, replays, nonces, downgrades) with the extractor and
//! with the layer, answered as the core and actix-web answer it.

use axum::Router;
use axum::body::Body;
use axum::routing::any;
use cognito_jwt_axum::{CognitoClaims, CognitoLayer, Verifier};
use cognito_jwt_core::StandardClaims;
use cognito_jwt_test_support::{DPOP_PATH, DpopSuite};
use http::header::AUTHORIZATION;
use http::{HeaderValue, Request};

use crate::support::*;

async fn claims(CognitoClaims(claims): CognitoClaims<StandardClaims>) -> String {
    claims.sub.unwrap_or_default()
}

async fn run_suite(app: &Router, suite: &DpopSuite) {
    for case in &suite.cases {
        let mut request = Request::builder()
            .method(case.method)
            .uri(&case.target)
            .body(Body::empty())
            .expect("request");
        for value in &case.authorization {
            request.headers_mut().append(
                AUTHORIZATION,
                HeaderValue::from_bytes(value).expect("value"),
            );
        }
        for value in &case.dpop {
            request
                .headers_mut()
                .append("dpop", HeaderValue::from_bytes(value).expect("value"));
        }
        let reply = send(app, request).await;
        assert_eq!(
            reply.status.as_u16(),
            case.status,
            "{}: {reply:?}",
            case.name
        );
        assert_eq!(
            reply.challenge().map(str::to_owned),
            case.www_authenticate,
            "{}",
            case.name
        );
        assert_eq!(
            reply.headers.contains_key("dpop-nonce"),
            case.dpop_nonce,
            "{}",
            case.name
        );
        for secret in case.authorization.iter().chain(&case.dpop) {
            let text = String::from_utf8_lossy(secret);
            let token = text.rsplit(' ').next().unwrap_or_default();
            if !token.is_empty() {
                reply.assert_not_echoed(token, case.name);
            }
        }
    }
}

#[tokio::test]
async fn the_dpop_case_table_with_the_extractor() {
    for suite in DpopSuite::all() {
        let app = Router::new()
            .route(DPOP_PATH, any(claims))
            .with_state(Verifier::from(suite.verifier.clone()));
        run_suite(&app, &suite).await;
    }
}

#[tokio::test]
async fn the_dpop_case_table_with_the_layer() {
    for suite in DpopSuite::all() {
        let app = Router::new()
            .route(DPOP_PATH, any(|| async { "ok" }))
            .layer(CognitoLayer::new(suite.verifier.clone()).claims::<StandardClaims>());
        run_suite(&app, &suite).await;
    }
}
