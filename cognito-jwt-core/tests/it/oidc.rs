//! The generic verifier (`JwtVerifier`): algorithms, key/alg consistency,
//! audiences, RFC 9068 access tokens, discovery, scopes and groups, and the
//! security cases of SECURITY-CASES.md that differ from Cognito's.
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use cognito_jwt_core::testing::{RsaPadding, TestCurveKey, TestKey, b64};
use cognito_jwt_core::{
    AccessTokenClaims, Algorithm, ErrorKind, FetchError, FetchFuture, Issuer, JwksFetcher,
    JwtVerifier, Requirements, StandardClaims,
};
use serde_json::{Value, json};

const ISS: &str = "https://id.example.com/tenant-1";
const JWKS: &str = "https://id.example.com/tenant-1/keys";
const DISCOVERY: &str = "https://id.example.com/tenant-1/.well-known/openid-configuration";
const AUD: &str = "orders-api";

/// Serves documents by URL and counts every fetch.
#[derive(Clone, Default)]
struct Routes {
    documents: Arc<HashMap<String, String>>,
    fetches: Arc<AtomicU64>,
}

impl Routes {
    fn new(routes: &[(&str, String)]) -> Self {
        Self {
            documents: Arc::new(
                routes
                    .iter()
                    .map(|(u, d)| ((*u).to_owned(), d.clone()))
                    .collect(),
            ),
            fetches: Arc::default(),
        }
    }

    fn fetches(&self) -> u64 {
        self.fetches.load(Ordering::SeqCst)
    }
}

