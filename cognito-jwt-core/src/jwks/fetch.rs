//! Fetching key-set documents: the [`JwksFetcher`] trait and its default
//! reqwest implementation.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use crate::error::ConfigError;

/// The largest key-set response accepted, in bytes. Real Cognito key sets
/// are under 2 KiB.
pub const MAX_JWKS_BYTES: usize = 64 * 1024;

/// Why a key set (or a load balancer's key) is fetched: logged, and the
/// `reason` label of the fetch counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FetchReason {
    /// The first fetch.
    Cold,
    /// A fetch after a failure left no usable set.
    Retry,
    /// The set is due for its refresh.
    Refresh,
    /// A token named a key the set lacks.
    UnknownKid,
    /// `hydrate()`.
    Hydrate,
}

impl FetchReason {
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            FetchReason::Cold => "cold",
            FetchReason::Retry => "retry",
            FetchReason::Refresh => "refresh",
            FetchReason::UnknownKid => "unknown_kid",
            FetchReason::Hydrate => "hydrate",
        }
    }
}

/// How a fetch ended, for the fetch counter and the fetch span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FetchOutcome {
    /// A usable set (or key) was stored.
    Ok,
    /// The endpoint has no usable key by that id (load balancers: a 404,
    /// or the 403 an S3 key bucket answers for a missing object, or a key
    /// that cannot verify ES256).
    NotFound,
    /// Anything else: network, time-out, HTTP error, unusable document.
    Error,
}

impl FetchOutcome {
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            FetchOutcome::Ok => "ok",
            FetchOutcome::NotFound => "not_found",
            FetchOutcome::Error => "error",
        }
    }
}

/// A boxed future returned by [`JwksFetcher::fetch`].
pub type FetchFuture<'a> = Pin<Box<dyn Future<Output = Result<Vec<u8>, FetchError>> + Send + 'a>>;

/// Fetches the raw bytes of a key-set document.
///
/// The verifier parses and validates what is returned, applies its own total
/// time-out around every call, and never calls a fetcher twice at once for
/// the same URL. Implement this to use your own HTTP client, a proxy, or a
/// key source that is not HTTP at all.
///
/// ```
/// use cognito_jwt_core::{FetchError, FetchFuture, JwksFetcher};
///
/// /// Serves a key set compiled into the binary.
/// struct Embedded(&'static str);
///
/// impl JwksFetcher for Embedded {
///     fn fetch<'a>(&'a self, _url: &'a str) -> FetchFuture<'a> {
///         Box::pin(async move { Ok(self.0.as_bytes().to_vec()) })
///     }
/// }
/// ```
pub trait JwksFetcher: Send + Sync + 'static {
    /// Fetch the document at `url`. Return at most [`MAX_JWKS_BYTES`].
    fn fetch<'a>(&'a self, url: &'a str) -> FetchFuture<'a>;
}

/// Why a key set could not be fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchError {
    message: String,
    status: Option<u16>,
}

impl FetchError {
    /// A fetch failure with a message for logs (never include credentials).
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            status: None,
        }
    }

    /// A fetch answered with an HTTP error `status` (4xx or 5xx).
    ///
    /// The ALB key cache reads it: a 404, or the 403 an S3 key bucket
    /// answers for a missing object, means the load balancer has no key
    /// with that id (remembered for one cool-down, and the token refused as
    /// unknown); any other status is an outage (retried with back-off).
    pub fn http_status(status: u16, message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            status: Some(status),
        }
    }

    /// The HTTP status of the answer, when the server answered with an error.
    pub fn status(&self) -> Option<u16> {
        self.status
    }
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FetchError {}

