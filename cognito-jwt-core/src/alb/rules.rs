//! The load balancer's claim rules, run by the engine once the signature
//! and the signer held: the dates of the header and the payload, the app
//! client, the identity provider, and a subject.

use std::sync::Arc;

use crate::claims::{GroupsClaim, Payload, Profile, TokenUse};
use crate::engine::Rules;
use crate::error::{Error, ErrorKind};
use crate::jwt::{HeaderClaims, Typ};

/// The rules of one trusted load balancer.
pub(crate) struct AlbRules {
    /// Its ARN, which the header's `signer` must be.
    pub(crate) arn: String,
    /// The accepted app clients; any when empty.
    pub(crate) client_ids: Arc<[String]>,
    /// The accepted identity provider; any when `None`.
    pub(crate) issuer: Option<Arc<str>>,
}

impl Rules for AlbRules {
    fn check_claims(
        &self,
        payload: &Payload<'_>,
        (_, header): (Typ, Option<&HeaderClaims>),
        wanted: Option<TokenUse>,
        now: u64,
        leeway: u64,
    ) -> Result<Profile, Error> {
        let header = header.ok_or_else(|| {
            Error::new(
                ErrorKind::Malformed,
                "the token has no load balancer header claims",
            )
        })?;
        let exp = header.exp.ok_or_else(|| {
            Error::new(
                ErrorKind::Malformed,
                "the header has no exp; load balancers always set it",
            )
        })?;
        let expired = |exp: u64| now >= exp.saturating_add(leeway);
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
        let future = |date: Option<u64>| date.is_some_and(|d| d > now.saturating_add(leeway));
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
                     the client ids the verifier was built with",
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
        if wanted.is_some() {
            return Err(Error::new(
                ErrorKind::InvalidTokenUse,
                "Cognito claims types (IdTokenClaims, AccessTokenClaims) are for \
                 CognitoJwtVerifier; use AlbClaims or your own type",
            ));
        }
        Ok(Profile::Oidc {
            groups: GroupsClaim::None,
        })
    }

    fn is_named(&self, name: &str) -> bool {
        self.arn == name
    }
}
