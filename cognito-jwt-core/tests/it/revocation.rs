//! The revocation list: what it refuses (sessions, tokens, users, clients)
//! on every path a token takes (`verify`, `verify_sync`, token-cache hits)
//! for every verifier kind; its bounds; and its failure policy when a
//! shared store feeds it. Time is a [`ManualClock`]: nothing sleeps.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use cognito_jwt_core::http::Readiness;
use cognito_jwt_core::testing::{ManualClock, TestAlb, TestOidcIssuer};
use cognito_jwt_core::{
    AccessTokenClaims, Algorithm, AnyVerifier, ErrorKind, HttpClass, IdTokenClaims,
    MAX_SESSIONS_PER_SUBJECT, PublishFuture, Requirements, RevocationEntry, RevocationError,
    RevocationFailure, RevocationKind, RevocationList, RevocationPublisher, RevocationState,
    StandardClaims, TokenUse, Verify,
};
use serde_json::Value;

use crate::support::fixtures::{CLIENT, POOL};

const CACHE_BYTES: u64 = 1024 * 1024;
const AUDIENCE: &str = "orders-api";

static OIDC: LazyLock<TestOidcIssuer> =
    LazyLock::new(|| TestOidcIssuer::new("https://login.example.com/revocation", Algorithm::ES256));
static ALB: LazyLock<TestAlb> = LazyLock::new(|| TestAlb::new("eu-west-1"));

fn cognito(list: &RevocationList, cache: bool) -> cognito_jwt_core::CognitoJwtVerifier {
    let mut builder = POOL
        .verifier_builder(CLIENT, TokenUse::Access)
        .revocation(list.clone());
    if cache {
        builder = builder.token_cache_max_bytes(CACHE_BYTES);
    }
    POOL.verifier_from(builder)
}

/// Every path's answer for `token`: `verify`, `verify_sync`, and a
/// token-cache hit (the token verified into the cache before `revoke` ran).
async fn answers(verifier: &AnyVerifier, token: &str) -> Vec<Result<(), ErrorKind>> {
    let sync = match verifier {
        AnyVerifier::Cognito(v) => v.verify_sync::<Value>(token),
        AnyVerifier::Jwt(v) => v.verify_sync::<Value>(token),
        AnyVerifier::Alb(v) => v.verify_sync::<Value>(token),
        _ => unreachable!("the three kinds"),
    };
    vec![
        verifier
            .verify_with::<Value>(token, &Requirements::new())
            .await
            .map(drop)
            .map_err(|e| e.kind()),
        sync.map(drop).map_err(|e| e.kind()),
    ]
}

#[tokio::test]
async fn a_signed_out_session_is_refused_on_every_path_and_only_that_session() {
    let list = RevocationList::new();
    let fresh: AnyVerifier = cognito(&list, false).into();
    let cached: AnyVerifier = cognito(&list, true).into();
    let signed_out = POOL.access_token(CLIENT).sign();
    let refreshed = POOL
        .access_token(CLIENT)
        .claim("origin_jti", claim(&signed_out, "origin_jti"))
        .sign();
    let other_session = POOL.access_token(CLIENT).sign();
    for token in [&signed_out, &refreshed, &other_session] {
        cached
            .verify_with::<Value>(token, &Requirements::new())
            .await
            .expect("valid before the sign-out; now in the token cache");
    }

    let claims: AccessTokenClaims = POOL
        .verifier(CLIENT, TokenUse::Access)
        .verify_sync(&signed_out)
        .expect("valid");
    let entry = list.revoke(&claims).await.expect("revoked");
    assert_eq!(entry.kind, RevocationKind::Session);

    for verifier in [&fresh, &cached] {
        for token in [&signed_out, &refreshed] {
            assert_eq!(
                answers(verifier, token).await,
                vec![Err(ErrorKind::Revoked); 2],
                "the session's tokens, refreshed ones too, on every path"
            );
        }
        assert_eq!(answers(verifier, &other_session).await, vec![Ok(()); 2]);
    }
    let refused = fresh
        .verify_with::<Value>(&signed_out, &Requirements::new())
        .await
        .unwrap_err();
    assert_eq!(refused.kind().http_class(), HttpClass::InvalidToken);
    assert!(
        !refused
            .message()
            .contains(&claim(&signed_out, "origin_jti"))
    );
}

