//! Verifying the `x-amzn-oidc-data` header an Application Load Balancer
//! adds to every request it has authenticated: an ES256 JWT, its segments
//! padded, its key a PEM document per `kid` at the load balancer's
//! regional key endpoint.
//!
//! The steps are the engine's (split, header rules, signature with a key
//! parsed once, the one claims parser, error kinds, HTTP mapping, health);
//! what differs is the key source, one PEM per kid ([`keys`]), and the
//! header, which carries the load balancer's fields ([`token`]).

mod arn;
mod claims;
mod keys;
mod token;

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

pub use claims::AlbClaims;
pub(crate) use claims::AlbHeader;

use crate::algorithm::Algorithm;
use crate::claims::TokenClaims;
use crate::claims::{ClaimsView, Payload};
use crate::engine::{Common, claims_of, unix_secs};
use crate::error::{ConfigError, Error, ErrorKind};
use crate::health::Health;
use crate::jwks::{JwksFetcher, KeySetOptions, VerifyingKey, default_fetcher};
use crate::jwt::media_type_is;
use crate::metrics::Metrics;
use arn::{LoadBalancer, load_balancer};
use keys::AlbKeys;
use token::{AlbToken, RawAlbHeader, is_uuid};

#[cfg(feature = "testing")]
pub(crate) use keys::p256_pem;

/// The header an Application Load Balancer puts its signed user claims in.
pub const ALB_DATA_HEADER: &str = "x-amzn-oidc-data";
/// The header with the identity provider's access token, beside
/// [`ALB_DATA_HEADER`].
pub const ALB_ACCESS_TOKEN_HEADER: &str = "x-amzn-oidc-accesstoken";
/// The header with the user's `sub`, beside [`ALB_DATA_HEADER`]
/// (unsigned: read `sub` from the verified claims instead).
pub const ALB_IDENTITY_HEADER: &str = "x-amzn-oidc-identity";

/// Verifies the `x-amzn-oidc-data` header that an Application Load
/// Balancer signs, on the same engine as
/// [`CognitoJwtVerifier`](crate::CognitoJwtVerifier).
///
/// A token is accepted when: it is three padded base64url segments, as
/// the load balancer writes them (the signature covers them as sent);
/// its header says `alg` `ES256`, names a `kid` that is a UUID and a
/// `signer` that is exactly one of the configured load-balancer ARNs (all
/// checked before any fetch); the 64-byte `R ‖ S` signature verifies with
/// the P-256 key published for that kid in the signer's region; the
/// header's `exp` (and the payload's, when present) has not passed; and
/// the header's `client` and `iss` are among those configured, when
/// configured.
///
/// Cheap to clone (an `Arc`); every clone shares one key cache.
///
/// ```no_run
/// use cognito_jwt_core::{AlbClaims, AlbJwtVerifier};
///
/// # async fn run(header_value: &str) -> Result<(), Box<dyn std::error::Error>> {
/// let verifier = AlbJwtVerifier::builder()
///     .load_balancer_arn(
///         "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/my-alb/50dc6c495c0c9188",
///     )
///     .client_id("1example23456789")
///     .build()?;
/// let claims: AlbClaims = verifier.verify(header_value).await?;
/// println!("hello {}", claims.email.as_deref().unwrap_or(&claims.sub));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct AlbJwtVerifier {
    inner: Arc<Inner>,
}

struct Inner {
    /// The trusted load balancers, with the index of their key endpoint.
    load_balancers: Vec<(String, usize)>,
    client_ids: Vec<String>,
    issuer: Option<String>,
    keys: AlbKeys,
    leeway: u64,
    metrics: Metrics,
}

impl fmt::Debug for AlbJwtVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AlbJwtVerifier")
            .field(
                "load_balancers",
                &self
                    .inner
                    .load_balancers
                    .iter()
                    .map(|(arn, _)| arn)
                    .collect::<Vec<_>>(),
            )
            .field("client_ids", &self.inner.client_ids)
            .field("issuer", &self.inner.issuer)
            .field("leeway_secs", &self.inner.leeway)
            .finish_non_exhaustive()
    }
}

