//! Any OpenID Connect or OAuth 2.0 issuer: its settings, checked once at
//! build time, and the claim rules its tokens are checked by.

use crate::algorithm::{Algorithm, AlgorithmSet};
use crate::claims::{GroupsClaim, KNOWN_CLAIMS, Payload, Profile};
use crate::error::{ConfigError, Error, ErrorKind, quoted};
use crate::jwks::{Discovery, metadata_url};
use crate::jwt::Typ;
use crate::requirements::Requirements;

/// Where an issuer's key set is found.
#[derive(Debug, Clone, PartialEq, Eq)]
enum KeySetLocation {
    /// This URL.
    Uri(String),
    /// The `jwks_uri` of `<issuer>/.well-known/openid-configuration`.
    OpenIdDiscovery,
    /// The `jwks_uri` of RFC 8414's
    /// `/.well-known/oauth-authorization-server` document.
    OAuthMetadata,
}

/// One issuer a [`JwtVerifier`](crate::JwtVerifier) trusts, with the
/// audiences, algorithms and claims its tokens must have.
///
/// The audience has no default on purpose (as Cognito client ids): a token
/// minted for another API of the same issuer must be refused, so
/// [`build`](crate::JwtVerifierBuilder::build) refuses an issuer without
/// one unless [`dangerously_accept_any_audience`](Self::dangerously_accept_any_audience)
/// waives the check.
///
/// ```
/// use cognito_jwt_core::{Algorithm, Issuer};
///
/// let issuer = Issuer::new("https://login.example.com/tenant-1")
///     .audience("orders-api")
///     .algorithms([Algorithm::RS256, Algorithm::ES256])
///     .discover();
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct Issuer {
    issuer: String,
    audiences: Vec<String>,
    any_audience: bool,
    algorithms: Vec<Algorithm>,
    key_set: KeySetLocation,
    allow_http: bool,
    access_token_profile: bool,
    required_claims: Vec<String>,
    groups_claim: Option<String>,
    requirements: Requirements,
    require_dpop: bool,
}

impl Issuer {
    /// An issuer, exactly as its tokens' `iss` claim and its discovery
    /// document spell it (compared byte for byte, trailing slash included).
    pub fn new(issuer: impl Into<String>) -> Self {
        Self {
            issuer: issuer.into(),
            audiences: Vec::new(),
            any_audience: false,
            algorithms: Vec::new(),
            key_set: KeySetLocation::OpenIdDiscovery,
            allow_http: false,
            access_token_profile: false,
            required_claims: Vec::new(),
            groups_claim: None,
            requirements: Requirements::new(),
            require_dpop: false,
        }
    }

