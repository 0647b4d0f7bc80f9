//! The key-set lifecycle (SECURITY-CASES 20, 21, 23, 24; issue "Core v2,
//! part 2"): background refresh ahead of time, removed keys, outages,
//! back-off, staleness, cancelled callers, seeds, health, and no runtime.
//!
//! Every test runs on paused Tokio time with an in-process fetcher
//! ([`ScriptedJwks`]), so hours pass in milliseconds and every count is
//! exact.
use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cognito_jwt_core::testing::{ScriptedJwks, TestIssuer};
use cognito_jwt_core::{
    AccessTokenClaims, CognitoJwtVerifier, CognitoJwtVerifierBuilder, ErrorKind, KeySetOptions,
    KeySetState, TokenUse,
};
use tokio::time::{Instant, sleep};

const CLIENT: &str = "lifecycle-client";
const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);

fn verifier(
    issuer: &TestIssuer,
    jwks: &ScriptedJwks,
    configure: impl FnOnce(CognitoJwtVerifierBuilder) -> CognitoJwtVerifierBuilder,
) -> CognitoJwtVerifier {
    configure(
        CognitoJwtVerifier::builder()
            .user_pool(issuer.user_pool(CLIENT, TokenUse::Access))
            .fetcher(jwks.clone()),
    )
    .build()
    .expect("a valid configuration")
}

fn kind<T>(result: Result<T, cognito_jwt_core::Error>) -> Option<ErrorKind> {
    result.err().map(|e| e.kind())
}

async fn verify(verifier: &CognitoJwtVerifier, token: &str) -> Option<ErrorKind> {
    kind(verifier.verify::<AccessTokenClaims>(token).await)
}

fn verify_sync(verifier: &CognitoJwtVerifier, token: &str) -> Option<ErrorKind> {
    kind(verifier.verify_sync::<AccessTokenClaims>(token))
}

#[tokio::test(start_paused = true)]
async fn a_removed_key_stops_verifying_within_one_refresh_interval_on_both_paths() {
    let mut issuer = TestIssuer::new("eu-west-1_Lifecycle1");
    let retiring = issuer.access_token(CLIENT).sign();
    issuer.rotate();
    let current = issuer.access_token(CLIENT).sign();
    let both = issuer.jwks_json();
    issuer.retire_old_keys();
    let current_only = issuer.jwks_json();
    let interval = 15 * MINUTE;
    for token_cache in [false, true] {
        let jwks = ScriptedJwks::serving(both.clone());
        let verifier = verifier(&issuer, &jwks, |b| {
            let b = b.key_set_options(KeySetOptions::default().refresh_interval(interval));
            if token_cache {
                b.token_cache_max_bytes(1024 * 1024)
            } else {
                b
            }
        });
        verifier.hydrate().await.unwrap();
        assert_eq!(verify(&verifier, &retiring).await, None);
        assert_eq!(verify_sync(&verifier, &retiring), None);
        assert_eq!(jwks.fetches(), 1);

        // The key leaves the published set; no request comes in.
        jwks.serve(current_only.clone());
        sleep(interval).await;

        assert_eq!(jwks.fetches(), 2, "one background refresh");
        assert_eq!(
            verify_sync(&verifier, &retiring),
            Some(ErrorKind::UnknownKid)
        );
        assert_eq!(
            verify(&verifier, &retiring).await,
            Some(ErrorKind::UnknownKid)
        );
        assert_eq!(verify_sync(&verifier, &current), None);
        assert_eq!(verify(&verifier, &current).await, None);
    }
}

