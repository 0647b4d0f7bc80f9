//! Many tenants: a `JwtVerifier` whose issuers an `IssuerResolver` finds at
//! run time. Nothing is fetched for an issuer the resolver did not allow,
//! the resolver is asked only about tokens whose header passed, and both
//! its answers are remembered within their bounds.
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use cognito_jwt_core::testing::{TestIssuer, TestIssuers, TestOidcIssuer};
use cognito_jwt_core::{
    AccessTokenClaims, Algorithm, ErrorKind, IdTokenClaims, Issuer, IssuerResolver, JwtVerifier,
    JwtVerifierBuilder, Requirements, ResolveError, StandardClaims, TokenUse, TrustedIssuer,
};
use serde_json::{Value, json};

const AUD: &str = "orders-api";

fn tenant(n: usize) -> String {
    format!("https://id.example.com/tenant-{n}")
}

/// Tenant `n`, an issuer with a key of its own.
fn new_tenant(n: usize) -> TestOidcIssuer {
    TestOidcIssuer::new(tenant(n), Algorithm::ES256)
}

/// Tenants 0 to `count - 1`, and one fetcher serving them all.
fn tenants_served(count: usize) -> (Vec<TestOidcIssuer>, TestIssuers) {
    let tenants: Vec<_> = (0..count).map(new_tenant).collect();
    let issuers = TestIssuers::new();
    tenants.iter().for_each(|t| issuers.add_oidc_issuer(t));
    (tenants, issuers)
}

/// What a resolver trusts a tenant with: its ID tokens for `AUD`, its
/// key set found by discovery.
fn issuer(tenant: &TestOidcIssuer) -> Issuer {
    tenant.id_token_config(AUD)
}

/// Allows these tenants, counting its calls.
fn counting(allowed: &[TestOidcIssuer]) -> (IssuerResolver, Arc<AtomicU64>) {
    let allowed: Vec<_> = allowed.iter().map(issuer).collect();
    let calls = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&calls);
    let resolver = IssuerResolver::from_fn(move |iss| {
        counter.fetch_add(1, Ordering::SeqCst);
        let found = allowed.iter().find(|issuer| issuer.issuer() == iss);
        found.cloned().map(TrustedIssuer::from)
    });
    (resolver, calls)
}

/// A verifier of the issuers `resolver` allows, fetching from `issuers`.
fn resolving(resolver: IssuerResolver, issuers: &TestIssuers) -> JwtVerifierBuilder {
    JwtVerifier::builder()
        .issuer_resolver(resolver)
        .fetcher(issuers.clone())
}

/// How many times each tenant's key set was fetched.
fn keys_fetched(issuers: &TestIssuers, tenants: &[TestOidcIssuer]) -> Vec<u64> {
    tenants
        .iter()
        .map(|t| issuers.fetches(&t.jwks_uri()))
        .collect()
}

#[tokio::test]
async fn a_flood_of_random_issuers_fetches_nothing_and_stays_bounded() {
    let (tenants, issuers) = tenants_served(1);
    let (resolver, calls) = counting(&tenants);
    let verifier = resolving(resolver, &issuers)
        .max_issuers(2)
        .refused_issuers(8, Duration::from_secs(60))
        .build()
        .unwrap();
    // Tenant 0's tokens, with another `iss`.
    let claiming = |iss: &str| tenants[0].id_token(AUD).claim("iss", iss).sign();

    for n in 1000..1500 {
        let err = verifier
            .verify::<StandardClaims>(&claiming(&tenant(n)))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidIssuer);
    }
    assert_eq!(issuers.total_fetches(), 0, "no URL from a refused issuer");
    assert_eq!(calls.load(Ordering::SeqCst), 500);
    assert!(verifier.health().key_sets.is_empty());

    // The refusals remembered are the last 8: the newest is answered
    // without asking, the oldest was forgotten.
    let _ = verifier.verify::<Value>(&claiming(&tenant(1499))).await;
    assert_eq!(calls.load(Ordering::SeqCst), 500);
    let _ = verifier.verify::<Value>(&claiming(&tenant(1000))).await;
    assert_eq!(calls.load(Ordering::SeqCst), 501);

    // A longer iss than any issuer is refused without asking.
    let long = format!("https://id.example.com/{}", "x".repeat(2000));
    let err = verifier
        .verify::<Value>(&claiming(&long))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidIssuer);
    assert_eq!(calls.load(Ordering::SeqCst), 501);
    assert_eq!(issuers.total_fetches(), 0);
}

