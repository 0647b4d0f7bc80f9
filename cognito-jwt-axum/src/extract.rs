//! The `CognitoClaims` extractor.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use axum_core::extract::{FromRef, FromRequestParts, OptionalFromRequestParts};
use cognito_jwt_core::{CognitoJwtVerifier, Requirements, TokenClaims};
use http::request::Parts;

use crate::rejection::CognitoRejection;
use crate::settings::{Settings, Verified};

/// Extractor for the verified claims of the request's bearer token.
///
/// `T` is [`AccessTokenClaims`](cognito_jwt_core::AccessTokenClaims),
/// [`IdTokenClaims`](cognito_jwt_core::IdTokenClaims), `serde_json::Value`
/// or your own [`TokenClaims`] type.
///
/// The claims come from, in order:
/// 1. a [`CognitoLayer`](crate::CognitoLayer) in front of the handler that
///    already verified `T` (no second verification);
/// 2. otherwise the token is verified here, with the verifier, token source
///    and realm of an enclosing `CognitoLayer` if there is one, else with
///    the [`CognitoJwtVerifier`] from the router's state (via [`FromRef`]),
///    the `Authorization` header and the default realm.
///
/// Requests are refused with a [`CognitoRejection`]. Use
/// `Option<CognitoClaims<T>>` where signing in is optional: it is `None`
/// only when the request carries no credentials; a bad token is still
/// refused.
///
/// ```
/// use cognito_jwt_axum::CognitoClaims;
/// use cognito_jwt_core::AccessTokenClaims;
///
/// async fn me(CognitoClaims(claims): CognitoClaims<AccessTokenClaims>) -> String {
///     format!("hello {}", claims.sub)
/// }
///
/// async fn home(user: Option<CognitoClaims<AccessTokenClaims>>) -> String {
///     match user {
///         Some(claims) => format!("your feed, {}", claims.sub),
///         None => "the public feed".to_owned(),
///     }
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CognitoClaims<T>(pub T);

impl<T> CognitoClaims<T> {
    /// The claims.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for CognitoClaims<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for CognitoClaims<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

async fn claims<T, S>(parts: &Parts, state: &S) -> Result<T, CognitoRejection>
where
    T: TokenClaims,
    CognitoJwtVerifier: FromRef<S>,
{
    if let Some(Verified(claims)) = parts.extensions.get::<Verified<T>>() {
        return Ok(claims.clone());
    }
    let from_state;
    let settings = match parts.extensions.get::<Arc<Settings>>() {
        Some(settings) => settings,
        None => {
            from_state = Settings::new(CognitoJwtVerifier::from_ref(state));
            &from_state
        }
    };
    settings
        .authenticate(&parts.headers, &Requirements::new())
        .await
}

impl<T, S> FromRequestParts<S> for CognitoClaims<T>
where
    T: TokenClaims,
    S: Send + Sync,
    CognitoJwtVerifier: FromRef<S>,
{
    type Rejection = CognitoRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        claims(parts, state)
            .await
            .map(Self)
            .inspect_err(|rejection| {
                rejection.reason().log();
            })
    }
}

impl<T, S> OptionalFromRequestParts<S> for CognitoClaims<T>
where
    T: TokenClaims,
    S: Send + Sync,
    CognitoJwtVerifier: FromRef<S>,
{
    type Rejection = CognitoRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        match claims(parts, state).await {
            Ok(claims) => Ok(Some(Self(claims))),
            Err(rejection) if rejection.is_missing() => Ok(None),
            Err(rejection) => {
                rejection.reason().log();
                Err(rejection)
            }
        }
    }
}
