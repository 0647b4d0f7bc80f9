//! SECURITY-CASES section A: header and signature attacks.

use std::sync::LazyLock;
use std::time::Duration;

use aws_lc_rs::hmac;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _,
};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use cognito_jwt_core::testing::{RsaPadding, TestKey, TokenBuilder, b64, sign_parts};
use cognito_jwt_core::{
    AccessTokenClaims, CognitoJwtVerifier, ErrorKind, HttpClass, IdTokenClaims, KeySetOptions,
    TokenUse,
};
use serde_json::{Value, json};
use wiremock::matchers::{any, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::fixtures::{self, CLIENT, NoFetch, OTHER_POOL, POOL, rejected, verifier};

/// A key nobody trusts.
static ATTACKER: LazyLock<TestKey> = LazyLock::new(|| TestKey::generate("attacker-key"));

/// The header and payload of a genuine access token, as JSON text.
fn genuine_parts() -> (String, String) {
    POOL.access_token(CLIENT)
        .claim("sub", "sub-planted-a9c04e1f")
        .group("users")
        .json()
}

const PLANTED: &[&str] = &["sub-planted-a9c04e1f"];

fn signing_input(header_json: &str, payload_json: &str) -> String {
    format!("{}.{}", b64(header_json), b64(payload_json))
}

fn header_with(changes: &[(&str, Value)]) -> String {
    let (header, _) = genuine_parts();
    let mut header: serde_json::Map<String, Value> =
        serde_json::from_str(&header).expect("the header is a JSON object");
    for (name, value) in changes {
        if value.is_null() {
            header.remove(*name);
        } else {
            header.insert((*name).to_owned(), value.clone());
        }
    }
    Value::Object(header).to_string()
}

#[tokio::test]
async fn alg_none_in_any_spelling_or_missing_is_refused_before_any_fetch() {
    let no_fetch = NoFetch::new(TokenUse::Access).await;
    let (_, payload) = genuine_parts();
    let kid = POOL.key().kid();
    let headers = [
        json!({"alg": "none", "kid": kid}),
        json!({"alg": "nOnE", "kid": kid}),
        json!({"alg": "NONE", "kid": kid, "typ": "JWT"}),
        json!({"kid": kid}),
        json!({"alg": null, "kid": kid}),
        json!({"alg": "", "kid": kid}),
        json!({"alg": ["RS256"], "kid": kid}),
        json!({"alg": "rs256", "kid": kid}),
        json!({"alg": "RS256 ", "kid": kid}),
    ];
    for header in headers {
        let header = header.to_string();
        let unsigned = format!("{}.{}.", b64(&header), b64(&payload));
        no_fetch
            .rejects(&unsigned, ErrorKind::UnsupportedAlgorithm, PLANTED)
            .await;
        // A real RS256 signature does not rescue a wrong alg either.
        let signed = sign_parts(POOL.key(), &header, &payload);
        no_fetch
            .rejects(&signed, ErrorKind::UnsupportedAlgorithm, PLANTED)
            .await;
    }
}

/// The pool's public key in every form an attacker might use as an HMAC
/// secret.
fn public_key_as_secrets() -> Vec<(&'static str, Vec<u8>)> {
    let key = POOL.key();
    let pkcs1 = key.public_der();
    let spki = spki_der(&pkcs1);
    let n_bytes = URL_SAFE_NO_PAD.decode(key.n()).expect("n is base64url");
    vec![
        ("PKCS#1 PEM", pem("RSA PUBLIC KEY", &pkcs1).into_bytes()),
        ("SPKI PEM", pem("PUBLIC KEY", &spki).into_bytes()),
        (
            "SPKI PEM without final newline",
            pem("PUBLIC KEY", &spki).trim_end().as_bytes().to_vec(),
        ),
        ("PKCS#1 DER", pkcs1),
        ("SPKI DER", spki),
        ("JWK JSON", key.jwk().to_string().into_bytes()),
        ("JWKS JSON", POOL.jwks_json().into_bytes()),
        ("raw n (base64url)", key.n().into_bytes()),
        ("raw n (bytes)", n_bytes),
    ]
}

fn der_length(len: usize) -> Vec<u8> {
    if len < 0x80 {
        return vec![u8::try_from(len).expect("short form")];
    }
    let bytes = len.to_be_bytes();
    let start = bytes
        .iter()
        .position(|b| *b != 0)
        .expect("a non-zero length");
    let mut out = vec![0x80 | u8::try_from(bytes.len() - start).expect("a few length bytes")];
    out.extend_from_slice(&bytes[start..]);
    out
}

/// SubjectPublicKeyInfo around a PKCS#1 RSA public key.
fn spki_der(pkcs1: &[u8]) -> Vec<u8> {
    let algorithm = [
        0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
    ];
    let mut bit_string = vec![0x03];
    bit_string.extend(der_length(pkcs1.len() + 1));
    bit_string.push(0);
    bit_string.extend_from_slice(pkcs1);
    let mut out = vec![0x30];
    out.extend(der_length(algorithm.len() + bit_string.len()));
    out.extend_from_slice(&algorithm);
    out.extend(bit_string);
    out
}

fn pem(label: &str, der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).expect("base64 is ASCII"))
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

