//! Many tenants: a [`JwtVerifier`](crate::JwtVerifier) whose issuers are
//! found at run time by an [`IssuerResolver`].
//!
//! Once a token's header passed, its `iss` is read from the payload and
//! looked up, in turn, among the issuers resolved before (an LRU of
//! engines, one key set each), the issuers refused recently (bounded, each
//! for a time), and finally by the resolver. Key-set and discovery URLs
//! come only from the configuration the resolver returned for an issuer it
//! allowed: nothing is fetched for an issuer it did not allow.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use moka::policy::EvictionPolicy;
use moka::sync::Cache;

use crate::algorithm::{Algorithm, AlgorithmSet};
use crate::builder::{Common, cognito_engine};
use crate::claims::issuer_of;
use crate::config::UserPool;
use crate::error::{ConfigError, Error, ErrorKind};
use crate::issuer::Issuer;
use crate::jwt::{Decoded, HeaderRules};
use crate::jwt_verifier::oidc_engine;
use crate::metrics::Metrics;
use crate::requirements::Requirements;
use crate::token_cache::TokenCache;
use crate::token_claims::TokenClaims;
use crate::verifier::Inner;

/// The longest `iss` handed to a resolver or remembered as refused.
const MAX_ISSUER_LEN: usize = 1024;

/// An issuer a resolver allows, with the rules its tokens are checked by.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TrustedIssuer {
    /// Any OpenID Connect or OAuth 2.0 issuer, by its [`Issuer`] settings.
    Oidc(Issuer),
    /// A Cognito user pool, by exactly the rules of
    /// [`CognitoJwtVerifier`](crate::CognitoJwtVerifier): RS256,
    /// `token_use`, the app client in `aud` or `client_id`, and the
    /// Cognito claims types.
    Cognito(UserPool),
}

impl From<Issuer> for TrustedIssuer {
    fn from(issuer: Issuer) -> Self {
        Self::Oidc(issuer)
    }
}

impl From<UserPool> for TrustedIssuer {
    fn from(pool: UserPool) -> Self {
        Self::Cognito(pool)
    }
}

/// Why an asynchronous resolver could not answer (a database that is
/// down, say). Unlike a refusal, it is not remembered: the token is
/// refused as [`ErrorKind::JwksUnavailable`] and the next one asks again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolveError {
    message: String,
}

impl ResolveError {
    /// An error with this message (it reaches logs and the error's
    /// message, never the client's response body).
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

impl fmt::Display for ResolveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ResolveError {}

type Resolution = Result<Option<TrustedIssuer>, ResolveError>;
type ResolveFuture = Pin<Box<dyn Future<Output = Resolution> + Send>>;
type ResolveFn = dyn Fn(&str) -> Option<TrustedIssuer> + Send + Sync;
type ResolveAsyncFn = dyn Fn(String) -> ResolveFuture + Send + Sync;

/// Decides, for the `iss` of a token, whether the issuer is trusted and
/// by which rules: a fixed list, a function, or an asynchronous lookup
/// (a database of tenants, say). Give it to
/// [`JwtVerifierBuilder::issuer_resolver`](crate::JwtVerifierBuilder::issuer_resolver).
///
/// The verifier asks it only about tokens whose header passed, only for
/// an `iss` of at most 1 KiB, and remembers both answers (see
/// [`max_issuers`](crate::JwtVerifierBuilder::max_issuers) and
/// [`refused_issuers`](crate::JwtVerifierBuilder::refused_issuers)).
/// The `iss` it is asked about is attacker-controlled text: compare it,
/// do not build URLs or queries from it without checking it first. Its
/// answer must be for that very issuer (byte for byte), or the issuer is
/// refused.
///
/// One Cognito user pool per tenant:
///
/// ```
/// use cognito_jwt_core::{IssuerResolver, JwtVerifier, TokenUse, UserPool};
///
/// let resolver = IssuerResolver::from_fn(|iss: &str| {
///     // e.g. https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123
///     let pool_id = iss.strip_prefix("https://cognito-idp.eu-west-1.amazonaws.com/")?;
///     let client_id = app_client_of(pool_id)?; // your tenants table
///     Some(UserPool::new(pool_id).client_id(client_id).token_use(TokenUse::Access).into())
/// });
/// let verifier = JwtVerifier::builder()
///     .issuer_resolver(resolver)
///     .max_issuers(500)
///     .build()?;
/// # fn app_client_of(pool: &str) -> Option<String> {
/// #     (pool == "eu-west-1_AbC123").then(|| "1example23456789".to_owned())
/// # }
/// # Ok::<(), cognito_jwt_core::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct IssuerResolver {
    lookup: Lookup,
}

