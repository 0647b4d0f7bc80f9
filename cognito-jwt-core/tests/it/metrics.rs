//! The `metrics` feature: what each verifier counts and holds, read from
//! a recorder of the test's own, and that no label ever carries a token,
//! a claim or an issuer.
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, PoisonError};
use std::time::Duration;

use cognito_jwt_core::metrics::{
    JWKS_AGE_SECONDS, JWKS_FETCHES_TOTAL, JWKS_KEYS, REVOCATION_ENTRIES,
    REVOCATION_OVERFLOWS_TOTAL, REVOCATION_PROBES_TOTAL, TOKEN_CACHE_HITS_TOTAL,
    TOKEN_CACHE_MISSES_TOTAL, VERIFICATIONS_TOTAL, describe,
};
use cognito_jwt_core::testing::{ScriptedJwks, TestAlb, TestAlbKeys, TestIssuer, random_uuid};
use cognito_jwt_core::{
    AccessTokenClaims, AlbClaims, CognitoJwtVerifier, CognitoJwtVerifierBuilder, ErrorKind,
    IssuerResolver, JwtVerifier, KeySetOptions, StandardClaims, TokenUse,
};
use metrics::{Counter, Gauge, Histogram, Key, KeyName, Metadata, Recorder, SharedString, Unit};

const CLIENT: &str = "metrics-client";

static ISSUER: LazyLock<TestIssuer> = LazyLock::new(|| TestIssuer::new("eu-west-1_Metrics1"));

/// Counters and gauges by key, as plain atomics: what a test reads is
/// exactly what was recorded, and reading changes nothing.
#[derive(Default)]
struct TestRecorder {
    series: Mutex<Vec<(Key, bool, Arc<AtomicU64>)>>,
    described: Mutex<Vec<(String, Option<Unit>)>>,
}

impl TestRecorder {
    fn series(&self, key: &Key, counter: bool) -> Arc<AtomicU64> {
        let mut series = self.series.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, _, value)) = series.iter().find(|(k, c, _)| k == key && *c == counter) {
            return Arc::clone(value);
        }
        let value = Arc::new(AtomicU64::new(0));
        series.push((key.clone(), counter, Arc::clone(&value)));
        value
    }

    fn value(&self, name: &str, labels: &[(&str, &str)], counter: bool) -> u64 {
        let series = self.series.lock().unwrap_or_else(PoisonError::into_inner);
        let found = series.iter().find(|(key, c, _)| {
            *c == counter
                && key.name() == name
                && key
                    .labels()
                    .map(|l| (l.key(), l.value()))
                    .eq(labels.iter().copied())
        });
        match found {
            Some((_, _, value)) => value.load(Ordering::SeqCst),
            None => panic!("no series {name} {labels:?} was registered"),
        }
    }

    fn counter(&self, name: &str, labels: &[(&str, &str)]) -> u64 {
        self.value(name, labels, true)
    }

    fn gauge(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        f64::from_bits(self.value(name, labels, false))
    }

    /// The sum of every series named `name` whose labels include these.
    fn counter_sum(&self, name: &str, labels: &[(&str, &str)]) -> u64 {
        let series = self.series.lock().unwrap_or_else(PoisonError::into_inner);
        series
            .iter()
            .filter(|(key, counter, _)| {
                *counter
                    && key.name() == name
                    && labels
                        .iter()
                        .all(|(k, v)| key.labels().any(|l| l.key() == *k && l.value() == *v))
            })
            .map(|(_, _, value)| value.load(Ordering::SeqCst))
            .sum()
    }

    /// Every label value of every series.
    fn label_values(&self) -> Vec<String> {
        let series = self.series.lock().unwrap_or_else(PoisonError::into_inner);
        series
            .iter()
            .flat_map(|(key, _, _)| key.labels().map(|l| l.value().to_owned()))
            .collect()
    }
}

impl Recorder for TestRecorder {
    fn describe_counter(&self, key: KeyName, unit: Option<Unit>, _: SharedString) {
        let mut described = self
            .described
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        described.push((key.as_str().to_owned(), unit));
    }

    fn describe_gauge(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.describe_counter(key, unit, description);
    }

    fn describe_histogram(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.describe_counter(key, unit, description);
    }

    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        Counter::from_arc(self.series(key, true))
    }

    fn register_gauge(&self, key: &Key, _: &Metadata<'_>) -> Gauge {
        Gauge::from_arc(self.series(key, false))
    }

    fn register_histogram(&self, _: &Key, _: &Metadata<'_>) -> Histogram {
        Histogram::noop()
    }
}

