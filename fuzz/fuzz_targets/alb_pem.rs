//! A load balancer's key endpoint answering fuzzer bytes as the PEM
//! document for the kid of a genuine `x-amzn-oidc-data` header (raw bytes,
//! or the load balancer's genuine PEM with fuzzer bytes spliced in): never
//! a panic; the verdict is acceptance or a refusal for the key (unknown
//! kid, key set unavailable, invalid signature); one fetch; and the key
//! cache then answers `verify_sync` consistently.
#![no_main]

use std::sync::LazyLock;

use cognito_jwt_core::testing::TestAlb;
use cognito_jwt_core::{AlbClaims, ErrorKind};
use cognito_jwt_fuzz::{Endpoint, block_on, candidate, verdict};
use libfuzzer_sys::fuzz_target;

const A_DAY: i64 = 24 * 60 * 60;

static ALB: LazyLock<(TestAlb, String)> = LazyLock::new(|| {
    let alb = TestAlb::new("eu-west-1");
    let header = alb.data().expires_in(A_DAY).sign();
    (alb, header)
});

fuzz_target!(|data: &[u8]| {
    let (alb, header) = &*ALB;
    let pem = candidate(data, &[alb.public_key_pem().as_bytes()]);
    let endpoint = Endpoint::everywhere(&pem);
    let verifier = alb
        .verifier_builder()
        .fetcher(endpoint.clone())
        .build()
        .expect("the test load balancer's settings");
    let fetched = verdict(&block_on(verifier.verify::<AlbClaims>(header)));
    assert!(
        matches!(
            fetched,
            None | Some(
                ErrorKind::UnknownKid | ErrorKind::JwksUnavailable | ErrorKind::InvalidSignature
            )
        ),
        "{fetched:?}"
    );
    assert_eq!(endpoint.asked(), [alb.key_url()]);
    let cached = verdict(&verifier.verify_sync::<AlbClaims>(header));
    match fetched {
        None | Some(ErrorKind::InvalidSignature) => assert_eq!(cached, fetched),
        Some(_) => assert!(
            matches!(
                cached,
                Some(ErrorKind::UnknownKid | ErrorKind::JwksUnavailable | ErrorKind::JwksNotCached)
            ),
            "{cached:?} after {fetched:?}"
        ),
    }
});
