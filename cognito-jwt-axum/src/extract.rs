//! The `CognitoClaims` extractor.

use std::borrow::Cow;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use axum_core::extract::{FromRef, FromRequestParts, OptionalFromRequestParts};
use cognito_jwt_core::{Requirements, TokenClaims};
use http::request::Parts;

use crate::rejection::CognitoRejection;
use crate::settings::{Settings, Verified};
use crate::verifier::Verifier;

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
///    the verifier from the router's state (via [`FromRef`], as a
///    [`Verifier`]: any verifier kind as the state, or a state of yours
///    that gives a `Verifier`), where that verifier's tokens travel (the
///    `Authorization` header) and the default realm.
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
///     format!("hello {}", claims.sub())
/// }
///
/// async fn home(user: Option<CognitoClaims<AccessTokenClaims>>) -> String {
///     match user {
///         Some(claims) => format!("your feed, {}", claims.sub()),
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

/// The claims a [`CognitoLayer`](crate::CognitoLayer) verified, if any.
fn verified<T: TokenClaims>(parts: &Parts) -> Option<T> {
    let Verified(claims) = parts.extensions.get::<Verified<T>>()?;
    Some(claims.clone())
}

/// The settings of an enclosing layer, or the defaults with the verifier
/// of the state.
pub(crate) fn settings<'a, S>(parts: &'a Parts, state: &S) -> Cow<'a, Settings>
where
    Verifier: FromRef<S>,
{
    match parts.extensions.get::<Arc<Settings>>() {
        Some(settings) => Cow::Borrowed(settings),
        None => Cow::Owned(Verifier::from_ref(state).into_settings()),
    }
}

impl<T, S> FromRequestParts<S> for CognitoClaims<T>
where
    T: TokenClaims,
    S: Send + Sync,
    Verifier: FromRef<S>,
{
    type Rejection = CognitoRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(claims) = verified(parts) {
            return Ok(Self(claims));
        }
        settings(parts, state)
            .authenticate((&*parts).into(), &Requirements::new())
            .await
            .map(Self)
    }
}

impl<T, S> OptionalFromRequestParts<S> for CognitoClaims<T>
where
    T: TokenClaims,
    S: Send + Sync,
    Verifier: FromRef<S>,
{
    type Rejection = CognitoRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        if let Some(claims) = verified(parts) {
            return Ok(Some(Self(claims)));
        }
        let claims = settings(parts, state)
            .authenticate_optional((&*parts).into(), &Requirements::new())
            .await?;
        Ok(claims.map(Self))
    }
}
