//! What the two Rust peers of the HTTP side-by-side benchmark share: the
//! pool settings from the environment (the variables `local-issuer`
//! prints, as the example servers read them) and the `/api/me` answer.
//!
//! Each binary serves `GET /api/me` on `BIND_ADDR` (default
//! `127.0.0.1:0`), prints `listening on http://<address>` on stdout and
//! answers with the same JSON body as the example servers.

use std::net::SocketAddr;

use serde::{Deserialize, Serialize};

/// Listen on `address` and print `listening on http://<address>`.
///
/// # Errors
/// A message saying what failed.
pub async fn listen(address: SocketAddr) -> Result<tokio::net::TcpListener, String> {
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .map_err(|error| format!("cannot listen on {address}: {error}"))?;
    let bound = listener.local_addr().map_err(|error| error.to_string())?;
    println!("listening on http://{bound}");
    Ok(listener)
}

/// The pool whose access tokens are accepted.
#[derive(Debug, Clone)]
pub struct PoolSettings {
    /// `https://cognito-idp.<region>.amazonaws.com/<pool id>`.
    pub issuer: String,
    /// The app client the tokens must be issued to (`client_id`).
    pub client_id: String,
    /// Where the key set is fetched from.
    pub jwks_uri: String,
    /// Where to listen.
    pub bind_addr: SocketAddr,
}

impl PoolSettings {
    /// Read `COGNITO_USER_POOL_ID`, `COGNITO_CLIENT_ID`, `COGNITO_JWKS_URI`
    /// and `BIND_ADDR`.
    ///
    /// # Errors
    /// A message naming the variable that is missing or wrong.
    pub fn from_env() -> Result<Self, String> {
        let pool_id = required("COGNITO_USER_POOL_ID")?;
        let region = pool_id
            .split_once('_')
            .map(|(region, _)| region)
            .ok_or_else(|| format!("COGNITO_USER_POOL_ID {pool_id:?} is not <region>_<id>"))?;
        let bind_addr = std::env::var("BIND_ADDR").unwrap_or_else(|_| "127.0.0.1:0".to_owned());
        Ok(Self {
            issuer: format!("https://cognito-idp.{region}.amazonaws.com/{pool_id}"),
            client_id: required("COGNITO_CLIENT_ID")?,
            jwks_uri: required("COGNITO_JWKS_URI")?,
            bind_addr: bind_addr
                .parse()
                .map_err(|_| format!("BIND_ADDR {bind_addr:?} is not <ip>:<port>"))?,
        })
    }
}

fn required(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("{name} is not set"))
}

/// The claims of a Cognito access token that the peers read.
#[derive(Debug, Clone, Deserialize)]
pub struct AccessClaims {
    /// The user's id.
    pub sub: String,
    /// The user name.
    pub username: Option<String>,
    /// `cognito:groups`.
    #[serde(rename = "cognito:groups", default)]
    pub groups: Vec<String>,
    /// Space-separated OAuth scopes.
    #[serde(default)]
    pub scope: String,
    /// `access` for an access token.
    pub token_use: String,
    /// The app client the token was issued to.
    pub client_id: String,
}

impl AccessClaims {
    /// The Cognito checks beyond signature, `iss` and `exp`: an access
    /// token of this app client.
    pub fn is_access_token_of(&self, client_id: &str) -> bool {
        self.token_use == "access" && self.client_id == client_id
    }
}

/// The `/api/me` answer, field for field the example servers' `Me`.
#[derive(Debug, Clone, Serialize)]
pub struct Me {
    /// The user's id.
    pub sub: String,
    /// The user name.
    pub username: Option<String>,
    /// `cognito:groups`.
    pub groups: Vec<String>,
    /// The OAuth scopes of the token.
    pub scopes: Vec<String>,
}

impl From<&AccessClaims> for Me {
    fn from(claims: &AccessClaims) -> Self {
        Self {
            sub: claims.sub.clone(),
            username: claims.username.clone(),
            groups: claims.groups.clone(),
            scopes: claims.scope.split_whitespace().map(str::to_owned).collect(),
        }
    }
}
