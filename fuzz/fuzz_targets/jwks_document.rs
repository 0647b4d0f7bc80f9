//! Key-set documents with every key type the verifiers take (RSA for a
//! user pool and for RS256; EC P-256 and P-384; OKP Ed25519), loaded
//! through `cache_jwks` and, as a second path, served by a `StaticJwks`
//! fetcher to `hydrate`; then a genuine token verified with `verify_sync`.
//! Never a panic; both paths load or refuse the document alike and give
//! the token the same verdict. Placeholders in the input (`$RS256`,
//! `$ES256`, `$ES384`, `$EDDSA`, `$COGNITO`) stand for this process's
//! genuine JWKs, so that corpus files keep reaching the signature check.
#![no_main]

use std::sync::LazyLock;

use cognito_jwt_core::testing::{StaticJwks, TestIssuer, TestOidcIssuer};
use cognito_jwt_core::{
    AccessTokenClaims, Algorithm, CognitoJwtVerifier, Error, ErrorKind, JwtVerifier,
    StandardClaims, TokenUse,
};
use cognito_jwt_fuzz::{block_on, substitute, verdict};
use libfuzzer_sys::fuzz_target;

const CLIENT: &str = "fuzz-client";

struct Fixture {
    pool: TestIssuer,
    pool_token: String,
    issuers: Vec<(TestOidcIssuer, String)>,
    jwks: Vec<(&'static str, String)>,
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let pool = TestIssuer::new("eu-west-1_FuzzJwks1");
    let pool_token = pool.access_token(CLIENT).sign();
    let mut jwks = vec![("$COGNITO", pool.key().jwk().to_string())];
    let issuers = [
        ("$RS256", Algorithm::RS256),
        ("$ES256", Algorithm::ES256),
        ("$ES384", Algorithm::ES384),
        ("$EDDSA", Algorithm::EdDSA),
    ]
    .into_iter()
    .map(|(placeholder, algorithm)| {
        let issuer = TestOidcIssuer::new(
            format!("https://login.example.com/{}", algorithm.as_str()),
            algorithm,
        );
        jwks.push((placeholder, issuer.key().jwk().to_string()));
        let token = issuer.access_token(CLIENT).sign();
        (issuer, token)
    })
    .collect();
    Fixture {
        pool,
        pool_token,
        issuers,
        jwks,
    }
});

/// The verdicts of both paths: whether the document loaded, and the token's.
type Verdicts = (bool, Option<ErrorKind>);

fn outcome(loaded: &Result<impl Sized, Error>, token: Option<ErrorKind>) -> Verdicts {
    verdict(loaded);
    (loaded.is_ok(), token)
}

fn user_pool(fixture: &Fixture, document: &str) -> [Verdicts; 2] {
    let pool = &fixture.pool;
    let build = || {
        CognitoJwtVerifier::builder()
            .user_pool(pool.user_pool(CLIENT, TokenUse::Access))
            .fetcher(StaticJwks(document.to_owned()))
            .build()
            .expect("the test pool's settings")
    };
    let cached = build();
    let loaded = cached.cache_jwks(pool.pool_id(), document);
    let token = verdict(&cached.verify_sync::<AccessTokenClaims>(&fixture.pool_token));
    let hydrated = build();
    let fetched = block_on(hydrated.hydrate());
    let token_after_fetch =
        verdict(&hydrated.verify_sync::<AccessTokenClaims>(&fixture.pool_token));
    [
        outcome(&loaded, token),
        outcome(&fetched, token_after_fetch),
    ]
}

fn oidc(issuer: &TestOidcIssuer, token: &str, document: &str) -> [Verdicts; 2] {
    let build = || {
        JwtVerifier::builder()
            .issuer(issuer.issuer_config(CLIENT).jwks_uri(issuer.jwks_uri()))
            .fetcher(StaticJwks(document.to_owned()))
            .build()
            .expect("the test issuer's settings")
    };
    let cached = build();
    let loaded = cached.cache_jwks(issuer.issuer(), document);
    let verdict_cached = verdict(&cached.verify_sync::<StandardClaims>(token));
    let hydrated = build();
    let fetched = block_on(hydrated.hydrate());
    let verdict_fetched = verdict(&hydrated.verify_sync::<StandardClaims>(token));
    [
        outcome(&loaded, verdict_cached),
        outcome(&fetched, verdict_fetched),
    ]
}

fuzz_target!(|data: &[u8]| {
    let fixture = &*FIXTURE;
    let Some((select, document)) = data.split_first() else {
        return;
    };
    let values: Vec<(&str, &str)> = fixture
        .jwks
        .iter()
        .map(|(placeholder, jwk)| (*placeholder, jwk.as_str()))
        .collect();
    let document = substitute(&String::from_utf8_lossy(document), &values);
    let [cached, fetched] = match usize::from(*select) % (fixture.issuers.len() + 1) {
        0 => user_pool(fixture, &document),
        i => {
            let (issuer, token) = &fixture.issuers[i - 1];
            oidc(issuer, token, &document)
        }
    };
    assert_eq!(cached, fetched, "cache_jwks and a fetch disagree");
});
