//! `verify_sync` with a cached key set over arbitrary input, and over
//! mutations of genuine tokens: never a panic, always a rejection with a kind
//! (except the unmodified genuine tokens).
#![no_main]

use std::sync::LazyLock;

use cognito_jwt_core::AcceptedTokenUse;
use cognito_jwt_core::testing::TestIssuer;
use cognito_jwt_core::{CognitoJwtVerifier, ErrorKind};
use libfuzzer_sys::fuzz_target;

struct Fixture {
    verifier: CognitoJwtVerifier,
    tokens: Vec<String>,
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let issuer = TestIssuer::new("eu-west-1_FuzzPool1");
    let verifier = issuer.verifier("fuzz-client", AcceptedTokenUse::Any);
    let tokens = vec![
        issuer.access_token("fuzz-client").group("admins").sign(),
        issuer.id_token("fuzz-client").sign(),
    ];
    Fixture { verifier, tokens }
});

fuzz_target!(|data: &[u8]| {
    let fixture = &*FIXTURE;
    // First byte picks the mode: raw input, or a genuine token with the
    // input spliced in at a position given by the next two bytes.
    let candidate = match data.split_first() {
        Some((mode, rest)) if mode % 2 == 1 && rest.len() >= 2 => {
            let token = fixture.tokens[usize::from(*mode / 2) % fixture.tokens.len()].as_bytes();
            let at = usize::from(u16::from_le_bytes([rest[0], rest[1]])) % (token.len() + 1);
            let mut spliced = token[..at].to_vec();
            spliced.extend_from_slice(&rest[2..]);
            spliced.extend_from_slice(&token[(at + rest.len() - 2).min(token.len())..]);
            spliced
        }
        _ => data.to_vec(),
    };
    let text = String::from_utf8_lossy(&candidate);
    match fixture.verifier.verify_sync::<serde_json::Value>(&text) {
        Ok(_) => assert!(
            fixture.tokens.iter().any(|t| t.as_str() == text),
            "a modified token verified"
        ),
        Err(e) => assert!(ErrorKind::ALL.contains(&e.kind())),
    }
});
