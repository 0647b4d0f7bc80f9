//! User pools: their client ids and accepted token use, checked once at
//! build time, and their seed key-set files.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::SystemTime;

use crate::claims::TokenUse;
use crate::error::{ConfigError, quoted};
use crate::jwks::Seed;

/// Which AWS issuer hosts a pool's tokens may name in `iss`: Cognito signs
/// tokens under `https://cognito-idp.<region>.amazonaws.com/<pool>` (the
/// original host) and, for some pools, the newer
/// `https://issuer-cognito-idp.<region>.amazonaws.com/<pool>` (the updated
/// host). The keys come from the pool's own key set either way.
///
/// Environment: `COGNITO_ISSUER_HOSTS` = `both`, `original` or `updated`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IssuerHosts {
    /// Either host (the default, as aws-jwt-verify does).
    #[default]
    Both,
    /// Only `cognito-idp.<region>.amazonaws.com`.
    Original,
    /// Only `issuer-cognito-idp.<region>.amazonaws.com`.
    Updated,
}

impl IssuerHosts {
    /// `"both"`, `"original"` or `"updated"`, as `COGNITO_ISSUER_HOSTS`
    /// spells it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Both => "both",
            Self::Original => "original",
            Self::Updated => "updated",
        }
    }

    /// The hosts, in the order their issuers are listed.
    fn hosts(self) -> &'static [&'static str] {
        match self {
            Self::Both => &["cognito-idp", "issuer-cognito-idp"],
            Self::Original => &["cognito-idp"],
            Self::Updated => &["issuer-cognito-idp"],
        }
    }
}

impl fmt::Display for IssuerHosts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for IssuerHosts {
    type Err = ();

    /// `both`, `original` or `updated`, in any case.
    fn from_str(s: &str) -> Result<Self, ()> {
        match s.trim().to_ascii_lowercase().as_str() {
            "both" => Ok(Self::Both),
            "original" => Ok(Self::Original),
            "updated" => Ok(Self::Updated),
            _ => Err(()),
        }
    }
}

/// Which kinds of Cognito token a pool accepts. A [`TokenUse`] converts
/// into the setting that accepts only that kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AcceptedTokenUse {
    /// ID tokens only.
    Id,
    /// Access tokens only.
    Access,
    /// Either kind; each is checked by its own rules.
    Any,
}

impl AcceptedTokenUse {
    /// `"id"`, `"access"` or `"any"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            AcceptedTokenUse::Id => "id",
            AcceptedTokenUse::Access => "access",
            AcceptedTokenUse::Any => "any",
        }
    }

    /// Whether a token of kind `actual` is accepted.
    pub fn accepts(self, actual: TokenUse) -> bool {
        matches!(
            (self, actual),
            (AcceptedTokenUse::Any, _)
                | (AcceptedTokenUse::Id, TokenUse::Id)
                | (AcceptedTokenUse::Access, TokenUse::Access)
        )
    }

    /// "an id token", "an access token" or "an id or access token".
    pub(crate) fn describe(self) -> &'static str {
        match self {
            AcceptedTokenUse::Id => "an id token",
            AcceptedTokenUse::Access => "an access token",
            AcceptedTokenUse::Any => "an id or access token",
        }
    }

    /// The token to send instead, for messages.
    pub(crate) fn token_name(self) -> &'static str {
        match self {
            AcceptedTokenUse::Id => "ID",
            _ => "access",
        }
    }
}

impl From<TokenUse> for AcceptedTokenUse {
    fn from(token_use: TokenUse) -> Self {
        match token_use {
            TokenUse::Id => AcceptedTokenUse::Id,
            TokenUse::Access => AcceptedTokenUse::Access,
        }
    }
}

impl fmt::Display for AcceptedTokenUse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AcceptedTokenUse {
    type Err = ConfigError;

    /// Parses `id`, `access` or `any` (case-insensitive).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "id" => Ok(AcceptedTokenUse::Id),
            "access" => Ok(AcceptedTokenUse::Access),
            "any" => Ok(AcceptedTokenUse::Any),
            _ => Err(ConfigError::invalid(
                "token_use",
                format!(
                    "{} is not a token use; expected id, access or any",
                    quoted(s)
                ),
            )),
        }
    }
}

