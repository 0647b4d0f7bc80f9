//! A hostile token costs no more than a normal one to refuse (issue "Core
//! v2, part 2": bounded cost for every hostile input). Counted, not timed:
//! the bytes the process allocates while refusing each token, through a
//! counting global allocator. A forged token naming a cached key is refused
//! by its signature before its payload is parsed; one naming an unknown key
//! is scanned for its `iss` without allocating. Parsing thousands of claims
//! first (as before) allocates tens of kilobytes per token and fails here.
//!
//! The allocator counts every allocation of the process: the test holds
//! the process lock (`crate::alone`) so that nothing runs beside it.

use cognito_jwt_core::testing::{TestIssuer, sign_parts};
use cognito_jwt_core::{AccessTokenClaims, CognitoJwtVerifier, ErrorKind, MAX_TOKEN_LEN, TokenUse};

const CLIENT: &str = "hostile-client";

/// Bytes allocated while `verifier` refuses `token`, and the kind.
fn cost(verifier: &CognitoJwtVerifier, token: &str) -> (usize, ErrorKind) {
    let before = crate::ALLOCATOR.total_allocated();
    let kind = verifier
        .verify_sync::<AccessTokenClaims>(token)
        .expect_err("refused")
        .kind();
    (crate::ALLOCATOR.total_allocated() - before, kind)
}

/// The first signature character changed (the last one carries padding
/// bits, so changing it can make the token malformed instead).
fn forge(token: &str) -> String {
    let (rest, signature) = token.rsplit_once('.').expect("three segments");
    let flipped = if signature.starts_with('A') { 'B' } else { 'A' };
    format!("{rest}.{flipped}{}", &signature[1..])
}

/// A payload filled with `claim(i)` entries up to the token size cap.
fn stuffed(payload: &str, claim: impl Fn(usize) -> String) -> String {
    let mut out = payload[..payload.len() - 1].to_owned();
    let mut i = 0;
    // base64url grows the payload by 4/3; leave room for header and signature.
    while (out.len() + 40) * 4 / 3 < MAX_TOKEN_LEN - 800 {
        out.push(',');
        out.push_str(&claim(i));
        i += 1;
    }
    out.push('}');
    out
}

#[test]
fn hostile_payloads_cost_no_more_than_a_normal_forgery_to_refuse() {
    let _alone = crate::alone_blocking();
    let issuer = TestIssuer::new("eu-west-1_Hostile1");
    let verifier = issuer.verifier(CLIENT, TokenUse::Access);
    let (header, payload) = issuer.access_token(CLIENT).json();
    let unknown_header = header.replace(issuer.key().kid(), "a-kid-nobody-published");

    let normal = forge(&issuer.access_token(CLIENT).sign());
    let shapes = [
        (
            "many short claims",
            stuffed(&payload, |i| format!("\"c{i}\":0")),
        ),
        (
            "many escaped names",
            stuffed(&payload, |i| format!("\"\\u0063\\u0{:03x}\":1", i % 4096)),
        ),
        (
            "deep nesting",
            payload.replacen(
                '{',
                &format!("{{\"x\":{}1{},", "[".repeat(2000), "]".repeat(2000)),
                1,
            ),
        ),
        (
            "long escaped strings",
            stuffed(&payload, |i| format!("\"s{i}\":\"{}\"", "\\n".repeat(60))),
        ),
        (
            "huge numbers",
            stuffed(&payload, |i| format!("\"n{i}\":1{}e999", "9".repeat(80))),
        ),
    ];
    // Warm up (lazy statics, thread-locals).
    cost(&verifier, &normal);
    let (baseline, kind) = cost(&verifier, &normal);
    assert_eq!(kind, ErrorKind::InvalidSignature);

    for (shape, payload) in &shapes {
        let signed = sign_parts(issuer.key(), &header, payload);
        assert!(
            signed.len() <= MAX_TOKEN_LEN,
            "{shape}: {} bytes",
            signed.len()
        );
        let allowance = baseline + 2 * signed.len();

        let (bytes, kind) = cost(&verifier, &forge(&signed));
        assert_eq!(kind, ErrorKind::InvalidSignature, "{shape}");
        assert!(
            bytes <= allowance,
            "{shape}: {bytes} bytes to refuse, normal {baseline}"
        );

        // Naming a key no cached set has: scanned for its iss, refused
        // during the refetch cool-down, never parsed in full.
        let unknown = sign_parts(issuer.key(), &unknown_header, payload);
        let (bytes, kind) = cost(&verifier, &unknown);
        assert!(
            matches!(kind, ErrorKind::UnknownKid | ErrorKind::Malformed),
            "{shape}: {kind}"
        );
        assert!(
            bytes <= allowance,
            "{shape}, unknown kid: {bytes} bytes, normal {baseline}"
        );
    }
}
