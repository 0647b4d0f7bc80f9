//! The key-set cache against a local key-set server (SECURITY-CASES C 19–22
//! and 24–29): single flight, rotation, cool-down, refresh, stale keys while
//! the endpoint fails, bad documents and bad entries, and the start-up and
//! offline entry points.

use std::sync::Arc;
use std::time::Duration;

use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cognito_jwt_core::testing::{TestKey, b64};
use cognito_jwt_core::{AccessTokenClaims, CognitoJwtVerifier, ErrorKind, TokenUse, UserPool};
use serde_json::{Value, json};
use tokio::task::JoinSet;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::key_server::*;

/// `key`'s JWK under another kid, with extra or replaced members.
fn jwk_as(key: &TestKey, kid: &str, changes: &[(&str, Value)]) -> Value {
    let mut jwk = key.jwk();
    jwk["kid"] = kid.into();
    for (name, value) in changes {
        jwk[*name] = value.clone();
    }
    jwk
}

/// A token for [`POOL`] naming `kid`, validly signed by `key`.
fn token_as(key: &TestKey, kid: &str) -> String {
    ISSUER
        .access_token(CLIENT)
        .header("kid", kid)
        .sign_with(key)
}

/// An RSA JWK whose modulus is an odd random number of exactly `bits` bits.
fn jwk_with_modulus_bits(kid: &str, bits: usize) -> Value {
    let mut n = vec![0u8; bits.div_ceil(8)];
    SystemRandom::new().fill(&mut n).expect("random bytes");
    let top_bits = bits - (n.len() - 1) * 8;
    n[0] &= u8::MAX >> (8 - top_bits);
    n[0] |= 1 << (top_bits - 1);
    *n.last_mut().expect("non-empty") |= 1;
    json!({"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256", "n": b64(&n), "e": "AQAB"})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousand_concurrent_verifications_on_a_cold_cache_fetch_once() {
    let server = MockServer::start().await;
    let _jwks = serve(&server, json_response(ISSUER.jwks_json()), 1).await;
    let verifier = builder(&server.uri()).build().unwrap();
    let tokens: Arc<Vec<String>> = Arc::new((0..8).map(|_| token()).collect());

    let mut tasks = JoinSet::new();
    for i in 0..1000 {
        let verifier = verifier.clone();
        let tokens = Arc::clone(&tokens);
        tasks.spawn(async move { verify(&verifier, &tokens[i % tokens.len()]).await });
    }
    let results = tokio::time::timeout(HANG_GUARD, tasks.join_all())
        .await
        .expect("all verifications finish");
    assert_eq!(results.len(), 1000);
    for result in results {
        let claims = result.expect("every concurrent caller gets the fetched key");
        assert_eq!(claims.client_id(), CLIENT);
    }
}

/// A fetcher that answers after a short delay, so that callers keep
/// arriving while a cold fetch completes.
struct SlowJwks(String);

impl cognito_jwt_core::JwksFetcher for SlowJwks {
    fn fetch<'a>(&'a self, _url: &'a str) -> cognito_jwt_core::FetchFuture<'a> {
        Box::pin(async move {
            tokio::time::sleep(Duration::from_millis(2)).await;
            Ok(self.0.as_bytes().to_vec())
        })
    }
}

/// Callers that arrive while a cold fetch stores its set and starts the
/// cool-down must get the fetched key, never a 503. The race this guards
/// against showed up about once per 40,000 cold verifications (`scaling`
/// bench); 40 rounds of 1,000 catch it often, not always.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_arriving_as_a_cold_fetch_completes_are_never_refused() {
    let token: Arc<str> = token().into();
    for round in 0..40 {
        let verifier = CognitoJwtVerifier::builder()
            .user_pool(ISSUER.user_pool(CLIENT, TokenUse::Access))
            .fetcher(SlowJwks(ISSUER.jwks_json()))
            .build()
            .unwrap();
        let mut tasks = JoinSet::new();
        for _ in 0..1000 {
            let verifier = verifier.clone();
            let token = Arc::clone(&token);
            tasks.spawn(async move { verifier.verify::<AccessTokenClaims>(&token).await });
        }
        let results = tokio::time::timeout(HANG_GUARD, tasks.join_all())
            .await
            .expect("all verifications finish");
        for result in &results {
            if let Err(e) = result {
                panic!("round {round}: a caller was refused: {:?} ({e})", e.kind());
            }
        }
    }
}

