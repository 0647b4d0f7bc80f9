//! Refusals are logged at debug, unavailable key sets at warn, and the
//! token never. A separate binary, as it installs a subscriber.

mod common;

use std::io;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::routing::get;
use cognito_jwt_axum::{CognitoClaims, CognitoLayer};
use cognito_jwt_core::AccessTokenClaims;
use common::*;
use tracing_subscriber::util::SubscriberInitExt;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn take(&self) -> String {
        let bytes = std::mem::take(&mut *self.0.lock().expect("log buffer"));
        String::from_utf8(bytes).expect("UTF-8 logs")
    }
}

async fn me(claims: CognitoClaims<AccessTokenClaims>) -> String {
    claims.sub.clone()
}

/// The runtime is single-threaded, so the thread-local subscriber sees
/// every event of the request.
#[tokio::test(flavor = "current_thread")]
async fn rejections_are_logged_without_the_token() {
    let captured = Captured::default();
    let writer = captured.clone();
    let _guard = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish()
        .set_default();

    let extractor = Router::new().route("/me", get(me)).with_state(verifier());
    let layer = Router::new()
        .route("/me", get(|| async { "ok" }))
        .layer(CognitoLayer::new(verifier()));
    for app in [&extractor, &layer] {
        let reply = send(app, request("/me", &bearer(&TOKENS.expired))).await;
        assert_eq!(reply.status, 401);
        let logs = captured.take();
        assert!(logs.contains("DEBUG"), "{logs}");
        assert!(logs.contains("bearer token rejected"), "{logs}");
        assert!(logs.contains("kind=expired"), "{logs}");
        for secret in secrets() {
            assert!(!logs.contains(&secret), "the token was logged: {logs}");
        }
    }

    let down = Router::new()
        .route("/me", get(me))
        .with_state(unavailable_verifier());
    let reply = send(&down, request("/me", &bearer(&TOKENS.valid))).await;
    assert_eq!(reply.status, 503);
    let logs = captured.take();
    assert!(logs.contains("WARN"), "{logs}");
    for secret in secrets() {
        assert!(!logs.contains(&secret), "the token was logged: {logs}");
    }

    let token = ISSUER.access_token(CLIENT).sign();
    let reply = send(&extractor, request("/me", &bearer(&token))).await;
    assert_eq!(reply.status, 200);
    assert!(
        !captured.take().contains("rejected"),
        "accepted requests log no refusal"
    );
}
