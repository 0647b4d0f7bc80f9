//! Requests carrying attacker-chosen text, shared by the answer and log
//! tests: none of the planted text may come back in an answer or a log.
#![allow(dead_code, unreachable_pub)]

use std::sync::LazyLock;

use cognito_jwt_core::testing::{TestIssuer, TestKey};
use cognito_jwt_core::{CognitoJwtVerifier, FetchFuture, JwksFetcher, TokenUse};

/// Text planted in `Authorization` headers and in token headers and claims.
pub const PLANTED: &[&str] = &[
    "planted-attacker-01",
    "Planted-Scheme-02",
    "planted-basic-03",
    "kid-planted-04",
    "typ-planted-05",
    "iss-planted-06",
    "group-planted-07",
    "sub-planted-08",
    "planted-09",
    "planted-10",
    "planted-11",
    "user-planted-12",
];

/// A key nobody trusts.
pub static STRANGER: LazyLock<TestKey> = LazyLock::new(|| TestKey::generate("kid-planted-04"));

/// A key-set source that serves `issuer`'s keys without any network.
pub struct ServeKeys(pub String);

impl JwksFetcher for ServeKeys {
    fn fetch<'a>(&'a self, _url: &'a str) -> FetchFuture<'a> {
        Box::pin(async { Ok(self.0.clone().into_bytes()) })
    }
}

/// A verifier for `issuer` requiring `group` that loads its keys through
/// [`ServeKeys`], so an unknown `kid` refetches without leaving the process.
pub fn serving_verifier(issuer: &TestIssuer, client: &str, group: &str) -> CognitoJwtVerifier {
    CognitoJwtVerifier::builder()
        .user_pool(issuer.user_pool(client, TokenUse::Access))
        .require_any_group(group)
        .fetcher(ServeKeys(issuer.jwks_json()))
        .build()
        .expect("verifier configuration")
}

fn bearer(token: &str) -> Vec<Vec<u8>> {
    vec![format!("Bearer {token}").into_bytes()]
}

/// `Authorization` headers carrying [`PLANTED`] text, by name, for a route
/// of `issuer` requiring `group`.
pub fn attacker_requests(
    issuer: &TestIssuer,
    client: &str,
    group: &str,
) -> Vec<(&'static str, Vec<Vec<u8>>)> {
    let planted_claims = || {
        issuer
            .access_token(client)
            .claim("sub", "sub-planted-08")
            .claim("username", "user-planted-12")
    };
    vec![
        ("garbage token", bearer("planted-attacker-01")),
        ("unknown scheme", vec![b"Planted-Scheme-02 abc".to_vec()]),
        ("basic", vec![b"Basic planted-basic-03".to_vec()]),
        (
            "unknown kid",
            bearer(
                &planted_claims()
                    .header("kid", "kid-planted-04")
                    .sign_with(&STRANGER),
            ),
        ),
        (
            "odd typ",
            bearer(&planted_claims().header("typ", "typ-planted-05").sign()),
        ),
        (
            "other issuer",
            bearer(
                &planted_claims()
                    .claim("iss", "https://iss-planted-06.example/pool")
                    .sign(),
            ),
        ),
        (
            "other group",
            bearer(&planted_claims().group("group-planted-07").sign()),
        ),
        ("valid", bearer(&planted_claims().group(group).sign())),
        ("tab in token", vec![b"Bearer planted-09\tx".to_vec()]),
        ("space in token", vec![b"Bearer planted-10 x".to_vec()]),
        (
            "two headers",
            vec![b"Bearer planted-11".to_vec(), b"Bearer planted-11".to_vec()],
        ),
    ]
}

/// What each of [`attacker_requests`] gets, with the keys at hand or not.
/// Whatever can be refused without the key set is refused alike.
pub fn expected_status(name: &str, keys_unavailable: bool) -> u16 {
    match name {
        "garbage token" | "odd typ" | "other issuer" | "unknown scheme" | "basic" => 401,
        "tab in token" | "space in token" | "two headers" => 400,
        _ if keys_unavailable => 503,
        "unknown kid" => 401,
        "other group" => 403,
        "valid" => 200,
        other => panic!("no expectation for {other}"),
    }
}

/// Every token, token segment and planted text in `requests`.
pub fn secrets_of(requests: &[Vec<Vec<u8>>]) -> Vec<String> {
    let mut out: Vec<String> = PLANTED.iter().map(|p| (*p).to_owned()).collect();
    for value in requests.iter().flatten() {
        let text = String::from_utf8_lossy(value);
        let token = text.split_once(' ').map_or(&*text, |(_, token)| token);
        if token.len() >= 16 {
            out.push(token.to_owned());
        }
        out.extend(
            token
                .split('.')
                .filter(|s| s.len() >= 16)
                .map(str::to_owned),
        );
    }
    out
}
