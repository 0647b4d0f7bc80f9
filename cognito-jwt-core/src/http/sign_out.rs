//! Sign-out: revoke the session of the request's own token.

use std::time::Duration;

use crate::error::{Error, ErrorKind};
use crate::http::{AuthRejection, InvalidRequest, TokenSource};
use crate::revocation::{RevocationEntry, RevocationError};
use crate::{Requirements, StandardClaims, Verify};

/// Sign the caller out: verify the request's token and revoke its session
/// (its `origin_jti`, or the token itself when it has none) on the
/// verifier's [`RevocationList`](crate::RevocationList). From then on that
/// token, and every token refreshed from the same sign-in, gets
/// [`ErrorKind::Revoked`] from every verifier sharing the list.
///
/// `headers` are the values of every header
/// [`Verify::token_source`]'s [`header_name`](TokenSource::header_name)
/// names (`Authorization`, or `x-amzn-oidc-data` behind a load balancer).
/// **Never a cookie**: a browser sends cookies with cross-site requests, so
/// a token from a cookie would let any site sign its visitors out. An
/// `Authorization` header is never sent cross-site without the page's own
/// script.
///
/// Tell clients to also revoke their refresh token at Cognito
/// (`RevokeToken`, or `/oauth2/revoke`): otherwise it goes on minting
/// tokens, each refused only while the revoked session is kept.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use cognito_jwt_core::http::sign_out;
/// use cognito_jwt_core::testing::TestIssuer;
/// use cognito_jwt_core::{AccessTokenClaims, ErrorKind, RevocationList, TokenUse};
///
/// let issuer = TestIssuer::new("eu-west-1_TestPool1");
/// let verifier = issuer.verifier_from(
///     issuer
///         .verifier_builder("my-client", TokenUse::Access)
///         .revocation(RevocationList::new()),
/// );
/// let token = issuer.access_token("my-client").sign();
/// let authorization = format!("Bearer {token}");
///
/// sign_out(&verifier, [authorization.as_bytes()]).await.unwrap(); // 204
/// let refused = verifier.verify_sync::<AccessTokenClaims>(&token).unwrap_err();
/// assert_eq!(refused.kind(), ErrorKind::Revoked);
/// # }
/// ```
///
/// # Errors
/// As [`authenticate`](crate::http::authenticate) for the token (401,
/// 400); [`InvalidRequest::NoSessionToRevoke`] (400) for a token that names
/// no session and no `jti`; [`ErrorKind::RevocationUnavailable`] (503 with
/// `Retry-After`) when the revocation cannot be written (the shared store
/// is unreachable, the list is full) or the verifier has no list. Every
/// refusal is logged once.
pub async fn sign_out<'a>(
    verifier: &impl Verify,
    headers: impl IntoIterator<Item = &'a [u8]>,
) -> Result<RevocationEntry, AuthRejection> {
    revoke_session(verifier, headers)
        .await
        .inspect_err(AuthRejection::log)
}

async fn revoke_session<'a>(
    verifier: &impl Verify,
    headers: impl IntoIterator<Item = &'a [u8]>,
) -> Result<RevocationEntry, AuthRejection> {
    let source = match verifier.token_source() {
        TokenSource::Cookie(_) => TokenSource::AuthorizationHeader,
        source => source,
    };
    let token = source.extract(headers, std::iter::empty())?;
    let claims: StandardClaims = verifier.verify_with(token, &Requirements::new()).await?;
    let Some(list) = verifier.revocation() else {
        tracing::error!(
            "cognito-jwt: sign-out on a verifier without a revocation list; give its builder \
             .revocation(list)"
        );
        return Err(unavailable("the verifier has no revocation list"));
    };
    list.revoke(&claims).await.map_err(|error| match error {
        RevocationError::NothingToRevoke | RevocationError::Empty => {
            AuthRejection::InvalidRequest(InvalidRequest::NoSessionToRevoke)
        }
        other => {
            tracing::error!(error = %other, "cognito-jwt: a sign-out could not be written");
            unavailable("the revocation could not be written")
        }
    })
}

fn unavailable(why: &'static str) -> AuthRejection {
    AuthRejection::Token(
        Error::new(ErrorKind::RevocationUnavailable, why).with_retry_after(Duration::from_secs(1)),
    )
}
