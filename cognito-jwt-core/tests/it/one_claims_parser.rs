//! One claims parser decides every verdict: the same token gets the same
//! answer whatever claims type it is verified as (a built-in type, `Value`,
//! a caller's own type), through `verify` or `verify_sync`, and again when
//! the verified-token cache serves it.
use std::sync::LazyLock;

use cognito_jwt_core::testing::{TestIssuer, sign_parts};
use cognito_jwt_core::{
    AcceptedTokenUse, AccessTokenClaims, CognitoJwtVerifier, ErrorKind, IdTokenClaims, TokenClaims,
    TokenUse,
};
use serde_json::Value;

const CLIENT: &str = "paths-client";

static ISSUER: LazyLock<TestIssuer> = LazyLock::new(|| TestIssuer::new("eu-west-1_PathPool1"));
static VERIFIER: LazyLock<CognitoJwtVerifier> =
    LazyLock::new(|| ISSUER.verifier(CLIENT, AcceptedTokenUse::Any));
static CACHING: LazyLock<CognitoJwtVerifier> = LazyLock::new(|| {
    ISSUER.verifier_from(
        CognitoJwtVerifier::builder()
            .user_pool(ISSUER.user_pool(CLIENT, AcceptedTokenUse::Any))
            .token_cache_max_bytes(256 * 1024),
    )
});
static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
});

/// A caller's own claims type.
#[derive(Clone, serde::Deserialize)]
struct Mine {
    #[allow(dead_code)]
    sub: String,
}
impl TokenClaims for Mine {}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_secs()
}

fn verdict<T: TokenClaims>(
    verifier: &CognitoJwtVerifier,
    token: &str,
    sync: bool,
) -> Result<(), ErrorKind> {
    let result = if sync {
        verifier.verify_sync::<T>(token)
    } else {
        RUNTIME.block_on(verifier.verify::<T>(token))
    };
    result.map(drop).map_err(|e| e.kind())
}

/// Every path's verdict on `token`: each claims type (the built-in one of
/// the token's kind, `Value`, a caller's type), sync and async, without the
/// token cache, then twice with it (the second may be a hit).
fn verdicts(token: &str, id: bool) -> Vec<(String, Result<(), ErrorKind>)> {
    let mut out = Vec::new();
    for (verifier, cache) in [
        (&*VERIFIER, "no cache"),
        (&*CACHING, "cached"),
        (&*CACHING, "cache hit"),
    ] {
        for sync in [true, false] {
            let path = |ty: &str| {
                format!(
                    "{ty}, {}, {cache}",
                    if sync { "verify_sync" } else { "verify" }
                )
            };
            let typed = if id {
                verdict::<IdTokenClaims>(verifier, token, sync)
            } else {
                verdict::<AccessTokenClaims>(verifier, token, sync)
            };
            out.push((path("built-in"), typed));
            out.push((path("Value"), verdict::<Value>(verifier, token, sync)));
            out.push((path("own type"), verdict::<Mine>(verifier, token, sync)));
        }
    }
    out
}

fn assert_all(name: &str, token: &str, id: bool, expected: Result<(), ErrorKind>) {
    for (path, verdict) in verdicts(token, id) {
        assert_eq!(verdict, expected, "{name}: {path}");
    }
}

/// The token with one claim's JSON text replaced, re-signed: for number
/// forms `serde_json` would not write (exponents).
fn with_raw_claim(token: (String, String), claim: &str, raw: &str) -> String {
    let (header, payload) = token;
    let mut object: serde_json::Map<String, Value> =
        serde_json::from_str(&payload).expect("the minted payload is JSON");
    object.remove(claim);
    let rest = Value::Object(object).to_string();
    let payload = format!("{{\"{claim}\":{raw},{}", &rest[1..]);
    sign_parts(ISSUER.key(), &header, &payload)
}

#[test]
fn fractional_and_exponent_dates_get_one_verdict_on_every_path() {
    let later = now() + 600;
    let earlier = now() - 600;
    let access = || ISSUER.access_token(CLIENT).json();
    let id = || ISSUER.id_token(CLIENT).json();
    let cases: Vec<(&str, String, bool, Result<(), ErrorKind>)> = vec![
        (
            "fractional exp",
            with_raw_claim(access(), "exp", &format!("{later}.75")),
            false,
            Ok(()),
        ),
        (
            "exponent exp",
            with_raw_claim(access(), "exp", &format!("{later}e0")),
            false,
            Ok(()),
        ),
        (
            "exponent exp, id token",
            with_raw_claim(id(), "exp", &format!("{}e-1", later * 10)),
            true,
            Ok(()),
        ),
        (
            "fractional past exp",
            with_raw_claim(access(), "exp", &format!("{earlier}.5")),
            false,
            Err(ErrorKind::Expired),
        ),
        (
            "exponent past exp",
            with_raw_claim(id(), "exp", &format!("{earlier}E0")),
            true,
            Err(ErrorKind::Expired),
        ),
        (
            "fractional nbf ahead",
            with_raw_claim(access(), "nbf", &format!("{later}.5")),
            false,
            Err(ErrorKind::NotYetValid),
        ),
        (
            "exponent nbf behind",
            with_raw_claim(access(), "nbf", &format!("{earlier}e0")),
            false,
            Ok(()),
        ),
        (
            "fractional iat ahead",
            with_raw_claim(id(), "iat", &format!("{later}.1")),
            true,
            Err(ErrorKind::NotYetValid),
        ),
        (
            "exponent iat ahead",
            with_raw_claim(access(), "iat", &format!("{}e-2", later * 100)),
            false,
            Err(ErrorKind::NotYetValid),
        ),
        (
            "exponent iat behind",
            with_raw_claim(access(), "iat", &format!("{}e-1", earlier * 10)),
            false,
            Ok(()),
        ),
        (
            "exp beyond year 9999 in exponent form",
            with_raw_claim(access(), "exp", "2.6e11"),
            false,
            Err(ErrorKind::Malformed),
        ),
        (
            "negative fractional nbf",
            with_raw_claim(access(), "nbf", "-0.5"),
            false,
            Err(ErrorKind::Malformed),
        ),
        (
            "exp as a string",
            with_raw_claim(access(), "exp", &format!("\"{later}\"")),
            false,
            Err(ErrorKind::Malformed),
        ),
    ];
    for (name, token, id, expected) in cases {
        assert_all(name, &token, id, expected);
    }
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
            "an access token bound to a resource, where none is configured",
            ISSUER.access_token(CLIENT).claim("aud", "whatever").sign(),
            Err(ErrorKind::InvalidAudience),
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
        assert_all(name, &token, false, expected);
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
        assert_all(duplicate, &token, false, Err(ErrorKind::Malformed));
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
        assert_all(name, &token, true, expected);
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
