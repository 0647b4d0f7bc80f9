//! Many tenants: a `JwtVerifier` whose issuers an `IssuerResolver` finds at
//! run time. Nothing is fetched for an issuer the resolver did not allow,
//! the resolver is asked only about tokens whose header passed, and both
//! its answers are remembered within their bounds.
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cognito_jwt_core::testing::{ScriptedJwks, TestCurveKey, TestIssuer};
use cognito_jwt_core::{
    AccessTokenClaims, Algorithm, ErrorKind, IdTokenClaims, Issuer, IssuerResolver, JwtVerifier,
    Requirements, ResolveError, StandardClaims, TokenUse, TrustedIssuer,
};
use serde_json::{Value, json};

const AUD: &str = "orders-api";

fn tenant(n: usize) -> String {
    format!("https://id.example.com/tenant-{n}")
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_secs()
}

fn token(key: &TestCurveKey, iss: &str) -> String {
    let header = json!({ "alg": "ES256", "kid": key.kid(), "typ": "JWT" });
    let claims = json!({ "iss": iss, "sub": "user-1", "aud": AUD, "exp": now() + 600 });
    key.sign_parts(&header.to_string(), &claims.to_string())
}

fn issuer(iss: &str) -> TrustedIssuer {
    Issuer::new(iss)
        .audience(AUD)
        .jwks_uri(format!("{iss}/keys"))
        .algorithms([Algorithm::ES256])
        .into()
}

/// Allows tenants 0 to `allowed - 1`, counting its calls.
fn counting(allowed: usize) -> (IssuerResolver, Arc<AtomicU64>) {
    let calls = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&calls);
    let resolver = IssuerResolver::from_fn(move |iss| {
        counter.fetch_add(1, Ordering::SeqCst);
        (0..allowed)
            .map(tenant)
            .find(|t| t == iss)
            .map(|t| issuer(&t))
    });
    (resolver, calls)
}

fn jwks(key: &TestCurveKey) -> ScriptedJwks {
    ScriptedJwks::serving(json!({ "keys": [key.jwk()] }).to_string())
}

#[tokio::test]
async fn a_flood_of_random_issuers_fetches_nothing_and_stays_bounded() {
    let key = TestCurveKey::es256("k1");
    let fetcher = jwks(&key);
    let (resolver, calls) = counting(1);
    let verifier = JwtVerifier::builder()
        .issuer_resolver(resolver)
        .max_issuers(2)
        .refused_issuers(8, Duration::from_secs(60))
        .fetcher(fetcher.clone())
        .build()
        .unwrap();

    for n in 1000..1500 {
        let err = verifier
            .verify::<StandardClaims>(&token(&key, &tenant(n)))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidIssuer);
    }
    assert_eq!(fetcher.fetches(), 0, "no URL from a refused issuer");
    assert_eq!(calls.load(Ordering::SeqCst), 500);
    assert!(verifier.health().key_sets.is_empty());

    // The refusals remembered are the last 8: the newest is answered
    // without asking, the oldest was forgotten.
    let _ = verifier.verify::<Value>(&token(&key, &tenant(1499))).await;
    assert_eq!(calls.load(Ordering::SeqCst), 500);
    let _ = verifier.verify::<Value>(&token(&key, &tenant(1000))).await;
    assert_eq!(calls.load(Ordering::SeqCst), 501);

    // A longer iss than any issuer is refused without asking.
    let long = format!("https://id.example.com/{}", "x".repeat(2000));
    let err = verifier
        .verify::<Value>(&token(&key, &long))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidIssuer);
    assert_eq!(calls.load(Ordering::SeqCst), 501);
    assert_eq!(fetcher.fetches(), 0);
}

