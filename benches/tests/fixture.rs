//! The benchmark set-up measures what it claims to measure.

use std::sync::Arc;

use cognito_jwt_benches::{Fixture, KeySetServer, POOL_ID};
use cognito_jwt_core::{AccessTokenClaims, ErrorKind};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

#[test]
fn every_case_takes_the_path_its_benchmark_names() {
    // `Fixture::new` panics when a case is accepted or refused unexpectedly.
    let fixture = Fixture::new();
    let len = fixture.access_token().len();
    assert!(
        (900..=1400).contains(&len),
        "not Cognito-sized: {len} bytes"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_cold_verifications_fetch_once() {
    let fixture = Arc::new(Fixture::new());
    let server = KeySetServer::start(POOL_ID, fixture.issuer().jwks_json())
        .await
        .expect("server");
    let verifier = fixture.fresh_verifier(server.url()).expect("verifier");
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..100 {
        let verifier = verifier.clone();
        let fixture = Arc::clone(&fixture);
        tasks.spawn(async move {
            verifier
                .verify::<AccessTokenClaims>(fixture.access_token())
                .await
                .map(|_| ())
                .map_err(|e| e.kind())
        });
    }
    while let Some(outcome) = tasks.join_next().await {
        assert_eq!(outcome.expect("task"), Ok(()));
    }
    assert_eq!(server.requests(), 1);
    assert_eq!(
        verifier
            .verify::<AccessTokenClaims>(fixture.expired_token())
            .await
            .map(|_| ())
            .map_err(|e| e.kind()),
        Err(ErrorKind::Expired)
    );
    assert_eq!(server.requests(), 1);
}

#[tokio::test]
async fn key_set_server_answers_404_elsewhere_without_counting() {
    let server = KeySetServer::start(POOL_ID, "{\"keys\":[]}".to_owned())
        .await
        .expect("server");
    let address = server
        .url()
        .strip_prefix("http://")
        .and_then(|rest| rest.split('/').next())
        .expect("http URL")
        .to_owned();
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    stream
        .write_all(b"GET /other/.well-known/jwks.json HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("read");
    assert!(response.starts_with("HTTP/1.1 404"), "{response}");
    assert_eq!(server.requests(), 0);
}
