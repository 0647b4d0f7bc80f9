//! OpenID Connect discovery documents (and RFC 8414 authorization server
//! metadata) served to a `JwtVerifier` that discovers its key set, the key
//! set itself served at any other URL; a genuine token verified. Never a
//! panic; the verdict is acceptance or an unavailable key set; the key set
//! is fetched only from an https URL, after the metadata; and a second
//! `verify`, then `verify_sync`, agree with the first. `$ISSUER` and
//! `$JWKS_URI` in the input stand for the issuer's URLs.
#![no_main]

use std::sync::LazyLock;

use cognito_jwt_core::testing::TestOidcIssuer;
use cognito_jwt_core::{Algorithm, ErrorKind, JwtVerifier, StandardClaims};
use cognito_jwt_fuzz::{Endpoint, block_on, substitute, verdict};
use libfuzzer_sys::fuzz_target;

const AUDIENCE: &str = "fuzz-api";
const OAUTH_METADATA_URL: &str =
    "https://login.example.com/.well-known/oauth-authorization-server/tenant-1";

static ISSUER: LazyLock<(TestOidcIssuer, String)> = LazyLock::new(|| {
    let issuer = TestOidcIssuer::new("https://login.example.com/tenant-1", Algorithm::ES256);
    let token = issuer.access_token(AUDIENCE).sign();
    (issuer, token)
});

fuzz_target!(|data: &[u8]| {
    let (issuer, token) = &*ISSUER;
    let Some((select, document)) = data.split_first() else {
        return;
    };
    let document = substitute(
        &String::from_utf8_lossy(document),
        &[
            ("$ISSUER", issuer.issuer()),
            ("$JWKS_URI", &issuer.jwks_uri()),
        ],
    );
    let oauth = select % 2 == 1;
    let (config, metadata_url) = if oauth {
        let config = issuer.issuer_config(AUDIENCE).discover_oauth_metadata();
        (config, OAUTH_METADATA_URL.to_owned())
    } else {
        (issuer.issuer_config(AUDIENCE), issuer.discovery_url())
    };
    let endpoint = Endpoint::at(&metadata_url, document.as_bytes(), &issuer.jwks_json());
    let verifier = JwtVerifier::builder()
        .issuer(config)
        .fetcher(endpoint.clone())
        .build()
        .expect("the test issuer's settings");

    let first = verdict(&block_on(verifier.verify::<StandardClaims>(token)));
    assert!(
        matches!(first, None | Some(ErrorKind::JwksUnavailable)),
        "{first:?}"
    );
    let asked = endpoint.asked();
    assert_eq!(
        asked.first(),
        Some(&metadata_url),
        "the metadata comes first"
    );
    assert!(
        asked[1..].iter().all(|url| url.starts_with("https://")),
        "a key set fetched from {asked:?}"
    );
    if first.is_none() {
        assert_eq!(asked.len(), 2, "{asked:?}");
    }

    let again = verdict(&block_on(verifier.verify::<StandardClaims>(token)));
    assert_eq!(first, again, "a second verify disagrees");
    let cached = verdict(&verifier.verify_sync::<StandardClaims>(token));
    match first {
        None => assert_eq!(cached, None),
        Some(_) => assert!(
            matches!(
                cached,
                Some(ErrorKind::JwksUnavailable | ErrorKind::JwksNotCached)
            ),
            "{cached:?}"
        ),
    }
});
