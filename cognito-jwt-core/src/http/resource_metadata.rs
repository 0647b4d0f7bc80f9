//! Protected-resource metadata (RFC 9728): the document that tells an OAuth
//! client which authorization servers issue tokens for this API, which
//! scopes it knows and how to send a token, and the well-known URL it is
//! served at, which every 401 challenge can name (`resource_metadata`).

use serde::Serialize;

use crate::error::{ConfigError, quoted};

/// The well-known path of the document (RFC 9728 §3): served as is for a
/// resource without a path, followed by the resource's path otherwise.
pub const METADATA_PATH: &str = "/.well-known/oauth-protected-resource";

/// An RFC 9728 protected-resource metadata document, served as JSON at
/// [`metadata_path`](Self::metadata_path) by the adapters' ready-made
/// handlers.
///
/// `resource` is this API's public URL, verbatim: a client checks that it
/// equals the URL it derived the metadata URL from (RFC 9728 §3.3).
/// [`CognitoJwtVerifier::protected_resource_metadata`](crate::CognitoJwtVerifier::protected_resource_metadata)
/// fills in the user pools as authorization servers.
///
/// ```
/// use cognito_jwt_core::http::ProtectedResourceMetadata;
///
/// let metadata = ProtectedResourceMetadata::new("https://api.example.com/mcp")?
///     .authorization_server("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123xyz")
///     .scopes_supported(["orders/read", "orders/write"])
///     .resource_name("Orders");
/// assert_eq!(metadata.metadata_path(), "/.well-known/oauth-protected-resource/mcp");
/// assert_eq!(
///     metadata.metadata_url(),
///     "https://api.example.com/.well-known/oauth-protected-resource/mcp"
/// );
/// assert!(metadata.to_json().starts_with(r#"{"resource":"https://api.example.com/mcp","#));
/// # Ok::<(), cognito_jwt_core::ConfigError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ProtectedResourceMetadata {
    resource: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    authorization_servers: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    scopes_supported: Vec<String>,
    bearer_methods_supported: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource_documentation: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    dpop_signing_alg_values_supported: Vec<String>,
    /// Where the path of `resource` starts (its length when it has none).
    #[serde(skip)]
    path_start: usize,
}

impl ProtectedResourceMetadata {
    /// The document of the resource at `resource`, this API's public URL:
    /// `https://` (or `http://` on a loopback host, for development), a
    /// host, no query and no fragment. Bearer tokens are sent in the
    /// `Authorization` header (`bearer_methods_supported`: `["header"]`).
    ///
    /// # Errors
    /// A [`ConfigError`] naming `resource` when the URL is not one.
    pub fn new(resource: impl Into<String>) -> Result<Self, ConfigError> {
        let resource = resource.into();
        let path_start = check_resource_url(&resource)?;
        Ok(Self {
            resource,
            authorization_servers: Vec::new(),
            scopes_supported: Vec::new(),
            bearer_methods_supported: vec!["header".to_owned()],
            resource_name: None,
            resource_documentation: None,
            dpop_signing_alg_values_supported: Vec::new(),
            path_start,
        })
    }

    /// Name an authorization server (its issuer URL) whose tokens this
    /// resource accepts. Call once per server; a repeat is ignored.
    #[must_use]
    pub fn authorization_server(mut self, issuer: impl Into<String>) -> Self {
        let issuer = issuer.into();
        if !self.authorization_servers.contains(&issuer) {
            self.authorization_servers.push(issuer);
        }
        self
    }