#[tokio::test]
async fn hs256_keyed_with_the_pool_public_key_is_refused() {
    let no_fetch = NoFetch::new(TokenUse::Access).await;
    let cached = verifier(TokenUse::Access);
    let (_, payload) = genuine_parts();
    for (alg, hash) in [
        ("HS256", hmac::HMAC_SHA256),
        ("HS384", hmac::HMAC_SHA384),
        ("HS512", hmac::HMAC_SHA512),
    ] {
        let header = header_with(&[("alg", json!(alg))]);
        let input = signing_input(&header, &payload);
        for (form, secret) in public_key_as_secrets() {
            let tag = hmac::sign(&hmac::Key::new(hash, &secret), input.as_bytes());
            let token = format!("{input}.{}", b64(tag.as_ref()));
            let error = no_fetch
                .rejects(&token, ErrorKind::UnsupportedAlgorithm, PLANTED)
                .await;
            assert_eq!(error.kind(), ErrorKind::UnsupportedAlgorithm, "{form}");
            // Having the keys cached changes nothing.
            rejected(
                cached.verify_sync::<Value>(&token),
                ErrorKind::UnsupportedAlgorithm,
                &token,
                PLANTED,
            );
        }
    }
}

#[test]
fn other_rsa_algorithms_with_the_pool_key_are_refused() {
    let cached = verifier(TokenUse::Access);
    let (_, payload) = genuine_parts();
    let others = [
        RsaPadding::Pkcs1Sha384,
        RsaPadding::Pkcs1Sha512,
        RsaPadding::PssSha256,
        RsaPadding::PssSha384,
        RsaPadding::PssSha512,
    ];
    for padding in others {
        let header = header_with(&[("alg", json!(padding.alg()))]);
        let input = signing_input(&header, &payload);
        let token = format!(
            "{input}.{}",
            b64(POOL.key().sign_with(padding, input.as_bytes()))
        );
        rejected(
            cached.verify_sync::<Value>(&token),
            ErrorKind::UnsupportedAlgorithm,
            &token,
            PLANTED,
        );

        // Claiming RS256 for a signature made with another padding or hash
        // fails the signature check.
        let header = header_with(&[]);
        let input = signing_input(&header, &payload);
        let token = format!(
            "{input}.{}",
            b64(POOL.key().sign_with(padding, input.as_bytes()))
        );
        rejected(
            cached.verify_sync::<Value>(&token),
            ErrorKind::InvalidSignature,
            &token,
            PLANTED,
        );
    }
}

