//! Findings of the outside review about issuers: issuers that publish the
//! same `kid` each verify with their own key.
use cognito_jwt_core::testing::{TestIssuer, TestIssuers, TestKey, TestOidcIssuer};
use cognito_jwt_core::{
    AccessTokenClaims, Algorithm, CognitoJwtVerifier, ErrorKind, JwtVerifier, StandardClaims,
    TokenUse,
};
use serde_json::{Value, json};

const AUD: &str = "orders-api";

#[tokio::test]
async fn oidc_issuers_sharing_a_kid_each_verify_with_their_own_key() {
    let a = TestOidcIssuer::new("https://login.example.com/a", Algorithm::RS256);
    let b = TestOidcIssuer::new("https://login.example.com/b", Algorithm::RS256);
    assert_eq!(a.key().kid(), b.key().kid(), "the same kid, other keys");
    let issuers = TestIssuers::new();
    issuers.add_oidc_issuer(&a);
    issuers.add_oidc_issuer(&b);
    let verifier = JwtVerifier::builder()
        .issuer(a.issuer_config(AUD))
        .issuer(b.issuer_config(AUD))
        .fetcher(issuers.clone())
        .build()
        .unwrap();

    // The first token of b arrives while only a's key set is cached.
    for _ in 0..2 {
        for issuer in [&a, &b] {
            let claims: StandardClaims = verifier
                .verify(&issuer.access_token(AUD).sign())
                .await
                .unwrap();
            assert_eq!(claims.iss, issuer.issuer());
            let claims: StandardClaims = verifier
                .verify_sync(&issuer.access_token(AUD).sign())
                .unwrap();
            assert_eq!(claims.iss, issuer.issuer());
        }
    }
    assert_eq!(issuers.fetches(&a.jwks_uri()), 1);
    assert_eq!(issuers.fetches(&b.jwks_uri()), 1);

    // b's key does not vouch for a token naming a.
    let forged = b.access_token(AUD).claim("iss", a.issuer()).sign();
    let err = verifier.verify::<Value>(&forged).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidSignature);
}

#[tokio::test]
async fn cognito_pools_sharing_a_kid_each_verify_with_their_own_key() {
    let pools = [
        TestIssuer::new("eu-west-1_SharedKid1"),
        TestIssuer::new("eu-west-1_SharedKid2"),
    ];
    let keys = [TestKey::generate("1"), TestKey::generate("1")];
    let issuers = TestIssuers::new();
    let mut builder = CognitoJwtVerifier::builder().fetcher(issuers.clone());
    for (pool, key) in pools.iter().zip(&keys) {
        issuers.serve(pool.jwks_uri(), json!({ "keys": [key.jwk()] }).to_string());
        builder = builder.user_pool(pool.user_pool("web", TokenUse::Access));
    }
    let verifier = builder.build().unwrap();

    for _ in 0..2 {
        for (pool, key) in pools.iter().zip(&keys) {
            let token = pool
                .access_token("web")
                .header("kid", key.kid())
                .sign_with(key);
            let claims: AccessTokenClaims = verifier.verify(&token).await.unwrap();
            assert_eq!(claims.iss, pool.issuer());
            let claims: AccessTokenClaims = verifier.verify_sync(&token).unwrap();
            assert_eq!(claims.iss, pool.issuer());
        }
    }
    for pool in &pools {
        assert_eq!(issuers.fetches(&pool.jwks_uri()), 1);
    }
}