#[tokio::test]
async fn an_allowed_issuer_verifies_and_is_resolved_once() {
    let key = TestCurveKey::es256("k1");
    let fetcher = jwks(&key);
    let (resolver, calls) = counting(3);
    let verifier = JwtVerifier::builder()
        .issuer_resolver(resolver)
        .fetcher(fetcher.clone())
        .build()
        .unwrap();
    for _ in 0..3 {
        let claims: StandardClaims = verifier.verify(&token(&key, &tenant(2))).await.unwrap();
        assert_eq!(claims.iss, tenant(2));
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(fetcher.fetches(), 1);
    let health = verifier.health();
    assert!(health.ready);
    assert_eq!(health.key_sets.len(), 1);
    assert_eq!(health.key_sets[0].url, format!("{}/keys", tenant(2)));
    // Now remembered, so verify_sync serves it too.
    let _: StandardClaims = verifier.verify_sync(&token(&key, &tenant(2))).unwrap();
}

#[tokio::test]
async fn an_evicted_issuer_is_resolved_again() {
    let key = TestCurveKey::es256("k1");
    let fetcher = jwks(&key);
    let (resolver, calls) = counting(3);
    let verifier = JwtVerifier::builder()
        .issuer_resolver(resolver)
        .max_issuers(2)
        .fetcher(fetcher.clone())
        .build()
        .unwrap();
    for n in [0, 1, 2] {
        let _: StandardClaims = verifier.verify(&token(&key, &tenant(n))).await.unwrap();
    }
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    assert_eq!(verifier.health().key_sets.len(), 2, "at most max_issuers");
    // Tenant 2 is remembered; tenant 0, the least recently used, is not.
    let _: StandardClaims = verifier.verify(&token(&key, &tenant(2))).await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    let _: StandardClaims = verifier.verify(&token(&key, &tenant(0))).await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 4);
    assert_eq!(
        fetcher.fetches(),
        4,
        "a re-resolved issuer fetches its keys again"
    );
}

#[tokio::test]
async fn every_issuer_shares_one_token_cache_and_hits_keep_their_checks() {
    let key = TestCurveKey::es256("k1");
    let fetcher = jwks(&key);
    let (resolver, calls) = counting(3);
    let verifier = JwtVerifier::builder()
        .issuer_resolver(resolver)
        .max_issuers(2)
        .token_cache_max_bytes(1024 * 1024)
        .fetcher(fetcher.clone())
        .build()
        .unwrap();
    let tokens: Vec<String> = (0..3).map(|n| token(&key, &tenant(n))).collect();
    // Each token, repeated, comes back with its own issuer's claims.
    for _ in 0..3 {
        for (n, token) in tokens[..2].iter().enumerate() {
            let claims: StandardClaims = verifier.verify(token).await.unwrap();
            assert_eq!(claims.iss, tenant(n));
            let claims: StandardClaims = verifier.verify_sync(token).unwrap();
            assert_eq!(claims.iss, tenant(n));
        }
    }
    assert_eq!((calls.load(Ordering::SeqCst), fetcher.fetches()), (2, 2));
    // Requirements still run on a hit.
    let err = verifier
        .verify_with::<StandardClaims>(&tokens[0], &Requirements::new().any_scope("orders/write"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MissingScope);
    // Tenant 2 evicts tenant 1 (the least recently used); tenant 1's
    // cached token is then verified by a new engine, with its own key
    // fetch, not served from the entry the dropped engine left.
    let _: StandardClaims = verifier.verify(&tokens[2]).await.unwrap();
    let claims: StandardClaims = verifier.verify(&tokens[1]).await.unwrap();
    assert_eq!(claims.iss, tenant(1));
    assert_eq!((calls.load(Ordering::SeqCst), fetcher.fetches()), (4, 4));
}

#[tokio::test]
async fn a_refused_issuer_is_not_asked_about_again_within_the_ttl() {
    let key = TestCurveKey::es256("k1");
    let calls = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&calls);
    let resolver = IssuerResolver::from_async_fn(move |_iss| {
        counter.fetch_add(1, Ordering::SeqCst);
        async { Ok(None) }
    });
    let verifier = JwtVerifier::builder()
        .issuer_resolver(resolver)
        .refused_issuers(100, Duration::from_secs(1))
        .fetcher(jwks(&key))
        .build()
        .unwrap();
    let refused = token(&key, &tenant(9));
    for _ in 0..5 {
        let err = verifier.verify::<Value>(&refused).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidIssuer);
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    // The refusal cache keeps its own (real) clock.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let _ = verifier.verify::<Value>(&refused).await;
    assert_eq!(calls.load(Ordering::SeqCst), 2, "asked again after the TTL");
}