#[test]
fn es256_and_eddsa_tokens_are_refused() {
    let cached = verifier(TokenUse::Access);
    let (_, payload) = genuine_parts();

    let ec = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).unwrap();
    let header = header_with(&[("alg", json!("ES256"))]);
    let input = signing_input(&header, &payload);
    let sig = ec.sign(&SystemRandom::new(), input.as_bytes()).unwrap();
    let token = format!("{input}.{}", b64(sig.as_ref()));
    rejected(
        cached.verify_sync::<Value>(&token),
        ErrorKind::UnsupportedAlgorithm,
        &token,
        PLANTED,
    );

    let ed = Ed25519KeyPair::generate().unwrap();
    for alg in ["EdDSA", "Ed25519"] {
        let header = header_with(&[("alg", json!(alg))]);
        let input = signing_input(&header, &payload);
        let token = format!("{input}.{}", b64(ed.sign(input.as_bytes()).as_ref()));
        rejected(
            cached.verify_sync::<Value>(&token),
            ErrorKind::UnsupportedAlgorithm,
            &token,
            PLANTED,
        );
    }
    // Sanity: the EC and Ed25519 public keys exist, so the signatures above are real.
    assert_eq!(ec.public_key().as_ref().len(), 65);
    assert_eq!(ed.public_key().as_ref().len(), 32);
}

/// Every header that could point at a key, all pointing at the attacker.
fn attacker_headers<'a>(uri: &str, token: TokenBuilder<'a>) -> TokenBuilder<'a> {
    token
        .header("jku", format!("{uri}/jwks.json"))
        .header("x5u", format!("{uri}/cert.pem"))
        .header("jwk", ATTACKER.jwk())
        .header("x5c", json!([b64(ATTACKER.public_der())]))
}

#[tokio::test]
async fn embedded_and_remote_key_headers_are_never_used() {
    let attacker = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(json!({"keys": [ATTACKER.jwk()]}).to_string()),
        )
        .expect(0)
        .named("attacker's key server")
        .mount(&attacker)
        .await;
    let pool_server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/jwks.json"))
        .respond_with(ResponseTemplate::new(200).set_body_string(POOL.jwks_json()))
        .expect(1)
        .mount(&pool_server)
        .await;
    let verifier = CognitoJwtVerifier::builder()
        .user_pool(
            fixtures::pool(TokenUse::Access).jwks_uri(format!("{}/jwks.json", pool_server.uri())),
        )
        .key_set_options(KeySetOptions::default().cooldown(Duration::from_secs(3600)))
        .build()
        .unwrap();

    let uri = attacker.uri();

    // Signed by the attacker, naming the attacker's key.
    let forged = attacker_headers(
        &uri,
        POOL.access_token(CLIENT).header("kid", ATTACKER.kid()),
    )
    .sign_with(&ATTACKER);
    rejected(
        verifier.verify::<Value>(&forged).await,
        ErrorKind::UnknownKid,
        &forged,
        &[],
    );
    // Signed by the attacker, naming our key.
    let forged = attacker_headers(&uri, POOL.access_token(CLIENT)).sign_with(&ATTACKER);
    rejected(
        verifier.verify::<Value>(&forged).await,
        ErrorKind::InvalidSignature,
        &forged,
        &[],
    );
    // Our key set even when the attacker publishes our kid with their key.
    let attacker_jwk_with_our_kid = {
        let mut jwk = ATTACKER.jwk();
        jwk["kid"] = json!(POOL.key().kid());
        jwk
    };
    let forged = POOL
        .access_token(CLIENT)
        .header("jwk", attacker_jwk_with_our_kid)
        .header("jku", format!("{}/jwks.json", attacker.uri()))
        .sign_with(&ATTACKER);
    rejected(
        verifier.verify::<Value>(&forged).await,
        ErrorKind::InvalidSignature,
        &forged,
        &[],
    );
    // A genuine token carrying such headers is judged on its own signature.
    let genuine = attacker_headers(&uri, POOL.access_token(CLIENT)).sign();
    verifier
        .verify::<AccessTokenClaims>(&genuine)
        .await
        .unwrap();

    attacker.verify().await;
    pool_server.verify().await;
}

