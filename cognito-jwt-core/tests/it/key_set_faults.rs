//! Key-set endpoints that fail or misbehave (SECURITY-CASES C 23 and 28,
//! issue 7 item 2): HTTP errors, refused connections, DNS failures,
//! redirects, oversized and compressed bodies, trickling and silent servers,
//! and a server alternating failure and success. wiremock plays the
//! well-behaved failures; a raw TCP server in `common_jwks` plays the rest.

use std::time::Duration;

use cognito_jwt_core::{ErrorKind, MAX_JWKS_BYTES};
use tokio::task::JoinSet;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::key_server::*;

#[tokio::test]
async fn http_error_statuses_are_unavailable_and_back_off() {
    for status in [500, 502, 503, 404, 403, 429] {
        let server = MockServer::start().await;
        let response = ResponseTemplate::new(status).insert_header("retry-after", "1");
        let _jwks = serve(&server, response, 1).await;
        let verifier = builder(&server.uri()).build().unwrap();

        let error = assert_unavailable(verify(&verifier, &token()).await);
        assert!(error.message().contains(&status.to_string()), "{status}");
        // Backed off: refused again without a request.
        assert_unavailable(verify(&verifier, &token()).await);
    }
}

#[tokio::test]
async fn refused_connection_is_unavailable() {
    let base = format!("http://127.0.0.1:{}", closed_port().await);
    let verifier = builder(&base).build().unwrap();
    assert_unavailable(verify(&verifier, &token()).await);
    assert_unavailable(verify(&verifier, &token()).await);
}

#[tokio::test]
async fn dns_failure_is_unavailable() {
    // `.invalid` never resolves (RFC 2606), with or without a network.
    let verifier = builder("http://no-such-host.invalid").build().unwrap();
    let result = tokio::time::timeout(HANG_GUARD, verify(&verifier, &token()))
        .await
        .expect("resolution fails within the fetch time-out");
    assert_unavailable(result);
}

/// Documented choice: with a key set cached, a token whose kid it lacks is
/// refused as `unknown_kid` even when the refetch fails, rather than making
/// every forged kid a 503 during an outage.
#[tokio::test]
async fn unknown_kid_during_an_outage_is_unavailable_and_known_kids_verify() {
    let server = MockServer::start().await;
    let verifier = builder(&server.uri())
        .key_set_options(quiet_key_sets().cooldown(Duration::from_millis(100)))
        .build()
        .unwrap();
    {
        let _good = serve(&server, json_response(ISSUER.jwks_json()), 1).await;
        verify(&verifier, &token()).await.unwrap();
    }
    let _down = serve(&server, ResponseTemplate::new(500), 1).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    // The refetch fails: the new kid may be a rotated key, so this is an
    // outage (503), not an invalid token; and so is the next attempt during
    // the back-off, without a request.
    assert_eq!(
        kind_of(verify(&verifier, &token_signed_by(&KEY_B)).await),
        ErrorKind::JwksUnavailable
    );
    assert_eq!(
        kind_of(verify(&verifier, &token_signed_by(&KEY_B)).await),
        ErrorKind::JwksUnavailable
    );
    verify(&verifier, &token()).await.unwrap();
}

#[tokio::test]
async fn redirects_are_refused_and_not_followed() {
    for status in [301, 302, 303, 307, 308] {
        let elsewhere = MockServer::start().await;
        let _target = Mock::given(method("GET"))
            .respond_with(json_response(ISSUER.jwks_json()))
            .expect(0)
            .mount_as_scoped(&elsewhere)
            .await;
        let server = MockServer::start().await;
        let redirect = ResponseTemplate::new(status)
            .insert_header("location", format!("{}{}", elsewhere.uri(), jwks_path()));
        let _jwks = serve(&server, redirect, 1).await;
        let verifier = builder(&server.uri()).build().unwrap();

        assert_unavailable(verify(&verifier, &token()).await);
    }
}

#[tokio::test]
async fn ten_megabyte_body_with_a_length_is_refused() {
    let server = MockServer::start().await;
    let mut body = vec![b' '; 10 * 1024 * 1024];
    let document = ISSUER.jwks_json();
    body.extend_from_slice(document.as_bytes());
    let _jwks = serve(&server, json_response("").set_body_bytes(body), 1).await;
    let verifier = builder(&server.uri()).build().unwrap();
    assert_unavailable(verify(&verifier, &token()).await);
}