impl AlbJwtVerifier {
    /// A builder with every setting at its documented default.
    pub fn builder() -> AlbJwtVerifierBuilder {
        AlbJwtVerifierBuilder::default()
    }

    /// Verify an `x-amzn-oidc-data` value, fetching its key if needed,
    /// and return its claims as `T` ([`AlbClaims`], or your own
    /// [`TokenClaims`] type, built from the payload).
    ///
    /// # Errors
    /// An [`Error`] whose [`kind`](Error::kind) says why the token was
    /// refused: [`ErrorKind::InvalidIssuer`] for a `signer` (or `iss`)
    /// that is not configured, [`ErrorKind::InvalidAudience`] for a
    /// `client` that is not, [`ErrorKind::UnknownKid`] when the load
    /// balancer has no key with the token's kid (or publishes one that is
    /// not a P-256 key: as an unusable key in a key set, it is skipped),
    /// and [`ErrorKind::JwksUnavailable`] when its key endpoint fails
    /// (any answer other than the key, a 404, or the 403 an S3 key bucket
    /// gives for a missing key) or the key has not been confirmed for
    /// longer than the [maximum staleness](KeySetOptions::max_staleness).
    pub async fn verify<T: TokenClaims>(&self, token: &str) -> Result<T, Error> {
        let result = self.inner.verify(token).await;
        self.inner.metrics.verified(result)
    }

    /// Verify with cached keys only; never waits on the network, and
    /// gives the verdicts of [`verify`](Self::verify) once the key is
    /// fetched.
    ///
    /// A kid not cached yet starts its fetch in the background (one per
    /// key endpoint at a time, within the same cool-down and back-off as
    /// `verify`), on the caller's Tokio runtime, else the one the verifier
    /// was built or first used on; later calls find the key. So a verifier
    /// used only synchronously (a tonic interceptor) loads its keys too.
    ///
    /// # Errors
    /// As [`verify`](Self::verify) (a kid the load balancer is known not
    /// to have is [`ErrorKind::UnknownKid`], an endpoint in its back-off
    /// [`ErrorKind::JwksUnavailable`]); [`ErrorKind::JwksNotCached`] while
    /// the token's key is being fetched, or when there is no Tokio runtime
    /// to fetch it on.
    pub fn verify_sync<T: TokenClaims>(&self, token: &str) -> Result<T, Error> {
        let result = self.inner.verify_sync(token);
        self.inner.metrics.verified(result)
    }

    /// The state of every key endpoint (one per region in use):
    /// `never_fetched` until the first token arrives (keys are fetched by
    /// `kid`, so there is nothing to fetch ahead), `fresh` once its last
    /// fetch worked, `stale` or `unavailable` after a failure.
    pub fn health(&self) -> Health {
        Health::new(self.inner.keys.health())
    }

    /// The key endpoints, one per region in use: keys are fetched from
    /// `<endpoint>/<kid>`.
    pub fn key_endpoints(&self) -> impl Iterator<Item = &str> {
        (0..self.inner.keys.endpoint_count()).map(|endpoint| self.inner.keys.base(endpoint))
    }
}

impl Inner {
    async fn verify<T: TokenClaims>(&self, token: &str) -> Result<T, Error> {
        let token = AlbToken::decode(token)?;
        let (endpoint, kid) = self.check_header(&token.header)?;
        let url = self.keys.url(endpoint, kid);
        let key = self.keys.key(endpoint, url, kid).await?;
        self.finish(&token, &key)
    }

    fn verify_sync<T: TokenClaims>(&self, token: &str) -> Result<T, Error> {
        let token = AlbToken::decode(token)?;
        let (endpoint, kid) = self.check_header(&token.header)?;
        let key = self
            .keys
            .cached(endpoint, &self.keys.url(endpoint, kid), kid)?;
        self.finish(&token, &key)
    }