#[tokio::test]
async fn new_kid_after_the_cooldown_refetches_once_and_verifies() {
    let server = MockServer::start().await;
    let verifier = builder(&server.uri())
        .key_set_options(quiet_key_sets().cooldown(Duration::from_millis(300)))
        .build()
        .unwrap();
    {
        let _old = serve(&server, json_response(jwks(&[ISSUER.key()])), 1).await;
        verify(&verifier, &token()).await.unwrap();
    }
    let _rotated = serve(&server, json_response(jwks(&[ISSUER.key(), &KEY_B])), 1).await;
    tokio::time::sleep(Duration::from_millis(400)).await;

    verify(&verifier, &token_signed_by(&KEY_B))
        .await
        .expect("the new key is fetched and used");
    verify(&verifier, &token())
        .await
        .expect("the old key stays");
    // The refetch started a new cool-down: another unknown kid right away
    // is refused without a request.
    assert_eq!(
        kind_of(verify(&verifier, &token_signed_by(&KEY_C)).await),
        ErrorKind::UnknownKid
    );
}

#[tokio::test]
async fn unknown_kid_within_the_cooldown_does_not_refetch() {
    let server = MockServer::start().await;
    // Publishes the new key too: a refetch would make it verify.
    let _jwks = serve(&server, json_response(ISSUER.jwks_json()), 1).await;
    let verifier = builder(&server.uri()).build().unwrap();
    verify(&verifier, &token()).await.unwrap();

    let _rotated = serve(&server, json_response(jwks(&[ISSUER.key(), &KEY_B])), 0).await;
    for _ in 0..5 {
        assert_eq!(
            kind_of(verify(&verifier, &token_signed_by(&KEY_B)).await),
            ErrorKind::UnknownKid
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_kid_flood_within_the_cooldown_makes_no_request_and_known_kids_verify() {
    let server = MockServer::start().await;
    let _jwks = serve(&server, json_response(ISSUER.jwks_json()), 1).await;
    let verifier = builder(&server.uri()).build().unwrap();
    let known = Arc::new(token());
    verify(&verifier, &known).await.unwrap();

    let forger = Arc::new(KidForger::new());
    let mut tasks = JoinSet::new();
    for _ in 0..16 {
        let (verifier, forger, known) = (verifier.clone(), Arc::clone(&forger), Arc::clone(&known));
        tasks.spawn(async move {
            for i in 0..625 {
                let kind = kind_of(verify(&verifier, &forger.with_random_kid()).await);
                assert_eq!(kind, ErrorKind::UnknownKid);
                if i % 25 == 0 {
                    verify(&verifier, &known).await.expect("known kid verifies");
                }
            }
        });
    }
    tokio::time::timeout(Duration::from_secs(60), tasks.join_all())
        .await
        .expect("the flood finishes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_kid_flood_on_a_cold_cache_fetches_once() {
    let server = MockServer::start().await;
    let _jwks = serve(&server, json_response(ISSUER.jwks_json()), 1).await;
    let verifier = builder(&server.uri()).build().unwrap();
    let forger = Arc::new(KidForger::new());

    let mut tasks = JoinSet::new();
    for _ in 0..1000 {
        let (verifier, forger) = (verifier.clone(), Arc::clone(&forger));
        tasks.spawn(async move { kind_of(verify(&verifier, &forger.with_random_kid()).await) });
    }
    let kinds = tokio::time::timeout(HANG_GUARD, tasks.join_all())
        .await
        .expect("all verifications finish");
    assert!(
        kinds.iter().all(|k| *k == ErrorKind::UnknownKid),
        "{kinds:?}"
    );
    verify(&verifier, &token()).await.unwrap();
}

#[tokio::test]
async fn cached_keys_keep_verifying_while_refreshes_fail() {
    let server = MockServer::start().await;
    let verifier = builder(&server.uri())
        .key_set_options(
            quiet_key_sets()
                .cooldown(Duration::from_millis(100))
                .refresh_interval(Duration::from_millis(300))
                .backoff(Duration::from_secs(30), Duration::from_secs(60)),
        )
        .build()
        .unwrap();
    {
        let _good = serve(&server, json_response(ISSUER.jwks_json()), 1).await;
        verify(&verifier, &token()).await.unwrap();
    }
    // One refresh attempt, then the back-off holds further attempts.
    let _failing = serve(&server, ResponseTemplate::new(500), 1).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    for _ in 0..5 {
        verify(&verifier, &token())
            .await
            .expect("the cached key still verifies");
    }
}

/// Bodies that are not a usable key set.
fn unusable_documents() -> Vec<(&'static str, String)> {
    vec![
        (
            "html",
            "<!doctype html><html><body>Sign in</body></html>".to_owned(),
        ),
        ("keys is an object", r#"{"keys":{}}"#.to_owned()),
        ("empty body", String::new()),
        ("empty key list", r#"{"keys":[]}"#.to_owned()),
        ("a bare array", "[]".to_owned()),
        ("truncated JSON", ISSUER.jwks_json()[..40].to_owned()),
        (
            "only unusable keys",
            jwks_of(vec![
                jwk_as(&KEY_B, "enc", &[("use", "enc".into())]),
                json!({"kty": "oct", "kid": "oct", "k": b64("secret")}),
                jwk_with_modulus_bits("weak", 1024),
            ]),
        ),
    ]
}

#[tokio::test]
async fn unusable_documents_fail_a_cold_fetch() {
    for (what, body) in unusable_documents() {
        let server = MockServer::start().await;
        let _jwks = serve(&server, json_response(body), 1).await;
        let verifier = builder(&server.uri()).build().unwrap();
        assert_eq!(
            kind_of(verify(&verifier, &token()).await),
            ErrorKind::JwksUnavailable,
            "{what}"
        );
        // Backed off: no second request.
        assert_unavailable(verify(&verifier, &token()).await);
    }
}

#[tokio::test]
async fn unusable_refresh_keeps_the_last_good_set() {
    let mut tasks = JoinSet::new();
    for (what, body) in unusable_documents() {
        tasks.spawn(async move {
            let server = MockServer::start().await;
            let verifier = builder(&server.uri())
                .key_set_options(
                    quiet_key_sets()
                        .cooldown(Duration::from_millis(100))
                        .refresh_interval(Duration::from_millis(300)),
                )
                .build()
                .unwrap();
            {
                let _good = serve(&server, json_response(ISSUER.jwks_json()), 1).await;
                verify(&verifier, &token()).await.unwrap();
            }
            let _bad = serve(&server, json_response(body), 1).await;
            tokio::time::sleep(Duration::from_millis(400)).await;
            for _ in 0..3 {
                assert!(
                    verify(&verifier, &token()).await.is_ok(),
                    "the last good set is kept after a refresh returning {what}"
                );
            }
        });
    }
    tokio::time::timeout(HANG_GUARD, tasks.join_all())
        .await
        .expect("all cases finish");
}

#[tokio::test]
async fn mixed_set_uses_only_the_good_key() {
    let mut random = [0u8; 64];
    SystemRandom::new().fill(&mut random).expect("random bytes");
    let entries = vec![
        json!({"kty": "EC", "crv": "P-256", "kid": "ec", "use": "sig", "alg": "ES256",
               "x": b64(&random[..32]), "y": b64(&random[32..])}),
        json!({"kty": "OKP", "crv": "Ed25519", "kid": "okp", "use": "sig", "x": b64(&random[..32])}),
        json!({"kty": "RSA", "kid": "no-n", "use": "sig", "alg": "RS256", "e": "AQAB"}),
        json!({"kty": "oct", "kid": "oct", "k": b64("a shared secret")}),
        json!("not an object"),
        json!(null),
        jwk_as(&KEY_B, "unknown-alg", &[("alg", "RS999".into())]),
        jwk_as(&KEY_B, "rs512", &[("alg", "RS512".into())]),
        jwk_as(&KEY_B, "ps256", &[("alg", "PS256".into())]),
        jwk_as(&KEY_B, "enc", &[("use", "enc".into())]),
        jwk_as(&KEY_B, "ops-encrypt", &[("key_ops", json!(["encrypt"]))]),
        jwk_as(&KEY_B, "n-not-base64", &[("n", "!!not base64!!".into())]),
        jwk_as(&KEY_B, "", &[]),
        ISSUER.key().jwk(),
    ];
    let document = jwks_of(entries);
    let server = MockServer::start().await;
    let _jwks = serve(&server, json_response(document.clone()), 1).await;
    let verifier = builder(&server.uri()).build().unwrap();

    verify(&verifier, &token())
        .await
        .expect("the good key works");
    // The excluded RSA entries hold KEY_B's real public key, so each of these
    // tokens would verify if its entry were used.
    for kid in [
        "ec",
        "okp",
        "no-n",
        "oct",
        "unknown-alg",
        "rs512",
        "ps256",
        "enc",
        "ops-encrypt",
        "n-not-base64",
    ] {
        assert_eq!(
            kind_of(verify(&verifier, &token_as(&KEY_B, kid)).await),
            ErrorKind::UnknownKid,
            "kid {kid}"
        );
    }
    assert_eq!(verifier.cache_jwks(POOL, &document).unwrap(), 1);
}

#[tokio::test]
async fn oct_key_sharing_the_rsa_keys_kid_is_ignored() {
    let kid = ISSUER.key().kid();
    let entries = vec![
        json!({"kty": "oct", "kid": kid, "k": b64(ISSUER.key().public_der())}),
        ISSUER.key().jwk(),
        json!({"kty": "EC", "crv": "P-256", "kid": kid, "x": b64([1; 32]), "y": b64([2; 32])}),
    ];
    let server = MockServer::start().await;
    let _jwks = serve(&server, json_response(jwks_of(entries)), 1).await;
    let verifier = builder(&server.uri()).build().unwrap();

    verify(&verifier, &token())
        .await
        .expect("entries that are not RSA keys do not make the kid ambiguous");
    // The oct entry is never an HMAC key.
    let (header, payload) = ISSUER.access_token(CLIENT).header("alg", "HS256").json();
    let hs256 = format!("{}.{}.{}", b64(header), b64(payload), b64([0u8; 32]));
    assert_eq!(
        kind_of(verify(&verifier, &hs256).await),
        ErrorKind::UnsupportedAlgorithm
    );
}

#[tokio::test]
async fn a_kid_named_by_two_keys_is_not_used_while_other_kids_work() {
    let document = jwks_of(vec![
        jwk_as(&KEY_B, "dup", &[]),
        jwk_as(&KEY_C, "dup", &[]),
        jwk_as(&KEY_B, "twice", &[]),
        jwk_as(&KEY_B, "twice", &[]),
        ISSUER.key().jwk(),
    ]);
    let server = MockServer::start().await;
    let _jwks = serve(&server, json_response(document.clone()), 1).await;
    let verifier = builder(&server.uri()).build().unwrap();

    verify(&verifier, &token())
        .await
        .expect("the unique kid works");
    for (key, kid) in [(&*KEY_B, "dup"), (&*KEY_C, "dup"), (&*KEY_B, "twice")] {
        assert_eq!(
            kind_of(verify(&verifier, &token_as(key, kid)).await),
            ErrorKind::UnknownKid,
            "{kid} signed by {}",
            key.kid()
        );
    }
    assert_eq!(verifier.cache_jwks(POOL, &document).unwrap(), 1);
}

#[tokio::test]
async fn a_set_of_only_duplicate_kids_is_a_failed_fetch() {
    let server = MockServer::start().await;
    let document = jwks_of(vec![jwk_as(&KEY_B, "dup", &[]), jwk_as(&KEY_C, "dup", &[])]);
    let _jwks = serve(&server, json_response(document), 1).await;
    let verifier = builder(&server.uri()).build().unwrap();
    assert_unavailable(verify(&verifier, &token_as(&KEY_B, "dup")).await);
}

#[tokio::test]
async fn duplicate_kid_outcome_does_not_depend_on_entry_order() {
    let good = jwk_as(&KEY_B, "dup", &[]);
    let weak = jwk_with_modulus_bits("dup", 1024);
    let token = token_as(&KEY_B, "dup");
    let mut outcomes = Vec::new();
    for entries in [vec![good.clone(), weak.clone()], vec![weak, good]] {
        let verifier = ISSUER.verifier(CLIENT, TokenUse::Access);
        let mut entries = entries;
        entries.push(ISSUER.key().jwk());
        verifier.cache_jwks(POOL, &jwks_of(entries)).unwrap();
        let outcome = verifier.verify_sync::<AccessTokenClaims>(&token);
        outcomes.push(outcome.map(|_| ()).map_err(|e| e.kind()));
    }
    assert_eq!(outcomes[0], outcomes[1], "[good, weak] vs [weak, good]");
}

#[tokio::test]
async fn rsa_keys_outside_the_size_and_exponent_bounds_are_excluded() {
    let forger = KidForger::new();
    // With e = 1 the "signature" is the padded digest itself; a verifier
    // using this key would accept it.
    let e_one_token = {
        let header = json!({"alg": "RS256", "kid": "e-1"}).to_string();
        let (_, payload) = ISSUER.access_token(CLIENT).json();
        let input = format!("{}.{}", b64(header), b64(payload));
        let mut encoded = vec![0x00, 0x01];
        encoded.resize(256 - 3 - 19 - 32 + 2, 0xFF);
        encoded.push(0x00);
        encoded.extend_from_slice(&[
            0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
            0x01, 0x05, 0x00, 0x04, 0x20,
        ]);
        encoded.extend_from_slice(digest(&SHA256, input.as_bytes()).as_ref());
        assert_eq!(encoded.len(), 256);
        format!("{input}.{}", b64(encoded))
    };
    let entries = vec![
        jwk_with_modulus_bits("rsa-1024", 1024),
        jwk_with_modulus_bits("rsa-1536", 1536),
        jwk_with_modulus_bits("rsa-2047", 2047),
        jwk_with_modulus_bits("rsa-8193", 8193),
        jwk_with_modulus_bits("rsa-16384", 16384),
        jwk_as(&KEY_B, "e-1", &[("e", "AQ".into())]),
        jwk_as(&KEY_B, "e-3", &[("e", "Aw".into())]),
        jwk_as(&KEY_B, "e-even", &[("e", "AQAC".into())]),
        jwk_as(&KEY_B, "e-too-long", &[("e", "AQAAAAE".into())]),
        jwk_as(&KEY_B, "e-empty", &[("e", "".into())]),
        ISSUER.key().jwk(),
    ];
    let server = MockServer::start().await;
    let _jwks = serve(&server, json_response(jwks_of(entries)), 1).await;
    let verifier = builder(&server.uri()).build().unwrap();

    verify(&verifier, &token())
        .await
        .expect("the good key works");
    assert_eq!(
        kind_of(verify(&verifier, &e_one_token).await),
        ErrorKind::UnknownKid
    );
    for kid in ["rsa-1024", "rsa-1536", "rsa-2047", "rsa-8193", "rsa-16384"] {
        assert_eq!(
            kind_of(verify(&verifier, &forger.with_kid(kid)).await),
            ErrorKind::UnknownKid,
            "{kid}"
        );
    }
    for kid in ["e-3", "e-even", "e-too-long", "e-empty"] {
        assert_eq!(
            kind_of(verify(&verifier, &token_as(&KEY_B, kid)).await),
            ErrorKind::UnknownKid,
            "{kid}"
        );
    }
}

#[tokio::test]
async fn modulus_and_exponent_with_leading_zero_bytes_are_accepted() {
    let n = URL_SAFE_NO_PAD.decode(KEY_B.n()).unwrap();
    let padded_n = b64([&[0u8][..], &n].concat());
    let document = jwks_of(vec![jwk_as(
        &KEY_B,
        KEY_B.kid(),
        &[("n", padded_n.into()), ("e", "AAEAAQ".into())],
    )]);
    let server = MockServer::start().await;
    let _jwks = serve(&server, json_response(document), 1).await;
    let verifier = builder(&server.uri()).build().unwrap();
    verify(&verifier, &token_signed_by(&KEY_B)).await.unwrap();
}

#[tokio::test]
async fn empty_or_zero_modulus_is_skipped_without_panic() {
    for n in ["", "AA", "AAAA"] {
        let document = jwks_of(vec![
            json!({"kty": "RSA", "kid": "zero", "use": "sig", "alg": "RS256", "n": n, "e": "AQAB"}),
            ISSUER.key().jwk(),
        ]);
        let verifier = ISSUER.verifier(CLIENT, TokenUse::Access);
        assert_eq!(
            verifier.cache_jwks(POOL, &document).unwrap(),
            1,
            "n = {n:?}"
        );
    }
}

#[tokio::test]
async fn hydrate_fetches_each_key_set_once() {
    const OTHER_POOL: &str = "eu-west-1_JwksTests2";
    let server = MockServer::start().await;
    let _first = serve(&server, json_response(ISSUER.jwks_json()), 1).await;
    let other_path = format!("/{OTHER_POOL}/.well-known/jwks.json");
    let _second = Mock::given(method("GET"))
        .and(path(other_path.clone()))
        .respond_with(json_response(jwks(&[&KEY_B])))
        .expect(1)
        .mount_as_scoped(&server)
        .await;
    let verifier = builder(&server.uri())
        .user_pool(
            UserPool::new(OTHER_POOL)
                .client_id(CLIENT)
                .token_use(TokenUse::Access)
                .jwks_uri(format!("{}{other_path}", server.uri())),
        )
        .build()
        .unwrap();

    verifier.hydrate().await.expect("both key sets load");
    let other = ISSUER
        .access_token(CLIENT)
        .claim(
            "iss",
            format!("https://cognito-idp.eu-west-1.amazonaws.com/{OTHER_POOL}"),
        )
        .header("kid", KEY_B.kid())
        .sign_with(&KEY_B);
    for token in [token(), other] {
        verifier
            .verify_sync::<AccessTokenClaims>(&token)
            .expect("hydrated keys serve verify_sync");
        verify(&verifier, &token).await.unwrap();
    }
}

#[tokio::test]
async fn hydrate_reports_an_unavailable_key_set() {
    let server = MockServer::start().await;
    let _jwks = serve(&server, ResponseTemplate::new(500), 1).await;
    let verifier = builder(&server.uri()).build().unwrap();
    let error = verifier.hydrate().await.expect_err("the fetch fails");
    assert_eq!(error.kind(), ErrorKind::JwksUnavailable);
    assert!(error.retry_after().is_some());
}

#[tokio::test]
async fn cache_jwks_loads_a_key_set_without_a_request() {
    let server = MockServer::start().await;
    let _jwks = serve(&server, json_response(ISSUER.jwks_json()), 0).await;
    let verifier = builder(&server.uri()).build().unwrap();

    assert_eq!(verifier.cache_jwks(POOL, &ISSUER.jwks_json()).unwrap(), 1);
    verifier
        .verify_sync::<AccessTokenClaims>(&token())
        .expect("verify_sync uses the loaded set");
    verify(&verifier, &token()).await.expect("so does verify");

    let error = verifier.cache_jwks(POOL, r#"{"keys":[]}"#).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::JwksUnavailable);
    verify(&verifier, &token())
        .await
        .expect("a rejected document leaves the loaded set in place");
    let error = verifier
        .cache_jwks("eu-west-1_NotConfigured", &ISSUER.jwks_json())
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidIssuer);
}

#[tokio::test]
async fn verify_sync_on_a_cold_cache_makes_no_request() {
    let server = MockServer::start().await;
    let _jwks = serve(&server, json_response(ISSUER.jwks_json()), 0).await;
    let verifier = builder(&server.uri()).build().unwrap();
    let error = verifier
        .verify_sync::<AccessTokenClaims>(&token())
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::JwksNotCached);
    assert_eq!(
        error.kind().http_class(),
        ErrorKind::JwksUnavailable.http_class()
    );
}

#[tokio::test]
async fn verify_sync_serves_keys_fetched_by_verify() {
    let server = MockServer::start().await;
    let _jwks = serve(&server, json_response(ISSUER.jwks_json()), 1).await;
    let verifier = builder(&server.uri()).build().unwrap();
    verify(&verifier, &token()).await.unwrap();
    verifier.verify_sync::<AccessTokenClaims>(&token()).unwrap();
    assert_eq!(
        kind_of(verifier.verify_sync::<AccessTokenClaims>(&token_signed_by(&KEY_B))),
        ErrorKind::UnknownKid
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clones_share_one_cache() {
    let server = MockServer::start().await;
    let _jwks = serve(&server, json_response(ISSUER.jwks_json()), 1).await;
    let original = builder(&server.uri()).build().unwrap();
    let clones: Vec<CognitoJwtVerifier> = (0..8).map(|_| original.clone()).collect();

    let mut tasks = JoinSet::new();
    for clone in clones {
        tasks.spawn(async move { verify(&clone, &token()).await.map(|_| ()) });
    }
    for result in tasks.join_all().await {
        result.expect("every clone verifies");
    }
    original
        .verify_sync::<AccessTokenClaims>(&token())
        .expect("the original sees the keys its clones fetched");
}
