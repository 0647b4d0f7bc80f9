//! The load balancers' key cache as the outside security review found it
//! (SECURITY-CASES 41, 42, 51, 52f): which answers of the key endpoint
//! mean "no such key" and for how long, `verify_sync` giving the verdicts
//! of `verify`, a readable key of the wrong type, and keys that expire.
//!
//! Every test runs on paused Tokio time with an in-process key endpoint,
//! so every count of fetches is exact.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use base64::Engine as _;
use cognito_jwt_core::testing::{TestAlb, TestAlbKeys, TestCurveKey, TestKey, random_uuid};
use cognito_jwt_core::{
    AlbClaims, AlbJwtVerifier, AlbJwtVerifierBuilder, ErrorKind, FetchError, FetchFuture,
    JwksFetcher, KeySetOptions,
};

const COOLDOWN: Duration = Duration::from_secs(10);
const REFRESH: Duration = Duration::from_secs(15 * 60);
const MAX_STALENESS: Duration = Duration::from_secs(24 * 3600);

/// A load balancer's key endpoint that answers with an HTTP error status,
/// or slowly, on demand; otherwise as its [`TestAlbKeys`].
#[derive(Clone)]
struct Endpoint {
    keys: TestAlbKeys,
    script: Arc<Mutex<(Option<u16>, Duration)>>,
    fetches: Arc<AtomicU64>,
}

impl Endpoint {
    fn of(alb: &TestAlb) -> Self {
        Self {
            keys: alb.key_server(),
            script: Arc::default(),
            fetches: Arc::default(),
        }
    }

    /// Answer every fetch with `status`, or serve the documents with `None`.
    fn answer(&self, status: Option<u16>) {
        self.script.lock().unwrap_or_else(PoisonError::into_inner).0 = status;
    }

    /// Take `delay` (Tokio time) to answer.
    fn delay(&self, delay: Duration) {
        self.script.lock().unwrap_or_else(PoisonError::into_inner).1 = delay;
    }

    fn fetches(&self) -> u64 {
        self.fetches.load(Ordering::SeqCst)
    }
}

impl JwksFetcher for Endpoint {
    fn fetch<'a>(&'a self, url: &'a str) -> FetchFuture<'a> {
        self.fetches.fetch_add(1, Ordering::SeqCst);
        let (status, delay) = *self.script.lock().unwrap_or_else(PoisonError::into_inner);
        Box::pin(async move {
            tokio::time::sleep(delay).await;
            match status {
                Some(status) => Err(FetchError::http_status(status, format!("HTTP {status}"))),
                None => self.keys.fetch(url).await,
            }
        })
    }
}

fn builder(alb: &TestAlb, endpoint: &Endpoint) -> AlbJwtVerifierBuilder {
    alb.verifier_builder().fetcher(endpoint.clone())
}

async fn verdict(verifier: &AlbJwtVerifier, token: &str) -> Result<(), ErrorKind> {
    verifier
        .verify::<AlbClaims>(token)
        .await
        .map(drop)
        .map_err(|e| e.kind())
}

fn sync_verdict(verifier: &AlbJwtVerifier, token: &str) -> Result<(), ErrorKind> {
    verifier
        .verify_sync::<AlbClaims>(token)
        .map(drop)
        .map_err(|e| e.kind())
}

/// Let the fetch tasks run (paused time: no real wait).
async fn settle() {
    tokio::time::sleep(Duration::from_millis(1)).await;
}

fn pem(der: &[u8]) -> String {
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    format!("-----BEGIN PUBLIC KEY-----\n{body}\n-----END PUBLIC KEY-----\n")
}

/// An RSA public key as a PEM `PUBLIC KEY` document (SubjectPublicKeyInfo).
fn rsa_pem() -> String {
    let pkcs1 = TestKey::generate("r").public_der();
    let mut bits = vec![0u8];
    bits.extend_from_slice(&pkcs1);
    let algorithm = [
        0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
    ];
    let bit_string = der(0x03, &bits);
    pem(&der(0x30, &[&algorithm[..], &bit_string].concat()))
}

