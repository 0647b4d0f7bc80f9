//! The adapters' single entry point, `http::authenticate` and
//! `http::authenticate_optional`: where the token is found, what a route's
//! requirements do, and the optional-authentication rule (no credentials →
//! anonymous, bad credentials → refused).
use std::sync::LazyLock;

use cognito_jwt_core::http::{
    AuthRejection, InvalidRequest, TokenSource, authenticate, authenticate_optional,
};
use cognito_jwt_core::testing::{TestIssuer, UnreachableJwks};
use cognito_jwt_core::{
    AccessTokenClaims, CognitoJwtVerifier, ErrorKind, IdTokenClaims, Requirements, TokenUse,
};

const CLIENT: &str = "http-client";
const HEADER: TokenSource = TokenSource::AuthorizationHeader;

static ISSUER: LazyLock<TestIssuer> = LazyLock::new(|| TestIssuer::new("eu-west-1_HttpEntry"));

fn verifier() -> CognitoJwtVerifier {
    ISSUER.verifier(CLIENT, TokenUse::Access)
}

fn bearer(token: &str) -> Vec<u8> {
    format!("Bearer {token}").into_bytes()
}

/// `authenticate` over these `Authorization` and `Cookie` header values.
async fn required(
    source: &TokenSource,
    requirements: &Requirements,
    authorization: &[Vec<u8>],
    cookies: &[Vec<u8>],
) -> Result<AccessTokenClaims, AuthRejection> {
    authenticate(
        &verifier(),
        source,
        requirements,
        authorization.iter().map(Vec::as_slice),
        cookies.iter().map(Vec::as_slice),
    )
    .await
}

/// `authenticate_optional` over these `Authorization` header values.
async fn optional(authorization: &[Vec<u8>]) -> Result<Option<AccessTokenClaims>, AuthRejection> {
    authenticate_optional(
        &verifier(),
        &HEADER,
        &Requirements::new(),
        authorization.iter().map(Vec::as_slice),
        std::iter::empty(),
    )
    .await
}

#[tokio::test]
async fn a_valid_token_gives_its_claims() {
    let token = ISSUER.access_token(CLIENT).claim("sub", "user-1").sign();
    let claims = required(&HEADER, &Requirements::new(), &[bearer(&token)], &[])
        .await
        .expect("a valid token");
    assert_eq!(claims.sub(), "user-1");
    let claims = optional(&[bearer(&token)]).await.expect("a valid token");
    assert_eq!(
        claims.map(|c| c.sub().to_owned()).as_deref(),
        Some("user-1")
    );
}

#[tokio::test]
async fn no_credentials_is_missing_when_required_and_anonymous_when_optional() {
    for authorization in [vec![], vec![b"Basic dXNlcjpwYXNz".to_vec()]] {
        let refused = required(&HEADER, &Requirements::new(), &authorization, &[]).await;
        assert_eq!(refused_status(&refused), 401);
        assert_eq!(refused.map(|_| ()), Err(AuthRejection::Missing));
        let anonymous = optional(&authorization).await;
        assert!(matches!(anonymous, Ok(None)), "{anonymous:?}");
    }
}

fn refused_status<T>(outcome: &Result<T, AuthRejection>) -> u16 {
    outcome.as_ref().err().map_or(200, AuthRejection::status)
}

#[tokio::test]
async fn bad_credentials_are_refused_even_when_optional() {
    let expired = ISSUER.access_token(CLIENT).expires_in(-3600).sign();
    let id_token = ISSUER.id_token(CLIENT).sign();
    let bad: [(Vec<Vec<u8>>, u16, Option<ErrorKind>); 5] = [
        (vec![bearer("not-a-jwt")], 401, Some(ErrorKind::Malformed)),
        (vec![bearer(&expired)], 401, Some(ErrorKind::Expired)),
        (
            vec![bearer(&id_token)],
            401,
            Some(ErrorKind::InvalidTokenUse),
        ),
        (vec![b"Bearer ".to_vec()], 400, None),
        (vec![bearer(&expired), bearer(&expired)], 400, None),
    ];
    for (authorization, status, kind) in bad {
        let refused = optional(&authorization).await;
        assert_eq!(refused_status(&refused), status, "{refused:?}");
        let rejection = refused.err();
        assert_eq!(rejection.as_ref().and_then(AuthRejection::kind), kind);
        assert!(!rejection.is_some_and(|r| r.is_missing()));
    }
}

