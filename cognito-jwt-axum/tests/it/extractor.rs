//! The `CognitoClaims` extractor: optional form, where the verifier and
//! settings come from, and custom rejections.

use std::error::Error as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::extract::{FromRef, FromRequestParts};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use cognito_jwt_axum::{CognitoClaims, CognitoLayer, CognitoRejection, Verifier};
use cognito_jwt_core::http::{AuthRejection, TokenSource};
use cognito_jwt_core::{AccessTokenClaims, ErrorKind, TokenUse};
use http::HeaderValue;
use http::request::Parts;

use crate::support::*;

async fn home(user: Option<CognitoClaims<AccessTokenClaims>>) -> String {
    match user {
        Some(CognitoClaims(claims)) => format!("feed of {}", claims.sub()),
        None => "public feed".to_owned(),
    }
}

async fn me(claims: CognitoClaims<AccessTokenClaims>) -> String {
    claims.sub().to_owned()
}

#[tokio::test]
async fn optional_extractor_has_three_states() {
    let app = Router::new()
        .route("/home", get(home))
        .with_state(verifier());

    let absent = send(&app, request("/home", &[])).await;
    assert_eq!(
        (absent.status.as_u16(), absent.body.as_str()),
        (200, "public feed")
    );

    let other_scheme = send(&app, request("/home", &[b"Basic dXNlcjpwYXNz".to_vec()])).await;
    assert_eq!(other_scheme.body, "public feed");

    let token = ISSUER.access_token(CLIENT).claim("sub", "user-7").sign();
    let valid = send(&app, request("/home", &bearer(&token))).await;
    assert_eq!(
        (valid.status.as_u16(), valid.body.as_str()),
        (200, "feed of user-7")
    );

    let invalid = send(&app, request("/home", &bearer(&TOKENS.expired))).await;
    assert_eq!(invalid.status, 401);
    assert_eq!(invalid.bearer_error(), Some("invalid_token"));

    let malformed = send(&app, request("/home", &[b"Bearer ".to_vec()])).await;
    assert_eq!(malformed.status, 400);
    assert_eq!(malformed.bearer_error(), Some("invalid_request"));
}

#[derive(Clone)]
struct AppState {
    verifier: Verifier,
}

impl FromRef<AppState> for Verifier {
    fn from_ref(state: &AppState) -> Self {
        state.verifier.clone()
    }
}

#[tokio::test]
async fn verifier_from_app_state() {
    let app = Router::new().route("/me", get(me)).with_state(AppState {
        verifier: verifier().into(),
    });
    let token = ISSUER.access_token(CLIENT).claim("sub", "user-8").sign();
    let reply = send(&app, request("/me", &bearer(&token))).await;
    assert_eq!(
        (reply.status.as_u16(), reply.body.as_str()),
        (200, "user-8")
    );

    let anonymous = send(&app, request("/me", &[])).await;
    assert_eq!(anonymous.status, 401);
    assert_eq!(anonymous.challenge(), Some("Bearer realm=\"api\""));
}

/// The layer's verifier counts its verifications; the state's cannot fetch
/// keys. The extractor reuses what the layer verified, and verifies other
/// claim types with the layer's verifier.
#[tokio::test]
async fn extractor_reuses_what_the_layer_verified() {
    async fn raw(CognitoClaims(claims): CognitoClaims<serde_json::Value>) -> String {
        claims["sub"].as_str().unwrap().to_owned()
    }
    let verifications = Arc::new(AtomicUsize::new(0));
    let counting = {
        let verifications = Arc::clone(&verifications);
        ISSUER.verifier_from(
            ISSUER
                .verifier_builder(CLIENT, TokenUse::Access)
                .custom_check(move |_| {
                    verifications.fetch_add(1, Ordering::SeqCst);
                    Ok(())
                }),
        )
    };
    let app = Router::new()
        .route("/me", get(me))
        .route("/raw", get(raw))
        .layer(CognitoLayer::new(counting))
        .with_state(unavailable_verifier());
    let token = ISSUER.access_token(CLIENT).claim("sub", "user-9").sign();

    let reused = send(&app, request("/me", &bearer(&token))).await;
    assert_eq!(
        (reused.status.as_u16(), reused.body.as_str()),
        (200, "user-9")
    );
    assert_eq!(verifications.load(Ordering::SeqCst), 1, "verified once");

    let other_type = send(&app, request("/raw", &bearer(&token))).await;
    assert_eq!(
        (other_type.status.as_u16(), other_type.body.as_str()),
        (200, "user-9")
    );
    assert_eq!(
        verifications.load(Ordering::SeqCst),
        3,
        "layer and extractor"
    );
}

#[tokio::test]
async fn optional_layer_configures_the_extractors() {
    let app = Router::new()
        .route("/me", get(me))
        .route("/home", get(home))
        .layer(
            CognitoLayer::new(verifier())
                .token_source(TokenSource::Cookie("access_token".to_owned()))
                .realm("shop")
                .optional(),
        )
        .with_state(unavailable_verifier());
    let token = ISSUER.access_token(CLIENT).claim("sub", "user-10").sign();
    let with_cookie = |uri: &str, cookie: String| {
        let mut request = request(uri, &[]);
        request
            .headers_mut()
            .insert(http::header::COOKIE, cookie.try_into().unwrap());
        request
    };

    let signed_in = send(
        &app,
        with_cookie("/me", format!("theme=dark; access_token={token}")),
    )
    .await;
    assert_eq!(
        (signed_in.status.as_u16(), signed_in.body.as_str()),
        (200, "user-10")
    );

    let anonymous = send(&app, request("/me", &[])).await;
    assert_eq!(anonymous.status, 401);
    assert_eq!(anonymous.challenge(), Some("Bearer realm=\"shop\""));

    let public = send(&app, request("/home", &[])).await;
    assert_eq!(
        (public.status.as_u16(), public.body.as_str()),
        (200, "public feed")
    );

    let expired = send(
        &app,
        with_cookie("/home", format!("access_token={}", TOKENS.expired)),
    )
    .await;
    assert_eq!(expired.status, 401, "a bad token is never anonymous");
    assert!(
        expired
            .challenge()
            .unwrap()
            .starts_with("Bearer realm=\"shop\", error=\"invalid_token\"")
    );
    expired.assert_not_echoed(&TOKENS.expired, "cookie");
}

