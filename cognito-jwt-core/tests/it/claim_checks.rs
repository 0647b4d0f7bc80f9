//! SECURITY-CASES section B: time, issuer, audience and token-use claims,
//! then groups, scopes and the custom check.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cognito_jwt_core::AcceptedTokenUse;
use cognito_jwt_core::testing::sign_parts;
use cognito_jwt_core::{
    AccessTokenClaims, CognitoJwtVerifier, CognitoJwtVerifierBuilder, ErrorKind, HttpClass,
    IdTokenClaims, Requirements, TokenUse,
};
use serde_json::{Value, json};

use crate::support::fixtures::{self, CLIENT, OTHER_POOL, POOL, rejected, verifier};

fn now() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970");
    i64::try_from(now.as_secs()).expect("seconds fit i64")
}

/// A verifier for [`POOL`] with extra builder settings and its keys cached.
fn custom(
    token_use: impl Into<AcceptedTokenUse>,
    configure: impl FnOnce(CognitoJwtVerifierBuilder) -> CognitoJwtVerifierBuilder,
) -> CognitoJwtVerifier {
    let verifier = configure(CognitoJwtVerifier::builder().user_pool(fixtures::pool(token_use)))
        .build()
        .expect("verifier");
    verifier
        .cache_jwks(POOL.pool_id(), &POOL.jwks_json())
        .expect("key set");
    verifier
}

fn with_leeway(seconds: u64) -> CognitoJwtVerifier {
    custom(TokenUse::Access, |b| b.leeway(Duration::from_secs(seconds)))
}

/// An access token with `claim` replaced by raw JSON text (so that any
/// JSON value, including ones `serde_json::Value` cannot hold exactly, fits).
fn with_raw_claim(claim: &str, raw: &str) -> String {
    let (header, payload) = POOL.access_token(CLIENT).without(claim).json();
    let payload = format!("{{\"{claim}\":{raw},{}", &payload[1..]);
    sign_parts(POOL.key(), &header, &payload)
}

#[test]
fn exp_must_be_a_present_sane_number() {
    let access = verifier(TokenUse::Access);
    let missing = POOL.access_token(CLIENT).without("exp").sign();
    rejected(
        access.verify_sync::<Value>(&missing),
        ErrorKind::Malformed,
        &missing,
        &[],
    );
    let future = now() + 3600;
    for raw in [
        format!("\"{future}\""),
        "null".to_owned(),
        "true".to_owned(),
        format!("[{future}]"),
        format!("{{\"at\":{future}}}"),
        "-1".to_owned(),
        format!("-{future}"),
        "-0.5".to_owned(),
        "253402300800".to_owned(),
        "1e300".to_owned(),
        "18446744073709551615".to_owned(),
        "18446744073709551616".to_owned(),
        "99999999999999999999999999".to_owned(),
    ] {
        let token = with_raw_claim("exp", &raw);
        rejected(
            access.verify_sync::<Value>(&token),
            ErrorKind::Malformed,
            &token,
            &[],
        );
    }
    // The largest date before year 10000 and fractional seconds are fine.
    for raw in ["253402300799".to_owned(), format!("{future}.75")] {
        let token = with_raw_claim("exp", &raw);
        access.verify_sync::<Value>(&token).unwrap();
    }
}

#[test]
fn expired_tokens_are_refused_beyond_the_leeway() {
    let strict = with_leeway(0);
    for exp in [0, 1, now() - 86_400, now() - 1, now()] {
        let token = POOL
            .access_token(CLIENT)
            .claim("sub", "sub-planted-4be1d")
            .claim("exp", exp)
            .sign();
        let error = rejected(
            strict.verify_sync::<Value>(&token),
            ErrorKind::Expired,
            &token,
            &["sub-planted-4be1d"],
        );
        assert_eq!(error.kind().http_class(), HttpClass::InvalidToken);
    }
    strict
        .verify_sync::<Value>(&POOL.access_token(CLIENT).expires_in(30).sign())
        .unwrap();
}

