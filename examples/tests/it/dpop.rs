//! DPoP (RFC 9449) in the example server binaries, configured as a user
//! configures them (`PUBLIC_URL`, `DPOP_NONCE_SECRET`,
//! `REVOCATION_REDIS_URL`): both answer every request alike, and two
//! server processes sharing a real `redis-server` refuse a proof the other
//! accepted.

use std::process::{Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use cognito_jwt_core::Algorithm;
use cognito_jwt_core::testing::{DpopKey, dpop_nonce};
use cognito_jwt_examples::DPOP_NONCE_WINDOW;
use cognito_jwt_examples::demo::CLIENT_ID;
use cognito_jwt_examples::serve_jwks;
use cognito_jwt_test_support::RedisServer;
use reqwest::header::{AUTHORIZATION, WWW_AUTHENTICATE};

use crate::support::*;

const BINARIES: [&str; 2] = [
    env!("CARGO_BIN_EXE_axum-server"),
    env!("CARGO_BIN_EXE_actix-server"),
];

/// The servers' external base URL: what proofs name, whatever address
/// the test reaches them at.
const PUBLIC_URL: &str = "https://api.example.com";
const SECRET: &str = "the example servers' nonce secret, 32 bytes or more";

/// What a request got: status, the challenge's `error`, and the
/// `DPoP-Nonce` header.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Answer {
    status: u16,
    error: Option<String>,
    nonce: Option<String>,
}