/// A user's own extractor with its own rejection, as in the crate docs.
struct User(AccessTokenClaims);

struct PlainRejection(CognitoRejection);

impl IntoResponse for PlainRejection {
    fn into_response(self) -> Response {
        let text = format!("sign in first: {}", self.0);
        let mut response = self.0.response_with_body(text).into_response();
        let kind = self.0.kind().map_or("none", ErrorKind::as_str);
        response
            .headers_mut()
            .insert("x-auth-kind", HeaderValue::from_static(kind));
        response
    }
}

impl<S> FromRequestParts<S> for User
where
    S: Send + Sync,
    Verifier: FromRef<S>,
{
    type Rejection = PlainRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        CognitoClaims::from_request_parts(parts, state)
            .await
            .map(|CognitoClaims(claims)| User(claims))
            .map_err(PlainRejection)
    }
}

#[tokio::test]
async fn custom_rejection_through_a_wrapping_extractor() {
    async fn profile(User(claims): User) -> String {
        claims.sub().to_owned()
    }
    let app = Router::new()
        .route("/profile", get(profile))
        .with_state(verifier());

    let reply = send(&app, request("/profile", &bearer(&TOKENS.expired))).await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.body, "sign in first: the token has expired");
    assert_eq!(reply.headers["x-auth-kind"], "expired");
    assert_eq!(reply.bearer_error(), Some("invalid_token"));
    reply.assert_not_echoed(&TOKENS.expired, "custom rejection");

    let token = ISSUER.access_token(CLIENT).claim("sub", "user-11").sign();
    let ok = send(&app, request("/profile", &bearer(&token))).await;
    assert_eq!(ok.body, "user-11");
}

#[test]
fn rejection_as_an_error_never_shows_the_token() {
    let token = &TOKENS.forged;
    let error = verifier()
        .verify_sync::<AccessTokenClaims>(token)
        .unwrap_err();
    let rejection = CognitoRejection::new(AuthRejection::from(error), "api");
    assert_eq!(rejection.status(), 401);
    assert_eq!(rejection.kind(), Some(ErrorKind::InvalidSignature));
    assert_eq!(rejection.to_string(), "the token is invalid");
    let source = rejection.source().expect("the verification error");
    assert!(source.to_string().starts_with("invalid_signature"));

    let signature = token.rsplit('.').next().unwrap();
    for text in [
        rejection.to_string(),
        format!("{rejection:?}"),
        source.to_string(),
        format!("{source:?}"),
    ] {
        assert!(!text.contains(signature), "{text}");
    }
}

/// Every verifier kind goes into the state as it is, and the extractors,
/// the readiness probe and the sign-out handler take it from there.
#[tokio::test]
async fn every_verifier_kind_goes_into_the_state_as_it_is() {
    use cognito_jwt_core::testing::{TestAlb, TestOidcIssuer};
    use cognito_jwt_core::{AlbClaims, Algorithm, AnyVerifier, StandardClaims};

    async fn standard(CognitoClaims(claims): CognitoClaims<StandardClaims>) -> String {
        claims.sub.unwrap_or_default()
    }
    async fn alb(CognitoClaims(claims): CognitoClaims<AlbClaims>) -> String {
        claims.sub
    }
    fn routes<S: Clone + Send + Sync + 'static>(state: S) -> Router
    where
        Verifier: FromRef<S>,
    {
        Router::new()
            .route("/standard", get(standard))
            .route("/alb", get(alb))
            .route("/ready", get(cognito_jwt_axum::ready))
            .with_state(state)
    }

    let token = ISSUER.access_token(CLIENT).claim("sub", "cognito-1").sign();
    for app in [routes(verifier()), routes(AnyVerifier::from(verifier()))] {
        let reply = send(&app, request("/standard", &bearer(&token))).await;
        assert_eq!(
            (reply.status.as_u16(), reply.body.as_str()),
            (200, "cognito-1")
        );
        assert_eq!(send(&app, request("/ready", &[])).await.status, 200);
    }

    let oidc = TestOidcIssuer::new("https://id.example.com/state", Algorithm::ES256);
    let app = routes(oidc.verifier("orders-api"));
    let token = oidc
        .access_token("orders-api")
        .claim("sub", "oidc-1")
        .sign();
    let reply = send(&app, request("/standard", &bearer(&token))).await;
    assert_eq!(
        (reply.status.as_u16(), reply.body.as_str()),
        (200, "oidc-1")
    );

    let load_balancer = TestAlb::new("eu-west-1");
    let app = routes(load_balancer.verifier());
    let header = load_balancer.data().claim("sub", "alb-1").sign();
    let mut request = request("/alb", &[]);
    request.headers_mut().insert(
        "x-amzn-oidc-data",
        HeaderValue::from_str(&header).expect("a header value"),
    );
    let reply = send(&app, request).await;
    assert_eq!((reply.status.as_u16(), reply.body.as_str()), (200, "alb-1"));
}
