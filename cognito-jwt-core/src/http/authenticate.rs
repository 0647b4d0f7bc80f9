//! The one request-level entry point every adapter calls: find the token,
//! verify it against a route's requirements, and apply the rule for
//! optional authentication.

use crate::http::{AuthRejection, TokenSource};
use crate::{Requirements, TokenClaims, Verify};

/// Authenticate a request: find its token as `token_source` says, given the
/// values of every header it names ([`TokenSource::header_name`]:
/// `Authorization`, or `x-amzn-oidc-data` behind a load balancer) and every
/// `Cookie` header (pass them all, in order), verify it with `verifier`
/// and `requirements`, and give its claims. `verifier` is any
/// [`Verify`]: a [`CognitoJwtVerifier`](crate::CognitoJwtVerifier), a
/// [`JwtVerifier`](crate::JwtVerifier), an
/// [`AlbJwtVerifier`](crate::AlbJwtVerifier) (with
/// [`TokenSource::AlbData`], its [`token_source`](Verify::token_source))
/// or an [`AnyVerifier`](crate::AnyVerifier).
///
/// This is the whole of what an adapter's extractor or middleware decides;
/// it only has to hand over the headers and render the [`AuthRejection`]
/// (status, challenge, body). A refusal is logged with
/// [`AuthRejection::log`] before it is returned, so a refused request is
/// logged exactly once and callers do not log it again.
///
/// ```no_run
/// use cognito_jwt_core::http::{authenticate, TokenSource};
/// use cognito_jwt_core::{AccessTokenClaims, CognitoJwtVerifier, Requirements};
///
/// # async fn handle(verifier: CognitoJwtVerifier) {
/// let authorization = [&b"Bearer eyJraWQiOi..."[..]];
/// let admins = Requirements::new().any_group("admins");
/// let outcome = authenticate::<AccessTokenClaims>(
///     &verifier,
///     &TokenSource::AuthorizationHeader,
///     &admins,
///     authorization,
///     std::iter::empty(),
/// )
/// .await;
/// match outcome {
///     Ok(claims) => println!("{} may proceed", claims.sub),
///     Err(rejection) => println!("{} {}", rejection.status(), rejection.body_json()),
/// }
/// # }
/// ```
///
/// # Errors
/// [`AuthRejection::Missing`] when the request carries no credentials
/// ([`AuthRejection::MissingAlbHeader`] with [`TokenSource::AlbData`]),
/// [`AuthRejection::InvalidRequest`] when they are malformed (see
/// [`TokenSource::extract`]), and [`AuthRejection::Token`] when the
/// verifier refuses the token, `requirements` included.
pub async fn authenticate<'a, T: TokenClaims>(
    verifier: &impl Verify,
    token_source: &TokenSource,
    requirements: &Requirements,
    authorization: impl IntoIterator<Item = &'a [u8]>,
    cookies: impl IntoIterator<Item = &'a [u8]>,
) -> Result<T, AuthRejection> {
    find_and_verify(verifier, token_source, requirements, authorization, cookies)
        .await
        .inspect_err(AuthRejection::log)
}

/// [`authenticate`] for a route where signing in is optional: `Ok(None)`
/// when the request carries no credentials at all, the claims when it
/// carries a good token, and a refusal when it carries a bad one (a
/// malformed header, a forged, expired or wrong-use token, or a token
/// without a required group or scope).
///
/// Anonymous requests are not logged; refusals are, once, as by
/// [`authenticate`].
///
/// ```no_run
/// use cognito_jwt_core::http::{authenticate_optional, TokenSource};
/// use cognito_jwt_core::{CognitoJwtVerifier, IdTokenClaims, Requirements};
///
/// # async fn handle(verifier: CognitoJwtVerifier) {
/// let session = TokenSource::Cookie("id_token".to_owned());
/// let cookies = [&b"theme=dark; id_token=eyJraWQiOi..."[..]];
/// let outcome = authenticate_optional::<IdTokenClaims>(
///     &verifier,
///     &session,
///     &Requirements::new(),
///     std::iter::empty(),
///     cookies,
/// )
/// .await;
/// match outcome {
///     Ok(Some(claims)) => println!("welcome back, {}", claims.sub),
///     Ok(None) => println!("welcome, visitor"),
///     Err(rejection) => println!("{} {}", rejection.status(), rejection.body_json()),
/// }
/// # }
/// ```
///
/// # Errors
/// As [`authenticate`], except [`AuthRejection::Missing`] and
/// [`AuthRejection::MissingAlbHeader`].
pub async fn authenticate_optional<'a, T: TokenClaims>(
    verifier: &impl Verify,
    token_source: &TokenSource,
    requirements: &Requirements,
    authorization: impl IntoIterator<Item = &'a [u8]>,
    cookies: impl IntoIterator<Item = &'a [u8]>,
) -> Result<Option<T>, AuthRejection> {
    match find_and_verify(verifier, token_source, requirements, authorization, cookies).await {
        Ok(claims) => Ok(Some(claims)),
        Err(AuthRejection::Missing | AuthRejection::MissingAlbHeader) => Ok(None),
        Err(rejection) => {
            rejection.log();
            Err(rejection)
        }
    }
}

async fn find_and_verify<'a, T: TokenClaims>(
    verifier: &impl Verify,
    token_source: &TokenSource,
    requirements: &Requirements,
    authorization: impl IntoIterator<Item = &'a [u8]>,
    cookies: impl IntoIterator<Item = &'a [u8]>,
) -> Result<T, AuthRejection> {
    let token = token_source.extract(authorization, cookies)?;
    Ok(verifier.verify_with(token, requirements).await?)
}