/// A DER element (lengths up to 65535 bytes).
fn der(tag: u8, contents: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    match u8::try_from(contents.len()) {
        Ok(len) if len < 0x80 => out.push(len),
        Ok(len) => out.extend([0x81, len]),
        Err(_) => {
            out.push(0x82);
            out.extend(
                u16::try_from(contents.len())
                    .expect("a key document under 64 KiB")
                    .to_be_bytes(),
            );
        }
    }
    out.extend_from_slice(contents);
    out
}

/// A P-384 public key as a PEM `PUBLIC KEY` document.
fn p384_pem() -> String {
    let mut spki = vec![
        0x30, 0x76, 0x30, 0x10, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x05,
        0x2b, 0x81, 0x04, 0x00, 0x22, 0x03, 0x62, 0x00,
    ];
    spki.extend_from_slice(&TestCurveKey::es384("x").public_key());
    pem(&spki)
}

// Finding 3 (case 41).

#[tokio::test(start_paused = true)]
async fn throttled_or_proxied_answers_are_an_outage_and_the_key_verifies_after() {
    for status in [429, 408, 407, 401, 410, 500, 502, 503] {
        let alb = TestAlb::new("eu-west-1");
        let endpoint = Endpoint::of(&alb);
        let verifier = builder(&alb, &endpoint)
            .key_set_options(
                KeySetOptions::default().backoff(Duration::from_secs(1), Duration::from_secs(4)),
            )
            .build()
            .unwrap();
        endpoint.answer(Some(status));
        let error = verifier
            .verify::<AlbClaims>(&alb.data().sign())
            .await
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::JwksUnavailable, "HTTP {status}");
        assert!(error.retry_after().is_some(), "HTTP {status}");
        // During the back-off: the same answer, no fetch.
        assert_eq!(
            verdict(&verifier, &alb.data().sign()).await,
            Err(ErrorKind::JwksUnavailable),
            "HTTP {status}"
        );
        assert_eq!(endpoint.fetches(), 1, "HTTP {status}");
        // The endpoint recovers: after the back-off, the key is fetched.
        endpoint.answer(None);
        tokio::time::advance(Duration::from_millis(1001)).await;
        assert_eq!(
            verdict(&verifier, &alb.data().sign()).await,
            Ok(()),
            "HTTP {status}"
        );
        assert_eq!(endpoint.fetches(), 2, "HTTP {status}");
    }
}

#[tokio::test(start_paused = true)]
async fn a_missing_key_is_remembered_for_one_cooldown_only() {
    // 404, and the 403 an S3 key bucket answers for a missing object: the
    // key was not published yet when the first token came.
    for status in [404, 403] {
        let alb = TestAlb::new("eu-west-1");
        let endpoint = Endpoint::of(&alb);
        let verifier = builder(&alb, &endpoint)
            .key_set_options(KeySetOptions::default().cooldown(COOLDOWN))
            .build()
            .unwrap();
        endpoint.answer(Some(status));
        let token = alb.data().sign();
        assert_eq!(
            verdict(&verifier, &token).await,
            Err(ErrorKind::UnknownKid),
            "HTTP {status}"
        );
        assert_eq!(verdict(&verifier, &token).await, Err(ErrorKind::UnknownKid));
        assert_eq!(endpoint.fetches(), 1, "remembered within the cool-down");
        endpoint.answer(None);
        tokio::time::advance(COOLDOWN + Duration::from_millis(1)).await;
        assert_eq!(
            verdict(&verifier, &token).await,
            Ok(()),
            "HTTP {status}: forgotten after one cool-down"
        );
        assert_eq!(endpoint.fetches(), 2);
    }
}

// Finding 4 (case 42).