/// Documents the boundary: a token is accepted while `now < exp + leeway`.
#[test]
fn the_exp_leeway_boundary() {
    let lenient = with_leeway(60);
    // exp + leeway == the moment of minting: already expired when verified.
    let at_boundary = POOL.access_token(CLIENT).claim("exp", now() - 60).sign();
    rejected(
        lenient.verify_sync::<Value>(&at_boundary),
        ErrorKind::Expired,
        &at_boundary,
        &[],
    );
    let beyond = POOL.access_token(CLIENT).claim("exp", now() - 61).sign();
    rejected(
        lenient.verify_sync::<Value>(&beyond),
        ErrorKind::Expired,
        &beyond,
        &[],
    );
    // Expired by the clock, but inside the leeway.
    for exp in [now() - 30, now() - 1, now()] {
        let inside = POOL.access_token(CLIENT).claim("exp", exp).sign();
        lenient.verify_sync::<AccessTokenClaims>(&inside).unwrap();
    }
    // The same token without leeway.
    let inside = POOL.access_token(CLIENT).claim("exp", now() - 30).sign();
    rejected(
        with_leeway(0).verify_sync::<Value>(&inside),
        ErrorKind::Expired,
        &inside,
        &[],
    );
}

#[test]
fn leeway_is_capped_at_five_minutes() {
    let build = |leeway| {
        CognitoJwtVerifier::builder()
            .user_pool(fixtures::pool(TokenUse::Access))
            .leeway(leeway)
            .build()
    };
    build(Duration::from_secs(300)).unwrap();
    for too_much in [
        Duration::from_secs(301),
        Duration::from_millis(300_001),
        Duration::from_secs(86_400),
        Duration::MAX,
    ] {
        let error = build(too_much).unwrap_err();
        assert_eq!(error.name(), Some("leeway"), "{error}");
    }
}

#[test]
fn nbf_and_iat_in_the_future_are_refused_beyond_the_leeway() {
    for claim in ["nbf", "iat"] {
        let soon = POOL.access_token(CLIENT).claim(claim, now() + 120).sign();
        let far = POOL.access_token(CLIENT).claim(claim, now() + 400).sign();
        rejected(
            with_leeway(0).verify_sync::<Value>(&soon),
            ErrorKind::NotYetValid,
            &soon,
            &[],
        );
        rejected(
            with_leeway(60).verify_sync::<Value>(&soon),
            ErrorKind::NotYetValid,
            &soon,
            &[],
        );
        with_leeway(300)
            .verify_sync::<AccessTokenClaims>(&soon)
            .unwrap();
        rejected(
            with_leeway(300).verify_sync::<Value>(&far),
            ErrorKind::NotYetValid,
            &far,
            &[],
        );
        // Exactly now + leeway is still acceptable.
        let edge = POOL.access_token(CLIENT).claim(claim, now() + 60).sign();
        with_leeway(60)
            .verify_sync::<AccessTokenClaims>(&edge)
            .unwrap();
        // And the past is fine.
        let past = POOL.access_token(CLIENT).claim(claim, now() - 600).sign();
        with_leeway(0)
            .verify_sync::<AccessTokenClaims>(&past)
            .unwrap();
        for raw in ["\"0\"", "-5", "null", "1e300"] {
            let token = with_raw_claim(claim, raw);
            rejected(
                with_leeway(0).verify_sync::<Value>(&token),
                ErrorKind::Malformed,
                &token,
                &[],
            );
        }
    }
}

