//! What the authorizer logs: each refusal once, a key-set outage with its
//! reason, never a token. A binary of its own beside `tests/it`: it
//! installs the global tracing subscriber, which would capture every other
//! test's events too.

#[allow(dead_code, reason = "this test uses a few of the shared helpers")]
#[path = "it/support.rs"]
mod support;

use cognito_jwt_lambda::{Authorizer, AuthorizerEvent, AuthorizerOptions};
use cognito_jwt_test_support::LogCapture;
use support::*;

#[tokio::test]
async fn each_refusal_is_logged_once_without_the_token() {
    let captured = LogCapture::global();

    let token = ISSUER.access_token(CLIENT_ID).sign();
    let handle = |authorizer: Authorizer, kind: &'static str, authorization: String| async move {
        let event = AuthorizerEvent::from_json(event(kind, Some(&authorization))).expect("event");
        authorizer.handle(event).await
    };

    let down = Authorizer::new(unavailable_verifier(), AuthorizerOptions::new());
    for kind in ["rest-token", "http-v2", "appsync"] {
        let outcome = handle(down.clone(), kind, bearer(&token)).await;
        assert!(outcome.is_err(), "{kind}");
        // The core also logs each failed fetch (by URL); the refusal of
        // the invocation is logged once, with the reason.
        let logs = captured.take();
        let refusals: Vec<&str> = logs
            .lines()
            .filter(|l| l.contains("cannot verify"))
            .collect();
        assert_eq!(refusals.len(), 1, "{kind}: once per invocation:\n{logs}");
        assert!(refusals[0].contains("WARN"), "{logs}");
        assert!(
            refusals[0].contains("connection refused"),
            "the reason: {logs}"
        );
        assert!(refusals[0].contains("jwks_unavailable"), "the kind: {logs}");
    }

    let serving = Authorizer::new(
        serving_verifier(),
        AuthorizerOptions::new().require_any_group(GROUP),
    );
    let expired = ISSUER.access_token(CLIENT_ID).expires_in(-60).sign();
    for (authorization, kind) in [
        (bearer(&expired), "expired"),
        (bearer(&token), "missing_group"),
    ] {
        let outcome = handle(serving.clone(), "rest-request", authorization).await;
        drop(outcome);
        let logs = captured.take();
        let lines: Vec<&str> = logs.lines().filter(|l| l.contains(kind)).collect();
        assert_eq!(lines.len(), 1, "{kind} logged once:\n{logs}");
        assert!(
            !logs.contains("WARN"),
            "a refused token is no warning: {logs}"
        );
    }
    let logs = captured.text();
    for secret in [&token, &expired] {
        let signature = secret.rsplit('.').next().unwrap_or_default();
        assert!(!logs.contains(signature), "a token was logged");
    }
}