#[tokio::test(start_paused = true)]
async fn verify_sync_refuses_a_kid_known_missing_as_verify_does() {
    let alb = TestAlb::new("eu-west-1");
    let verifier = alb.verifier();
    let attacker = TestCurveKey::es256(random_uuid());
    let forged = alb
        .data()
        .header("kid", attacker.kid())
        .sign_with(&attacker);
    assert_eq!(
        verdict(&verifier, &forged).await,
        Err(ErrorKind::UnknownKid)
    );
    assert_eq!(sync_verdict(&verifier, &forged), Err(ErrorKind::UnknownKid));
    assert_eq!(alb.key_server().fetches(), 1);
}

#[tokio::test(start_paused = true)]
async fn verify_sync_alone_loads_keys_in_the_background() {
    let alb = TestAlb::new("eu-west-1");
    let verifier = alb.verifier();
    let server = alb.key_server();
    let token = alb.data().sign();
    for _ in 0..100 {
        assert_eq!(
            sync_verdict(&verifier, &token),
            Err(ErrorKind::JwksNotCached)
        );
    }
    settle().await;
    assert_eq!(server.fetches(), 1, "one fetch, in the background");
    assert_eq!(sync_verdict(&verifier, &token), Ok(()));
    assert_eq!(sync_verdict(&verifier, &alb.data().sign()), Ok(()));
    assert_eq!(server.fetches(), 1);

    // A forged random kid: not cached yet, then what verify says.
    let attacker = TestCurveKey::es256(random_uuid());
    let forged = alb
        .data()
        .header("kid", attacker.kid())
        .sign_with(&attacker);
    assert_eq!(
        sync_verdict(&verifier, &forged),
        Err(ErrorKind::JwksNotCached)
    );
    settle().await;
    assert_eq!(sync_verdict(&verifier, &forged), Err(ErrorKind::UnknownKid));
    // Another random kid within the cool-down: refused, not fetched.
    let other = alb.data().header("kid", random_uuid()).sign_with(&attacker);
    assert_eq!(sync_verdict(&verifier, &other), Err(ErrorKind::UnknownKid));
    assert_eq!(verdict(&verifier, &other).await, Err(ErrorKind::UnknownKid));
    settle().await;
    assert_eq!(server.fetches(), 2);
}

#[tokio::test(start_paused = true)]
async fn verify_sync_during_an_outage_is_unavailable_as_verify_is() {
    let alb = TestAlb::new("eu-west-1");
    let verifier = alb.verifier();
    let server = alb.key_server();
    server.fail(Some("connection refused"));
    let token = alb.data().sign();
    assert_eq!(
        sync_verdict(&verifier, &token),
        Err(ErrorKind::JwksNotCached)
    );
    settle().await;
    assert_eq!(
        sync_verdict(&verifier, &token),
        Err(ErrorKind::JwksUnavailable)
    );
    assert_eq!(
        verdict(&verifier, &token).await,
        Err(ErrorKind::JwksUnavailable)
    );
    assert_eq!(server.fetches(), 1);
}

#[test]
fn verify_sync_without_a_runtime_says_so() {
    let alb = TestAlb::new("eu-west-1");
    let verifier = alb.verifier();
    let error = verifier
        .verify_sync::<AlbClaims>(&alb.data().sign())
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::JwksNotCached);
    assert!(error.message().contains("Tokio runtime"), "{error}");
    assert_eq!(alb.key_server().fetches(), 0);
}

#[test]
fn verify_sync_off_the_runtime_fetches_on_the_one_it_was_built_on() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let alb = TestAlb::new("eu-west-1");
    let verifier = runtime.block_on(async { alb.verifier() });
    let token = alb.data().sign();
    assert_eq!(
        sync_verdict(&verifier, &token),
        Err(ErrorKind::JwksNotCached)
    );
    // The fetch runs on the verifier's runtime; wait for it there.
    runtime.block_on(async {
        for _ in 0..1000 {
            if verifier.verify_sync::<AlbClaims>(&token).is_ok() {
                break;
            }
            tokio::task::yield_now().await;
        }
    });
    assert_eq!(sync_verdict(&verifier, &token), Ok(()));
    // One fetch: a caller that missed the key just before the fetch stored
    // it finds it under the gate, and starts no second fetch.
    assert_eq!(alb.key_server().fetches(), 1);
}