#[test]
fn iss_must_be_exactly_a_configured_issuer() {
    let access = verifier(TokenUse::Access);
    let ours = POOL.issuer().to_owned();
    let missing = POOL.access_token(CLIENT).without("iss").sign();
    rejected(
        access.verify_sync::<Value>(&missing),
        ErrorKind::InvalidIssuer,
        &missing,
        &[],
    );
    for wrong in [
        format!("{ours}/"),
        ours.replacen("https://", "http://", 1),
        ours.replace("AbC123xyz", "abc123xyz"),
        ours.replace("cognito-idp", "Cognito-Idp"),
        ours.to_uppercase(),
        OTHER_POOL.issuer().to_owned(),
        format!("{ours}/.well-known/jwks.json"),
        format!("{ours}?x=1"),
        format!(" {ours}"),
        format!("{ours}\u{0}"),
        ours.replace("eu-west-1.", "eu-west-2."),
        // The updated host is accepted (see token_shapes); near misses of it are not.
        ours.replace("cognito-idp", "issuer-cognito-idp")
            .replacen("https://", "http://", 1),
        ours.replace("cognito-idp", "Issuer-Cognito-Idp"),
        format!("https://planted-issuer.example/{}", POOL.pool_id()),
        String::new(),
    ] {
        let token = POOL
            .access_token(CLIENT)
            .claim("iss", wrong.as_str())
            .sign();
        let error = rejected(
            access.verify_sync::<Value>(&token),
            ErrorKind::InvalidIssuer,
            &token,
            &["planted-issuer.example"],
        );
        assert_eq!(error.kind().http_class(), HttpClass::InvalidToken);
    }
    for raw in [
        "1".to_owned(),
        "null".to_owned(),
        format!("[\"{ours}\"]"),
        format!("{{\"iss\":\"{ours}\"}}"),
    ] {
        let token = with_raw_claim("iss", &raw);
        rejected(
            access.verify_sync::<Value>(&token),
            ErrorKind::Malformed,
            &token,
            &[],
        );
    }
}

#[test]
fn id_token_aud_must_be_an_accepted_client() {
    let id = verifier(TokenUse::Id);
    let missing = POOL.id_token(CLIENT).without("aud").sign();
    rejected(
        id.verify_sync::<Value>(&missing),
        ErrorKind::InvalidAudience,
        &missing,
        &[],
    );
    for wrong in [
        "aud-planted-other-app",
        "",
        &CLIENT.to_uppercase(),
        &CLIENT[1..],
    ] {
        let token = POOL.id_token(wrong).sign();
        rejected(
            id.verify_sync::<IdTokenClaims>(&token),
            ErrorKind::InvalidAudience,
            &token,
            &["aud-planted-other-app"],
        );
    }
    for value in [
        json!([CLIENT]),
        json!(7),
        json!(null),
        json!({"aud": CLIENT}),
    ] {
        let token = POOL.id_token(CLIENT).claim("aud", value).sign();
        rejected(
            id.verify_sync::<Value>(&token),
            ErrorKind::Malformed,
            &token,
            &[],
        );
    }
    // client_id in an ID token does not stand in for aud.
    let only_client_id = POOL
        .id_token(CLIENT)
        .without("aud")
        .claim("client_id", CLIENT)
        .sign();
    rejected(
        id.verify_sync::<Value>(&only_client_id),
        ErrorKind::InvalidAudience,
        &only_client_id,
        &[],
    );
}

#[test]
fn access_token_client_id_must_be_an_accepted_client() {
    let access = verifier(TokenUse::Access);
    let missing = POOL.access_token(CLIENT).without("client_id").sign();
    rejected(
        access.verify_sync::<Value>(&missing),
        ErrorKind::InvalidAudience,
        &missing,
        &[],
    );
    let wrong = POOL.access_token("client-planted-other").sign();
    rejected(
        access.verify_sync::<AccessTokenClaims>(&wrong),
        ErrorKind::InvalidAudience,
        &wrong,
        &["client-planted-other"],
    );
    let number = POOL.access_token(CLIENT).claim("client_id", 12).sign();
    rejected(
        access.verify_sync::<Value>(&number),
        ErrorKind::Malformed,
        &number,
        &[],
    );
}

