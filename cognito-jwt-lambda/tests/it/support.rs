//! Helpers shared by the tests: one issuer, the documented sample
//! events with a token put in, and verifiers that count key-set fetches.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock};

use cognito_jwt_core::testing::{StaticJwks, TestIssuer, UnreachableJwks};
use cognito_jwt_core::{
    AcceptedTokenUse, CognitoJwtVerifier, FetchFuture, JwksFetcher, KeySetOptions, TokenUse,
};
use serde_json::Value;

pub(crate) const POOL_ID: &str = "eu-west-1_LambdaTest1";
pub(crate) const CLIENT_ID: &str = "lambda-test-client";
pub(crate) const GROUP: &str = "staff";
pub(crate) const METHOD_ARN: &str =
    "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/GET/orders/42";
pub(crate) const ANY_ROUTE_ARN: &str =
    "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/*/*";

/// Key generation is slow: one issuer per test process.
pub(crate) static ISSUER: LazyLock<TestIssuer> = LazyLock::new(|| TestIssuer::new(POOL_ID));

/// The fixture `name` (`rest-token`, `rest-request`, `http-v1`, `http-v2`,
/// `appsync`) with `authorization` wherever the caller's credentials go,
/// or without those fields for `None`.
pub(crate) fn event(name: &str, authorization: Option<&str>) -> Value {
    let path = format!("{}/tests/fixtures/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("fixture");
    let mut event: Value = serde_json::from_str(&text).expect("fixture JSON");
    put_credentials(&mut event, authorization);
    event
}

const PLACEHOLDER: &str = "__AUTHORIZATION__";

fn put_credentials(value: &mut Value, authorization: Option<&str>) {
    match value {
        Value::Object(map) => {
            map.retain(|_, v| authorization.is_some() || v.as_str() != Some(PLACEHOLDER));
            map.values_mut()
                .for_each(|v| put_credentials(v, authorization));
        }
        Value::Array(items) => {
            items.retain(|v| authorization.is_some() || v.as_str() != Some(PLACEHOLDER));
            items
                .iter_mut()
                .for_each(|v| put_credentials(v, authorization));
        }
        Value::String(s) if s == PLACEHOLDER => {
            *s = authorization.unwrap_or_default().to_owned();
        }
        _ => {}
    }
}

pub(crate) fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// A fetcher serving the issuer's key set and counting its fetches.
#[derive(Debug, Clone, Default)]
pub(crate) struct CountingFetcher {
    inner: Option<StaticJwks>,
    fetches: Arc<AtomicUsize>,
}

impl CountingFetcher {
    pub(crate) fn serving(issuer: &TestIssuer) -> Self {
        Self {
            inner: Some(issuer.fetcher()),
            fetches: Arc::default(),
        }
    }

    /// One whose endpoint is down.
    pub(crate) fn down() -> Self {
        Self::default()
    }

    pub(crate) fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

impl JwksFetcher for CountingFetcher {
    fn fetch<'a>(&'a self, url: &'a str) -> FetchFuture<'a> {
        self.fetches.fetch_add(1, Ordering::SeqCst);
        match &self.inner {
            Some(jwks) => jwks.fetch(url),
            None => UnreachableJwks.fetch(url),
        }
    }
}

/// A verifier of the issuer's tokens (`token_use` as given) fetching with
/// `fetcher`, its key set loaded before any token is seen, as a key set
/// bundled with the function is.
pub(crate) fn bundled_verifier(
    fetcher: CountingFetcher,
    token_use: impl Into<AcceptedTokenUse>,
) -> CognitoJwtVerifier {
    let verifier = unloaded_verifier(fetcher, token_use);
    verifier
        .cache_jwks(POOL_ID, &ISSUER.jwks_json())
        .expect("the issuer's key set");
    verifier
}

/// The same, with nothing fetched or loaded yet.
pub(crate) fn unloaded_verifier(
    fetcher: CountingFetcher,
    token_use: impl Into<AcceptedTokenUse>,
) -> CognitoJwtVerifier {
    CognitoJwtVerifier::builder()
        .user_pool(ISSUER.user_pool(CLIENT_ID, token_use))
        .fetcher(fetcher)
        .build()
        .expect("verifier configuration")
}

/// A verifier of access tokens that serves keys.
pub(crate) fn serving_verifier() -> CognitoJwtVerifier {
    bundled_verifier(CountingFetcher::serving(&ISSUER), TokenUse::Access)
}

/// A verifier whose key set cannot be fetched and was never cached.
pub(crate) fn unavailable_verifier() -> CognitoJwtVerifier {
    CognitoJwtVerifier::builder()
        .user_pool(ISSUER.user_pool(CLIENT_ID, TokenUse::Access))
        .fetcher(CountingFetcher::down())
        .key_set_options(KeySetOptions::default().backoff(
            std::time::Duration::from_millis(10),
            std::time::Duration::from_millis(10),
        ))
        .build()
        .expect("verifier configuration")
}