#[tokio::test]
async fn a_revoked_subject_refuses_tokens_issued_until_then_and_passes_later_ones() {
    // The list's clock runs behind: tokens "issued later" are still valid.
    let clock = ManualClock::at(ManualClock::now_system().now() - 100);
    let list = RevocationList::builder().clock(&clock).build().unwrap();
    let verifier: AnyVerifier = cognito(&list, true).into();
    let at = clock.now();
    let user = || POOL.access_token(CLIENT).claim("sub", "user-1");
    let before = user().claim("iat", at - 10).sign();
    let same_second = user().claim("iat", at).sign();
    let without_iat = user().without("iat").sign();
    let later = user().claim("iat", at + 1).sign();
    let someone_else = POOL
        .access_token(CLIENT)
        .claim("sub", "another-user")
        .claim("iat", at - 10)
        .sign();
    verifier
        .verify_with::<Value>(&before, &Requirements::new())
        .await
        .expect("cached");

    list.revoke_subject(POOL.issuer(), &claim(&before, "sub"))
        .await
        .unwrap();

    for token in [&before, &same_second, &without_iat] {
        assert_eq!(
            answers(&verifier, token).await,
            vec![Err(ErrorKind::Revoked); 2]
        );
    }
    assert_eq!(answers(&verifier, &later).await, vec![Ok(()); 2]);
    assert_eq!(answers(&verifier, &someone_else).await, vec![Ok(()); 2]);
}

#[tokio::test]
async fn entries_are_keyed_by_issuer() {
    let list = RevocationList::new();
    let verifier = cognito(&list, false);
    let token = POOL.access_token(CLIENT).sign();
    let sub = claim(&token, "sub");
    list.revoke_subject("https://another-issuer.example.com", &sub)
        .await
        .unwrap();
    list.revoke_session(
        "https://another-issuer.example.com",
        &claim(&token, "origin_jti"),
    )
    .await
    .unwrap();
    assert!(verifier.verify_sync::<Value>(&token).is_ok());
}

#[tokio::test]
async fn a_revoked_token_and_a_revoked_client_are_refused() {
    let list = RevocationList::new();
    let verifier = cognito(&list, false);
    let token = POOL.access_token(CLIENT).sign();
    let sibling = POOL
        .access_token(CLIENT)
        .claim("origin_jti", claim(&token, "origin_jti"))
        .sign();
    let exp = claim(&token, "exp").parse().unwrap();
    list.revoke_token(POOL.issuer(), &claim(&token, "jti"), exp)
        .await
        .unwrap();
    assert_eq!(
        verifier.verify_sync::<Value>(&token).unwrap_err().kind(),
        ErrorKind::Revoked
    );
    assert!(
        verifier.verify_sync::<Value>(&sibling).is_ok(),
        "only that token"
    );

    list.revoke_client(POOL.issuer(), CLIENT).await.unwrap();
    assert_eq!(
        verifier.verify_sync::<Value>(&sibling).unwrap_err().kind(),
        ErrorKind::Revoked
    );
    // An ID token names its client in `aud`.
    let ids = POOL.verifier_from(
        POOL.verifier_builder(CLIENT, TokenUse::Id)
            .revocation(list.clone()),
    );
    let id_token = POOL.id_token(CLIENT).sign();
    assert_eq!(
        ids.verify_sync::<IdTokenClaims>(&id_token)
            .unwrap_err()
            .kind(),
        ErrorKind::Revoked
    );
}

