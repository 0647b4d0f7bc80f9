//! Findings of the outside review about issuers: an approval the issuer
//! resolver gave expires and can be dropped; issuers that publish the same
//! `kid` each verify with their own key; a resolved tenant whose engine
//! cannot be built for a passing reason is an outage, not a refusal.
//!
//! Approvals age on Tokio's clock: the tests pause it and move it on.
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cognito_jwt_core::testing::{
    ScriptedJwks, TestCurveKey, TestIssuer, TestIssuers, TestKey, TestOidcIssuer,
};
use cognito_jwt_core::{
    AccessTokenClaims, Algorithm, CognitoJwtVerifier, ErrorKind, Issuer, IssuerResolver,
    JwtVerifier, ResolveError, StandardClaims, TokenUse, TrustedIssuer,
};
use serde_json::{Value, json};

const AUD: &str = "orders-api";
const TTL: Duration = Duration::from_secs(60);

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

fn issuer(iss: &str, audience: &str) -> TrustedIssuer {
    Issuer::new(iss)
        .audience(audience)
        .jwks_uri(format!("{iss}/keys"))
        .algorithms([Algorithm::ES256])
        .into()
}

fn jwks(key: &TestCurveKey) -> ScriptedJwks {
    ScriptedJwks::serving(json!({ "keys": [key.jwk()] }).to_string())
}

/// What a [`Switch`] resolver answers.
#[derive(Debug, Clone)]
enum Answer {
    /// The issuer asked about, for tokens with this audience.
    Allow(&'static str),
    Refuse,
    Fail,
}

/// A resolver whose answer the test changes as it goes; counts its calls.
#[derive(Clone)]
struct Switch {
    answer: Arc<Mutex<Answer>>,
    calls: Arc<AtomicU64>,
}

impl Switch {
    fn allowing(audience: &'static str) -> Self {
        Self {
            answer: Arc::new(Mutex::new(Answer::Allow(audience))),
            calls: Arc::default(),
        }
    }

    fn set(&self, answer: Answer) {
        *self.answer.lock().unwrap_or_else(PoisonError::into_inner) = answer;
    }

    fn calls(&self) -> u64 {
        self.calls.load(Ordering::SeqCst)
    }

    fn answer(&self, iss: &str) -> Result<Option<TrustedIssuer>, ResolveError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let answer = self
            .answer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        match answer {
            Answer::Allow(audience) => Ok(Some(issuer(iss, audience))),
            Answer::Refuse => Ok(None),
            Answer::Fail => Err(ResolveError::new("tenants database unreachable")),
        }
    }

    /// An asynchronous resolver (the only kind that can fail).
    fn resolver(&self) -> IssuerResolver {
        let switch = self.clone();
        IssuerResolver::from_async_fn(move |iss: String| {
            let answer = switch.answer(&iss);
            async move { answer }
        })
    }

    /// A resolver that needs no waiting, so `verify_sync` can ask it.
    fn sync_resolver(&self) -> IssuerResolver {
        let switch = self.clone();
        IssuerResolver::from_fn(move |iss| switch.answer(iss).ok().flatten())
    }
}

fn tenants_verifier(resolver: IssuerResolver, fetcher: &ScriptedJwks) -> JwtVerifier {
    JwtVerifier::builder()
        .issuer_resolver(resolver)
        .resolved_issuer_ttl(TTL)
        .fetcher(fetcher.clone())
        .build()
        .expect("a valid configuration")
}

#[tokio::test(start_paused = true)]
async fn an_approval_is_asked_about_again_after_its_ttl_and_the_same_answer_keeps_its_keys() {
    let key = TestCurveKey::es256("k1");
    let fetcher = jwks(&key);
    let switch = Switch::allowing(AUD);
    let verifier = tenants_verifier(switch.resolver(), &fetcher);
    let token = token(&key, &tenant(0));

    let _: StandardClaims = verifier.verify(&token).await.unwrap();
    tokio::time::advance(TTL - Duration::from_secs(1)).await;
    let _: StandardClaims = verifier.verify(&token).await.unwrap();
    assert_eq!(switch.calls(), 1, "within the TTL the approval serves");

    tokio::time::advance(Duration::from_secs(2)).await;
    for _ in 0..3 {
        let _: StandardClaims = verifier.verify(&token).await.unwrap();
    }
    assert_eq!(switch.calls(), 2, "asked once when due, then fresh again");
    assert_eq!(fetcher.fetches(), 1, "the same answer keeps the key set");
}