    /// Accept tokens whose `aud` (a string, or any item of an array) is
    /// this audience. Call once per audience. Required unless waived.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences.push(audience.into());
        self
    }

    /// Accept tokens for any of these audiences.
    pub fn audiences<I, S>(mut self, audiences: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.audiences.extend(audiences.into_iter().map(Into::into));
        self
    }

    /// Do not check `aud` at all. Unsafe unless the issuer mints tokens for
    /// this service alone: any token it issued for another API would be
    /// accepted here.
    pub fn dangerously_accept_any_audience(mut self) -> Self {
        self.any_audience = true;
        self
    }

    /// The signature algorithms to accept (an allow-list; a token's `alg`
    /// must be one of them and fit its key). Defaults to RS256 only.
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.algorithms = algorithms.into_iter().collect();
        self
    }

    /// Fetch the key set from this URL (https, or http with
    /// [`allow_http`](Self::allow_http)) instead of discovering it.
    pub fn jwks_uri(mut self, url: impl Into<String>) -> Self {
        self.key_set = KeySetLocation::Uri(url.into());
        self
    }

    /// Find the key set by OpenID Connect discovery: the `jwks_uri` of
    /// `<issuer>/.well-known/openid-configuration`, whose `issuer` must
    /// equal this one byte for byte. The default when no
    /// [`jwks_uri`](Self::jwks_uri) is given. The document is read as the
    /// first step of the first key-set fetch, with the same time-out and
    /// back-off, and again on the refresh schedule (so that the issuer can
    /// move its keys; while it cannot be read, the URL found before keeps
    /// serving). Its `jwks_uri` must be https with a host, without a user
    /// part, whitespace or control characters.
    pub fn discover(mut self) -> Self {
        self.key_set = KeySetLocation::OpenIdDiscovery;
        self
    }

    /// Find the key set by OAuth 2.0 authorization server metadata (RFC
    /// 8414): `https://<host>/.well-known/oauth-authorization-server/<path>`.
    pub fn discover_oauth_metadata(mut self) -> Self {
        self.key_set = KeySetLocation::OAuthMetadata;
        self
    }

    /// Permit `http://` for the issuer, its discovery document and its key
    /// set: for local providers only. Defaults to `false`.
    pub fn allow_http(mut self, allow: bool) -> Self {
        self.allow_http = allow;
        self
    }

    /// Accept only RFC 9068 access tokens: header `typ` `at+jwt` (or
    /// `application/at+jwt`, any case) and the claims `iss`, `exp`, `aud`,
    /// `sub`, `client_id`, `iat` and `jti`. Defaults to off, when `typ`
    /// must be absent or `JWT`.
    pub fn access_token_profile(mut self) -> Self {
        self.access_token_profile = true;
        self
    }

    /// Refuse tokens without this claim (one of those listed in
    /// [`StandardClaims`](crate::StandardClaims), or `auth_time`, `nonce`,
    /// `email`, …: the claims the verifier reads). `exp` is always required.
    pub fn require_claim(mut self, claim: impl Into<String>) -> Self {
        self.required_claims.push(claim.into());
        self
    }

    /// The claim holding the user's groups or roles (an array of strings),
    /// for [`require_any_group`](Self::require_any_group) and
    /// [`ClaimsView::groups`](crate::ClaimsView::groups). Defaults to none.
    pub fn groups_claim(mut self, claim: impl Into<String>) -> Self {
        self.groups_claim = Some(claim.into());
        self
    }

    /// Require a scope (`scope` string or `scp` array) on this issuer's
    /// tokens; several calls mean any of them. An empty or blank name is
    /// a [`ConfigError`] naming `issuer[i].require_any_scope` at build.
    pub fn require_any_scope(mut self, scope: impl Into<String>) -> Self {
        self.requirements = self.requirements.any_scope(scope);
        self
    }

    /// Require a group (in the [`groups_claim`](Self::groups_claim)) on
    /// this issuer's tokens; several calls mean any of them. An empty or
    /// blank name is a [`ConfigError`] naming `issuer[i].require_any_group`
    /// at build.
    pub fn require_any_group(mut self, group: impl Into<String>) -> Self {
        self.requirements = self.requirements.any_group(group);
        self
    }

    /// Accept this issuer's tokens with the `DPoP` scheme and a proof only
    /// (RFC 9449), bound or not: a bearer token is refused with
    /// [`ErrorKind::DpopRequired`]. Defaults to `false`, when only tokens
    /// bound to a key (`cnf.jkt`) need a proof. Needs `dpop` on the
    /// verifier's builder.
    pub fn require_dpop(mut self) -> Self {
        self.require_dpop = true;
        self
    }

    /// The issuer as given.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }
}

/// A checked issuer.
#[derive(Debug, Clone)]
pub(crate) struct ResolvedIssuer {
    pub(crate) issuer: String,
    audiences: Vec<String>,
    pub(crate) algorithms: AlgorithmSet,
    access_token_profile: bool,
    required_claims: Vec<&'static str>,
    groups: GroupsClaim,
    pub(crate) requirements: Requirements,
    pub(crate) require_dpop: bool,
    /// The key-set URL, or the discovery document's.
    pub(crate) url: String,
    pub(crate) discovery: Option<Discovery>,
}

