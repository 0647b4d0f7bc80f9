//! The ready-made sign-out handler.

use axum_core::extract::{FromRef, FromRequestParts};
use axum_core::response::{IntoResponse, Response};
use cognito_jwt_core::RevocationEntry;
use http::StatusCode;
use http::request::Parts;

use crate::extract::settings;
use crate::rejection::CognitoRejection;
use crate::verifier::Verifier;

/// A sign-out that was written: the caller's session is revoked on the
/// verifier's [`RevocationList`](cognito_jwt_core::RevocationList) (and,
/// with a shared store, on every replica). Answers 204 No Content.
///
/// As an extractor it does the work: it verifies the request's token with
/// the verifier of an enclosing [`CognitoLayer`](crate::CognitoLayer) or
/// of the router's state, and revokes its session through
/// [`cognito_jwt_core::http::sign_out`]. The token is read from the
/// `Authorization` header only (or `x-amzn-oidc-data` behind a load
/// balancer), **never from a cookie**, so that another site cannot sign
/// your users out with a cross-site request. Refusals are the extractors'
/// (401, 400), and 503 with `Retry-After` when the revocation cannot be
/// written.
#[derive(Debug, Clone)]
pub struct SignedOut(pub RevocationEntry);

impl<S> FromRequestParts<S> for SignedOut
where
    S: Send + Sync,
    Verifier: FromRef<S>,
{
    type Rejection = CognitoRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        settings(parts, state)
            .sign_out(&parts.headers)
            .await
            .map(Self)
    }
}

impl IntoResponse for SignedOut {
    fn into_response(self) -> Response {
        StatusCode::NO_CONTENT.into_response()
    }
}

/// A sign-out handler for a router whose state holds a verifier built with
/// a [`RevocationList`](cognito_jwt_core::RevocationList): 204 once the
/// caller's session is revoked. See [`SignedOut`].
///
/// ```
/// use axum::{Router, routing::post};
/// use cognito_jwt_core::{CognitoJwtVerifier, RevocationList, TokenUse, UserPool};
///
/// # fn app() -> Result<Router, cognito_jwt_core::ConfigError> {
/// let verifier = CognitoJwtVerifier::builder()
///     .user_pool(UserPool::new("eu-west-1_AbC123").client_id("c").token_use(TokenUse::Access))
///     .revocation(RevocationList::new())
///     .build()?;
/// Ok(Router::new()
///     .route("/api/signout", post(cognito_jwt_axum::sign_out))
///     .with_state(verifier))
/// # }
/// ```
pub async fn sign_out(signed_out: SignedOut) -> SignedOut {
    signed_out
}
