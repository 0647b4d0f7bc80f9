//! What every entry point shares: where the token is, which verifier checks
//! it, and the realm of the challenge.

use std::sync::{Arc, LazyLock};

use cognito_jwt_core::http::{AuthRejection, DEFAULT_REALM, TokenSource};
use cognito_jwt_core::{AnyVerifier, Requirements, TokenClaims, Verify};
use http::header::{AsHeaderName, COOKIE};
use http::{HeaderMap, HeaderValue};

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

    /// Find the token in `headers` and verify it; see
    /// [`cognito_jwt_core::http::authenticate`].
    pub(crate) async fn authenticate<T: TokenClaims>(
        &self,
        headers: &HeaderMap,
        requirements: &Requirements,
    ) -> Result<T, CognitoRejection> {
        cognito_jwt_core::http::authenticate(
            &self.verifier,
            &self.token_source,
            requirements,
            values(headers, self.token_source.header_name()),
            values(headers, COOKIE),
        )
        .await
        .map_err(|reason| self.reject(reason))
    }

    /// As [`authenticate`](Self::authenticate), `None` when `headers`
    /// carry no credentials; see
    /// [`cognito_jwt_core::http::authenticate_optional`].
    pub(crate) async fn authenticate_optional<T: TokenClaims>(
        &self,
        headers: &HeaderMap,
        requirements: &Requirements,
    ) -> Result<Option<T>, CognitoRejection> {
        cognito_jwt_core::http::authenticate_optional(
            &self.verifier,
            &self.token_source,
            requirements,
            values(headers, self.token_source.header_name()),
            values(headers, COOKIE),
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
