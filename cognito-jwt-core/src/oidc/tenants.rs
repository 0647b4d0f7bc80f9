//! Many tenants: a [`JwtVerifier`](crate::JwtVerifier) whose issuers are
//! found at run time by an [`IssuerResolver`].
//!
//! Once a token's header passed, its `iss` is read from the payload and
//! looked up, in turn, among the issuers resolved before (an LRU of
//! engines, one key set each, each approval for a time), the issuers
//! refused recently (bounded, each for a time), and finally by the
//! resolver. Key-set and discovery URLs come only from the configuration
//! the resolver returned for an issuer it allowed: nothing is fetched for
//! an issuer it did not allow.
//!
//! An approval that is due is checked again by one token at a time, while
//! the others are verified under it: the same answer keeps the engine and
//! its key set, other settings replace them, a refusal drops the issuer at
//! once, and an error keeps the approval until it is one more time-to-live
//! overdue.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use moka::ops::compute::Op;
use moka::policy::EvictionPolicy;
use moka::sync::Cache;
use tokio::time::Instant;

use super::resolver::{IssuerResolver, Resolution, ResolveError};
use crate::algorithm::{Algorithm, AlgorithmSet};
use crate::claims::{TokenClaims, issuer_of};
use crate::engine::{Common, Inner, Presented, TokenCache, TrustedIssuer, Unbuilt};
use crate::error::{ConfigError, Error, ErrorKind};
use crate::jwt::{Decoded, HeaderRules};
use crate::metrics::Metrics;
use crate::requirements::Requirements;

/// The longest `iss` handed to a resolver or remembered as refused.
const MAX_ISSUER_LEN: usize = 1024;

/// The bounds of the resolved and refused issuers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TenantLimits {
    pub(crate) max_issuers: u64,
    pub(crate) resolved_ttl: Duration,
    pub(crate) max_refused: u64,
    pub(crate) refused_ttl: Duration,
}

impl Default for TenantLimits {
    fn default() -> Self {
        Self {
            max_issuers: 100,
            resolved_ttl: Duration::from_secs(5 * 60),
            max_refused: 10_000,
            refused_ttl: Duration::from_secs(5 * 60),
        }
    }
}

impl TenantLimits {
    /// The builder setting of the first limit changed from its default.
    pub(crate) fn changed(&self) -> Option<&'static str> {
        let default = Self::default();
        if self.max_issuers != default.max_issuers {
            Some("max_issuers")
        } else if self.resolved_ttl != default.resolved_ttl {
            Some("resolved_issuer_ttl")
        } else if self.max_refused != default.max_refused || self.refused_ttl != default.refused_ttl
        {
            Some("refused_issuers")
        } else {
            None
        }
    }

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
        if self.resolved_ttl < min || self.resolved_ttl > max {
            return Err(ConfigError::invalid(
                "resolved_issuer_ttl",
                format!(
                    "{:?} is outside the accepted range {min:?} to {max:?}",
                    self.resolved_ttl
                ),
            ));
        }
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

/// An issuer the resolver allowed: the engine built from its answer, and
/// when it gave it.
struct Approval {
    engine: Arc<Inner>,
    trusted: TrustedIssuer,
    /// When (ms since [`Tenants::epoch`]) the resolver last gave this
    /// answer; it is asked again one time-to-live later.
    confirmed_ms: AtomicU64,
    /// Whether a token is asking the resolver again (one at a time).
    rechecking: AtomicBool,
}

/// Where an approval stands, by its age.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Standing {
    /// Younger than the time-to-live.
    Fresh,
    /// Due: the resolver is asked again, and meanwhile it serves.
    Due,
    /// One more time-to-live overdue: it no longer serves.
    Lapsed,
}

/// The right to ask the resolver again about a due approval, held by one
/// token at a time and given back when dropped (the answer applied, or
/// the caller gone).
struct Recheck(Arc<Approval>);

impl Recheck {
    fn claim(approval: &Arc<Approval>) -> Option<Self> {
        approval
            .rechecking
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .ok()
            .map(|_| Self(Arc::clone(approval)))
    }
}

impl Drop for Recheck {
    fn drop(&mut self) {
        self.0.rechecking.store(false, Ordering::Release);
    }
}

/// What the verifier remembers of an issuer before asking the resolver.
enum Known {
    /// Allowed: verify with this engine.
    Allowed(Arc<Inner>),
    /// Allowed, but due: this token asks the resolver again.
    Due(Recheck),
    /// Neither allowed nor refused: ask the resolver.
    Unknown,
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
    /// The DPoP settings every engine checks proofs with, if any.
    dpop: Option<crate::dpop::DpopConfig>,
    resolved: Cache<Box<str>, Arc<Approval>>,
    refused: Cache<Box<str>, ()>,
    /// What approvals count their age from (Tokio time, which tests drive).
    epoch: Instant,
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

fn resolver_failed(e: &ResolveError) -> Error {
    Error::new(
        ErrorKind::JwksUnavailable,
        format!("looking up the token's issuer failed ({e}); retry later"),
    )
}

fn duration_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
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
        let dpop = common.dpop.as_ref().map(crate::Dpop::resolve).transpose()?;
        Ok(Self {
            resolver,
            common: common.with_fetcher()?,
            token_cache,
            dpop,
            header: HeaderRules {
                algorithms: AlgorithmSet::of(Algorithm::ALL.iter().copied()),
                kind: crate::jwt::Kind::Oidc,
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
            epoch: Instant::now(),
            metrics,
        })
    }

