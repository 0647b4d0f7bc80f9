//! Resource bounds under floods (SECURITY-CASES 22, issue 7 item 3).
//!
//! The bounds checked:
//! - Key-set fetches: every successful fetch opens a cool-down during which
//!   an unknown `kid` is refused without a request, so over a span of
//!   `elapsed` a key set is fetched at most `1 + elapsed / cooldown` times,
//!   whatever the number of tokens or distinct kids. Unknown kids leave no
//!   state behind (the cache holds one entry per key-set URL).
//! - Verified-token cache (`token_cache_max_bytes`): entries weighed by
//!   their size up to the configured bytes (counted by the unit tests of
//!   `token_cache.rs`; live heap bytes are measured in `memory_bounds.rs`).
//!   What a user can observe is checked here: every token verifies
//!   correctly whether it is served from the cache or evicted, and a cached
//!   token is not served once it has expired or its key has left the set.

use std::sync::Arc;
use std::time::{Duration, Instant};

use cognito_jwt_core::{AccessTokenClaims, ErrorKind, IdTokenClaims};
use tokio::task::JoinSet;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer};

use crate::support::key_server::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_kid_flood_fetches_at_most_once_per_cooldown() {
    let cooldown = Duration::from_millis(250);
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(jwks_path()))
        .respond_with(json_response(ISSUER.jwks_json()))
        .mount(&server)
        .await;
    let verifier = builder(&server.uri())
        .key_set_options(quiet_key_sets().cooldown(cooldown))
        .build()
        .unwrap();
    let known = Arc::new(token());
    let forger = Arc::new(KidForger::new());

    let started = Instant::now();
    verify(&verifier, &known).await.unwrap();
    // Ten rounds of 1,000 random kids, 100 ms apart: the flood outlasts
    // several cool-down windows.
    for _ in 0..10 {
        let mut tasks = JoinSet::new();
        for _ in 0..4 {
            let (verifier, forger, known) =
                (verifier.clone(), Arc::clone(&forger), Arc::clone(&known));
            tasks.spawn(async move {
                for i in 0..250 {
                    let kind = kind_of(verify(&verifier, &forger.with_random_kid()).await);
                    assert_eq!(kind, ErrorKind::UnknownKid);
                    if i % 50 == 0 {
                        verify(&verifier, &known).await.expect("known kid verifies");
                    }
                }
            });
        }
        tokio::time::timeout(Duration::from_secs(60), tasks.join_all())
            .await
            .expect("the round finishes");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let elapsed = started.elapsed();

    let fetches = request_count(&server).await;
    let bound = 1 + elapsed.as_millis() / cooldown.as_millis();
    assert!(
        fetches as u128 <= bound,
        "{fetches} fetches in {elapsed:?} with a {cooldown:?} cool-down (bound {bound})"
    );
    assert!(
        fetches >= 2,
        "unknown kids after the cool-down do refetch, so the bound was exercised"
    );
}

/// 10,000 distinct tokens signed on every core (RSA signing dominates).
fn distinct_tokens(count: usize) -> Vec<String> {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let share = count / threads + usize::from(t < count % threads);
                scope.spawn(move || (0..share).map(|_| token()).collect::<Vec<_>>())
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("signing thread"))
            .collect()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_distinct_tokens_verify_with_a_bounded_token_cache() {
    let server = MockServer::start().await;
    let _jwks = serve(&server, json_response(ISSUER.jwks_json()), 1).await;
    let verifier = builder(&server.uri())
        .token_cache_max_bytes(1024 * 1024)
        .build()
        .unwrap();
    let tokens = Arc::new(distinct_tokens(10_000));
    assert_eq!(
        tokens
            .iter()
            .collect::<std::collections::HashSet<_>>()
            .len(),
        10_000
    );

    let mut tasks = JoinSet::new();
    for worker in 0..4 {
        let (verifier, tokens) = (verifier.clone(), Arc::clone(&tokens));
        tasks.spawn(async move {
            for token in tokens.iter().skip(worker).step_by(4) {
                let claims = verify(&verifier, token)
                    .await
                    .expect("valid token verifies");
                assert_eq!(claims.client_id(), CLIENT);
            }
        });
    }
    tokio::time::timeout(Duration::from_secs(120), tasks.join_all())
        .await
        .expect("all tokens verify");

    // Recent tokens (likely cached) and old ones (evicted) verify alike,
    // with their own claims, and the requested type still applies.
    for token in tokens.iter().take(200).chain(tokens.iter().rev().take(200)) {
        for _ in 0..2 {
            verify(&verifier, token).await.unwrap();
            let value: serde_json::Value = verifier.verify(token).await.unwrap();
            assert_eq!(value["client_id"], CLIENT);
        }
        assert_eq!(
            kind_of(verifier.verify::<IdTokenClaims>(token).await),
            ErrorKind::InvalidTokenUse
        );
    }
    let first: AccessTokenClaims = verifier.verify(&tokens[0]).await.unwrap();
    let last: AccessTokenClaims = verifier.verify(&tokens[9_999]).await.unwrap();
    assert_ne!(first.sub(), last.sub());
}

#[tokio::test]
async fn expired_cached_token_is_refused() {
    let server = MockServer::start().await;
    let _jwks = serve(&server, json_response(ISSUER.jwks_json()), 1).await;
    let verifier = builder(&server.uri())
        .token_cache_max_bytes(1024 * 1024)
        .build()
        .unwrap();
    let short_lived = ISSUER.access_token(CLIENT).expires_in(2).sign();
    verify(&verifier, &short_lived).await.unwrap();
    verify(&verifier, &short_lived).await.unwrap();

    // `exp` is in whole seconds: 3.1 s later it has passed for certain.
    tokio::time::sleep(Duration::from_millis(3100)).await;
    assert_eq!(
        kind_of(verify(&verifier, &short_lived).await),
        ErrorKind::Expired
    );
    assert_eq!(
        kind_of(verify(&verifier, &short_lived).await),
        ErrorKind::Expired
    );
}
