//! The ready-made sign-out handler.

use actix_web::{HttpRequest, HttpResponse};

use crate::extract::Installed;

/// A sign-out handler: verifies the request's token with the app's
/// verifier (or an enclosing [`CognitoAuth`](crate::CognitoAuth)'s), revokes
/// its session on the verifier's
/// [`RevocationList`](cognito_jwt_core::RevocationList) (and, with a shared
/// store, on every replica) and answers 204 No Content; see
/// [`cognito_jwt_core::http::sign_out`].
///
/// The token is read from the `Authorization` header only (or
/// `x-amzn-oidc-data` behind a load balancer), **never from a cookie**, so
/// that another site cannot sign your users out with a cross-site request.
/// Refusals are the extractors' (401, 400), and 503 with `Retry-After`
/// when the revocation cannot be written.
///
/// ```no_run
/// use actix_web::{App, web};
/// use cognito_jwt_core::{CognitoJwtVerifier, RevocationList, TokenUse, UserPool};
/// # fn app() -> Result<(), cognito_jwt_core::ConfigError> {
/// let verifier = CognitoJwtVerifier::builder()
///     .user_pool(UserPool::new("eu-west-1_AbC123").client_id("c").token_use(TokenUse::Access))
///     .revocation(RevocationList::new())
///     .build()?;
/// App::new()
///     .app_data(web::Data::new(verifier))
///     .route("/api/signout", web::post().to(cognito_jwt_actix::sign_out));
/// # Ok(()) }
/// ```
///
/// # Errors
/// A [`CognitoError`](crate::CognitoError) rendering the refusal; 500 when
/// the app has no verifier (logged).
pub async fn sign_out(req: HttpRequest) -> Result<HttpResponse, actix_web::Error> {
    Installed::of(&req)?.sign_out(req.headers()).await?;
    Ok(HttpResponse::NoContent().finish())
}