#[tokio::test(start_paused = true)]
async fn a_refusal_when_asked_again_drops_the_issuer_at_once() {
    let key = TestCurveKey::es256("k1");
    let fetcher = jwks(&key);
    let switch = Switch::allowing(AUD);
    let verifier = tenants_verifier(switch.resolver(), &fetcher);
    let token = token(&key, &tenant(0));
    let _: StandardClaims = verifier.verify(&token).await.unwrap();

    switch.set(Answer::Refuse);
    tokio::time::advance(TTL + Duration::from_secs(1)).await;
    for _ in 0..3 {
        let err = verifier.verify::<Value>(&token).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidIssuer);
    }
    assert_eq!(switch.calls(), 2, "the refusal is remembered");
    assert!(verifier.health().key_sets.is_empty(), "its key set is gone");
}

#[tokio::test(start_paused = true)]
async fn a_changed_answer_replaces_the_issuers_rules() {
    let key = TestCurveKey::es256("k1");
    let fetcher = jwks(&key);
    let switch = Switch::allowing(AUD);
    let verifier = tenants_verifier(switch.resolver(), &fetcher);
    let token = token(&key, &tenant(0));
    let _: StandardClaims = verifier.verify(&token).await.unwrap();

    switch.set(Answer::Allow("billing-api"));
    tokio::time::advance(TTL + Duration::from_secs(1)).await;
    let err = verifier.verify::<Value>(&token).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidAudience);
    assert_eq!(switch.calls(), 2);
}

#[tokio::test(start_paused = true)]
async fn verify_sync_asks_a_resolver_that_needs_no_waiting_when_an_approval_is_due() {
    let key = TestCurveKey::es256("k1");
    let fetcher = jwks(&key);
    let switch = Switch::allowing(AUD);
    let verifier = tenants_verifier(switch.sync_resolver(), &fetcher);
    let token = token(&key, &tenant(0));
    let _: StandardClaims = verifier.verify(&token).await.unwrap();
    let _: StandardClaims = verifier.verify_sync(&token).unwrap();

    switch.set(Answer::Refuse);
    tokio::time::advance(TTL + Duration::from_secs(1)).await;
    let err = verifier.verify_sync::<Value>(&token).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidIssuer);
    assert_eq!(switch.calls(), 2);
}

#[tokio::test(start_paused = true)]
async fn verify_sync_serves_a_due_approval_of_an_async_resolver_for_one_more_ttl_at_most() {
    let key = TestCurveKey::es256("k1");
    let fetcher = jwks(&key);
    let switch = Switch::allowing(AUD);
    let verifier = tenants_verifier(switch.resolver(), &fetcher);
    let token = token(&key, &tenant(0));
    let _: StandardClaims = verifier.verify(&token).await.unwrap();

    tokio::time::advance(TTL + Duration::from_secs(1)).await;
    let _: StandardClaims = verifier.verify_sync(&token).unwrap();
    tokio::time::advance(TTL).await;
    let err = verifier.verify_sync::<Value>(&token).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::JwksNotCached);
    assert_eq!(switch.calls(), 1, "verify_sync cannot wait for it");

    let _: StandardClaims = verifier.verify(&token).await.unwrap();
    let _: StandardClaims = verifier.verify_sync(&token).unwrap();
    assert_eq!(switch.calls(), 2);
    assert_eq!(fetcher.fetches(), 1);
}