#[tokio::test(start_paused = true)]
async fn a_sync_only_verifier_keeps_fresh_keys_for_48_hours() {
    let mut issuer = TestIssuer::new("eu-west-1_Lifecycle2");
    let jwks = ScriptedJwks::serving(issuer.jwks_json());
    let verifier = verifier(&issuer, &jwks, |b| b);
    // Loaded once, as from a seed or a start-up hydrate; from then on only
    // verify_sync is called.
    verifier
        .cache_jwks(issuer.pool_id(), &issuer.jwks_json())
        .unwrap();
    let started = Instant::now();
    let mut rotations = 0;
    for hour in 1..=48 {
        sleep(HOUR).await;
        // Every six hours the pool rotates: a token signed with a key the
        // verifier never saw at start-up must verify within one interval.
        if hour % 6 == 0 {
            issuer.rotate();
            issuer.retire_old_keys();
            jwks.serve(issuer.jwks_json());
            rotations += 1;
            sleep(15 * MINUTE).await;
        }
        let token = issuer.access_token(CLIENT).sign();
        assert_eq!(
            verify_sync(&verifier, &token),
            None,
            "after {:?}",
            started.elapsed()
        );
    }
    assert_eq!(rotations, 8);
    assert!(verifier.is_ready());
    // About one refresh per 15-minute interval, never a request-driven one.
    let elapsed = started.elapsed().as_secs() / (15 * 60);
    assert!(jwks.fetches() <= elapsed + 1, "{} fetches", jwks.fetches());
    assert!(jwks.fetches() >= elapsed - 1, "{} fetches", jwks.fetches());
}

#[tokio::test(start_paused = true)]
async fn a_refresh_against_a_slow_endpoint_delays_no_request() {
    let issuer = TestIssuer::new("eu-west-1_Lifecycle3");
    let jwks = ScriptedJwks::serving(issuer.jwks_json());
    let interval = 15 * MINUTE;
    let verifier = verifier(&issuer, &jwks, |b| {
        b.key_set_options(KeySetOptions::default().refresh_interval(interval))
    });
    let token = issuer.access_token(CLIENT).sign();
    assert_eq!(verify(&verifier, &token).await, None);
    jwks.delay(Duration::from_secs(4));

    // Through the refresh window and past the set's due time, while the
    // endpoint takes 4 s to answer each refresh: no verification waits.
    let started = Instant::now();
    let mut checked = 0;
    while started.elapsed() < interval + Duration::from_secs(30) {
        let before = Instant::now();
        assert_eq!(verify(&verifier, &token).await, None);
        assert_eq!(verify_sync(&verifier, &token), None);
        assert_eq!(Instant::now(), before, "a verification waited");
        checked += 1;
        sleep(Duration::from_millis(500)).await;
    }
    assert!(checked > 1800);
    assert_eq!(jwks.fetches(), 2, "one cold fetch, one refresh");
}

#[tokio::test(start_paused = true)]
async fn cancelled_cold_callers_leave_one_fetch_running_for_the_survivor() {
    let issuer = TestIssuer::new("eu-west-1_Lifecycle4");
    let jwks = ScriptedJwks::serving(issuer.jwks_json());
    jwks.delay(Duration::from_secs(2));
    let verifier = verifier(&issuer, &jwks, |b| b);
    let token = Arc::new(issuer.access_token(CLIENT).sign());

    let mut callers = Vec::new();
    for _ in 0..1_000 {
        let (verifier, token) = (verifier.clone(), Arc::clone(&token));
        callers.push(tokio::spawn(async move {
            verifier.verify::<AccessTokenClaims>(&token).await.is_ok()
        }));
    }
    // Every caller is waiting on the fetch; then 999 go away (clients gone,
    // load-balancer time-outs), the one that started it among them.
    sleep(Duration::from_millis(500)).await;
    assert_eq!(jwks.fetches(), 1);
    let survivor = callers.pop().expect("a caller");
    for caller in callers {
        caller.abort();
    }
    assert!(survivor.await.unwrap(), "the survivor verifies");
    assert_eq!(
        jwks.fetches(),
        1,
        "the fetch was neither cancelled nor restarted"
    );
}