#[tokio::test]
async fn an_allowed_issuer_verifies_and_is_resolved_once() {
    let (tenants, issuers) = tenants_served(3);
    let (resolver, calls) = counting(&tenants);
    let verifier = resolving(resolver, &issuers).build().unwrap();
    let token = || tenants[2].id_token(AUD).sign();
    for _ in 0..3 {
        let claims: StandardClaims = verifier.verify(&token()).await.unwrap();
        assert_eq!(claims.iss, tenant(2));
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(keys_fetched(&issuers, &tenants), [0, 0, 1]);
    let health = verifier.health();
    assert!(health.ready);
    assert_eq!(health.key_sets.len(), 1);
    assert_eq!(health.key_sets[0].url, tenants[2].jwks_uri());
    // Now remembered, so verify_sync serves it too.
    let _: StandardClaims = verifier.verify_sync(&token()).unwrap();
}

#[tokio::test]
async fn an_evicted_issuer_is_resolved_again() {
    let (tenants, issuers) = tenants_served(3);
    let (resolver, calls) = counting(&tenants);
    let verifier = resolving(resolver, &issuers)
        .max_issuers(2)
        .build()
        .unwrap();
    let token = |n: usize| tenants[n].id_token(AUD).sign();
    for n in [0, 1, 2] {
        let _: StandardClaims = verifier.verify(&token(n)).await.unwrap();
    }
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    assert_eq!(verifier.health().key_sets.len(), 2, "at most max_issuers");
    // Tenant 2 is remembered; tenant 0, the least recently used, is not.
    let _: StandardClaims = verifier.verify(&token(2)).await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    let _: StandardClaims = verifier.verify(&token(0)).await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 4);
    assert_eq!(
        keys_fetched(&issuers, &tenants),
        [2, 1, 1],
        "a re-resolved issuer fetches its keys again"
    );
}

#[tokio::test]
async fn every_issuer_shares_one_token_cache_and_hits_keep_their_checks() {
    let (tenants, issuers) = tenants_served(3);
    let (resolver, calls) = counting(&tenants);
    let verifier = resolving(resolver, &issuers)
        .max_issuers(2)
        .token_cache_max_bytes(1024 * 1024)
        .build()
        .unwrap();
    let tokens: Vec<String> = tenants.iter().map(|t| t.id_token(AUD).sign()).collect();
    // Each token, repeated, comes back with its own issuer's claims.
    for _ in 0..3 {
        for (n, token) in tokens[..2].iter().enumerate() {
            let claims: StandardClaims = verifier.verify(token).await.unwrap();
            assert_eq!(claims.iss, tenant(n));
            let claims: StandardClaims = verifier.verify_sync(token).unwrap();
            assert_eq!(claims.iss, tenant(n));
        }
    }
    let fetched = || keys_fetched(&issuers, &tenants);
    assert_eq!(
        (calls.load(Ordering::SeqCst), fetched()),
        (2, vec![1, 1, 0])
    );
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
    assert_eq!(
        (calls.load(Ordering::SeqCst), fetched()),
        (4, vec![1, 2, 1])
    );
}

#[tokio::test]
async fn a_refused_issuer_is_not_asked_about_again_within_the_ttl() {
    let tenant = new_tenant(9);
    let issuers = tenant.fetcher();
    let calls = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&calls);
    let resolver = IssuerResolver::from_async_fn(move |_iss| {
        counter.fetch_add(1, Ordering::SeqCst);
        async { Ok(None) }
    });
    let verifier = resolving(resolver, &issuers)
        .refused_issuers(100, Duration::from_secs(1))
        .build()
        .unwrap();
    let refused = tenant.id_token(AUD).sign();
    for _ in 0..5 {
        let err = verifier.verify::<Value>(&refused).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidIssuer);
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    // The refusal cache keeps its own (real) clock.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let _ = verifier.verify::<Value>(&refused).await;
    assert_eq!(calls.load(Ordering::SeqCst), 2, "asked again after the TTL");
    assert_eq!(issuers.total_fetches(), 0);
}

