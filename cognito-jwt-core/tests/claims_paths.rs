//! The built-in claims types are checked in a single parsing pass; every
//! other type in two. Both paths must reach the same verdict on the same
//! token.
#![cfg(feature = "testing")]

use std::sync::LazyLock;

use cognito_jwt_core::AcceptedTokenUse;
use cognito_jwt_core::testing::{TestIssuer, sign_parts};
use cognito_jwt_core::{AccessTokenClaims, CognitoJwtVerifier, ErrorKind, IdTokenClaims, TokenUse};
use serde_json::Value;

const CLIENT: &str = "paths-client";

static ISSUER: LazyLock<TestIssuer> = LazyLock::new(|| TestIssuer::new("eu-west-1_PathPool1"));
static VERIFIER: LazyLock<CognitoJwtVerifier> =
    LazyLock::new(|| ISSUER.verifier(CLIENT, AcceptedTokenUse::Any));

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_secs()
}

fn verdicts(token: &str, id: bool) -> (Result<(), ErrorKind>, Result<(), ErrorKind>) {
    let generic = VERIFIER
        .verify_sync::<Value>(token)
        .map(drop)
        .map_err(|e| e.kind());
    let typed = if id {
        VERIFIER.verify_sync::<IdTokenClaims>(token).map(drop)
    } else {
        VERIFIER.verify_sync::<AccessTokenClaims>(token).map(drop)
    }
    .map_err(|e| e.kind());
    (generic, typed)
}

#[test]
fn access_token_variants_reach_the_same_verdict_on_both_paths() {
    let later = now() + 600;
    let cases: Vec<(&str, String, Result<(), ErrorKind>)> = vec![
        ("genuine", ISSUER.access_token(CLIENT).sign(), Ok(())),
        (
            "nbf in the past",
            ISSUER.access_token(CLIENT).claim("nbf", now() - 10).sign(),
            Ok(()),
        ),
        (
            "nbf in the future",
            ISSUER.access_token(CLIENT).claim("nbf", later).sign(),
            Err(ErrorKind::NotYetValid),
        ),
        (
            "fractional nbf in the future",
            ISSUER
                .access_token(CLIENT)
                .claim("nbf", later as f64 + 0.5)
                .sign(),
            Err(ErrorKind::NotYetValid),
        ),
        (
            "iat in the future",
            ISSUER.access_token(CLIENT).claim("iat", later).sign(),
            Err(ErrorKind::NotYetValid),
        ),
        (
            "expired",
            ISSUER.access_token(CLIENT).expires_in(-5).sign(),
            Err(ErrorKind::Expired),
        ),
        (
            "exp after year 9999",
            ISSUER
                .access_token(CLIENT)
                .claim("exp", 253_402_300_800u64)
                .sign(),
            Err(ErrorKind::Malformed),
        ),
        (
            "other client",
            ISSUER.access_token("someone-else").sign(),
            Err(ErrorKind::InvalidAudience),
        ),
        (
            "an extra aud claim is ignored for access tokens",
            ISSUER.access_token(CLIENT).claim("aud", "whatever").sign(),
            Ok(()),
        ),
        (
            "refresh token use",
            ISSUER
                .access_token(CLIENT)
                .claim("token_use", "refresh")
                .sign(),
            Err(ErrorKind::InvalidTokenUse),
        ),
        (
            "other issuer",
            ISSUER
                .access_token(CLIENT)
                .claim("iss", "https://example.com")
                .sign(),
            Err(ErrorKind::InvalidIssuer),
        ),
    ];
    for (name, token, expected) in cases {
        let (generic, typed) = verdicts(&token, false);
        assert_eq!(generic, expected, "{name}: generic path");
        assert_eq!(typed, expected, "{name}: single pass");
    }
}

#[test]
fn duplicate_claims_are_refused_on_both_paths() {
    let (header, payload) = ISSUER.access_token(CLIENT).json();
    for duplicate in [
        r#""exp":1,"#,
        r#""custom:x":"a","custom:x":"b","#,
        r#""nbf":1,"nbf":2,"#,
    ] {
        let payload = payload.replacen('{', &format!("{{{duplicate}"), 1);
        let token = sign_parts(ISSUER.key(), &header, &payload);
        let (generic, typed) = verdicts(&token, false);
        assert_eq!(generic, Err(ErrorKind::Malformed), "{duplicate}");
        assert_eq!(typed, Err(ErrorKind::Malformed), "{duplicate}");
    }
}

#[test]
fn id_token_variants_reach_the_same_verdict_on_both_paths() {
    let cases: Vec<(&str, String, Result<(), ErrorKind>)> = vec![
        ("genuine", ISSUER.id_token(CLIENT).sign(), Ok(())),
        (
            "a client_id claim does not replace aud",
            ISSUER
                .id_token("someone-else")
                .claim("client_id", CLIENT)
                .sign(),
            Err(ErrorKind::InvalidAudience),
        ),
        (
            "nbf in the future",
            ISSUER.id_token(CLIENT).claim("nbf", now() + 600).sign(),
            Err(ErrorKind::NotYetValid),
        ),
        (
            "expired",
            ISSUER.id_token(CLIENT).expires_in(-5).sign(),
            Err(ErrorKind::Expired),
        ),
    ];
    for (name, token, expected) in cases {
        let (generic, typed) = verdicts(&token, true);
        assert_eq!(generic, expected, "{name}: generic path");
        assert_eq!(typed, expected, "{name}: single pass");
    }
}

#[test]
fn scope_requirements_see_the_typed_scopes() {
    let issuer = &*ISSUER;
    let verifier = CognitoJwtVerifier::builder()
        .user_pool(issuer.user_pool(CLIENT, TokenUse::Access))
        .require_any_scope("orders/write")
        .build()
        .unwrap();
    verifier
        .cache_jwks(issuer.pool_id(), &issuer.jwks_json())
        .unwrap();
    let with = issuer
        .access_token(CLIENT)
        .scope("orders/read orders/write")
        .sign();
    let without = issuer.access_token(CLIENT).scope("orders/read").sign();
    assert!(verifier.verify_sync::<AccessTokenClaims>(&with).is_ok());
    assert!(verifier.verify_sync::<Value>(&with).is_ok());
    for result in [
        verifier
            .verify_sync::<AccessTokenClaims>(&without)
            .map(drop),
        verifier.verify_sync::<Value>(&without).map(drop),
    ] {
        assert_eq!(result.map_err(|e| e.kind()), Err(ErrorKind::MissingScope));
    }
}
