//! The tracing spans (issue 24): one `cognito_jwt.verify` span per
//! verification (`verify`, `verify_sync`, token-cache hits) with its
//! outcome, and one `cognito_jwt.key_fetch` span per key-set fetch with the
//! key server's host (never the URL's path or query), the reason and the
//! outcome; no span field holds a token, a token segment or a claim value.
//!
//! It reads the process's global subscriber, holding the process lock
//! (`crate::alone`) so that no other test's spans are captured.
use std::time::Duration;

use cognito_jwt_core::testing::TestIssuer;
use cognito_jwt_core::{
    AccessTokenClaims, CognitoJwtVerifier, ErrorKind, KeySetOptions, TokenUse, UserPool,
};
use serde_json::Value;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::CapturedSpan;

const POOL: &str = "eu-west-1_SpansTest1";
const CLIENT: &str = "spans-test-client";

/// Values planted in the tokens and the key-set URL; none may reach a span.
const PLANTED: &[&str] = &[
    "sub-planted-7d21c0",
    "user-planted-3b9e1f",
    "tenant-planted-c0a4d2",
    "group-planted-5e6f7a",
    "query-planted-8c1d3e",
    "path-planted-2a4b6c",
];

fn verifier(server: &MockServer, route: &str) -> CognitoJwtVerifier {
    CognitoJwtVerifier::builder()
        .user_pool(
            UserPool::new(POOL)
                .client_id(CLIENT)
                .token_use(TokenUse::Access)
                .jwks_uri(format!(
                    "{}{route}?tenant=query-planted-8c1d3e",
                    server.uri()
                )),
        )
        .key_set_options(
            KeySetOptions::default()
                .cooldown(Duration::from_secs(60))
                .backoff(Duration::from_secs(30), Duration::from_secs(60)),
        )
        .metrics_name("spans-test")
        .token_cache_max_bytes(1024 * 1024)
        .build()
        .expect("verifier")
}

fn named<'a>(spans: &'a [CapturedSpan], name: &str) -> Vec<&'a CapturedSpan> {
    spans.iter().filter(|span| span.name == name).collect()
}

/// A verification span's outcome, token use, token-cache use, error type
/// and status.
type Outcome<'a> = (
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
);

fn outcome_of(span: &CapturedSpan) -> Outcome<'_> {
    (
        span.field("cognito_jwt.outcome"),
        span.field("cognito_jwt.token_use"),
        span.field("cognito_jwt.token_cache_hit"),
        span.field("error.type"),
        span.field("otel.status_code"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_span_per_verification_and_per_key_fetch_naming_no_token_or_claim() {
    let _alone = crate::alone().await;
    let logs = crate::logs();

    let issuer = TestIssuer::new(POOL);
    let server = MockServer::start().await;
    let keys = "/path-planted-2a4b6c/jwks.json";
    Mock::given(method("GET"))
        .and(path(keys))
        .respond_with(ResponseTemplate::new(200).set_body_string(issuer.jwks_json()))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/down/jwks.json"))
        .respond_with(ResponseTemplate::new(500).set_body_string("path-planted-2a4b6c"))
        .mount(&server)
        .await;
    let working = verifier(&server, keys);
    let broken = verifier(&server, "/down/jwks.json");

    let planted = |builder: cognito_jwt_core::testing::TokenBuilder<'_>| {
        builder
            .claim("sub", "sub-planted-7d21c0")
            .claim("username", "user-planted-3b9e1f")
            .claim("custom:tenant", "tenant-planted-c0a4d2")
            .group("group-planted-5e6f7a")
            .sign()
    };
    let valid = planted(issuer.access_token(CLIENT));
    let expired = planted(issuer.access_token(CLIENT).expires_in(-600));

    let claims: AccessTokenClaims = working.verify(&valid).await.expect("valid, fetched");
    assert_eq!(claims.client_id(), CLIENT);
    // The first verification's entry predates the key set it fetched (see
    // `KeyCache::generation`): the second stores one the third is served.
    let _: AccessTokenClaims = working.verify(&valid).await.expect("valid, stored");
    let _: AccessTokenClaims = working.verify(&valid).await.expect("valid, cached");
    let refused = working.verify_sync::<Value>(&expired).expect_err("expired");
    assert_eq!(refused.kind(), ErrorKind::Expired);
    let refused = broken.verify::<Value>(&valid).await.expect_err("no keys");
    assert_eq!(refused.kind(), ErrorKind::JwksUnavailable);

    let spans = logs.spans();
    let verifications = named(&spans, "cognito_jwt.verify");
    assert_eq!(
        verifications
            .iter()
            .map(|span| outcome_of(span))
            .collect::<Vec<_>>(),
        [
            (Some("ok"), Some("access"), Some("false"), None, None),
            (Some("ok"), Some("access"), Some("false"), None, None),
            (Some("ok"), Some("access"), Some("true"), None, None),
            (
                Some("expired"),
                None,
                Some("false"),
                Some("expired"),
                Some("ERROR")
            ),
            (
                Some("jwks_unavailable"),
                None,
                Some("false"),
                Some("jwks_unavailable"),
                Some("ERROR")
            ),
        ],
        "{verifications:#?}"
    );
    for span in &verifications {
        assert_eq!(span.field("cognito_jwt.verifier"), Some("spans-test"));
    }

    let fetches = named(&spans, "cognito_jwt.key_fetch");
    let port = server.address().port().to_string();
    assert_eq!(fetches.len(), 2, "{fetches:#?}");
    for (span, outcome) in fetches.iter().zip(["ok", "error"]) {
        assert_eq!(span.field("http.request.method"), Some("GET"));
        assert_eq!(span.field("url.scheme"), Some("http"));
        assert_eq!(span.field("server.address"), Some("127.0.0.1"));
        assert_eq!(span.field("server.port"), Some(port.as_str()));
        assert_eq!(span.field("cognito_jwt.fetch.reason"), Some("cold"));
        assert_eq!(span.field("cognito_jwt.fetch.outcome"), Some(outcome));
        assert_eq!(span.field("cognito_jwt.verifier"), Some("spans-test"));
        assert!(
            span.field("cognito_jwt.fetch.duration_ms")
                .is_some_and(|ms| ms.parse::<u64>().is_ok()),
            "{span:#?}"
        );
    }
    assert_eq!(fetches[1].field("error.type"), Some("jwks_unavailable"));
    assert_eq!(fetches[1].field("otel.status_code"), Some("ERROR"));

    let secrets = [valid.as_str(), expired.as_str()]
        .into_iter()
        .flat_map(|token| std::iter::once(token).chain(token.split('.')))
        .chain(PLANTED.iter().copied());
    for secret in secrets {
        for span in &spans {
            for value in span.fields.values() {
                assert!(
                    !value.contains(secret),
                    "a field of {} holds {secret}",
                    span.name
                );
            }
        }
    }
}