#[tokio::test(start_paused = true)]
async fn one_token_asks_again_while_the_others_are_verified_under_the_old_approval() {
    let key = TestCurveKey::es256("k1");
    let fetcher = jwks(&key);
    let calls = Arc::new(AtomicU64::new(0));
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    let (counter, held) = (Arc::clone(&calls), Arc::clone(&gate));
    let resolver = IssuerResolver::from_async_fn(move |iss: String| {
        let call = counter.fetch_add(1, Ordering::SeqCst) + 1;
        let gate = Arc::clone(&held);
        async move {
            if call == 2 {
                // The first question once the approval is due waits for
                // the test.
                let _permit = gate.acquire().await;
            }
            Ok(Some(issuer(&iss, AUD)))
        }
    });
    let verifier = tenants_verifier(resolver, &fetcher);
    let token = token(&key, &tenant(0));
    let _: StandardClaims = verifier.verify(&token).await.unwrap();

    tokio::time::advance(TTL + Duration::from_secs(1)).await;
    let asking = tokio::spawn({
        let (verifier, token) = (verifier.clone(), token.clone());
        async move { verifier.verify::<StandardClaims>(&token).await }
    });
    for _ in 0..100 {
        if calls.load(Ordering::SeqCst) == 2 {
            break;
        }
        tokio::task::yield_now().await;
    }
    assert_eq!(
        calls.load(Ordering::SeqCst),
        2,
        "the due approval is asked about"
    );
    for _ in 0..20 {
        let _: StandardClaims = verifier.verify(&token).await.unwrap();
    }
    assert_eq!(calls.load(Ordering::SeqCst), 2, "one question at a time");

    gate.add_permits(1);
    asking.await.unwrap().unwrap();
    let _: StandardClaims = verifier.verify(&token).await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(fetcher.fetches(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_resolver_error_keeps_the_approval_for_one_more_ttl_then_is_an_outage() {
    let key = TestCurveKey::es256("k1");
    let fetcher = jwks(&key);
    let switch = Switch::allowing(AUD);
    let verifier = tenants_verifier(switch.resolver(), &fetcher);
    let token = token(&key, &tenant(0));
    let _: StandardClaims = verifier.verify(&token).await.unwrap();

    switch.set(Answer::Fail);
    tokio::time::advance(TTL + Duration::from_secs(1)).await;
    let _: StandardClaims = verifier.verify(&token).await.unwrap();
    tokio::time::advance(TTL - Duration::from_secs(2)).await;
    let _: StandardClaims = verifier.verify(&token).await.unwrap();
    assert_eq!(switch.calls(), 3, "an error is not remembered");

    tokio::time::advance(Duration::from_secs(2)).await;
    for _ in 0..2 {
        let err = verifier.verify::<Value>(&token).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::JwksUnavailable);
        assert_eq!(err.kind().http_class().status(), 503);
    }

    switch.set(Answer::Allow(AUD));
    let _: StandardClaims = verifier.verify(&token).await.unwrap();
    tokio::time::advance(TTL - Duration::from_secs(1)).await;
    let _: StandardClaims = verifier.verify(&token).await.unwrap();
    assert_eq!(switch.calls(), 6, "fresh again from the answer");
    assert_eq!(fetcher.fetches(), 1, "the same answer keeps the key set");
}

#[tokio::test]
async fn forget_issuer_drops_an_approval_or_a_refusal_at_once() {
    let key = TestCurveKey::es256("k1");
    let fetcher = jwks(&key);
    let switch = Switch::allowing(AUD);
    let verifier = tenants_verifier(switch.sync_resolver(), &fetcher);
    let token = token(&key, &tenant(0));
    let _: StandardClaims = verifier.verify(&token).await.unwrap();

    assert!(verifier.forget_issuer(&tenant(0)));
    assert!(!verifier.forget_issuer(&tenant(0)), "already forgotten");
    assert!(verifier.health().key_sets.is_empty());
    let _: StandardClaims = verifier.verify(&token).await.unwrap();
    assert_eq!((switch.calls(), fetcher.fetches()), (2, 2));

    switch.set(Answer::Refuse);
    let refused = self::token(&key, &tenant(1));
    let err = verifier.verify::<Value>(&refused).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidIssuer);
    switch.set(Answer::Allow(AUD));
    assert!(verifier.forget_issuer(&tenant(1)));
    let _: StandardClaims = verifier.verify(&refused).await.unwrap();
    assert_eq!(switch.calls(), 4);

    assert!(!verifier.forget_issuer(&tenant(2)), "never seen");
    let fixed = JwtVerifier::builder()
        .issuer(Issuer::new(tenant(0)).audience(AUD))
        .build()
        .unwrap();
    assert!(
        !fixed.forget_issuer(&tenant(0)),
        "a configured issuer is not forgotten"
    );
}

#[test]
fn resolved_issuer_ttl_is_range_checked() {
    let switch = Switch::allowing(AUD);
    let build = |ttl| {
        JwtVerifier::builder()
            .issuer_resolver(switch.resolver())
            .resolved_issuer_ttl(ttl)
            .build()
    };
    for bad in [
        Duration::ZERO,
        Duration::from_millis(999),
        Duration::from_secs(24 * 3600 + 1),
    ] {
        let err = build(bad).unwrap_err();
        assert_eq!(err.name(), Some("resolved_issuer_ttl"), "{bad:?}");
    }
    for good in [Duration::from_secs(1), Duration::from_secs(24 * 3600)] {
        assert!(build(good).is_ok(), "{good:?}");
    }
    let err = JwtVerifier::builder()
        .issuer(Issuer::new(tenant(0)).audience(AUD))
        .resolved_issuer_ttl(TTL)
        .build()
        .unwrap_err();
    assert_eq!(
        err.name(),
        Some("resolved_issuer_ttl"),
        "without a resolver"
    );
}

#[tokio::test]
async fn oidc_issuers_sharing_a_kid_each_verify_with_their_own_key() {
    let a = TestOidcIssuer::new("https://login.example.com/a", Algorithm::RS256);
    let b = TestOidcIssuer::new("https://login.example.com/b", Algorithm::RS256);
    assert_eq!(a.key().kid(), b.key().kid(), "the same kid, other keys");
    let issuers = TestIssuers::new();
    issuers.add_oidc_issuer(&a);
    issuers.add_oidc_issuer(&b);
    let verifier = JwtVerifier::builder()
        .issuer(a.issuer_config(AUD))
        .issuer(b.issuer_config(AUD))
        .fetcher(issuers.clone())
        .build()
        .unwrap();

    // The first token of b arrives while only a's key set is cached.
    for _ in 0..2 {
        for issuer in [&a, &b] {
            let claims: StandardClaims = verifier
                .verify(&issuer.access_token(AUD).sign())
                .await
                .unwrap();
            assert_eq!(claims.iss, issuer.issuer());
            let claims: StandardClaims = verifier
                .verify_sync(&issuer.access_token(AUD).sign())
                .unwrap();
            assert_eq!(claims.iss, issuer.issuer());
        }
    }
    assert_eq!(issuers.fetches(&a.jwks_uri()), 1);
    assert_eq!(issuers.fetches(&b.jwks_uri()), 1);

    // b's key does not vouch for a token naming a.
    let forged = b.access_token(AUD).claim("iss", a.issuer()).sign();
    let err = verifier.verify::<Value>(&forged).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidSignature);
}