/// One Cognito user pool the verifier trusts, with the app clients and token
/// use it accepts.
///
/// Client ids and token use have no defaults on purpose: forgetting the
/// client check is the most common mistake in hand-written verifiers, so
/// [`CognitoJwtVerifierBuilder::build`](crate::CognitoJwtVerifierBuilder::build)
/// refuses a pool without them.
///
/// ```
/// use cognito_jwt_core::{TokenUse, UserPool};
///
/// let pool = UserPool::new("eu-west-1_AbC123xyz")
///     .client_id("1example23456789")
///     .token_use(TokenUse::Access);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UserPool {
    pub(crate) pool_id: String,
    pub(crate) client_ids: Vec<String>,
    pub(crate) token_use: Option<AcceptedTokenUse>,
    pub(crate) jwks_uri: Option<String>,
    pub(crate) issuer: Option<String>,
    pub(crate) issuer_hosts: IssuerHosts,
    pub(crate) replica_regions: Vec<String>,
    pub(crate) resources: Vec<String>,
    pub(crate) unbound_clients: Vec<String>,
    pub(crate) any_resource: bool,
    pub(super) seed: Option<SeedSource>,
}

/// Where a pool's seed key set comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum SeedSource {
    /// A file read at build time; `name` is the setting or variable that
    /// named it, for errors.
    File { path: PathBuf },
    /// A document given, or a file read by `from_env`, whose variable
    /// `name` is.
    Document { seed: Seed, name: Option<String> },
}

impl UserPool {
    /// A pool given by its id, `<region>_<id>` (e.g. `us-east-1_AbC123xyz`,
    /// moto's `us-east-1_<32 hex digits>`, cognito-local's `local_<id>`).
    /// The id is checked by `build()`.
    pub fn new(pool_id: impl Into<String>) -> Self {
        Self {
            pool_id: pool_id.into(),
            client_ids: Vec::new(),
            token_use: None,
            jwks_uri: None,
            issuer: None,
            issuer_hosts: IssuerHosts::Both,
            replica_regions: Vec::new(),
            resources: Vec::new(),
            unbound_clients: Vec::new(),
            any_resource: false,
            seed: None,
        }
    }