#[tokio::test]
async fn body_at_the_cap_is_accepted_and_one_byte_more_is_refused() {
    let document = ISSUER.jwks_json();
    let padded = |len: usize| format!("{}{document}", " ".repeat(len - document.len()));

    let server = MockServer::start().await;
    let _jwks = serve(&server, json_response(padded(MAX_JWKS_BYTES)), 1).await;
    let verifier = builder(&server.uri()).build().unwrap();
    verify(&verifier, &token())
        .await
        .expect("a body of exactly the cap is read");

    let server = MockServer::start().await;
    let _jwks = serve(&server, json_response(padded(MAX_JWKS_BYTES + 1)), 1).await;
    let verifier = builder(&server.uri()).build().unwrap();
    assert_unavailable(verify(&verifier, &token()).await);
}

#[tokio::test]
async fn chunked_body_over_the_cap_is_aborted_early() {
    let total = 10 * 1024 * 1024;
    let server = RawServer::start(Fault::Chunked { total }).await;
    let verifier = builder(&server.uri()).build().unwrap();

    assert_unavailable(verify(&verifier, &token()).await);
    assert!(
        server.client_hung_up().await,
        "the client stopped reading before the 10 MiB body was sent"
    );
}

#[tokio::test]
async fn gzip_bomb_is_refused() {
    // Inflates to 8 MiB of spaces and a valid key set; compressed it is
    // under the cap, so only refusing compressed responses stops it.
    let bomb = gzip_bomb(8 * 1024 * 1024, ISSUER.jwks_json().as_bytes());
    assert!(bomb.len() < MAX_JWKS_BYTES, "{} bytes", bomb.len());
    let server = RawServer::start(Fault::Gzip(bomb)).await;
    let verifier = builder(&server.uri()).build().unwrap();

    assert_unavailable(verify(&verifier, &token()).await);
    let heads = server.request_heads();
    assert_eq!(heads.len(), 1);
    assert!(
        heads[0].contains("\r\naccept-encoding: identity\r\n"),
        "the fetcher asks for an uncompressed body: {}",
        heads[0]
    );
}

#[tokio::test]
async fn compressed_key_set_is_refused_even_when_small() {
    let gzipped = gzip_bomb(0, ISSUER.jwks_json().as_bytes());
    let server = RawServer::start(Fault::Gzip(gzipped)).await;
    let verifier = builder(&server.uri()).build().unwrap();
    assert_unavailable(verify(&verifier, &token()).await);
}

/// Start `callers` concurrent verifications and wait (bounded) for all.
async fn concurrent_results(verifier: &cognito_jwt_core::CognitoJwtVerifier, callers: usize) {
    let mut tasks = JoinSet::new();
    for _ in 0..callers {
        let verifier = verifier.clone();
        tasks.spawn(async move { verify(&verifier, &token()).await });
    }
    let results = tokio::time::timeout(HANG_GUARD, tasks.join_all())
        .await
        .expect("every waiting caller is released");
    assert_eq!(results.len(), callers);
    for result in results {
        assert_unavailable(result);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trickling_body_hits_the_total_timeout_and_releases_waiting_callers() {
    let server = RawServer::start(Fault::Trickle {
        body: ISSUER.jwks_json().into_bytes(),
        interval: Duration::from_secs(1),
    })
    .await;
    let verifier = builder(&server.uri())
        .key_set_options(quiet_key_sets().fetch_timeout(Duration::from_millis(500)))
        .build()
        .unwrap();

    concurrent_results(&verifier, 50).await;
    assert_eq!(server.requests(), 1, "waiting callers share the one fetch");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_server_hits_the_total_timeout_and_releases_waiting_callers() {
    let server = RawServer::start(Fault::Silent).await;
    let verifier = builder(&server.uri())
        .key_set_options(quiet_key_sets().fetch_timeout(Duration::from_millis(500)))
        .build()
        .unwrap();

    concurrent_results(&verifier, 50).await;
    assert_eq!(server.requests(), 1, "waiting callers share the one fetch");
}

#[tokio::test]
async fn slow_refresh_does_not_hold_up_cached_keys_beyond_the_timeout() {
    let server = MockServer::start().await;
    let verifier = builder(&server.uri())
        .key_set_options(
            quiet_key_sets()
                .cooldown(Duration::from_millis(100))
                .refresh_interval(Duration::from_millis(300))
                .fetch_timeout(Duration::from_millis(500)),
        )
        .build()
        .unwrap();
    {
        let _good = serve(&server, json_response(ISSUER.jwks_json()), 1).await;
        verify(&verifier, &token()).await.unwrap();
    }
    let slow = json_response(ISSUER.jwks_json()).set_delay(Duration::from_secs(60));
    let _slow = serve(&server, slow, 1).await;
    tokio::time::sleep(Duration::from_millis(400)).await;

    let result = tokio::time::timeout(HANG_GUARD, verify(&verifier, &token()))
        .await
        .expect("the refresh gives up after the fetch time-out");
    result.expect("the cached key verifies while the refresh times out");
    verify(&verifier, &token()).await.unwrap();
}
