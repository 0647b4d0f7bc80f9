//! Inputs the fuzz targets in `fuzz/` found, replayed through the public
//! API they reached there (each named by target and finding).

use cognito_jwt_core::testing::{TestIssuer, UnreachableJwks};
use cognito_jwt_core::{CognitoJwtVerifier, TokenUse};

/// `seed`, review finding 5: a `fetched_at` of 2^63 seconds or more
/// overflowed `SystemTime` and panicked in `UserPool::jwks_seed`, before
/// `build` could refuse the document. The input is kept in
/// `fuzz/corpus/seed/finding-5-fetched-at-2-63`.
#[test]
fn a_seed_stamped_beyond_system_time_is_refused_without_a_panic() {
    let pool = TestIssuer::new("eu-west-1_FuzzSeed1");
    let keys = format!("[{}]", pool.key().jwk());
    for fetched_at in [1_u64 << 63, u64::MAX] {
        let document = format!(r#"{{"keys":{keys},"fetched_at":{fetched_at}}}"#);
        let built = CognitoJwtVerifier::builder()
            .user_pool(
                pool.user_pool("fuzz-client", TokenUse::Access)
                    .jwks_seed(document),
            )
            .fetcher(UnreachableJwks)
            .build();
        let error = built.expect_err("a stamp no clock can hold is refused");
        assert!(
            error.to_string().contains("jwks_seed"),
            "the error names the setting: {error}"
        );
    }
}
