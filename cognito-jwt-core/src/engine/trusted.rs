//! [`TrustedIssuer`]: an issuer a resolver allows, with the rules its
//! tokens are checked by. Each face makes one of its own settings (a user
//! pool, an OpenID Connect issuer) into one, so that the many-tenant
//! machinery builds engines of any kind without knowing any.

use std::any::Any;
use std::fmt;
use std::sync::Arc;

use super::pipeline::Inner;
use super::settings::Common;
use crate::error::ConfigError;
use crate::metrics::Metrics;

/// Why an issuer's engine could not be built.
pub(crate) enum Unbuilt {
    /// Its settings cannot be used: it is refused.
    Unusable(String),
    /// A passing problem (its seed file cannot be read): an outage, tried
    /// again with its next token.
    Unavailable(String),
}

/// What a face's issuer settings do for the many-tenant machinery.
pub(crate) trait IssuerSettings: fmt::Debug + Send + Sync + 'static {
    /// The issuer URLs these settings trust, checked as the `index`-th
    /// entry of a list.
    fn issuer_urls(&self, index: usize) -> Result<Vec<String>, ConfigError>;

    /// An engine for these settings alone, its key set seeded when they
    /// say so.
    fn build(&self, common: Common, metrics: Metrics) -> Result<Inner, Unbuilt>;

    /// Whether `other` checks tokens by the same rules (a seed only starts
    /// a key set, so it does not count).
    fn same_rules(&self, other: &dyn Any) -> bool;

    /// Whether `other` is the same settings.
    fn same_settings(&self, other: &dyn Any) -> bool;

    fn as_any(&self) -> &dyn Any;
}

/// An issuer a resolver allows, with the rules its tokens are checked by:
/// an [`Issuer`](crate::Issuer) (any OpenID Connect or OAuth 2.0 issuer) or
/// a [`UserPool`](crate::UserPool) (a Cognito user pool, by exactly the
/// rules of [`CognitoJwtVerifier`](crate::CognitoJwtVerifier): RS256,
/// `token_use`, the app client in `aud` or `client_id`, and the Cognito
/// claims types). Made from either with `From`/`into()`.
#[derive(Clone)]
pub struct TrustedIssuer(Arc<dyn IssuerSettings>);

impl TrustedIssuer {
    pub(crate) fn new(settings: impl IssuerSettings) -> Self {
        Self(Arc::new(settings))
    }

    pub(crate) fn settings(&self) -> &dyn IssuerSettings {
        self.0.as_ref()
    }

    /// Whether `other` checks tokens by the same rules.
    pub(crate) fn same_rules(&self, other: &Self) -> bool {
        self.0.same_rules(other.0.as_any())
    }
}

impl fmt::Debug for TrustedIssuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TrustedIssuer").field(&self.0).finish()
    }
}

impl PartialEq for TrustedIssuer {
    fn eq(&self, other: &Self) -> bool {
        self.0.same_settings(other.0.as_any())
    }
}

impl Eq for TrustedIssuer {}