#[derive(Clone)]
enum Lookup {
    List(Arc<HashMap<String, TrustedIssuer>>),
    Sync(Arc<ResolveFn>),
    Async(Arc<ResolveAsyncFn>),
}

impl fmt::Debug for IssuerResolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.lookup {
            Lookup::List(list) => f
                .debug_struct("IssuerResolver")
                .field("issuers", &list.keys().collect::<Vec<_>>())
                .finish(),
            Lookup::Sync(_) => f.write_str("IssuerResolver(fn)"),
            Lookup::Async(_) => f.write_str("IssuerResolver(async fn)"),
        }
    }
}

impl IssuerResolver {
    /// Allow exactly these issuers (an [`Issuer`] or a [`UserPool`] each),
    /// looked up by their issuer URLs.
    ///
    /// # Errors
    /// A [`ConfigError`] for an entry whose settings are wrong, or an
    /// issuer listed twice.
    pub fn list<I, T>(issuers: I) -> Result<Self, ConfigError>
    where
        I: IntoIterator<Item = T>,
        T: Into<TrustedIssuer>,
    {
        let mut list = HashMap::new();
        for (index, trusted) in issuers.into_iter().enumerate() {
            let trusted = trusted.into();
            let urls = match &trusted {
                TrustedIssuer::Oidc(issuer) => {
                    issuer.resolve(index, &mut Vec::new())?;
                    vec![issuer.issuer().to_owned()]
                }
                TrustedIssuer::Cognito(pool) => pool.resolve(index)?.issuers,
            };
            for url in urls {
                if list.insert(url.clone(), trusted.clone()).is_some() {
                    return Err(ConfigError::invalid(
                        format!("issuer_resolver[{index}]"),
                        format!("the issuer {url} is listed twice"),
                    ));
                }
            }
        }
        Ok(Self {
            lookup: Lookup::List(Arc::new(list)),
        })
    }

    /// Ask `resolve` about each new issuer; `None` refuses it. It runs on
    /// the request's task, so it must not block (use
    /// [`from_async_fn`](Self::from_async_fn) for I/O).
    pub fn from_fn<F>(resolve: F) -> Self
    where
        F: Fn(&str) -> Option<TrustedIssuer> + Send + Sync + 'static,
    {
        Self {
            lookup: Lookup::Sync(Arc::new(resolve)),
        }
    }

    /// Ask `resolve` about each new issuer, asynchronously: `Ok(None)`
    /// refuses it, `Err` is an outage (not remembered).
    /// [`verify_sync`](crate::JwtVerifier::verify_sync) cannot wait for it,
    /// and answers [`ErrorKind::JwksNotCached`] for an issuer not resolved
    /// yet. Concurrent first tokens of one issuer may each ask; they share
    /// one key set all the same.
    pub fn from_async_fn<F, Fut>(resolve: F) -> Self
    where
        F: Fn(String) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Option<TrustedIssuer>, ResolveError>> + Send + 'static,
    {
        Self {
            lookup: Lookup::Async(Arc::new(move |iss| Box::pin(resolve(iss)))),
        }
    }

    async fn resolve(&self, iss: &str) -> Resolution {
        match &self.lookup {
            Lookup::Async(resolve) => resolve(iss.to_owned()).await,
            _ => self.resolve_now(iss).unwrap_or(Ok(None)),
        }
    }

    /// The answer when it needs no waiting.
    fn resolve_now(&self, iss: &str) -> Option<Resolution> {
        match &self.lookup {
            Lookup::List(list) => Some(Ok(list.get(iss).cloned())),
            Lookup::Sync(resolve) => Some(Ok(resolve(iss))),
            Lookup::Async(_) => None,
        }
    }
}

