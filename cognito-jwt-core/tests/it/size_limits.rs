//! SECURITY-CASES section D: oversized tokens and deeply nested JSON.

use cognito_jwt_core::testing::{b64, sign_parts};
use cognito_jwt_core::{AccessTokenClaims, ErrorKind, MAX_TOKEN_LEN, TokenUse};
use serde_json::Value;

use crate::support::fixtures::{self, CLIENT, NoFetch, POOL, rejected, verifier};

const TEN_MB: usize = 10 * 1024 * 1024;

#[tokio::test]
async fn huge_tokens_are_malformed_before_any_decoding_or_fetch() {
    let no_fetch = NoFetch::new(TokenUse::Access).await;
    let genuine = POOL.access_token(CLIENT).sign();

    // A correctly signed token with a 10 MB claim.
    let (header, payload) = POOL
        .access_token(CLIENT)
        .claim("padding", "A".repeat(TEN_MB))
        .json();
    let signed_huge = sign_parts(POOL.key(), &header, &payload);
    // An oversized token whose header would otherwise be refused for its
    // alg: the size cap answers first, so nothing was decoded.
    let (_, small_payload) = POOL.access_token(CLIENT).json();
    let alg_none = format!(
        "{}.{}.{}",
        b64(r#"{"alg":"none"}"#),
        b64(&small_payload),
        "A".repeat(MAX_TOKEN_LEN)
    );

    let huge = [
        signed_huge,
        alg_none,
        "a".repeat(TEN_MB),
        format!("{genuine}{}", "A".repeat(TEN_MB)),
        ".".repeat(100_000),
        "a.".repeat(100_000),
        format!("{}{}", ".".repeat(100_000), genuine),
        "\u{e9}".repeat(TEN_MB / 2),
        " ".repeat(TEN_MB),
    ];
    for token in &huge {
        assert!(token.len() > MAX_TOKEN_LEN);
        no_fetch.rejects(token, ErrorKind::Malformed, &[]).await;
    }
}

/// A signed access token padded with a claim so that its length is as
/// close to `target` as base64 allows, on the side given by `at_most`.
fn token_near(target: usize, at_most: bool) -> String {
    let signature_len = POOL
        .access_token(CLIENT)
        .sign()
        .rsplit('.')
        .next()
        .expect("a signature segment")
        .len();
    let length_with = |pad: usize| {
        let (header, payload) = POOL
            .access_token(CLIENT)
            .claim("padding", "p".repeat(pad))
            .json();
        b64(header).len() + 1 + b64(payload).len() + 1 + signature_len
    };
    // The largest padding that keeps the token within `target`.
    let (mut fits, mut too_long) = (0, target);
    while too_long - fits > 1 {
        let middle = fits + (too_long - fits) / 2;
        if length_with(middle) <= target {
            fits = middle;
        } else {
            too_long = middle;
        }
    }
    let pad = if at_most { fits } else { fits + 1 };
    let (header, payload) = POOL
        .access_token(CLIENT)
        .claim("padding", "p".repeat(pad))
        .json();
    sign_parts(POOL.key(), &header, &payload)
}

#[test]
fn the_size_cap_is_max_token_len() {
    let access = verifier(TokenUse::Access);
    let largest = token_near(MAX_TOKEN_LEN, true);
    assert!((MAX_TOKEN_LEN - 2..=MAX_TOKEN_LEN).contains(&largest.len()));
    let claims: AccessTokenClaims = access.verify_sync(&largest).unwrap();
    assert!(
        claims
            .claim::<serde_json::Value>("padding")
            .unwrap()
            .is_some()
    );

    let too_long = token_near(MAX_TOKEN_LEN, false);
    assert!((MAX_TOKEN_LEN + 1..=MAX_TOKEN_LEN + 3).contains(&too_long.len()));
    rejected(
        access.verify_sync::<Value>(&too_long),
        ErrorKind::Malformed,
        &too_long,
        &[],
    );
}

/// Run `check` on a thread with a modest stack, so that unbounded recursion
/// would overflow it rather than pass by luck.
fn on_small_stack(check: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(1024 * 1024)
        .spawn(check)
        .expect("a test thread")
        .join()
        .expect("the check passes without overflowing the stack");
}

fn nested(depth: usize, closed: bool) -> String {
    let mut text = "[".repeat(depth);
    if closed {
        text.push_str(&"]".repeat(depth));
    }
    text
}

fn nested_objects(depth: usize) -> String {
    format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth))
}

