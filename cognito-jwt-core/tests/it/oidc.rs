//! The generic verifier (`JwtVerifier`): algorithms, key/alg consistency,
//! audiences, RFC 9068 access tokens, discovery, scopes and groups, and the
//! security cases of SECURITY-CASES.md that differ from Cognito's.
use std::time::{SystemTime, UNIX_EPOCH};

use cognito_jwt_core::testing::{
    OidcTokenBuilder, RsaPadding, TestCurveKey, TestIssuers, TestKey, TestOidcIssuer,
    TestSigningKey, b64,
};
use cognito_jwt_core::{
    AccessTokenClaims, Algorithm, ErrorKind, Issuer, JwtVerifier, Requirements, StandardClaims,
};
use serde_json::{Value, json};

const ISS: &str = "https://id.example.com/tenant-1";
const AUD: &str = "orders-api";

/// The issuer of these tests, signing with `algorithm`.
fn issuer(algorithm: Algorithm) -> TestOidcIssuer {
    TestOidcIssuer::new(ISS, algorithm)
}

/// Its ID tokens for `AUD`, its key set at its `jwks_uri` (no discovery).
fn config(oidc: &TestOidcIssuer) -> Issuer {
    oidc.id_token_config(AUD).jwks_uri(oidc.jwks_uri())
}

/// A verifier trusting `issuer`, nothing cached, fetching from `issuers`.
fn verifier(issuer: Issuer, issuers: &TestIssuers) -> JwtVerifier {
    JwtVerifier::builder()
        .issuer(issuer)
        .fetcher(issuers.clone())
        .build()
        .expect("a valid configuration")
}

/// `oidc`'s documents, but `keys` as its key set.
fn serving(oidc: &TestOidcIssuer, keys: &[Value]) -> TestIssuers {
    let issuers = oidc.fetcher();
    issuers.serve(oidc.jwks_uri(), json!({ "keys": keys }).to_string());
    issuers
}

/// How many fetches of `oidc`'s discovery document, of its key set, and
/// of anything at all.
fn fetches(issuers: &TestIssuers, oidc: &TestOidcIssuer) -> (u64, u64, u64) {
    let at = |url: String| issuers.fetches(&url);
    (
        at(oidc.discovery_url()),
        at(oidc.jwks_uri()),
        issuers.total_fetches(),
    )
}

/// `token` with this `alg` and `kid`, its signature made by `sign` over
/// its signing input.
fn signed(
    token: OidcTokenBuilder<'_>,
    alg: &str,
    kid: &str,
    sign: impl FnOnce(&[u8]) -> Vec<u8>,
) -> String {
    let (header, claims) = token.header("alg", alg).header("kid", kid).json();
    let input = format!("{}.{}", b64(header), b64(claims));
    format!("{input}.{}", b64(sign(input.as_bytes())))
}

/// `token` signed by `key`, its header naming it.
fn signed_by(token: OidcTokenBuilder<'_>, key: &TestSigningKey) -> String {
    let token = token.header("alg", key.algorithm().as_str());
    token.header("kid", key.kid()).sign_with(key)
}

fn kind<T>(result: Result<T, cognito_jwt_core::Error>) -> ErrorKind {
    match result {
        Ok(_) => panic!("accepted"),
        Err(e) => e.kind(),
    }
}

/// An RSA key whose JWK names no `alg`, so that it serves every RSA
/// algorithm allowed.
fn rsa_without_alg(kid: &str) -> (TestKey, Value) {
    let rsa = TestKey::generate(kid);
    let mut jwk = rsa.jwk();
    jwk.as_object_mut()
        .expect("a JWK is an object")
        .remove("alg");
    (rsa, jwk)
}