    /// Accept tokens issued to this app client id. Call once per client.
    #[must_use]
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_ids.push(client_id.into());
        self
    }

    /// Accept tokens issued to any of these app client ids.
    #[must_use]
    pub fn client_ids<I, S>(mut self, client_ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.client_ids
            .extend(client_ids.into_iter().map(Into::into));
        self
    }

    /// Which tokens to accept: [`TokenUse::Id`], [`TokenUse::Access`], or
    /// explicitly [`AcceptedTokenUse::Any`]. Required: there is no default.
    #[must_use]
    pub fn token_use(mut self, token_use: impl Into<AcceptedTokenUse>) -> Self {
        self.token_use = Some(token_use.into());
        self
    }

    /// Fetch the key set from this URL instead of
    /// `<issuer>/.well-known/jwks.json` (for emulators: moto serves
    /// `http://127.0.0.1:5001/<pool>/.well-known/jwks.json`). Plain `http://`
    /// is accepted here because setting it is explicit.
    #[must_use]
    pub fn jwks_uri(mut self, url: impl Into<String>) -> Self {
        self.jwks_uri = Some(url.into());
        self
    }

    /// Expect exactly this `iss` instead of the AWS issuers (for emulators:
    /// cognito-local issues `http://127.0.0.1:9229/<pool>`). Unless
    /// [`jwks_uri`](Self::jwks_uri) is also set, keys are fetched from
    /// `<issuer>/.well-known/jwks.json`.
    #[must_use]
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// Which AWS issuer hosts `iss` may name: [`IssuerHosts::Both`] (the
    /// default), only the original `cognito-idp` host, or only the updated
    /// `issuer-cognito-idp` host; for the pool's region and every
    /// [`replica_region`](Self::replica_region). Has no effect with an
    /// [`issuer`](Self::issuer) override, which is exactly the issuer
    /// accepted.
    #[must_use]
    pub fn issuer_hosts(mut self, hosts: IssuerHosts) -> Self {
        self.issuer_hosts = hosts;
        self
    }

    /// Also accept tokens whose `iss` names this replica region of a
    /// multi-region replicated pool (the pool id keeps the primary region).
    #[must_use]
    pub fn replica_region(mut self, region: impl Into<String>) -> Self {
        self.replica_regions.push(region.into());
        self
    }

    /// Accept access tokens bound to this resource (RFC 8707): a token
    /// whose `aud` names it passes, one whose `aud` names only other
    /// resources is refused with
    /// [`ErrorKind::InvalidAudience`](crate::ErrorKind::InvalidAudience).
    /// Call once per resource; the identifier is compared byte for byte
    /// with the `resource` your clients ask Cognito for (usually this
    /// API's URL, e.g. `https://api.example.com`).
    ///
    /// With a resource set, an access token without `aud` is refused
    /// unless its client is one of the
    /// [`unbound_clients`](Self::unbound_clients). Defaults to none: then
    /// an access token that carries an `aud` at all is refused, as issued
    /// for another resource server, unless
    /// [`dangerously_accept_any_resource`](Self::dangerously_accept_any_resource) is set. ID tokens
    /// are unaffected (their `aud` is the app client).
    ///
    /// Environment: `COGNITO_RESOURCE`, comma-separated.
    #[must_use]
    pub fn resource(mut self, resource: impl Into<String>) -> Self {
        self.resources.push(resource.into());
        self
    }

    /// As [`resource`](Self::resource), for several resources at once.
    #[must_use]
    pub fn resources<I, S>(mut self, resources: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.resources.extend(resources.into_iter().map(Into::into));
        self
    }

    /// App clients whose access tokens cannot be bound to a resource and
    /// carry no `aud`: SDK sign-in (`InitiateAuth`) and client-credentials
    /// (machine-to-machine) flows. With a [`resource`](Self::resource) set,
    /// their access tokens without `aud` are accepted; a token of theirs
    /// that does name resources must still name one of ours. Each must be
    /// one of the pool's [`client_id`](Self::client_id)s, and the setting
    /// needs a resource (it would change nothing without one). Defaults
    /// to none.
    ///
    /// Environment: `COGNITO_UNBOUND_CLIENTS`, comma-separated.
    #[must_use]
    pub fn unbound_clients<I, S>(mut self, client_ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.unbound_clients
            .extend(client_ids.into_iter().map(Into::into));
        self
    }

    /// Accept access tokens bound to any resource: whatever their `aud`
    /// names, as before resource binding was checked. Off by default,
    /// because a token issued for another API of the same app client
    /// would then be accepted here (cross-resource replay); prefer naming
    /// this API with [`resource`](Self::resource). Cannot be combined with
    /// `resource`.
    #[must_use]
    pub fn dangerously_accept_any_resource(mut self) -> Self {
        self.any_resource = true;
        self
    }

    /// Load this key-set file when the verifier is built, so that tokens
    /// verify before the first fetch (a Lambda cold start, a network that
    /// is down at start-up). The file is a JWKS document (`{"keys":[…]}`),
    /// as `cognito-jwt jwks` writes it; its age is its `fetched_at` field
    /// (seconds since the epoch) or else the file's modification time, and
    /// it serves until the first successful fetch, within the maximum
    /// staleness. A file that cannot be read, has no usable key, or whose
    /// `fetched_at` is more than 5 minutes ahead of the clock (an old
    /// document would count as just fetched) fails
    /// [`build`](crate::CognitoJwtVerifierBuilder::build).
    #[must_use]
    pub fn jwks_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.seed = Some(SeedSource::File { path: path.into() });
        self
    }

    /// As [`jwks_file`](Self::jwks_file), from a document you already have
    /// (for instance compiled into the binary); its age is its `fetched_at`
    /// field, or zero.
    #[must_use]
    pub fn jwks_seed(mut self, document: impl Into<String>) -> Self {
        self.seed = Some(SeedSource::Document {
            seed: Seed::new(document.into(), SystemTime::now()),
            name: None,
        });
        self
    }

    /// The seed, read now; `None` when there is none.
    pub(crate) fn seed(&self, index: usize) -> Result<Option<Seed>, ConfigError> {
        match &self.seed {
            None => Ok(None),
            Some(SeedSource::Document { seed, .. }) => Ok(Some(seed.clone())),
            Some(SeedSource::File { path }) => read_seed(path, &self.seed_name(index)).map(Some),
        }
    }

    /// The name of the seed setting in errors.
    pub(crate) fn seed_name(&self, index: usize) -> String {
        match &self.seed {
            Some(SeedSource::Document {
                name: Some(name), ..
            }) => name.clone(),
            Some(SeedSource::File { .. }) => format!("user_pool[{index}].jwks_file"),
            _ => format!("user_pool[{index}].jwks_seed"),
        }
    }

    /// Whether `other` checks tokens by the same rules: every setting but
    /// the seed, which only starts the key set.
    pub(crate) fn same_rules(&self, other: &Self) -> bool {
        let unseeded = |pool: &Self| Self {
            seed: None,
            ..pool.clone()
        };
        unseeded(self) == unseeded(other)
    }

    /// The user pool id.
    pub fn pool_id(&self) -> &str {
        &self.pool_id
    }
}

