//! Builder configuration errors, derived URLs, and `from_env` in a child
//! process (so that this test binary never changes its own environment).

use std::time::Duration;

use cognito_jwt_core::testing::TestIssuer;
use cognito_jwt_core::{
    CognitoJwtVerifier, CognitoJwtVerifierBuilder, ConfigError, ErrorKind, IdTokenClaims,
    KeySetOptions, TokenUse, UserPool,
};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::child_process;
use crate::support::fixtures::{self, CLIENT, POOL};

fn valid_pool() -> UserPool {
    UserPool::new("eu-west-1_AbC123xyz")
        .client_id(CLIENT)
        .token_use(TokenUse::Access)
}

#[track_caller]
fn build_error(builder: CognitoJwtVerifierBuilder, name: &str) -> ConfigError {
    let error = builder
        .build()
        .expect_err("the configuration should be refused");
    assert_eq!(error.name(), Some(name), "{error}");
    assert!(error.to_string().starts_with(name), "{error}");
    error
}

#[test]
fn a_verifier_needs_at_least_one_pool() {
    let error = build_error(CognitoJwtVerifier::builder(), "user_pool");
    assert!(matches!(error, ConfigError::Missing { .. }), "{error:?}");
}

#[test]
fn client_ids_and_token_use_must_be_chosen() {
    let no_client = UserPool::new("eu-west-1_AbC123xyz").token_use(TokenUse::Access);
    let error = build_error(
        CognitoJwtVerifier::builder().user_pool(no_client),
        "user_pool[0].client_id",
    );
    assert!(matches!(error, ConfigError::Missing { .. }), "{error:?}");

    let no_use = UserPool::new("eu-west-1_AbC123xyz").client_id(CLIENT);
    let error = build_error(
        CognitoJwtVerifier::builder().user_pool(no_use),
        "user_pool[0].token_use",
    );
    assert!(matches!(error, ConfigError::Missing { .. }), "{error:?}");

    // The index names the pool at fault.
    let second_without_client = UserPool::new("us-east-1_Second1").token_use(TokenUse::Id);
    build_error(
        CognitoJwtVerifier::builder()
            .user_pool(valid_pool())
            .user_pool(second_without_client),
        "user_pool[1].client_id",
    );

    for bad_client in [
        "",
        "with space",
        "tab\there",
        "\u{e9}t\u{e9}",
        &"c".repeat(129),
    ] {
        build_error(
            CognitoJwtVerifier::builder().user_pool(valid_pool().client_id(bad_client)),
            "user_pool[0].client_id",
        );
    }
}

#[test]
fn pool_ids_are_checked() {
    for good in [
        "eu-west-1_AbC123xyz",
        "us-gov-west-1_a",
        "ap-southeast-7_Z9",
        "local_5Zx7Wq2R",
        "us-east-1_0123456789abcdef0123456789abcdef",
    ] {
        let pool = UserPool::new(good)
            .client_id(CLIENT)
            .token_use(TokenUse::Id);
        CognitoJwtVerifier::builder()
            .user_pool(pool)
            .build()
            .unwrap_or_else(|e| panic!("{good}: {e}"));
    }
    for bad in [
        "",
        "eu-west-1",
        "eu-west-1_",
        "_AbC123",
        "EU-WEST-1_AbC123",
        "eu-west-1_AbC-123",
        "eu-west-1_AbC/123",
        "eu-west-1_../../x",
        "eu-west-1_AbC 123",
        "-eu-west-1_AbC",
        "eu_west_1_AbC",
        "eu-west-1_AbC123\u{e9}",
        "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123xyz",
    ] {
        let pool = UserPool::new(bad).client_id(CLIENT).token_use(TokenUse::Id);
        build_error(
            CognitoJwtVerifier::builder().user_pool(pool),
            "user_pool[0].pool_id",
        );
    }
    build_error(
        CognitoJwtVerifier::builder().user_pool(valid_pool().replica_region("EU_CENTRAL")),
        "user_pool[0].replica_region",
    );
}

#[test]
fn url_overrides_must_be_http_urls_with_a_host() {
    for bad in [
        "",
        "ftp://127.0.0.1/jwks.json",
        "not a url",
        "127.0.0.1:9229/local_abc/.well-known/jwks.json",
        "http://",
        "https:///jwks.json",
        "https://user:pass@cognito.example/jwks.json",
        "https://cognito.example/jw ks.json",
        "file:///etc/passwd",
    ] {
        build_error(
            CognitoJwtVerifier::builder().user_pool(valid_pool().jwks_uri(bad)),
            "user_pool[0].jwks_uri",
        );
        build_error(
            CognitoJwtVerifier::builder().user_pool(valid_pool().issuer(bad)),
            "user_pool[0].issuer",
        );
    }
    // Plain http is allowed because setting an override is explicit.
    CognitoJwtVerifier::builder()
        .user_pool(
            valid_pool()
                .issuer("http://127.0.0.1:9229/eu-west-1_AbC123xyz")
                .jwks_uri("http://127.0.0.1:5001/eu-west-1_AbC123xyz/.well-known/jwks.json"),
        )
        .build()
        .unwrap();
}