/// The bounds of the resolved and refused issuers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TenantLimits {
    pub(crate) max_issuers: u64,
    pub(crate) max_refused: u64,
    pub(crate) refused_ttl: Duration,
}

impl Default for TenantLimits {
    fn default() -> Self {
        Self {
            max_issuers: 100,
            max_refused: 10_000,
            refused_ttl: Duration::from_secs(5 * 60),
        }
    }
}

impl TenantLimits {
    fn check(&self) -> Result<(), ConfigError> {
        if !(1..=100_000).contains(&self.max_issuers) {
            return Err(ConfigError::invalid(
                "max_issuers",
                format!("{} is outside 1 to 100000", self.max_issuers),
            ));
        }
        if !(1..=1_000_000).contains(&self.max_refused) {
            return Err(ConfigError::invalid(
                "refused_issuers",
                format!("a capacity of {} is outside 1 to 1000000", self.max_refused),
            ));
        }
        let (min, max) = (Duration::from_secs(1), Duration::from_secs(24 * 3600));
        if self.refused_ttl < min || self.refused_ttl > max {
            return Err(ConfigError::invalid(
                "refused_issuers",
                format!(
                    "a time of {:?} is outside the accepted range {min:?} to {max:?}",
                    self.refused_ttl
                ),
            ));
        }
        Ok(())
    }
}

/// The issuers of a resolver-backed verifier.
pub(crate) struct Tenants {
    resolver: IssuerResolver,
    /// The settings every resolved issuer's engine is built with (one
    /// fetcher for all).
    common: Common,
    /// What a header must say before the resolver is asked: any algorithm
    /// the engine supports (each issuer's own list is checked by its
    /// engine).
    header: HeaderRules,
    limits: TenantLimits,
    /// The verified-token cache every engine shares, if configured.
    token_cache: Option<Arc<TokenCache>>,
    resolved: Cache<Box<str>, Arc<Inner>>,
    refused: Cache<Box<str>, ()>,
    /// The verifier's metrics, shared by every resolved issuer's engine.
    pub(crate) metrics: Metrics,
}

impl fmt::Debug for Tenants {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tenants")
            .field("resolver", &self.resolver)
            .field("limits", &self.limits)
            .field("token_cache", &self.token_cache.is_some())
            .field("resolved", &self.resolved.entry_count())
            .field("refused", &self.refused.entry_count())
            .finish_non_exhaustive()
    }
}

fn refused() -> Error {
    Error::new(
        ErrorKind::InvalidIssuer,
        "the token's iss is not a trusted issuer (the issuer resolver refused it)",
    )
}

impl Tenants {
    pub(crate) fn new(
        resolver: IssuerResolver,
        mut common: Common,
        limits: TenantLimits,
        metrics: Metrics,
    ) -> Result<Self, ConfigError> {
        limits.check()?;
        // One cache, one byte bound, for every issuer's engine.
        let token_cache = common
            .token_cache
            .take()
            .map(|max_bytes| Arc::new(TokenCache::new(max_bytes)));
        Ok(Self {
            resolver,
            common: common.with_fetcher()?,
            token_cache,
            header: HeaderRules {
                algorithms: AlgorithmSet::of(Algorithm::ALL.iter().copied()),
                cognito: false,
            },
            limits,
            resolved: Cache::builder()
                .max_capacity(limits.max_issuers)
                .eviction_policy(EvictionPolicy::lru())
                .build(),
            refused: Cache::builder()
                .max_capacity(limits.max_refused)
                .time_to_live(limits.refused_ttl)
                .eviction_policy(EvictionPolicy::lru())
                .build(),
            metrics,
        })
    }

    pub(crate) async fn verify_with<T: TokenClaims>(
        &self,
        token: &str,
        requirements: &Requirements,
    ) -> Result<T, Error> {
        let iss = self.issuer_of(token)?;
        let engine = match self.remembered(&iss)? {
            Some(engine) => engine,
            None => {
                let answer = self.resolver.resolve(&iss).await;
                self.admit(&iss, answer)?
            }
        };
        engine.verify_with(token, requirements).await
    }