    /// Everything the header must say before a key is looked up; the key
    /// endpoint and the kid to fetch.
    fn check_header<'h>(&self, header: &'h RawAlbHeader) -> Result<(usize, &'h str), Error> {
        match header.alg.as_deref() {
            Some("ES256") => {}
            Some(_) => {
                return Err(Error::new(
                    ErrorKind::UnsupportedAlgorithm,
                    "the header's alg is not ES256, the only algorithm load balancers use",
                ));
            }
            None => {
                return Err(Error::new(
                    ErrorKind::UnsupportedAlgorithm,
                    "the header has no alg; load balancers sign with ES256",
                ));
            }
        }
        if header
            .typ
            .as_deref()
            .is_some_and(|typ| !media_type_is(typ, "jwt"))
        {
            return Err(Error::new(
                ErrorKind::Malformed,
                "the header's typ is not JWT",
            ));
        }
        let kid = header.kid.as_deref().ok_or_else(|| {
            Error::new(
                ErrorKind::Malformed,
                "the header has no kid; load balancers always name their key",
            )
        })?;
        if !is_uuid(kid) {
            return Err(Error::new(
                ErrorKind::Malformed,
                "the header's kid is not a UUID, the form of every load balancer key id",
            ));
        }
        let signer = header.signer.as_deref().ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidIssuer,
                "the header has no signer; only tokens a load balancer signed are accepted",
            )
        })?;
        let endpoint = self
            .load_balancers
            .iter()
            .find(|(arn, _)| arn.as_bytes() == signer.as_bytes())
            .map(|(_, endpoint)| *endpoint)
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidIssuer,
                    format!(
                        "the header's signer is not a configured load balancer (expected {}); \
                         check the load balancer ARNs the verifier was built with",
                        self.load_balancers
                            .iter()
                            .map(|(arn, _)| arn.as_str())
                            .collect::<Vec<_>>()
                            .join(" or ")
                    ),
                )
            })?;
        Ok((endpoint, kid))
    }

    /// Signature, dates, client, issuer, claims type.
    fn finish<T: TokenClaims>(&self, token: &AlbToken<'_>, key: &VerifyingKey) -> Result<T, Error> {
        if !key.verify(
            Algorithm::ES256,
            token.parts.signing_input,
            token.signature()?,
        ) {
            return Err(Error::new(
                ErrorKind::InvalidSignature,
                "the signature does not verify with the load balancer's key; the header was \
                 altered or forged",
            ));
        }
        let header = &token.header;
        let exp = header.exp.ok_or_else(|| {
            Error::new(
                ErrorKind::Malformed,
                "the header has no exp; load balancers always set it",
            )
        })?;
        let payload = Payload::parse(&token.json)?;
        let now = unix_secs(SystemTime::now())?;
        let expired = |exp: u64| now >= exp.saturating_add(self.leeway);
        if expired(exp) {
            return Err(Error::new(
                ErrorKind::Expired,
                "the load balancer's token has expired (header exp)",
            ));
        }
        if payload.exp.is_some_and(expired) {
            return Err(Error::new(
                ErrorKind::Expired,
                "the identity provider's claims have expired (payload exp)",
            ));
        }
        let future = |date: Option<u64>| date.is_some_and(|d| d > now.saturating_add(self.leeway));
        if future(payload.nbf) || future(payload.iat) {
            return Err(Error::new(
                ErrorKind::NotYetValid,
                "the payload's nbf or iat is in the future; check the server clock",
            ));
        }
        if !self.client_ids.is_empty()
            && !header.client.as_deref().is_some_and(|client| {
                self.client_ids
                    .iter()
                    .any(|c| c.as_bytes() == client.as_bytes())
            })
        {
            return Err(Error::new(
                ErrorKind::InvalidAudience,
                format!(
                    "the header's client is not an accepted app client (expected {}); check \
                     ALB_CLIENT_ID",
                    self.client_ids.join(" or ")
                ),
            ));
        }
        if let Some(issuer) = &self.issuer
            && header.iss.as_deref().map(str::as_bytes) != Some(issuer.as_bytes())
        {
            return Err(Error::new(
                ErrorKind::InvalidIssuer,
                format!("the header's iss is not the configured issuer (expected {issuer})"),
            ));
        }
        if let (Some(inner), Some(outer)) = (payload.iss.as_deref(), header.iss.as_deref())
            && inner.as_bytes() != outer.as_bytes()
        {
            return Err(Error::new(
                ErrorKind::InvalidIssuer,
                "the payload's iss differs from the header's",
            ));
        }
        if payload.sub.is_none() {
            return Err(Error::new(
                ErrorKind::Malformed,
                "the payload has no sub claim; load balancers always pass the user's sub",
            ));
        }
        if T::TOKEN_USE.is_some() {
            return Err(Error::new(
                ErrorKind::InvalidTokenUse,
                "Cognito claims types (IdTokenClaims, AccessTokenClaims) are for \
                 CognitoJwtVerifier; use AlbClaims or your own type",
            ));
        }
        let alb = AlbHeader {
            signer: header.signer.clone().unwrap_or_default(),
            client: header.client.clone(),
            iss: header.iss.clone(),
            exp,
        };
        claims_of::<T>(&ClaimsView::alb(&payload, &token.json, &alb))
    }
}

