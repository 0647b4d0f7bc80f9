//! SECURITY-CASES 38 at the core's boundary, and limits beyond the case list:
//! attacker-chosen header and claim text never reaches an error, the HTTP
//! answer the adapters render, or the `Debug` output of claims; key sets
//! with too many entries are refused.

use std::sync::{Arc, Mutex};

use cognito_jwt_core::http::{AuthRejection, DEFAULT_REALM};
use cognito_jwt_core::testing::{TestKey, sign_parts};
use cognito_jwt_core::{
    AccessTokenClaims, CognitoJwtVerifier, Error, ErrorKind, Requirements, TokenUse,
};
use serde_json::{Value, json};

use crate::support::fixtures::{self, CLIENT, POOL, rejected, verifier};

/// Every way the core shows an error to a person or a client.
fn renderings(error: &Error) -> Vec<String> {
    let rejection = AuthRejection::from(error.clone());
    vec![
        error.to_string(),
        format!("{error:?}"),
        error.message().to_owned(),
        rejection.to_string(),
        format!("{rejection:?}"),
        rejection.body_json(),
        rejection.description().to_owned(),
        rejection
            .www_authenticate(DEFAULT_REALM)
            .unwrap_or_default(),
        rejection
            .retry_after_secs()
            .map(|s| s.to_string())
            .unwrap_or_default(),
    ]
}

#[track_caller]
fn assert_nothing_echoed(error: &Error, token: &str, planted: &str) {
    fixtures::assert_hygienic(error, token, &[planted]);
    for text in renderings(error) {
        assert!(!text.contains(planted), "{planted:?} is echoed in {text:?}");
    }
}

#[test]
fn attacker_text_in_headers_and_claims_is_never_echoed() {
    let access = CognitoJwtVerifier::builder()
        .user_pool(fixtures::pool(TokenUse::Access))
        .require_any_scope("orders/read")
        .build()
        .unwrap();
    access
        .cache_jwks(POOL.pool_id(), &POOL.jwks_json())
        .unwrap();
    let (header, payload) = POOL.access_token(CLIENT).scope("orders/read").json();
    let header_with = |name: &str, value: Value| {
        let mut header: Value = serde_json::from_str(&header).unwrap();
        header[name] = value;
        header.to_string()
    };
    let stranger = TestKey::generate("kid-planted-01");

    // (token, planted text, expected kind)
    let header_cases = [
        (
            sign_parts(
                POOL.key(),
                &header_with("alg", json!("alg-planted-02")),
                &payload,
            ),
            "alg-planted-02",
            ErrorKind::UnsupportedAlgorithm,
        ),
        (
            sign_parts(
                POOL.key(),
                &header_with("typ", json!("typ-planted-03")),
                &payload,
            ),
            "typ-planted-03",
            ErrorKind::Malformed,
        ),
        (
            sign_parts(
                POOL.key(),
                &header_with("cty", json!("cty-planted-04")),
                &payload,
            ),
            "cty-planted-04",
            ErrorKind::Malformed,
        ),
        (
            sign_parts(
                POOL.key(),
                &header_with("crit", json!(["crit-planted-05"])),
                &payload,
            ),
            "crit-planted-05",
            ErrorKind::Malformed,
        ),
        (
            sign_parts(
                &stranger,
                &header_with("kid", json!("kid-planted-01")),
                &payload,
            ),
            "kid-planted-01",
            ErrorKind::UnknownKid,
        ),
        (
            sign_parts(
                POOL.key(),
                &header_with("kid", json!(format!("kid-planted-06{}", "x".repeat(300)))),
                &payload,
            ),
            "kid-planted-06",
            ErrorKind::Malformed,
        ),
        (
            sign_parts(
                &stranger,
                &header_with("jku", json!("https://jku-planted-07.example/keys")),
                &payload,
            ),
            "jku-planted-07",
            ErrorKind::InvalidSignature,
        ),
    ];
    let claim = |name: &str, value: Value| {
        POOL.access_token(CLIENT)
            .scope("orders/read")
            .claim(name, value)
            .sign()
    };
    let claim_cases = [
        (
            claim("iss", json!("https://iss-planted-08.example/pool")),
            "iss-planted-08",
            ErrorKind::InvalidIssuer,
        ),
        (
            claim("client_id", json!("client-planted-09")),
            "client-planted-09",
            ErrorKind::InvalidAudience,
        ),
        (
            claim("token_use", json!("use-planted-10")),
            "use-planted-10",
            ErrorKind::InvalidTokenUse,
        ),
        (
            claim("scope", json!("scope-planted-11")),
            "scope-planted-11",
            ErrorKind::MissingScope,
        ),
        (
            claim("exp", json!("exp-planted-12")),
            "exp-planted-12",
            ErrorKind::Malformed,
        ),
        (
            claim("cognito:groups", json!("group-planted-13")),
            "group-planted-13",
            ErrorKind::Malformed,
        ),
        (
            claim("sub", json!({"nested": "sub-planted-14"})),
            "sub-planted-14",
            ErrorKind::Malformed,
        ),
    ];
    let mut forged_signature = claim("username", json!("user-planted-15"));
    forged_signature.push('A');
    let signature_case = (
        forged_signature,
        "user-planted-15",
        ErrorKind::InvalidSignature,
    );

    for (token, planted, kind) in header_cases
        .into_iter()
        .chain(claim_cases)
        .chain([signature_case])
    {
        let error = rejected(access.verify_sync::<Value>(&token), kind, &token, &[]);
        assert_nothing_echoed(&error, &token, planted);
        let error = rejected(
            access.verify_sync::<AccessTokenClaims>(&token),
            kind,
            &token,
            &[],
        );
        assert_nothing_echoed(&error, &token, planted);
    }

    // The custom check's own message is the application's text, and the
    // answer to the client still carries only the fixed description.
    let custom = CognitoJwtVerifier::builder()
        .user_pool(fixtures::pool(TokenUse::Access))
        .custom_check(|_| Err("revoked session".to_owned()))
        .build()
        .unwrap();
    custom
        .cache_jwks(POOL.pool_id(), &POOL.jwks_json())
        .unwrap();
    let token = POOL
        .access_token(CLIENT)
        .claim("origin_jti", "origin-planted-16")
        .sign();
    let error = rejected(
        custom.verify_sync::<Value>(&token),
        ErrorKind::CustomCheckFailed,
        &token,
        &["origin-planted-16"],
    );
    let rejection = AuthRejection::from(error);
    assert!(!rejection.body_json().contains("revoked session"));
    assert!(
        !rejection
            .www_authenticate(DEFAULT_REALM)
            .unwrap_or_default()
            .contains("revoked session")
    );
}