impl JwksFetcher for Routes {
    fn fetch<'a>(&'a self, url: &'a str) -> FetchFuture<'a> {
        self.fetches.fetch_add(1, Ordering::SeqCst);
        let found = self.documents.get(url).cloned();
        Box::pin(async move {
            found
                .map(String::into_bytes)
                .ok_or_else(|| FetchError::new("404"))
        })
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_secs()
}

fn set(keys: &[Value]) -> String {
    json!({ "keys": keys }).to_string()
}

fn claims() -> Value {
    json!({
        "iss": ISS,
        "sub": "user-1",
        "aud": AUD,
        "exp": now() + 600,
        "iat": now() - 5,
        "jti": "j-1",
        "client_id": "web",
        "scope": "orders:read profile",
    })
}

fn header(alg: &str, kid: &str) -> Value {
    json!({ "alg": alg, "kid": kid, "typ": "JWT" })
}

fn curve_token(key: &TestCurveKey, header: &Value, claims: &Value) -> String {
    key.sign_parts(&header.to_string(), &claims.to_string())
}

fn rsa_token(key: &TestKey, padding: RsaPadding, header: &Value, claims: &Value) -> String {
    let input = format!("{}.{}", b64(header.to_string()), b64(claims.to_string()));
    format!("{input}.{}", b64(key.sign_with(padding, input.as_bytes())))
}

fn verifier(issuer: Issuer, routes: &Routes) -> JwtVerifier {
    JwtVerifier::builder()
        .issuer(issuer)
        .fetcher(routes.clone())
        .build()
        .expect("a valid configuration")
}

fn kind<T>(result: Result<T, cognito_jwt_core::Error>) -> ErrorKind {
    match result {
        Ok(_) => panic!("accepted"),
        Err(e) => e.kind(),
    }
}

#[tokio::test]
async fn every_algorithm_verifies_with_its_own_key() {
    let rsa = TestKey::generate("rsa");
    let (p256, p384, ed) = (
        TestCurveKey::es256("p256"),
        TestCurveKey::es384("p384"),
        TestCurveKey::ed25519("ed"),
    );
    let mut rsa_jwk = rsa.jwk();
    rsa_jwk.as_object_mut().unwrap().remove("alg");
    let routes = Routes::new(&[(JWKS, set(&[rsa_jwk, p256.jwk(), p384.jwk(), ed.jwk()]))]);
    let v = verifier(
        Issuer::new(ISS)
            .audience(AUD)
            .jwks_uri(JWKS)
            .algorithms(Algorithm::ALL.iter().copied()),
        &routes,
    );
    for key in [&p256, &p384, &ed] {
        let token = curve_token(key, &header(key.algorithm().as_str(), key.kid()), &claims());
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
        let token = rsa_token(&rsa, padding, &header(padding.alg(), "rsa"), &claims());
        v.verify::<Value>(&token).await.unwrap();
    }
    assert_eq!(routes.fetches(), 1);
}

#[tokio::test]
async fn the_default_allow_list_is_rs256_only() {
    let rsa = TestKey::generate("rsa");
    let mut jwk = rsa.jwk();
    jwk.as_object_mut().unwrap().remove("alg");
    let routes = Routes::new(&[(JWKS, set(&[jwk]))]);
    let v = verifier(Issuer::new(ISS).audience(AUD).jwks_uri(JWKS), &routes);
    let ps256 = rsa_token(
        &rsa,
        RsaPadding::PssSha256,
        &header("PS256", "rsa"),
        &claims(),
    );
    assert_eq!(
        kind(v.verify::<Value>(&ps256).await),
        ErrorKind::UnsupportedAlgorithm
    );
    let rs256 = rsa_token(
        &rsa,
        RsaPadding::Pkcs1Sha256,
        &header("RS256", "rsa"),
        &claims(),
    );
    v.verify::<Value>(&rs256).await.unwrap();
    // PS256 refused before any fetch.
    assert_eq!(routes.fetches(), 1);
}

#[tokio::test]
async fn algorithm_confusion_across_families_is_refused() {
    let rsa = TestKey::generate("shared");
    let p256 = TestCurveKey::es256("shared");
    let mut rsa_jwk = rsa.jwk();
    rsa_jwk.as_object_mut().unwrap().remove("alg");
    let routes = Routes::new(&[(JWKS, set(&[rsa_jwk.clone()]))]);
    let v = verifier(
        Issuer::new(ISS).audience(AUD).jwks_uri(JWKS).algorithms([
            Algorithm::RS256,
            Algorithm::ES256,
            Algorithm::EdDSA,
        ]),
        &routes,
    );
    v.hydrate().await.unwrap();

    // An ES256 token naming the RSA key's kid.
    let es = curve_token(&p256, &header("ES256", "shared"), &claims());
    assert_eq!(
        kind(v.verify::<Value>(&es).await),
        ErrorKind::UnsupportedAlgorithm
    );

    // HS256 keyed with every public form of the key: refused at the header.
    let input = format!(
        "{}.{}",
        b64(header("HS256", "shared").to_string()),
        b64(claims().to_string())
    );
    for secret in [
        rsa.public_der(),
        rsa_jwk.to_string().into_bytes(),
        rsa.n().into_bytes(),
        p256.public_key(),
    ] {
        let tag = aws_lc_rs::hmac::sign(
            &aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &secret),
            input.as_bytes(),
        );
        let token = format!("{input}.{}", b64(tag.as_ref()));
        assert_eq!(
            kind(v.verify::<Value>(&token).await),
            ErrorKind::UnsupportedAlgorithm
        );
    }
    for alg in ["none", "nOnE", "HS256", "ES512", "rs256"] {
        let token = format!(
            "{}.{}.",
            b64(header(alg, "shared").to_string()),
            b64(claims().to_string())
        );
        assert_eq!(
            kind(v.verify::<Value>(&token).await),
            ErrorKind::UnsupportedAlgorithm,
            "{alg}"
        );
    }
    assert_eq!(routes.fetches(), 1);
}

