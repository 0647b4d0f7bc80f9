//! [`AlbJwtVerifierBuilder`]: the trusted load balancers, their app
//! clients and identity provider, and the settings every verifier has.

use std::fmt;
use std::sync::Arc;

use super::AlbJwtVerifier;
use super::arn::{LoadBalancer, load_balancer};
use super::rules::AlbRules;
use crate::algorithm::AlgorithmSet;
use crate::engine::{Common, Pool, Trusted, common_setters};
use crate::error::ConfigError;
use crate::jwks::SourceSpec;
use crate::jwt::HeaderRules;

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

    common_setters!("alb");

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
        let mut trusted = Trusted {
            pools: Vec::new(),
            issuers: Vec::new(),
            sources: Vec::new(),
            header: HeaderRules::LOAD_BALANCER,
            extra_lists: Vec::new(),
        };
        let client_ids: Arc<[String]> = self.client_ids.into();
        let issuer: Option<Arc<str>> = self.issuer.map(Into::into);
        for (index, arn) in self.arns.iter().enumerate() {
            let name = format!("load_balancer_arn[{index}]");
            let LoadBalancer { arn, keys_base } = load_balancer(arn, &name, keys_url)?;
            if trusted.issuers.iter().any(|(a, _)| *a == arn) {
                continue;
            }
            // Load balancers of one region share its key endpoint.
            let source = trusted.source(SourceSpec {
                name: name.clone(),
                url: keys_base,
                discovery: None,
                algorithms: AlgorithmSet::ES256,
                per_kid: true,
            });
            trusted.issuer(&arn, trusted.pools.len(), name, "list it once")?;
            trusted.pools.push(Pool {
                rules: Box::new(AlbRules {
                    arn,
                    client_ids: Arc::clone(&client_ids),
                    issuer: issuer.clone(),
                }),
                source,
                algorithms: AlgorithmSet::ES256,
                requirements: None,
                require_dpop: false,
            });
        }
        let metrics = self.common.metrics("alb");
        Ok(AlbJwtVerifier {
            inner: Arc::new(self.common.engine(trusted, metrics)?),
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
