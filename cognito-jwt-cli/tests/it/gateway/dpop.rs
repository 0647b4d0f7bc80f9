//! DPoP (RFC 9449) in the gateway: `/auth` checks a proof against the
//! method and URI the proxy forwards (`X-Forwarded-Method`,
//! `X-Forwarded-Uri`) joined to `PUBLIC_URL`, never a host a client
//! names; without them it refuses rather than guess; nonces, replays and
//! bearer downgrades are answered as the example servers answer them.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cognito_jwt_core::Algorithm;
use cognito_jwt_core::testing::{DpopKey, dpop_nonce};
use cognito_jwt_test_support::bearer_error;

use super::{Answer, CLIENT_ID, Gateway, ISSUER, bearer, pool_env, request};
use crate::support::cli;

/// The external base URL the gateway's clients call.
pub(crate) const PUBLIC_URL: &str = "https://api.example.com";
/// The nonce secret of [`nonce_env`].
pub(crate) const SECRET: &str = "the gateway's DPoP nonce secret, at least 32 bytes";
/// The gateway's nonce window.
const WINDOW: Duration = Duration::from_secs(300);

/// A gateway's variables with DPoP on.
pub(crate) fn dpop_env() -> Vec<(String, String)> {
    let mut env = pool_env();
    env.push(("PUBLIC_URL".to_owned(), PUBLIC_URL.to_owned()));
    env
}

/// [`dpop_env`] with nonces.
pub(crate) fn nonce_env() -> Vec<(String, String)> {
    let mut env = dpop_env();
    env.push(("DPOP_NONCE_SECRET".to_owned(), SECRET.to_owned()));
    env
}

/// An access token bound to `key`.
pub(crate) fn bound_token(key: &DpopKey) -> String {
    ISSUER
        .access_token(CLIENT_ID)
        .claim("cnf", serde_json::json!({ "jkt": key.thumbprint() }))
        .sign()
}

/// `Authorization: DPoP <token>`.
pub(crate) fn dpop_scheme(token: &str) -> Vec<u8> {
    format!("DPoP {token}").into_bytes()
}

/// A proof of `key` for `method` at `PUBLIC_URL` + `path`, with `token`.
pub(crate) fn proof(key: &DpopKey, method: &str, path: &str, token: &str) -> String {
    key.proof(method, &format!("{PUBLIC_URL}{path}"))
        .access_token(token)
        .sign()
}

/// [`proof`] carrying `nonce`.
pub(crate) fn proof_with_nonce(key: &DpopKey, path: &str, token: &str, nonce: &str) -> String {
    key.proof("GET", &format!("{PUBLIC_URL}{path}"))
        .access_token(token)
        .nonce(nonce)
        .sign()
}

/// A nonce of two windows ago: no longer accepted.
pub(crate) fn stale_nonce() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    dpop_nonce(SECRET.as_bytes(), WINDOW, now - 2 * WINDOW.as_secs()).expect("a nonce")
}

/// Ask `/auth` as a proxy would: `forwarded` (method, URI) in the
/// `X-Forwarded-*` headers, and `headers`.
fn check(gateway: &Gateway, forwarded: Option<(&str, &str)>, headers: &[(&str, &[u8])]) -> Answer {
    let mut all: Vec<(&str, &[u8])> = Vec::new();
    if let Some((method, uri)) = forwarded {
        all.push(("X-Forwarded-Method", method.as_bytes()));
        all.push(("X-Forwarded-Uri", uri.as_bytes()));
    }
    all.extend_from_slice(headers);
    request(gateway.http, "GET", "/auth", &all)
}

/// The challenge's `error`.
pub(crate) fn error_of(answer: &Answer) -> Option<String> {
    answer.challenge().and_then(bearer_error).map(str::to_owned)
}