#[tokio::test]
async fn every_verifier_kind_checks_the_list() {
    let list = RevocationList::new();
    let oidc: AnyVerifier = OIDC
        .verifier_from(
            OIDC.verifier_builder(OIDC.issuer_config(AUDIENCE))
                .revocation(list.clone())
                .token_cache_max_bytes(CACHE_BYTES),
        )
        .into();
    let alb: AnyVerifier = ALB
        .verifier_builder()
        .revocation(list.clone())
        .token_cache_max_bytes(CACHE_BYTES)
        .build()
        .unwrap()
        .into();
    let oidc_token = OIDC.access_token(AUDIENCE).sign();
    let alb_token = ALB.data().sign();
    oidc.verify_with::<Value>(&oidc_token, &Requirements::new())
        .await
        .unwrap();
    alb.verify_with::<Value>(&alb_token, &Requirements::new())
        .await
        .unwrap();

    let claims: StandardClaims = oidc
        .verify_with(&oidc_token, &Requirements::new())
        .await
        .unwrap();
    let entry = list.revoke(&claims).await.unwrap();
    assert_eq!(entry.kind, RevocationKind::Token, "no origin_jti: its jti");
    assert_eq!(
        answers(&oidc, &oidc_token).await,
        vec![Err(ErrorKind::Revoked); 2]
    );

    let alb_claims: Value = alb
        .verify_with(&alb_token, &Requirements::new())
        .await
        .unwrap();
    list.revoke_subject(
        alb_claims["iss"].as_str().unwrap(),
        alb_claims["sub"].as_str().unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(
        answers(&alb, &alb_token).await,
        vec![Err(ErrorKind::Revoked); 2]
    );
}

#[tokio::test]
async fn entries_expire_after_their_lifetime() {
    let clock = ManualClock::now_system();
    let list = RevocationList::builder()
        .clock(&clock)
        .session_ttl(Duration::from_secs(3600))
        .build()
        .unwrap();
    let verifier = cognito(&list, false);
    let token = POOL.access_token(CLIENT).sign();
    list.revoke_session(POOL.issuer(), &claim(&token, "origin_jti"))
        .await
        .unwrap();
    assert_eq!(list.len(), 1);
    clock.advance(Duration::from_secs(3599));
    assert!(verifier.verify_sync::<Value>(&token).is_err());
    clock.advance(Duration::from_secs(1));
    assert!(
        verifier.verify_sync::<Value>(&token).is_ok(),
        "a session kept for its TTL, then forgotten"
    );
    // The next write purges what expired.
    for i in 0..1100 {
        list.revoke_session(POOL.issuer(), &format!("s{i}"))
            .await
            .unwrap();
    }
    assert_eq!(list.len(), 1100);
}

#[tokio::test]
async fn a_sign_in_sign_out_loop_of_one_user_stays_bounded_and_refused() {
    // One sign-in a second, on a clock that ran 1000 s behind.
    let clock = ManualClock::at(ManualClock::now_system().now() - 1000);
    let list = RevocationList::builder().clock(&clock).build().unwrap();
    let verifier = cognito(&list, false);
    let mut tokens = Vec::new();
    for _ in 0..1000 {
        clock.advance(Duration::from_secs(1));
        let token = POOL
            .access_token(CLIENT)
            .claim("sub", "user-1")
            .claim("iat", clock.now())
            .sign();
        let claims: AccessTokenClaims = verifier.verify_sync(&token).expect("signed in");
        list.revoke(&claims).await.expect("signed out");
        tokens.push(token);
    }
    assert!(
        list.len() <= MAX_SESSIONS_PER_SUBJECT + 1,
        "{} entries for one user",
        list.len()
    );
    for token in &tokens {
        assert_eq!(
            verifier.verify_sync::<Value>(token).unwrap_err().kind(),
            ErrorKind::Revoked
        );
    }
}

#[tokio::test]
async fn a_full_list_refuses_the_revocation_and_fails_closed_never_forgetting() {
    let list = RevocationList::builder().max_entries(2).build().unwrap();
    let verifier = cognito(&list, false);
    let token = POOL.access_token(CLIENT).sign();
    list.revoke_session(POOL.issuer(), "a").await.unwrap();
    list.revoke_session(POOL.issuer(), "b").await.unwrap();
    let full = list
        .revoke_session(POOL.issuer(), &claim(&token, "origin_jti"))
        .await
        .unwrap_err();
    assert_eq!(full, RevocationError::Full { max_entries: 2 });
    assert!(full.is_unavailable());
    assert_eq!(list.len(), 2, "nothing dropped to make room");
    assert_eq!(list.health().state, RevocationState::Full);
    let refused = verifier.verify_sync::<Value>(&token).unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::RevocationUnavailable);
    assert_eq!(refused.kind().http_class(), HttpClass::Unavailable);
    assert!(refused.retry_after().is_some());
    assert!(!verifier.is_ready());

    let open = RevocationList::builder()
        .max_entries(1)
        .failure(RevocationFailure::Open)
        .build()
        .unwrap();
    open.revoke_session(POOL.issuer(), "a").await.unwrap();
    assert!(open.revoke_session(POOL.issuer(), "b").await.is_err());
    let verifier = cognito(&open, false);
    assert!(verifier.verify_sync::<Value>(&token).is_ok());
    let health = verifier.health();
    assert!(health.ready);
    assert!(health.revocation.unwrap().is_degraded());
}

/// A store that counts writes and can be switched off.
#[derive(Debug, Default)]
struct Store {
    written: AtomicUsize,
    down: std::sync::atomic::AtomicBool,
}