/// Builds an [`AlbJwtVerifier`]. `build()` does no network I/O.
#[must_use]
#[derive(Default)]
pub struct AlbJwtVerifierBuilder {
    arns: Vec<String>,
    client_ids: Vec<String>,
    issuer: Option<String>,
    keys_url: Option<String>,
    common: Common,
}

impl fmt::Debug for AlbJwtVerifierBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AlbJwtVerifierBuilder")
            .field("arns", &self.arns)
            .field("client_ids", &self.client_ids)
            .field("issuer", &self.issuer)
            .field("keys_url", &self.keys_url)
            .field("leeway", &self.common.leeway)
            .field("key_set_options", &self.common.key_set)
            .finish_non_exhaustive()
    }
}

impl AlbJwtVerifierBuilder {
    /// Trust tokens this load balancer signs: its ARN, compared byte for
    /// byte with the header's `signer`. Required; call once per load
    /// balancer. Its region (and partition) names its key endpoint:
    /// `https://public-keys.auth.elb.<region>.amazonaws.com`, or the S3
    /// bucket of `us-gov-west-1` and `us-gov-east-1`; other partitions
    /// (China) need [`keys_url`](Self::keys_url).
    pub fn load_balancer_arn(mut self, arn: impl Into<String>) -> Self {
        self.arns.push(arn.into());
        self
    }

