//! [`IssuerResolver`]: which issuers, found at run time, a
//! [`JwtVerifier`](crate::JwtVerifier) trusts, and by which rules
//! ([`TrustedIssuer`]: an [`Issuer`](crate::Issuer), or a Cognito
//! [`UserPool`](crate::UserPool)).

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::engine::TrustedIssuer;
use crate::error::ConfigError;

/// Why an asynchronous resolver could not answer (a database that is
/// down, say). Unlike a refusal, it is not remembered: the token is
/// refused as
/// [`ErrorKind::JwksUnavailable`](crate::ErrorKind::JwksUnavailable) and
/// the next one asks again.
/// An issuer allowed before keeps its approval meanwhile, until it is one
/// more [`resolved_issuer_ttl`](crate::JwtVerifierBuilder::resolved_issuer_ttl)
/// overdue.
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

pub(super) type Resolution = Result<Option<TrustedIssuer>, ResolveError>;
type ResolveFuture = Pin<Box<dyn Future<Output = Resolution> + Send>>;
type ResolveFn = dyn Fn(&str) -> Option<TrustedIssuer> + Send + Sync;
type ResolveAsyncFn = dyn Fn(String) -> ResolveFuture + Send + Sync;

/// Decides, for the `iss` of a token, whether the issuer is trusted and
/// by which rules: a fixed list, a function, or an asynchronous lookup
/// (a database of tenants, say). Give it to
/// [`JwtVerifierBuilder::issuer_resolver`](crate::JwtVerifierBuilder::issuer_resolver).
///
/// The verifier asks it only about tokens whose header passed, only for
/// an `iss` of at most 1 KiB, and remembers both answers for a time (see
/// [`max_issuers`](crate::JwtVerifierBuilder::max_issuers),
/// [`resolved_issuer_ttl`](crate::JwtVerifierBuilder::resolved_issuer_ttl)
/// and [`refused_issuers`](crate::JwtVerifierBuilder::refused_issuers));
/// [`JwtVerifier::forget_issuer`](crate::JwtVerifier::forget_issuer)
/// forgets them at once.
/// The `iss` it is asked about is attacker-controlled text: compare it,
/// do not build URLs or queries from it without checking it first. Its
/// answer must be for that very issuer (byte for byte), or the issuer is
/// refused, as it is when its settings cannot be used. A seed file
/// ([`UserPool::jwks_file`](crate::UserPool::jwks_file)) that cannot be read is an outage instead:
/// the token is refused as
/// [`ErrorKind::JwksUnavailable`](crate::ErrorKind::JwksUnavailable), and
/// the next one asks again.
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
    /// Allow exactly these issuers (an [`Issuer`](crate::Issuer) or a
    /// [`UserPool`](crate::UserPool) each),
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
            for url in trusted.settings().issuer_urls(index)? {
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
    /// and answers
    /// [`ErrorKind::JwksNotCached`](crate::ErrorKind::JwksNotCached) for an
    /// issuer not resolved yet; it serves an approval that is due for at
    /// most one more
    /// [`resolved_issuer_ttl`](crate::JwtVerifierBuilder::resolved_issuer_ttl),
    /// and then answers
    /// [`ErrorKind::JwksNotCached`](crate::ErrorKind::JwksNotCached) until
    /// `verify` asked again. Concurrent first tokens of one issuer may each ask; they share
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

    pub(super) async fn resolve(&self, iss: &str) -> Resolution {
        match &self.lookup {
            Lookup::Async(resolve) => resolve(iss.to_owned()).await,
            _ => self.resolve_now(iss).unwrap_or(Ok(None)),
        }
    }

    /// The answer when it needs no waiting.
    pub(super) fn resolve_now(&self, iss: &str) -> Option<Resolution> {
        match &self.lookup {
            Lookup::List(list) => Some(Ok(list.get(iss).cloned())),
            Lookup::Sync(resolve) => Some(Ok(resolve(iss))),
            Lookup::Async(_) => None,
        }
    }
}
