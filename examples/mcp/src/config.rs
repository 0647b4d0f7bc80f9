//! The server's configuration: from the environment, or built in-process.

use std::net::SocketAddr;

use cognito_jwt_core::http::ProtectedResourceMetadata;
use cognito_jwt_core::{ClaimRule, CognitoJwtVerifier, ConfigError, UserPool};

/// Where the MCP endpoint is served, under the public URL.
pub const MCP_PATH: &str = "/mcp";

/// `BIND_ADDR` when it is not set.
pub const DEFAULT_BIND_ADDR: &str = "127.0.0.1:8080";

/// The name of the scope the `admin_stats` tool needs, under the resource
/// server's identifier (Cognito names a custom scope
/// `<resource server identifier>/<scope name>`).
pub const ADMIN_SCOPE_NAME: &str = "admin";

/// The MCP endpoint's URL, and so its resource identifier (RFC 8707): the
/// public URL followed by [`MCP_PATH`].
///
/// ```
/// assert_eq!(
///     cognito_jwt_mcp_example::resource_of("https://mcp.example.com/"),
///     "https://mcp.example.com/mcp"
/// );
/// ```
pub fn resource_of(public_url: &str) -> String {
    format!("{}{MCP_PATH}", public_url.trim_end_matches('/'))
}

/// What the MCP server needs: a verifier of access tokens bound to its
/// resource, the protected-resource metadata it serves, the scope of the
/// `admin_stats` tool and where to listen.
///
/// | variable | default | meaning |
/// |---|---|---|
/// | `COGNITO_USER_POOL_ID`, `COGNITO_CLIENT_ID`, `COGNITO_JWKS_URI`, `COGNITO_ISSUER` | see [`UserPool::from_env`] | the user pool whose access tokens are accepted |
/// | `COGNITO_TOKEN_USE` | required | must be `access`: MCP clients send access tokens |
/// | `PUBLIC_URL` | required | the server's external base URL; the MCP endpoint and resource is `PUBLIC_URL` + `/mcp` |
/// | `COGNITO_RESOURCE` | the MCP endpoint's URL | the resource(s) access tokens must be bound to (`aud`); when set, it must include the MCP endpoint's URL |
/// | `COGNITO_UNBOUND_CLIENTS` | none | clients whose tokens carry no `aud` (SDK sign-in, machine-to-machine); needs `COGNITO_RESOURCE` |
/// | `REQUIRED_CLAIMS` | none | claim rules every token must meet (see [`ClaimRule`]) |
/// | `BIND_ADDR` | `127.0.0.1:8080` | where to listen |
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct McpConfig {
    /// The verifier of the pool's access tokens.
    pub verifier: CognitoJwtVerifier,
    /// The RFC 9728 document: `resource` is the MCP endpoint's URL.
    pub metadata: ProtectedResourceMetadata,
    /// The scope the `admin_stats` tool needs:
    /// `<resource>/`[`ADMIN_SCOPE_NAME`].
    pub admin_scope: String,
    /// Where to listen.
    pub bind_addr: SocketAddr,
}

impl McpConfig {
    /// The configuration of a server reached at `public_url` (its base URL,
    /// `https://`, or `http://` on a loopback host), verifying with
    /// `verifier`, which must bind access tokens to
    /// [`resource_of`]`(public_url)` ([`UserPool::resource`]) so that a
    /// token issued for another resource is refused. Listens on
    /// [`DEFAULT_BIND_ADDR`]; tests serve [`router`](crate::router) on a
    /// listener of their own instead.
    ///
    /// # Errors
    /// A [`ConfigError`] naming `PUBLIC_URL` when it is not a URL, or when
    /// the verifier binds tokens to resources that do not include the MCP
    /// endpoint's.
    pub fn new(verifier: CognitoJwtVerifier, public_url: &str) -> Result<Self, ConfigError> {
        let resource = resource_of(public_url);
        let admin_scope = format!("{resource}/{ADMIN_SCOPE_NAME}");
        let metadata = verifier
            .protected_resource_metadata(&resource)
            .map_err(|e| invalid("PUBLIC_URL", problem_of(e)))?
            .scopes_supported([admin_scope.as_str()])
            .resource_name("cognito-jwt MCP example");
        Ok(Self {
            verifier,
            metadata,
            admin_scope,
            bind_addr: default_bind_addr()?,
        })
    }

    /// Read the configuration from the process environment (see the table
    /// above). Does no I/O beyond reading variables.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first variable that is missing or wrong.
    pub fn from_env() -> Result<Self, ConfigError> {
        let public_url = variable("PUBLIC_URL")?.ok_or_else(|| ConfigError::Missing {
            name: "PUBLIC_URL".to_owned(),
            expected: "the server's external base URL, e.g. https://mcp.example.com".to_owned(),
            did_you_mean: None,
        })?;
        let mut pool = UserPool::from_env()?;
        // Resource binding is only for access tokens: an ID token's `aud`
        // is the app client, so it would pass whatever resource it is for.
        if !variable("COGNITO_TOKEN_USE")?.is_some_and(|v| v.eq_ignore_ascii_case("access")) {
            return Err(invalid(
                "COGNITO_TOKEN_USE",
                "an MCP server accepts access tokens only; set it to access",
            ));
        }
        if variable("COGNITO_RESOURCE")?.is_none() {
            pool = pool.resource(resource_of(&public_url));
        }
        let mut builder = CognitoJwtVerifier::builder().user_pool(pool);
        for rule in ClaimRule::from_env()? {
            builder = builder.require_claim(rule);
        }
        let mut config = Self::new(builder.build()?, &public_url)?;
        if let Some(value) = variable("BIND_ADDR")? {
            config.bind_addr = value.parse().map_err(|_| {
                invalid(
                    "BIND_ADDR",
                    format!(
                        "{value:?} is not an address; expected <ip>:<port>, e.g. 127.0.0.1:8080"
                    ),
                )
            })?;
        }
        Ok(config)
    }

    /// The MCP endpoint's URL, the resource tokens are bound to.
    pub fn resource(&self) -> &str {
        self.metadata.resource()
    }
}

fn default_bind_addr() -> Result<SocketAddr, ConfigError> {
    DEFAULT_BIND_ADDR
        .parse()
        .map_err(|_| invalid("BIND_ADDR", "the built-in default does not parse"))
}

/// An optional variable, trimmed; empty counts as unset.
fn variable(name: &str) -> Result<Option<String>, ConfigError> {
    match std::env::var(name) {
        Ok(value) if value.trim().is_empty() => Ok(None),
        Ok(value) => Ok(Some(value.trim().to_owned())),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(invalid(name, "it is not valid UTF-8")),
    }
}

/// What `error` says is wrong, without the name of the setting (the
/// caller names the variable).
fn problem_of(error: ConfigError) -> String {
    match error {
        ConfigError::Invalid { problem, .. } => problem,
        other => other.to_string(),
    }
}

fn invalid(name: &str, problem: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        name: name.to_owned(),
        problem: problem.into(),
    }
}