impl RevocationPublisher for Store {
    fn publish<'a>(&'a self, _: &'a RevocationEntry) -> PublishFuture<'a> {
        Box::pin(async move {
            if self.down.load(Ordering::SeqCst) {
                return Err(RevocationError::Unavailable("connection refused".into()));
            }
            self.written.fetch_add(1, Ordering::SeqCst);
            Ok(())
        })
    }
}

#[tokio::test]
async fn a_list_fed_by_a_store_fails_closed_until_synced_and_past_its_staleness() {
    let clock = ManualClock::now_system();
    let store = Arc::new(Store::default());
    let list = RevocationList::builder()
        .clock(&clock)
        .publisher(store.clone())
        .max_staleness(Duration::from_secs(60))
        .build()
        .unwrap();
    let verifier = cognito(&list, true);
    let token = POOL.access_token(CLIENT).sign();

    assert_eq!(list.health().state, RevocationState::NeverSynced);
    assert_eq!(
        verifier.verify_sync::<Value>(&token).unwrap_err().kind(),
        ErrorKind::RevocationUnavailable,
        "a replica that never synced is stale"
    );
    let readiness = Readiness::of(&verifier);
    assert_eq!(readiness.status(), 503);
    assert!(
        readiness
            .body_json()
            .ends_with(r#""revocation":{"state":"never_synced","age_secs":null}}"#),
        "{}",
        readiness.body_json()
    );

    list.apply_snapshot(Vec::new()).unwrap();
    assert!(verifier.verify_sync::<Value>(&token).is_ok());
    clock.advance(Duration::from_secs(60));
    assert!(
        verifier.verify_sync::<Value>(&token).is_ok(),
        "at the staleness"
    );
    assert!(
        Readiness::of(&verifier)
            .body_json()
            .contains(r#""revocation":{"state":"synced","age_secs":60}"#)
    );
    clock.advance(Duration::from_secs(1));
    assert_eq!(
        verifier.verify_sync::<Value>(&token).unwrap_err().kind(),
        ErrorKind::RevocationUnavailable,
        "past it, on the token-cache path too"
    );
    assert_eq!(Readiness::of(&verifier).status(), 503);
    list.mark_synced();
    assert!(verifier.verify_sync::<Value>(&token).is_ok());

    store.down.store(true, Ordering::SeqCst);
    let failed = list
        .revoke_session(POOL.issuer(), &claim(&token, "origin_jti"))
        .await
        .unwrap_err();
    assert!(matches!(failed, RevocationError::Unavailable(_)));
    assert!(list.is_empty(), "nothing revoked when the store refused");
    store.down.store(false, Ordering::SeqCst);
    list.revoke_session(POOL.issuer(), &claim(&token, "origin_jti"))
        .await
        .unwrap();
    assert_eq!(store.written.load(Ordering::SeqCst), 1);
    assert_eq!(
        verifier.verify_sync::<Value>(&token).unwrap_err().kind(),
        ErrorKind::Revoked
    );
}

#[test]
fn an_entry_reads_back_from_its_json_and_refuses_empty_names() {
    let entry = RevocationEntry::new(RevocationKind::Subject, "https://iss", "user-1", 10, 20);
    assert_eq!(
        entry.to_json(),
        r#"{"kind":"subject","iss":"https://iss","id":"user-1","at":10,"until":20}"#
    );
    assert_eq!(RevocationEntry::from_json(&entry.to_json()).unwrap(), entry);
    assert!(
        RevocationEntry::from_json(r#"{"kind":"subject","iss":"","id":"x","at":1,"until":2}"#)
            .is_err()
    );
    assert!(
        RevocationEntry::from_json(r#"{"kind":"everyone","iss":"i","id":"x","at":1,"until":2}"#)
            .is_err()
    );
    assert!(!format!("{entry:?}").contains("user-1"));
    let list = RevocationList::new();
    assert_eq!(
        list.apply(&RevocationEntry::new(
            RevocationKind::Session,
            "",
            "x",
            0,
            u64::MAX
        )),
        Err(RevocationError::Empty)
    );
    assert!(
        RevocationList::builder().max_entries(0).build().is_err()
            && RevocationList::builder()
                .max_staleness(Duration::ZERO)
                .build()
                .is_err()
    );
}

/// A claim of a token's payload, as text.
fn claim(token: &str, name: &str) -> String {
    let payload = token.split('.').nth(1).expect("a payload");
    let json = base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload)
        .expect("base64url");
    let value: Value = serde_json::from_slice(&json).expect("JSON");
    match &value[name] {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