#[test]
fn leeway_above_five_minutes_is_refused() {
    let build = |leeway| {
        CognitoJwtVerifier::builder()
            .user_pool(valid_pool())
            .leeway(leeway)
    };
    build(Duration::from_secs(300)).build().unwrap();
    let error = build_error(build(Duration::from_secs(301)), "leeway");
    assert!(error.to_string().contains("301"), "{error}");
}

#[test]
fn timings_must_be_positive_and_consistent() {
    let base = || CognitoJwtVerifier::builder().user_pool(valid_pool());
    build_error(
        base().key_set_options(KeySetOptions::default().fetch_timeout(Duration::ZERO)),
        "key_set_options.fetch_timeout",
    );
    build_error(
        base().key_set_options(KeySetOptions::default().connect_timeout(Duration::ZERO)),
        "key_set_options.connect_timeout",
    );
    build_error(
        base().key_set_options(KeySetOptions::default().refresh_interval(Duration::ZERO)),
        "key_set_options.refresh_interval",
    );
    build_error(
        base().key_set_options(KeySetOptions::default().max_staleness(Duration::ZERO)),
        "key_set_options.max_staleness",
    );
    build_error(
        base().key_set_options(
            KeySetOptions::default()
                .refresh_interval(Duration::from_secs(3600))
                .max_staleness(Duration::from_secs(60)),
        ),
        "key_set_options.max_staleness",
    );
    build_error(
        base().key_set_options(
            KeySetOptions::default().backoff(Duration::from_secs(10), Duration::from_secs(1)),
        ),
        "key_set_options.backoff",
    );
    build_error(base().token_cache_max_bytes(0), "token_cache_max_bytes");
    // A number of tokens where bytes are meant.
    build_error(
        base().token_cache_max_bytes(10_000),
        "token_cache_max_bytes",
    );
    // A zero cool-down or back-off would void the bound on fetches caused
    // by random kids; absurd values would overflow time arithmetic.
    build_error(
        base().key_set_options(KeySetOptions::default().cooldown(Duration::ZERO)),
        "key_set_options.cooldown",
    );
    build_error(
        base().key_set_options(KeySetOptions::default().backoff(Duration::ZERO, Duration::ZERO)),
        "key_set_options.backoff",
    );
    let forever = Duration::MAX;
    build_error(
        base().key_set_options(KeySetOptions::default().cooldown(forever)),
        "key_set_options.cooldown",
    );
    build_error(
        base().key_set_options(KeySetOptions::default().fetch_timeout(forever)),
        "key_set_options.fetch_timeout",
    );
    build_error(
        base().key_set_options(KeySetOptions::default().connect_timeout(forever)),
        "key_set_options.connect_timeout",
    );
    build_error(
        base().key_set_options(KeySetOptions::default().backoff(Duration::from_secs(1), forever)),
        "key_set_options.backoff",
    );
    build_error(
        base().key_set_options(
            KeySetOptions::default()
                .refresh_interval(forever)
                .max_staleness(forever),
        ),
        "key_set_options.refresh_interval",
    );
    // Used to panic inside the cache (a time-to-live assertion).
    build_error(
        base().key_set_options(KeySetOptions::default().max_staleness(forever)),
        "key_set_options.max_staleness",
    );
    base()
        .key_set_options(
            KeySetOptions::default()
                .cooldown(Duration::from_millis(100))
                .backoff(Duration::from_millis(10), Duration::from_secs(3600))
                .refresh_interval(Duration::from_secs(60))
                .max_staleness(Duration::from_secs(60)),
        )
        .token_cache_max_bytes(CognitoJwtVerifierBuilder::MIN_TOKEN_CACHE_BYTES)
        .build()
        .unwrap();
    base()
        .key_set_options(
            KeySetOptions::default()
                .refresh_interval(Duration::from_secs(7 * 24 * 3600))
                .max_staleness(Duration::from_secs(30 * 24 * 3600))
                .fetch_timeout(Duration::from_secs(300)),
        )
        .build()
        .unwrap();
}