#[test]
fn claims_debug_output_shows_no_claim_values() {
    let planted = [
        "sub-planted-21",
        "user-planted-22",
        "group-planted-23",
        "scope-planted-24",
        "tenant-planted-25",
        "origin-planted-26",
    ];
    let views: Arc<Mutex<Vec<String>>> = Arc::default();
    let record = Arc::clone(&views);
    let access = CognitoJwtVerifier::builder()
        .user_pool(fixtures::pool(TokenUse::Access))
        .custom_check(move |view| {
            record.lock().unwrap().push(format!("{view:?} {view:#?}"));
            Ok(())
        })
        .build()
        .unwrap();
    access
        .cache_jwks(POOL.pool_id(), &POOL.jwks_json())
        .unwrap();
    let token = POOL
        .access_token(CLIENT)
        .claim("sub", planted[0])
        .claim("username", planted[1])
        .group(planted[2])
        .scope(planted[3])
        .claim("custom:tenant", planted[4])
        .claim("origin_jti", planted[5])
        .sign();

    let claims: AccessTokenClaims = access.verify_sync(&token).unwrap();
    assert_eq!(
        claims.sub(),
        planted[0],
        "the claims are there to be hidden"
    );
    let mut texts = vec![format!("{claims:?}"), format!("{claims:#?}")];
    texts.extend(views.lock().unwrap().iter().cloned());
    assert_eq!(texts.len(), 3, "the custom check saw the token");
    for text in &texts {
        for value in planted {
            assert!(!text.contains(value), "{value} in {text}");
        }
        assert!(!text.contains(&token[..token.find('.').unwrap()]), "{text}");
    }
}

#[test]
fn requirements_errors_do_not_name_the_token_groups() {
    let access = verifier(TokenUse::Access);
    let token = POOL
        .access_token(CLIENT)
        .group("group-planted-31")
        .scope("scope-planted-32")
        .sign();
    for requirements in [
        Requirements::new().any_group("admins"),
        Requirements::new().any_scope("orders/write"),
    ] {
        let error = access
            .verify_sync_with::<Value>(&token, &requirements)
            .unwrap_err();
        for planted in ["group-planted-31", "scope-planted-32"] {
            assert_nothing_echoed(&error, &token, planted);
        }
    }
}

/// A key set of `count` entries, each `key`'s JWK under its own kid, the
/// last one under `key`'s own kid.
fn key_set_of(key: &TestKey, count: usize) -> String {
    let mut keys: Vec<Value> = (1..count)
        .map(|i| {
            let mut jwk = key.jwk();
            jwk["kid"] = format!("spare-{i}").into();
            jwk
        })
        .collect();
    keys.push(key.jwk());
    json!({ "keys": keys }).to_string()
}

#[test]
fn a_key_set_with_more_than_64_entries_is_refused_whole() {
    let access = CognitoJwtVerifier::builder()
        .user_pool(fixtures::pool(TokenUse::Access))
        .build()
        .unwrap();
    let token = POOL.access_token(CLIENT).sign();

    let error = access
        .cache_jwks(POOL.pool_id(), &key_set_of(POOL.key(), 65))
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::JwksUnavailable);
    assert_eq!(
        access
            .verify_sync::<AccessTokenClaims>(&token)
            .unwrap_err()
            .kind(),
        ErrorKind::JwksNotCached
    );

    assert_eq!(
        access
            .cache_jwks(POOL.pool_id(), &key_set_of(POOL.key(), 64))
            .unwrap(),
        64
    );
    access.verify_sync::<AccessTokenClaims>(&token).unwrap();
    // A refused document leaves the loaded set in place.
    assert!(
        access
            .cache_jwks(POOL.pool_id(), &key_set_of(POOL.key(), 65))
            .is_err()
    );
    access.verify_sync::<AccessTokenClaims>(&token).unwrap();
}