    /// Add scopes this resource uses in its authorization decisions
    /// (`scopes_supported`); repeats are ignored.
    #[must_use]
    pub fn scopes_supported<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        for scope in scopes {
            let scope = scope.into();
            if !self.scopes_supported.contains(&scope) {
                self.scopes_supported.push(scope);
            }
        }
        self
    }

    /// How tokens may be sent (`bearer_methods_supported`: `header`,
    /// `body`, `query`); replaces the default `["header"]`. An empty list
    /// says bearer tokens are not accepted this way at all (for a resource
    /// reading a cookie, say).
    #[must_use]
    pub fn bearer_methods_supported<I, S>(mut self, methods: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.bearer_methods_supported = methods.into_iter().map(Into::into).collect();
        self
    }

    /// A human-readable name of the resource (`resource_name`).
    #[must_use]
    pub fn resource_name(mut self, name: impl Into<String>) -> Self {
        self.resource_name = Some(name.into());
        self
    }

    /// The URL of the resource's documentation for developers
    /// (`resource_documentation`).
    #[must_use]
    pub fn resource_documentation(mut self, url: impl Into<String>) -> Self {
        self.resource_documentation = Some(url.into());
        self
    }

    /// The algorithms DPoP proofs may be signed with
    /// (`dpop_signing_alg_values_supported`, RFC 9728 §2), for a resource
    /// that accepts DPoP; left out while empty, the default.
    /// [`CognitoJwtVerifier::protected_resource_metadata`](crate::CognitoJwtVerifier::protected_resource_metadata)
    /// names its verifier's when it accepts DPoP.
    ///
    /// ```
    /// use cognito_jwt_core::http::ProtectedResourceMetadata;
    ///
    /// let metadata = ProtectedResourceMetadata::new("https://api.example.com")?
    ///     .dpop_signing_alg_values_supported(["ES256", "EdDSA"]);
    /// assert!(metadata.to_json().contains(r#""dpop_signing_alg_values_supported":["ES256","EdDSA"]"#));
    /// # Ok::<(), cognito_jwt_core::ConfigError>(())
    /// ```
    #[must_use]
    pub fn dpop_signing_alg_values_supported<I, S>(mut self, algorithms: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.dpop_signing_alg_values_supported = algorithms.into_iter().map(Into::into).collect();
        self
    }

    /// The DPoP proof algorithms named.
    pub fn dpop_algorithms(&self) -> &[String] {
        &self.dpop_signing_alg_values_supported
    }

    /// The resource identifier, as given.
    pub fn resource(&self) -> &str {
        &self.resource
    }

    /// The authorization servers named.
    pub fn authorization_servers(&self) -> &[String] {
        &self.authorization_servers
    }

    /// The scopes named.
    pub fn scopes(&self) -> &[String] {
        &self.scopes_supported
    }

    /// The path to serve the document at (RFC 9728 §3.1):
    /// [`METADATA_PATH`], followed by the resource's path when it has one
    /// other than `/`.
    pub fn metadata_path(&self) -> String {
        let path = &self.resource[self.path_start..];
        if path == "/" {
            METADATA_PATH.to_owned()
        } else {
            format!("{METADATA_PATH}{path}")
        }
    }

    /// The document's URL, for the `resource_metadata` parameter of the
    /// challenges: the resource's origin and
    /// [`metadata_path`](Self::metadata_path).
    pub fn metadata_url(&self) -> String {
        format!(
            "{}{}",
            &self.resource[..self.path_start],
            self.metadata_path()
        )
    }

    /// The document as JSON, members without a value left out.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Check a resource URL; return where its path starts.
fn check_resource_url(url: &str) -> Result<usize, ConfigError> {
    let problem = |why: &str| {
        ConfigError::invalid(
            "resource",
            format!(
                "{} is not a protected resource's URL ({why}); expected this API's public \
                 URL, e.g. https://api.example.com",
                quoted(url)
            ),
        )
    };
    let (scheme_len, secure) = if url.starts_with("https://") {
        ("https://".len(), true)
    } else if url.starts_with("http://") {
        ("http://".len(), false)
    } else {
        return Err(problem("not https"));
    };
    if !url.bytes().all(|b| b.is_ascii_graphic()) || url.len() > 2048 {
        return Err(problem("spaces or other characters a URL cannot hold"));
    }
    if url.contains('#') || url.contains('?') {
        return Err(problem("a query or fragment"));
    }
    let rest = &url[scheme_len..];
    let host_len = rest.find('/').unwrap_or(rest.len());
    let authority = &rest[..host_len];
    if authority.is_empty() || authority.contains('@') {
        return Err(problem("no host"));
    }
    if !secure && !is_loopback(authority) {
        return Err(problem("http:// is for loopback hosts only"));
    }
    Ok(scheme_len + host_len)
}