    pub(crate) async fn verify_with<T: TokenClaims>(
        &self,
        token: &str,
        requirements: &Requirements,
        presented: Presented<'_>,
    ) -> Result<T, Error> {
        let iss = self.issuer_of(token)?;
        let engine = match self.known(&iss)? {
            Known::Allowed(engine) => engine,
            Known::Due(recheck) => {
                let answer = self.resolver.resolve(&iss).await;
                self.reconsider(&iss, &recheck, answer)?
            }
            Known::Unknown => {
                let answer = self.resolver.resolve(&iss).await;
                self.admit(&iss, answer)?
            }
        };
        engine.verify_with(token, requirements, presented).await
    }

    pub(crate) fn verify_sync_with<T: TokenClaims>(
        &self,
        token: &str,
        requirements: &Requirements,
        presented: Presented<'_>,
    ) -> Result<T, Error> {
        let iss = self.issuer_of(token)?;
        let engine = match self.known(&iss)? {
            Known::Allowed(engine) => engine,
            Known::Due(recheck) => match self.resolver.resolve_now(&iss) {
                Some(answer) => self.reconsider(&iss, &recheck, answer)?,
                None if self.standing(&recheck.0) == Standing::Lapsed => {
                    return Err(Error::new(
                        ErrorKind::JwksNotCached,
                        "the approval of the token's issuer is overdue and the resolver is \
                         asynchronous; use verify()",
                    ));
                }
                None => Arc::clone(&recheck.0.engine),
            },
            Known::Unknown => match self.resolver.resolve_now(&iss) {
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
        engine.verify_sync_with(token, requirements, presented)
    }

    /// The DPoP settings, when proofs are accepted.
    pub(crate) fn dpop_config(&self) -> Option<&crate::dpop::DpopConfig> {
        self.dpop.as_ref()
    }

    /// The revocation list every engine checks, if any.
    pub(crate) fn revocation(&self) -> Option<&crate::RevocationList> {
        self.common.revocation.as_ref()
    }

    pub(crate) fn engines(&self) -> Vec<Arc<Inner>> {
        self.resolved
            .iter()
            .map(|(_, approval)| Arc::clone(&approval.engine))
            .collect()
    }

    /// The engine of `issuer`, if it was resolved and is still remembered.
    pub(crate) fn engine_of(&self, issuer: &str) -> Option<Arc<Inner>> {
        self.resolved
            .get(issuer)
            .map(|approval| Arc::clone(&approval.engine))
    }

    /// Forget the approval or the refusal of `issuer`; whether there was
    /// one.
    pub(crate) fn forget(&self, issuer: &str) -> bool {
        let allowed = self.resolved.remove(issuer).is_some();
        let refused = self.refused.remove(issuer).is_some();
        allowed || refused
    }

    /// The token's `iss`, once its header passed.
    fn issuer_of(&self, token: &str) -> Result<String, Error> {
        let decoded = Decoded::new(token, &self.header)?;
        match issuer_of(decoded.json())? {
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

    /// What is remembered of `iss`: an engine to verify with, a due
    /// approval this token is to check again, nothing (ask the resolver),
    /// or an error (refused recently; or a lapsed approval another token
    /// is checking).
    fn known(&self, iss: &str) -> Result<Known, Error> {
        if let Some(approval) = self.resolved.get(iss) {
            let standing = self.standing(&approval);
            if standing == Standing::Fresh {
                return Ok(Known::Allowed(Arc::clone(&approval.engine)));
            }
            return match Recheck::claim(&approval) {
                Some(recheck) => Ok(Known::Due(recheck)),
                None if standing == Standing::Due => {
                    Ok(Known::Allowed(Arc::clone(&approval.engine)))
                }
                None => Err(Error::new(
                    ErrorKind::JwksUnavailable,
                    "the approval of the token's issuer is overdue and the issuer resolver is \
                     being asked again; retry shortly",
                )
                .with_retry_after(Duration::from_secs(1))),
            };
        }
        if self.refused.contains_key(iss) {
            return Err(refused());
        }
        Ok(Known::Unknown)
    }

    fn now_ms(&self) -> u64 {
        duration_ms(self.epoch.elapsed())
    }

    fn standing(&self, approval: &Approval) -> Standing {
        let age = self
            .now_ms()
            .saturating_sub(approval.confirmed_ms.load(Ordering::Acquire));
        let ttl = duration_ms(self.limits.resolved_ttl);
        if age < ttl {
            Standing::Fresh
        } else if age < ttl.saturating_mul(2) {
            Standing::Due
        } else {
            Standing::Lapsed
        }
    }

    fn approval(&self, engine: Arc<Inner>, trusted: TrustedIssuer) -> Arc<Approval> {
        Arc::new(Approval {
            engine,
            trusted,
            confirmed_ms: AtomicU64::new(self.now_ms()),
            rechecking: AtomicBool::new(false),
        })
    }

    /// Remember the resolver's answer about `iss`, which it was asked
    /// about for the first time (or since it was forgotten).
    fn admit(&self, iss: &str, answer: Resolution) -> Result<Arc<Inner>, Error> {
        let trusted = match answer {
            Ok(Some(trusted)) => trusted,
            Ok(None) => {
                self.refuse(iss);
                return Err(refused());
            }
            Err(e) => {
                tracing::warn!(error = %e, "the issuer resolver failed");
                return Err(resolver_failed(&e));
            }
        };
        // Concurrent first tokens of one issuer may each have asked the
        // resolver, but share the first engine built (so one key-set fetch).
        let approval = self.resolved.try_get_with(iss.into(), || {
            self.engine(iss, &trusted)
                .map(|engine| self.approval(Arc::new(engine), trusted.clone()))
        });
        match approval {
            Ok(approval) => {
                // Evict now, so that the bound holds at every moment.
                self.resolved.run_pending_tasks();
                Ok(Arc::clone(&approval.engine))
            }
            Err(unbuilt) => Err(self.unbuilt(iss, &unbuilt)),
        }
    }

    /// Apply the resolver's new answer about `iss`, whose approval was due.
    fn reconsider(
        &self,
        iss: &str,
        recheck: &Recheck,
        answer: Resolution,
    ) -> Result<Arc<Inner>, Error> {
        let approval = &recheck.0;
        match answer {
            Ok(Some(trusted)) if trusted.same_rules(&approval.trusted) => {
                approval
                    .confirmed_ms
                    .store(self.now_ms(), Ordering::Release);
                Ok(Arc::clone(&approval.engine))
            }
            Ok(Some(trusted)) => {
                let engine = Arc::new(
                    self.engine(iss, &trusted)
                        .map_err(|unbuilt| self.unbuilt(iss, &unbuilt))?,
                );
                let replacement = self.approval(Arc::clone(&engine), trusted);
                // Unless it was forgotten or replaced meanwhile.
                self.resolved
                    .entry(iss.into())
                    .and_compute_with(|entry| match entry {
                        Some(entry) if Arc::ptr_eq(entry.value(), approval) => Op::Put(replacement),
                        _ => Op::Nop,
                    });
                Ok(engine)
            }
            Ok(None) => {
                self.resolved.invalidate(iss);
                self.refuse(iss);
                Err(refused())
            }
            Err(e) => {
                tracing::warn!(
                    error = %e,
                    "the issuer resolver failed; its approval serves until one more TTL is over"
                );
                match self.standing(approval) {
                    Standing::Lapsed => Err(resolver_failed(&e)),
                    Standing::Fresh | Standing::Due => Ok(Arc::clone(&approval.engine)),
                }
            }
        }
    }

    /// The error for a token of `iss`, whose engine could not be built: a
    /// refusal, remembered, or an outage, not remembered.
    fn unbuilt(&self, iss: &str, unbuilt: &Unbuilt) -> Error {
        match unbuilt {
            Unbuilt::Unusable(problem) => {
                tracing::error!(
                    issuer = ?iss,
                    %problem,
                    "the issuer resolver allowed an issuer with unusable settings; it is refused"
                );
                self.resolved.invalidate(iss);
                self.refuse(iss);
                refused()
            }
            Unbuilt::Unavailable(problem) => {
                tracing::warn!(
                    issuer = ?iss,
                    %problem,
                    "the key set of an issuer the resolver allowed cannot be loaded"
                );
                Error::new(
                    ErrorKind::JwksUnavailable,
                    format!(
                        "the token's issuer is allowed but its key set cannot be loaded \
                         ({problem}); retry later"
                    ),
                )
            }
        }
    }

    /// The engine for one resolved issuer, which must be `iss` itself.
    fn engine(&self, iss: &str, trusted: &TrustedIssuer) -> Result<Inner, Unbuilt> {
        let mut engine = trusted
            .settings()
            .build(self.common.clone(), self.metrics.clone())?;
        if !engine.issuers.iter().any(|(issuer, _)| issuer == iss) {
            return Err(Unbuilt::Unusable(
                "its settings are for another issuer than the token's iss".to_owned(),
            ));
        }
        engine.token_cache.clone_from(&self.token_cache);
        Ok(engine)
    }

    fn refuse(&self, iss: &str) {
        self.refused.insert(iss.into(), ());
        self.refused.run_pending_tasks();
    }
}
