//! What the core logs (SECURITY-CASES 38, issue 7 item 4): every event at
//! TRACE level, across rejections of every kind, key-set fetches that work
//! and fail, `hydrate`, and the HTTP mapping the adapters use, contains no
//! token, no token segment, no claim value and no attacker-chosen header
//! text.
//!
//! It reads the process's global tracing subscriber (a multi-thread
//! runtime's workers log too), holding the process lock (`crate::alone`)
//! so that no other test's events are captured.
use std::time::Duration;

use cognito_jwt_core::http::{AuthRejection, TokenSource};
use cognito_jwt_core::testing::{TestIssuer, TestKey, b64, sign_parts};
use cognito_jwt_core::{
    AccessTokenClaims, CognitoJwtVerifier, Error, ErrorKind, IdTokenClaims, KeySetOptions,
    Requirements, TokenUse, UserPool,
};
use cognito_jwt_test_support::{CaseTokens, cases};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const POOL: &str = "eu-west-1_LogsTest1";
const CLIENT: &str = "logs-test-client";

/// Values planted in claims and headers; none may reach a log line.
const PLANTED: &[&str] = &[
    "sub-planted-0c1f9a",
    "user-planted-77e2b4",
    "email-planted-5d0e@example.com",
    "tenant-planted-a41c",
    "group-planted-93bd",
    "kid-planted-e8f2",
    "typ-planted-4a6c",
    "alg-planted-b1d7",
    "iss-planted.example",
    "aud-planted-2f08",
    "use-planted-c5e3",
    "origin-planted-61aa",
    "origin-planted-ffff",
];

/// Text in a key-set response; the reason a fetch failed is logged, the
/// body is not.
const PLANTED_BODY: &str = "body-planted-3e9d";

/// A token whose claims carry planted values.
fn planted_access(issuer: &TestIssuer) -> cognito_jwt_core::testing::TokenBuilder<'_> {
    issuer
        .access_token(CLIENT)
        .claim("sub", "sub-planted-0c1f9a")
        .claim("username", "user-planted-77e2b4")
        .claim("custom:tenant", "tenant-planted-a41c")
        .claim("origin_jti", "origin-planted-61aa")
        .group("group-planted-93bd")
}

/// Every token sent during the run, to be searched for in the logs.
#[derive(Default)]
struct Sent(Vec<String>);

impl Sent {
    fn add(&mut self, token: String) -> String {
        self.0.push(token.clone());
        token
    }

    /// Each token and each of its segments long enough not to occur by
    /// chance.
    fn secrets(&self) -> Vec<&str> {
        let mut out = Vec::new();
        for token in &self.0 {
            if token.len() >= 16 {
                out.push(token.as_str());
            }
            out.extend(token.split('.').filter(|s| s.len() >= 16));
        }
        out
    }
}

/// Log the rejection as an adapter would, and return its kind.
fn reject<T>(result: Result<T, Error>) -> ErrorKind {
    match result {
        Ok(_) => panic!("the token was accepted"),
        Err(error) => {
            let kind = error.kind();
            AuthRejection::from(error).log();
            kind
        }
    }
}

async fn key_set_server(route: &str, response: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(route))
        .respond_with(response)
        .mount(&server)
        .await;
    server
}