/// A checked pool: everything the verifier needs, derived once at build time.
#[derive(Debug, Clone)]
pub(crate) struct ResolvedPool {
    pub(crate) pool_id: String,
    pub(crate) client_ids: Vec<String>,
    pub(crate) token_use: AcceptedTokenUse,
    pub(crate) issuers: Vec<String>,
    pub(crate) jwks_uri: String,
    pub(crate) resources: Vec<String>,
    pub(crate) unbound_clients: Vec<String>,
    pub(crate) any_resource: bool,
}

/// Validate `<region>_<alphanumerics>`; return the region.
pub(super) fn pool_region<'a>(pool_id: &'a str, name: &str) -> Result<&'a str, ConfigError> {
    let problem = || {
        ConfigError::invalid(
            name,
            format!(
                "{} is not a user pool id; expected <region>_<id> such as \
                 eu-west-1_AbC123xyz (find it in the Cognito console under \
                 User pool overview)",
                quoted(pool_id)
            ),
        )
    };
    let (region, id) = pool_id.split_once('_').ok_or_else(problem)?;
    let region_ok = !region.is_empty()
        && region.len() <= 32
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !region.starts_with('-')
        && !region.ends_with('-');
    let id_ok = !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric());
    if region_ok && id_ok {
        Ok(region)
    } else {
        Err(problem())
    }
}

pub(super) fn check_url(url: &str, name: &str) -> Result<(), ConfigError> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    let host = rest.map(|r| r.split(['/', '?', '#']).next().unwrap_or(""));
    match host {
        Some(h) if !h.is_empty() && !url.contains(char::is_whitespace) && !h.contains('@') => {
            Ok(())
        }
        _ => Err(ConfigError::invalid(
            name,
            format!(
                "{} is not an http(s) URL with a host; expected e.g. \
                 https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123xyz",
                quoted(url)
            ),
        )),
    }
}

impl UserPool {
    pub(crate) fn resolve(&self, index: usize) -> Result<ResolvedPool, ConfigError> {
        let field = |f: &str| format!("user_pool[{index}].{f}");
        let region = pool_region(&self.pool_id, &field("pool_id"))?;
        if self.client_ids.is_empty() {
            return Err(ConfigError::missing(
                field("client_id"),
                "at least one app client id (UserPool::client_id), \
                           so that tokens issued to other apps are refused"
                    .to_owned(),
            ));
        }
        for client_id in &self.client_ids {
            if client_id.is_empty()
                || client_id.len() > 128
                || !client_id.bytes().all(|b| b.is_ascii_graphic())
            {
                return Err(ConfigError::invalid(
                    field("client_id"),
                    format!(
                        "{} is not an app client id; expected the id shown under \
                         App integration > App clients",
                        quoted(client_id)
                    ),
                ));
            }
        }
        self.check_resources(index)?;
        let token_use = self.token_use.ok_or_else(|| {
            ConfigError::missing(
                field("token_use"),
                "TokenUse::Id, TokenUse::Access, or explicitly AcceptedTokenUse::Any".to_owned(),
            )
        })?;
        let issuers = if let Some(issuer) = &self.issuer {
            check_url(issuer, &field("issuer"))?;
            vec![issuer.clone()]
        } else {
            let mut regions = vec![region];
            for replica in &self.replica_regions {
                pool_region(&format!("{replica}_x"), &field("replica_region"))?;
                regions.push(replica);
            }
            let mut issuers = Vec::new();
            for region in regions {
                for host in self.issuer_hosts.hosts() {
                    issuers.push(format!(
                        "https://{host}.{region}.amazonaws.com/{}",
                        self.pool_id
                    ));
                }
            }
            issuers
        };
        let jwks_uri = match (&self.jwks_uri, &self.issuer) {
            (Some(uri), _) => {
                check_url(uri, &field("jwks_uri"))?;
                uri.clone()
            }
            (None, Some(issuer)) => {
                format!("{}/.well-known/jwks.json", issuer.trim_end_matches('/'))
            }
            // The pool publishes its keys under the original host whichever
            // host its tokens name.
            (None, None) => format!(
                "https://cognito-idp.{region}.amazonaws.com/{}/.well-known/jwks.json",
                self.pool_id
            ),
        };
        Ok(ResolvedPool {
            pool_id: self.pool_id.clone(),
            client_ids: self.client_ids.clone(),
            token_use,
            issuers,
            jwks_uri,
            resources: self.resources.clone(),
            unbound_clients: self.unbound_clients.clone(),
            any_resource: self.any_resource,
        })
    }

