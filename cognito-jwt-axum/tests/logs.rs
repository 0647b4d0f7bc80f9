//! Refusals are logged at debug, unavailable key sets at warn, and the
//! token never: every event at TRACE level, over the whole case table and
//! requests carrying attacker-chosen text, through the extractor, route and
//! router layers, keys fetched from a local server, and keys unavailable.
//!
//! A binary of its own beside `tests/it`: it installs the global tracing
//! subscriber, which would capture every other test's events too (a
//! thread-local one races with other tests over tracing's per-callsite
//! interest cache).

#[allow(dead_code, reason = "this test uses a few of the shared helpers")]
#[path = "it/support.rs"]
mod support;

use axum::Router;
use axum::routing::get;
use cognito_jwt_axum::{CognitoClaims, CognitoLayer};
use cognito_jwt_core::AccessTokenClaims;
use cognito_jwt_test_support::{LogCapture, attacker_cases, cases, secrets_of, serving_verifier};
use support::*;

async fn me(claims: CognitoClaims<AccessTokenClaims>) -> String {
    claims.sub().to_owned()
}

async fn admin(CognitoClaims(claims): CognitoClaims<AccessTokenClaims>) -> &'static str {
    assert!(claims.in_group(GROUP));
    "welcome"
}

#[track_caller]
fn assert_reveals_nothing(logs: &str, secrets: &[String]) {
    for secret in secrets {
        assert!(
            !logs.contains(secret.as_str()),
            "a log line reveals a token or planted text ({} bytes)",
            secret.len()
        );
    }
}

#[tokio::test(flavor = "current_thread")]
async fn rejections_are_logged_without_the_token() {
    let captured = LogCapture::global();

    let extractor = Router::new().route("/me", get(me)).with_state(verifier());
    let layer = Router::new()
        .route("/me", get(|| async { "ok" }))
        .layer(CognitoLayer::new(verifier()));
    let mut everything = Vec::new();
    for app in [&extractor, &layer] {
        let reply = send(app, request("/me", &bearer(&TOKENS.expired))).await;
        assert_eq!(reply.status, 401);
        let logs = captured.take();
        assert!(logs.contains("DEBUG"), "{logs}");
        assert!(logs.contains("bearer token rejected"), "{logs}");
        assert!(logs.contains("kind=expired"), "{logs}");
        assert_reveals_nothing(&logs, &secrets());
        everything.push(logs);
    }

    let down = Router::new()
        .route("/me", get(me))
        .with_state(unavailable_verifier());
    let reply = send(&down, request("/me", &bearer(&TOKENS.valid))).await;
    assert_eq!(reply.status, 503);
    let logs = captured.take();
    assert!(logs.contains("WARN"), "{logs}");
    assert_reveals_nothing(&logs, &secrets());
    everything.push(logs);

    let token = ISSUER.access_token(CLIENT).sign();
    let reply = send(&extractor, request("/me", &bearer(&token))).await;
    assert_eq!(reply.status, 200);
    let logs = captured.take();
    assert!(
        !logs.contains("rejected"),
        "accepted requests log no refusal"
    );
    assert_reveals_nothing(&logs, &[token]);

    // The whole case table and the attacker's requests, everywhere.
    let jwks = ISSUER.jwks_json();
    let key_server = Router::new().route(
        "/{pool}/.well-known/jwks.json",
        get(move || async move { jwks }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let key_server = tokio::spawn(async move { axum::serve(listener, key_server).await.unwrap() });
    let remote = remote_verifier(&format!(
        "http://{address}/{}/.well-known/jwks.json",
        ISSUER.pool_id()
    ));
    // Verifiers with cached keys but the real key-set URL get only the case
    // table, whose tokens all name a known kid: nothing leaves the process.
    let cached = [
        Router::new()
            .route("/api/admin", get(admin))
            .with_state(group_verifier()),
        Router::new()
            .route(
                "/api/admin",
                get(admin).layer(CognitoLayer::new(verifier()).require_any_group(GROUP)),
            )
            .with_state(verifier()),
    ];
    let isolated = [
        Router::new()
            .route("/api/admin", get(|| async { "welcome" }))
            .layer(
                CognitoLayer::new(remote.clone())
                    .require_any_group(GROUP)
                    .realm("admins"),
            ),
        Router::new()
            .route("/api/admin", get(admin))
            .with_state(serving_verifier(&ISSUER, CLIENT, GROUP)),
        Router::new()
            .route("/api/admin", get(admin))
            .with_state(unavailable_verifier()),
    ];
    let table: Vec<Vec<Vec<u8>>> = cases(&TOKENS)
        .into_iter()
        .map(|case| case.authorization)
        .collect();
    let attacks: Vec<Vec<Vec<u8>>> = attacker_cases(&ISSUER, CLIENT, GROUP)
        .into_iter()
        .map(|case| case.authorization)
        .collect();
    for app in &cached {
        for authorization in &table {
            send(app, request("/api/admin", authorization)).await;
        }
    }
    for app in &isolated {
        for authorization in table.iter().chain(&attacks) {
            send(app, request("/api/admin", authorization)).await;
        }
    }
    key_server.abort();

    let logs = captured.take();
    for expected in [
        "no bearer token",
        "malformed authorization",
        "bearer token rejected",
        "kind=missing_group",
        "kind=unknown_kid",
        "cannot verify bearer token",
        "fetched key set",
        // The HTTP client's connection events: proof that TRACE is captured.
        " TRACE ",
    ] {
        assert!(
            logs.contains(expected),
            "no {expected:?} in the logs:\n{logs}"
        );
    }
    everything.push(logs);
    let mut sent = secrets();
    sent.extend(secrets_of(
        table.iter().chain(&attacks).flatten().map(Vec::as_slice),
    ));
    assert_reveals_nothing(&everything.concat(), &sent);
}