#[tokio::test]
async fn the_resolver_is_never_asked_about_a_token_whose_header_is_invalid() {
    let key = TestCurveKey::es256("k1");
    let (resolver, calls) = counting(1);
    let verifier = JwtVerifier::builder()
        .issuer_resolver(resolver)
        .fetcher(jwks(&key))
        .build()
        .unwrap();
    let claims = json!({ "iss": tenant(0), "aud": AUD, "exp": now() + 600 }).to_string();
    for header in [
        json!({ "alg": "HS256", "kid": "k1" }),
        json!({ "alg": "none", "kid": "k1" }),
        json!({ "alg": "ES256" }),
        json!({ "alg": "ES256", "kid": "k1", "crit": ["exp"] }),
    ] {
        let forged = key.sign_parts(&header.to_string(), &claims);
        assert!(verifier.verify::<Value>(&forged).await.is_err(), "{header}");
    }
    assert!(verifier.verify::<Value>("not.a.jwt").await.is_err());
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_resolved_cognito_pool_is_checked_by_cognito_rules() {
    let pools = [
        TestIssuer::new("eu-west-1_Tenant1"),
        TestIssuer::new("eu-west-1_Tenant2"),
    ];
    let resolver =
        IssuerResolver::list(pools.iter().map(|p| p.user_pool("web", TokenUse::Access))).unwrap();
    let verifier = JwtVerifier::builder()
        .issuer_resolver(resolver)
        .fetcher(pools[1].fetcher())
        .build()
        .unwrap();
    let claims: AccessTokenClaims = verifier
        .verify(&pools[1].access_token("web").sign())
        .await
        .unwrap();
    assert_eq!(claims.client_id, "web");
    let err = verifier
        .verify::<IdTokenClaims>(&pools[1].id_token("web").sign())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidTokenUse);
    let err = verifier
        .verify::<AccessTokenClaims>(&pools[1].access_token("other-app").sign())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidAudience);
    let stranger = TestIssuer::new("eu-west-1_Stranger");
    let err = verifier
        .verify::<AccessTokenClaims>(&stranger.access_token("web").sign())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidIssuer);
}

#[tokio::test]
async fn settings_for_another_issuer_are_refused() {
    let key = TestCurveKey::es256("k1");
    let fetcher = jwks(&key);
    let resolver = IssuerResolver::from_fn(|_| Some(issuer(&tenant(0))));
    let verifier = JwtVerifier::builder()
        .issuer_resolver(resolver)
        .fetcher(fetcher.clone())
        .build()
        .unwrap();
    let err = verifier
        .verify::<Value>(&token(&key, &tenant(1)))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidIssuer);
    assert_eq!(fetcher.fetches(), 0);
}

#[tokio::test]
async fn a_failed_lookup_is_an_outage_and_is_not_remembered() {
    let key = TestCurveKey::es256("k1");
    let calls = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&calls);
    let resolver = IssuerResolver::from_async_fn(move |_iss| {
        counter.fetch_add(1, Ordering::SeqCst);
        async { Err(ResolveError::new("tenants database unreachable")) }
    });
    let verifier = JwtVerifier::builder()
        .issuer_resolver(resolver)
        .fetcher(jwks(&key))
        .build()
        .unwrap();
    for _ in 0..2 {
        let err = verifier
            .verify::<Value>(&token(&key, &tenant(0)))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::JwksUnavailable);
    }
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    let err = verifier
        .verify_sync::<Value>(&token(&key, &tenant(0)))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::JwksNotCached);
}

#[test]
fn resolver_settings_are_checked() {
    let (resolver, _) = counting(1);
    let both = JwtVerifier::builder()
        .issuer(Issuer::new(tenant(0)).audience(AUD))
        .issuer_resolver(resolver.clone())
        .build();
    assert!(both.is_err());
    assert!(
        JwtVerifier::builder()
            .issuer_resolver(resolver.clone())
            .max_issuers(0)
            .build()
            .is_err()
    );
    assert!(
        JwtVerifier::builder()
            .issuer(Issuer::new(tenant(0)).audience(AUD))
            .max_issuers(5)
            .build()
            .is_err(),
        "max_issuers without a resolver"
    );
    assert!(
        JwtVerifier::builder()
            .issuer_resolver(resolver)
            .token_cache_max_bytes(1024)
            .build()
            .is_err(),
        "a token cache under its minimum"
    );
    let twice = [issuer(&tenant(0)), issuer(&tenant(0))];
    assert!(IssuerResolver::list(twice).is_err());
    assert!(IssuerResolver::list([issuer(&tenant(0))]).is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_first_tokens_of_one_issuer_share_one_fetch() {
    let key = TestCurveKey::es256("k1");
    let fetcher = jwks(&key);
    let resolver = IssuerResolver::from_async_fn(|iss: String| async move {
        // Slow enough that every token asks before any answer is remembered.
        tokio::time::sleep(Duration::from_millis(50)).await;
        Ok(Some(issuer(&iss)))
    });
    let verifier = JwtVerifier::builder()
        .issuer_resolver(resolver)
        .fetcher(fetcher.clone())
        .build()
        .unwrap();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let (verifier, token) = (verifier.clone(), token(&key, &tenant(7)));
        tasks.spawn(async move { verifier.verify::<StandardClaims>(&token).await });
    }
    while let Some(outcome) = tasks.join_next().await {
        outcome.unwrap().unwrap();
    }
    assert_eq!(fetcher.fetches(), 1);
}
