//! Requests behind an Application Load Balancer: the token is the
//! `x-amzn-oidc-data` header, not `Authorization`; the answers are the
//! same RFC 6750 ones.

use crate::alb::AlbJwtVerifier;
use crate::error::{Error, ErrorKind};
use crate::http::{AuthRejection, InvalidRequest};
use crate::{AccessTokenClaims, AlbClaims, CognitoJwtVerifier, Requirements, TokenClaims};

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

/// Authenticate a request behind a load balancer: read `x-amzn-oidc-data`
/// (pass the values of every such header), verify it with `verifier`, and
/// give its claims. A refusal is logged once, as by
/// [`authenticate`](crate::http::authenticate).
///
/// # Errors
/// [`AuthRejection::MissingAlbHeader`] without the header (the request did not come
/// through an authenticating load balancer), [`AuthRejection::InvalidRequest`]
/// when it is malformed, [`AuthRejection::Token`] when the token is refused.
pub async fn authenticate_alb<'a, T: TokenClaims>(
    verifier: &AlbJwtVerifier,
    data: impl IntoIterator<Item = &'a [u8]>,
) -> Result<T, AuthRejection> {
    verify_alb(verifier, data)
        .await
        .inspect_err(AuthRejection::log)
}

/// [`authenticate_alb`] where signing in is optional (an ALB rule with
/// `on-unauthenticated-request` set to `allow`): `Ok(None)` without the
/// header, a refusal for a bad one.
///
/// # Errors
/// As [`authenticate_alb`], except [`AuthRejection::MissingAlbHeader`].
pub async fn authenticate_alb_optional<'a, T: TokenClaims>(
    verifier: &AlbJwtVerifier,
    data: impl IntoIterator<Item = &'a [u8]>,
) -> Result<Option<T>, AuthRejection> {
    match verify_alb(verifier, data).await {
        Ok(claims) => Ok(Some(claims)),
        Err(rejection) if rejection.is_missing() => Ok(None),
        Err(rejection) => {
            rejection.log();
            Err(rejection)
        }
    }
}

/// [`authenticate_alb`], then also verify the `x-amzn-oidc-accesstoken`
/// header (the provider's access token, which the load balancer passes
/// alongside) with `access`, a Cognito verifier, against `requirements`.
/// The access token must belong to the same user (`sub`).
///
/// # Errors
/// As [`authenticate_alb`]; a missing access token is
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
        let claims: AlbClaims = verify_alb(verifier, data).await?;
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
        if access_claims.sub != claims.sub {
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

async fn verify_alb<'a, T: TokenClaims>(
    verifier: &AlbJwtVerifier,
    data: impl IntoIterator<Item = &'a [u8]>,
) -> Result<T, AuthRejection> {
    let token = alb_data_token(data)?;
    Ok(verifier.verify(token).await?)
}