/// Build with `recorder` installed (for this thread): the verifier's
/// series are registered with it, and record into it from any thread.
fn build_with<T>(recorder: &TestRecorder, build: impl FnOnce() -> T) -> T {
    metrics::with_local_recorder(recorder, build)
}

fn builder(issuer: &TestIssuer, jwks: &ScriptedJwks) -> CognitoJwtVerifierBuilder {
    CognitoJwtVerifier::builder()
        .user_pool(issuer.user_pool(CLIENT, TokenUse::Access))
        .fetcher(jwks.clone())
}

/// `token` with its signature altered.
fn forged(token: &str) -> String {
    let (rest, signature) = token.rsplit_once('.').expect("three segments");
    let flipped = if signature.starts_with('A') { "B" } else { "A" };
    format!("{rest}.{flipped}{}", &signature[1..])
}

/// Every label value a verifier may use: its name and the fixed sets.
fn allowed_label_values(names: &[&str]) -> Vec<String> {
    let fixed = [
        "ok",
        "cold",
        "retry",
        "refresh",
        "unknown_kid",
        "hydrate",
        "not_found",
        "error",
    ];
    names
        .iter()
        .copied()
        .chain(fixed)
        .chain(ErrorKind::ALL.iter().map(|kind| kind.as_str()))
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn verifications_are_counted_by_outcome_and_labels_carry_no_token_or_claim() {
    let recorder = TestRecorder::default();
    let jwks = ScriptedJwks::serving(ISSUER.jwks_json());
    let verifier = build_with(&recorder, || {
        builder(&ISSUER, &jwks).metrics_name("api").build()
    })
    .expect("a verifier");

    let good: Vec<String> = (0..3).map(|_| ISSUER.access_token(CLIENT).sign()).collect();
    let bad = [forged(&good[0]), forged(&good[1])];
    let expired = ISSUER.access_token(CLIENT).expires_in(-3600).sign();
    let mut subjects = Vec::new();
    for token in &good {
        let claims: AccessTokenClaims = verifier.verify(token).await.expect("a good token");
        subjects.push(claims.sub().to_owned());
    }
    for token in &bad {
        let refused = verifier.verify::<AccessTokenClaims>(token).await;
        assert_eq!(
            refused.map_err(|e| e.kind()).err(),
            Some(ErrorKind::InvalidSignature)
        );
    }
    let refused = verifier.verify_sync::<AccessTokenClaims>(&expired);
    assert_eq!(
        refused.map_err(|e| e.kind()).err(),
        Some(ErrorKind::Expired)
    );

    let outcome = |outcome| {
        recorder.counter(
            VERIFICATIONS_TOTAL,
            &[("verifier", "api"), ("outcome", outcome)],
        )
    };
    assert_eq!(outcome("ok"), 3);
    assert_eq!(outcome("invalid_signature"), 2);
    assert_eq!(outcome("expired"), 1);
    for kind in ErrorKind::ALL {
        if !matches!(kind, ErrorKind::InvalidSignature | ErrorKind::Expired) {
            assert_eq!(
                outcome(kind.as_str()),
                0,
                "{kind}: registered at zero, never counted"
            );
        }
    }
    assert_eq!(
        recorder.counter(
            JWKS_FETCHES_TOTAL,
            &[("verifier", "api"), ("reason", "cold"), ("outcome", "ok")]
        ),
        1
    );
    assert_eq!(
        recorder.counter_sum(JWKS_FETCHES_TOTAL, &[]),
        1,
        "one fetch in all"
    );
    assert_eq!(jwks.fetches(), 1);
    assert_eq!(recorder.gauge(JWKS_KEYS, &[("verifier", "api")]), 1.0);
    let age = recorder.gauge(JWKS_AGE_SECONDS, &[("verifier", "api")]);
    assert!((0.0..5.0).contains(&age), "a set fetched just now: {age}");

    let allowed = allowed_label_values(&["api"]);
    for value in recorder.label_values() {
        assert!(allowed.contains(&value), "unexpected label value {value:?}");
        for token in good.iter().chain(&bad).chain([&expired]) {
            assert!(
                token.split('.').all(|part| part != value),
                "{value:?} is part of a token"
            );
        }
        assert!(!subjects.contains(&value), "{value:?} is a claim");
        assert_ne!(value, ISSUER.issuer());
    }
}

#[tokio::test]
async fn the_token_cache_counts_hits_and_misses() {
    let recorder = TestRecorder::default();
    let jwks = ScriptedJwks::serving(ISSUER.jwks_json());
    let verifier = build_with(&recorder, || {
        builder(&ISSUER, &jwks)
            .token_cache_max_bytes(1024 * 1024)
            .build()
    })
    .expect("a verifier");
    // Loaded first: a token verified while its key set is first stored is
    // verified in full once more (the set's generation moved meanwhile).
    verifier.hydrate().await.expect("a key set");
    let (repeated, other) = (
        ISSUER.access_token(CLIENT).sign(),
        ISSUER.access_token(CLIENT).sign(),
    );
    for _ in 0..3 {
        let _: AccessTokenClaims = verifier.verify(&repeated).await.expect("a good token");
    }
    let _: AccessTokenClaims = verifier.verify_sync(&other).expect("a good token");
    let cognito = [("verifier", "cognito")];
    assert_eq!(recorder.counter(TOKEN_CACHE_MISSES_TOTAL, &cognito), 2);
    assert_eq!(recorder.counter(TOKEN_CACHE_HITS_TOTAL, &cognito), 2);
    assert_eq!(
        recorder.counter(
            VERIFICATIONS_TOTAL,
            &[("verifier", "cognito"), ("outcome", "ok")]
        ),
        4,
        "hits count as verifications too"
    );
}

/// Every reason a key set is fetched for, failures included, and the
/// gauges through a rotation, a refresh and the verifier's end.
#[tokio::test(start_paused = true)]
async fn fetches_are_counted_by_reason_and_outcome_and_the_gauges_follow_the_sets() {
    let recorder = TestRecorder::default();
    let mut issuer = TestIssuer::new("eu-west-1_Metrics2");
    let jwks = ScriptedJwks::default();
    jwks.fail("503 Service Unavailable");
    let verifier = build_with(&recorder, || {
        builder(&issuer, &jwks)
            .metrics_name("rotating")
            .key_set_options(
                KeySetOptions::default()
                    .cooldown(Duration::from_secs(1))
                    .backoff(Duration::from_millis(100), Duration::from_millis(100))
                    .refresh_interval(Duration::from_secs(60))
                    .max_staleness(Duration::from_secs(600)),
            )
            .build()
    })
    .expect("a verifier");
    let name = ("verifier", "rotating");
    let fetches = |reason, outcome| {
        recorder.counter(
            JWKS_FETCHES_TOTAL,
            &[name, ("reason", reason), ("outcome", outcome)],
        )
    };

    let first = issuer.access_token(CLIENT).sign();
    let down = verifier.verify::<AccessTokenClaims>(&first).await;
    assert_eq!(
        down.map_err(|e| e.kind()).err(),
        Some(ErrorKind::JwksUnavailable)
    );
    assert_eq!(fetches("cold", "error"), 1);
    assert_eq!(recorder.gauge(JWKS_KEYS, &[name]), 0.0);

    jwks.serve(issuer.jwks_json());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let _: AccessTokenClaims = verifier.verify(&first).await.expect("the endpoint is back");
    assert_eq!(fetches("retry", "ok"), 1);
    assert_eq!(recorder.gauge(JWKS_KEYS, &[name]), 1.0);

    issuer.rotate();
    jwks.serve(issuer.jwks_json());
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rotated = issuer.access_token(CLIENT).sign();
    let _: AccessTokenClaims = verifier
        .verify(&rotated)
        .await
        .expect("the new key is fetched");
    assert_eq!(fetches("unknown_kid", "ok"), 1);
    assert_eq!(recorder.gauge(JWKS_KEYS, &[name]), 2.0);

    verifier.hydrate().await.expect("a key set");
    assert_eq!(fetches("hydrate", "ok"), 1);
    tokio::time::sleep(Duration::from_secs(30)).await;
    let _ = verifier.health();
    let age = recorder.gauge(JWKS_AGE_SECONDS, &[name]);
    assert!((age - 30.0).abs() < 0.01, "30 s after the fetch: {age}");

    // The background refresh, before the set is due at 60 s.
    tokio::time::sleep(Duration::from_secs(30)).await;
    assert_eq!(fetches("refresh", "ok"), 1);
    assert_eq!(jwks.fetches(), 5);
    assert_eq!(recorder.counter_sum(JWKS_FETCHES_TOTAL, &[name]), 5);
    let _: AccessTokenClaims = verifier.verify(&rotated).await.expect("still good");
    let age = recorder.gauge(JWKS_AGE_SECONDS, &[name]);
    assert!(age < 10.0, "the refreshed set is young: {age}");

    drop(verifier);
    assert_eq!(
        recorder.gauge(JWKS_KEYS, &[name]),
        0.0,
        "a dropped verifier holds no keys"
    );
}

/// A verifier whose issuers a resolver allows: one `verifier` label for
/// all of them, each verification counted once, the keys of every
/// resolved issuer added up, and no issuer ever a label.
#[tokio::test]
async fn resolved_issuers_share_the_verifiers_series_and_token_cache() {
    let recorder = TestRecorder::default();
    let tenant_a = TestIssuer::new("eu-west-1_TenantA1");
    let mut tenant_b = TestIssuer::new("eu-west-1_TenantB1");
    tenant_b.rotate();
    let stranger = TestIssuer::new("eu-west-1_Stranger");
    let keys = TestAlbKeys::default();
    for tenant in [&tenant_a, &tenant_b] {
        let url = format!("{}/.well-known/jwks.json", tenant.issuer());
        keys.serve(url, tenant.jwks_json());
    }
    let resolver = IssuerResolver::list([
        tenant_a.user_pool(CLIENT, TokenUse::Access),
        tenant_b.user_pool(CLIENT, TokenUse::Access),
    ])
    .expect("a resolver");
    let verifier = build_with(&recorder, || {
        JwtVerifier::builder()
            .issuer_resolver(resolver)
            .fetcher(keys.clone())
            .token_cache_max_bytes(1024 * 1024)
            .metrics_name("tenants")
            .build()
    })
    .expect("a verifier");

    for token in [
        tenant_a.access_token(CLIENT).sign(),
        tenant_b.access_token(CLIENT).sign(),
    ] {
        // In full while the key set arrives, in full again (the set's
        // generation moved on meanwhile), then twice from the cache.
        for _ in 0..4 {
            let _: StandardClaims = verifier.verify(&token).await.expect("a tenant's token");
        }
    }
    let refused = verifier
        .verify::<StandardClaims>(&stranger.access_token(CLIENT).sign())
        .await;
    assert_eq!(
        refused.map_err(|e| e.kind()).err(),
        Some(ErrorKind::InvalidIssuer)
    );

    let name = ("verifier", "tenants");
    assert_eq!(
        recorder.counter(VERIFICATIONS_TOTAL, &[name, ("outcome", "ok")]),
        8
    );
    assert_eq!(
        recorder.counter(VERIFICATIONS_TOTAL, &[name, ("outcome", "invalid_issuer")]),
        1
    );
    assert_eq!(
        recorder.counter_sum(VERIFICATIONS_TOTAL, &[]),
        9,
        "each counted once"
    );
    assert_eq!(
        recorder.counter(
            JWKS_FETCHES_TOTAL,
            &[name, ("reason", "cold"), ("outcome", "ok")]
        ),
        2
    );
    assert_eq!(recorder.gauge(JWKS_KEYS, &[name]), 3.0, "1 + 2 keys");
    // One cache for both issuers: two hits and two misses each.
    assert_eq!(recorder.counter(TOKEN_CACHE_HITS_TOTAL, &[name]), 4);
    assert_eq!(recorder.counter(TOKEN_CACHE_MISSES_TOTAL, &[name]), 4);
    let allowed = allowed_label_values(&["tenants"]);
    for value in recorder.label_values() {
        assert!(allowed.contains(&value), "unexpected label value {value:?}");
    }
}

#[tokio::test]
async fn load_balancer_keys_are_counted_as_found_or_not_found() {
    let recorder = TestRecorder::default();
    let alb = TestAlb::new("eu-west-1");
    let verifier = build_with(&recorder, || alb.verifier_builder().build()).expect("a verifier");
    let _: AlbClaims = verifier
        .verify(&alb.data().sign())
        .await
        .expect("a genuine header");
    let unknown = alb.data().header("kid", random_uuid()).sign();
    let refused = verifier.verify::<AlbClaims>(&unknown).await;
    assert_eq!(
        refused.map_err(|e| e.kind()).err(),
        Some(ErrorKind::UnknownKid)
    );

    let name = ("verifier", "alb");
    let fetches = |outcome| {
        recorder.counter(
            JWKS_FETCHES_TOTAL,
            &[name, ("reason", "unknown_kid"), ("outcome", outcome)],
        )
    };
    assert_eq!(
        (fetches("ok"), fetches("not_found"), fetches("error")),
        (1, 1, 0)
    );
    assert_eq!(
        recorder.counter(VERIFICATIONS_TOTAL, &[name, ("outcome", "ok")]),
        1
    );
    assert_eq!(
        recorder.counter(VERIFICATIONS_TOTAL, &[name, ("outcome", "unknown_kid")]),
        1
    );
    assert_eq!(recorder.gauge(JWKS_KEYS, &[name]), 1.0);
}

#[test]
fn describe_names_every_metric_with_its_unit() {
    let recorder = TestRecorder::default();
    metrics::with_local_recorder(&recorder, describe);
    let described = recorder
        .described
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    let expected = [
        (VERIFICATIONS_TOTAL, Unit::Count),
        (JWKS_FETCHES_TOTAL, Unit::Count),
        (TOKEN_CACHE_HITS_TOTAL, Unit::Count),
        (TOKEN_CACHE_MISSES_TOTAL, Unit::Count),
        (JWKS_KEYS, Unit::Count),
        (JWKS_AGE_SECONDS, Unit::Seconds),
        (REVOCATION_ENTRIES, Unit::Count),
        (REVOCATION_OVERFLOWS_TOTAL, Unit::Count),
        (REVOCATION_PROBES_TOTAL, Unit::Count),
    ];
    assert_eq!(described.len(), expected.len());
    for (name, unit) in expected {
        assert!(
            described.iter().any(|(n, u)| n == name && *u == Some(unit)),
            "{name} described with {unit:?}: {described:?}"
        );
    }
}

#[tokio::test]
async fn revocations_held_and_refused_for_want_of_room_are_counted() {
    let recorder = TestRecorder::default();
    let list = cognito_jwt_core::RevocationList::builder()
        .max_entries(2)
        .build()
        .expect("list settings");
    let verifier = ISSUER.verifier_from(
        ISSUER
            .verifier_builder(CLIENT, TokenUse::Access)
            .revocation(list.clone()),
    );
    let token = ISSUER.access_token(CLIENT).sign();
    let claims: AccessTokenClaims = verifier.verify_sync(&token).expect("valid");
    let local = metrics::set_default_local_recorder(&recorder);
    list.revoke(&claims).await.expect("room");
    list.revoke_session(ISSUER.issuer(), "another")
        .await
        .expect("room");
    assert!(
        list.revoke_session(ISSUER.issuer(), "a third")
            .await
            .is_err()
    );
    drop(local);
    assert_eq!(recorder.gauge(REVOCATION_ENTRIES, &[]), 2.0);
    assert_eq!(recorder.counter(REVOCATION_OVERFLOWS_TOTAL, &[]), 1);
    let refused = verifier
        .verify_sync::<AccessTokenClaims>(&token)
        .unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::RevocationUnavailable);
}