#[tokio::test]
async fn keys_inconsistent_with_their_type_are_never_used() {
    let p256 = TestCurveKey::es256("p256");
    let ed = TestCurveKey::ed25519("ed");
    // An Ed25519 key announced with a P-256 crv; a P-256 key announced as
    // ES384; an encryption key.
    let mut bad_crv = ed.jwk();
    bad_crv["crv"] = json!("P-256");
    let mut bad_alg = p256.jwk();
    bad_alg["alg"] = json!("ES384");
    let mut enc = TestCurveKey::es256("enc").jwk();
    enc["use"] = json!("enc");
    let good = TestCurveKey::es256("good");
    let routes = Routes::new(&[(JWKS, set(&[bad_crv, bad_alg, enc, good.jwk()]))]);
    let v = verifier(
        Issuer::new(ISS).audience(AUD).jwks_uri(JWKS).algorithms([
            Algorithm::ES256,
            Algorithm::ES384,
            Algorithm::EdDSA,
        ]),
        &routes,
    );
    v.hydrate().await.unwrap();
    assert_eq!(v.health().key_sets[0].keys, 1);
    for (key, alg) in [(&ed, "EdDSA"), (&p256, "ES256")] {
        let token = curve_token(key, &header(alg, key.kid()), &claims());
        assert_eq!(kind(v.verify::<Value>(&token).await), ErrorKind::UnknownKid);
    }
    v.verify::<Value>(&curve_token(&good, &header("ES256", "good"), &claims()))
        .await
        .unwrap();
}

#[tokio::test]
async fn ecdsa_signatures_must_be_in_jose_form() {
    let key = TestCurveKey::es256("k");
    let routes = Routes::new(&[(JWKS, set(&[key.jwk()]))]);
    let v = verifier(
        Issuer::new(ISS)
            .audience(AUD)
            .jwks_uri(JWKS)
            .algorithms([Algorithm::ES256]),
        &routes,
    );
    let input = format!(
        "{}.{}",
        b64(header("ES256", "k").to_string()),
        b64(claims().to_string())
    );
    let der = key.sign_der(input.as_bytes()).unwrap();
    let token = format!("{input}.{}", b64(der));
    assert_eq!(
        kind(v.verify::<Value>(&token).await),
        ErrorKind::InvalidSignature
    );
    let mut flipped = key.sign(input.as_bytes());
    flipped[10] ^= 1;
    let token = format!("{input}.{}", b64(flipped));
    assert_eq!(
        kind(v.verify::<Value>(&token).await),
        ErrorKind::InvalidSignature
    );
}

#[tokio::test]
async fn issuer_audience_and_dates() {
    let key = TestCurveKey::ed25519("k");
    let routes = Routes::new(&[(JWKS, set(&[key.jwk()]))]);
    let v = verifier(
        Issuer::new(ISS)
            .audience(AUD)
            .jwks_uri(JWKS)
            .algorithms([Algorithm::EdDSA]),
        &routes,
    );
    let h = header("EdDSA", "k");
    let with = |name: &str, value: Value| {
        let mut c = claims();
        c[name] = value;
        curve_token(&key, &h, &c)
    };
    v.verify::<Value>(&with("aud", json!(["other", AUD])))
        .await
        .unwrap();
    for (token, expected) in [
        (with("aud", json!("other")), ErrorKind::InvalidAudience),
        (with("aud", json!(["other"])), ErrorKind::InvalidAudience),
        (with("aud", json!(7)), ErrorKind::Malformed),
        (
            with("iss", json!(format!("{ISS}/"))),
            ErrorKind::InvalidIssuer,
        ),
        (
            with("iss", json!(ISS.to_uppercase())),
            ErrorKind::InvalidIssuer,
        ),
        (with("exp", json!(now() - 1)), ErrorKind::Expired),
        (with("exp", json!("soon")), ErrorKind::Malformed),
        (with("nbf", json!(now() + 600)), ErrorKind::NotYetValid),
    ] {
        assert_eq!(kind(v.verify::<Value>(&token).await), expected);
    }
    let mut no_aud = claims();
    no_aud.as_object_mut().unwrap().remove("aud");
    let token = curve_token(&key, &h, &no_aud);
    assert_eq!(
        kind(v.verify::<Value>(&token).await),
        ErrorKind::InvalidAudience
    );
    // Cognito's claims types belong to the Cognito verifier.
    let token = curve_token(&key, &h, &claims());
    assert_eq!(
        kind(v.verify::<AccessTokenClaims>(&token).await),
        ErrorKind::InvalidTokenUse
    );
}