#[tokio::test]
async fn crit_cty_and_unexpected_typ_are_malformed() {
    let no_fetch = NoFetch::new(TokenUse::Access).await;
    let (_, payload) = genuine_parts();
    let headers = [
        header_with(&[("crit", json!(["exp"]))]),
        header_with(&[("crit", json!([]))]),
        header_with(&[("crit", json!("b64"))]),
        header_with(&[("cty", json!("JWT"))]),
        header_with(&[("cty", json!(""))]),
        header_with(&[("typ", json!("at+jwt"))]),
        header_with(&[("typ", json!("JOSE"))]),
        header_with(&[("typ", json!("JWE"))]),
        header_with(&[("typ", json!(""))]),
        header_with(&[("typ", json!(1))]),
        header_with(&[("typ", json!(["JWT"]))]),
    ];
    for header in headers {
        let token = sign_parts(POOL.key(), &header, &payload);
        no_fetch
            .rejects(&token, ErrorKind::Malformed, PLANTED)
            .await;
    }
}

#[tokio::test]
async fn bad_kids_are_malformed_before_any_fetch() {
    let no_fetch = NoFetch::new(TokenUse::Access).await;
    let (_, payload) = genuine_parts();
    let headers = [
        header_with(&[("kid", Value::Null)]),
        header_with(&[("kid", json!(7))]),
        header_with(&[("kid", json!(true))]),
        header_with(&[("kid", json!([POOL.key().kid()]))]),
        header_with(&[("kid", json!({"kid": POOL.key().kid()}))]),
        header_with(&[("kid", json!(""))]),
        header_with(&[("kid", json!("k".repeat(257)))]),
        header_with(&[(
            "kid",
            json!(format!("{}{}", POOL.key().kid(), "/".repeat(300))),
        )]),
    ];
    for header in headers {
        let token = sign_parts(POOL.key(), &header, &payload);
        no_fetch
            .rejects(&token, ErrorKind::Malformed, PLANTED)
            .await;
    }
}

#[tokio::test]
async fn hostile_kid_text_is_only_compared_never_used_to_fetch() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_string(POOL.jwks_json()))
        .expect(1)
        .mount(&server)
        .await;
    let verifier = CognitoJwtVerifier::builder()
        .user_pool(fixtures::pool(TokenUse::Access).jwks_uri(format!("{}/jwks.json", server.uri())))
        .key_set_options(KeySetOptions::default().cooldown(Duration::from_secs(3600)))
        .build()
        .unwrap();
    verifier.hydrate().await.unwrap();

    let real = POOL.key().kid();
    let hostile = [
        "../../etc/passwd".to_owned(),
        "..%2f..%2fetc%2fpasswd".to_owned(),
        "' OR '1'='1' --".to_owned(),
        "\"; DROP TABLE keys; --".to_owned(),
        "k\u{0}".to_owned(),
        "https://attacker.example/jwks.json".to_owned(),
        real.to_uppercase(),
        real[..real.len() - 1].to_owned(),
        format!("{real} "),
        format!("{real}\u{0}"),
        "k".repeat(256),
    ];
    for kid in &hostile {
        let token = POOL.access_token(CLIENT).header("kid", kid.as_str()).sign();
        let error = rejected(
            verifier.verify::<Value>(&token).await,
            ErrorKind::UnknownKid,
            &token,
            &[],
        );
        assert!(!error.to_string().contains(kid.as_str()));
    }
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].url.path(), "/jwks.json");
    assert_eq!(requests[0].url.query(), None);
    server.verify().await;
}

/// Insert `extra` members at the start or end of a JSON object's text.
fn with_members(object: &str, extra: &str, at_start: bool) -> String {
    let inner = &object[1..object.len() - 1];
    if at_start {
        format!("{{{extra},{inner}}}")
    } else {
        format!("{{{inner},{extra}}}")
    }
}

