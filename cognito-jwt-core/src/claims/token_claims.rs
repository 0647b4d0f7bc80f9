//! The types a verified token's claims can be returned as.

use serde::de::DeserializeOwned;

use super::TokenUse;
use super::{AccessTokenClaims, ClaimsView, IdTokenClaims, StandardClaims};

/// A type the verifier can return verified claims as.
///
/// Implemented for [`IdTokenClaims`], [`AccessTokenClaims`] (Cognito),
/// [`StandardClaims`] (any issuer) and [`serde_json::Value`]. For your own type, add an empty impl: it is then
/// deserialized from the verified payload.
///
/// ```
/// use cognito_jwt_core::TokenClaims;
///
/// #[derive(Clone, serde::Deserialize)]
/// struct MyClaims {
///     sub: String,
///     #[serde(rename = "custom:tenant")]
///     tenant: String,
/// }
///
/// impl TokenClaims for MyClaims {}
/// ```
///
/// Whatever the type, the verdict on a token is the same: the verifier
/// checks the claims with its own parser first, and only then builds `T`.
pub trait TokenClaims: DeserializeOwned + Clone + Send + Sync + 'static {
    /// The token use this type describes. When set, a token of the other
    /// kind is refused with
    /// [`ErrorKind::InvalidTokenUse`](crate::ErrorKind::InvalidTokenUse),
    /// whatever the pool accepts.
    const TOKEN_USE: Option<TokenUse> = None;

    /// Build the claims of a verified token. The default deserializes the
    /// payload JSON ([`ClaimsView::deserialize`]); the built-in types take
    /// their fields from the verifier's own parse instead.
    ///
    /// # Errors
    /// When the payload does not fit the type.
    fn from_view(view: &ClaimsView<'_>) -> Result<Self, serde_json::Error> {
        view.deserialize()
    }
}

impl TokenClaims for IdTokenClaims {
    const TOKEN_USE: Option<TokenUse> = Some(TokenUse::Id);
    fn from_view(view: &ClaimsView<'_>) -> Result<Self, serde_json::Error> {
        IdTokenClaims::build(view)
    }
}

impl TokenClaims for AccessTokenClaims {
    const TOKEN_USE: Option<TokenUse> = Some(TokenUse::Access);
    fn from_view(view: &ClaimsView<'_>) -> Result<Self, serde_json::Error> {
        AccessTokenClaims::build(view)
    }
}

impl TokenClaims for StandardClaims {
    fn from_view(view: &ClaimsView<'_>) -> Result<Self, serde_json::Error> {
        StandardClaims::build(view)
    }
}

impl TokenClaims for serde_json::Value {}
