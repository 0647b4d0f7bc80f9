//! What every entry point shares: where the token is, which verifier checks
//! it, and the realm of the challenge.

use std::sync::{Arc, LazyLock};

use cognito_jwt_core::http::{AuthRejection, DEFAULT_REALM, TokenSource};
use cognito_jwt_core::{CognitoJwtVerifier, Requirements, TokenClaims};
use http::header::{AUTHORIZATION, COOKIE};
use http::{HeaderMap, HeaderValue};

use crate::rejection::CognitoRejection;

/// Put into request extensions by [`CognitoLayer`](crate::CognitoLayer) so
/// that extractors behind it use the same verifier, token source and realm.
/// Private, so nothing else can put one there.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) verifier: CognitoJwtVerifier,
    pub(crate) token_source: TokenSource,
    pub(crate) realm: Arc<str>,
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
    pub(crate) fn new(verifier: CognitoJwtVerifier) -> Self {
        Self {
            verifier,
            token_source: TokenSource::default(),
            realm: default_realm(),
        }
    }

    /// Find the token in `headers` and verify it.
    pub(crate) async fn authenticate<T: TokenClaims>(
        &self,
        headers: &HeaderMap,
        requirements: &Requirements,
    ) -> Result<T, CognitoRejection> {
        let token = self
            .token_source
            .extract(
                headers
                    .get_all(AUTHORIZATION)
                    .iter()
                    .map(HeaderValue::as_bytes),
                headers.get_all(COOKIE).iter().map(HeaderValue::as_bytes),
            )
            .map_err(|reason| self.reject(reason))?;
        self.verifier
            .verify_with(token, requirements)
            .await
            .map_err(|error| self.reject(error.into()))
    }

    fn reject(&self, reason: AuthRejection) -> CognitoRejection {
        CognitoRejection::new(reason, Arc::clone(&self.realm))
    }
}
