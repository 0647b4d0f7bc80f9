//! The claims of a token an Application Load Balancer signed.

use serde::de::{self, DeserializeOwned};
use serde::{Deserialize, Serialize};

use crate::claims::ClaimsView;
use crate::claims::TokenClaims;

/// The claims of an `x-amzn-oidc-data` header verified by an
/// [`AlbJwtVerifier`](crate::AlbJwtVerifier): the user claims the load
/// balancer got from the identity provider (for Cognito: `sub`, `email`,
/// `email_verified`, `username`), and the fields the load balancer put in
/// the token's header (`signer`, `client`, `iss`).
///
/// Other claims are read on demand with [`claim`](Self::claim); for a type
/// of your own, implement [`TokenClaims`] for it and call
/// [`AlbJwtVerifier::verify`](crate::AlbJwtVerifier::verify) with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AlbClaims {
    /// `sub`: the user's id at the identity provider.
    pub sub: String,
    /// `email`, when the identity provider sends it.
    #[serde(default)]
    pub email: Option<String>,
    /// `email_verified`, whether sent as a boolean or (as Cognito through a
    /// load balancer does) as the string `"true"` or `"false"`.
    #[serde(default)]
    pub email_verified: Option<bool>,
    /// `username`, when the identity provider sends it.
    #[serde(default)]
    pub username: Option<String>,
    /// The header's `signer`: the ARN of the load balancer that signed
    /// the token (one of those configured).
    pub signer: String,
    /// The header's `client`: the app client id the load balancer
    /// authenticated the user with.
    #[serde(default)]
    pub client: Option<String>,
    /// The header's `iss`: the identity provider.
    #[serde(default)]
    pub iss: Option<String>,
    /// When the token expires, in seconds since the epoch: the earlier of
    /// the header's `exp` and the payload's.
    pub exp: u64,
    /// The payload's JSON, for [`claim`](Self::claim).
    #[serde(skip)]
    json: String,
}

impl AlbClaims {
    /// Another claim of the payload, as `T`; `None` when it is absent or
    /// does not fit `T`.
    ///
    /// ```
    /// # use cognito_jwt_core::AlbClaims;
    /// fn locale(claims: &AlbClaims) -> Option<String> {
    ///     claims.claim("locale")
    /// }
    /// ```
    pub fn claim<T: DeserializeOwned>(&self, name: &str) -> Option<T> {
        let mut object: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&self.json).ok()?;
        serde_json::from_value(object.remove(name)?).ok()
    }

    /// Whether the identity provider says the email address is verified.
    pub fn is_email_verified(&self) -> bool {
        self.email_verified == Some(true)
    }
}

impl TokenClaims for AlbClaims {
    fn from_view(view: &ClaimsView<'_>) -> Result<Self, serde_json::Error> {
        let header = view
            .header_claims()
            .ok_or_else(|| de::Error::custom("AlbClaims are for AlbJwtVerifier"))?;
        let exp = header.exp.ok_or_else(|| de::Error::missing_field("exp"))?;
        let p = view.payload;
        Ok(Self {
            sub: p
                .sub
                .as_deref()
                .ok_or_else(|| de::Error::missing_field("sub"))?
                .to_owned(),
            email: p.email.as_deref().map(str::to_owned),
            email_verified: p.email_verified,
            username: p.username.as_deref().map(str::to_owned),
            signer: header.signer.clone().unwrap_or_default(),
            client: header.client.clone(),
            iss: header.iss.clone(),
            exp: p.exp.map_or(exp, |payload| payload.min(exp)),
            json: view.json().to_owned(),
        })
    }
}