#[tokio::test]
async fn cognito_pools_sharing_a_kid_each_verify_with_their_own_key() {
    let pools = [
        TestIssuer::new("eu-west-1_SharedKid1"),
        TestIssuer::new("eu-west-1_SharedKid2"),
    ];
    let keys = [TestKey::generate("1"), TestKey::generate("1")];
    let issuers = TestIssuers::new();
    let mut builder = CognitoJwtVerifier::builder().fetcher(issuers.clone());
    for (pool, key) in pools.iter().zip(&keys) {
        issuers.serve(pool.jwks_uri(), json!({ "keys": [key.jwk()] }).to_string());
        builder = builder.user_pool(pool.user_pool("web", TokenUse::Access));
    }
    let verifier = builder.build().unwrap();

    for _ in 0..2 {
        for (pool, key) in pools.iter().zip(&keys) {
            let token = pool
                .access_token("web")
                .header("kid", key.kid())
                .sign_with(key);
            let claims: AccessTokenClaims = verifier.verify(&token).await.unwrap();
            assert_eq!(claims.iss(), pool.issuer());
            let claims: AccessTokenClaims = verifier.verify_sync(&token).unwrap();
            assert_eq!(claims.iss(), pool.issuer());
        }
    }
    for pool in &pools {
        assert_eq!(issuers.fetches(&pool.jwks_uri()), 1);
    }
}