#[tokio::test]
async fn every_algorithm_verifies_with_its_own_key() {
    let oidc = issuer(Algorithm::ES256);
    let (rsa, rsa_jwk) = rsa_without_alg("rsa");
    let curves = [
        TestSigningKey::generate("p256", Algorithm::ES256),
        TestSigningKey::generate("p384", Algorithm::ES384),
        TestSigningKey::generate("ed", Algorithm::EdDSA),
    ];
    let mut keys = vec![rsa_jwk];
    keys.extend(curves.iter().map(TestSigningKey::jwk));
    let issuers = serving(&oidc, &keys);
    let v = verifier(
        config(&oidc).algorithms(Algorithm::ALL.iter().copied()),
        &issuers,
    );
    for key in &curves {
        let token = signed_by(oidc.id_token(AUD).scope("orders:read profile"), key);
        let claims: StandardClaims = v.verify(&token).await.unwrap();
        assert_eq!(claims.aud, [AUD]);
        assert!(claims.has_scope("orders:read"));
    }
    for padding in [
        RsaPadding::Pkcs1Sha256,
        RsaPadding::Pkcs1Sha384,
        RsaPadding::Pkcs1Sha512,
        RsaPadding::PssSha256,
        RsaPadding::PssSha384,
        RsaPadding::PssSha512,
    ] {
        let token = signed(oidc.id_token(AUD), padding.alg(), "rsa", |input| {
            rsa.sign_with(padding, input)
        });
        v.verify::<Value>(&token).await.unwrap();
    }
    assert_eq!(fetches(&issuers, &oidc), (0, 1, 1));
}

#[tokio::test]
async fn the_default_allow_list_is_rs256_only() {
    let oidc = issuer(Algorithm::ES256);
    let (rsa, jwk) = rsa_without_alg("rsa");
    let issuers = serving(&oidc, &[jwk]);
    let v = verifier(
        Issuer::new(ISS).audience(AUD).jwks_uri(oidc.jwks_uri()),
        &issuers,
    );
    let rsa_token = |padding: RsaPadding| {
        signed(oidc.id_token(AUD), padding.alg(), "rsa", |input| {
            rsa.sign_with(padding, input)
        })
    };
    assert_eq!(
        kind(v.verify::<Value>(&rsa_token(RsaPadding::PssSha256)).await),
        ErrorKind::UnsupportedAlgorithm
    );
    // PS256 refused before any fetch.
    assert_eq!(fetches(&issuers, &oidc), (0, 0, 0));
    v.verify::<Value>(&rsa_token(RsaPadding::Pkcs1Sha256))
        .await
        .unwrap();
    assert_eq!(fetches(&issuers, &oidc), (0, 1, 1));
}

#[tokio::test]
async fn algorithm_confusion_across_families_is_refused() {
    let oidc = issuer(Algorithm::ES256);
    let (rsa, rsa_jwk) = rsa_without_alg("shared");
    let p256 = TestCurveKey::es256("shared");
    let issuers = serving(&oidc, std::slice::from_ref(&rsa_jwk));
    let v = verifier(
        config(&oidc).algorithms([Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA]),
        &issuers,
    );
    v.hydrate().await.unwrap();

    // An ES256 token naming the RSA key's kid.
    let es = signed(oidc.id_token(AUD), "ES256", "shared", |input| {
        p256.sign(input)
    });
    assert_eq!(
        kind(v.verify::<Value>(&es).await),
        ErrorKind::UnsupportedAlgorithm
    );

    // HS256 keyed with every public form of the key: refused at the header.
    for secret in [
        rsa.public_der(),
        rsa_jwk.to_string().into_bytes(),
        rsa.n().into_bytes(),
        p256.public_key(),
    ] {
        let token = signed(oidc.id_token(AUD), "HS256", "shared", |input| {
            let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &secret);
            aws_lc_rs::hmac::sign(&key, input).as_ref().to_vec()
        });
        assert_eq!(
            kind(v.verify::<Value>(&token).await),
            ErrorKind::UnsupportedAlgorithm
        );
    }
    for alg in ["none", "nOnE", "HS256", "ES512", "rs256"] {
        let token = signed(oidc.id_token(AUD), alg, "shared", |_| Vec::new());
        assert_eq!(
            kind(v.verify::<Value>(&token).await),
            ErrorKind::UnsupportedAlgorithm,
            "{alg}"
        );
    }
    assert_eq!(fetches(&issuers, &oidc), (0, 1, 1));
}