#[tokio::test(start_paused = true)]
async fn failures_back_off_in_the_background_and_recover() {
    let issuer = TestIssuer::new("eu-west-1_Lifecycle5");
    let jwks = ScriptedJwks::default();
    jwks.fail("HTTP 500");
    let verifier = verifier(&issuer, &jwks, |b| {
        b.key_set_options(
            KeySetOptions::default()
                .refresh_interval(HOUR)
                .backoff(Duration::from_secs(1), Duration::from_secs(8)),
        )
    });
    let token = issuer.access_token(CLIENT).sign();

    // Cold and failing: 503s, and one fetch per back-off, not per request.
    for _ in 0..10 {
        assert_eq!(
            verify(&verifier, &token).await,
            Some(ErrorKind::JwksUnavailable)
        );
    }
    assert_eq!(jwks.fetches(), 1);
    sleep(Duration::from_millis(1100)).await;
    assert_eq!(
        verify(&verifier, &token).await,
        Some(ErrorKind::JwksUnavailable)
    );
    assert_eq!(jwks.fetches(), 2);

    // The endpoint recovers: the next allowed attempt succeeds.
    jwks.serve(issuer.jwks_json());
    sleep(Duration::from_secs(2)).await;
    assert_eq!(verify(&verifier, &token).await, None);
    assert_eq!(jwks.fetches(), 3);

    // Refreshes fail for two hours: the cached key keeps verifying, and
    // the background retries back off to one per 8 s.
    jwks.fail("HTTP 500");
    let before = jwks.fetches();
    sleep(3 * HOUR).await;
    assert_eq!(verify(&verifier, &token).await, None);
    let retries = jwks.fetches() - before;
    let bound = (2 * 3600 + 300) / 8 + 8;
    assert!((1..=bound).contains(&retries), "{retries} retries");
    assert!(matches!(
        verifier.health().key_sets[0].state,
        KeySetState::Stale { .. }
    ));

    jwks.serve(issuer.jwks_json());
    sleep(Duration::from_secs(9)).await;
    assert!(matches!(
        verifier.health().key_sets[0].state,
        KeySetState::Fresh { .. }
    ));
}

#[tokio::test(start_paused = true)]
async fn cached_keys_serve_through_an_outage_up_to_the_maximum_staleness() {
    let issuer = TestIssuer::new("eu-west-1_Lifecycle6");
    let jwks = ScriptedJwks::serving(issuer.jwks_json());
    let verifier = verifier(&issuer, &jwks, |b| {
        b.key_set_options(
            KeySetOptions::default()
                .refresh_interval(15 * MINUTE)
                .max_staleness(2 * HOUR),
        )
    });
    let token = issuer.access_token(CLIENT).sign();
    assert_eq!(verify(&verifier, &token).await, None);
    jwks.fail("connection refused");

    sleep(HOUR + 59 * MINUTE).await;
    assert_eq!(verify_sync(&verifier, &token), None, "stale but usable");
    assert!(verifier.is_ready());
    sleep(2 * MINUTE).await;
    assert_eq!(
        verify(&verifier, &token).await,
        Some(ErrorKind::JwksUnavailable)
    );
    assert_eq!(
        verify_sync(&verifier, &token),
        Some(ErrorKind::JwksNotCached)
    );
    assert!(!verifier.is_ready());
    let health = verifier.health();
    assert!(matches!(
        health.key_sets[0].state,
        KeySetState::Unavailable { .. }
    ));
    assert!(health.retry_after_secs().is_some());

    // Recovery: the next background retry finds the endpoint back.
    jwks.serve(issuer.jwks_json());
    sleep(2 * MINUTE).await;
    assert_eq!(verify_sync(&verifier, &token), None);
    assert!(verifier.is_ready());
}

