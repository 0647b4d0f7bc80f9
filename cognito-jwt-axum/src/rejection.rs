//! The rejection and how it becomes a response.

use std::fmt;
use std::sync::Arc;

use axum_core::body::Body;
use axum_core::response::{IntoResponse, Response};
use cognito_jwt_core::ErrorKind;
use cognito_jwt_core::http::AuthRejection;
use http::header::{CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use http::{HeaderMap, HeaderValue, StatusCode};

/// Why a request was refused, with the realm to name in the challenge.
///
/// Returned by the [`CognitoClaims`](crate::CognitoClaims) extractor and
/// handed to [`OnRejection`] by [`CognitoLayer`](crate::CognitoLayer). As a
/// response it follows RFC 6750: 400 `invalid_request`, 401 with a bare
/// challenge or `invalid_token`, 403 `insufficient_scope`, or 503 with
/// `Retry-After` when the key set cannot be had; the body is a small JSON
/// object with fixed texts only. The decisions are
/// [`AuthRejection`]'s, shared with every other adapter.
///
/// To answer differently, keep the status and headers and swap the body
/// with [`response_with_body`](Self::response_with_body), from your own
/// extractor (see the [crate docs](crate#custom-rejections)) or from
/// [`CognitoLayer::on_rejection`](crate::CognitoLayer::on_rejection).
#[derive(Debug, Clone)]
pub struct CognitoRejection {
    reason: AuthRejection,
    realm: Arc<str>,
    resource_metadata: Option<Arc<str>>,
}

impl CognitoRejection {
    /// A rejection for `reason`, challenging for `realm`.
    pub fn new(reason: AuthRejection, realm: impl Into<Arc<str>>) -> Self {
        Self {
            reason,
            realm: realm.into(),
            resource_metadata: None,
        }
    }

    /// Name the protected-resource metadata document at `url` (RFC 9728
    /// §5.1) in the challenge when the answer is a 401.
    #[must_use]
    pub fn with_resource_metadata(mut self, url: impl Into<Arc<str>>) -> Self {
        self.resource_metadata = Some(url.into());
        self
    }

    /// The URL of the protected-resource metadata a 401 challenge names,
    /// if any.
    pub fn resource_metadata(&self) -> Option<&str> {
        self.resource_metadata.as_deref()
    }

    /// Why the request was refused.
    pub fn reason(&self) -> &AuthRejection {
        &self.reason
    }

    /// Why the request was refused, by value.
    pub fn into_reason(self) -> AuthRejection {
        self.reason
    }

    /// The realm the challenge names.
    pub fn realm(&self) -> &str {
        &self.realm
    }

    /// Whether the request carried no credentials at all.
    pub fn is_missing(&self) -> bool {
        self.reason.is_missing()
    }

    /// The verification error kind, when a token was checked.
    pub fn kind(&self) -> Option<ErrorKind> {
        self.reason.kind()
    }

    /// The status: 400, 401, 403 or 503.
    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.reason.status()).unwrap_or(StatusCode::UNAUTHORIZED)
    }

    /// The headers of the answer: `WWW-Authenticate` (except for 503),
    /// `Retry-After` (503 only) and, when a DPoP proof lacked the server's
    /// nonce, `DPoP-Nonce`.
    pub fn headers(&self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(value) = self
            .reason
            .www_authenticate_with_metadata(&self.realm, self.resource_metadata())
            .and_then(|challenge| HeaderValue::try_from(challenge).ok())
        {
            headers.insert(WWW_AUTHENTICATE, value);
        }
        if let Some(seconds) = self.reason.retry_after_secs() {
            headers.insert(RETRY_AFTER, HeaderValue::from(seconds));
        }
        if let Some(nonce) = self
            .reason
            .dpop_nonce()
            .and_then(|nonce| HeaderValue::try_from(nonce).ok())
        {
            headers.insert(crate::settings::DPOP_NONCE.clone(), nonce);
        }
        headers
    }

    /// The standard status and headers around your own `body`. Set a
    /// `Content-Type` on the result if the body needs one.
    pub fn response_with_body<B>(&self, body: B) -> http::Response<B> {
        let mut response = http::Response::new(body);
        *response.status_mut() = self.status();
        *response.headers_mut() = self.headers();
        response
    }

    /// The default answer: standard status and headers, JSON body.
    pub(crate) fn json_response<B: From<String>>(&self) -> http::Response<B> {
        let mut response = self.response_with_body(B::from(self.reason.body_json()));
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        response
    }
}

impl IntoResponse for CognitoRejection {
    fn into_response(self) -> Response {
        self.json_response::<Body>()
    }
}

/// The fixed, client-safe description; the details (never the token) are
/// in [`source`](std::error::Error::source).
impl fmt::Display for CognitoRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.reason.description())
    }
}

impl std::error::Error for CognitoRejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.reason)
    }
}

/// Turns a [`CognitoRejection`] into the response
/// [`CognitoLayer`](crate::CognitoLayer) sends, with the inner service's
/// body type `B`.
///
/// Implemented for [`DefaultOnRejection`] and for closures
/// `Fn(CognitoRejection) -> http::Response<B>`.
pub trait OnRejection<B> {
    /// Build the response for `rejection`.
    fn on_rejection(&self, rejection: CognitoRejection) -> http::Response<B>;
}

/// The standard answer with a JSON body, for any body type that can be
/// made from a `String` (axum's `Body`, `String`, `http_body_util::Full`).
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub struct DefaultOnRejection;

impl<B: From<String>> OnRejection<B> for DefaultOnRejection {
    fn on_rejection(&self, rejection: CognitoRejection) -> http::Response<B> {
        rejection.json_response()
    }
}

impl<B, F> OnRejection<B> for F
where
    F: Fn(CognitoRejection) -> http::Response<B>,
{
    fn on_rejection(&self, rejection: CognitoRejection) -> http::Response<B> {
        self(rejection)
    }
}
