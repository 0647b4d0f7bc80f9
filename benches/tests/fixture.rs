//! The benchmark set-up measures what it claims to measure.

use std::sync::Arc;

use cognito_jwt_benches::{CLIENT_ID, Fixture, KeySetServer, POOL_ID, TestCa};
use cognito_jwt_core::{
    AccessTokenClaims, CognitoJwtVerifier, ErrorKind, ReqwestFetcher, TokenUse, UserPool,
};
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

/// The cold start's HTTPS case: the test CA's chain is accepted by a
/// client that trusts its root, the key set is fetched once, and a client
/// that does not trust the root is refused before any request is counted.
#[tokio::test]
async fn the_key_set_over_https_is_fetched_once_by_a_client_trusting_the_test_ca() {
    let fixture = Fixture::new();
    let test_ca = TestCa::new().expect("test CA");
    let server = KeySetServer::start_tls(
        POOL_ID,
        fixture.issuer().jwks_json(),
        test_ca.server_config(),
    )
    .await
    .expect("server");
    assert!(
        server.url().starts_with("https://127.0.0.1:"),
        "{}",
        server.url()
    );

    let root = reqwest::Certificate::from_der(test_ca.root_der()).expect("root");
    let client = reqwest::Client::builder()
        .tls_certs_only([root])
        .build()
        .expect("client");
    let verifier = CognitoJwtVerifier::builder()
        .user_pool(
            UserPool::new(POOL_ID)
                .client_id(CLIENT_ID)
                .token_use(TokenUse::Access)
                .jwks_uri(server.url()),
        )
        .fetcher(ReqwestFetcher::from_client(client))
        .build()
        .expect("verifier");
    for _ in 0..2 {
        verifier
            .verify::<AccessTokenClaims>(fixture.access_token())
            .await
            .expect("verified");
    }
    assert_eq!(server.requests(), 1);

    let root_pem = reqwest::Certificate::from_pem(test_ca.root_pem().as_bytes());
    assert!(root_pem.is_ok(), "the PEM form parses too");
    let stranger = reqwest::Client::builder()
        .tls_certs_only([])
        .build()
        .expect("client");
    assert!(stranger.get(server.url()).send().await.is_err());
    assert_eq!(server.requests(), 1);
}