#[test]
fn every_configured_client_is_accepted_and_no_other() {
    let pool = fixtures::pool(TokenUse::Access).client_ids(["web-client", "mobile-client"]);
    let verifier = fixtures::cached_verifier(pool, POOL.pool_id(), &POOL.jwks_json());
    for client in [CLIENT, "web-client", "mobile-client"] {
        let token = POOL.access_token(client).sign();
        verifier.verify_sync::<AccessTokenClaims>(&token).unwrap();
    }
    let token = POOL.access_token("tv-client").sign();
    rejected(
        verifier.verify_sync::<Value>(&token),
        ErrorKind::InvalidAudience,
        &token,
        &[],
    );
}

#[test]
fn token_use_must_match_the_pool() {
    let access = verifier(TokenUse::Access);
    let id = verifier(TokenUse::Id);
    let id_token = POOL.id_token(CLIENT).sign();
    let access_token = POOL.access_token(CLIENT).sign();
    rejected(
        access.verify_sync::<Value>(&id_token),
        ErrorKind::InvalidTokenUse,
        &id_token,
        &[],
    );
    rejected(
        id.verify_sync::<Value>(&access_token),
        ErrorKind::InvalidTokenUse,
        &access_token,
        &[],
    );
    // An ID token that also carries a client_id is still an ID token.
    let id_with_client_id = POOL.id_token(CLIENT).claim("client_id", CLIENT).sign();
    rejected(
        access.verify_sync::<Value>(&id_with_client_id),
        ErrorKind::InvalidTokenUse,
        &id_with_client_id,
        &[],
    );
    for (verifier, use_) in [(&access, "access"), (&id, "id")] {
        let missing = POOL.access_token(CLIENT).without("token_use").sign();
        rejected(
            verifier.verify_sync::<Value>(&missing),
            ErrorKind::InvalidTokenUse,
            &missing,
            &[],
        );
        for other in ["refresh", "", "ID", "Access", &format!("{use_} ")] {
            let token = POOL.access_token(CLIENT).claim("token_use", other).sign();
            rejected(
                verifier.verify_sync::<Value>(&token),
                ErrorKind::InvalidTokenUse,
                &token,
                &[],
            );
        }
        let not_text = POOL
            .access_token(CLIENT)
            .claim("token_use", json!(["access", "id"]))
            .sign();
        rejected(
            verifier.verify_sync::<Value>(&not_text),
            ErrorKind::Malformed,
            &not_text,
            &[],
        );
    }
}

#[test]
fn required_groups_are_any_of_and_insufficient_scope_when_missing() {
    let verifier = custom(TokenUse::Access, |b| {
        b.require_any_group("admins").require_any_group("ops")
    });
    for groups in [&["ops"][..], &["admins"], &["readers", "admins"]] {
        let mut token = POOL.access_token(CLIENT);
        for group in groups {
            token = token.group(group);
        }
        verifier
            .verify_sync::<AccessTokenClaims>(&token.sign())
            .unwrap();
    }
    let no_groups = POOL.access_token(CLIENT).sign();
    let empty_groups = POOL
        .access_token(CLIENT)
        .claim("cognito:groups", json!([]))
        .sign();
    let near_misses = POOL
        .access_token(CLIENT)
        .group("Admins")
        .group("admins ")
        .group("group-planted-6d2f")
        .sign();
    for token in [&no_groups, &empty_groups, &near_misses] {
        let error = rejected(
            verifier.verify_sync::<Value>(token),
            ErrorKind::MissingGroup,
            token,
            &["group-planted-6d2f"],
        );
        assert_eq!(error.kind().http_class(), HttpClass::InsufficientScope);
        assert_eq!(error.kind().http_class().status(), 403);
        assert_eq!(
            error.kind().http_class().bearer_error(),
            Some("insufficient_scope")
        );
    }
    // cognito:groups must be an array of strings.
    let not_a_list = POOL
        .access_token(CLIENT)
        .claim("cognito:groups", "admins")
        .sign();
    rejected(
        verifier.verify_sync::<Value>(&not_a_list),
        ErrorKind::Malformed,
        &not_a_list,
        &[],
    );
}