// Finding 13 (case 51).

#[tokio::test(start_paused = true)]
async fn a_readable_key_of_another_type_is_a_refusal_for_one_cooldown() {
    let pkcs1 = TestKey::generate("r").public_der();
    let pkcs1_pem = |label: &str| {
        let body = base64::engine::general_purpose::STANDARD.encode(&pkcs1);
        format!("-----BEGIN {label}-----\n{body}\n-----END {label}-----\n")
    };
    for (name, document) in [
        ("RSA", rsa_pem()),
        ("P-384", p384_pem()),
        ("PKCS#1 RSA", pkcs1_pem("RSA PUBLIC KEY")),
        ("PKCS#1 RSA labelled PUBLIC KEY", pkcs1_pem("PUBLIC KEY")),
    ] {
        let alb = TestAlb::new("eu-west-1");
        let server = alb.key_server();
        server.serve(alb.key_url(), document);
        let verifier = alb
            .verifier_builder()
            .key_set_options(KeySetOptions::default().cooldown(COOLDOWN))
            .build()
            .unwrap();
        let token = alb.data().sign();
        let error = verifier.verify::<AlbClaims>(&token).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::UnknownKid, "{name}");
        assert_eq!(error.retry_after(), None, "{name}");
        assert_eq!(sync_verdict(&verifier, &token), Err(ErrorKind::UnknownKid));
        assert_eq!(verdict(&verifier, &token).await, Err(ErrorKind::UnknownKid));
        assert_eq!(server.fetches(), 1, "{name}: remembered");
        assert_ne!(
            verifier.health().key_sets[0].state.as_str(),
            "unavailable",
            "{name}: not an outage"
        );
        // Fixed upstream: fetched again after one cool-down.
        server.serve(alb.key_url(), alb.public_key_pem());
        tokio::time::advance(COOLDOWN + Duration::from_millis(1)).await;
        assert_eq!(verdict(&verifier, &token).await, Ok(()), "{name}");
        assert_eq!(server.fetches(), 2);
    }
    // A document that cannot be read at all is still an outage.
    for document in [
        "<html>sign in</html>",
        "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
    ] {
        let alb = TestAlb::new("eu-west-1");
        alb.key_server().serve(alb.key_url(), document);
        let verdict = verdict(&alb.verifier(), &alb.data().sign()).await;
        assert_eq!(verdict, Err(ErrorKind::JwksUnavailable), "{document}");
    }
}

#[tokio::test(start_paused = true)]
async fn a_readable_key_of_another_type_answers_401_over_http() {
    use crate::support::authenticate_alb;
    let alb = TestAlb::new("eu-west-1");
    alb.key_server().serve(alb.key_url(), rsa_pem());
    let verifier = alb.verifier();
    let token = alb.data().sign();
    let refused = authenticate_alb::<AlbClaims>(&verifier, [token.as_bytes()])
        .await
        .unwrap_err();
    assert_eq!(refused.status(), 401);
}

// ALB key expiry (case 52f).