#[test]
fn proofs_nonces_replays_and_downgrades_are_answered_as_the_servers_answer_them() {
    let gateway = Gateway::start(&nonce_env());
    let key = DpopKey::generate(Algorithm::ES256);
    let token = bound_token(&key);
    let scheme = dpop_scheme(&token);
    let me = Some(("GET", "/api/me?page=2"));

    let first = proof(&key, "GET", "/api/me", &token);
    let answer = check(
        &gateway,
        me,
        &[("Authorization", &scheme), ("DPoP", first.as_bytes())],
    );
    assert_eq!(answer.status, 401, "{answer:?}");
    assert_eq!(error_of(&answer).as_deref(), Some("use_dpop_nonce"));
    assert!(answer.challenge().is_some_and(|c| c.starts_with("DPoP ")));
    let nonce = answer.header("dpop-nonce").expect("a nonce").to_owned();

    let good = proof_with_nonce(&key, "/api/me", &token, &nonce);
    let answer = check(
        &gateway,
        me,
        &[("Authorization", &scheme), ("DPoP", good.as_bytes())],
    );
    assert_eq!(answer.status, 200, "{answer:?}");
    assert!(answer.header("x-auth-sub").is_some_and(|s| !s.is_empty()));

    let answer = check(
        &gateway,
        me,
        &[("Authorization", &scheme), ("DPoP", good.as_bytes())],
    );
    assert_eq!(answer.status, 401, "replayed: {answer:?}");
    assert_eq!(error_of(&answer).as_deref(), Some("invalid_dpop_proof"));

    let answer = check(&gateway, me, &[("Authorization", &bearer(&token))]);
    assert_eq!(answer.status, 401, "as bearer: {answer:?}");
    assert_eq!(error_of(&answer).as_deref(), Some("invalid_token"));

    let stale = proof_with_nonce(&key, "/api/me", &token, &stale_nonce());
    let answer = check(
        &gateway,
        me,
        &[("Authorization", &scheme), ("DPoP", stale.as_bytes())],
    );
    assert_eq!(answer.status, 401, "stale nonce: {answer:?}");
    assert_eq!(error_of(&answer).as_deref(), Some("use_dpop_nonce"));
    assert!(answer.header("dpop-nonce").is_some());

    // The method and URI are the forwarded ones, not the check's own.
    let post = key
        .proof("POST", &format!("{PUBLIC_URL}/api/me"))
        .access_token(&token)
        .nonce(&nonce)
        .sign();
    let answer = check(
        &gateway,
        Some(("POST", "/api/me")),
        &[("Authorization", &scheme), ("DPoP", post.as_bytes())],
    );
    assert_eq!(answer.status, 200, "{answer:?}");

    // A token that is not bound still passes as a bearer token.
    let unbound = ISSUER.access_token(CLIENT_ID).sign();
    let answer = check(&gateway, me, &[("Authorization", &bearer(&unbound))]);
    assert_eq!(answer.status, 200, "{answer:?}");
    assert!(
        !gateway.logs().contains(&token) && !gateway.logs().contains(&good),
        "no token or proof is logged"
    );
}

#[test]
fn the_origin_is_public_url_never_a_host_the_request_names() {
    let gateway = Gateway::start(&dpop_env());
    let key = DpopKey::generate(Algorithm::EdDSA);
    let token = bound_token(&key);
    let scheme = dpop_scheme(&token);
    let evil = key
        .proof("GET", "https://evil.example.com/api/me")
        .access_token(&token)
        .sign();
    let answer = check(
        &gateway,
        Some(("GET", "/api/me")),
        &[
            ("Authorization", &scheme),
            ("DPoP", evil.as_bytes()),
            ("X-Forwarded-Host", b"evil.example.com"),
            ("X-Forwarded-Proto", b"https"),
        ],
    );
    assert_eq!(answer.status, 401, "{answer:?}");
    assert_eq!(error_of(&answer).as_deref(), Some("invalid_dpop_proof"));
    // An absolute URI names a host too: only its path counts.
    let good = proof(&key, "GET", "/api/me", &token);
    let answer = check(
        &gateway,
        Some(("GET", "https://evil.example.com/api/me")),
        &[
            ("Authorization", &scheme),
            ("DPoP", good.as_bytes()),
            ("X-Forwarded-Host", b"evil.example.com"),
        ],
    );
    assert_eq!(answer.status, 200, "{answer:?}");
}