fn remote(server: &MockServer, route: &str, token_cache: bool) -> CognitoJwtVerifier {
    let mut builder = CognitoJwtVerifier::builder()
        .user_pool(
            UserPool::new(POOL)
                .client_id(CLIENT)
                .token_use(TokenUse::Access)
                .jwks_uri(format!("{}{route}", server.uri())),
        )
        .key_set_options(
            KeySetOptions::default()
                .cooldown(Duration::from_secs(60))
                .backoff(Duration::from_secs(30), Duration::from_secs(60)),
        )
        .custom_check(|view| match view.origin_jti() {
            Some("origin-planted-61aa") => Ok(()),
            _ => Err("the session is not allowed".to_owned()),
        });
    if token_cache {
        builder = builder.token_cache_max_bytes(1024 * 1024);
    }
    builder.build().expect("verifier")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_token_signature_or_claim_value_is_ever_logged() {
    let _alone = crate::alone().await;
    let logs = crate::logs();

    let issuer = TestIssuer::new(POOL);
    let stranger = TestKey::generate("kid-planted-e8f2");
    let mut sent = Sent::default();

    // A working key set, with entries that are skipped and a duplicated kid.
    let mut document: Value = serde_json::from_str(&issuer.jwks_json()).expect("key set");
    let keys = document["keys"].as_array_mut().expect("keys");
    keys.push(json!({"kty": "oct", "kid": "oct", "k": b64(PLANTED_BODY)}));
    keys.push(json!({"kty": "RSA", "kid": "no-n", "e": "AQAB"}));
    let mut twice = stranger.jwk();
    twice["kid"] = "twice".into();
    keys.push(twice.clone());
    keys.push(twice);
    let good = key_set_server(
        "/jwks.json",
        ResponseTemplate::new(200).set_body_string(document.to_string()),
    )
    .await;
    let verifier = remote(&good, "/jwks.json", false);
    let cached = remote(&good, "/jwks.json", true);

    verifier.hydrate().await.expect("the key set loads");
    let valid = sent.add(planted_access(&issuer).sign());
    for verifier in [&verifier, &cached, &verifier, &cached] {
        let claims: AccessTokenClaims = verifier.verify(&valid).await.expect("valid");
        assert_eq!(claims.client_id(), CLIENT);
        verifier
            .verify_sync::<Value>(&valid)
            .expect("valid, synchronously");
    }

    let (header, payload) = planted_access(&issuer).json();
    let forged = {
        let (input, signature) = valid.rsplit_once('.').expect("three segments");
        let flipped = if signature.starts_with('A') { "B" } else { "A" };
        format!("{input}.{flipped}{}", &signature[1..])
    };
    let header_with = |name: &str, value: Value| {
        let mut header: Value = serde_json::from_str(&header).expect("header");
        header[name] = value;
        header.to_string()
    };
    let expected = [
        (
            planted_access(&issuer).expires_in(-600).sign(),
            ErrorKind::Expired,
        ),
        (forged, ErrorKind::InvalidSignature),
        (
            planted_access(&issuer).sign_with(&stranger),
            ErrorKind::InvalidSignature,
        ),
        (
            issuer
                .id_token(CLIENT)
                .claim("email", "email-planted-5d0e@example.com")
                .sign(),
            ErrorKind::InvalidTokenUse,
        ),
        (
            planted_access(&issuer)
                .claim("token_use", "use-planted-c5e3")
                .sign(),
            ErrorKind::InvalidTokenUse,
        ),
        (
            planted_access(&issuer)
                .claim("iss", "https://iss-planted.example/x")
                .sign(),
            ErrorKind::InvalidIssuer,
        ),
        (
            planted_access(&issuer)
                .claim("client_id", "aud-planted-2f08")
                .sign(),
            ErrorKind::InvalidAudience,
        ),
        (
            planted_access(&issuer)
                .claim("origin_jti", "origin-planted-ffff")
                .sign(),
            ErrorKind::CustomCheckFailed,
        ),
        (
            sign_parts(
                issuer.key(),
                &header_with("alg", json!("alg-planted-b1d7")),
                &payload,
            ),
            ErrorKind::UnsupportedAlgorithm,
        ),
        (
            format!("{}.{}.", b64(r#"{"alg":"none"}"#), b64(&payload)),
            ErrorKind::UnsupportedAlgorithm,
        ),
        (
            sign_parts(
                issuer.key(),
                &header_with("typ", json!("typ-planted-4a6c")),
                &payload,
            ),
            ErrorKind::Malformed,
        ),
        (
            sign_parts(
                issuer.key(),
                &header_with("crit", json!(["kid-planted-e8f2"])),
                &payload,
            ),
            ErrorKind::Malformed,
        ),
        (
            sign_parts(
                issuer.key(),
                &header,
                &format!("{{\"sub\":\"sub-planted-0c1f9a\",{}", &payload[1..]),
            ),
            ErrorKind::Malformed,
        ),
        (
            format!("{valid}{}", "A".repeat(cognito_jwt_core::MAX_TOKEN_LEN)),
            ErrorKind::Malformed,
        ),
        (format!("{valid}.{valid}"), ErrorKind::Malformed),
    ];
    for verifier in [&verifier, &cached] {
        for (token, kind) in &expected {
            let token = sent.add(token.clone());
            assert_eq!(reject(verifier.verify::<Value>(&token).await), *kind);
            assert_eq!(reject(verifier.verify_sync::<Value>(&token)), *kind);
        }
        let not_in_group = Requirements::new().any_group("admins");
        assert_eq!(
            reject(verifier.verify_with::<Value>(&valid, &not_in_group).await),
            ErrorKind::MissingGroup
        );
        assert_eq!(
            reject(verifier.verify::<IdTokenClaims>(&valid).await),
            ErrorKind::InvalidTokenUse
        );
    }
    // Unknown kids: a refetch during the cool-down is not allowed.
    let unknown = sent.add(
        planted_access(&issuer)
            .header("kid", "kid-planted-e8f2")
            .sign_with(&stranger),
    );
    assert_eq!(
        reject(verifier.verify::<Value>(&unknown).await),
        ErrorKind::UnknownKid
    );

    // Failing key sets: HTTP errors, an HTML page, a redirect.
    for (route, response) in [
        (
            "/down",
            ResponseTemplate::new(500).set_body_string(PLANTED_BODY),
        ),
        (
            "/html",
            ResponseTemplate::new(200)
                .set_body_string(format!("<html><body>{PLANTED_BODY}</body></html>")),
        ),
        (
            "/moved",
            ResponseTemplate::new(302).insert_header("location", format!("/{PLANTED_BODY}")),
        ),
    ] {
        let server = key_set_server(route, response).await;
        let failing = remote(&server, route, true);
        assert_eq!(
            reject(failing.verify::<Value>(&valid).await),
            ErrorKind::JwksUnavailable,
            "{route}"
        );
        assert_eq!(
            reject(failing.verify::<Value>(&unknown).await),
            ErrorKind::JwksUnavailable,
            "{route}: backed off"
        );
        assert_eq!(
            reject(failing.verify_sync::<Value>(&valid)),
            ErrorKind::JwksNotCached,
            "{route}"
        );
        let error = failing.hydrate().await.expect_err("the key set fails");
        assert_eq!(error.kind(), ErrorKind::JwksUnavailable, "{route}");
    }

    // The HTTP mapping over the shared case table, as the adapters run it.
    let tokens = CaseTokens::new(&issuer, CLIENT, "admins");
    for token in tokens.all() {
        sent.add(token.to_owned());
    }
    let cookie = TokenSource::Cookie("session".to_owned());
    for case in cases(&tokens) {
        let headers = || case.authorization.iter().map(Vec::as_slice);
        let cookies = case
            .authorization
            .iter()
            .map(|value| [b"session=".as_slice(), value.as_slice()].concat())
            .collect::<Vec<_>>();
        for outcome in [
            TokenSource::AuthorizationHeader.extract(headers(), std::iter::empty()),
            cookie.extract(std::iter::empty(), cookies.iter().map(Vec::as_slice)),
        ] {
            let rejection = match outcome {
                Ok(token) => match verifier
                    .verify_with::<AccessTokenClaims>(
                        token,
                        &Requirements::new().any_group("admins"),
                    )
                    .await
                {
                    Ok(_) => continue,
                    Err(error) => AuthRejection::from(error),
                },
                Err(rejection) => rejection,
            };
            rejection.log();
        }
    }

    let logs = logs.text();
    for expected in [
        "fetched key set",
        "reason=\"hydrate\"",
        "skipping key-set entry",
        "names the same kid on several keys",
        "key-set fetch failed",
        "unknown kid during the refetch cool-down",
        "bearer token rejected",
        "kind=expired",
        "kind=custom_check_failed",
        "cannot verify bearer token",
        "no bearer token",
        "malformed authorization",
        " INFO ",
        " WARN ",
        " DEBUG ",
        // The HTTP client's connection events: proof that TRACE is captured.
        " TRACE ",
    ] {
        assert!(
            logs.contains(expected),
            "no {expected:?} in the logs:\n{logs}"
        );
    }
    let secrets = sent.secrets();
    assert!(secrets.len() > 50, "{}", secrets.len());
    for secret in secrets.into_iter().chain(PLANTED.iter().copied()) {
        assert!(
            !logs.contains(secret),
            "a log line reveals token material ({} bytes)",
            secret.len()
        );
    }
    assert!(
        !logs.contains(PLANTED_BODY),
        "a log line echoes a response body"
    );
}
