//! Seed key-set documents (`{"keys": [...], "fetched_at": ...}`, as
//! `cognito-jwt jwks` writes them) through the builder, as `jwks_seed` and
//! as the same bytes in a `jwks_file`: never a panic, `build` gives a
//! verifier or a `ConfigError` alike on both paths, and a genuine token
//! gets the same verdict from both verifiers. `$KEYS` and `$KEY` in the
//! input stand for the pool's genuine key array and key, `$NOW` for the
//! current time in seconds.
#![no_main]

use std::path::PathBuf;
use std::sync::LazyLock;
use std::time::SystemTime;

use cognito_jwt_core::testing::{TestIssuer, UnreachableJwks};
use cognito_jwt_core::{
    AccessTokenClaims, CognitoJwtVerifier, ConfigError, ErrorKind, TokenUse, UserPool,
};
use cognito_jwt_fuzz::{substitute, verdict};
use libfuzzer_sys::fuzz_target;

const CLIENT: &str = "fuzz-client";

struct Fixture {
    pool: TestIssuer,
    token: String,
    key: String,
    keys: String,
    file: PathBuf,
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let pool = TestIssuer::new("eu-west-1_FuzzSeed1");
    let token = pool.access_token(CLIENT).sign();
    let key = pool.key().jwk().to_string();
    let keys = format!("[{key}]");
    let file =
        std::env::temp_dir().join(format!("cognito-jwt-fuzz-seed-{}.json", std::process::id()));
    Fixture {
        pool,
        token,
        key,
        keys,
        file,
    }
});

/// The verdict of `built` on the genuine token; `None` for a `ConfigError`
/// (its setting's name differs between the two paths).
fn token_verdict(
    fixture: &Fixture,
    built: Result<CognitoJwtVerifier, ConfigError>,
) -> Option<Option<ErrorKind>> {
    let verifier = built.ok()?;
    Some(verdict(
        &verifier.verify_sync::<AccessTokenClaims>(&fixture.token),
    ))
}

fuzz_target!(|data: &[u8]| {
    let fixture = &*FIXTURE;
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
        .to_string();
    let document = substitute(
        &String::from_utf8_lossy(data),
        &[
            ("$KEYS", &fixture.keys),
            ("$KEY", &fixture.key),
            ("$NOW", &now),
        ],
    );
    let build = |pool: UserPool| {
        CognitoJwtVerifier::builder()
            .user_pool(pool)
            .fetcher(UnreachableJwks)
            .build()
    };
    let pool = || fixture.pool.user_pool(CLIENT, TokenUse::Access);
    let seeded = token_verdict(fixture, build(pool().jwks_seed(document.clone())));
    std::fs::write(&fixture.file, &document).expect("a temporary seed file");
    let from_file = token_verdict(fixture, build(pool().jwks_file(&fixture.file)));
    assert_eq!(seeded, from_file, "jwks_seed and jwks_file disagree");
});