#[tokio::test]
async fn duplicate_header_parameters_are_malformed() {
    let no_fetch = NoFetch::new(TokenUse::Access).await;
    let (header, payload) = genuine_parts();
    let kid = POOL.key().kid();
    let duplicates = [
        r#""alg":"RS256""#.to_owned(),
        r#""alg":"none""#.to_owned(),
        r#""alg":"HS256""#.to_owned(),
        format!(r#""kid":"{kid}""#),
        r#""kid":"attacker-key""#.to_owned(),
        r#""typ":"JWT","typ":"JWT""#.to_owned(),
        r#""x":1,"x":2"#.to_owned(),
        r#""\u0061lg":"RS256""#.to_owned(),
    ];
    for extra in &duplicates {
        for at_start in [true, false] {
            let header = with_members(&header, extra, at_start);
            let token = sign_parts(POOL.key(), &header, &payload);
            no_fetch
                .rejects(&token, ErrorKind::Malformed, PLANTED)
                .await;
        }
    }
}

#[test]
fn duplicate_claims_are_malformed_never_last_wins() {
    let access = verifier(TokenUse::Access);
    let (header, payload) = genuine_parts();
    let other_iss = format!("\"iss\":\"{}\"", OTHER_POOL.issuer());
    let duplicates = [
        r#""exp":99999999999"#.to_owned(),
        r#""exp":1"#.to_owned(),
        format!("\"iss\":\"{}\"", POOL.issuer()),
        other_iss,
        r#""token_use":"id""#.to_owned(),
        r#""token_use":"access""#.to_owned(),
        r#""cognito:groups":["admins"]"#.to_owned(),
        r#""cognito:groups":["admins"],"cognito:groups":["admins"]"#.to_owned(),
        r#""client_id":"other-app""#.to_owned(),
        r#""sub":"someone-else""#.to_owned(),
        r#""scope":"admin""#.to_owned(),
        r#""iat":1"#.to_owned(),
        r#""nbf":1,"nbf":1"#.to_owned(),
        r#""origin_jti":"x""#.to_owned(),
        // The same name spelt with a JSON escape is the same claim.
        format!("\"i\\u0073s\":\"{}\"", POOL.issuer()),
        r#""token_\u0075se":"access""#.to_owned(),
    ];
    for extra in &duplicates {
        for at_start in [true, false] {
            let payload = with_members(&payload, extra, at_start);
            let token = sign_parts(POOL.key(), &header, &payload);
            rejected(
                access.verify_sync::<Value>(&token),
                ErrorKind::Malformed,
                &token,
                PLANTED,
            );
            rejected(
                access.verify_sync::<AccessTokenClaims>(&token),
                ErrorKind::Malformed,
                &token,
                PLANTED,
            );
        }
    }
}

#[test]
fn duplicate_typed_claims_are_malformed() {
    let id = verifier(TokenUse::Id);
    let (header, payload) = POOL.id_token(CLIENT).json();
    for extra in [
        r#""email":"admin@example.com""#,
        r#""email_verified":true"#,
        r#""aud":"other-app""#,
        r#""cognito:username":"admin""#,
        r#""custom:tenant":"a","custom:tenant":"b""#,
    ] {
        let payload = with_members(&payload, extra, false);
        let token = sign_parts(POOL.key(), &header, &payload);
        rejected(
            id.verify_sync::<IdTokenClaims>(&token),
            ErrorKind::Malformed,
            &token,
            &[],
        );
    }
}

#[test]

fn duplicate_custom_claims_are_malformed_for_untyped_claims() {
    let id = verifier(TokenUse::Id);
    let (header, payload) = POOL.id_token(CLIENT).claim("custom:role", "reader").json();
    let payload = with_members(&payload, r#""custom:role":"admin""#, false);
    let token = sign_parts(POOL.key(), &header, &payload);
    rejected(
        id.verify_sync::<Value>(&token),
        ErrorKind::Malformed,
        &token,
        &[],
    );
}

#[tokio::test]
async fn broken_encodings_and_shapes_are_malformed_before_any_fetch() {
    let no_fetch = NoFetch::new(TokenUse::Access).await;
    let (header, payload) = genuine_parts();
    let token = sign_parts(POOL.key(), &header, &payload);
    let [h, p, s]: [&str; 3] = token.split('.').collect::<Vec<_>>().try_into().unwrap();

    let mut broken = vec![
        // Padding, standard-alphabet characters, whitespace.
        format!("{h}=.{p}.{s}"),
        format!("{h}.{p}==.{s}"),
        format!("{h}.{p}.{s}="),
        format!("+{}.{p}.{s}", &h[1..]),
        format!("{h}.{p}./{}", &s[1..]),
        format!(" {token}"),
        format!("{token} "),
        format!("{token}\n"),
        format!("{h}.{p}\t.{s}"),
        format!("{h}. {p}.{s}"),
        format!("Bearer {token}"),
        // Segment counts.
        format!("{h}.{p}"),
        format!("{h}{p}{s}"),
        format!("{token}."),
        format!("{token}.{s}"),
        format!("{h}..{p}.{s}"),
        format!(".{p}.{s}"),
        format!("{h}..{s}"),
        // Base64url that decodes to nothing valid (length 1 mod 4, trailing bits).
        format!("{h}x.{p}.{s}"),
        // Non-ASCII.
        format!("{h}.{p}.{s}\u{e9}"),
        format!("{h}\u{200b}.{p}.{s}"),
        String::new(),
        ".".to_owned(),
        "..".to_owned(),
    ];
    // Invalid UTF-8 in the header, in the payload, and in a claim value.
    let signed_bytes = |header: &[u8], payload: &[u8]| {
        let input = format!("{}.{}", b64(header), b64(payload));
        let signature = POOL.key().sign_rs256(input.as_bytes());
        format!("{input}.{}", b64(signature))
    };
    let mut bad_header = vec![0xff, 0xfe];
    bad_header.extend_from_slice(header.as_bytes());
    broken.push(signed_bytes(&bad_header, payload.as_bytes()));
    let bad_payload = payload.replacen("sub-planted", "sub-\u{1}planted", 1);
    let mut bad_payload = bad_payload.into_bytes();
    let at = bad_payload.iter().position(|b| *b == 1).unwrap();
    bad_payload[at] = 0xc3;
    broken.push(signed_bytes(header.as_bytes(), &bad_payload));
    broken.push(signed_bytes(header.as_bytes(), b"\xef\xbb\xbf{}"));
    // A header or payload that is not a JSON object.
    for not_object in ["[]", "\"RS256\"", "1", "null", "", " ", "{", "{}}"] {
        broken.push(signed_bytes(not_object.as_bytes(), payload.as_bytes()));
        broken.push(signed_bytes(header.as_bytes(), not_object.as_bytes()));
    }
    broken.push(signed_bytes(
        br#"[{"alg":"RS256","kid":"x"}]"#,
        payload.as_bytes(),
    ));
    // The standard base64 alphabet ('+', '/') instead of base64url, correctly signed.
    let tilde_header = header_with(&[("x", json!("~".repeat(12)))]);
    let standard = base64::engine::general_purpose::STANDARD_NO_PAD.encode(&tilde_header);
    assert!(standard.contains(['+', '/']), "{standard}");
    let input = format!("{standard}.{p}");
    broken.push(format!(
        "{input}.{}",
        b64(POOL.key().sign_rs256(input.as_bytes()))
    ));

    for token in &broken {
        no_fetch.rejects(token, ErrorKind::Malformed, PLANTED).await;
    }
}

/// Every token that differs from `token` by one bit of one decoded segment.
fn flipped_tokens(token: &str, segment: usize) -> Vec<String> {
    let parts: Vec<&str> = token.split('.').collect();
    let bytes = URL_SAFE_NO_PAD
        .decode(parts[segment])
        .expect("a base64url segment");
    let mut out = Vec::with_capacity(bytes.len() * 8);
    for i in 0..bytes.len() {
        for bit in 0..8 {
            let mut changed = bytes.clone();
            changed[i] ^= 1 << bit;
            let mut parts: Vec<String> = parts.iter().map(|p| (*p).to_owned()).collect();
            parts[segment] = b64(&changed);
            out.push(parts.join("."));
        }
    }
    out
}

#[test]
fn one_flipped_bit_anywhere_is_never_accepted() {
    let access = verifier(TokenUse::Access);
    let (header, payload) = genuine_parts();
    let token = sign_parts(POOL.key(), &header, &payload);
    access.verify_sync::<AccessTokenClaims>(&token).unwrap();

    // Signature bits: always an invalid signature.
    for flipped in flipped_tokens(&token, 2) {
        rejected(
            access.verify_sync::<Value>(&flipped),
            ErrorKind::InvalidSignature,
            &flipped,
            PLANTED,
        );
    }
    // Header and payload bits: refused, as an invalid token (the exact kind
    // depends on which check the changed byte reaches first).
    for segment in [0, 1] {
        let mut invalid_signature = 0_usize;
        let flips = flipped_tokens(&token, segment);
        for flipped in &flips {
            let error = access.verify_sync::<Value>(flipped).unwrap_err();
            assert_eq!(
                error.kind().http_class(),
                HttpClass::InvalidToken,
                "{error}"
            );
            assert!(
                matches!(
                    error.kind(),
                    ErrorKind::InvalidSignature
                        | ErrorKind::Malformed
                        | ErrorKind::UnsupportedAlgorithm
                        | ErrorKind::UnknownKid
                        | ErrorKind::InvalidIssuer
                ),
                "{error}"
            );
            fixtures::assert_hygienic(&error, flipped, PLANTED);
            invalid_signature += usize::from(error.kind() == ErrorKind::InvalidSignature);
        }
        if segment == 1 {
            // Most payload flips keep the JSON valid and reach the signature check.
            assert!(invalid_signature * 2 > flips.len(), "{invalid_signature}");
        }
    }
    // Bits of the encoded text itself.
    for i in 0..token.len() {
        let mut bytes = token.clone().into_bytes();
        bytes[i] ^= 1;
        let Ok(flipped) = String::from_utf8(bytes) else {
            continue;
        };
        let error = access.verify_sync::<Value>(&flipped).unwrap_err();
        assert_eq!(
            error.kind().http_class(),
            HttpClass::InvalidToken,
            "{error}"
        );
        fixtures::assert_hygienic(&error, &flipped, PLANTED);
    }
}

#[test]
fn empty_truncated_and_oversized_signatures_are_invalid() {
    let access = verifier(TokenUse::Access);
    let token = POOL.access_token(CLIENT).sign();
    let (input, signature) = token.rsplit_once('.').unwrap();
    let signature = URL_SAFE_NO_PAD.decode(signature).unwrap();
    let cases = [
        format!("{input}."),
        format!("{input}.{}", b64(&signature[..signature.len() - 1])),
        format!("{input}.{}", b64(&signature[1..])),
        format!("{input}.{}", b64([signature.as_slice(), &[0]].concat())),
        format!("{input}.{}", b64([&[0], signature.as_slice()].concat())),
        format!("{input}.{}", b64(vec![0; signature.len()])),
        format!("{input}.{}", b64([0])),
        format!("{input}.{}", b64(vec![0xab; 1025])),
        format!("{input}.{}", b64(vec![0xab; 1024])),
    ];
    // A signature segment that is not base64url is malformed.
    let bad_base64 = format!("{input}.{}x", b64(&signature));
    rejected(
        access.verify_sync::<Value>(&bad_base64),
        ErrorKind::Malformed,
        &bad_base64,
        &[],
    );
    for token in &cases {
        rejected(
            access.verify_sync::<Value>(token),
            ErrorKind::InvalidSignature,
            token,
            &[],
        );
    }
}

#[test]
fn another_pools_key_never_verifies_our_tokens() {
    let access = verifier(TokenUse::Access);
    // Signed by the other pool, iss rewritten to ours, the other pool's kid.
    let token = POOL
        .access_token(CLIENT)
        .header("kid", OTHER_POOL.key().kid())
        .sign_with(OTHER_POOL.key());
    rejected(
        access.verify_sync::<Value>(&token),
        ErrorKind::UnknownKid,
        &token,
        &[],
    );
    // The same with our kid.
    let token = POOL.access_token(CLIENT).sign_with(OTHER_POOL.key());
    rejected(
        access.verify_sync::<Value>(&token),
        ErrorKind::InvalidSignature,
        &token,
        &[],
    );
    // Unchanged tokens of the other pool name an issuer we do not trust.
    let token = OTHER_POOL.access_token(CLIENT).sign();
    rejected(
        access.verify_sync::<Value>(&token),
        ErrorKind::InvalidIssuer,
        &token,
        &[],
    );
}
