//! The claims scan against the serde pass, through the public verifier: a
//! genuine token's payload with the fuzzer's bytes spliced in, signed and
//! verified as it is, and again with a line break after its `{`. A payload
//! with a line break never takes the scan (the serde pass reads it), so the
//! two must get the same verdict and, when accepted, the same claims.
#![no_main]

use std::sync::LazyLock;

use cognito_jwt_core::testing::{TestIssuer, sign_parts};
use cognito_jwt_core::{AcceptedTokenUse, AccessTokenClaims, CognitoJwtVerifier, Error};
use cognito_jwt_fuzz::{candidate, verdict};
use libfuzzer_sys::fuzz_target;

struct Fixture {
    issuer: TestIssuer,
    verifier: CognitoJwtVerifier,
    header: String,
    payloads: Vec<String>,
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let issuer = TestIssuer::new("eu-west-1_FuzzPool1");
    let verifier = issuer.verifier("fuzz-client", AcceptedTokenUse::Any);
    let (header, access) = issuer
        .access_token("fuzz-client")
        .group("admins")
        .group("users")
        .json();
    let (_, id) = issuer.id_token("fuzz-client").json();
    Fixture {
        issuer,
        verifier,
        header,
        payloads: vec![access, id],
    }
});

/// Everything a handler reads from the claims (not their JSON text, which
/// differs by the line break).
type Fields = (
    String,
    String,
    String,
    u64,
    Option<u64>,
    Option<u64>,
    Option<String>,
    Option<String>,
    Vec<String>,
    Option<String>,
    Option<u64>,
);

fn verify(fixture: &Fixture, payload: &str) -> Result<Fields, Error> {
    let token = sign_parts(fixture.issuer.key(), &fixture.header, payload);
    let claims = fixture.verifier.verify_sync::<AccessTokenClaims>(&token)?;
    Ok((
        claims.sub().to_owned(),
        claims.iss().to_owned(),
        claims.client_id().to_owned(),
        claims.exp(),
        claims.iat(),
        claims.auth_time(),
        claims.username().map(str::to_owned),
        claims.scope().map(str::to_owned),
        claims.groups().map(str::to_owned).collect(),
        claims.jti().map(str::to_owned),
        claims.version(),
    ))
}

fuzz_target!(|data: &[u8]| {
    let fixture = &*FIXTURE;
    let genuine: Vec<&[u8]> = fixture.payloads.iter().map(String::as_bytes).collect();
    let candidate = candidate(data, &genuine);
    let Ok(payload) = std::str::from_utf8(&candidate) else {
        return;
    };
    let Some(rest) = payload.strip_prefix('{') else {
        return;
    };
    let as_is = verify(fixture, payload);
    let by_serde = verify(fixture, &format!("{{\n{rest}"));
    assert_eq!(verdict(&as_is), verdict(&by_serde), "{payload}");
    if let (Ok(scanned), Ok(parsed)) = (as_is, by_serde) {
        assert_eq!(scanned, parsed, "{payload}");
    }
});
