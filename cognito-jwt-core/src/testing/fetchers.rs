//! Key-set fetchers that answer in-process: a fixed document, an endpoint
//! that is down, and a scripted one for key-set lifecycle tests.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::jwks::{FetchError, FetchFuture, JwksFetcher};

/// A key-set "fetcher" that serves a fixed document without any I/O.
#[derive(Debug, Clone)]
pub struct StaticJwks(pub String);

impl JwksFetcher for StaticJwks {
    fn fetch<'a>(&'a self, _url: &'a str) -> FetchFuture<'a> {
        Box::pin(async move { Ok(self.0.as_bytes().to_vec()) })
    }
}

/// A key-set "fetcher" whose endpoint is down: every fetch fails at once,
/// without any I/O. A verifier with it and no cached keys refuses every
/// token it cannot reject without keys with [`ErrorKind::JwksUnavailable`]
/// (HTTP 503).
///
/// [`ErrorKind::JwksUnavailable`]: crate::ErrorKind::JwksUnavailable
#[derive(Debug, Clone, Copy, Default)]
pub struct UnreachableJwks;

impl JwksFetcher for UnreachableJwks {
    fn fetch<'a>(&'a self, _url: &'a str) -> FetchFuture<'a> {
        Box::pin(async { Err(FetchError::new("connection refused")) })
    }
}

/// A key-set fetcher for tests of the key-set lifecycle: serves whatever
/// document it is given, fails or stalls on demand, and counts its
/// fetches. Clones share one script. Its delay is Tokio time, so tests
/// with paused time (`#[tokio::test(start_paused = true)]`) run a
/// 24-hour scenario in milliseconds.
///
/// ```
/// use cognito_jwt_core::testing::{ScriptedJwks, TestIssuer};
/// use cognito_jwt_core::{AccessTokenClaims, CognitoJwtVerifier, TokenUse};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let issuer = TestIssuer::new("eu-west-1_Scripted");
/// let jwks = ScriptedJwks::serving(issuer.jwks_json());
/// let verifier = CognitoJwtVerifier::builder()
///     .user_pool(issuer.user_pool("client", TokenUse::Access))
///     .fetcher(jwks.clone())
///     .build()
///     .unwrap();
/// let token = issuer.access_token("client").sign();
/// verifier.verify::<AccessTokenClaims>(&token).await.unwrap();
/// assert_eq!(jwks.fetches(), 1);
/// jwks.fail("503 Service Unavailable"); // later fetches fail
/// # }
/// ```
#[derive(Debug, Clone, Default)]
pub struct ScriptedJwks {
    script: Arc<Mutex<Script>>,
    fetches: Arc<AtomicU64>,
}

#[derive(Debug, Default)]
struct Script {
    response: Option<Result<String, String>>,
    delay: std::time::Duration,
}

impl ScriptedJwks {
    /// A fetcher serving `document`.
    pub fn serving(document: impl Into<String>) -> Self {
        let jwks = Self::default();
        jwks.serve(document);
        jwks
    }

    fn script(&self) -> MutexGuard<'_, Script> {
        self.script.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Serve `document` from the next fetch on.
    pub fn serve(&self, document: impl Into<String>) {
        self.script().response = Some(Ok(document.into()));
    }

    /// Fail with `message` from the next fetch on.
    pub fn fail(&self, message: impl Into<String>) {
        self.script().response = Some(Err(message.into()));
    }

    /// Take `delay` (Tokio time) to answer each fetch from the next one on.
    pub fn delay(&self, delay: std::time::Duration) {
        self.script().delay = delay;
    }

    /// How many fetches have started.
    pub fn fetches(&self) -> u64 {
        self.fetches.load(Ordering::SeqCst)
    }
}

impl JwksFetcher for ScriptedJwks {
    fn fetch<'a>(&'a self, _url: &'a str) -> FetchFuture<'a> {
        self.fetches.fetch_add(1, Ordering::SeqCst);
        let (response, delay) = {
            let script = self.script();
            (script.response.clone(), script.delay)
        };
        Box::pin(async move {
            tokio::time::sleep(delay).await;
            match response {
                Some(Ok(document)) => Ok(document.into_bytes()),
                Some(Err(message)) => Err(FetchError::new(message)),
                None => Err(FetchError::new("nothing scripted")),
            }
        })
    }
}