#[test]
fn an_issuer_configured_twice_is_refused() {
    build_error(
        CognitoJwtVerifier::builder()
            .user_pool(valid_pool())
            .user_pool(
                UserPool::new("eu-west-1_AbC123xyz")
                    .client_id("another-client")
                    .token_use(TokenUse::Id),
            ),
        "user_pool[1]",
    );
    // Also when an override spells another pool's issuer.
    build_error(
        CognitoJwtVerifier::builder()
            .user_pool(valid_pool())
            .user_pool(
                UserPool::new("local_5Zx7Wq2R")
                    .client_id(CLIENT)
                    .token_use(TokenUse::Id)
                    .issuer("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123xyz"),
            ),
        "user_pool[1]",
    );
    // Or when a replica region of one pool is the home region of the same pool.
    build_error(
        CognitoJwtVerifier::builder().user_pool(valid_pool().replica_region("eu-west-1")),
        "user_pool[0]",
    );
}

#[test]
fn error_text_escapes_and_bounds_the_bad_value() {
    let injected = format!(
        "eu-west-1_x\nlevel=ERROR forged log line{}",
        "y".repeat(500)
    );
    let pool = UserPool::new(injected)
        .client_id(CLIENT)
        .token_use(TokenUse::Id);
    let error = build_error(
        CognitoJwtVerifier::builder().user_pool(pool),
        "user_pool[0].pool_id",
    );
    let text = error.to_string();
    assert!(!text.contains('\n'), "{text}");
    assert!(!text.contains(&"y".repeat(100)), "{text}");
    assert!(text.len() < 400, "{text}");
}

#[test]
fn urls_are_derived_from_the_pool_id() {
    let verifier = CognitoJwtVerifier::builder()
        .user_pool(valid_pool())
        .user_pool(
            UserPool::new("local_5Zx7Wq2R")
                .client_id(CLIENT)
                .token_use(TokenUse::Id)
                .issuer("http://127.0.0.1:9229/local_5Zx7Wq2R"),
        )
        .user_pool(
            UserPool::new("us-east-1_0123456789abcdef0123456789abcdef")
                .client_id(CLIENT)
                .token_use(TokenUse::Id)
                .jwks_uri("http://127.0.0.1:5001/us-east-1_0123456789abcdef0123456789abcdef/.well-known/jwks.json"),
        )
        .build()
        .unwrap();
    assert_eq!(
        verifier.jwks_uris().collect::<Vec<_>>(),
        [
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123xyz/.well-known/jwks.json",
            "http://127.0.0.1:9229/local_5Zx7Wq2R/.well-known/jwks.json",
            "http://127.0.0.1:5001/us-east-1_0123456789abcdef0123456789abcdef/.well-known/jwks.json",
        ]
    );
    // Pools sharing a key-set URL share one cache entry.
    let shared = "http://127.0.0.1:5001/shared/.well-known/jwks.json";
    let verifier = CognitoJwtVerifier::builder()
        .user_pool(valid_pool().jwks_uri(shared))
        .user_pool(
            UserPool::new("us-east-1_Second1")
                .client_id(CLIENT)
                .token_use(TokenUse::Id)
                .jwks_uri(shared),
        )
        .build()
        .unwrap();
    assert_eq!(verifier.jwks_uris().collect::<Vec<_>>(), [shared]);
}

#[tokio::test]
async fn build_does_no_network_io() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_string(POOL.jwks_json()))
        .expect(0)
        .mount(&server)
        .await;
    let verifier = CognitoJwtVerifier::builder()
        .user_pool(fixtures::pool(TokenUse::Access).jwks_uri(format!("{}/jwks.json", server.uri())))
        .build()
        .unwrap();
    let _clone = verifier.clone();
    // Debug output names the configuration, never key material.
    let debug = format!("{verifier:?}");
    assert!(debug.contains(POOL.issuer()), "{debug}");
    assert!(!debug.contains(&POOL.key().n()[..32]), "{debug}");
    server.verify().await;
}

#[test]
fn cache_jwks_needs_a_configured_pool_id() {
    let verifier = fixtures::verifier(TokenUse::Access);
    let error = verifier
        .cache_jwks("eu-west-1_Unknown1", &POOL.jwks_json())
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidIssuer, "{error}");
    assert_eq!(
        verifier.cache_jwks(POOL.pool_id(), &POOL.jwks_json()),
        Ok(1)
    );
}

#[test]

fn cache_jwks_finds_a_pool_whose_overrides_do_not_contain_its_id() {
    let issuer = TestIssuer::new("eu-west-1_Custom01").with_issuer("https://auth.example.com");
    let verifier = CognitoJwtVerifier::builder()
        .user_pool(
            UserPool::new("eu-west-1_Custom01")
                .client_id(CLIENT)
                .token_use(TokenUse::Id)
                .issuer("https://auth.example.com")
                .jwks_uri("https://auth.example.com/keys"),
        )
        .build()
        .unwrap();
    assert_eq!(
        verifier.cache_jwks("eu-west-1_Custom01", &issuer.jwks_json()),
        Ok(1)
    );
    let token = issuer.id_token(CLIENT).sign();
    verifier.verify_sync::<IdTokenClaims>(&token).unwrap();
}