#[test]
fn deeply_nested_json_in_the_header_is_refused() {
    on_small_stack(|| {
        let access = verifier(TokenUse::Access);
        let (header, payload) = POOL.access_token(CLIENT).json();
        let inner = &header[..header.len() - 1];
        let with_param = |name: &str, value: &str| format!("{inner},\"{name}\":{value}}}");
        let check = |header: &str, kind: ErrorKind| {
            let token = sign_parts(POOL.key(), header, &payload);
            assert!(token.len() <= MAX_TOKEN_LEN, "{}", token.len());
            rejected(access.verify_sync::<Value>(&token), kind, &token, &[]);
        };
        let unclosed = nested(5_000, false);
        check(&nested(5_000, false), ErrorKind::Malformed);
        check(&with_param("x", &unclosed), ErrorKind::Malformed);
        for (deep, closed) in [
            (unclosed, false),
            (nested(2_500, true), true),
            (nested_objects(700), true),
        ] {
            // In place of the parameters the verifier reads: a parse error
            // while unclosed, otherwise a value of the wrong type.
            let alg = format!("{{\"alg\":{deep},\"kid\":\"{}\"}}", POOL.key().kid());
            let alg_kind = if closed {
                ErrorKind::UnsupportedAlgorithm
            } else {
                ErrorKind::Malformed
            };
            check(&alg, alg_kind);
            check(
                &format!("{{\"alg\":\"RS256\",\"kid\":{deep}}}"),
                ErrorKind::Malformed,
            );
            check(&with_param("typ", &deep), ErrorKind::Malformed);
            check(&with_param("crit", &deep), ErrorKind::Malformed);
            // In a parameter the verifier ignores: skipped without recursion,
            // so a forged token still fails only on its signature.
            let forged = sign_parts(
                fixtures::OTHER_POOL.key(),
                &with_param("x", &deep),
                &payload,
            );
            let expected = if closed {
                ErrorKind::InvalidSignature
            } else {
                ErrorKind::Malformed
            };
            rejected(access.verify_sync::<Value>(&forged), expected, &forged, &[]);
        }
    });
}

#[test]
fn deeply_nested_json_in_the_payload_is_malformed() {
    on_small_stack(|| {
        let access = verifier(TokenUse::Access);
        let (header, _) = POOL.access_token(CLIENT).json();
        for deep in [
            nested(5_000, false),
            nested(2_500, true),
            nested_objects(700),
        ] {
            for claim in ["custom:deep", "cognito:groups", "exp", "iss"] {
                let (_, others) = POOL.access_token(CLIENT).without(claim).json();
                let payload = format!("{{\"{claim}\":{deep},{}", &others[1..]);
                let token = sign_parts(POOL.key(), &header, &payload);
                assert!(token.len() <= MAX_TOKEN_LEN, "{}", token.len());
                rejected(
                    access.verify_sync::<Value>(&token),
                    ErrorKind::Malformed,
                    &token,
                    &[],
                );
                rejected(
                    access.verify_sync::<AccessTokenClaims>(&token),
                    ErrorKind::Malformed,
                    &token,
                    &[],
                );
            }
        }
        let token = sign_parts(POOL.key(), &header, &nested(5_000, false));
        rejected(
            access.verify_sync::<Value>(&token),
            ErrorKind::Malformed,
            &token,
            &[],
        );
    });
}

#[tokio::test]
async fn deeply_nested_json_is_refused_before_any_fetch() {
    let no_fetch = NoFetch::new(TokenUse::Access).await;
    let (header, payload) = POOL.access_token(CLIENT).json();
    let deep = nested(5_000, false);
    let in_header = sign_parts(
        POOL.key(),
        &format!("{},\"x\":{deep}}}", &header[..header.len() - 1]),
        &payload,
    );
    let in_payload = sign_parts(
        POOL.key(),
        &header,
        &format!("{},\"x\":{deep}}}", &payload[..payload.len() - 1]),
    );
    for token in [in_header, in_payload] {
        no_fetch.rejects(&token, ErrorKind::Malformed, &[]).await;
    }
}

#[test]
fn moderately_nested_custom_claims_are_fine() {
    let access = verifier(TokenUse::Access);
    let (header, payload) = POOL.access_token(CLIENT).json();
    let nested_claim = format!(
        "{},\"custom:tree\":{}}}",
        &payload[..payload.len() - 1],
        nested_objects(32)
    );
    let token = sign_parts(POOL.key(), &header, &nested_claim);
    let claims: Value = access.verify_sync(&token).unwrap();
    assert!(claims["custom:tree"]["a"]["a"].is_object());
}
