//! What every entry point shares: where the token is, which verifier checks
//! it, and the realm of the challenge.

use std::sync::{Arc, LazyLock};

use cognito_jwt_core::http::{AuthRejection, DEFAULT_REALM, HttpRequest, TokenSource};
use cognito_jwt_core::{AnyVerifier, Requirements, TokenClaims, Verify};
use http::header::{AsHeaderName, COOKIE};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};

use crate::rejection::CognitoRejection;

/// Put into request extensions by [`CognitoLayer`](crate::CognitoLayer) so
/// that extractors behind it use the same verifier, token source and realm.
/// Private, so nothing else can put one there.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) verifier: AnyVerifier,
    pub(crate) token_source: TokenSource,
    pub(crate) realm: Arc<str>,
    /// The URL of the protected-resource metadata 401 challenges name.
    pub(crate) resource_metadata: Option<Arc<str>>,
}

/// The `DPoP` request header (RFC 9449).
pub(crate) static DPOP: HeaderName = HeaderName::from_static("dpop");
/// The `DPoP-Nonce` response header (RFC 9449 §9).
pub(crate) static DPOP_NONCE: HeaderName = HeaderName::from_static("dpop-nonce");

/// What authentication reads of a request: its method, target and
/// headers.
#[derive(Clone, Copy)]
pub(crate) struct Head<'a> {
    pub(crate) method: &'a Method,
    pub(crate) uri: &'a Uri,
    pub(crate) headers: &'a HeaderMap,
}

impl<'a> From<&'a http::request::Parts> for Head<'a> {
    fn from(parts: &'a http::request::Parts) -> Self {
        Self {
            method: &parts.method,
            uri: &parts.uri,
            headers: &parts.headers,
        }
    }
}

impl<'a, B> From<&'a http::Request<B>> for Head<'a> {
    fn from(request: &'a http::Request<B>) -> Self {
        Self {
            method: request.method(),
            uri: request.uri(),
            headers: request.headers(),
        }
    }
}

/// Claims verified by a [`CognitoLayer`](crate::CognitoLayer). Private, so
/// extractors can trust it: unlike a bare `T` in the extensions, no other
/// middleware can have put it there.
#[derive(Clone)]
pub(crate) struct Verified<T>(pub(crate) T);

pub(crate) fn default_realm() -> Arc<str> {
    static REALM: LazyLock<Arc<str>> = LazyLock::new(|| Arc::from(DEFAULT_REALM));
    Arc::clone(&REALM)
}

impl Settings {
    pub(crate) fn new(verifier: AnyVerifier) -> Self {
        Self {
            token_source: verifier.token_source(),
            verifier,
            realm: default_realm(),
            resource_metadata: None,
        }
    }

    /// The request as the core reads it.
    fn request<'a>(&self, head: Head<'a>) -> HttpRequest<'a> {
        let target = head
            .uri
            .path_and_query()
            .map_or_else(|| head.uri.path(), |target| target.as_str());
        HttpRequest::new(head.method.as_str(), target)
            .token_header(values(head.headers, self.token_source.header_name()))
            .dpop(values(head.headers, &DPOP))
            .cookies(values(head.headers, COOKIE))
    }

    /// Find the token in the request and verify it (with its DPoP proof
    /// when the verifier accepts them); see
    /// [`cognito_jwt_core::http::authenticate_request`].
    pub(crate) async fn authenticate<T: TokenClaims>(
        &self,
        head: Head<'_>,
        requirements: &Requirements,
    ) -> Result<T, CognitoRejection> {
        cognito_jwt_core::http::authenticate_request(
            &self.verifier,
            &self.token_source,
            requirements,
            &self.request(head),
        )
        .await
        .map_err(|reason| self.reject(reason))
    }

    /// As [`authenticate`](Self::authenticate), `None` when the request
    /// carries no credentials; see
    /// [`cognito_jwt_core::http::authenticate_request_optional`].
    pub(crate) async fn authenticate_optional<T: TokenClaims>(
        &self,
        head: Head<'_>,
        requirements: &Requirements,
    ) -> Result<Option<T>, CognitoRejection> {
        cognito_jwt_core::http::authenticate_request_optional(
            &self.verifier,
            &self.token_source,
            requirements,
            &self.request(head),
        )
        .await
        .map_err(|reason| self.reject(reason))
    }

    /// Sign the request's caller out; see
    /// [`cognito_jwt_core::http::sign_out`] (never from a cookie).
    pub(crate) async fn sign_out(
        &self,
        headers: &HeaderMap,
    ) -> Result<cognito_jwt_core::RevocationEntry, CognitoRejection> {
        cognito_jwt_core::http::sign_out(
            &self.verifier,
            values(headers, self.verifier.token_source().header_name()),
        )
        .await
        .map_err(|reason| self.reject(reason))
    }

    fn reject(&self, reason: AuthRejection) -> CognitoRejection {
        let rejection = CognitoRejection::new(reason, Arc::clone(&self.realm));
        match &self.resource_metadata {
            Some(url) => rejection.with_resource_metadata(Arc::clone(url)),
            None => rejection,
        }
    }
}

/// The values of every `name` header, in order.
pub(crate) fn values(headers: &HeaderMap, name: impl AsHeaderName) -> impl Iterator<Item = &[u8]> {
    headers.get_all(name).into_iter().map(HeaderValue::as_bytes)
}
