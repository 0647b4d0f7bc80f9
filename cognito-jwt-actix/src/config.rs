//! Where the token comes from and how rejections look.

use std::fmt;
use std::sync::{Arc, LazyLock};

use actix_web::{HttpRequest, HttpResponse};
use cognito_jwt_core::Verify;
use cognito_jwt_core::http::{
    AuthRejection, DEFAULT_REALM, ProtectedResourceMetadata, TokenSource,
};

use crate::error::{CognitoError, Rendering};

#[derive(Clone)]
struct Settings {
    /// `None`: where the verifier's tokens travel.
    token_source: Option<TokenSource>,
    rendering: Rendering,
}

/// How the extractors and [`CognitoAuth`](crate::CognitoAuth) read tokens
/// and answer refusals, like actix-web's `JsonConfig`.
///
/// Register it with [`App::app_data`](actix_web::App::app_data) (not
/// wrapped in `web::Data`), or give it to a middleware with
/// [`CognitoAuth::config`](crate::CognitoAuth::config). Without one, the
/// defaults apply.
///
/// ```
/// use actix_web::App;
/// use cognito_jwt_actix::{CognitoConfig, TokenSource};
///
/// let app = App::new().app_data(
///     CognitoConfig::new()
///         .token_source(TokenSource::Cookie("access_token".into()))
///         .realm("orders"),
/// );
/// ```
///
/// Cheap to clone.
#[derive(Clone)]
pub struct CognitoConfig {
    settings: Arc<Settings>,
}

static DEFAULT: LazyLock<CognitoConfig> = LazyLock::new(|| CognitoConfig {
    settings: Arc::new(Settings {
        token_source: None,
        rendering: Rendering {
            realm: DEFAULT_REALM.into(),
            resource_metadata: None,
            handler: None,
        },
    }),
});

impl Default for CognitoConfig {
    fn default() -> Self {
        DEFAULT.clone()
    }
}

impl fmt::Debug for CognitoConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CognitoConfig")
            .field("token_source", &self.settings.token_source)
            .field("realm", &self.settings.rendering.realm)
            .field(
                "resource_metadata",
                &self.settings.rendering.resource_metadata,
            )
            .field("error_handler", &self.settings.rendering.handler.is_some())
            .finish()
    }
}

impl CognitoConfig {
    /// The defaults: the token from `Authorization: Bearer`, realm
    /// [`DEFAULT_REALM`], the standard JSON error body.
    pub fn new() -> Self {
        Self::default()
    }

    /// Where to read the token. Defaults to where the verifier's tokens
    /// travel ([`Verify::token_source`]): the `Authorization` header, or
    /// `x-amzn-oidc-data` for an
    /// [`AlbJwtVerifier`](cognito_jwt_core::AlbJwtVerifier). With
    /// [`TokenSource::Cookie`], a request without an `Authorization` header
    /// is read from the cookie.
    #[must_use]
    pub fn token_source(mut self, source: TokenSource) -> Self {
        Arc::make_mut(&mut self.settings).token_source = Some(source);
        self
    }

    /// The `realm` of the `WWW-Authenticate` challenge. Defaults to
    /// [`DEFAULT_REALM`] (`"api"`).
    #[must_use]
    pub fn realm(mut self, realm: impl Into<String>) -> Self {
        Arc::make_mut(&mut self.settings).rendering.realm = realm.into().into();
        self
    }

    /// Name this protected resource's metadata document (RFC 9728) in
    /// every 401 challenge: `resource_metadata="<url>"`, the document's
    /// [`metadata_url`](ProtectedResourceMetadata::metadata_url), so that
    /// a client learns where to get a token. Serve the document with
    /// [`resource_metadata`](crate::resource_metadata()). Off by default.
    #[must_use]
    pub fn resource_metadata(mut self, metadata: &ProtectedResourceMetadata) -> Self {
        Arc::make_mut(&mut self.settings)
            .rendering
            .resource_metadata = Some(metadata.metadata_url().into());
        self
    }

    /// Build refusal responses with `handler` instead of the standard JSON
    /// body. Start from [`CognitoError::response_builder`] to keep the
    /// status, `WWW-Authenticate` and `Retry-After` headers, or from
    /// [`CognitoError::default_response`] to change only some answers.
    ///
    /// ```
    /// use actix_web::HttpResponse;
    /// use cognito_jwt_actix::CognitoConfig;
    ///
    /// let config = CognitoConfig::new().error_handler(|error| {
    ///     error.response_builder().body(format!("sign in again ({})", error.rejection().status()))
    /// });
    /// ```
    #[must_use]
    pub fn error_handler<F>(mut self, handler: F) -> Self
    where
        F: Fn(&CognitoError) -> HttpResponse + Send + Sync + 'static,
    {
        Arc::make_mut(&mut self.settings).rendering.handler = Some(Arc::new(handler));
        self
    }

    /// Where to read the token: as configured, else where `verifier`'s
    /// tokens travel.
    pub(crate) fn source(&self, verifier: &impl Verify) -> TokenSource {
        self.settings
            .token_source
            .clone()
            .unwrap_or_else(|| verifier.token_source())
    }

    pub(crate) fn from_app(req: &HttpRequest) -> Self {
        req.app_data::<Self>().cloned().unwrap_or_default()
    }
}

impl CognitoError {
    /// A refusal rendered with `config`, e.g. from a guard of your own.
    pub fn new(rejection: AuthRejection, config: &CognitoConfig) -> Self {
        Self::rendered(rejection, &config.settings.rendering)
    }
}