#[tokio::test]
async fn keys_inconsistent_with_their_type_are_never_used() {
    let oidc = issuer(Algorithm::ES256);
    let p256 = TestSigningKey::generate("p256", Algorithm::ES256);
    let ed = TestSigningKey::generate("ed", Algorithm::EdDSA);
    // An Ed25519 key announced with a P-256 crv; a P-256 key announced as
    // ES384; an encryption key; and the issuer's own key.
    let mut bad_crv = ed.jwk();
    bad_crv["crv"] = json!("P-256");
    let mut bad_alg = p256.jwk();
    bad_alg["alg"] = json!("ES384");
    let mut enc = TestSigningKey::generate("enc", Algorithm::ES256).jwk();
    enc["use"] = json!("enc");
    let issuers = serving(&oidc, &[bad_crv, bad_alg, enc, oidc.key().jwk()]);
    let v = verifier(
        config(&oidc).algorithms([Algorithm::ES256, Algorithm::ES384, Algorithm::EdDSA]),
        &issuers,
    );
    v.hydrate().await.unwrap();
    assert_eq!(v.health().key_sets[0].keys, 1);
    for key in [&ed, &p256] {
        let token = signed_by(oidc.id_token(AUD), key);
        assert_eq!(kind(v.verify::<Value>(&token).await), ErrorKind::UnknownKid);
    }
    v.verify::<Value>(&oidc.id_token(AUD).sign()).await.unwrap();
}

#[tokio::test]
async fn ecdsa_signatures_must_be_in_jose_form() {
    let oidc = issuer(Algorithm::ES256);
    let key = TestCurveKey::es256("k");
    let v = verifier(config(&oidc), &serving(&oidc, &[key.jwk()]));
    let token = signed(oidc.id_token(AUD), "ES256", "k", |input| {
        key.sign_der(input).unwrap()
    });
    assert_eq!(
        kind(v.verify::<Value>(&token).await),
        ErrorKind::InvalidSignature
    );
    let token = signed(oidc.id_token(AUD), "ES256", "k", |input| {
        let mut flipped = key.sign(input);
        flipped[10] ^= 1;
        flipped
    });
    assert_eq!(
        kind(v.verify::<Value>(&token).await),
        ErrorKind::InvalidSignature
    );
}

#[tokio::test]
async fn issuer_audience_and_dates() {
    let oidc = issuer(Algorithm::EdDSA);
    let v = oidc.verifier_from(oidc.verifier_builder(oidc.id_token_config(AUD)));
    let token = || oidc.id_token(AUD);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_secs();
    v.verify::<Value>(&token().audiences(["other", AUD]).sign())
        .await
        .unwrap();
    for (token, expected) in [
        (token().audience("other"), ErrorKind::InvalidAudience),
        (token().audiences(["other"]), ErrorKind::InvalidAudience),
        (token().claim("aud", 7), ErrorKind::Malformed),
        (
            token().claim("iss", format!("{ISS}/")),
            ErrorKind::InvalidIssuer,
        ),
        (
            token().claim("iss", ISS.to_uppercase()),
            ErrorKind::InvalidIssuer,
        ),
        (token().expires_in(-1), ErrorKind::Expired),
        (token().claim("exp", "soon"), ErrorKind::Malformed),
        (token().claim("nbf", now + 600), ErrorKind::NotYetValid),
    ] {
        assert_eq!(kind(v.verify::<Value>(&token.sign()).await), expected);
    }
    let no_aud = token().without("aud").sign();
    assert_eq!(
        kind(v.verify::<Value>(&no_aud).await),
        ErrorKind::InvalidAudience
    );
    // Cognito's claims types belong to the Cognito verifier.
    assert_eq!(
        kind(v.verify::<AccessTokenClaims>(&token().sign()).await),
        ErrorKind::InvalidTokenUse
    );
}

