//! Key-set fetchers that answer in-process: a fixed document, an endpoint
//! that is down, a scripted one for key-set lifecycle tests, and one that
//! serves several issuers by URL.

use std::collections::HashMap;
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

/// A [`JwksFetcher`] for tests of several issuers at once (an
/// [`IssuerResolver`](crate::IssuerResolver), many tenants): serves each
/// issuer added to it at its own URLs (the key set of a [`TestIssuer`](super::TestIssuer),
/// the discovery document and key set of a [`TestOidcIssuer`](super::TestOidcIssuer)), answers
/// any other URL with an HTTP 404 [`FetchError`], and counts fetches by
/// URL. What an issuer publishes is copied when it is added: add it again
/// after rotating its keys. Clones share one server.
///
/// ```
/// use cognito_jwt_core::testing::{TestIssuer, TestIssuers, TestOidcIssuer};
/// use cognito_jwt_core::{
///     Algorithm, ErrorKind, IssuerResolver, JwtVerifier, StandardClaims, TokenUse, TrustedIssuer,
/// };
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let pool = TestIssuer::new("eu-west-1_Tenant1");
/// let oidc = TestOidcIssuer::new("https://login.example.com/tenant-2", Algorithm::ES256);
/// let issuers = TestIssuers::new();
/// issuers.add_user_pool(&pool);
/// issuers.add_oidc_issuer(&oidc);
///
/// let resolver = IssuerResolver::list([
///     TrustedIssuer::from(pool.user_pool("web", TokenUse::Access)),
///     TrustedIssuer::from(oidc.issuer_config("orders-api")),
/// ])
/// .unwrap();
/// let verifier = JwtVerifier::builder()
///     .issuer_resolver(resolver)
///     .fetcher(issuers.clone())
///     .build()
///     .unwrap();
///
/// let token = pool.access_token("web").sign();
/// let claims: StandardClaims = verifier.verify(&token).await.unwrap();
/// assert_eq!(claims.iss, pool.issuer());
/// let token = oidc.access_token("orders-api").sign();
/// let claims: StandardClaims = verifier.verify(&token).await.unwrap();
/// assert_eq!(claims.iss, oidc.issuer());
/// assert_eq!(issuers.fetches(&pool.jwks_uri()), 1);
/// assert_eq!(issuers.fetches(&oidc.discovery_url()), 1); // then its jwks_uri
/// assert_eq!(issuers.total_fetches(), 3);
///
/// let stranger = TestIssuer::new("eu-west-1_Stranger");
/// let token = stranger.access_token("web").sign();
/// let refused = verifier.verify::<StandardClaims>(&token).await.unwrap_err();
/// assert_eq!(refused.kind(), ErrorKind::InvalidIssuer);
/// assert_eq!(issuers.total_fetches(), 3, "nothing is fetched for an issuer not allowed");
/// # }
/// ```
#[derive(Debug, Clone, Default)]
pub struct TestIssuers {
    routes: Arc<Routes>,
}

impl TestIssuers {
    /// A server with nothing to serve yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Serve `document` at `url` (replacing what was served there).
    pub fn serve(&self, url: impl Into<String>, document: impl Into<String>) {
        self.routes.serve(url.into(), document.into());
    }

    /// How many fetches of `url` have started.
    pub fn fetches(&self, url: &str) -> u64 {
        self.routes.fetches(url)
    }

    /// How many fetches have started, of any URL.
    pub fn total_fetches(&self) -> u64 {
        self.routes.total_fetches()
    }
}

impl JwksFetcher for TestIssuers {
    fn fetch<'a>(&'a self, url: &'a str) -> FetchFuture<'a> {
        self.routes.fetch(url)
    }
}

/// Documents by URL, fetches counted by URL, and a failure on demand: the
/// server behind [`TestIssuers`] and [`TestAlbKeys`](super::TestAlbKeys).
#[derive(Debug, Default)]
pub(super) struct Routes {
    state: Mutex<RoutesState>,
}

#[derive(Debug, Default)]
struct RoutesState {
    documents: HashMap<String, String>,
    fetches: HashMap<String, u64>,
    failure: Option<String>,
}

impl Routes {
    fn state(&self) -> MutexGuard<'_, RoutesState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn serve(&self, url: String, document: String) {
        self.state().documents.insert(url, document);
    }

    pub(super) fn fail(&self, message: Option<String>) {
        self.state().failure = message;
    }

    pub(super) fn document(&self, url: &str) -> Option<String> {
        self.state().documents.get(url).cloned()
    }

    pub(super) fn fetches(&self, url: &str) -> u64 {
        self.state().fetches.get(url).copied().unwrap_or(0)
    }

    pub(super) fn total_fetches(&self) -> u64 {
        self.state().fetches.values().sum()
    }

    /// Count a fetch of `url` and answer it: the failure if one is set,
    /// else the document, else HTTP 404.
    pub(super) fn fetch(&self, url: &str) -> FetchFuture<'static> {
        let answer = {
            let mut state = self.state();
            *state.fetches.entry(url.to_owned()).or_default() += 1;
            match (&state.failure, state.documents.get(url)) {
                (Some(message), _) => Err(FetchError::new(message.clone())),
                (None, Some(document)) => Ok(document.clone().into_bytes()),
                (None, None) => Err(FetchError::http_status(404, "HTTP 404 Not Found")),
            }
        };
        Box::pin(async move { answer })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::TestIssuer;

    #[tokio::test]
    async fn an_unknown_url_is_a_counted_404() {
        let issuers = TestIssuers::new();
        issuers.serve("https://id.example/keys", "{}");
        let err = issuers.fetch("https://id.example/other").await.unwrap_err();
        assert_eq!(err.status(), Some(404));
        assert_eq!(issuers.fetches("https://id.example/other"), 1);
        assert_eq!(issuers.fetches("https://id.example/keys"), 0);
    }

    #[tokio::test]
    async fn fetches_are_counted_by_url_and_clones_share_them() {
        let pool = TestIssuer::new("eu-west-1_Counted");
        let issuers = TestIssuers::new();
        issuers.add_user_pool(&pool);
        let clone = issuers.clone();
        for _ in 0..2 {
            let document = clone.fetch(&pool.jwks_uri()).await.unwrap();
            assert_eq!(document, pool.jwks_json().into_bytes());
        }
        let _ = clone.fetch("https://id.example/other").await;
        assert_eq!(issuers.fetches(&pool.jwks_uri()), 2);
        assert_eq!(issuers.total_fetches(), 3);
    }
}
