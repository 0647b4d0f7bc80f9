//! The ALB `x-amzn-oidc-data` header through `AlbJwtVerifier::verify_sync`
//! with the load balancer's key cached, over raw input and over genuine
//! headers (padded segments) with fuzzer bytes spliced in: never a panic,
//! every refusal has a kind, nothing but an unmodified genuine header
//! verifies, and `verify` on a runtime gives the same verdict wherever the
//! cached key suffices.
#![no_main]

use std::sync::LazyLock;

use cognito_jwt_core::testing::TestAlb;
use cognito_jwt_core::{AlbClaims, AlbJwtVerifier, ErrorKind};
use cognito_jwt_fuzz::{block_on, candidate, verdict};
use libfuzzer_sys::fuzz_target;

/// Long enough for any run: a genuine header must stay valid throughout.
const A_DAY: i64 = 24 * 60 * 60;

struct Fixture {
    verifier: AlbJwtVerifier,
    headers: Vec<String>,
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let alb = TestAlb::new("eu-west-1");
    let verifier = alb.verifier();
    let headers = vec![
        alb.data()
            .claim("email", "jo@example.com")
            .expires_in(A_DAY)
            .sign(),
        alb.data().header_expires_in(A_DAY).without("exp").sign(),
    ];
    for header in &headers {
        block_on(verifier.verify::<AlbClaims>(header)).expect("a genuine header verifies");
    }
    Fixture { verifier, headers }
});

fuzz_target!(|data: &[u8]| {
    let fixture = &*FIXTURE;
    let genuine: Vec<&[u8]> = fixture.headers.iter().map(String::as_bytes).collect();
    let candidate = candidate(data, &genuine);
    let header = String::from_utf8_lossy(&candidate);
    let cached = verdict(&fixture.verifier.verify_sync::<AlbClaims>(&header));
    if cached.is_none() {
        assert!(
            fixture.headers.iter().any(|h| *h == header),
            "a modified header verified"
        );
    }
    // A kid not cached would make `verify` fetch; everything else it
    // decides exactly as `verify_sync` did.
    if cached != Some(ErrorKind::JwksNotCached) {
        let fetched = verdict(&block_on(fixture.verifier.verify::<AlbClaims>(&header)));
        assert_eq!(cached, fetched, "verify_sync and verify disagree");
    }
});
