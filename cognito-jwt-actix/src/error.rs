//! The refusal: an [`AuthRejection`] rendered as an actix-web response.

use std::fmt;
use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::http::header::{ContentType, RETRY_AFTER, WWW_AUTHENTICATE};
use actix_web::{HttpResponse, HttpResponseBuilder, ResponseError};
use cognito_jwt_core::http::AuthRejection;

/// A custom rendering of refusals (see
/// [`CognitoConfig::error_handler`](crate::CognitoConfig::error_handler)).
pub(crate) type ErrorHandler = dyn Fn(&CognitoError) -> HttpResponse + Send + Sync;

/// How refusals are rendered: the challenge's realm and metadata URL, and
/// the custom handler if any. Part of a [`CognitoConfig`](crate::CognitoConfig).
#[derive(Clone)]
pub(crate) struct Rendering {
    pub(crate) realm: Arc<str>,
    pub(crate) resource_metadata: Option<Arc<str>>,
    pub(crate) handler: Option<Arc<ErrorHandler>>,
}

/// A request was refused: no usable token, a bad token, a missing group or
/// scope, or keys that cannot be had right now.
///
/// Its response follows RFC 6750 through the core's single mapping
/// ([`AuthRejection`]): 400 `invalid_request`, 401 (a bare challenge when no
/// token was sent, otherwise `invalid_token`), 403 `insufficient_scope`, or
/// 503 with `Retry-After` and no challenge; the body is a small JSON object
/// unless [`CognitoConfig::error_handler`](crate::CognitoConfig::error_handler)
/// says otherwise. Neither the
/// response nor `Display`/`Debug` ever contain the token.
#[derive(Clone)]
pub struct CognitoError {
    rejection: AuthRejection,
    rendering: Rendering,
}

impl CognitoError {
    /// A refusal rendered as `rendering` says.
    pub(crate) fn rendered(rejection: AuthRejection, rendering: &Rendering) -> Self {
        Self {
            rejection,
            rendering: rendering.clone(),
        }
    }

    /// Why the request was refused.
    pub fn rejection(&self) -> &AuthRejection {
        &self.rejection
    }

    /// The `realm` of the challenge.
    pub fn realm(&self) -> &str {
        &self.rendering.realm
    }

    /// The URL of the protected-resource metadata every 401 challenge
    /// names, when configured
    /// ([`CognitoConfig::resource_metadata`](crate::CognitoConfig::resource_metadata)).
    pub fn resource_metadata(&self) -> Option<&str> {
        self.rendering.resource_metadata.as_deref()
    }

    /// A response with the status, `WWW-Authenticate`, `Retry-After` and
    /// `DPoP-Nonce` of this refusal, and no body yet: the start of a custom
    /// rendering.
    pub fn response_builder(&self) -> HttpResponseBuilder {
        let mut builder = HttpResponse::build(self.status_code());
        if let Some(challenge) = self
            .rejection
            .www_authenticate_with_metadata(self.realm(), self.resource_metadata())
        {
            builder.insert_header((WWW_AUTHENTICATE, challenge));
        }
        if let Some(seconds) = self.rejection.retry_after_secs() {
            builder.insert_header((RETRY_AFTER, seconds));
        }
        if let Some(nonce) = self.rejection.dpop_nonce() {
            builder.insert_header(("dpop-nonce", nonce));
        }
        builder
    }

    /// The standard response: [`response_builder`](Self::response_builder)
    /// with the JSON body of [`AuthRejection::body_json`].
    pub fn default_response(&self) -> HttpResponse {
        self.response_builder()
            .content_type(ContentType::json())
            .body(self.rejection.body_json())
    }
}

impl fmt::Debug for CognitoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CognitoError")
            .field("rejection", &self.rejection)
            .field("realm", &self.realm())
            .field("resource_metadata", &self.resource_metadata())
            .finish()
    }
}

impl fmt::Display for CognitoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.rejection, f)
    }
}

impl std::error::Error for CognitoError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.rejection)
    }
}

impl ResponseError for CognitoError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.rejection.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        match &self.rendering.handler {
            Some(handler) => handler(self),
            None => self.default_response(),
        }
    }
}
