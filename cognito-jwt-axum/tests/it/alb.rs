//! The ALB extractors: `AlbIdentity` (required and optional) and
//! `AlbWithAccessToken`, answering like the bearer extractors.

use std::sync::LazyLock;

use axum::Router;
use axum::body::Body;
use axum::extract::FromRef;
use axum::routing::get;
use cognito_jwt_axum::{AlbIdentity, AlbWithAccessToken};
use cognito_jwt_core::testing::{TestAlb, TestAlbKeys, TestCurveKey};
use cognito_jwt_core::{AlbJwtVerifier, CognitoJwtVerifier};
use http::{HeaderValue, Request};

use crate::support::*;

static ALB: LazyLock<TestAlb> = LazyLock::new(|| TestAlb::new("eu-west-1"));

async fn me(AlbIdentity(claims): AlbIdentity) -> String {
    claims.email.unwrap_or_default()
}

async fn home(user: Option<AlbIdentity<serde_json::Value>>) -> String {
    match user {
        Some(AlbIdentity(claims)) => format!("feed of {}", claims["sub"].as_str().unwrap_or("")),
        None => "public feed".to_owned(),
    }
}

async fn orders(user: AlbWithAccessToken) -> String {
    format!("{} via {}", user.identity.sub, user.access.client_id())
}

fn app(verifier: AlbJwtVerifier) -> Router {
    Router::new()
        .route("/me", get(me))
        .route("/home", get(home))
        .with_state(verifier)
}

/// A verifier for `ALB` whose key endpoint is down.
fn unavailable_alb_verifier() -> AlbJwtVerifier {
    let down = TestAlbKeys::default();
    down.fail(Some("connection refused"));
    ALB.verifier_builder()
        .fetcher(down)
        .build()
        .expect("a valid ALB configuration")
}

/// A GET request with these headers.
fn alb_request(uri: &str, headers: &[(&'static str, &str)]) -> Request<Body> {
    let mut request = Request::get(uri).body(Body::empty()).expect("request");
    for (name, value) in headers {
        request
            .headers_mut()
            .append(*name, HeaderValue::from_str(value).expect("a header value"));
    }
    request
}

fn data(value: &str) -> [(&'static str, &str); 1] {
    [("x-amzn-oidc-data", value)]
}

#[tokio::test]
async fn a_valid_header_gives_the_claims() {
    let app = app(ALB.verifier());
    let header = ALB.data().claim("email", "jo@example.com").sign();
    let reply = send(&app, alb_request("/me", &data(&header))).await;
    assert_eq!(
        (reply.status.as_u16(), reply.body.as_str()),
        (200, "jo@example.com")
    );

    let header = ALB.data().claim("sub", "user-1").sign();
    let reply = send(&app, alb_request("/home", &data(&header))).await;
    assert_eq!(
        (reply.status.as_u16(), reply.body.as_str()),
        (200, "feed of user-1")
    );
}

#[tokio::test]
async fn without_the_header_a_bare_challenge_or_none() {
    let app = app(ALB.verifier());
    let token = ISSUER.access_token(CLIENT).sign();
    // A bearer token is not what this extractor reads.
    let reply = send(&app, request("/me", &bearer(&token))).await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.challenge(), Some("Bearer realm=\"api\""));
    assert_eq!(reply.json()["error"], "unauthorized");

    let reply = send(&app, alb_request("/home", &[])).await;
    assert_eq!(
        (reply.status.as_u16(), reply.body.as_str()),
        (200, "public feed")
    );
}

#[tokio::test]
async fn forged_expired_or_malformed_headers_are_refused_and_not_echoed() {
    let app = app(ALB.verifier());
    let forged = ALB.data().sign_with(&TestCurveKey::es256(ALB.kid()));
    let expired = ALB.data().expires_in(-60).sign();
    for (what, header) in [("forged", &forged), ("expired", &expired)] {
        for uri in ["/me", "/home"] {
            let reply = send(&app, alb_request(uri, &data(header))).await;
            assert_eq!(reply.status, 401, "{what} {uri}: {reply:?}");
            assert_eq!(reply.bearer_error(), Some("invalid_token"), "{what} {uri}");
            assert!(reply.json()["kind"].is_string(), "{what} {uri}");
            reply.assert_not_echoed(header, what);
            for segment in header.split('.') {
                reply.assert_not_echoed(segment.trim_end_matches('='), what);
            }
        }
    }
    let reply = send(&app, alb_request("/home", &data("not a token"))).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.bearer_error(), Some("invalid_request"));

    let twice = [
        ("x-amzn-oidc-data", &*expired),
        ("x-amzn-oidc-data", &*expired),
    ];
    let reply = send(&app, alb_request("/home", &twice)).await;
    assert_eq!(reply.status, 400);
}

#[tokio::test]
async fn an_unreachable_key_endpoint_is_503_with_retry_after() {
    let app = app(unavailable_alb_verifier());
    let header = ALB.data().sign();
    for uri in ["/me", "/home"] {
        let reply = send(&app, alb_request(uri, &data(&header))).await;
        assert_unavailable(&reply, uri);
        reply.assert_not_echoed(&header, uri);
    }
}

#[derive(Clone)]
struct BothVerifiers {
    alb: AlbJwtVerifier,
    cognito: CognitoJwtVerifier,
}

impl FromRef<BothVerifiers> for AlbJwtVerifier {
    fn from_ref(state: &BothVerifiers) -> Self {
        state.alb.clone()
    }
}

impl FromRef<BothVerifiers> for CognitoJwtVerifier {
    fn from_ref(state: &BothVerifiers) -> Self {
        state.cognito.clone()
    }
}

#[tokio::test]
async fn the_access_token_is_verified_and_must_be_the_same_users() {
    let app = Router::new()
        .route("/orders", get(orders))
        .with_state(BothVerifiers {
            alb: ALB.verifier(),
            cognito: verifier(),
        });
    let header = ALB.data().claim("sub", "user-2").sign();
    let matching = ISSUER.access_token(CLIENT).claim("sub", "user-2").sign();
    let reply = send(
        &app,
        alb_request(
            "/orders",
            &[
                ("x-amzn-oidc-data", &header),
                ("x-amzn-oidc-accesstoken", &matching),
            ],
        ),
    )
    .await;
    assert_eq!(
        (reply.status.as_u16(), reply.body.as_str()),
        (200, format!("user-2 via {CLIENT}").as_str())
    );

    let someone_else = ISSUER.access_token(CLIENT).claim("sub", "user-3").sign();
    let reply = send(
        &app,
        alb_request(
            "/orders",
            &[
                ("x-amzn-oidc-data", &header),
                ("x-amzn-oidc-accesstoken", &someone_else),
            ],
        ),
    )
    .await;
    assert_eq!(reply.status, 401, "{reply:?}");
    assert_eq!(reply.bearer_error(), Some("invalid_token"));
    reply.assert_not_echoed(&someone_else, "another user's access token");

    let reply = send(&app, alb_request("/orders", &data(&header))).await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.challenge(), Some("Bearer realm=\"api\""));
}

