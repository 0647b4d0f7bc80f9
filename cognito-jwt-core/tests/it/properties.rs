//! Property tests (SECURITY-CASES A10, A11, D30–31; issue 7 item 5): whatever
//! bytes arrive, verification returns an error with a kind and never panics;
//! no mutation of a valid token verifies; header parsing never panics.
use std::sync::LazyLock;

use cognito_jwt_core::AcceptedTokenUse;
use cognito_jwt_core::http::{TokenSource, bearer_token};
use cognito_jwt_core::testing::TestIssuer;
use cognito_jwt_core::{CognitoJwtVerifier, ErrorKind};
use proptest::prelude::*;

const CLIENT: &str = "prop-client";

struct Fixture {
    verifier: CognitoJwtVerifier,
    tokens: Vec<String>,
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let issuer = TestIssuer::new("eu-west-1_PropPool1");
    let verifier = issuer.verifier(CLIENT, AcceptedTokenUse::Any);
    let tokens = vec![
        issuer.access_token(CLIENT).group("admins").sign(),
        issuer.id_token(CLIENT).sign(),
        issuer.m2m_access_token(CLIENT, "orders/read").sign(),
    ];
    Fixture { verifier, tokens }
});

fn verify(token: &str) -> Result<serde_json::Value, cognito_jwt_core::Error> {
    FIXTURE.verifier.verify_sync::<serde_json::Value>(token)
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip { at: usize, bit: u8 },
    Insert { at: usize, byte: u8 },
    Delete { at: usize },
    Truncate { len: usize },
    Swap { a: usize, b: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 0u8..8).prop_map(|(at, bit)| Mutation::Flip { at, bit }),
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Insert { at, byte }),
        any::<usize>().prop_map(|at| Mutation::Delete { at }),
        any::<usize>().prop_map(|len| Mutation::Truncate { len }),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::Swap { a, b }),
    ]
}

fn apply(token: &str, mutation: &Mutation) -> Vec<u8> {
    let mut bytes = token.as_bytes().to_vec();
    let n = bytes.len();
    match *mutation {
        Mutation::Flip { at, bit } => bytes[at % n] ^= 1 << bit,
        Mutation::Insert { at, byte } => bytes.insert(at % (n + 1), byte),
        Mutation::Delete { at } => {
            bytes.remove(at % n);
        }
        Mutation::Truncate { len } => bytes.truncate(len % n),
        Mutation::Swap { a, b } => bytes.swap(a % n, b % n),
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1_000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_are_rejected_with_a_kind(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let text = String::from_utf8_lossy(&bytes);
        let error = verify(&text).expect_err("random input never verifies");
        prop_assert!(ErrorKind::ALL.contains(&error.kind()));
    }

    #[test]
    fn jwt_shaped_garbage_is_rejected(
        header in "[A-Za-z0-9_-]{0,200}",
        payload in "[A-Za-z0-9_-]{0,600}",
        signature in "[A-Za-z0-9_-]{0,400}",
    ) {
        let token = format!("{header}.{payload}.{signature}");
        prop_assert!(verify(&token).is_err());
    }

    #[test]
    fn mutated_tokens_never_verify(which in 0usize..3, mutation in mutation()) {
        let original = &FIXTURE.tokens[which];
        let mutated = apply(original, &mutation);
        if mutated == original.as_bytes() {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&mutated);
        // Base64url has "don't care" low bits in the last character of a
        // segment only when padding bits exist; the strict decoder refuses
        // non-zero trailing bits, so every real change must be refused.
        let result = verify(&text);
        prop_assert!(result.is_err(), "mutation {mutation:?} verified");
    }

    #[test]
    fn authorization_parsing_never_panics(values in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 0..3)) {
        let _ = bearer_token(values.iter().map(Vec::as_slice));
        let source = TokenSource::Cookie("token".to_owned());
        let _ = source.extract(values.iter().map(Vec::as_slice), values.iter().map(Vec::as_slice));
    }
}

#[test]
fn the_fixture_tokens_verify() {
    for token in &FIXTURE.tokens {
        verify(token).expect("fixture token verifies");
    }
}