    /// Accept tokens whose header `client` is this app client id. Call
    /// once per client. Defaults to any client of the trusted load
    /// balancers.
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_ids.push(client_id.into());
        self
    }

    /// Accept tokens whose header `iss` is exactly this identity provider
    /// (for Cognito, `https://cognito-idp.<region>.amazonaws.com/<pool id>`).
    /// Defaults to any.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// Fetch keys from `<base>/<kid>` instead of the load balancers'
    /// regional endpoints: for tests, local emulators, or a partition
    /// whose endpoint is not built in. `http:` is allowed here (and only
    /// here). Defaults to the endpoint of each ARN's region.
    pub fn keys_url(mut self, base: impl Into<String>) -> Self {
        self.keys_url = Some(base.into());
        self
    }

    /// Tolerated clock skew for `exp`, `nbf` and `iat`. Defaults to 0; at
    /// most 5 minutes.
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.common.leeway = leeway;
        self
    }

    /// The timings and limits of the key fetches: cool-down after an
    /// unknown kid, refresh interval, maximum staleness, fetch and
    /// connect time-outs, back-off. Defaults to
    /// [`KeySetOptions::default()`]; each setting's default and range are
    /// on its setter (which also says how it applies to load-balancer
    /// keys), and one out of range fails `build` with a [`ConfigError`]
    /// naming it.
    pub fn key_set_options(mut self, options: KeySetOptions) -> Self {
        self.common.key_set = options;
        self
    }

    /// Fetch keys with this fetcher instead of the default (reqwest: no
    /// redirects, a body cap, connect and total time-outs).
    pub fn fetcher(mut self, fetcher: impl JwksFetcher) -> Self {
        self.common.fetcher = Some(Arc::new(fetcher));
        self
    }

    /// The `verifier` label of this verifier's metrics (see
    /// [`metrics`](crate::metrics)). Defaults to `alb`. Give each verifier
    /// of a process its own short name.
    #[cfg(feature = "metrics")]
    #[cfg_attr(docsrs, doc(cfg(feature = "metrics")))]
    pub fn metrics_name(mut self, name: impl Into<String>) -> Self {
        self.common.metrics_name = Some(name.into());
        self
    }

    /// Check the configuration and build the verifier. Does no I/O.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first setting that is missing or wrong:
    /// no ARN, an ARN that is not an Application Load Balancer's, a
    /// partition without a known key endpoint and no `keys_url`, a
    /// `keys_url` that is not an `http(s)` URL, an empty client id or
    /// issuer, or a timing out of bounds.
    pub fn build(self) -> Result<AlbJwtVerifier, ConfigError> {
        if self.arns.is_empty() {
            return Err(ConfigError::missing(
                "load_balancer_arn".to_owned(),
                "at least one load balancer ARN (AlbJwtVerifierBuilder::load_balancer_arn)"
                    .to_owned(),
            ));
        }
        self.common.check()?;
        let keys_url = self.keys_url.as_deref().map(check_keys_url).transpose()?;
        if self.client_ids.iter().any(String::is_empty) {
            return Err(ConfigError::invalid("client_id", "a client id is empty"));
        }
        if self.issuer.as_deref() == Some("") {
            return Err(ConfigError::invalid("issuer", "the issuer is empty"));
        }
        let mut bases: Vec<(String, String)> = Vec::new();
        let mut load_balancers = Vec::new();
        for (index, arn) in self.arns.iter().enumerate() {
            let name = format!("load_balancer_arn[{index}]");
            let LoadBalancer { arn, keys_base } = load_balancer(arn, &name, keys_url)?;
            let endpoint = match bases.iter().position(|(_, b)| *b == keys_base) {
                Some(i) => i,
                None => {
                    bases.push((name, keys_base));
                    bases.len() - 1
                }
            };
            if !load_balancers.iter().any(|(a, _)| *a == arn) {
                load_balancers.push((arn, endpoint));
            }
        }
        let metrics = self.common.metrics("alb");
        let fetcher = match self.common.fetcher {
            Some(fetcher) => fetcher,
            None => default_fetcher(
                self.common.key_set.connect_timeout,
                self.common.key_set.fetch_timeout,
            )?,
        };
        Ok(AlbJwtVerifier {
            inner: Arc::new(Inner {
                load_balancers,
                client_ids: self.client_ids,
                issuer: self.issuer,
                keys: AlbKeys::new(bases, fetcher, self.common.key_set, metrics.clone()),
                leeway: self.common.leeway.as_secs(),
                metrics,
            }),
        })
    }
}

/// A keys base URL: `http(s)://host[/path]`, no query or fragment; its
/// trailing `/` dropped.
fn check_keys_url(url: &str) -> Result<&str, ConfigError> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(rest) if !rest.is_empty() && !rest.starts_with('/') && !url.contains(['?', '#']) => {
            Ok(url.trim_end_matches('/'))
        }
        _ => Err(ConfigError::invalid(
            "keys_url",
            "expected an http:// or https:// base URL without query or fragment; keys are \
             fetched from <keys_url>/<kid>",
        )),
    }
}
