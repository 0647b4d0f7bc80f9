//! Where extractors find the verifier in the router's state.

use axum_core::extract::FromRef;
use std::sync::Arc;

use cognito_jwt_core::http::ProtectedResourceMetadata;
use cognito_jwt_core::{AlbJwtVerifier, AnyVerifier, CognitoJwtVerifier, JwtVerifier};

use crate::settings::Settings;

/// The verifier the extractors (and [`ready`](crate::ready),
/// [`sign_out`](crate::sign_out())) take from the router's state, through
/// [`FromRef`]: any kind.
///
/// Any verifier kind goes into the state as it is:
/// `.with_state(verifier)` with a [`CognitoJwtVerifier`], a
/// [`JwtVerifier`], an [`AlbJwtVerifier`], an [`AnyVerifier`] or a
/// `Verifier` (which also carries
/// [`resource_metadata`](Self::resource_metadata)). A state of your own
/// holds a `Verifier` field and implements `FromRef<AppState> for
/// Verifier` (or derives `FromRef`):
///
/// ```
/// use axum::extract::FromRef;
/// use axum::{Router, routing::get};
/// use cognito_jwt_axum::{CognitoClaims, Verifier};
/// use cognito_jwt_core::{JwtVerifier, StandardClaims};
///
/// async fn me(CognitoClaims(claims): CognitoClaims<StandardClaims>) -> String {
///     claims.sub.unwrap_or_default()
/// }
///
/// // The verifier alone: any kind, as it is.
/// fn app(verifier: JwtVerifier) -> Router {
///     Router::new().route("/me", get(me)).with_state(verifier)
/// }
///
/// // A state of your own (or `#[derive(FromRef)]`, axum's `macros` feature).
/// #[derive(Clone)]
/// struct AppState {
///     verifier: Verifier, // Verifier::from(any kind)
///     // database pools, ...
/// }
///
/// impl FromRef<AppState> for Verifier {
///     fn from_ref(state: &AppState) -> Self {
///         state.verifier.clone()
///     }
/// }
///
/// fn app_with_state(verifier: JwtVerifier) -> Router {
///     let state = AppState { verifier: verifier.into() };
///     Router::new().route("/me", get(me)).with_state(state)
/// }
/// ```
///
/// A state that gives no `Verifier` makes axum say only that the handler
/// does not implement `Handler`; `#[axum::debug_handler]` on the handler
/// names the missing `Verifier: FromRef<AppState>`.
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

/// `.with_state(verifier)` with any verifier kind: each one gives the
/// extractors a `Verifier`. (A `Verifier` in the state gives itself,
/// through axum's `impl<T: Clone> FromRef<T> for T`.)
macro_rules! from_ref_of_kind {
    ($($kind:ty),+) => {$(
        impl FromRef<$kind> for Verifier {
            fn from_ref(verifier: &$kind) -> Self {
                Self::from(verifier.clone())
            }
        }
    )+};
}

from_ref_of_kind!(CognitoJwtVerifier, JwtVerifier, AlbJwtVerifier, AnyVerifier);
