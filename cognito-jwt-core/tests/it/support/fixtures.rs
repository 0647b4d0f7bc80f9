//! Our pool and another, verifiers with their key sets cached, and the
//! assertions the token, header, claims, limits and configuration tests share.

use std::fmt::Debug;
use std::sync::LazyLock;

use cognito_jwt_core::AcceptedTokenUse;
use cognito_jwt_core::testing::TestIssuer;
use cognito_jwt_core::{CognitoJwtVerifier, Error, ErrorKind, UserPool};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The app client id the verifiers accept.
pub(crate) const CLIENT: &str = "3n4b5urk1ft4fl3mg5e62d9ado";

/// Our pool (one RSA key, generated once per test process).
pub(crate) static POOL: LazyLock<TestIssuer> =
    LazyLock::new(|| TestIssuer::new("eu-west-1_AbC123xyz"));

/// Another pool, whose keys must never verify tokens for [`POOL`].
pub(crate) static OTHER_POOL: LazyLock<TestIssuer> =
    LazyLock::new(|| TestIssuer::new("eu-west-1_Other9876"));

/// A verifier for [`POOL`] with its key set cached.
pub(crate) fn verifier(token_use: impl Into<AcceptedTokenUse>) -> CognitoJwtVerifier {
    POOL.verifier(CLIENT, token_use)
}

/// Assert that `result` is a rejection of exactly `kind`, and that neither
/// its `Display` nor its `Debug` output contains the token, one of its
/// segments, or any of the `planted` claim values.
#[track_caller]
pub(crate) fn rejected<T: Debug>(
    result: Result<T, Error>,
    kind: ErrorKind,
    token: &str,
    planted: &[&str],
) -> Error {
    let error = match result {
        Ok(value) => panic!("expected {kind}, but the token was accepted: {value:?}"),
        Err(error) => error,
    };
    assert_eq!(error.kind(), kind, "wrong kind; the error was: {error}");
    assert_hygienic(&error, token, planted);
    error
}

/// Assert that an error's `Display` and `Debug` leak nothing of the token.
#[track_caller]
pub(crate) fn assert_hygienic(error: &Error, token: &str, planted: &[&str]) {
    let display = error.to_string();
    let debug = format!("{error:?}");
    // Short fragments ("a", "e30") could occur in any text by chance.
    let mut secrets: Vec<&str> = token.split('.').filter(|s| s.len() >= 16).collect();
    if token.len() >= 16 {
        secrets.push(token);
    }
    secrets.extend(planted.iter().copied());
    for secret in secrets {
        assert!(
            !display.contains(secret) && !debug.contains(secret),
            "the error leaks token material ({} bytes): {display}",
            secret.len()
        );
    }
}

/// A key-set server that must never be asked for anything, and a verifier
/// for [`POOL`] that fetches from it and has nothing cached.
///
/// Verifying with it proves a rejection happens before any key-set fetch.
pub(crate) struct NoFetch {
    pub(crate) server: MockServer,
    pub(crate) verifier: CognitoJwtVerifier,
}

impl NoFetch {
    pub(crate) async fn new(token_use: impl Into<AcceptedTokenUse>) -> Self {
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(200).set_body_string(POOL.jwks_json()))
            .expect(0)
            .named("key-set fetch that must not happen")
            .mount(&server)
            .await;
        let verifier = CognitoJwtVerifier::builder()
            .user_pool(
                POOL.user_pool(CLIENT, token_use)
                    .jwks_uri(format!("{}/jwks.json", server.uri())),
            )
            .build()
            .expect("verifier");
        Self { server, verifier }
    }

    /// Verify `token` asynchronously and assert it is refused with `kind`
    /// without a fetch.
    pub(crate) async fn rejects(&self, token: &str, kind: ErrorKind, planted: &[&str]) -> Error {
        let result = self.verifier.verify::<serde_json::Value>(token).await;
        let error = rejected(result, kind, token, planted);
        let sync = self.verifier.verify_sync::<serde_json::Value>(token);
        rejected(sync, kind, token, planted);
        self.server.verify().await;
        error
    }
}

/// A `UserPool` for [`POOL`] with the given token use, for builders that
/// need more than `TestIssuer::verifier` sets.
pub(crate) fn pool(token_use: impl Into<AcceptedTokenUse>) -> UserPool {
    POOL.user_pool(CLIENT, token_use)
}

/// Build a verifier from `pool` and cache `jwks` for `pool_id`.
pub(crate) fn cached_verifier(pool: UserPool, pool_id: &str, jwks: &str) -> CognitoJwtVerifier {
    let verifier = CognitoJwtVerifier::builder()
        .user_pool(pool)
        .build()
        .expect("verifier");
    verifier.cache_jwks(pool_id, jwks).expect("key set");
    verifier
}
