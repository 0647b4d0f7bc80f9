//! The claim rules of any OpenID Connect or OAuth 2.0 issuer, as the
//! engine runs them, and the engine for a set of issuers.

use crate::algorithm::AlgorithmSet;
use crate::claims::{Payload, Profile, TokenUse};
use std::any::Any;

use crate::engine::{
    Common, Inner, IssuerSettings, Pool, Rules, Trusted, TrustedIssuer, Unbuilt, check_dates,
};
use crate::error::{ConfigError, Error, ErrorKind};
use crate::jwks::SourceSpec;
use crate::jwt::{HeaderClaims, HeaderRules, Typ};
use crate::metrics::Metrics;

use super::issuer::{Issuer, ResolvedIssuer};

impl Rules for ResolvedIssuer {
    fn check_claims(
        &self,
        payload: &Payload<'_>,
        (typ, _): (Typ, Option<&HeaderClaims>),
        wanted: Option<TokenUse>,
        now: u64,
        leeway: u64,
    ) -> Result<Profile, Error> {
        if wanted.is_some() {
            return Err(Error::new(
                ErrorKind::InvalidTokenUse,
                "Cognito claims types (IdTokenClaims, AccessTokenClaims) are for \
                 CognitoJwtVerifier; use StandardClaims or your own type",
            ));
        }
        check_dates(payload, now, leeway, "tokens must expire")?;
        self.check(payload, typ)
    }

    fn is_named(&self, name: &str) -> bool {
        self.issuer == name
    }
}

/// The engine for these issuers. Does no I/O.
pub(crate) fn oidc_engine(
    issuers: &[Issuer],
    common: Common,
    metrics: Metrics,
) -> Result<Inner, ConfigError> {
    let mut trusted = Trusted {
        pools: Vec::new(),
        issuers: Vec::new(),
        sources: Vec::new(),
        header: HeaderRules {
            algorithms: AlgorithmSet::EMPTY,
            kind: crate::jwt::Kind::Oidc,
        },
        extra_lists: Vec::new(),
    };
    for (index, issuer) in issuers.iter().enumerate() {
        let resolved = issuer.resolve(index, &mut trusted.extra_lists)?;
        trusted.issuer(
            &resolved.issuer,
            index,
            format!("issuer[{index}]"),
            "merge the two",
        )?;
        trusted.header.algorithms = trusted.header.algorithms.union(resolved.algorithms);
        let source = trusted.source(SourceSpec {
            name: format!("issuer[{index}]"),
            url: resolved.url.clone(),
            discovery: resolved.discovery.clone(),
            algorithms: resolved.algorithms,
            per_kid: false,
        });
        trusted.pools.push(Pool {
            algorithms: resolved.algorithms,
            requirements: Some(resolved.requirements.clone()),
            require_dpop: resolved.require_dpop,
            rules: Box::new(resolved),
            source,
        });
    }
    common.engine(trusted, metrics)
}

impl IssuerSettings for Issuer {
    fn issuer_urls(&self, index: usize) -> Result<Vec<String>, ConfigError> {
        self.resolve(index, &mut Vec::new())?;
        Ok(vec![self.issuer().to_owned()])
    }

    fn build(&self, common: Common, metrics: Metrics) -> Result<Inner, Unbuilt> {
        oidc_engine(std::slice::from_ref(self), common, metrics)
            .map_err(|e| Unbuilt::Unusable(e.to_string()))
    }

    fn same_rules(&self, other: &dyn Any) -> bool {
        self.same_settings(other)
    }

    fn same_settings(&self, other: &dyn Any) -> bool {
        other.downcast_ref::<Self>() == Some(self)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl From<Issuer> for TrustedIssuer {
    fn from(issuer: Issuer) -> Self {
        Self::new(issuer)
    }
}