#[test]
fn required_scopes_are_any_of_and_insufficient_scope_when_missing() {
    let verifier = custom(TokenUse::Access, |b| {
        b.require_any_scope("orders/write")
            .require_any_scope("orders/admin")
    });
    for scope in [
        "orders/write",
        "openid orders/admin",
        "orders/read  orders/write",
    ] {
        let token = POOL.access_token(CLIENT).scope(scope).sign();
        verifier.verify_sync::<AccessTokenClaims>(&token).unwrap();
    }
    let missing_scope = POOL.access_token(CLIENT).without("scope").sign();
    for token in [
        POOL.access_token(CLIENT).sign(),
        POOL.access_token(CLIENT).scope("orders/read").sign(),
        POOL.access_token(CLIENT).scope("orders/write-all").sign(),
        POOL.access_token(CLIENT)
            .scope("orders/writeorders/admin")
            .sign(),
        POOL.access_token(CLIENT).scope("ORDERS/WRITE").sign(),
        POOL.access_token(CLIENT).scope("").sign(),
        missing_scope,
    ] {
        let error = rejected(
            verifier.verify_sync::<Value>(&token),
            ErrorKind::MissingScope,
            &token,
            &[],
        );
        assert_eq!(error.kind().http_class(), HttpClass::InsufficientScope);
    }
}

#[test]
fn an_invalid_token_is_never_reported_as_insufficient() {
    let verifier = custom(TokenUse::Access, |b| {
        b.require_any_group("admins")
            .require_any_scope("orders/write")
    });
    let expired = POOL.access_token(CLIENT).expires_in(-60).sign();
    rejected(
        verifier.verify_sync::<Value>(&expired),
        ErrorKind::Expired,
        &expired,
        &[],
    );
    let forged = POOL
        .access_token(CLIENT)
        .sign_with(fixtures::OTHER_POOL.key());
    rejected(
        verifier.verify_sync::<Value>(&forged),
        ErrorKind::InvalidSignature,
        &forged,
        &[],
    );
}

#[test]
fn verify_with_adds_requirements_per_call() {
    let plain = verifier(TokenUse::Access);
    let admin = POOL
        .access_token(CLIENT)
        .group("admins")
        .scope("orders/read")
        .sign();
    let reader = POOL.access_token(CLIENT).scope("orders/read").sign();
    let admins = Requirements::new().any_group("admins");
    let writers = Requirements::new().any_scope("orders/write");
    let both = Requirements::new()
        .any_group("admins")
        .any_scope("orders/read");

    plain
        .verify_sync_with::<AccessTokenClaims>(&admin, &admins)
        .unwrap();
    plain
        .verify_sync_with::<AccessTokenClaims>(&admin, &both)
        .unwrap();
    plain
        .verify_sync_with::<AccessTokenClaims>(&reader, &Requirements::new())
        .unwrap();
    rejected(
        plain.verify_sync_with::<Value>(&reader, &admins),
        ErrorKind::MissingGroup,
        &reader,
        &[],
    );
    rejected(
        plain.verify_sync_with::<Value>(&admin, &writers),
        ErrorKind::MissingScope,
        &admin,
        &[],
    );
    rejected(
        plain.verify_sync_with::<Value>(&reader, &both),
        ErrorKind::MissingGroup,
        &reader,
        &[],
    );
    // Per-call requirements come on top of the builder's.
    let builder_scope = custom(TokenUse::Access, |b| b.require_any_scope("orders/read"));
    builder_scope
        .verify_sync_with::<AccessTokenClaims>(&admin, &admins)
        .unwrap();
    let admin_without_scope = POOL.access_token(CLIENT).group("admins").sign();
    rejected(
        builder_scope.verify_sync_with::<Value>(&admin_without_scope, &admins),
        ErrorKind::MissingScope,
        &admin_without_scope,
        &[],
    );
    // Requirements also work on their own.
    assert_eq!(
        admins
            .check(["ops", "admins"].into_iter(), std::iter::empty())
            .map_err(|e| e.kind()),
        Ok(())
    );
    assert_eq!(
        admins
            .check(["ops"].into_iter(), std::iter::empty())
            .map_err(|e| e.kind()),
        Err(ErrorKind::MissingGroup)
    );
}

