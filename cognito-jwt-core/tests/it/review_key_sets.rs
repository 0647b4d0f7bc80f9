//! Key sets as the outside security review found them (SECURITY-CASES 43,
//! 44, 47, 50, 52): seeds with stamps no clock can hold or from the future,
//! seeded starts and new keys, keys whose `alg` narrows, start-up hints,
//! unbounded seed files, the custom check on a token-cache hit, and
//! discovered key-set URLs.
//!
//! Time-dependent tests run on paused Tokio time with in-process fetchers,
//! so every count is exact; `from_env` runs in a child process, so that
//! this test binary never changes its own environment.
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cognito_jwt_core::testing::{
    RsaPadding, ScriptedJwks, TestIssuer, TestIssuers, TestKey, TestSigningKey, b64,
};
use cognito_jwt_core::{
    AccessTokenClaims, Algorithm, CognitoJwtVerifier, CognitoJwtVerifierBuilder, ConfigError,
    ErrorKind, Issuer, JwtVerifier, KeySetOptions, TokenClaims, TokenUse, UserPool,
};

use crate::support::child_process;

const CLIENT: &str = "review-client";
const DAY: Duration = Duration::from_secs(24 * 3600);

/// `document` with a `fetched_at` field of `secs`.
fn stamped_at(document: &str, secs: u64) -> String {
    document.replacen('{', &format!("{{\"fetched_at\":{secs},"), 1)
}

fn secs_since_epoch(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_secs()
}

/// A file under the system temp directory, removed on drop.
struct TempFile(std::path::PathBuf);

