//! Where extractors find the verifier in the router's state.

use axum_core::extract::FromRef;
use std::sync::Arc;

use cognito_jwt_core::http::ProtectedResourceMetadata;
use cognito_jwt_core::{AlbJwtVerifier, AnyVerifier, CognitoJwtVerifier, JwtVerifier};

use crate::settings::Settings;

/// The verifier the extractors (and [`ready`](crate::ready)) take from the
/// router's state, through [`FromRef`]: any kind.
///
/// A state that gives a [`CognitoJwtVerifier`] (the verifier itself, or
/// your state with `impl FromRef<AppState> for CognitoJwtVerifier`) gives
/// a `Verifier` already. For a [`JwtVerifier`] or an [`AlbJwtVerifier`],
/// put a `Verifier` in the state, or implement `FromRef<AppState> for
/// Verifier`:
///
/// ```
/// use axum::{Router, routing::get};
/// use cognito_jwt_axum::{CognitoClaims, Verifier};
/// use cognito_jwt_core::{JwtVerifier, StandardClaims};
///
/// async fn me(CognitoClaims(claims): CognitoClaims<StandardClaims>) -> String {
///     claims.sub.unwrap_or_default()
/// }
///
/// fn app(verifier: JwtVerifier) -> Router {
///     Router::new()
///         .route("/me", get(me))
///         .with_state(Verifier::from(verifier))
/// }
/// ```
#[derive(Debug, Clone)]
pub struct Verifier(AnyVerifier, Option<Arc<str>>);

impl Verifier {
    /// The verifier.
    pub fn into_inner(self) -> AnyVerifier {
        self.0
    }

    /// Have extractors without a [`CognitoLayer`](crate::CognitoLayer)
    /// name this protected resource's metadata document (RFC 9728) in
    /// every 401 challenge, as
    /// [`CognitoLayer::resource_metadata`](crate::CognitoLayer::resource_metadata)
    /// does. Off by default.
    #[must_use]
    pub fn resource_metadata(mut self, metadata: &ProtectedResourceMetadata) -> Self {
        self.1 = Some(metadata.metadata_url().into());
        self
    }

    /// The extractors' settings: this verifier, with the defaults.
    pub(crate) fn into_settings(self) -> Settings {
        let mut settings = Settings::new(self.0);
        settings.resource_metadata = self.1;
        settings
    }
}

impl From<CognitoJwtVerifier> for Verifier {
    fn from(verifier: CognitoJwtVerifier) -> Self {
        Self(verifier.into(), None)
    }
}

impl From<JwtVerifier> for Verifier {
    fn from(verifier: JwtVerifier) -> Self {
        Self(verifier.into(), None)
    }
}

impl From<AlbJwtVerifier> for Verifier {
    fn from(verifier: AlbJwtVerifier) -> Self {
        Self(verifier.into(), None)
    }
}

impl From<AnyVerifier> for Verifier {
    fn from(verifier: AnyVerifier) -> Self {
        Self(verifier, None)
    }
}

impl<S> FromRef<S> for Verifier
where
    CognitoJwtVerifier: FromRef<S>,
{
    fn from_ref(state: &S) -> Self {
        Self::from(CognitoJwtVerifier::from_ref(state))
    }
}