#[tokio::test]
async fn the_resolver_is_never_asked_about_a_token_whose_header_is_invalid() {
    let (tenants, issuers) = tenants_served(1);
    let (resolver, calls) = counting(&tenants);
    let verifier = resolving(resolver, &issuers).build().unwrap();
    let token = || tenants[0].id_token(AUD);
    for (header, forged) in [
        ("alg HS256", token().header("alg", "HS256").sign()),
        ("alg none", token().header("alg", "none").sign()),
        ("no kid", token().without_header("kid").sign()),
        ("crit", token().header("crit", json!(["exp"])).sign()),
    ] {
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
    let issuers = TestIssuers::new();
    for pool in &pools {
        issuers.add_user_pool(pool);
    }
    let resolver =
        IssuerResolver::list(pools.iter().map(|p| p.user_pool("web", TokenUse::Access))).unwrap();
    let verifier = resolving(resolver, &issuers).build().unwrap();
    let claims: AccessTokenClaims = verifier
        .verify(&pools[1].access_token("web").sign())
        .await
        .unwrap();
    assert_eq!(claims.client_id(), "web");
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
    assert_eq!(issuers.fetches(&pools[1].jwks_uri()), 1);
    assert_eq!(issuers.total_fetches(), 1, "nothing else");
}

#[tokio::test]
async fn settings_for_another_issuer_are_refused() {
    let (tenants, issuers) = tenants_served(2);
    let tenant_0 = issuer(&tenants[0]);
    let resolver = IssuerResolver::from_fn(move |_| Some(tenant_0.clone().into()));
    let verifier = resolving(resolver, &issuers).build().unwrap();
    let err = verifier
        .verify::<Value>(&tenants[1].id_token(AUD).sign())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidIssuer);
    assert_eq!(issuers.total_fetches(), 0);
}

#[tokio::test]
async fn a_failed_lookup_is_an_outage_and_is_not_remembered() {
    let tenant = new_tenant(0);
    let issuers = tenant.fetcher();
    let calls = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&calls);
    let resolver = IssuerResolver::from_async_fn(move |_iss| {
        counter.fetch_add(1, Ordering::SeqCst);
        async { Err(ResolveError::new("tenants database unreachable")) }
    });
    let verifier = resolving(resolver, &issuers).build().unwrap();
    let token = tenant.id_token(AUD).sign();
    for _ in 0..2 {
        let err = verifier.verify::<Value>(&token).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::JwksUnavailable);
    }
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    let err = verifier.verify_sync::<Value>(&token).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::JwksNotCached);
    assert_eq!(issuers.total_fetches(), 0);
}

#[test]
fn resolver_settings_are_checked() {
    let (tenants, _) = tenants_served(1);
    let (resolver, _) = counting(&tenants);
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
    let twice = [issuer(&tenants[0]), issuer(&tenants[0])];
    assert!(IssuerResolver::list(twice).is_err());
    assert!(IssuerResolver::list([issuer(&tenants[0])]).is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_first_tokens_of_one_issuer_share_one_fetch() {
    let tenant = new_tenant(7);
    let issuers = tenant.fetcher();
    let trusted = issuer(&tenant);
    let resolver = IssuerResolver::from_async_fn(move |_iss: String| {
        let trusted = trusted.clone();
        async move {
            // Slow enough that every token asks before any answer is remembered.
            tokio::time::sleep(Duration::from_millis(50)).await;
            Ok(Some(trusted.into()))
        }
    });
    let verifier = resolving(resolver, &issuers).build().unwrap();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let (verifier, token) = (verifier.clone(), tenant.id_token(AUD).sign());
        tasks.spawn(async move { verifier.verify::<StandardClaims>(&token).await });
    }
    while let Some(outcome) = tasks.join_next().await {
        outcome.unwrap().unwrap();
    }
    let fetched = |url: String| issuers.fetches(&url);
    assert_eq!(
        (fetched(tenant.discovery_url()), fetched(tenant.jwks_uri())),
        (1, 1)
    );
}