#[tokio::test]
async fn verify_with_applies_requirements_on_the_async_path() {
    let plain = verifier(TokenUse::Id);
    let token = POOL.id_token(CLIENT).group("readers").sign();
    rejected(
        plain
            .verify_with::<IdTokenClaims>(&token, &Requirements::new().any_group("admins"))
            .await,
        ErrorKind::MissingGroup,
        &token,
        &[],
    );
    plain
        .verify_with::<IdTokenClaims>(&token, &Requirements::new().any_group("readers"))
        .await
        .unwrap();
}

#[test]
fn the_custom_check_sees_verified_claims_and_can_refuse() {
    let revoked: Arc<Mutex<HashSet<String>>> = Arc::default();
    let seen: Arc<Mutex<Vec<Value>>> = Arc::default();
    let calls = Arc::new(AtomicUsize::new(0));
    let verifier = {
        let (revoked, seen, calls) = (revoked.clone(), seen.clone(), calls.clone());
        custom(AcceptedTokenUse::Any, move |b| {
            b.custom_check(move |view| {
                calls.fetch_add(1, Ordering::SeqCst);
                let tenant: Value = view
                    .deserialize::<Value>()
                    .map_err(|_| "unreadable".to_owned())?
                    .get("custom:tenant")
                    .cloned()
                    .unwrap_or(Value::Null);
                seen.lock().unwrap().push(json!({
                    "token_use": view.token_use().map(|u| u.as_str()),
                    "issuer": view.issuer(),
                    "subject": view.subject(),
                    "client_id": view.client_id(),
                    "username": view.username(),
                    "jti": view.jti(),
                    "origin_jti": view.origin_jti(),
                    "expires_at": view.expires_at(),
                    "groups": view.groups().collect::<Vec<_>>(),
                    "scopes": view.scopes().collect::<Vec<_>>(),
                    "tenant": tenant,
                }));
                match view.origin_jti() {
                    Some(session) if revoked.lock().unwrap().contains(session) => {
                        Err("the session was signed out".to_owned())
                    }
                    _ => Ok(()),
                }
            })
        })
    };

    let exp = now() + 600;
    let token = POOL
        .access_token(CLIENT)
        .claim("sub", "sub-1")
        .claim("jti", "jti-1")
        .claim("origin_jti", "origin-planted-5e1a7c")
        .claim("exp", exp)
        .claim("custom:tenant", "acme")
        .group("admins")
        .scope("openid orders/read")
        .sign();
    verifier.verify_sync::<AccessTokenClaims>(&token).unwrap();
    assert_eq!(
        seen.lock().unwrap()[0],
        json!({
            "token_use": "access",
            "issuer": POOL.issuer(),
            "subject": "sub-1",
            "client_id": CLIENT,
            "username": "test-user",
            "jti": "jti-1",
            "origin_jti": "origin-planted-5e1a7c",
            "expires_at": exp,
            "groups": ["admins"],
            "scopes": ["openid", "orders/read"],
            "tenant": "acme",
        })
    );
    let id_token = POOL.id_token(CLIENT).sign();
    verifier.verify_sync::<IdTokenClaims>(&id_token).unwrap();
    assert_eq!(seen.lock().unwrap()[1]["token_use"], "id");
    assert_eq!(seen.lock().unwrap()[1]["client_id"], CLIENT);

    revoked
        .lock()
        .unwrap()
        .insert("origin-planted-5e1a7c".to_owned());
    let error = rejected(
        verifier.verify_sync::<Value>(&token),
        ErrorKind::CustomCheckFailed,
        &token,
        &["origin-planted-5e1a7c"],
    );
    assert_eq!(error.message(), "the session was signed out");
    assert_eq!(error.kind().http_class(), HttpClass::InvalidToken);

    // Tokens that fail a built-in check never reach the hook.
    let before = calls.load(Ordering::SeqCst);
    for bad in [
        POOL.access_token(CLIENT).expires_in(-5).sign(),
        POOL.access_token("other-app").sign(),
        POOL.access_token(CLIENT).sign_with(OTHER_POOL.key()),
    ] {
        assert!(verifier.verify_sync::<Value>(&bad).is_err());
    }
    assert_eq!(calls.load(Ordering::SeqCst), before);
}