#[tokio::test]
async fn requirements_refuse_with_403() {
    let admins = Requirements::new().any_group("admins");
    let outsider = ISSUER.access_token(CLIENT).group("users").sign();
    let refused = required(&HEADER, &admins, &[bearer(&outsider)], &[]).await;
    assert_eq!(refused_status(&refused), 403);
    assert_eq!(
        refused.err().and_then(|r| r.kind()),
        Some(ErrorKind::MissingGroup)
    );

    let writers = Requirements::new().any_scope("orders/write");
    let reader = ISSUER.access_token(CLIENT).scope("orders/read").sign();
    let refused = required(&HEADER, &writers, &[bearer(&reader)], &[]).await;
    assert_eq!(refused_status(&refused), 403);
    assert_eq!(
        refused.err().and_then(|r| r.kind()),
        Some(ErrorKind::MissingScope)
    );

    let admin = ISSUER.access_token(CLIENT).group("admins").sign();
    let allowed = required(&HEADER, &admins, &[bearer(&admin)], &[]).await;
    assert!(allowed.is_ok(), "{allowed:?}");
}

#[tokio::test]
async fn an_optional_route_still_applies_its_requirements() {
    let outsider = ISSUER.access_token(CLIENT).group("users").sign();
    let refused = authenticate_optional::<AccessTokenClaims>(
        &verifier(),
        &HEADER,
        &Requirements::new().any_group("admins"),
        [bearer(&outsider).as_slice()],
        std::iter::empty(),
    )
    .await;
    assert_eq!(refused_status(&refused), 403);
}

#[tokio::test]
async fn the_cookie_source_reads_the_cookie_unless_an_authorization_header_is_sent() {
    let session = TokenSource::Cookie("access_token".to_owned());
    let none = Requirements::new();
    let in_cookie = ISSUER.access_token(CLIENT).claim("sub", "cookie").sign();
    let in_header = ISSUER.access_token(CLIENT).claim("sub", "header").sign();
    let cookies = [format!("theme=dark; access_token={in_cookie}").into_bytes()];

    let claims = required(&session, &none, &[], &cookies).await;
    assert_eq!(claims.map(|c| c.sub().to_owned()).as_deref(), Ok("cookie"));
    let claims = required(&session, &none, &[bearer(&in_header)], &cookies).await;
    assert_eq!(claims.map(|c| c.sub().to_owned()).as_deref(), Ok("header"));

    let other_cookie = [b"theme=dark".to_vec()];
    let missing = required(&session, &none, &[], &other_cookie).await;
    assert_eq!(missing.map(|_| ()), Err(AuthRejection::Missing));
    let empty = required(&session, &none, &[], &[b"access_token=".to_vec()]).await;
    assert_eq!(
        empty.map(|_| ()),
        Err(AuthRejection::InvalidRequest(InvalidRequest::EmptyToken))
    );

    // The header source ignores cookies altogether.
    let ignored = required(&HEADER, &none, &[], &cookies).await;
    assert_eq!(ignored.map(|_| ()), Err(AuthRejection::Missing));
}

#[tokio::test]
async fn the_claims_type_picks_the_token_use() {
    let verifier = ISSUER.verifier_from(ISSUER.verifier_builder(CLIENT, TokenUse::Id));
    let token = ISSUER.id_token(CLIENT).sign();
    let id = authenticate::<IdTokenClaims>(
        &verifier,
        &HEADER,
        &Requirements::new(),
        [bearer(&token).as_slice()],
        std::iter::empty(),
    )
    .await;
    assert!(id.is_ok(), "{id:?}");
    let access = authenticate::<AccessTokenClaims>(
        &verifier,
        &HEADER,
        &Requirements::new(),
        [bearer(&token).as_slice()],
        std::iter::empty(),
    )
    .await;
    assert_eq!(
        access.err().and_then(|r| r.kind()),
        Some(ErrorKind::InvalidTokenUse)
    );
}

#[tokio::test]
async fn an_unavailable_key_set_is_503_even_when_optional() {
    let down = CognitoJwtVerifier::builder()
        .user_pool(ISSUER.user_pool(CLIENT, TokenUse::Access))
        .fetcher(UnreachableJwks)
        .build()
        .expect("verifier configuration");
    let token = ISSUER.access_token(CLIENT).sign();
    let refused = authenticate_optional::<AccessTokenClaims>(
        &down,
        &HEADER,
        &Requirements::new(),
        [bearer(&token).as_slice()],
        std::iter::empty(),
    )
    .await;
    assert_eq!(refused_status(&refused), 503);
    assert!(refused.err().and_then(|r| r.retry_after_secs()).is_some());
}
