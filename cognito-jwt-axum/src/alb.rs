//! Extractors for requests behind an Application Load Balancer: the
//! identity is the `x-amzn-oidc-data` header the load balancer signs, not a
//! bearer token.

use std::ops::{Deref, DerefMut};

use axum_core::extract::{FromRef, FromRequestParts, OptionalFromRequestParts};
use cognito_jwt_core::{
    ALB_ACCESS_TOKEN_HEADER, ALB_DATA_HEADER, AccessTokenClaims, AlbClaims, AlbJwtVerifier,
    CognitoJwtVerifier, Requirements, TokenClaims,
};
use http::request::Parts;

use crate::rejection::CognitoRejection;
use crate::settings::{Settings, default_realm, values};

/// Extractor for the verified claims of the `x-amzn-oidc-data` header an
/// Application Load Balancer adds to the requests it has authenticated.
///
/// `T` is [`AlbClaims`] (the default), `serde_json::Value` or your own
/// [`TokenClaims`] type. The [`AlbJwtVerifier`] comes from the router's
/// state through [`FromRef`].
///
/// It is [`CognitoClaims`](crate::CognitoClaims) for a state that holds an
/// `AlbJwtVerifier` (which `CognitoClaims<AlbClaims>` also takes from the
/// state, as do [`CognitoLayer`](crate::CognitoLayer) and
/// [`ready`](crate::ready)). Requests are refused with a
/// [`CognitoRejection`], the same answers as `CognitoClaims` gives: 401 with a bare challenge
/// without the header, 400 for a malformed one, 401 `invalid_token` for a
/// refused token, 503 with `Retry-After` when the load balancer's key
/// cannot be fetched. Use `Option<AlbIdentity<T>>` where the load balancer
/// lets unauthenticated requests through: it is `None` only without the
/// header; a bad header is still refused.
///
/// ```
/// use axum::{Router, routing::get};
/// use cognito_jwt_axum::AlbIdentity;
/// use cognito_jwt_core::AlbJwtVerifier;
///
/// async fn me(AlbIdentity(claims): AlbIdentity) -> String {
///     format!("hello {}", claims.email.as_deref().unwrap_or(&claims.sub))
/// }
///
/// async fn home(user: Option<AlbIdentity>) -> &'static str {
///     if user.is_some() { "your feed" } else { "the public feed" }
/// }
///
/// fn app(verifier: AlbJwtVerifier) -> Router {
///     Router::new()
///         .route("/me", get(me))
///         .route("/", get(home))
///         .with_state(verifier)
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlbIdentity<T = AlbClaims>(pub T);

impl<T> AlbIdentity<T> {
    /// The claims.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for AlbIdentity<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for AlbIdentity<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<T, S> FromRequestParts<S> for AlbIdentity<T>
where
    T: TokenClaims,
    S: Send + Sync,
    AlbJwtVerifier: FromRef<S>,
{
    type Rejection = CognitoRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Settings::new(AlbJwtVerifier::from_ref(state).into())
            .authenticate((&*parts).into(), &Requirements::new())
            .await
            .map(Self)
    }
}

impl<T, S> OptionalFromRequestParts<S> for AlbIdentity<T>
where
    T: TokenClaims,
    S: Send + Sync,
    AlbJwtVerifier: FromRef<S>,
{
    type Rejection = CognitoRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        let claims = Settings::new(AlbJwtVerifier::from_ref(state).into())
            .authenticate_optional((&*parts).into(), &Requirements::new())
            .await?;
        Ok(claims.map(Self))
    }
}

/// Extractor for a request behind a load balancer whose handler also needs
/// the user's access token: the verified `x-amzn-oidc-data` claims, and the
/// `x-amzn-oidc-accesstoken` header (the identity provider's access token,
/// passed along by the load balancer) verified by a Cognito verifier.
///
/// Both verifiers come from the router's state through [`FromRef`]: an
/// [`AlbJwtVerifier`] and a [`CognitoJwtVerifier`] for the user pool's
/// access tokens. The access token must belong to the same user (`sub`);
/// a missing one is refused like a missing `x-amzn-oidc-data` (401, bare
/// challenge), one of another user with 401 `invalid_token`. See
/// [`authenticate_alb_with_access_token`](cognito_jwt_core::http::authenticate_alb_with_access_token).
///
/// ```
/// use axum::extract::FromRef;
/// use cognito_jwt_axum::AlbWithAccessToken;
/// use cognito_jwt_core::{AlbJwtVerifier, CognitoJwtVerifier};
///
/// #[derive(Clone)]
/// struct AppState {
///     alb: AlbJwtVerifier,
///     cognito: CognitoJwtVerifier,
/// }
///
/// impl FromRef<AppState> for AlbJwtVerifier {
///     fn from_ref(state: &AppState) -> Self {
///         state.alb.clone()
///     }
/// }
///
/// impl FromRef<AppState> for CognitoJwtVerifier {
///     fn from_ref(state: &AppState) -> Self {
///         state.cognito.clone()
///     }
/// }
///
/// async fn orders(user: AlbWithAccessToken) -> String {
///     format!("orders of {} (client {})", user.identity.sub, user.access.client_id())
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AlbWithAccessToken {
    /// The claims of `x-amzn-oidc-data`.
    pub identity: AlbClaims,
    /// The claims of `x-amzn-oidc-accesstoken`, for the same user.
    pub access: AccessTokenClaims,
}

impl<S> FromRequestParts<S> for AlbWithAccessToken
where
    S: Send + Sync,
    AlbJwtVerifier: FromRef<S>,
    CognitoJwtVerifier: FromRef<S>,
{
    type Rejection = CognitoRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let verifier = AlbJwtVerifier::from_ref(state);
        let access = CognitoJwtVerifier::from_ref(state);
        let (identity, access) = cognito_jwt_core::http::authenticate_alb_with_access_token(
            &verifier,
            &access,
            &Requirements::new(),
            values(&parts.headers, ALB_DATA_HEADER),
            values(&parts.headers, ALB_ACCESS_TOKEN_HEADER),
        )
        .await
        .map_err(|reason| CognitoRejection::new(reason, default_realm()))?;
        Ok(Self { identity, access })
    }
}