#[test]
fn an_empty_metrics_name_is_refused() {
    let error = CognitoJwtVerifier::builder()
        .user_pool(ISSUER.user_pool(CLIENT, TokenUse::Access))
        .metrics_name("")
        .build()
        .expect_err("an empty name");
    assert!(error.to_string().contains("metrics_name"), "{error}");
}

/// A load balancer's verifier has the engine's token cache: a repeated
/// header is served from it, counted as a hit, with the header's claims
/// (signer, client) intact when the claims are built again for another
/// type.
#[tokio::test]
async fn load_balancer_tokens_are_served_from_the_token_cache() {
    let recorder = TestRecorder::default();
    let alb = TestAlb::new("eu-west-1");
    let verifier = build_with(&recorder, || {
        alb.verifier_builder()
            .token_cache_max_bytes(1024 * 1024)
            .build()
    })
    .expect("a verifier");
    let header = alb.data().claim("sub", "user-3").sign();
    let first: serde_json::Value = verifier.verify(&header).await.expect("a genuine header");
    assert_eq!(first["sub"], "user-3");
    let again: AlbClaims = verifier.verify(&header).await.expect("a hit");
    let sync: AlbClaims = verifier.verify_sync(&header).expect("a hit");
    assert_eq!(again, sync);
    assert_eq!(
        (again.sub.as_str(), again.signer.as_str()),
        ("user-3", alb.arn())
    );
    let name = [("verifier", "alb")];
    assert_eq!(recorder.counter(TOKEN_CACHE_MISSES_TOTAL, &name), 1);
    assert_eq!(recorder.counter(TOKEN_CACHE_HITS_TOTAL, &name), 2);
    assert_eq!(alb.key_server().fetches(), 1);
    // A forged header with the same payload is not a hit.
    let forged = alb
        .data()
        .claim("sub", "user-3")
        .sign_with(&cognito_jwt_core::testing::TestCurveKey::es256("forger"));
    assert_eq!(
        verifier
            .verify::<AlbClaims>(&forged)
            .await
            .map_err(|e| e.kind())
            .err(),
        Some(ErrorKind::InvalidSignature)
    );
    assert_eq!(recorder.counter(TOKEN_CACHE_MISSES_TOTAL, &name), 2);
}
