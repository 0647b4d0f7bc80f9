//! The probe of Cognito's `GetUser` against a real moto server: a session
//! ended at Cognito (`GlobalSignOut`) is refused within one probe
//! interval; 1,000 concurrent requests of one session make one `GetUser`;
//! a failing probe never changes an answer. `GetUser` calls are counted by
//! a forwarding proxy in front of moto.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use cognito_jwt_core::{
    AccessTokenClaims, CognitoJwtVerifier, ErrorKind, RevocationList, RevocationProbe, TokenUse,
    UserPool,
};
use cognito_jwt_examples::local_fetcher;
use cognito_jwt_test_support::{MotoPool, MotoServer, free_port};
use serde_json::json;

/// A proxy in front of moto's API that counts `GetUser` calls.
async fn counting_proxy(moto: String) -> (String, Arc<AtomicUsize>) {
    let count = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&count);
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("test set-up");
    let app = axum::Router::new().fallback(move |headers: HeaderMap, body: Bytes| {
        let (client, counted, moto) = (client.clone(), Arc::clone(&counted), moto.clone());
        async move {
            let target = headers
                .get("x-amz-target")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            if target.ends_with(".GetUser") {
                counted.fetch_add(1, Ordering::SeqCst);
            }
            let answer = client
                .post(&moto)
                .header("content-type", "application/x-amz-json-1.1")
                .header("x-amz-target", target)
                .body(body)
                .send()
                .await
                .expect("test set-up");
            let status = StatusCode::from_u16(answer.status().as_u16()).expect("test set-up");
            let error_type = answer
                .headers()
                .get("x-amzn-errortype")
                .map(|v| v.to_str().unwrap_or_default().to_owned());
            let text = answer.text().await.unwrap_or_default();
            let mut response = (status, text).into_response();
            if let Some(error_type) = error_type {
                response
                    .headers_mut()
                    .insert("x-amzn-errortype", error_type.parse().expect("test set-up"));
            }
            response
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("test set-up");
    let address = listener.local_addr().expect("test set-up");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("test set-up") });
    (format!("http://{address}/"), count)
}

fn verifier(moto: &MotoServer, pool: &MotoPool, probe: RevocationProbe) -> CognitoJwtVerifier {
    CognitoJwtVerifier::builder()
        .user_pool(
            UserPool::new(&pool.pool_id)
                .client_id(&pool.client_id)
                .token_use(TokenUse::Access)
                .jwks_uri(moto.jwks_uri(&pool.pool_id)),
        )
        .fetcher(local_fetcher().expect("test set-up"))
        .revocation(RevocationList::new())
        .revocation_probe(probe)
        .build()
        .expect("test set-up")
}

async fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !done() {
        assert!(Instant::now() < deadline, "never happened: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_ended_at_cognito_is_refused_within_one_probe_interval() {
    let Some(moto) =
        MotoServer::start("a_session_ended_at_cognito_is_refused_within_one_probe_interval")
    else {
        return;
    };
    let pool = moto.pool();
    let (proxy, get_users) = counting_proxy(moto.endpoint()).await;

    // 1,000 concurrent requests of one session: one GetUser.
    let patient = verifier(
        &moto,
        &pool,
        RevocationProbe::new()
            .endpoint(&proxy)
            .interval(Duration::from_secs(3600)),
    );
    let token = moto.sign_in(&pool);
    patient.hydrate().await.unwrap();
    let requests: Vec<_> = (0..1000)
        .map(|_| {
            let (verifier, token) = (patient.clone(), token.clone());
            tokio::spawn(async move { verifier.verify::<AccessTokenClaims>(&token).await })
        })
        .collect();
    for request in requests {
        request
            .await
            .unwrap()
            .expect("valid: nothing waits on the probe");
    }
    eventually("the probe asked", || get_users.load(Ordering::SeqCst) == 1).await;

    // Signed out at Cognito: refused once the next probe (1 s) has asked.
    let prompt = verifier(
        &moto,
        &pool,
        RevocationProbe::new()
            .endpoint(&proxy)
            .interval(Duration::from_secs(1)),
    );
    prompt.hydrate().await.unwrap();
    let signed_in = moto.sign_in(&pool);
    prompt
        .verify::<AccessTokenClaims>(&signed_in)
        .await
        .unwrap();
    let (status, answer) = moto
        .call("GlobalSignOut", &json!({"AccessToken": signed_in}))
        .unwrap();
    assert_eq!(status, 200, "{answer}");
    let started = Instant::now();
    eventually("refused after the sign-out at Cognito", || {
        prompt
            .verify_sync::<AccessTokenClaims>(&signed_in)
            .err()
            .map(|e| e.kind())
            == Some(ErrorKind::Revoked)
    })
    .await;
    assert!(
        get_users.load(Ordering::SeqCst) <= 2 + started.elapsed().as_secs() as usize + 1,
        "one GetUser per session per interval"
    );
    assert_eq!(
        patient
            .verify::<AccessTokenClaims>(&token)
            .await
            .err()
            .map(|e| e.kind()),
        None,
        "the other verifier's list was not told: its probe is not due"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_probe_never_changes_an_answer() {
    let Some(moto) = MotoServer::start("a_failing_probe_never_changes_an_answer") else {
        return;
    };
    let pool = moto.pool();
    let nowhere = format!("http://127.0.0.1:{}/", free_port());
    let verifier = verifier(
        &moto,
        &pool,
        RevocationProbe::new()
            .endpoint(&nowhere)
            .interval(Duration::from_secs(1)),
    );
    verifier.hydrate().await.unwrap();
    let token = moto.sign_in(&pool);
    for _ in 0..50 {
        verifier
            .verify::<AccessTokenClaims>(&token)
            .await
            .expect("a failing probe is never a 503");
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
    assert!(verifier.is_ready());
}

#[test]
fn the_probe_needs_a_list_and_a_sane_endpoint() {
    let pool = || {
        UserPool::new("us-east-1_Probe")
            .client_id("c")
            .token_use(TokenUse::Access)
    };
    let error = CognitoJwtVerifier::builder()
        .user_pool(pool())
        .revocation_probe(RevocationProbe::new())
        .build()
        .unwrap_err();
    assert_eq!(error.name(), Some("revocation_probe"));
    let error = CognitoJwtVerifier::builder()
        .user_pool(pool())
        .revocation(RevocationList::new())
        .revocation_probe(RevocationProbe::new().endpoint("ftp://x"))
        .build()
        .unwrap_err();
    assert_eq!(error.name(), Some("COGNITO_IDP_ENDPOINT"));
}