/// The default fetcher: reqwest with rustls, no redirects, no decompression,
/// connect and total time-outs, and a [`MAX_JWKS_BYTES`] body cap.
///
/// The HTTP client (TLS configuration, the platform's certificate store)
/// is built at the first fetch, once, and shared by every clone: a
/// verifier whose key set is bundled (a Lambda function's seed) or
/// supplied with `cache_jwks` never touches the TLS stack or the
/// certificate store, and a cold start does not pay for them.
///
/// # Trusted roots
///
/// The default client trusts the platform's certificate store, through
/// reqwest's `rustls-platform-verifier`. On Linux that is the PEM bundle
/// named by `SSL_CERT_FILE` and the directories of `SSL_CERT_DIR` when
/// either is set, otherwise the distribution's bundle and certificate
/// directory (Debian: `/etc/ssl/certs/ca-certificates.crt` and every file
/// of `/etc/ssl/certs`), read and parsed when the client is built. That
/// store follows the operating system's root updates and holds the private
/// CAs an organisation adds (a TLS-inspecting proxy's, say); Lambda's
/// images ship one.
///
/// To trust roots compiled into the binary instead (a container image
/// without a CA bundle; no file read when the client is built), give the
/// verifier your own client with [`from_client`](Self::from_client), as
/// its example shows. `benches/README.md` in the repository measures both
/// for a Lambda cold start: the store is a few milliseconds at most, but
/// the first TLS handshake of a process also seeds aws-lc's random
/// generator, which with aws-lc-sys's default CPU-jitter entropy source
/// took 54 ms of CPU there (building with `AWS_LC_SYS_NO_JITTER_ENTROPY=1`
/// seeds it from the operating system alone).
#[cfg(feature = "reqwest")]
#[cfg_attr(docsrs, doc(cfg(feature = "reqwest")))]
#[derive(Debug, Clone)]
pub struct ReqwestFetcher {
    client: Arc<std::sync::OnceLock<Result<reqwest::Client, String>>>,
    connect_timeout: Duration,
    timeout: Duration,
}

#[cfg(feature = "reqwest")]
impl ReqwestFetcher {
    /// A fetcher with the given connect and total time-outs. Does no work
    /// until the first fetch.
    ///
    /// # Errors
    /// None today (the `Result` is kept for a future check of the
    /// settings): a TLS backend that cannot be initialised makes each
    /// fetch fail instead, which the key cache reports as an outage.
    pub fn new(connect_timeout: Duration, timeout: Duration) -> Result<Self, FetchError> {
        Ok(Self {
            client: Arc::default(),
            connect_timeout,
            timeout,
        })
    }

    /// Use an existing reqwest client (its redirect, time-out, proxy and
    /// trusted-root settings apply; the body cap and status checks still
    /// do). The client is built by then, so its certificate store is read
    /// at once, whether or not anything is ever fetched.
    ///
    /// A client trusting the Mozilla roots compiled into the binary (the
    /// `webpki-root-certs` crate) rather than the platform's store, with
    /// the default fetcher's other settings:
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// use cognito_jwt_core::{CognitoJwtVerifier, ReqwestFetcher, TokenUse, UserPool};
    ///
    /// let roots = webpki_root_certs::TLS_SERVER_ROOT_CERTS
    ///     .iter()
    ///     .map(|der| reqwest::Certificate::from_der(der))
    ///     .collect::<Result<Vec<_>, _>>()?;
    /// let client = reqwest::Client::builder()
    ///     .tls_certs_only(roots)
    ///     .redirect(reqwest::redirect::Policy::none())
    ///     .connect_timeout(Duration::from_secs(5))
    ///     .timeout(Duration::from_secs(10))
    ///     .build()?;
    /// let verifier = CognitoJwtVerifier::builder()
    ///     .user_pool(
    ///         UserPool::new("eu-west-1_AbC123xyz")
    ///             .client_id("1example23456789")
    ///             .token_use(TokenUse::Access),
    ///     )
    ///     .fetcher(ReqwestFetcher::from_client(client))
    ///     .build()?;
    /// # let _ = verifier;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_client(client: reqwest::Client) -> Self {
        Self {
            client: Arc::new(std::sync::OnceLock::from(Ok(client))),
            connect_timeout: Duration::ZERO,
            timeout: Duration::ZERO,
        }
    }

    /// The client, built at the first call.
    fn client(&self) -> Result<&reqwest::Client, FetchError> {
        self.client
            .get_or_init(|| {
                reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .connect_timeout(self.connect_timeout)
                    .timeout(self.timeout)
                    .user_agent(concat!("cognito-jwt/", env!("CARGO_PKG_VERSION")))
                    .build()
                    .map_err(|e| format!("cannot build the HTTP client: {e}"))
            })
            .as_ref()
            .map_err(|message| FetchError::new(message.clone()))
    }
}

