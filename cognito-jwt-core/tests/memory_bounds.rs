//! Memory stays bounded under floods (SECURITY-CASES 22): live heap bytes,
//! counted by a wrapping global allocator, do not grow with the number of
//! unknown `kid`s or of distinct tokens seen.
//!
//! A binary of its own with a single test: the allocator counts every
//! allocation of the process, so nothing else may run beside it.
#![cfg(feature = "testing")]

mod common_jwks;

use std::alloc::System;
use std::time::Duration;

use cap::Cap;
use common_jwks::*;
use wiremock::MockServer;

#[global_allocator]
static ALLOCATOR: Cap<System> = Cap::new(System, usize::MAX);

/// Live heap bytes now.
fn live() -> usize {
    ALLOCATOR.allocated()
}

#[tokio::test(flavor = "current_thread")]
async fn floods_of_unknown_kids_and_distinct_tokens_leave_no_growing_state() {
    let server = MockServer::start().await;
    let _jwks = serve(&server, json_response(ISSUER.jwks_json()), 1).await;
    let verifier = builder(&server.uri())
        .jwks_cooldown(Duration::from_secs(3600))
        .token_cache(64)
        .build()
        .unwrap();
    verify(&verifier, &token()).await.unwrap();

    // Unknown kids: refused during the cool-down, and nothing of them kept.
    let forger = KidForger::new();
    let flood = |count: usize| {
        let (verifier, forger) = (&verifier, &forger);
        async move {
            for _ in 0..count {
                let forged = forger.with_random_kid();
                assert_eq!(
                    kind_of(verify(verifier, &forged).await),
                    cognito_jwt_core::ErrorKind::UnknownKid
                );
            }
        }
    };
    flood(1_000).await;
    let before = live();
    flood(10_000).await;
    let grown = live().saturating_sub(before);
    assert!(
        grown < 64 * 1024,
        "10,000 unknown kids left {grown} live bytes behind"
    );

    // Distinct valid tokens with a 64-entry token cache: old entries are
    // evicted, so live memory stays far below one entry per token.
    let distinct = |count: usize| {
        let verifier = &verifier;
        async move {
            for _ in 0..count {
                verify(verifier, &token()).await.expect("valid token");
            }
        }
    };
    distinct(500).await;
    let before = live();
    distinct(2_000).await;
    let grown = live().saturating_sub(before);
    let one_token = token().len();
    assert!(
        grown < 200 * one_token,
        "2,000 distinct tokens left {grown} live bytes behind (a token is {one_token} bytes)"
    );
}
