//! Memory stays bounded under floods (SECURITY-CASES 22): live heap bytes,
//! counted by a wrapping global allocator, do not grow with the number of
//! unknown `kid`s or of distinct tokens seen, and a full token cache holds
//! about its byte budget whatever the size of the tokens.
//!
//! The allocator counts every allocation of the process: the test holds
//! the process lock (`crate::alone`) so that nothing runs beside it.

use std::time::Duration;

use wiremock::MockServer;

use crate::key_server::*;

/// Live heap bytes now.
fn live() -> usize {
    crate::ALLOCATOR.allocated()
}

#[tokio::test(flavor = "current_thread")]
async fn floods_of_unknown_kids_and_distinct_tokens_leave_no_growing_state() {
    let _alone = crate::alone().await;
    let server = MockServer::start().await;
    let _jwks = serve(&server, json_response(ISSUER.jwks_json()), 1).await;
    let verifier = builder(&server.uri())
        .key_set_options(quiet_key_sets().cooldown(Duration::from_secs(3600)))
        .token_cache_max_bytes(256 * 1024)
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

    // Distinct valid tokens with a 256 KiB token cache: old entries are
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

    // What a full token cache holds follows its byte budget, whatever the
    // tokens: Cognito-sized ones, and 6 KiB ones whose 300 groups make
    // the most allocations per byte.
    const BUDGET: usize = 2 * 1024 * 1024;
    let shapes = [
        ("Cognito-sized", cognito_sized_token as fn() -> String),
        ("6 KiB with 300 groups", many_groups_token),
    ];
    for (shape, sign) in shapes {
        let verifier = builder(&server.uri())
            .token_cache_max_bytes(BUDGET as u64)
            .build()
            .unwrap();
        verifier.cache_jwks(POOL, &ISSUER.jwks_json()).unwrap();
        let sample = sign();
        verify(&verifier, &sample).await.unwrap();
        let before = live();
        let mut count = 0;
        while count * sample.len() < 4 * BUDGET {
            verify(&verifier, &sign()).await.expect("valid token");
            count += 1;
        }
        // Beyond the budget: evicted entries that wait to be freed until no
        // hit can be reading them (up to 32 per thread), and the map.
        let held = live().saturating_sub(before);
        assert!(
            (BUDGET / 2..BUDGET * 3 / 2).contains(&held),
            "{count} distinct {shape} tokens of {} bytes left {held} live bytes in a cache of \
             {BUDGET} bytes",
            sample.len()
        );
    }
}

fn cognito_sized_token() -> String {
    ISSUER
        .access_token(CLIENT)
        .group("admins")
        .group("billing-readers")
        .scope("aws.cognito.signin.user.admin phone openid profile email")
        .claim("username", "google_104729384756102938475")
        .sign()
}

fn many_groups_token() -> String {
    (0..300)
        .fold(ISSUER.access_token(CLIENT), |token, n| {
            token.group(&format!("group-{n:03}"))
        })
        .sign()
}