/// Whether a URL's authority (`host[:port]`) names this machine.
fn is_loopback(authority: &str) -> bool {
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => authority.split(':').next().unwrap_or(""),
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_metadata_url_inserts_the_well_known_path_before_the_resource_path() {
        for (resource, path, url) in [
            (
                "https://api.example.com",
                "/.well-known/oauth-protected-resource",
                "https://api.example.com/.well-known/oauth-protected-resource",
            ),
            (
                "https://api.example.com/",
                "/.well-known/oauth-protected-resource",
                "https://api.example.com/.well-known/oauth-protected-resource",
            ),
            (
                "https://api.example.com:8443/v1/mcp",
                "/.well-known/oauth-protected-resource/v1/mcp",
                "https://api.example.com:8443/.well-known/oauth-protected-resource/v1/mcp",
            ),
            (
                "http://127.0.0.1:8080",
                "/.well-known/oauth-protected-resource",
                "http://127.0.0.1:8080/.well-known/oauth-protected-resource",
            ),
            (
                "http://[::1]:8080/api",
                "/.well-known/oauth-protected-resource/api",
                "http://[::1]:8080/.well-known/oauth-protected-resource/api",
            ),
        ] {
            let metadata = ProtectedResourceMetadata::new(resource).unwrap();
            assert_eq!(metadata.resource(), resource);
            assert_eq!(metadata.metadata_path(), path);
            assert_eq!(metadata.metadata_url(), url);
        }
    }

    #[test]
    fn a_resource_that_is_not_a_public_url_is_refused_naming_it() {
        for bad in [
            "",
            "api.example.com",
            "ftp://api.example.com",
            "https://",
            "https:///path",
            "https://user@api.example.com",
            "https://api.example.com/a b",
            "https://api.example.com/?x=1",
            "https://api.example.com/#top",
            "http://api.example.com",
            "http://localhost.example.com",
            "https://api.example.com/\u{1b}[31m",
        ] {
            let error = ProtectedResourceMetadata::new(bad).unwrap_err();
            assert_eq!(error.name(), Some("resource"), "{bad}: {error}");
            assert!(!error.to_string().contains('\u{1b}'), "{error}");
        }
        ProtectedResourceMetadata::new("http://localhost:3000").unwrap();
    }

    #[test]
    fn the_document_has_the_rfc_9728_members() {
        let metadata = ProtectedResourceMetadata::new("https://api.example.com")
            .unwrap()
            .authorization_server("https://issuer.example.com")
            .authorization_server("https://issuer.example.com")
            .scopes_supported(["a", "b", "a"]);
        let json: serde_json::Value = serde_json::from_str(&metadata.to_json()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "resource": "https://api.example.com",
                "authorization_servers": ["https://issuer.example.com"],
                "scopes_supported": ["a", "b"],
                "bearer_methods_supported": ["header"],
            })
        );
        let named = metadata
            .resource_name("Orders \"API\"")
            .resource_documentation("https://docs.example.com")
            .bearer_methods_supported(Vec::<String>::new());
        let json: serde_json::Value = serde_json::from_str(&named.to_json()).unwrap();
        assert_eq!(json["resource_name"], "Orders \"API\"");
        assert_eq!(json["resource_documentation"], "https://docs.example.com");
        assert_eq!(json["bearer_methods_supported"], serde_json::json!([]));
    }
}