#[test]
fn without_the_forwarded_method_and_uri_every_check_is_refused_not_guessed() {
    let gateway = Gateway::start(&dpop_env());
    let key = DpopKey::generate(Algorithm::ES256);
    let token = bound_token(&key);
    let scheme = dpop_scheme(&token);
    let unbound = bearer(&ISSUER.access_token(CLIENT_ID).sign());
    let good = proof(&key, "GET", "/auth", &token);
    /// Request headers, as [`request`] takes them.
    type Headers<'a> = Vec<(&'a str, &'a [u8])>;
    let cases: [(&str, Headers<'_>); 4] = [
        (
            "no forwarded headers",
            vec![("Authorization", &scheme), ("DPoP", good.as_bytes())],
        ),
        (
            "no X-Forwarded-Uri",
            vec![
                ("X-Forwarded-Method", b"GET"),
                ("Authorization", &scheme),
                ("DPoP", good.as_bytes()),
            ],
        ),
        (
            "two X-Forwarded-Uri",
            vec![
                ("X-Forwarded-Method", b"GET"),
                ("X-Forwarded-Uri", b"/auth"),
                ("X-Forwarded-Uri", b"/auth"),
                ("Authorization", &scheme),
                ("DPoP", good.as_bytes()),
            ],
        ),
        (
            "a bearer token without X-Forwarded-Method",
            vec![("X-Forwarded-Uri", b"/auth"), ("Authorization", &unbound)],
        ),
    ];
    for (case, headers) in cases {
        let answer = request(gateway.http, "GET", "/auth", &headers);
        assert_eq!(answer.status, 500, "{case}: {answer:?}");
        assert!(answer.body.contains("gateway_misconfigured"), "{case}");
        assert!(answer.body.contains("X-Forwarded-Uri"), "{case}");
    }
    // Without DPoP, the headers are not needed.
    let plain = Gateway::start(&pool_env());
    let answer = request(plain.http, "GET", "/auth", &[("Authorization", &unbound)]);
    assert_eq!(answer.status, 200, "{answer:?}");
}

#[test]
fn nonce_secret_and_public_url_are_flags_and_checked_at_start() {
    let key = DpopKey::generate(Algorithm::ES256);
    let token = bound_token(&key);
    let mut args: Vec<String> = Vec::new();
    for (name, value) in pool_env() {
        let flag = match name.as_str() {
            "COGNITO_USER_POOL_ID" => "--user-pool-id",
            "COGNITO_CLIENT_ID" => "--client-id",
            "COGNITO_TOKEN_USE" => "--token-use",
            _ => "--jwks-uri",
        };
        args.extend([flag.to_owned(), value]);
    }
    args.extend([
        "--public-url".to_owned(),
        PUBLIC_URL.to_owned(),
        "--dpop-nonce-secret".to_owned(),
        SECRET.to_owned(),
    ]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let gateway = Gateway::start_with(&args, &[]);
    let first = proof(&key, "GET", "/x", &token);
    let answer = check(
        &gateway,
        Some(("GET", "/x")),
        &[
            ("Authorization", &dpop_scheme(&token)),
            ("DPoP", first.as_bytes()),
        ],
    );
    assert_eq!(error_of(&answer).as_deref(), Some("use_dpop_nonce"));

    let pool = [
        ("COGNITO_USER_POOL_ID", "eu-west-1_abc"),
        ("COGNITO_CLIENT_ID", "c"),
        ("COGNITO_TOKEN_USE", "access"),
    ];
    for (extra, expected) in [
        (
            &[("DPOP_NONCE_SECRET", SECRET)][..],
            &["DPOP_NONCE_SECRET", "PUBLIC_URL"][..],
        ),
        (
            &[("DPOP_NONCE_SECRET", "short"), ("PUBLIC_URL", PUBLIC_URL)][..],
            &["DPOP_NONCE_SECRET is invalid", "32"][..],
        ),
        (
            &[("PUBLIC_URL", "https://api.example.com/?v=1")][..],
            &["PUBLIC_URL is invalid"][..],
        ),
    ] {
        let env: Vec<(&str, &str)> = pool.iter().chain(extra).copied().collect();
        let run = cli(&["gateway"], &env, None);
        assert_eq!(run.code, 2, "{run:?}");
        for text in expected {
            assert!(run.stderr.contains(text), "{text}: {run:?}");
        }
        assert!(!run.stderr.contains(SECRET), "the secret is never echoed");
    }
}
