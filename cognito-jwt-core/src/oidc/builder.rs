//! The builder of a [`JwtVerifier`]: its issuers (or resolver), every
//! setting, its default, and the checks `build()` makes.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::issuer::Issuer;
use super::resolver::IssuerResolver;
use super::rules::oidc_engine;
use super::tenants::{TenantLimits, Tenants};
use super::verifier::{Engine, JwtVerifier};
use crate::claims::ClaimsView;
use crate::engine::{Common, common_setters};
use crate::error::ConfigError;

impl JwtVerifier {
    /// A builder with every setting at its documented default.
    pub fn builder() -> JwtVerifierBuilder {
        JwtVerifierBuilder::default()
    }
}

/// Builds a [`JwtVerifier`]. `build()` does no network I/O.
#[must_use]
#[derive(Default)]
pub struct JwtVerifierBuilder {
    issuers: Vec<Issuer>,
    resolver: Option<IssuerResolver>,
    limits: TenantLimits,
    common: Common,
}

impl fmt::Debug for JwtVerifierBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtVerifierBuilder")
            .field("issuers", &self.issuers)
            .field("resolver", &self.resolver)
            .field("limits", &self.limits)
            .field("leeway", &self.common.leeway)
            .field("requirements", &self.common.requirements)
            .field("key_set_options", &self.common.key_set)
            .finish_non_exhaustive()
    }
}

impl JwtVerifierBuilder {
    /// Trust this issuer. Call once per issuer.
    pub fn issuer(mut self, issuer: Issuer) -> Self {
        self.issuers.push(issuer);
        self
    }

    /// Trust the issuers `resolver` allows, found at run time (many
    /// tenants), instead of a fixed list: see [`IssuerResolver`]. Replaces
    /// [`issuer`](Self::issuer). With
    /// [`token_cache_max_bytes`](Self::token_cache_max_bytes), every issuer
    /// shares one cache and its byte bound; a hit still reads the token's
    /// `iss` to find its issuer.
    ///
    /// The resolver is asked about a token's `iss` only once the token's
    /// header passed, and no URL is derived from a token before it allowed
    /// the issuer.
    pub fn issuer_resolver(mut self, resolver: IssuerResolver) -> Self {
        self.resolver = Some(resolver);
        self
    }

    /// How many resolved issuers (each with its key set) are remembered;
    /// the least recently used is dropped beyond that, and resolved again
    /// when it is next seen. Defaults to 100; 1 to 100 000. Needs an
    /// [`issuer_resolver`](Self::issuer_resolver).
    pub fn max_issuers(mut self, capacity: u64) -> Self {
        self.limits.max_issuers = capacity;
        self
    }

    /// How long an issuer the resolver allowed is trusted before the
    /// resolver is asked about it again. Defaults to 5 minutes; 1 second to
    /// 1 day. Needs an [`issuer_resolver`](Self::issuer_resolver).
    ///
    /// Once it is due, the next token of the issuer asks the resolver and
    /// waits for its answer, one token at a time; the others are verified
    /// meanwhile as before. The same answer keeps the issuer's key set;
    /// other settings replace it; a refusal refuses the issuer from then on
    /// (see [`refused_issuers`](Self::refused_issuers)). An error keeps the
    /// approval until it is one more `ttl` overdue; after that, its tokens
    /// are refused as
    /// [`ErrorKind::JwksUnavailable`](crate::ErrorKind::JwksUnavailable)
    /// (HTTP 503) until the resolver answers. To drop an issuer at once,
    /// call [`JwtVerifier::forget_issuer`].
    ///
    /// ```
    /// use std::time::Duration;
    /// use cognito_jwt_core::{IssuerResolver, JwtVerifier};
    ///
    /// # let resolver = IssuerResolver::from_fn(|_| None);
    /// let verifier = JwtVerifier::builder()
    ///     .issuer_resolver(resolver)
    ///     // A tenant removed from the table loses access within a minute.
    ///     .resolved_issuer_ttl(Duration::from_secs(60))
    ///     .build()?;
    /// # Ok::<(), cognito_jwt_core::ConfigError>(())
    /// ```
    pub fn resolved_issuer_ttl(mut self, ttl: Duration) -> Self {
        self.limits.resolved_ttl = ttl;
        self
    }

    /// How many issuers the resolver refused are remembered, and for how
    /// long: a token naming one is refused without asking the resolver
    /// again. Defaults to 10 000 issuers for 5 minutes; capacity 1 to
    /// 1 000 000, time 1 second to 1 day. Needs an
    /// [`issuer_resolver`](Self::issuer_resolver).
    ///
    /// Each entry holds at most 1 KiB (a longer `iss` is refused without
    /// asking), so the default bounds this cache near 10 MiB.
    pub fn refused_issuers(mut self, capacity: u64, ttl: Duration) -> Self {
        self.limits.max_refused = capacity;
        self.limits.refused_ttl = ttl;
        self
    }

    /// Require a group on every token (in each issuer's
    /// [`groups_claim`](Issuer::groups_claim)); several calls mean any of
    /// them. Defaults to none. An empty or blank name fails
    /// [`build`](Self::build) with a [`ConfigError`] naming
    /// `require_any_group`.
    pub fn require_any_group(mut self, group: impl Into<String>) -> Self {
        self.common.requirements = self.common.requirements.any_group(group);
        self
    }

    /// Run `check` on every verified token, after all built-in checks; an
    /// `Err` refuses it with
    /// [`ErrorKind::CustomCheckFailed`](crate::ErrorKind::CustomCheckFailed).
    pub fn custom_check<F>(mut self, check: F) -> Self
    where
        F: Fn(&ClaimsView<'_>) -> Result<(), String> + Send + Sync + 'static,
    {
        self.common.custom_check = Some(Arc::new(check));
        self
    }

    common_setters!("oidc", scopes);

    /// Check the configuration and build the verifier. Does no I/O.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first setting that is missing or wrong.
    pub fn build(self) -> Result<JwtVerifier, ConfigError> {
        if self.issuers.is_empty() && self.resolver.is_none() {
            return Err(ConfigError::missing(
                "issuer",
                "at least one Issuer (JwtVerifierBuilder::issuer), or an IssuerResolver \
                 (JwtVerifierBuilder::issuer_resolver)",
            ));
        }
        self.common.check()?;
        let metrics = self.common.metrics("oidc");
        let engine = match self.resolver {
            Some(resolver) => {
                if !self.issuers.is_empty() {
                    return Err(ConfigError::invalid(
                        "issuer_resolver",
                        "set either issuers or an issuer resolver, not both; put the fixed \
                         issuers in the resolver (IssuerResolver::list)",
                    ));
                }
                Engine::Tenants(Arc::new(Tenants::new(
                    resolver,
                    self.common,
                    self.limits,
                    metrics,
                )?))
            }
            None => {
                if let Some(setting) = self.limits.changed() {
                    return Err(ConfigError::invalid(
                        setting,
                        "max_issuers, resolved_issuer_ttl and refused_issuers apply to an \
                         issuer resolver; set one with issuer_resolver",
                    ));
                }
                Engine::Fixed(Arc::new(oidc_engine(&self.issuers, self.common, metrics)?))
            }
        };
        Ok(JwtVerifier { engine })
    }
}