/// The load balancer's verifier is a `Verify` like the others: behind the
/// tower layer (reading `x-amzn-oidc-data`, its token source), with the
/// bearer extractor from a `Verifier` state, and on the readiness route.
#[tokio::test]
async fn the_layer_the_claims_extractor_and_readiness_take_an_alb_verifier() {
    use cognito_jwt_axum::{CognitoClaims, CognitoLayer, Verifier};
    use cognito_jwt_core::AlbClaims;

    async fn sub(CognitoClaims(claims): CognitoClaims<AlbClaims>) -> String {
        claims.sub
    }
    let alb = TestAlb::new("eu-west-1");
    let verifier = alb.verifier();
    let layered = Router::new()
        .route(
            "/sub",
            get(|axum::Extension(claims): axum::Extension<AlbClaims>| async move { claims.sub }),
        )
        .layer(CognitoLayer::new(verifier.clone()).claims::<AlbClaims>());
    let from_state = Router::new()
        .route("/sub", get(sub))
        .route("/ready", get(cognito_jwt_axum::ready))
        .with_state(Verifier::from(verifier.clone()));

    // Ready before any token: a load balancer's health check must pass
    // before it sends the first one.
    let ready = send(&from_state, alb_request("/ready", &[])).await;
    assert_eq!(ready.status.as_u16(), 200, "{}", ready.body);
    assert!(ready.body.contains("\"ready\":true"), "{}", ready.body);

    let header = alb.data().claim("sub", "user-7").sign();
    for app in [&layered, &from_state] {
        let reply = send(app, alb_request("/sub", &data(&header))).await;
        assert_eq!(
            (reply.status.as_u16(), reply.body.as_str()),
            (200, "user-7")
        );
        // A bearer token is not where a load balancer's token travels.
        let bearer = send(
            app,
            alb_request("/sub", &[("authorization", &format!("Bearer {header}"))]),
        )
        .await;
        assert_eq!(bearer.status.as_u16(), 401);
        assert_eq!(bearer.bearer_error(), None, "a bare challenge");
        let forged = alb.data().sign_with(&TestCurveKey::es256("forger"));
        let reply = send(app, alb_request("/sub", &data(&forged))).await;
        assert_eq!(reply.status.as_u16(), 401);
        assert_eq!(reply.bearer_error(), Some("invalid_token"));
    }
    assert_eq!(alb.key_server().fetches(), 1, "one key cache for both");
    let ready = send(&from_state, alb_request("/ready", &[])).await;
    assert_eq!(ready.status.as_u16(), 200);
    assert!(ready.body.contains("\"state\":\"fresh\""), "{}", ready.body);

    // The key endpoint fails: readiness says so.
    let down = unavailable_alb_verifier();
    let app = Router::new()
        .route("/sub", get(sub))
        .route("/ready", get(cognito_jwt_axum::ready))
        .with_state(Verifier::from(down));
    let reply = send(&app, alb_request("/sub", &data(&ALB.data().sign()))).await;
    assert_eq!(reply.status.as_u16(), 503);
    let ready = send(&app, alb_request("/ready", &[])).await;
    assert_eq!(ready.status.as_u16(), 503, "{}", ready.body);
}
