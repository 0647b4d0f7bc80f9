//! Helpers shared by the integration tests: one issuer per test process,
//! request building and response checks.

use std::sync::LazyLock;

use axum::Router;
use axum::body::Body;
use cognito_jwt_core::testing::TestIssuer;
use cognito_jwt_core::{CognitoJwtVerifier, TokenUse, UserPool};
pub(crate) use cognito_jwt_test_support::bearer;
use cognito_jwt_test_support::{CaseTokens, HttpCase, bearer_error};
use http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use http::{HeaderMap, HeaderValue, Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

pub(crate) const CLIENT: &str = "axum-test-client";
pub(crate) const GROUP: &str = "admins";

/// Key generation is slow: one issuer for the whole test process.
pub(crate) static ISSUER: LazyLock<TestIssuer> =
    LazyLock::new(|| TestIssuer::new("eu-west-1_AxumTest1"));

pub(crate) static TOKENS: LazyLock<CaseTokens> =
    LazyLock::new(|| CaseTokens::new(&ISSUER, CLIENT, GROUP));

/// A verifier for access tokens of `CLIENT`, keys cached.
pub(crate) fn verifier() -> CognitoJwtVerifier {
    ISSUER.verifier(CLIENT, TokenUse::Access)
}

/// A verifier that also requires `GROUP` of every token, keys cached.
pub(crate) fn group_verifier() -> CognitoJwtVerifier {
    ISSUER.verifier_from(
        ISSUER
            .verifier_builder(CLIENT, TokenUse::Access)
            .require_any_group(GROUP),
    )
}

/// A verifier for `ISSUER` whose key set cannot be fetched.
pub(crate) fn unavailable_verifier() -> CognitoJwtVerifier {
    cognito_jwt_test_support::unavailable_verifier(&ISSUER, CLIENT)
}

/// A verifier for `ISSUER` fetching its keys from `jwks_uri`.
pub(crate) fn remote_verifier(jwks_uri: &str) -> CognitoJwtVerifier {
    CognitoJwtVerifier::builder()
        .user_pool(
            UserPool::new(ISSUER.pool_id())
                .client_id(CLIENT)
                .token_use(TokenUse::Access)
                .jwks_uri(jwks_uri),
        )
        .build()
        .expect("verifier configuration")
}

/// A GET request with these `Authorization` header values, one header each.
pub(crate) fn request(uri: &str, authorization: &[Vec<u8>]) -> Request<Body> {
    let mut request = Request::get(uri).body(Body::empty()).expect("request");
    for value in authorization {
        request.headers_mut().append(
            AUTHORIZATION,
            HeaderValue::from_bytes(value).expect("header value"),
        );
    }
    request
}

#[derive(Debug)]
pub(crate) struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    pub(crate) fn challenge(&self) -> Option<&str> {
        self.headers
            .get(WWW_AUTHENTICATE)
            .map(|v| v.to_str().expect("visible ASCII challenge"))
    }

    /// The `error` code of the challenge.
    pub(crate) fn bearer_error(&self) -> Option<&str> {
        self.challenge().and_then(bearer_error)
    }

    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }

    /// Fail if any header or the body contains `secret`.
    pub(crate) fn assert_not_echoed(&self, secret: &str, what: &str) {
        for (name, value) in &self.headers {
            assert!(
                !String::from_utf8_lossy(value.as_bytes()).contains(secret),
                "{what}: header {name} contains a token"
            );
        }
        assert!(
            !self.body.contains(secret),
            "{what}: the body contains a token"
        );
    }
}

pub(crate) async fn reply_of(response: http::Response<Body>) -> Reply {
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.expect("response body").to_bytes();
    Reply {
        status: parts.status,
        headers: parts.headers,
        body: String::from_utf8(bytes.to_vec()).expect("UTF-8 body"),
    }
}

pub(crate) async fn send(app: &Router, request: Request<Body>) -> Reply {
    let Ok(response) = app.clone().oneshot(request).await;
    reply_of(response).await
}

/// Every token the case table sends, and the signature segment of each.
pub(crate) fn secrets() -> Vec<String> {
    TOKENS
        .all()
        .into_iter()
        .flat_map(|token| {
            let signature = token.rsplit('.').next().unwrap_or_default();
            [token.to_owned(), signature.to_owned()]
        })
        .collect()
}

/// Run the shared table of SECURITY-CASES section E against `app`, whose
/// route `uri` requires `GROUP`, expecting challenges for `realm`.
pub(crate) async fn run_cases(app: &Router, uri: &str, realm: &str) {
    let cases: Vec<HttpCase> = cognito_jwt_test_support::cases(&TOKENS);
    assert!(!cases.is_empty());
    for case in cases {
        let reply = send(app, request(uri, &case.authorization)).await;
        let name = case.name;
        assert_eq!(reply.status.as_u16(), case.status, "{name}: {reply:?}");
        if case.status == 200 {
            assert_eq!(reply.challenge(), None, "{name}");
        } else {
            let challenge = reply
                .challenge()
                .unwrap_or_else(|| panic!("{name}: no challenge"));
            assert!(
                challenge.starts_with(&format!("Bearer realm=\"{realm}\"")),
                "{name}: {challenge}"
            );
            assert_eq!(
                reply.bearer_error(),
                case.bearer_error,
                "{name}: {challenge}"
            );
            if case.bearer_error.is_none() {
                assert!(!challenge.contains("error="), "{name}: {challenge}");
            }
            assert_eq!(
                reply
                    .headers
                    .get(http::header::CONTENT_TYPE)
                    .map(|v| v.as_bytes()),
                Some(&b"application/json"[..]),
                "{name}"
            );
            assert!(reply.json()["error"].is_string(), "{name}: {}", reply.body);
        }
        for secret in secrets() {
            reply.assert_not_echoed(&secret, name);
        }
    }
}

/// Check a 503 answer: `Retry-After`, no challenge, never `invalid_token`.
pub(crate) fn assert_unavailable(reply: &Reply, what: &str) {
    assert_eq!(
        reply.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{what}: {reply:?}"
    );
    let retry_after: u64 = reply
        .headers
        .get(http::header::RETRY_AFTER)
        .unwrap_or_else(|| panic!("{what}: no Retry-After"))
        .to_str()
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{what}: Retry-After is not a number of seconds"));
    assert!(retry_after >= 1, "{what}");
    assert_eq!(reply.challenge(), None, "{what}");
    assert!(
        !reply.body.contains("invalid_token"),
        "{what}: {}",
        reply.body
    );
    assert_eq!(reply.json()["error"], "temporarily_unavailable", "{what}");
}