#[tokio::test(start_paused = true)]
async fn health_reports_every_state_without_secrets() {
    let issuer = TestIssuer::new("eu-west-1_Lifecycle7");
    let jwks = ScriptedJwks::default();
    jwks.fail("HTTP 503 from the key-set endpoint");
    let verifier = verifier(&issuer, &jwks, |b| {
        b.key_set_options(KeySetOptions::default().refresh_interval(15 * MINUTE))
    });
    let health = verifier.health();
    assert!(!health.ready);
    assert_eq!(health.key_sets[0].state, KeySetState::NeverFetched);
    assert!(health.to_json().contains(r#""state":"never_fetched""#));

    let token = issuer.access_token(CLIENT).sign();
    assert_eq!(
        verify(&verifier, &token).await,
        Some(ErrorKind::JwksUnavailable)
    );
    let health = verifier.health();
    let json = health.to_json();
    assert!(json.contains(r#""state":"unavailable""#), "{json}");
    assert!(json.contains("HTTP 503"), "{json}");
    assert!(!json.contains(&token[..20]), "{json}");
    assert_eq!(health.retry_after_secs(), Some(1));

    jwks.serve(issuer.jwks_json());
    sleep(Duration::from_secs(2)).await;
    assert_eq!(verify(&verifier, &token).await, None);
    let health = verifier.health();
    assert!(health.ready);
    assert_eq!(health.key_sets[0].keys, 1);
    assert_eq!(health.retry_after_secs(), None);
    assert!(health.to_json().contains(r#""state":"fresh""#));
}

#[tokio::test(start_paused = true)]
async fn a_fetched_body_over_the_cap_is_a_failed_fetch_whatever_the_fetcher() {
    let issuer = TestIssuer::new("eu-west-1_Lifecycle8");
    let padding = "x".repeat(cognito_jwt_core::MAX_JWKS_BYTES);
    let huge = issuer
        .jwks_json()
        .replacen('{', &format!("{{\"padding\":\"{padding}\","), 1);
    let jwks = ScriptedJwks::serving(huge);
    let verifier = verifier(&issuer, &jwks, |b| b);
    let token = issuer.access_token(CLIENT).sign();
    let error = verifier
        .verify::<AccessTokenClaims>(&token)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::JwksUnavailable);
    assert!(error.message().contains("larger than 64 KiB"), "{error}");
}

fn seed_file(document: &str) -> tempfile_path::TempFile {
    tempfile_path::TempFile::with(document)
}

/// A file under the system temp directory, removed on drop.
mod tempfile_path {
    use std::path::{Path, PathBuf};

    pub(crate) struct TempFile(PathBuf);

    impl TempFile {
        pub(crate) fn with(contents: &str) -> Self {
            use std::sync::atomic::{AtomicUsize, Ordering};
            static NEXT: AtomicUsize = AtomicUsize::new(0);
            let path = std::env::temp_dir().join(format!(
                "cognito-jwt-seed-{}-{}.json",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            ));
            std::fs::write(&path, contents).expect("a writable temp directory");
            Self(path)
        }

        pub(crate) fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
}

fn stamped(document: &str, fetched_at: SystemTime) -> String {
    let secs = fetched_at
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_secs();
    document.replacen('{', &format!("{{\"fetched_at\":{secs},"), 1)
}

#[tokio::test(start_paused = true)]
async fn a_seeded_cold_start_needs_no_fetch() {
    let issuer = TestIssuer::new("eu-west-1_Lifecycle9");
    let jwks = ScriptedJwks::serving(issuer.jwks_json());
    let file = seed_file(&stamped(&issuer.jwks_json(), SystemTime::now()));
    let verifier = CognitoJwtVerifier::builder()
        .user_pool(
            issuer
                .user_pool(CLIENT, TokenUse::Access)
                .jwks_file(file.path()),
        )
        .fetcher(jwks.clone())
        .build()
        .unwrap();
    let token = issuer.access_token(CLIENT).sign();
    assert!(verifier.is_ready());
    assert_eq!(verify_sync(&verifier, &token), None);
    assert_eq!(verify(&verifier, &token).await, None);
    assert_eq!(jwks.fetches(), 0, "the first invocation needs no network");
    // It serves until the first refresh replaces it.
    sleep(15 * MINUTE).await;
    assert_eq!(jwks.fetches(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_seed_counts_its_age_and_is_not_served_past_the_maximum_staleness() {
    let issuer = TestIssuer::new("eu-west-1_Lifecycle10");
    let jwks = ScriptedJwks::default();
    jwks.fail("offline");
    let build = |document: String| {
        CognitoJwtVerifier::builder()
            .user_pool(
                issuer
                    .user_pool(CLIENT, TokenUse::Access)
                    .jwks_seed(document),
            )
            .fetcher(jwks.clone())
            .key_set_options(KeySetOptions::default().max_staleness(24 * HOUR))
            .build()
            .unwrap()
    };
    let token = issuer.access_token(CLIENT).sign();
    let day_ago = SystemTime::now() - 25 * HOUR;
    let too_old = build(stamped(&issuer.jwks_json(), day_ago));
    assert_eq!(
        verify_sync(&too_old, &token),
        Some(ErrorKind::JwksNotCached)
    );

    let hour_ago = SystemTime::now() - HOUR;
    let old = build(stamped(&issuer.jwks_json(), hour_ago));
    assert_eq!(verify_sync(&old, &token), None);
    match &old.health().key_sets[0].state {
        KeySetState::Stale { age, .. } | KeySetState::Fresh { age } => {
            assert!(*age >= HOUR, "{age:?}");
        }
        other => panic!("{other:?}"),
    }
    // 23 hours later it is past the maximum staleness too.
    sleep(23 * HOUR + MINUTE).await;
    assert_eq!(verify_sync(&old, &token), Some(ErrorKind::JwksNotCached));
}

#[test]
fn a_seed_file_that_cannot_serve_fails_the_build_naming_it() {
    let issuer = TestIssuer::new("eu-west-1_Lifecycle11");
    let missing = std::env::temp_dir().join("cognito-jwt-no-such-seed.json");
    let not_a_set = seed_file(r#"{"keys":{}}"#);
    for (path, problem) in [
        (missing.as_path(), "cannot be read"),
        (not_a_set.path(), "not a JSON object"),
    ] {
        let error = CognitoJwtVerifier::builder()
            .user_pool(issuer.user_pool(CLIENT, TokenUse::Access).jwks_file(path))
            .build()
            .unwrap_err();
        assert_eq!(error.name(), Some("user_pool[0].jwks_file"), "{error}");
        assert!(error.to_string().contains(problem), "{error}");
    }
}

/// Polls a future to completion on the calling thread, with no Tokio
/// runtime anywhere.
fn block_on<F: Future>(future: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut future = std::pin::pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut Context::from_waker(&waker)) {
            return output;
        }
        std::thread::park();
    }
}

#[test]
fn without_a_tokio_runtime_verification_fails_clearly_and_never_panics() {
    let issuer = TestIssuer::new("eu-west-1_Lifecycle12");
    let jwks = ScriptedJwks::serving(issuer.jwks_json());
    let verifier = verifier(&issuer, &jwks, |b| b);
    let token = issuer.access_token(CLIENT).sign();
    let error = block_on(verifier.verify::<AccessTokenClaims>(&token)).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::JwksUnavailable);
    assert!(error.message().contains("Tokio runtime"), "{error}");
    assert_eq!(
        block_on(verifier.hydrate()).map_err(|e| e.kind()),
        Err(ErrorKind::JwksUnavailable)
    );
    assert_eq!(
        verify_sync(&verifier, &token),
        Some(ErrorKind::JwksNotCached)
    );
    assert_eq!(jwks.fetches(), 0);

    // A seeded set serves verify_sync and verify without any runtime.
    verifier
        .cache_jwks(issuer.pool_id(), &issuer.jwks_json())
        .unwrap();
    assert_eq!(verify_sync(&verifier, &token), None);
    assert!(block_on(verifier.verify::<AccessTokenClaims>(&token)).is_ok());
}

#[tokio::test(start_paused = true)]
async fn consecutive_failures_back_off_longer_up_to_the_maximum() {
    let issuer = TestIssuer::new("eu-west-1_Lifecycle13");
    let jwks = ScriptedJwks::default();
    jwks.fail("HTTP 500");
    let verifier = verifier(&issuer, &jwks, |b| {
        b.key_set_options(
            KeySetOptions::default().backoff(Duration::from_secs(2), Duration::from_secs(5)),
        )
    });
    let token = issuer.access_token(CLIENT).sign();
    let retry_after = |error: cognito_jwt_core::Error| {
        assert_eq!(error.kind(), ErrorKind::JwksUnavailable);
        error.retry_after().expect("a 503 says when to retry")
    };
    let mut waits = Vec::new();
    for _ in 0..4 {
        let error = verifier
            .verify::<AccessTokenClaims>(&token)
            .await
            .unwrap_err();
        let wait = retry_after(error);
        waits.push(wait.as_secs());
        sleep(wait).await;
    }
    // 2 s, then doubled, then capped at 5 s; one fetch per back-off.
    assert_eq!(waits, [2, 4, 5, 5]);
    assert_eq!(jwks.fetches(), 4);
}