#[test]
fn group_requirements_run_before_the_custom_check() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let verifier = custom(TokenUse::Access, move |b| {
        b.require_any_group("admins").custom_check(move |_| {
            counter.fetch_add(1, Ordering::SeqCst);
            Err("refused".to_owned())
        })
    });
    let token = POOL.access_token(CLIENT).sign();
    rejected(
        verifier.verify_sync::<Value>(&token),
        ErrorKind::MissingGroup,
        &token,
        &[],
    );
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    let admin = POOL.access_token(CLIENT).group("admins").sign();
    rejected(
        verifier.verify_sync::<Value>(&admin),
        ErrorKind::CustomCheckFailed,
        &admin,
        &[],
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[test]
fn the_token_cache_still_runs_requirements_and_the_custom_check_on_every_hit() {
    let revoked: Arc<Mutex<HashSet<String>>> = Arc::default();
    let deny = revoked.clone();
    let verifier = custom(AcceptedTokenUse::Any, move |b| {
        b.token_cache_max_bytes(1024 * 1024)
            .custom_check(move |view| {
                if view
                    .origin_jti()
                    .is_some_and(|s| deny.lock().unwrap().contains(s))
                {
                    Err("revoked".to_owned())
                } else {
                    Ok(())
                }
            })
    });
    let token = POOL
        .access_token(CLIENT)
        .claim("origin_jti", "session-1")
        .scope("orders/read")
        .sign();
    for _ in 0..3 {
        verifier.verify_sync::<AccessTokenClaims>(&token).unwrap();
    }
    rejected(
        verifier.verify_sync_with::<Value>(&token, &Requirements::new().any_scope("orders/write")),
        ErrorKind::MissingScope,
        &token,
        &[],
    );
    rejected(
        verifier.verify_sync::<IdTokenClaims>(&token),
        ErrorKind::InvalidTokenUse,
        &token,
        &[],
    );
    let as_value: Value = verifier.verify_sync(&token).unwrap();
    assert_eq!(as_value["origin_jti"], "session-1");
    revoked.lock().unwrap().insert("session-1".to_owned());
    rejected(
        verifier.verify_sync::<AccessTokenClaims>(&token),
        ErrorKind::CustomCheckFailed,
        &token,
        &[],
    );
}

#[test]

fn the_custom_check_sees_the_verified_client_of_an_id_token() {
    let seen: Arc<Mutex<Vec<Option<String>>>> = Arc::default();
    let record = seen.clone();
    let verifier = custom(TokenUse::Id, move |b| {
        b.custom_check(move |view| {
            record
                .lock()
                .unwrap()
                .push(Some(view.client_id().to_owned()));
            Ok(())
        })
    });
    // A pre-token-generation trigger may add arbitrary claims to an ID token.
    let token = POOL
        .id_token(CLIENT)
        .claim("client_id", "added-by-a-trigger")
        .sign();
    verifier.verify_sync::<IdTokenClaims>(&token).unwrap();
    assert_eq!(seen.lock().unwrap()[0].as_deref(), Some(CLIENT));
}

#[test]

fn id_tokens_never_satisfy_scope_requirements() {
    let verifier = custom(AcceptedTokenUse::Any, |b| {
        b.require_any_scope("orders/admin")
    });
    // An ID token with a claim named scope, e.g. added by a trigger.
    let token = POOL.id_token(CLIENT).claim("scope", "orders/admin").sign();
    rejected(
        verifier.verify_sync::<Value>(&token),
        ErrorKind::MissingScope,
        &token,
        &[],
    );
}