#[cfg(feature = "reqwest")]
impl JwksFetcher for ReqwestFetcher {
    fn fetch<'a>(&'a self, url: &'a str) -> FetchFuture<'a> {
        Box::pin(async move {
            let describe = |e: reqwest::Error| {
                let what = if e.is_timeout() {
                    "timed out"
                } else if e.is_connect() {
                    "could not connect"
                } else if e.is_body() || e.is_decode() {
                    "failed while reading the body"
                } else {
                    "request failed"
                };
                let e = e.without_url();
                let mut message = format!("{what}: {e}");
                let mut source = std::error::Error::source(&e);
                while let Some(cause) = source {
                    message.push_str(": ");
                    message.push_str(&cause.to_string());
                    source = cause.source();
                }
                FetchError::new(message)
            };
            let mut response = self
                .client()?
                .get(url)
                .header("accept", "application/json")
                .header("accept-encoding", "identity")
                .send()
                .await
                .map_err(describe)?;
            let status = response.status();
            if status.is_redirection() {
                return Err(FetchError::new(format!(
                    "HTTP {status}: redirects are not followed; configure the final key-set URL"
                )));
            }
            if !status.is_success() {
                return Err(FetchError::http_status(
                    status.as_u16(),
                    format!("HTTP {status}"),
                ));
            }
            if let Some(encoding) = response.headers().get("content-encoding")
                && encoding.as_bytes() != b"identity"
            {
                return Err(FetchError::new(
                    "the response is compressed although identity was requested",
                ));
            }
            if response
                .content_length()
                .is_some_and(|len| len > MAX_JWKS_BYTES as u64)
            {
                return Err(FetchError::new(format!(
                    "the response is larger than {MAX_JWKS_BYTES} bytes"
                )));
            }
            let mut body = Vec::new();
            while let Some(chunk) = response.chunk().await.map_err(describe)? {
                if body.len() + chunk.len() > MAX_JWKS_BYTES {
                    return Err(FetchError::new(format!(
                        "the response is larger than {MAX_JWKS_BYTES} bytes"
                    )));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(body)
        })
    }
}

/// The fetcher used when none is given: reqwest, with these time-outs.
#[cfg(feature = "reqwest")]
pub(crate) fn default_fetcher(
    connect: Duration,
    total: Duration,
) -> Result<Arc<dyn JwksFetcher>, ConfigError> {
    ReqwestFetcher::new(connect, total)
        .map(|f| Arc::new(f) as Arc<dyn JwksFetcher>)
        .map_err(|source| ConfigError::HttpClient { source })
}

#[cfg(not(feature = "reqwest"))]
pub(crate) fn default_fetcher(
    _: Duration,
    _: Duration,
) -> Result<Arc<dyn JwksFetcher>, ConfigError> {
    Err(ConfigError::missing(
        "fetcher",
        "a JwksFetcher (the `reqwest` feature, which provides the default, is off)",
    ))
}

#[cfg(all(test, feature = "reqwest"))]
mod tests {
    use super::*;

    /// No HTTP client (TLS set-up, the platform's certificate store) until
    /// the first fetch; then one, shared by the clones.
    #[tokio::test]
    async fn the_http_client_is_built_at_the_first_fetch_once_for_all_clones() {
        let fetcher = ReqwestFetcher::new(Duration::from_secs(1), Duration::from_secs(1)).unwrap();
        let clone = fetcher.clone();
        assert!(fetcher.client.get().is_none(), "built before any fetch");
        // Nothing listens on port 9 of 127.0.0.1: the fetch fails, after
        // building the client.
        let refused = clone.fetch("http://127.0.0.1:9/jwks.json").await;
        assert!(refused.is_err());
        assert!(fetcher.client.get().is_some_and(Result::is_ok));
        assert!(Arc::ptr_eq(&fetcher.client, &clone.client));
    }

    /// A Lambda function's cold start with a bundled key set: verifying
    /// never builds the HTTP client, so the TLS stack and the certificate
    /// store are never touched.
    #[cfg(feature = "testing")]
    #[tokio::test]
    async fn a_bundled_key_set_verifies_without_building_the_http_client() {
        use crate::testing::TestIssuer;
        use crate::{AccessTokenClaims, CognitoJwtVerifier, TokenUse};

        let issuer = TestIssuer::new("eu-west-1_AbC123xyz");
        let fetcher = ReqwestFetcher::new(Duration::from_secs(1), Duration::from_secs(1)).unwrap();
        let verifier = CognitoJwtVerifier::builder()
            .user_pool(issuer.user_pool("client", TokenUse::Access))
            .fetcher(fetcher.clone())
            .build()
            .unwrap();
        assert_eq!(
            verifier
                .cache_jwks(issuer.pool_id(), &issuer.jwks_json())
                .unwrap(),
            1
        );
        let token = issuer.access_token("client").sign();
        for _ in 0..2 {
            verifier.verify::<AccessTokenClaims>(&token).await.unwrap();
        }
        assert!(fetcher.client.get().is_none(), "the HTTP client was built");
    }
}