    pub(crate) fn verify_sync_with<T: TokenClaims>(
        &self,
        token: &str,
        requirements: &Requirements,
    ) -> Result<T, Error> {
        let iss = self.issuer_of(token)?;
        let engine = match self.remembered(&iss)? {
            Some(engine) => engine,
            None => match self.resolver.resolve_now(&iss) {
                Some(answer) => self.admit(&iss, answer)?,
                None => {
                    return Err(Error::new(
                        ErrorKind::JwksNotCached,
                        "the token's issuer was not resolved yet and the resolver is \
                         asynchronous; use verify()",
                    ));
                }
            },
        };
        engine.verify_sync_with(token, requirements)
    }

    /// The engines of the issuers resolved and still remembered.
    pub(crate) fn engines(&self) -> Vec<Arc<Inner>> {
        self.resolved.iter().map(|(_, engine)| engine).collect()
    }

    /// The engine of `issuer`, if it was resolved and is still remembered.
    pub(crate) fn engine_of(&self, issuer: &str) -> Option<Arc<Inner>> {
        self.resolved.get(issuer)
    }

    /// The token's `iss`, once its header passed.
    fn issuer_of(&self, token: &str) -> Result<String, Error> {
        let decoded = Decoded::new(token, &self.header)?;
        match issuer_of(&decoded.json)? {
            Some(iss) if iss.len() <= MAX_ISSUER_LEN => Ok(iss.into_owned()),
            Some(_) => Err(Error::new(
                ErrorKind::InvalidIssuer,
                "the token's iss is longer than 1024 bytes; no trusted issuer is",
            )),
            None => Err(Error::new(
                ErrorKind::InvalidIssuer,
                "the token has no iss claim",
            )),
        }
    }

    /// The engine of an issuer resolved before, an error for one refused
    /// recently, or `None` when the resolver must be asked.
    fn remembered(&self, iss: &str) -> Result<Option<Arc<Inner>>, Error> {
        if let Some(engine) = self.resolved.get(iss) {
            return Ok(Some(engine));
        }
        if self.refused.contains_key(iss) {
            return Err(refused());
        }
        Ok(None)
    }

    /// Remember the resolver's answer about `iss`.
    fn admit(&self, iss: &str, answer: Resolution) -> Result<Arc<Inner>, Error> {
        let trusted = match answer {
            Ok(Some(trusted)) => trusted,
            Ok(None) => {
                self.refuse(iss);
                return Err(refused());
            }
            Err(e) => {
                tracing::warn!(error = %e, "the issuer resolver failed");
                return Err(Error::new(
                    ErrorKind::JwksUnavailable,
                    format!("looking up the token's issuer failed ({e}); retry later"),
                ));
            }
        };
        // Concurrent first tokens of one issuer may each have asked the
        // resolver, but share the first engine built (so one key-set fetch).
        let engine = self
            .resolved
            .try_get_with(iss.into(), || self.engine(iss, &trusted).map(Arc::new));
        match engine {
            Ok(engine) => {
                // Evict now, so that the bound holds at every moment.
                self.resolved.run_pending_tasks();
                Ok(engine)
            }
            Err(problem) => {
                tracing::error!(
                    issuer = ?iss,
                    %problem,
                    "the issuer resolver allowed an issuer with unusable settings; it is refused"
                );
                self.refuse(iss);
                Err(refused())
            }
        }
    }

    /// The engine for one resolved issuer, which must be `iss` itself.
    fn engine(&self, iss: &str, trusted: &TrustedIssuer) -> Result<Inner, String> {
        let mut engine = match trusted {
            TrustedIssuer::Oidc(issuer) => oidc_engine(
                std::slice::from_ref(issuer),
                self.common.clone(),
                self.metrics.clone(),
            ),
            TrustedIssuer::Cognito(pool) => cognito_engine(
                std::slice::from_ref(pool),
                self.common.clone(),
                self.metrics.clone(),
            ),
        }
        .map_err(|e| e.to_string())?;
        engine.token_cache.clone_from(&self.token_cache);
        if engine.issuers.iter().any(|(issuer, _)| issuer == iss) {
            Ok(engine)
        } else {
            Err("its settings are for another issuer than the token's iss".to_owned())
        }
    }

    fn refuse(&self, iss: &str) {
        self.refused.insert(iss.into(), ());
        self.refused.run_pending_tasks();
    }
}