/// Whether `url` is `https://<host>…` (or `http://` when allowed).
fn check_url(url: &str, name: &str, allow_http: bool) -> Result<(), ConfigError> {
    let rest = match (url.strip_prefix("https://"), url.strip_prefix("http://")) {
        (Some(rest), _) => rest,
        (None, Some(rest)) if allow_http => rest,
        (None, Some(_)) => {
            return Err(ConfigError::invalid(
                name,
                format!(
                    "{} is an http:// URL; use https, or allow_http(true) for a local provider",
                    quoted(url)
                ),
            ));
        }
        _ => "",
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || host.contains('@') || url.contains(char::is_whitespace) {
        return Err(ConfigError::invalid(
            name,
            format!(
                "{} is not an https URL with a host; expected e.g. https://login.example.com/tenant",
                quoted(url)
            ),
        ));
    }
    Ok(())
}

impl Issuer {
    /// Check the settings; `extra_lists` collects configured groups claims
    /// the parser must keep.
    pub(crate) fn resolve(
        &self,
        index: usize,
        extra_lists: &mut Vec<Box<str>>,
    ) -> Result<ResolvedIssuer, ConfigError> {
        let field = |f: &str| format!("issuer[{index}].{f}");
        check_url(&self.issuer, &field("issuer"), self.allow_http)?;
        if self.audiences.is_empty() && !self.any_audience {
            return Err(ConfigError::missing(
                field("audience"),
                "at least one audience (Issuer::audience), so that tokens the issuer \
                           minted for other APIs are refused"
                    .to_owned(),
            ));
        }
        if let Some(bad) = self.audiences.iter().find(|a| a.is_empty()) {
            return Err(ConfigError::invalid(
                field("audience"),
                format!("{} is empty; expected the API's audience", quoted(bad)),
            ));
        }
        let algorithms = if self.algorithms.is_empty() {
            AlgorithmSet::RS256
        } else {
            AlgorithmSet::of(self.algorithms.iter().copied())
        };
        let mut required_claims = Vec::new();
        for claim in &self.required_claims {
            let known = KNOWN_CLAIMS
                .iter()
                .find(|k| **k == claim.as_str())
                .ok_or_else(|| {
                    ConfigError::invalid(
                        field("require_claim"),
                        format!(
                            "{} is not a claim the verifier reads; expected one of {}",
                            quoted(claim),
                            KNOWN_CLAIMS.join(", ")
                        ),
                    )
                })?;
            required_claims.push(*known);
        }
        let groups = match self.groups_claim.as_deref() {
            None => GroupsClaim::None,
            Some("") => {
                return Err(ConfigError::invalid(
                    field("groups_claim"),
                    "it is empty; expected a claim name such as groups or roles",
                ));
            }
            Some("cognito:groups") => GroupsClaim::CognitoGroups,
            Some(name) if KNOWN_CLAIMS.contains(&name) => {
                return Err(ConfigError::invalid(
                    field("groups_claim"),
                    format!("{} is a registered claim, not a groups claim", quoted(name)),
                ));
            }
            Some(name) => {
                let position = extra_lists.iter().position(|n| **n == *name);
                GroupsClaim::Extra(position.unwrap_or_else(|| {
                    extra_lists.push(name.into());
                    extra_lists.len() - 1
                }))
            }
        };
        let (url, discovery) = match &self.key_set {
            KeySetLocation::Uri(uri) => {
                check_url(uri, &field("jwks_uri"), self.allow_http)?;
                (uri.clone(), None)
            }
            KeySetLocation::OpenIdDiscovery | KeySetLocation::OAuthMetadata => (
                metadata_url(&self.issuer, self.key_set == KeySetLocation::OAuthMetadata),
                Some(Discovery {
                    issuer: self.issuer.clone(),
                    allow_http: self.allow_http,
                }),
            ),
        };
        self.requirements.validate_as(&field("require_"))?;
        Ok(ResolvedIssuer {
            issuer: self.issuer.clone(),
            audiences: if self.any_audience {
                Vec::new()
            } else {
                self.audiences.clone()
            },
            algorithms,
            access_token_profile: self.access_token_profile,
            required_claims,
            groups,
            requirements: self.requirements.clone(),
            require_dpop: self.require_dpop,
            url,
            discovery,
        })
    }
}

/// The claims RFC 9068 requires of an access token (`exp` is checked
/// with the dates).
const ACCESS_TOKEN_CLAIMS: &[&str] = &["iss", "aud", "sub", "client_id", "iat", "jti"];

impl ResolvedIssuer {
    /// The issuer's rules after the dates: `typ`, audience, required
    /// claims.
    pub(crate) fn check(&self, payload: &Payload<'_>, typ: Typ) -> Result<Profile, Error> {
        match (self.access_token_profile, typ) {
            (true, Typ::AccessToken) | (false, Typ::Absent | Typ::Jwt) => {}
            (true, _) => {
                return Err(Error::new(
                    ErrorKind::InvalidTokenUse,
                    "the header's typ is not at+jwt; this issuer accepts only RFC 9068 access \
                     tokens (send the access token, not an ID token)",
                ));
            }
            (false, _) => {
                return Err(Error::new(
                    ErrorKind::InvalidTokenUse,
                    "the header's typ is at+jwt, but this issuer is not configured for RFC 9068 \
                     access tokens (Issuer::access_token_profile)",
                ));
            }
        }
        if !self.audiences.is_empty() {
            match &payload.aud {
                None => {
                    return Err(Error::new(
                        ErrorKind::InvalidAudience,
                        "the token has no aud claim",
                    ));
                }
                Some(aud)
                    if aud.iter().any(|a| {
                        self.audiences
                            .iter()
                            .any(|want| want.as_bytes() == a.as_bytes())
                    }) => {}
                Some(_) => {
                    return Err(Error::new(
                        ErrorKind::InvalidAudience,
                        format!(
                            "the token's aud names none of the accepted audiences (expected {})",
                            self.audiences.join(" or ")
                        ),
                    ));
                }
            }
        }
        let profile_claims = if self.access_token_profile {
            ACCESS_TOKEN_CLAIMS
        } else {
            &[]
        };
        for claim in profile_claims.iter().chain(&self.required_claims) {
            if payload.has(claim) == Some(false) {
                return Err(Error::new(
                    ErrorKind::Malformed,
                    format!("the token has no {claim} claim, which this issuer requires"),
                ));
            }
        }
        Ok(Profile::Oidc {
            groups: self.groups,
        })
    }
}
