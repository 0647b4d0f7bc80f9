//! Helpers shared by the test modules.

pub(crate) mod child_process;
pub(crate) mod fixtures;
pub(crate) mod key_server;

/// A request behind a load balancer, as the adapters authenticate it: the
/// token from its `x-amzn-oidc-data` values, the verifier's token source.
pub(crate) async fn authenticate_alb<'a, T: cognito_jwt_core::TokenClaims>(
    verifier: &cognito_jwt_core::AlbJwtVerifier,
    data: impl IntoIterator<Item = &'a [u8]>,
) -> Result<T, cognito_jwt_core::http::AuthRejection> {
    use cognito_jwt_core::Verify;
    cognito_jwt_core::http::authenticate(
        verifier,
        &verifier.token_source(),
        &cognito_jwt_core::Requirements::new(),
        data,
        std::iter::empty(),
    )
    .await
}

/// [`authenticate_alb`] where signing in is optional.
pub(crate) async fn authenticate_alb_optional<'a, T: cognito_jwt_core::TokenClaims>(
    verifier: &cognito_jwt_core::AlbJwtVerifier,
    data: impl IntoIterator<Item = &'a [u8]>,
) -> Result<Option<T>, cognito_jwt_core::http::AuthRejection> {
    use cognito_jwt_core::Verify;
    cognito_jwt_core::http::authenticate_optional(
        verifier,
        &verifier.token_source(),
        &cognito_jwt_core::Requirements::new(),
        data,
        std::iter::empty(),
    )
    .await
}