#[tokio::test(start_paused = true)]
async fn a_withdrawn_key_stops_verifying_after_the_refresh_interval() {
    let alb = TestAlb::new("eu-west-1");
    let endpoint = Endpoint::of(&alb);
    let verifier = builder(&alb, &endpoint).build().unwrap();
    assert_eq!(verdict(&verifier, &alb.data().sign()).await, Ok(()));
    tokio::time::advance(REFRESH / 2).await;
    assert_eq!(verdict(&verifier, &alb.data().sign()).await, Ok(()));
    assert_eq!(endpoint.fetches(), 1, "not due yet");

    // AWS withdraws the key.
    endpoint.answer(Some(404));
    endpoint.delay(Duration::from_secs(3));
    tokio::time::advance(REFRESH / 2 + Duration::from_secs(1)).await;
    // Due: re-fetched in the background, once; no request waits for it.
    for _ in 0..50 {
        let served = tokio::time::timeout(
            Duration::from_millis(100),
            verifier.verify::<AlbClaims>(&alb.data().sign()),
        )
        .await;
        assert!(matches!(served, Ok(Ok(_))), "served from the cache at once");
        assert_eq!(
            sync_verdict(&verifier, &alb.data().sign()),
            Ok(()),
            "verify_sync too"
        );
    }
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(endpoint.fetches(), 2, "one refresh");
    assert_eq!(
        verdict(&verifier, &alb.data().sign()).await,
        Err(ErrorKind::UnknownKid)
    );
    assert_eq!(
        sync_verdict(&verifier, &alb.data().sign()),
        Err(ErrorKind::UnknownKid)
    );
}

#[tokio::test(start_paused = true)]
async fn a_key_whose_refresh_fails_serves_up_to_the_max_staleness_then_503() {
    let alb = TestAlb::new("eu-west-1");
    let endpoint = Endpoint::of(&alb);
    let verifier = builder(&alb, &endpoint)
        .key_set_options(
            KeySetOptions::default().backoff(Duration::from_secs(1), Duration::from_secs(60)),
        )
        .build()
        .unwrap();
    assert_eq!(verdict(&verifier, &alb.data().sign()).await, Ok(()));
    endpoint.answer(Some(503));
    tokio::time::advance(REFRESH + Duration::from_secs(1)).await;
    assert_eq!(verdict(&verifier, &alb.data().sign()).await, Ok(()));
    settle().await;
    assert_eq!(endpoint.fetches(), 2, "the refresh failed");
    assert_eq!(verdict(&verifier, &alb.data().sign()).await, Ok(()));
    assert_eq!(
        verifier.health().key_sets[0].state.as_str(),
        "stale",
        "keys held, last fetch failed"
    );

    tokio::time::advance(MAX_STALENESS).await;
    let error = verifier
        .verify::<AlbClaims>(&alb.data().sign())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::JwksUnavailable);
    assert!(error.retry_after().is_some());
    assert_eq!(
        sync_verdict(&verifier, &alb.data().sign()),
        Err(ErrorKind::JwksUnavailable)
    );

    // The endpoint recovers: the key is fetched again and verifies.
    endpoint.answer(None);
    tokio::time::advance(Duration::from_secs(61)).await;
    assert_eq!(verdict(&verifier, &alb.data().sign()).await, Ok(()));
    assert_eq!(sync_verdict(&verifier, &alb.data().sign()), Ok(()));
}

#[tokio::test(start_paused = true)]
async fn the_refresh_interval_and_max_staleness_are_settings() {
    let alb = TestAlb::new("eu-west-1");
    let endpoint = Endpoint::of(&alb);
    let minute = Duration::from_secs(60);
    let verifier = builder(&alb, &endpoint)
        .key_set_options(
            KeySetOptions::default()
                .refresh_interval(minute)
                .max_staleness(2 * minute),
        )
        .build()
        .unwrap();
    assert_eq!(verdict(&verifier, &alb.data().sign()).await, Ok(()));
    endpoint.answer(Some(500));
    tokio::time::advance(minute).await;
    assert_eq!(verdict(&verifier, &alb.data().sign()).await, Ok(()));
    settle().await;
    assert_eq!(endpoint.fetches(), 2);
    tokio::time::advance(minute).await;
    assert_eq!(
        verdict(&verifier, &alb.data().sign()).await,
        Err(ErrorKind::JwksUnavailable)
    );
    let error = builder(&alb, &endpoint)
        .key_set_options(
            KeySetOptions::default()
                .refresh_interval(2 * minute)
                .max_staleness(minute),
        )
        .build()
        .unwrap_err();
    assert!(error.to_string().contains("refresh"), "{error}");
}