    /// The resource-binding settings: well-formed, and not contradicting
    /// each other.
    fn check_resources(&self, index: usize) -> Result<(), ConfigError> {
        let field = |f: &str| format!("user_pool[{index}].{f}");
        for resource in &self.resources {
            if resource.is_empty()
                || resource.len() > 1024
                || !resource.bytes().all(|b| b.is_ascii_graphic())
            {
                return Err(ConfigError::invalid(
                    field("resource"),
                    format!(
                        "{} is not a resource identifier; expected the resource your \
                         clients request tokens for, e.g. https://api.example.com",
                        quoted(resource)
                    ),
                ));
            }
        }
        if self.any_resource && !self.resources.is_empty() {
            return Err(ConfigError::invalid(
                field("dangerously_accept_any_resource"),
                "contradicts the resources configured (UserPool::resource); keep one of them",
            ));
        }
        if !self.unbound_clients.is_empty() && self.resources.is_empty() {
            return Err(ConfigError::invalid(
                field("unbound_clients"),
                "has no effect without a resource (UserPool::resource): access tokens \
                 without aud are accepted then; set the resource or drop the setting",
            ));
        }
        if let Some(stranger) = self
            .unbound_clients
            .iter()
            .find(|client| !self.client_ids.contains(client))
        {
            return Err(ConfigError::invalid(
                field("unbound_clients"),
                format!(
                    "{} is not one of the pool's app client ids (UserPool::client_id)",
                    quoted(stranger)
                ),
            ));
        }
        Ok(())
    }
}

/// Read a seed key-set file: its text and, for its age, its modification
/// time (the document's own `fetched_at` field wins when present).
pub(super) fn read_seed(path: &Path, name: &str) -> Result<Seed, ConfigError> {
    use std::io::Read as _;

    const CAP: usize = crate::jwks::MAX_JWKS_BYTES;
    let problem = |what: String| ConfigError::invalid(name, what);
    let cannot_read = |e: std::io::Error| {
        problem(format!(
            "the key-set file {} cannot be read ({e}); write it with `cognito-jwt jwks`",
            quoted(&path.display().to_string())
        ))
    };
    // One byte past the cap tells a file that is too large, whatever its
    // size says (a pipe, a device such as /dev/zero); a resolved tenant's
    // seed is read again for each of its tokens while it cannot be used.
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(CAP as u64 + 1).read_to_end(&mut bytes))
        .map_err(cannot_read)?;
    if bytes.len() > CAP {
        return Err(problem(format!(
            "the key-set file is larger than {} KiB",
            CAP / 1024
        )));
    }
    let document = String::from_utf8(bytes).map_err(|_| {
        problem("the key-set file is not UTF-8 text; write it with `cognito-jwt jwks`".to_owned())
    })?;
    let modified = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .unwrap_or_else(|_| SystemTime::now());
    let seed = Seed::new(document, modified);
    seed.age(SystemTime::now()).map_err(problem)?;
    Ok(seed)
}
