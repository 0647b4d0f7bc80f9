//! `POST /api/admin/signout-user`: what both servers share once the
//! caller is known to be an administrator.

use cognito_jwt_core::{AccessTokenClaims, CognitoJwtVerifier, RevocationError, Verify};

use crate::cognito_admin::CognitoAdmin;
use serde::Deserialize;

/// The body `POST /api/admin/signout-user` takes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SignOutUser {
    sub: String,
}

/// Why an administrator's sign-out of a user was not written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignOutUserError {
    /// The body is not `{"sub":"<sub>"}`: 400 `invalid_request`.
    BadBody,
    /// The revocation cannot be written (the shared store is unreachable,
    /// the list is full): 503 with `Retry-After`.
    Unavailable,
}

impl SignOutUserError {
    /// The HTTP status.
    pub fn status(self) -> u16 {
        match self {
            SignOutUserError::BadBody => 400,
            SignOutUserError::Unavailable => 503,
        }
    }

    /// The JSON body: fixed text, nothing from the request.
    pub fn body_json(self) -> &'static str {
        match self {
            SignOutUserError::BadBody => {
                r#"{"error":"invalid_request","error_description":"the body must be {\"sub\":\"<the user's sub>\"}"}"#
            }
            SignOutUserError::Unavailable => {
                r#"{"error":"temporarily_unavailable","error_description":"the sign-out could not be written; retry later"}"#
            }
        }
    }
}

/// Sign the user named in `body` out everywhere: every token of that `sub`
/// at the administrator's issuer issued at or before now is refused from
/// now on, on every server sharing the revocation list; tokens issued later
/// pass. The administrator (`admin`) was already checked.
///
/// With `cognito` (`COGNITO_ADMIN_SIGNOUT=1`), the user is then signed
/// out at Cognito too (`AdminUserGlobalSignOut`), so their refresh tokens
/// stop; without it they still work, and tokens refreshed after this
/// second pass.
///
/// # Errors
/// See [`SignOutUserError`]; `Unavailable` also when Cognito's sign-out
/// fails (the revocation here stands; the call can be repeated).
pub async fn sign_out_user(
    verifier: &CognitoJwtVerifier,
    cognito: Option<&CognitoAdmin>,
    admin: &AccessTokenClaims,
    body: &[u8],
) -> Result<(), SignOutUserError> {
    let request: SignOutUser =
        serde_json::from_slice(body).map_err(|_| SignOutUserError::BadBody)?;
    if request.sub.is_empty() {
        return Err(SignOutUserError::BadBody);
    }
    let Some(list) = verifier.revocation() else {
        return Err(SignOutUserError::Unavailable);
    };
    match list.revoke_subject(admin.iss(), &request.sub).await {
        Ok(_) => {
            tracing::info!("a user was signed out everywhere by an administrator");
            if let Some(cognito) = cognito
                && let Err(problem) = cognito.global_sign_out(&request.sub).await
            {
                tracing::error!(%problem, "the user could not be signed out at Cognito");
                return Err(SignOutUserError::Unavailable);
            }
            Ok(())
        }
        Err(RevocationError::Empty) => Err(SignOutUserError::BadBody),
        Err(error) => {
            tracing::error!(%error, "an administrator's sign-out could not be written");
            Err(SignOutUserError::Unavailable)
        }
    }
}