/// Set in the child process; its value picks the scenario.
const CHILD_SCENARIO: &str = "COGNITO_JWT_CORE_TEST_FROM_ENV_SCENARIO";
const CHILD_TEST: &str = "configuration::from_env_in_a_child_process";

/// Runs one scenario of [`from_env_in_a_child_process`] in a fresh process
/// with exactly the given cognito variables, and returns its output.
fn run_child(scenario: &str, vars: &[(&str, &str)]) -> String {
    child_process::run_scenario(CHILD_TEST, CHILD_SCENARIO, scenario, vars)
}

fn child(scenario: &str) {
    match scenario {
        "misspelt" => {
            let pool_error = UserPool::from_env().expect_err("no pool id is set");
            let verifier_error = CognitoJwtVerifier::from_env().expect_err("no pool id is set");
            for error in [pool_error, verifier_error] {
                assert_eq!(error.name(), Some("COGNITO_USER_POOL_ID"), "{error}");
                assert!(matches!(error, ConfigError::Missing { .. }), "{error:?}");
                let text = error.to_string();
                assert!(
                    text.contains(
                        "AWS_COGNITO_USERPOOL_ID is set: rename it to COGNITO_USER_POOL_ID"
                    ),
                    "{text}"
                );
                // What `main() -> Result<(), Box<dyn Error>>` prints after
                // `?`: the message, not a struct.
                let boxed: Box<dyn std::error::Error> = Box::new(error);
                assert_eq!(format!("{boxed:?}"), text);
                assert!(
                    text.starts_with("COGNITO_USER_POOL_ID is not set: "),
                    "{text}"
                );
            }
        }
        "unrelated" => {
            let error = CognitoJwtVerifier::from_env().expect_err("the environment is refused");
            assert_eq!(error.name(), Some("COGNITO_USER_POOL_ID"), "{error}");
            assert!(!error.to_string().contains("rename"), "{error}");
        }
        "invalid" => {
            let error = CognitoJwtVerifier::from_env().expect_err("the environment is refused");
            assert_eq!(error.name(), Some("COGNITO_TOKEN_USE"), "{error}");
        }
        "complete" => {
            let verifier = CognitoJwtVerifier::from_env().expect("a complete environment");
            assert_eq!(
                verifier.jwks_uris().collect::<Vec<_>>(),
                ["http://127.0.0.1:9/local_5Zx7Wq2R/.well-known/jwks.json"]
            );
            let issuer = TestIssuer::new("local_5Zx7Wq2R")
                .with_issuer("http://127.0.0.1:9229/local_5Zx7Wq2R");
            verifier
                .cache_jwks("local_5Zx7Wq2R", &issuer.jwks_json())
                .expect("the key set loads");
            for client in ["web", "mobile"] {
                let token = issuer.id_token(client).sign();
                verifier
                    .verify_sync::<IdTokenClaims>(&token)
                    .expect("the token verifies");
            }
            let other = issuer.id_token("tv").sign();
            assert_eq!(
                verifier
                    .verify_sync::<IdTokenClaims>(&other)
                    .expect_err("another client is refused")
                    .kind(),
                ErrorKind::InvalidAudience
            );
        }
        other => panic!("unknown scenario {other}"),
    }
    println!("scenario {scenario} passed");
}

#[test]
fn from_env_in_a_child_process() {
    if let Some(scenario) = std::env::var_os(CHILD_SCENARIO) {
        child(&scenario.to_string_lossy());
        return;
    }
    run_child(
        "misspelt",
        &[
            ("AWS_COGNITO_USERPOOL_ID", "eu-west-1_AbC123xyz"),
            ("COGNITO_CLIENT_ID", CLIENT),
        ],
    );
    run_child("unrelated", &[("COGNITO_CLIENT_ID", CLIENT)]);
    run_child(
        "invalid",
        &[
            ("COGNITO_USER_POOL_ID", "eu-west-1_AbC123xyz"),
            ("COGNITO_CLIENT_ID", CLIENT),
            ("COGNITO_TOKEN_USE", "refresh"),
        ],
    );
    run_child(
        "complete",
        &[
            ("COGNITO_USER_POOL_ID", "local_5Zx7Wq2R"),
            ("COGNITO_CLIENT_ID", "web, mobile"),
            ("COGNITO_TOKEN_USE", "id"),
            (
                "COGNITO_JWKS_URI",
                "http://127.0.0.1:9/local_5Zx7Wq2R/.well-known/jwks.json",
            ),
            ("COGNITO_ISSUER", "http://127.0.0.1:9229/local_5Zx7Wq2R"),
        ],
    );
}