#[test]
fn audiences_are_required_unless_waived() {
    let err = JwtVerifier::builder()
        .issuer(Issuer::new(ISS).jwks_uri(JWKS))
        .build()
        .unwrap_err();
    assert_eq!(err.name(), Some("issuer[0].audience"));
    JwtVerifier::builder()
        .issuer(
            Issuer::new(ISS)
                .jwks_uri(JWKS)
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
    let key = TestCurveKey::es256("k");
    let routes = Routes::new(&[(JWKS, set(&[key.jwk()]))]);
    let v = verifier(
        Issuer::new(ISS)
            .audience(AUD)
            .jwks_uri(JWKS)
            .algorithms([Algorithm::ES256])
            .access_token_profile(),
        &routes,
    );
    let at = |typ: &str| json!({ "alg": "ES256", "kid": "k", "typ": typ });
    for typ in [
        "at+jwt",
        "AT+JWT",
        "application/at+jwt",
        "Application/At+Jwt",
    ] {
        v.verify::<Value>(&curve_token(&key, &at(typ), &claims()))
            .await
            .unwrap();
    }
    assert_eq!(
        kind(
            v.verify::<Value>(&curve_token(&key, &at("JWT"), &claims()))
                .await
        ),
        ErrorKind::InvalidTokenUse
    );
    assert_eq!(
        kind(
            v.verify::<Value>(&curve_token(&key, &at("text/at+jwt"), &claims()))
                .await
        ),
        ErrorKind::Malformed
    );
    for claim in ["sub", "client_id", "iat", "jti", "aud"] {
        let mut c = claims();
        c.as_object_mut().unwrap().remove(claim);
        let result = v
            .verify::<Value>(&curve_token(&key, &at("at+jwt"), &c))
            .await;
        assert!(
            matches!(
                kind(result),
                ErrorKind::Malformed | ErrorKind::InvalidAudience
            ),
            "{claim}"
        );
    }
    // Without the profile, at+jwt is refused: it is not what was configured.
    let plain = verifier(
        Issuer::new(ISS)
            .audience(AUD)
            .jwks_uri(JWKS)
            .algorithms([Algorithm::ES256]),
        &routes,
    );
    assert_eq!(
        kind(
            plain
                .verify::<Value>(&curve_token(&key, &at("at+jwt"), &claims()))
                .await
        ),
        ErrorKind::InvalidTokenUse
    );
}

#[tokio::test]
async fn scopes_and_a_configured_groups_claim() {
    let key = TestCurveKey::es256("k");
    let routes = Routes::new(&[(JWKS, set(&[key.jwk()]))]);
    let v = verifier(
        Issuer::new(ISS)
            .audience(AUD)
            .jwks_uri(JWKS)
            .algorithms([Algorithm::ES256])
            .groups_claim("roles"),
        &routes,
    );
    let h = header("ES256", "k");
    let mut c = claims();
    c.as_object_mut().unwrap().remove("scope");
    c["scp"] = json!(["orders:write"]);
    c["roles"] = json!(["admin"]);
    let token = curve_token(&key, &h, &c);
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
    c["roles"] = json!("admin");
    let token = curve_token(&key, &h, &c);
    assert_eq!(kind(v.verify::<Value>(&token).await), ErrorKind::Malformed);
}

fn discovery(issuer: &str, jwks_uri: &str) -> String {
    json!({ "issuer": issuer, "jwks_uri": jwks_uri, "token_endpoint": "https://x" }).to_string()
}

#[tokio::test]
async fn discovery_is_one_more_step_of_the_first_fetch() {
    let key = TestCurveKey::es256("k");
    let routes = Routes::new(&[(DISCOVERY, discovery(ISS, JWKS)), (JWKS, set(&[key.jwk()]))]);
    let v = verifier(
        Issuer::new(ISS)
            .audience(AUD)
            .algorithms([Algorithm::ES256])
            .discover(),
        &routes,
    );
    assert_eq!(v.jwks_uris().collect::<Vec<_>>(), [DISCOVERY]);
    let token = curve_token(&key, &header("ES256", "k"), &claims());
    v.verify::<Value>(&token).await.unwrap();
    assert_eq!(routes.fetches(), 2);
    assert_eq!(v.jwks_uris().collect::<Vec<_>>(), [JWKS]);
    v.hydrate().await.unwrap();
    assert_eq!(routes.fetches(), 3, "discovery is not repeated");
}

#[tokio::test]
async fn a_discovery_document_for_another_issuer_or_an_http_key_set_is_refused() {
    let key = TestCurveKey::es256("k");
    for document in [
        discovery(&format!("{ISS}/"), JWKS),
        discovery("https://evil.example/tenant-1", JWKS),
        discovery(ISS, "http://id.example.com/tenant-1/keys"),
        "<html>".to_owned(),
    ] {
        let routes = Routes::new(&[(DISCOVERY, document), (JWKS, set(&[key.jwk()]))]);
        let v = verifier(
            Issuer::new(ISS)
                .audience(AUD)
                .algorithms([Algorithm::ES256]),
            &routes,
        );
        let token = curve_token(&key, &header("ES256", "k"), &claims());
        assert_eq!(
            kind(v.verify::<Value>(&token).await),
            ErrorKind::JwksUnavailable
        );
        assert_eq!(routes.fetches(), 1, "the key set is never fetched");
        assert!(!v.is_ready());
    }
}

#[tokio::test]
async fn a_flood_of_foreign_issuers_causes_no_fetch() {
    let key = TestCurveKey::es256("k");
    let routes = Routes::new(&[(JWKS, set(&[key.jwk()]))]);
    let v = verifier(
        Issuer::new(ISS)
            .audience(AUD)
            .jwks_uri(JWKS)
            .algorithms([Algorithm::ES256]),
        &routes,
    );
    for i in 0..200 {
        let mut c = claims();
        c["iss"] = json!(format!("https://attacker.example/{i}"));
        let token = curve_token(&key, &header("ES256", &format!("kid-{i}")), &c);
        assert_eq!(
            kind(v.verify::<Value>(&token).await),
            ErrorKind::InvalidIssuer
        );
    }
    assert_eq!(routes.fetches(), 0);
}

#[tokio::test]
async fn headers_pointing_at_other_keys_are_ignored() {
    let key = TestCurveKey::es256("k");
    let attacker = TestCurveKey::es256("k");
    let routes = Routes::new(&[(JWKS, set(&[key.jwk()]))]);
    let v = verifier(
        Issuer::new(ISS)
            .audience(AUD)
            .jwks_uri(JWKS)
            .algorithms([Algorithm::ES256]),
        &routes,
    );
    let h = json!({
        "alg": "ES256", "kid": "k",
        "jwk": attacker.jwk(), "jku": "https://attacker.example/jwks",
        "x5u": "https://attacker.example/x5u",
    });
    let token = curve_token(&attacker, &h, &claims());
    assert_eq!(
        kind(v.verify::<Value>(&token).await),
        ErrorKind::InvalidSignature
    );
    let crit = json!({ "alg": "ES256", "kid": "k", "crit": ["exp"] });
    assert_eq!(
        kind(
            v.verify::<Value>(&curve_token(&key, &crit, &claims()))
                .await
        ),
        ErrorKind::Malformed
    );
    assert_eq!(routes.fetches(), 1);
}