impl TempFile {
    fn with(contents: &str) -> Self {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "cognito-jwt-review-seed-{}-{}.json",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::write(&path, contents).expect("a writable temp directory");
        Self(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The error building a verifier for `issuer` with `seed` applied to its
/// pool.
fn seed_error(issuer: &TestIssuer, seed: impl FnOnce(UserPool) -> UserPool) -> ConfigError {
    CognitoJwtVerifier::builder()
        .user_pool(seed(issuer.user_pool(CLIENT, TokenUse::Access)))
        .fetcher(ScriptedJwks::serving(issuer.jwks_json()))
        .build()
        .expect_err("the seed is refused")
}

/// Set in the child process; its value picks the scenario.
const CHILD_SCENARIO: &str = "COGNITO_JWT_CORE_TEST_REVIEW_SCENARIO";
const CHILD_TEST: &str = "review_key_sets::from_env_in_a_child_process";

/// Runs one scenario of [`from_env_in_a_child_process`] in a fresh process
/// with exactly the given cognito variables.
fn run_child(scenario: &str, vars: &[(&str, &str)]) {
    child_process::run_scenario(CHILD_TEST, CHILD_SCENARIO, scenario, vars);
}

/// The error of `CognitoJwtVerifier::from_env()` in the child.
fn from_env_error() -> ConfigError {
    CognitoJwtVerifier::from_env().expect_err("the environment is refused")
}

fn child(scenario: &str) {
    match scenario {
        "seed_past_any_clock" => {
            let error = from_env_error();
            assert_eq!(error.name(), Some("COGNITO_JWKS_FILE"), "{error}");
            assert!(error.to_string().contains("fetched_at"), "{error}");
        }
        "seed_from_the_future" => {
            let error = from_env_error();
            assert_eq!(error.name(), Some("COGNITO_JWKS_FILE"), "{error}");
            assert!(error.to_string().contains("in the future"), "{error}");
        }
        "misspelt_pool_variable" => {
            let pool_error = UserPool::from_env().expect_err("no pool id is set");
            for error in [pool_error, from_env_error()] {
                assert_eq!(error.name(), Some("COGNITO_USER_POOL_ID"), "{error}");
                let text = error.to_string();
                assert!(
                    text.ends_with(
                        "; AWS_COGNITO_USERPOOL_ID is set: rename it to COGNITO_USER_POOL_ID"
                    ),
                    "{text}"
                );
                assert!(!text.contains("did you mean"), "{text}");
            }
        }
        "endless_seed_file" => {
            let error = from_env_error();
            assert_eq!(error.name(), Some("COGNITO_JWKS_FILE"), "{error}");
            assert!(error.to_string().contains("larger than 64 KiB"), "{error}");
        }
        other => panic!("unknown scenario {other}"),
    }
    println!("scenario {scenario} passed");
}

/// The pool variables of [`run_child`] scenarios, with `extra`.
fn pool_vars<'a>(issuer: &'a TestIssuer, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut vars = vec![
        ("COGNITO_USER_POOL_ID", issuer.pool_id()),
        ("COGNITO_CLIENT_ID", CLIENT),
        ("COGNITO_TOKEN_USE", "access"),
    ];
    vars.extend_from_slice(extra);
    vars
}

#[test]
fn from_env_in_a_child_process() {
    if let Some(scenario) = std::env::var_os(CHILD_SCENARIO) {
        child(&scenario.to_string_lossy());
        return;
    }
    let issuer = TestIssuer::new("eu-west-1_Review1");
    let past_any_clock = TempFile::with(&stamped_at(&issuer.jwks_json(), 1 << 63));
    let path = past_any_clock.0.to_string_lossy().into_owned();
    run_child(
        "seed_past_any_clock",
        &pool_vars(&issuer, &[("COGNITO_JWKS_FILE", &path)]),
    );
    run_child(
        "misspelt_pool_variable",
        &[
            ("AWS_COGNITO_USERPOOL_ID", issuer.pool_id()),
            ("COGNITO_CLIENT_ID", CLIENT),
            ("COGNITO_TOKEN_USE", "access"),
        ],
    );
    #[cfg(unix)]
    run_child(
        "endless_seed_file",
        &pool_vars(&issuer, &[("COGNITO_JWKS_FILE", "/dev/zero")]),
    );
    let month_ahead = secs_since_epoch(SystemTime::now() + 30 * DAY);
    let from_the_future = TempFile::with(&stamped_at(&issuer.jwks_json(), month_ahead));
    let path = from_the_future.0.to_string_lossy().into_owned();
    run_child(
        "seed_from_the_future",
        &pool_vars(&issuer, &[("COGNITO_JWKS_FILE", &path)]),
    );
}

#[test]
fn a_seed_stamped_past_what_a_clock_can_hold_fails_the_build_naming_it() {
    let issuer = TestIssuer::new("eu-west-1_Review2");
    for secs in [1 << 63, u64::MAX] {
        let document = stamped_at(&issuer.jwks_json(), secs);
        let error = seed_error(&issuer, |pool| pool.jwks_seed(document.clone()));
        assert_eq!(error.name(), Some("user_pool[0].jwks_seed"), "{error}");
        assert!(error.to_string().contains("fetched_at"), "{error}");

        let file = TempFile::with(&document);
        let error = seed_error(&issuer, |pool| pool.jwks_file(&file.0));
        assert_eq!(error.name(), Some("user_pool[0].jwks_file"), "{error}");
        assert!(error.to_string().contains("fetched_at"), "{error}");
    }
    // `COGNITO_JWKS_FILE`: from_env_in_a_child_process, seed_past_any_clock.
}

#[test]
fn a_seed_stamped_in_the_future_fails_the_build_naming_it() {
    let issuer = TestIssuer::new("eu-west-1_Review3");
    // A document fetched 30 days ago, restamped 30 days ahead, would serve
    // as fresh for 60 days.
    let month_ahead = secs_since_epoch(SystemTime::now() + 30 * DAY);
    let just_too_far = secs_since_epoch(SystemTime::now() + Duration::from_secs(400));
    for secs in [month_ahead, just_too_far] {
        let document = stamped_at(&issuer.jwks_json(), secs);
        let error = seed_error(&issuer, |pool| pool.jwks_seed(document.clone()));
        assert_eq!(error.name(), Some("user_pool[0].jwks_seed"), "{error}");
        assert!(error.to_string().contains("in the future"), "{error}");

        let file = TempFile::with(&document);
        let error = seed_error(&issuer, |pool| pool.jwks_file(&file.0));
        assert_eq!(error.name(), Some("user_pool[0].jwks_file"), "{error}");
        assert!(error.to_string().contains("in the future"), "{error}");
    }
    // Clock skew within 300 s is allowed: the seed serves.
    let skewed = stamped_at(
        &issuer.jwks_json(),
        secs_since_epoch(SystemTime::now() + Duration::from_secs(200)),
    );
    let verifier = CognitoJwtVerifier::builder()
        .user_pool(issuer.user_pool(CLIENT, TokenUse::Access).jwks_seed(skewed))
        .fetcher(ScriptedJwks::serving(issuer.jwks_json()))
        .build()
        .expect("a seed 200 s ahead is within the allowed skew");
    let token = issuer.access_token(CLIENT).sign();
    verifier
        .verify_sync::<AccessTokenClaims>(&token)
        .expect("the seed serves");
    // `COGNITO_JWKS_FILE`: from_env_in_a_child_process, seed_from_the_future.
}

#[tokio::test(start_paused = true)]
async fn the_first_unknown_kid_after_a_seeded_start_fetches_at_once_and_once() {
    let mut issuer = TestIssuer::new("eu-west-1_Review4");
    let seed = stamped_at(&issuer.jwks_json(), secs_since_epoch(SystemTime::now()));
    // The pool rotated after the seed was written.
    issuer.rotate();
    let jwks = ScriptedJwks::serving(issuer.jwks_json());
    // A delayed answer keeps every caller waiting on the one fetch.
    jwks.delay(Duration::from_millis(50));
    let verifier = CognitoJwtVerifier::builder()
        .user_pool(issuer.user_pool(CLIENT, TokenUse::Access).jwks_seed(seed))
        .fetcher(jwks.clone())
        .key_set_options(KeySetOptions::default().cooldown(Duration::from_secs(60)))
        .build()
        .expect("a valid configuration");
    let token = issuer.access_token(CLIENT).sign();

    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let verifier = verifier.clone();
        let token = token.clone();
        tasks.spawn(async move { verifier.verify::<AccessTokenClaims>(&token).await });
    }
    for result in tasks.join_all().await {
        result.expect("the new key is fetched at once");
    }
    assert_eq!(jwks.fetches(), 1, "one fetch for every concurrent caller");

    // That real fetch starts the cool-down: another unknown kid waits.
    issuer.rotate();
    jwks.serve(issuer.jwks_json());
    let newer = issuer.access_token(CLIENT).sign();
    assert_eq!(
        verifier
            .verify::<AccessTokenClaims>(&newer)
            .await
            .expect_err("within the cool-down")
            .kind(),
        ErrorKind::UnknownKid
    );
    assert_eq!(jwks.fetches(), 1);
}

/// A compact JWS of `claims` signed by `key` with `padding`, whose header
/// names `padding`'s algorithm.
fn rsa_token(key: &TestKey, padding: RsaPadding, claims: &serde_json::Value) -> String {
    let header = serde_json::json!({"alg": padding.alg(), "kid": key.kid(), "typ": "JWT"});
    let input = format!("{}.{}", b64(header.to_string()), b64(claims.to_string()));
    let signature = key.sign_with(padding, input.as_bytes());
    format!("{input}.{}", b64(signature))
}

#[tokio::test(start_paused = true)]
async fn a_key_whose_alg_narrows_on_refresh_stops_serving_the_dropped_algorithm() {
    const ISSUER: &str = "https://id.review.example";
    let key = TestKey::generate("k1");
    let jwk_with = |alg: Option<&str>| {
        let mut jwk = serde_json::json!({"kty": "RSA", "kid": "k1", "use": "sig", "n": key.n(), "e": key.e()});
        if let Some(alg) = alg {
            jwk["alg"] = alg.into();
        }
        serde_json::json!({ "keys": [jwk] }).to_string()
    };
    let claims = serde_json::json!({
        "iss": ISSUER,
        "aud": "api",
        "exp": secs_since_epoch(SystemTime::now()) + 7 * 24 * 3600,
    });
    let pss = rsa_token(&key, RsaPadding::PssSha256, &claims);
    let pkcs1 = rsa_token(&key, RsaPadding::Pkcs1Sha256, &claims);
    let interval = Duration::from_secs(15 * 60);
    for token_cache in [false, true] {
        let jwks = ScriptedJwks::serving(jwk_with(None));
        let builder = JwtVerifier::builder()
            .issuer(
                Issuer::new(ISSUER)
                    .audience("api")
                    .algorithms([Algorithm::RS256, Algorithm::PS256])
                    .jwks_uri(format!("{ISSUER}/keys")),
            )
            .fetcher(jwks.clone())
            .key_set_options(KeySetOptions::default().refresh_interval(interval));
        let verifier = if token_cache {
            builder.token_cache_max_bytes(1024 * 1024)
        } else {
            builder
        }
        .build()
        .expect("a valid configuration");
        // No alg: the key serves both accepted algorithms.
        verifier
            .verify::<serde_json::Value>(&pss)
            .await
            .expect("PS256 while the key allows it");
        verifier
            .verify::<serde_json::Value>(&pkcs1)
            .await
            .expect("RS256 too");

        // The issuer pins the key to RS256; the next refresh reads it.
        jwks.serve(jwk_with(Some("RS256")));
        tokio::time::sleep(interval).await;
        assert_eq!(jwks.fetches(), 2, "one background refresh");

        let refused = verifier
            .verify::<serde_json::Value>(&pss)
            .await
            .expect_err("the key no longer serves PS256");
        assert_eq!(
            refused.kind(),
            ErrorKind::UnsupportedAlgorithm,
            "token cache {token_cache}: {refused}"
        );
        verifier
            .verify::<serde_json::Value>(&pkcs1)
            .await
            .expect("RS256 still verifies");
        assert_eq!(jwks.fetches(), 2);
    }
}

/// A seed file that never ends is read up to the cap and refused: the
/// build returns (before, it read until memory ran out).
#[cfg(unix)]
#[test]
fn an_endless_seed_file_is_refused_after_the_size_cap() {
    let issuer = TestIssuer::new("eu-west-1_Review5");
    let error = seed_error(&issuer, |pool| pool.jwks_file("/dev/zero"));
    assert_eq!(error.name(), Some("user_pool[0].jwks_file"), "{error}");
    assert!(error.to_string().contains("larger than 64 KiB"), "{error}");
    // `COGNITO_JWKS_FILE`: from_env_in_a_child_process, endless_seed_file.
}

/// Instances of [`TrackedClaims`] dropped so far: a token-cache entry
/// holds one, so an evicted entry that is freed counts here.
static TRACKED_DROPS: AtomicUsize = AtomicUsize::new(0);

#[derive(Clone, serde::Deserialize)]
struct TrackedClaims {}

impl Drop for TrackedClaims {
    fn drop(&mut self) {
        TRACKED_DROPS.fetch_add(1, Ordering::SeqCst);
    }
}

impl TokenClaims for TrackedClaims {}

/// A custom check runs on every token-cache hit; while it runs (it may
/// block on a deny-list service), entries evicted meanwhile must be freed,
/// not held beyond the cache's byte bound until it returns.
#[test]
fn entries_evicted_while_a_custom_check_runs_on_a_hit_are_freed() {
    const FILLERS: usize = 200;
    let issuer = TestIssuer::new("eu-west-1_Review6");
    let armed = Arc::new(AtomicBool::new(false));
    let this: Arc<Mutex<Option<CognitoJwtVerifier>>> = Arc::default();
    let fillers: Vec<String> = (0..FILLERS)
        .map(|i| {
            issuer
                .access_token(CLIENT)
                .group(&format!("filler-{i}"))
                .sign()
        })
        .collect();
    // Entries freed while the check of the hit ran, beyond the fillers'
    // own answers.
    let freed_during_check = Arc::new(AtomicUsize::new(usize::MAX));
    let verifier = {
        let (armed, this, freed) = (
            Arc::clone(&armed),
            Arc::clone(&this),
            Arc::clone(&freed_during_check),
        );
        let fillers = fillers.clone();
        CognitoJwtVerifier::builder()
            .user_pool(issuer.user_pool(CLIENT, TokenUse::Access))
            .fetcher(ScriptedJwks::serving(issuer.jwks_json()))
            .token_cache_max_bytes(CognitoJwtVerifierBuilder::MIN_TOKEN_CACHE_BYTES)
            .custom_check(move |_| {
                if !armed.swap(false, Ordering::SeqCst) {
                    return Ok(());
                }
                // A slow check, during which other requests fill the cache
                // many times over.
                let verifier = this.lock().unwrap().clone().expect("set after build");
                let before = TRACKED_DROPS.load(Ordering::SeqCst);
                for token in &fillers {
                    drop(
                        verifier
                            .verify_sync::<TrackedClaims>(token)
                            .expect("a filler"),
                    );
                }
                let answers = fillers.len();
                freed.store(
                    TRACKED_DROPS
                        .load(Ordering::SeqCst)
                        .saturating_sub(before + answers),
                    Ordering::SeqCst,
                );
                Ok(())
            })
            .build()
            .expect("a valid configuration")
    };
    *this.lock().unwrap() = Some(verifier.clone());
    verifier
        .cache_jwks(issuer.pool_id(), &issuer.jwks_json())
        .expect("the key set loads");

    let token = issuer.access_token(CLIENT).sign();
    drop(
        verifier
            .verify_sync::<TrackedClaims>(&token)
            .expect("verifies"),
    );
    armed.store(true, Ordering::SeqCst);
    drop(
        verifier
            .verify_sync::<TrackedClaims>(&token)
            .expect("a hit"),
    );
    assert!(!armed.load(Ordering::SeqCst), "the check ran");
    this.lock().unwrap().take();

    // Some 190 entries were evicted; the cache frees them in batches of
    // at most 32 per thread once no reader can see them.
    let freed = freed_during_check.load(Ordering::SeqCst);
    assert!(
        freed >= FILLERS / 2,
        "{freed} evicted entries freed while the check ran"
    );
}

const OIDC_ISSUER: &str = "https://id.moving.example";

fn discovery_url() -> String {
    format!("{OIDC_ISSUER}/.well-known/openid-configuration")
}

fn discovery_naming(jwks_uri: &str) -> String {
    serde_json::json!({ "issuer": OIDC_ISSUER, "jwks_uri": jwks_uri }).to_string()
}

fn key_set_of(key: &TestSigningKey) -> String {
    serde_json::json!({ "keys": [key.jwk()] }).to_string()
}

fn oidc_token(key: &TestSigningKey) -> String {
    let header =
        serde_json::json!({"alg": key.algorithm().as_str(), "kid": key.kid(), "typ": "JWT"});
    let claims = serde_json::json!({
        "iss": OIDC_ISSUER,
        "aud": "api",
        "exp": secs_since_epoch(SystemTime::now()) + 7 * 24 * 3600,
    });
    key.sign_parts(&header.to_string(), &claims.to_string())
}

fn discovering_verifier(issuers: &TestIssuers, interval: Duration) -> JwtVerifier {
    JwtVerifier::builder()
        .issuer(
            Issuer::new(OIDC_ISSUER)
                .audience("api")
                .algorithms([Algorithm::ES256])
                .discover(),
        )
        .fetcher(issuers.clone())
        .key_set_options(KeySetOptions::default().refresh_interval(interval))
        .build()
        .expect("a valid configuration")
}

#[tokio::test(start_paused = true)]
async fn a_discovered_key_set_url_is_read_again_on_the_refresh_schedule() {
    const OLD: &str = "https://id.moving.example/keys/2025";
    const NEW: &str = "https://keys.moving.example/2026/jwks.json";
    let interval = Duration::from_secs(15 * 60);
    let (old_key, new_key) = (
        TestSigningKey::generate("old", Algorithm::ES256),
        TestSigningKey::generate("new", Algorithm::ES256),
    );
    let issuers = TestIssuers::new();
    issuers.serve(discovery_url(), discovery_naming(OLD));
    issuers.serve(OLD, key_set_of(&old_key));
    let verifier = discovering_verifier(&issuers, interval);

    verifier
        .verify::<serde_json::Value>(&oidc_token(&old_key))
        .await
        .expect("the key set found by discovery");
    assert_eq!(issuers.fetches(&discovery_url()), 1);
    assert_eq!(issuers.fetches(OLD), 1);
    assert_eq!(verifier.jwks_uris().collect::<Vec<_>>(), [OLD]);

    // Within the interval, a fetch (hydrate) reuses the URL discovered.
    verifier.hydrate().await.expect("the old URL still serves");
    assert_eq!(issuers.fetches(&discovery_url()), 1, "not read again yet");
    assert_eq!(issuers.fetches(OLD), 2);

    // The issuer moves its keys; the next refresh follows.
    issuers.serve(discovery_url(), discovery_naming(NEW));
    issuers.serve(NEW, key_set_of(&new_key));
    tokio::time::sleep(interval).await;
    assert_eq!(issuers.fetches(&discovery_url()), 2, "read again once");
    assert_eq!(issuers.fetches(NEW), 1);
    assert_eq!(issuers.fetches(OLD), 2, "the old URL is left");
    assert_eq!(verifier.jwks_uris().collect::<Vec<_>>(), [NEW]);
    verifier
        .verify::<serde_json::Value>(&oidc_token(&new_key))
        .await
        .expect("a key published at the new URL");
    assert_eq!(
        verifier
            .verify::<serde_json::Value>(&oidc_token(&old_key))
            .await
            .expect_err("the old URL's key is gone")
            .kind(),
        ErrorKind::UnknownKid
    );
    assert_eq!(issuers.total_fetches(), 5, "no request-driven fetch");

    // A discovery document that cannot be read again keeps the URL.
    issuers.serve(discovery_url(), "<html>");
    tokio::time::sleep(interval).await;
    assert_eq!(issuers.fetches(&discovery_url()), 3);
    assert_eq!(issuers.fetches(NEW), 2, "refreshed from the URL it had");
    verifier
        .verify::<serde_json::Value>(&oidc_token(&new_key))
        .await
        .expect("still verifies");
}

#[tokio::test(start_paused = true)]
async fn a_discovered_key_set_url_with_control_characters_is_never_fetched() {
    let key = TestSigningKey::generate("k", Algorithm::ES256);
    for bad in [
        "https://id.moving.example/keys\u{0}",
        "https://id.moving.example/keys\u{1b}[2J",
        "https://id.moving.example/keys\u{7f}",
        "https://id.moving.example/keys\r\nX-Injected: 1",
    ] {
        let issuers = TestIssuers::new();
        issuers.serve(discovery_url(), discovery_naming(bad));
        issuers.serve(bad, key_set_of(&key));
        let verifier = discovering_verifier(&issuers, Duration::from_secs(15 * 60));
        let error = verifier
            .verify::<serde_json::Value>(&oidc_token(&key))
            .await
            .expect_err("the discovered URL is refused");
        assert_eq!(error.kind(), ErrorKind::JwksUnavailable, "{error}");
        assert_eq!(issuers.fetches(bad), 0, "{bad:?} was fetched");
        assert_eq!(issuers.total_fetches(), 1, "the discovery document only");
        let text = error.to_string();
        assert!(
            !text.contains(|c: char| c.is_control()),
            "the message echoes the document: {text:?}"
        );
    }
}