#[test]
fn audiences_are_required_unless_waived() {
    let jwks_uri = format!("{ISS}/keys");
    let err = JwtVerifier::builder()
        .issuer(Issuer::new(ISS).jwks_uri(&jwks_uri))
        .build()
        .unwrap_err();
    assert_eq!(err.name(), Some("issuer[0].audience"));
    JwtVerifier::builder()
        .issuer(
            Issuer::new(ISS)
                .jwks_uri(jwks_uri)
                .dangerously_accept_any_audience(),
        )
        .build()
        .unwrap();
    for (issuer, name) in [
        (
            Issuer::new("http://id.example").audience(AUD),
            "issuer[0].issuer",
        ),
        (
            Issuer::new(ISS)
                .audience(AUD)
                .jwks_uri("http://id.example/k"),
            "issuer[0].jwks_uri",
        ),
        (
            Issuer::new(ISS).audience(AUD).require_claim("custom:x"),
            "issuer[0].require_claim",
        ),
    ] {
        let err = JwtVerifier::builder().issuer(issuer).build().unwrap_err();
        assert_eq!(err.name(), Some(name));
    }
    JwtVerifier::builder()
        .issuer(
            Issuer::new("http://127.0.0.1:3000")
                .audience(AUD)
                .allow_http(true),
        )
        .build()
        .unwrap();
}

#[tokio::test]
async fn rfc_9068_access_tokens() {
    let oidc = issuer(Algorithm::ES256);
    let v = oidc.verifier(AUD);
    let at = |typ: &str| oidc.access_token(AUD).header("typ", typ).sign();
    for typ in [
        "at+jwt",
        "AT+JWT",
        "application/at+jwt",
        "Application/At+Jwt",
    ] {
        v.verify::<Value>(&at(typ)).await.unwrap();
    }
    assert_eq!(
        kind(v.verify::<Value>(&at("JWT")).await),
        ErrorKind::InvalidTokenUse
    );
    assert_eq!(
        kind(v.verify::<Value>(&at("text/at+jwt")).await),
        ErrorKind::Malformed
    );
    for claim in ["sub", "client_id", "iat", "jti", "aud"] {
        let token = oidc.access_token(AUD).without(claim).sign();
        assert!(
            matches!(
                kind(v.verify::<Value>(&token).await),
                ErrorKind::Malformed | ErrorKind::InvalidAudience
            ),
            "{claim}"
        );
    }
    // Without the profile, at+jwt is refused: it is not what was configured.
    let plain = oidc.verifier_from(oidc.verifier_builder(oidc.id_token_config(AUD)));
    assert_eq!(
        kind(plain.verify::<Value>(&at("at+jwt")).await),
        ErrorKind::InvalidTokenUse
    );
}

#[tokio::test]
async fn scopes_and_a_configured_groups_claim() {
    let oidc = issuer(Algorithm::ES256);
    let v =
        oidc.verifier_from(oidc.verifier_builder(oidc.id_token_config(AUD).groups_claim("roles")));
    // Scopes in `scp` (an ID token has no `scope`), groups in `roles`.
    let with_roles = |roles: Value| {
        oidc.id_token(AUD)
            .claim("scp", json!(["orders:write"]))
            .claim("roles", roles)
            .sign()
    };
    let token = with_roles(json!(["admin"]));
    let needs = |r: Requirements| {
        let v = v.clone();
        let token = token.clone();
        async move { v.verify_with::<StandardClaims>(&token, &r).await }
    };
    needs(Requirements::new().any_scope("orders:write"))
        .await
        .unwrap();
    needs(Requirements::new().any_group("admin")).await.unwrap();
    assert_eq!(
        kind(needs(Requirements::new().any_scope("orders:read")).await),
        ErrorKind::MissingScope
    );
    assert_eq!(
        kind(needs(Requirements::new().any_group("staff")).await),
        ErrorKind::MissingGroup
    );
    let token = with_roles(json!("admin"));
    assert_eq!(kind(v.verify::<Value>(&token).await), ErrorKind::Malformed);
}