async fn send(request: reqwest::RequestBuilder) -> Answer {
    let response = request.send().await.expect("the server answers");
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let error = header(WWW_AUTHENTICATE.as_str()).and_then(|challenge| {
        let (_, rest) = challenge.split_once("error=\"")?;
        rest.split_once('"').map(|(error, _)| error.to_owned())
    });
    Answer {
        status: response.status().as_u16(),
        error,
        nonce: header("dpop-nonce"),
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

/// An access token bound to `key` (`cnf.jkt`).
fn bound_token(key: &DpopKey) -> String {
    ISSUER
        .access_token(CLIENT_ID)
        .claim("cnf", serde_json::json!({ "jkt": key.thumbprint() }))
        .sign()
}

/// `GET /api/me` at `base_url` with `token` as `DPoP` and `proof`.
fn me_with_proof(base_url: &str, token: &str, proof: &str) -> reqwest::RequestBuilder {
    client()
        .get(format!("{base_url}/api/me"))
        .header(AUTHORIZATION, format!("DPoP {token}"))
        .header("DPoP", proof)
}

fn me_url() -> String {
    format!("{PUBLIC_URL}/api/me")
}

fn pool_env(jwks_uri: &str) -> Vec<(&'static str, String)> {
    vec![
        ("COGNITO_USER_POOL_ID", POOL_ID.to_owned()),
        ("COGNITO_CLIENT_ID", CLIENT_ID.to_owned()),
        ("COGNITO_TOKEN_USE", "access".to_owned()),
        ("COGNITO_JWKS_URI", jwks_uri.to_owned()),
        ("PUBLIC_URL", PUBLIC_URL.to_owned()),
    ]
}

fn start(binary: &str, env: &[(&'static str, String)]) -> Replica {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    tokio::task::block_in_place(|| Replica::start(binary, &env))
}

/// The requests of one client, in order, and what each got.
async fn nonce_conversation(base_url: &str) -> Vec<(&'static str, Answer)> {
    let key = DpopKey::generate(Algorithm::ES256);
    let token = bound_token(&key);
    let proof = |nonce: Option<&str>| {
        let proof = key.proof("GET", &me_url()).access_token(&token);
        match nonce {
            Some(nonce) => proof.nonce(nonce).sign(),
            None => proof.sign(),
        }
    };
    let mut answers = Vec::new();
    let first = send(me_with_proof(base_url, &token, &proof(None))).await;
    let nonce = first.nonce.clone().unwrap_or_default();
    answers.push(("without a nonce", first));
    let with_nonce = proof(Some(&nonce));
    answers.push((
        "with the nonce given",
        send(me_with_proof(base_url, &token, &with_nonce)).await,
    ));
    answers.push((
        "the same proof again",
        send(me_with_proof(base_url, &token, &with_nonce)).await,
    ));
    answers.push((
        "the bound token as a bearer token",
        send(
            client()
                .get(format!("{base_url}/api/me"))
                .bearer_auth(&token),
        )
        .await,
    ));
    let stale = dpop_nonce(
        SECRET.as_bytes(),
        DPOP_NONCE_WINDOW,
        now() - 2 * DPOP_NONCE_WINDOW.as_secs(),
    )
    .expect("a nonce");
    answers.push((
        "a stale nonce",
        send(me_with_proof(base_url, &token, &proof(Some(&stale)))).await,
    ));
    let wrong_path = key
        .proof("GET", &format!("{PUBLIC_URL}/api/admin"))
        .access_token(&token)
        .nonce(&nonce)
        .sign();
    answers.push((
        "a proof for another URL",
        send(me_with_proof(base_url, &token, &wrong_path)).await,
    ));
    answers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_servers_answer_proofs_nonces_replays_and_bearer_downgrades_alike() {
    let jwks = serve_jwks(POOL_ID, ISSUER.jwks_json()).await.unwrap();
    let mut env = pool_env(jwks.url());
    env.push(("DPOP_NONCE_SECRET", SECRET.to_owned()));
    let answer = |status, error: Option<&str>, nonce| (status, error.map(str::to_owned), nonce);
    let expected = vec![
        ("without a nonce", answer(401, Some("use_dpop_nonce"), true)),
        ("with the nonce given", answer(200, None, false)),
        (
            "the same proof again",
            answer(401, Some("invalid_dpop_proof"), false),
        ),
        (
            "the bound token as a bearer token",
            answer(401, Some("invalid_token"), false),
        ),
        ("a stale nonce", answer(401, Some("use_dpop_nonce"), true)),
        (
            "a proof for another URL",
            answer(401, Some("invalid_dpop_proof"), false),
        ),
    ];
    let mut documents = Vec::new();
    for binary in BINARIES {
        let server = start(binary, &env);
        ready(&server.base_url).await;
        let answers: Vec<_> = nonce_conversation(&server.base_url)
            .await
            .into_iter()
            .map(|(name, a)| (name, (a.status, a.error, a.nonce.is_some())))
            .collect();
        assert_eq!(answers, expected, "{binary}");
        let document: serde_json::Value = client()
            .get(format!(
                "{}/.well-known/oauth-protected-resource",
                server.base_url
            ))
            .send()
            .await
            .expect("the document")
            .text()
            .await
            .map(|text| serde_json::from_str(&text).expect("JSON"))
            .expect("a body");
        documents.push(document);
    }
    assert_eq!(documents[0], documents[1], "one document");
    let algorithms = &documents[0]["dpop_signing_alg_values_supported"];
    for algorithm in ["ES256", "EdDSA", "RS256", "PS256"] {
        assert!(
            algorithms
                .as_array()
                .is_some_and(|all| all.iter().any(|a| a == algorithm)),
            "{algorithm} in {algorithms}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proof_accepted_by_one_server_is_refused_by_another_sharing_redis() {
    let Some(redis) = RedisServer::start("a_proof_accepted_by_one_server_is_refused_by_another")
    else {
        return;
    };
    let jwks = serve_jwks(POOL_ID, ISSUER.jwks_json()).await.unwrap();
    let mut env = pool_env(jwks.url());
    env.push(("REVOCATION_REDIS_URL", redis.url()));
    let [axum, actix] = BINARIES.map(|binary| start(binary, &env));
    for server in [&axum, &actix] {
        ready(&server.base_url).await;
    }
    let key = DpopKey::generate(Algorithm::EdDSA);
    let token = bound_token(&key);
    let status = |server: &Replica, proof: &str| {
        let request = me_with_proof(&server.base_url, &token, proof);
        async move {
            let answer = send(request).await;
            (answer.status, answer.error)
        }
    };
    let replayed = (401, Some("invalid_dpop_proof".to_owned()));
    let first = key.proof("GET", &me_url()).access_token(&token).sign();
    assert_eq!(status(&axum, &first).await, (200, None));
    assert_eq!(status(&actix, &first).await, replayed);
    let second = key.proof("GET", &me_url()).access_token(&token).sign();
    assert_eq!(status(&actix, &second).await, (200, None));
    assert_eq!(status(&axum, &second).await, replayed);
    assert_eq!(
        redis.command(&["KEYS", "cognito-jwt:dpop:*"]).as_deref(),
        Some("*2"),
        "one key per proof"
    );
}

#[test]
fn nonce_settings_without_dpop_or_too_short_stop_the_start_naming_the_variables() {
    let cases = [
        (
            &[("DPOP_NONCE_SECRET", SECRET)][..],
            &["DPOP_NONCE_SECRET", "PUBLIC_URL"][..],
        ),
        (
            &[("DPOP_NONCE_SECRET", "short"), ("PUBLIC_URL", PUBLIC_URL)][..],
            &["DPOP_NONCE_SECRET is invalid", "32"][..],
        ),
    ];
    for binary in BINARIES {
        for (extra, expected) in cases {
            let output = Command::new(binary)
                .env_clear()
                .envs([
                    ("COGNITO_USER_POOL_ID", POOL_ID),
                    ("COGNITO_CLIENT_ID", CLIENT_ID),
                    ("COGNITO_TOKEN_USE", "access"),
                    ("BIND_ADDR", "127.0.0.1:0"),
                ])
                .envs(extra.iter().copied())
                .stdin(Stdio::null())
                .output()
                .expect("the server runs");
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(output.status.code(), Some(2), "{binary}: {stderr}");
            for text in expected {
                assert!(stderr.contains(text), "{binary}: {text} in {stderr}");
            }
            assert!(!stderr.contains(SECRET), "the secret is never echoed");
        }
    }
}

/// Wait until the server at `base_url` answers `/ready` with 200 (with
/// Redis: in sync with it).
async fn ready(base_url: &str) {
    eventually("ready", || async {
        client()
            .get(format!("{base_url}/ready"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
    })
    .await;
}
