//! Requests behind an Application Load Balancer: the token is the
//! `x-amzn-oidc-data` header, not `Authorization` (see
//! [`TokenSource::AlbData`](crate::http::TokenSource::AlbData)); the
//! answers are the same RFC 6750 ones.

use crate::alb::AlbJwtVerifier;
use crate::error::{Error, ErrorKind};
use crate::http::{AuthRejection, InvalidRequest};
use crate::{AccessTokenClaims, AlbClaims, CognitoJwtVerifier, Requirements};

/// Read the token from the values of every `x-amzn-oidc-data` header of a
/// request (pass them all, in order).
///
/// No header is [`AuthRejection::MissingAlbHeader`]; two headers
/// ([`InvalidRequest::MultipleAlbHeaders`]), bytes outside visible ASCII,
/// an empty value or characters no ALB token has
/// ([`InvalidRequest::InvalidAlbHeader`]) are
/// [`AuthRejection::InvalidRequest`].
///
/// ```
/// use cognito_jwt_core::http::{alb_data_token, AuthRejection};
///
/// assert_eq!(alb_data_token([&b"eyJ0.eyJz.c2ln=="[..]]), Ok("eyJ0.eyJz.c2ln=="));
/// assert_eq!(
///     alb_data_token(std::iter::empty::<&[u8]>()),
///     Err(AuthRejection::MissingAlbHeader)
/// );
/// ```
///
/// # Errors
/// As above.
pub fn alb_data_token<'a, I>(values: I) -> Result<&'a str, AuthRejection>
where
    I: IntoIterator<Item = &'a [u8]>,
{
    let mut values = values.into_iter();
    let Some(value) = values.next() else {
        return Err(AuthRejection::MissingAlbHeader);
    };
    if values.next().is_some() {
        return Err(AuthRejection::InvalidRequest(
            InvalidRequest::MultipleAlbHeaders,
        ));
    }
    let value = std::str::from_utf8(value)
        .ok()
        .filter(|v| {
            v.bytes()
                .all(|b| (b'!'..=b'~').contains(&b) || b == b' ' || b == b'\t')
        })
        .ok_or(AuthRejection::InvalidRequest(
            InvalidRequest::InvalidAlbHeader,
        ))?
        .trim_matches([' ', '\t']);
    if value.is_empty() {
        return Err(AuthRejection::InvalidRequest(
            InvalidRequest::InvalidAlbHeader,
        ));
    }
    if !value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'='))
    {
        return Err(AuthRejection::InvalidRequest(
            InvalidRequest::InvalidAlbHeader,
        ));
    }
    Ok(value)
}

/// Authenticate a request behind a load balancer (its `x-amzn-oidc-data`,
/// as [`authenticate`](crate::http::authenticate) with
/// [`TokenSource::AlbData`](crate::http::TokenSource::AlbData)), then also
/// verify the `x-amzn-oidc-accesstoken` header (the provider's access
/// token, which the load balancer passes alongside) with `access`, a
/// Cognito verifier, against `requirements`. The access token must belong
/// to the same user (`sub`).
///
/// # Errors
/// [`AuthRejection::MissingAlbHeader`] without `x-amzn-oidc-data`,
/// [`AuthRejection::InvalidRequest`] when a header is malformed,
/// [`AuthRejection::Token`] when a token is refused; a missing access token is
/// [`AuthRejection::Missing`], and one for another user
/// [`ErrorKind::InvalidAudience`](crate::ErrorKind::InvalidAudience).
pub async fn authenticate_alb_with_access_token<'a>(
    verifier: &AlbJwtVerifier,
    access: &CognitoJwtVerifier,
    requirements: &Requirements,
    data: impl IntoIterator<Item = &'a [u8]>,
    access_token: impl IntoIterator<Item = &'a [u8]>,
) -> Result<(AlbClaims, AccessTokenClaims), AuthRejection> {
    async {
        let claims: AlbClaims = verifier.verify(alb_data_token(data)?).await?;
        // The load balancer sends this header only when asked to: its
        // absence is missing credentials, not a request off the ALB path.
        let token = alb_data_token(access_token).map_err(|rejection| {
            if rejection.is_missing() {
                AuthRejection::Missing
            } else {
                rejection
            }
        })?;
        let access_claims: AccessTokenClaims = access.verify_with(token, requirements).await?;
        if access_claims.sub() != claims.sub {
            return Err(AuthRejection::from(Error::new(
                ErrorKind::InvalidAudience,
                "the access token belongs to another user than the load balancer's claims",
            )));
        }
        Ok((claims, access_claims))
    }
    .await
    .inspect_err(AuthRejection::log)
}