#[tokio::test]
async fn discovery_is_one_more_step_of_the_first_fetch() {
    let oidc = issuer(Algorithm::ES256);
    let issuers = oidc.fetcher();
    let v = verifier(oidc.id_token_config(AUD).discover(), &issuers);
    assert_eq!(v.jwks_uris().collect::<Vec<_>>(), [oidc.discovery_url()]);
    v.verify::<Value>(&oidc.id_token(AUD).sign()).await.unwrap();
    assert_eq!(fetches(&issuers, &oidc), (1, 1, 2));
    assert_eq!(v.jwks_uris().collect::<Vec<_>>(), [oidc.jwks_uri()]);
    v.hydrate().await.unwrap();
    assert_eq!(
        fetches(&issuers, &oidc),
        (1, 2, 3),
        "discovery is not repeated"
    );
}

#[tokio::test]
async fn a_discovery_document_for_another_issuer_or_an_http_key_set_is_refused() {
    let oidc = issuer(Algorithm::ES256);
    // The issuer's own document, one field changed.
    let good: Value = serde_json::from_str(&oidc.discovery_json()).unwrap();
    let with = |field: &str, value: String| {
        let mut document = good.clone();
        document[field] = json!(value);
        document.to_string()
    };
    for document in [
        with("issuer", format!("{ISS}/")),
        with("issuer", "https://evil.example/tenant-1".to_owned()),
        with("jwks_uri", oidc.jwks_uri().replacen("https:", "http:", 1)),
        "<html>".to_owned(),
    ] {
        let issuers = oidc.fetcher();
        issuers.serve(oidc.discovery_url(), document);
        let v = verifier(oidc.id_token_config(AUD), &issuers);
        assert_eq!(
            kind(v.verify::<Value>(&oidc.id_token(AUD).sign()).await),
            ErrorKind::JwksUnavailable
        );
        assert_eq!(
            fetches(&issuers, &oidc),
            (1, 0, 1),
            "the key set is never fetched"
        );
        assert!(!v.is_ready());
    }
}

#[tokio::test]
async fn a_flood_of_foreign_issuers_causes_no_fetch() {
    let oidc = issuer(Algorithm::ES256);
    let issuers = oidc.fetcher();
    let v = verifier(config(&oidc), &issuers);
    for i in 0..200 {
        let token = oidc
            .id_token(AUD)
            .claim("iss", format!("https://attacker.example/{i}"))
            .header("kid", format!("kid-{i}"))
            .sign();
        assert_eq!(
            kind(v.verify::<Value>(&token).await),
            ErrorKind::InvalidIssuer
        );
    }
    assert_eq!(fetches(&issuers, &oidc), (0, 0, 0));
}

#[tokio::test]
async fn headers_pointing_at_other_keys_are_ignored() {
    let oidc = issuer(Algorithm::ES256);
    let attacker = TestSigningKey::generate(oidc.key().kid(), Algorithm::ES256);
    let issuers = oidc.fetcher();
    let v = verifier(config(&oidc), &issuers);
    let token = oidc
        .id_token(AUD)
        .header("jwk", attacker.jwk())
        .header("jku", "https://attacker.example/jwks")
        .header("x5u", "https://attacker.example/x5u")
        .sign_with(&attacker);
    assert_eq!(
        kind(v.verify::<Value>(&token).await),
        ErrorKind::InvalidSignature
    );
    let crit = oidc.id_token(AUD).header("crit", json!(["exp"])).sign();
    assert_eq!(kind(v.verify::<Value>(&crit).await), ErrorKind::Malformed);
    assert_eq!(fetches(&issuers, &oidc), (0, 1, 1));
}