#[tokio::test(start_paused = true)]
async fn a_kid_an_issuer_adopts_after_another_published_it_is_fetched_from_its_own_set() {
    let pools = [
        TestIssuer::new("eu-west-1_Adopting1"),
        TestIssuer::new("eu-west-1_Adopting2"),
    ];
    let (first, second, adopted) = (
        TestKey::generate("1"),
        TestKey::generate("2"),
        TestKey::generate("1"),
    );
    let issuers = TestIssuers::new();
    let publish = |pool: &TestIssuer, keys: &[&TestKey]| {
        let jwks: Vec<Value> = keys.iter().map(|key| key.jwk()).collect();
        issuers.serve(pool.jwks_uri(), json!({ "keys": jwks }).to_string());
    };
    publish(&pools[0], &[&first]);
    publish(&pools[1], &[&second]);
    let verifier = CognitoJwtVerifier::builder()
        .user_pool(pools[0].user_pool("web", TokenUse::Access))
        .user_pool(pools[1].user_pool("web", TokenUse::Access))
        .fetcher(issuers.clone())
        .build()
        .unwrap();
    let sign = |pool: &TestIssuer, key: &TestKey| {
        pool.access_token("web")
            .header("kid", key.kid())
            .sign_with(key)
    };
    verifier.hydrate().await.unwrap();

    // The second pool rotates to a key whose kid the first one publishes.
    publish(&pools[1], &[&second, &adopted]);
    tokio::time::advance(Duration::from_secs(11)).await;
    for _ in 0..2 {
        let claims: AccessTokenClaims = verifier.verify(&sign(&pools[1], &adopted)).await.unwrap();
        assert_eq!(claims.iss(), pools[1].issuer());
        let claims: AccessTokenClaims = verifier.verify(&sign(&pools[0], &first)).await.unwrap();
        assert_eq!(claims.iss(), pools[0].issuer());
    }
    assert_eq!(issuers.fetches(&pools[0].jwks_uri()), 1);
    assert_eq!(issuers.fetches(&pools[1].jwks_uri()), 2, "one refetch");
}

/// A path under the system temp directory where no file is yet, removed
/// on drop.
struct SeedPath(PathBuf);

impl SeedPath {
    fn unused() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        Self(std::env::temp_dir().join(format!(
            "cognito-jwt-review-seed-{}-{}.json",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        )))
    }
}

impl Drop for SeedPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[tokio::test]
async fn a_tenant_whose_seed_file_cannot_be_read_is_an_outage_not_a_refusal() {
    let pool = TestIssuer::new("eu-west-1_Seeded1");
    let seed = SeedPath::unused();
    let calls = Arc::new(AtomicU64::new(0));
    let (counter, path, configured) = (
        Arc::clone(&calls),
        seed.0.clone(),
        pool.user_pool("web", TokenUse::Access),
    );
    let resolver = IssuerResolver::from_fn(move |_iss| {
        counter.fetch_add(1, Ordering::SeqCst);
        Some(configured.clone().jwks_file(&path).into())
    });
    let issuers = TestIssuers::new();
    let verifier = JwtVerifier::builder()
        .issuer_resolver(resolver)
        .fetcher(issuers.clone())
        .build()
        .unwrap();
    let token = pool.access_token("web").sign();

    for _ in 0..2 {
        let err = verifier.verify::<Value>(&token).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::JwksUnavailable, "{err}");
    }
    assert_eq!(calls.load(Ordering::SeqCst), 2, "not remembered");

    std::fs::write(&seed.0, pool.jwks_json()).unwrap();
    let claims: AccessTokenClaims = verifier.verify(&token).await.unwrap();
    assert_eq!(claims.iss(), pool.issuer());
    assert_eq!(issuers.total_fetches(), 0, "verified with the seed");
}
