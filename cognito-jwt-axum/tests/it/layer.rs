//! `CognitoLayer` on axum routers and on plain tower services.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::body::{Body, Bytes};
use axum::routing::get;
use axum::{Extension, Json, Router};
use cognito_jwt_axum::{CognitoLayer, CognitoRejection};
use cognito_jwt_core::http::TokenSource;
use cognito_jwt_core::{AccessTokenClaims, IdTokenClaims, Requirements};
use http::header::{AUTHORIZATION, COOKIE};
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Empty, Full};
use tower::{Layer, ServiceExt};

use crate::support::*;

/// A plain tower service (no axum), as a hyper or tonic server would run.
#[tokio::test]
async fn layer_on_a_tower_service_fn() {
    let calls = Arc::new(AtomicUsize::new(0));
    let service = {
        let calls = Arc::clone(&calls);
        tower::service_fn(move |request: Request<Empty<Bytes>>| {
            calls.fetch_add(1, Ordering::SeqCst);
            async move {
                let sub = request
                    .extensions()
                    .get::<AccessTokenClaims>()
                    .map(|claims| claims.sub().to_owned())
                    .unwrap_or_default();
                Ok::<_, Infallible>(Response::new(Full::<Bytes>::from(sub)))
            }
        })
    };
    let service = CognitoLayer::new(verifier())
        .require_any_scope("orders/read")
        .layer(service);
    let call = |authorization: Option<String>| {
        let service = service.clone();
        async move {
            let mut request = Request::new(Empty::<Bytes>::new());
            if let Some(value) = authorization {
                request
                    .headers_mut()
                    .insert(AUTHORIZATION, value.try_into().unwrap());
            }
            let response = service.oneshot(request).await.unwrap();
            let status = response.status();
            let challenge = response
                .headers()
                .get(http::header::WWW_AUTHENTICATE)
                .map(|v| v.to_str().unwrap().to_owned());
            let body = response.into_body().collect().await.unwrap().to_bytes();
            (status, challenge, String::from_utf8(body.to_vec()).unwrap())
        }
    };

    let token = ISSUER
        .m2m_access_token(CLIENT, "orders/read")
        .claim("sub", "service-1")
        .sign();
    let (status, challenge, body) = call(Some(format!("Bearer {token}"))).await;
    assert_eq!(
        (status, challenge, body.as_str()),
        (StatusCode::OK, None, "service-1")
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    let (status, challenge, body) = call(None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(challenge.as_deref(), Some("Bearer realm=\"api\""));
    assert!(body.contains("\"error\":\"unauthorized\""), "{body}");

    let other_scope = ISSUER.m2m_access_token(CLIENT, "orders/write").sign();
    let (status, challenge, body) = call(Some(format!("Bearer {other_scope}"))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(challenge.unwrap().contains("error=\"insufficient_scope\""));
    assert!(!body.contains(&other_scope));

    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "refused requests never reach the service"
    );
}

#[tokio::test]
async fn scopes_and_groups_are_any_of_and_both_apply() {
    let requirements = Requirements::new()
        .any_scope("orders/read")
        .any_scope("orders/admin")
        .any_group(GROUP);
    let app = Router::new()
        .route("/orders", get(|| async { "orders" }))
        .layer(CognitoLayer::new(verifier()).requirements(requirements));
    let status = |token: String| {
        let app = app.clone();
        async move { send(&app, request("/orders", &bearer(&token))).await.status }
    };
    let token = |scope: &str, group: Option<&str>| {
        let builder = ISSUER.access_token(CLIENT).scope(scope);
        match group {
            Some(group) => builder.group(group).sign(),
            None => builder.sign(),
        }
    };
    assert_eq!(status(token("orders/admin", Some(GROUP))).await, 200);
    assert_eq!(status(token("orders/read", Some(GROUP))).await, 200);
    assert_eq!(status(token("orders/read", None)).await, 403);
    assert_eq!(status(token("orders/write", Some(GROUP))).await, 403);
}

#[tokio::test]
async fn cookie_token_source() {
    async fn email(Extension(claims): Extension<IdTokenClaims>) -> String {
        claims.email().unwrap_or_default().to_owned()
    }
    let app = Router::new().route("/profile", get(email)).layer(
        CognitoLayer::new(ISSUER.verifier(CLIENT, cognito_jwt_core::TokenUse::Id))
            .claims::<IdTokenClaims>()
            .token_source(TokenSource::Cookie("id_token".to_owned())),
    );
    let with_cookie = |cookie: &str| {
        let mut request = request("/profile", &[]);
        request
            .headers_mut()
            .insert(COOKIE, cookie.try_into().unwrap());
        request
    };
    let id_token = ISSUER
        .id_token(CLIENT)
        .claim("email", "ana@example.com")
        .sign();

    let reply = send(&app, with_cookie(&format!("lang=en; id_token={id_token}"))).await;
    assert_eq!(
        (reply.status.as_u16(), reply.body.as_str()),
        (200, "ana@example.com")
    );

    let missing = send(&app, with_cookie("lang=en")).await;
    assert_eq!(missing.status, 401);
    assert_eq!(missing.challenge(), Some("Bearer realm=\"api\""));

    let empty = send(&app, with_cookie("id_token=")).await;
    assert_eq!(empty.status, 400);
    assert_eq!(empty.bearer_error(), Some("invalid_request"));

    let access_token = &TOKENS.valid;
    let wrong_use = send(&app, with_cookie(&format!("id_token={access_token}"))).await;
    assert_eq!(wrong_use.status, 401);
    assert_eq!(wrong_use.bearer_error(), Some("invalid_token"));
    wrong_use.assert_not_echoed(access_token, "cookie");

    let mut header_first = with_cookie(&format!("id_token={id_token}"));
    header_first.headers_mut().insert(
        AUTHORIZATION,
        format!("Bearer {access_token}").try_into().unwrap(),
    );
    let header_first = send(&app, header_first).await;
    assert_eq!(
        header_first.status, 401,
        "the Authorization header wins over the cookie"
    );
}

#[tokio::test]
async fn custom_rejection_on_the_layer() {
    let seen = Arc::new(AtomicUsize::new(0));
    let on_rejection = {
        let seen = Arc::clone(&seen);
        move |rejection: CognitoRejection| {
            seen.fetch_add(1, Ordering::SeqCst);
            let body = serde_json::json!({
                "message": "please sign in again",
                "kind": rejection.kind().map(|k| k.as_str()),
            });
            let mut response = rejection.response_with_body(Body::from(body.to_string()));
            response
                .headers_mut()
                .insert("x-custom", "yes".try_into().unwrap());
            response
        }
    };
    let app = Router::new().route("/api", get(|| async { "ok" })).layer(
        CognitoLayer::new(verifier())
            .realm("custom")
            .on_rejection(on_rejection),
    );

    let reply = send(&app, request("/api", &bearer(&TOKENS.expired))).await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.headers["x-custom"], "yes");
    assert_eq!(reply.bearer_error(), Some("invalid_token"));
    assert!(
        reply
            .challenge()
            .unwrap()
            .starts_with("Bearer realm=\"custom\"")
    );
    assert_eq!(
        reply.json(),
        serde_json::json!({"message": "please sign in again", "kind": "expired"})
    );
    reply.assert_not_echoed(&TOKENS.expired, "custom layer rejection");

    let ok = send(&app, request("/api", &bearer(&TOKENS.valid))).await;
    assert_eq!(ok.status, 200);
    assert_eq!(seen.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn optional_layer_on_a_stateless_router() {
    async fn whoami(claims: Option<Extension<AccessTokenClaims>>) -> Json<Option<String>> {
        Json(claims.map(|Extension(claims)| claims.sub().to_owned()))
    }
    let app = Router::new()
        .route("/whoami", get(whoami))
        .layer(CognitoLayer::new(verifier()).optional());

    let anonymous = send(&app, request("/whoami", &[])).await;
    assert_eq!(
        (anonymous.status.as_u16(), anonymous.body.as_str()),
        (200, "null")
    );

    let token = ISSUER.access_token(CLIENT).claim("sub", "user-12").sign();
    let signed_in = send(&app, request("/whoami", &bearer(&token))).await;
    assert_eq!(signed_in.body, "\"user-12\"");

    let forged = send(&app, request("/whoami", &bearer(&TOKENS.forged))).await;
    assert_eq!(forged.status, 401);
    assert_eq!(forged.bearer_error(), Some("invalid_token"));
}
