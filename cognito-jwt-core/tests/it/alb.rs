//! `AlbJwtVerifier`: the `x-amzn-oidc-data` header an Application Load
//! Balancer signs. Keys are served by `TestAlbKeys` (no network).

use std::time::Duration;

use base64::Engine as _;
use cognito_jwt_core::testing::{TestAlb, TestCurveKey, TestKey, b64_padded, random_uuid};
use cognito_jwt_core::{
    AlbClaims, AlbJwtVerifier, ErrorKind, IdTokenClaims, KeySetOptions, TokenClaims,
};

async fn kind(verifier: &AlbJwtVerifier, token: &str) -> ErrorKind {
    verifier
        .verify::<AlbClaims>(token)
        .await
        .expect_err("the token must be refused")
        .kind()
}

#[tokio::test]
async fn what_the_load_balancer_sends_verifies() {
    let alb = TestAlb::new("eu-west-1");
    let verifier = alb.verifier();
    let token = alb.data().claim("locale", "fr").sign();
    assert!(token.contains('='), "ALB segments are padded");
    let claims: AlbClaims = verifier.verify(&token).await.unwrap();
    assert_eq!(claims.signer, alb.arn());
    assert_eq!(claims.client.as_deref(), Some(alb.client_id()));
    assert_eq!(claims.iss.as_deref(), Some(alb.issuer().as_str()));
    assert_eq!(
        claims.email_verified,
        Some(true),
        "the string \"true\" reads as true"
    );
    assert!(claims.is_email_verified());
    assert_eq!(claims.claim::<String>("locale").as_deref(), Some("fr"));
    assert_eq!(alb.key_server().fetches(), 1);

    // The key is fetched once.
    verifier
        .verify::<AlbClaims>(&alb.data().sign())
        .await
        .unwrap();
    assert_eq!(alb.key_server().fetches(), 1);
    assert!(verifier.health().ready);
}

#[tokio::test]
async fn the_callers_own_type() {
    #[derive(Clone, serde::Deserialize)]
    struct Mine {
        sub: String,
        #[serde(rename = "custom:tenant")]
        tenant: String,
    }
    impl TokenClaims for Mine {}
    let alb = TestAlb::new("eu-west-1");
    let token = alb
        .data()
        .claim("sub", "u-1")
        .claim("custom:tenant", "t-9")
        .sign();
    let mine: Mine = alb.verifier().verify(&token).await.unwrap();
    assert_eq!((mine.sub.as_str(), mine.tenant.as_str()), ("u-1", "t-9"));
    let cognito = alb.verifier().verify::<IdTokenClaims>(&token).await;
    assert_eq!(cognito.unwrap_err().kind(), ErrorKind::InvalidTokenUse);
}

#[tokio::test]
async fn only_padded_segments_verify() {
    let alb = TestAlb::new("eu-west-1");
    let verifier = alb.verifier();
    let stripped = alb.data().sign().replace('=', "");
    assert_eq!(kind(&verifier, &stripped).await, ErrorKind::Malformed);
    // Validly signed, but over unpadded segments: never what ALB sends.
    let unpadded = alb.data().sign_unpadded();
    assert_eq!(kind(&verifier, &unpadded).await, ErrorKind::Malformed);
    // Padding added to a segment that had none changes the signed bytes.
    let token = alb.data().sign();
    let (input, signature) = token.rsplit_once('.').unwrap();
    let repadded = format!(
        "{input}.{}",
        signature.trim_end_matches('=').to_owned() + "=="
    );
    assert!(verifier.verify::<AlbClaims>(&repadded).await.is_ok());
    assert_eq!(alb.key_server().fetches(), 1);
}

#[tokio::test]
async fn another_load_balancer_or_region_is_refused() {
    let ours = TestAlb::new("eu-west-1");
    let theirs = TestAlb::new("us-east-1");
    let server = ours.key_server();
    server.publish(&theirs);
    let verifier = ours.verifier();
    // Our key is cached first: after a kid the endpoint does not know, no
    // other new kid is fetched for a cool-down.
    verifier
        .verify::<AlbClaims>(&ours.data().sign())
        .await
        .unwrap();
    let fetched = server.fetches();

    // Their signer: refused before any fetch.
    let token = theirs.data().sign();
    assert_eq!(kind(&verifier, &token).await, ErrorKind::InvalidIssuer);
    assert_eq!(server.fetches(), fetched);

    // Our signer, their key and kid: our region has no such key.
    let token = theirs.data().header("signer", ours.arn()).sign();
    assert_eq!(kind(&verifier, &token).await, ErrorKind::UnknownKid);
    assert_eq!(server.fetches(), fetched + 1);

    // Our signer and kid, their key: the signature fails.
    let token = ours.data().sign_with(theirs.key());
    assert_eq!(kind(&verifier, &token).await, ErrorKind::InvalidSignature);

    // The same account and region, another load balancer.
    let sibling = ours.arn().rsplit_once('/').unwrap().0.to_owned() + "/0000000000000000";
    let token = ours.data().header("signer", sibling).sign();
    assert_eq!(kind(&verifier, &token).await, ErrorKind::InvalidIssuer);
}

#[tokio::test]
async fn kids_that_are_not_uuids_are_never_fetched() {
    let alb = TestAlb::new("eu-west-1");
    let verifier = alb.verifier();
    for kid in [
        serde_json::json!("../../../../etc/passwd"),
        serde_json::json!(format!("{}/../x", alb.kid())),
        serde_json::json!(format!("{}?x=1", alb.kid())),
        serde_json::json!(format!("{}#", alb.kid())),
        serde_json::json!("' OR 1=1 --"),
        serde_json::json!(""),
        serde_json::json!(7),
        serde_json::json!(null),
    ] {
        let token = alb.data().header("kid", kid.clone()).sign();
        assert_eq!(kind(&verifier, &token).await, ErrorKind::Malformed, "{kid}");
    }
    let token = alb.data().without_header("kid").sign();
    assert_eq!(kind(&verifier, &token).await, ErrorKind::Malformed);
    assert_eq!(alb.key_server().fetches(), 0);
}

#[tokio::test]
async fn only_es256() {
    let alb = TestAlb::new("eu-west-1");
    let verifier = alb.verifier();
    for alg in ["ES384", "RS256", "HS256", "none", "NONE", "es256", ""] {
        let token = alb.data().header("alg", alg).sign();
        assert_eq!(
            kind(&verifier, &token).await,
            ErrorKind::UnsupportedAlgorithm,
            "{alg}"
        );
    }
    let token = alb.data().without_header("alg").sign();
    assert_eq!(
        kind(&verifier, &token).await,
        ErrorKind::UnsupportedAlgorithm
    );
    // An ES384 signature with the header saying ES256.
    let p384 = TestCurveKey::es384(alb.kid());
    let token = alb.data().sign_with(&p384);
    assert_eq!(kind(&verifier, &token).await, ErrorKind::InvalidSignature);
    // alg none with an empty signature.
    let token = alb.data().header("alg", "none").sign();
    let unsigned = token.rsplit_once('.').unwrap().0.to_owned() + ".";
    assert_eq!(
        kind(&verifier, &unsigned).await,
        ErrorKind::UnsupportedAlgorithm
    );
    assert_eq!(
        alb.key_server().fetches(),
        1,
        "one fetch, for the ES384 signature"
    );
}

#[tokio::test]
async fn der_signatures_are_refused() {
    let alb = TestAlb::new("eu-west-1");
    let verifier = alb.verifier();
    let token = alb.data().sign_der();
    assert_eq!(kind(&verifier, &token).await, ErrorKind::InvalidSignature);
    // One bit flipped in each segment.
    let token = alb.data().sign();
    for (i, _) in token.match_indices(['.']).chain([(token.len() - 4, "")]) {
        let mut bytes = token.clone().into_bytes();
        let at = i.saturating_sub(2);
        bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
        let flipped = String::from_utf8(bytes).unwrap();
        assert!(verifier.verify::<AlbClaims>(&flipped).await.is_err());
    }
}

fn pem(label: &str, der: &[u8]) -> String {
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    format!("-----BEGIN {label}-----\n{body}\n-----END {label}-----\n")
}

#[tokio::test]
async fn key_documents_that_are_not_p256_public_keys_are_refused_or_unavailable() {
    let p384 = TestCurveKey::es384("x");
    let mut p384_spki = vec![
        0x30, 0x76, 0x30, 0x10, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x05,
        0x2b, 0x81, 0x04, 0x00, 0x22, 0x03, 0x62, 0x00,
    ];
    p384_spki.extend_from_slice(&p384.public_key());
    let rsa = TestKey::generate("r");
    // Readable public keys of another type: skipped, as an unusable key
    // in a key set, so the kid is unknown (review_alb has the details).
    for document in [
        pem("PUBLIC KEY", &p384_spki),
        pem("PUBLIC KEY", &rsa.public_der()),
    ] {
        let alb = TestAlb::new("eu-west-1");
        alb.key_server().serve(alb.key_url(), document.clone());
        let verifier = alb.verifier();
        assert_eq!(
            kind(&verifier, &alb.data().sign()).await,
            ErrorKind::UnknownKid,
            "{document}"
        );
    }
    // Documents that cannot be read as a public key: an outage.
    let documents = [
        pem("CERTIFICATE", &p384_spki),
        pem("PUBLIC KEY", &p384_spki[..40]),
        serde_json::json!({ "keys": [TestCurveKey::es256("k").jwk()] }).to_string(),
        "<html>sign in</html>".to_owned(),
        String::new(),
    ];
    for document in documents {
        let alb = TestAlb::new("eu-west-1");
        alb.key_server().serve(alb.key_url(), document.clone());
        let verifier = alb.verifier();
        let error = verifier
            .verify::<AlbClaims>(&alb.data().sign())
            .await
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::JwksUnavailable, "{document}");
        assert!(error.retry_after().is_some());
        assert_eq!(verifier.health().key_sets[0].state.as_str(), "unavailable");
    }
}

#[tokio::test]
async fn header_and_payload_expiry_both_hold() {
    let alb = TestAlb::new("eu-west-1");
    let verifier = alb.verifier();
    let token = alb
        .data()
        .header_expires_in(-5)
        .payload_expires_in(3600)
        .sign();
    assert_eq!(kind(&verifier, &token).await, ErrorKind::Expired);
    let token = alb
        .data()
        .header_expires_in(120)
        .payload_expires_in(-5)
        .sign();
    assert_eq!(kind(&verifier, &token).await, ErrorKind::Expired);
    let token = alb.data().without_header("exp").sign();
    assert_eq!(kind(&verifier, &token).await, ErrorKind::Malformed);
    let token = alb.data().header("exp", "soon").sign();
    assert_eq!(kind(&verifier, &token).await, ErrorKind::Malformed);
    // No exp in the payload: the header's rules.
    let token = alb.data().without("exp").sign();
    let claims: AlbClaims = verifier.verify(&token).await.unwrap();
    assert!(claims.exp > 0);
    // The earlier of the two is reported.
    let token = alb
        .data()
        .header_expires_in(60)
        .payload_expires_in(3600)
        .sign();
    let early: AlbClaims = verifier.verify(&token).await.unwrap();
    let token = alb
        .data()
        .header_expires_in(3600)
        .payload_expires_in(60)
        .sign();
    let late: AlbClaims = verifier.verify(&token).await.unwrap();
    assert!(early.exp.abs_diff(late.exp) <= 2);
    // The leeway applies to both.
    let lenient = alb
        .verifier_builder()
        .leeway(Duration::from_secs(60))
        .build()
        .unwrap();
    let token = alb
        .data()
        .header_expires_in(-5)
        .payload_expires_in(-5)
        .sign();
    assert!(lenient.verify::<AlbClaims>(&token).await.is_ok());
}

#[tokio::test]
async fn a_forged_header_is_refused() {
    // What reaches a server whose clients can bypass the load balancer:
    // a header signed by the attacker, naming our load balancer.
    let alb = TestAlb::new("eu-west-1");
    let verifier = alb.verifier();
    let attacker = TestCurveKey::es256(random_uuid());
    let our_kid = alb
        .data()
        .claim("email", "admin@example.com")
        .sign_with(&attacker);
    assert_eq!(kind(&verifier, &our_kid).await, ErrorKind::InvalidSignature);
    let own_kid = alb
        .data()
        .header("kid", attacker.kid())
        .sign_with(&attacker);
    assert_eq!(kind(&verifier, &own_kid).await, ErrorKind::UnknownKid);
    // A genuine header with a rewritten payload.
    let genuine = alb.data().sign();
    let parts: Vec<&str> = genuine.split('.').collect();
    let forged_payload = b64_padded(r#"{"sub":"admin","exp":9999999999}"#);
    let forged = format!("{}.{forged_payload}.{}", parts[0], parts[2]);
    assert_eq!(kind(&verifier, &forged).await, ErrorKind::InvalidSignature);
}

#[tokio::test]
async fn client_and_issuer_when_configured() {
    let alb = TestAlb::new("eu-west-1");
    let verifier = alb.verifier();
    let token = alb.data().header("client", "another-client").sign();
    assert_eq!(kind(&verifier, &token).await, ErrorKind::InvalidAudience);
    let token = alb.data().without_header("client").sign();
    assert_eq!(kind(&verifier, &token).await, ErrorKind::InvalidAudience);
    let token = alb.data().header("iss", "https://evil.example").sign();
    assert_eq!(kind(&verifier, &token).await, ErrorKind::InvalidIssuer);
    let token = alb.data().claim("iss", "https://evil.example").sign();
    assert_eq!(kind(&verifier, &token).await, ErrorKind::InvalidIssuer);
    let token = alb.data().without_header("signer").sign();
    assert_eq!(kind(&verifier, &token).await, ErrorKind::InvalidIssuer);
    // Without client ids or issuer configured, any of the load balancer's.
    let open = AlbJwtVerifier::builder()
        .load_balancer_arn(alb.arn())
        .fetcher(alb.key_server())
        .build()
        .unwrap();
    let token = alb.data().header("client", "another-client").sign();
    assert!(open.verify::<AlbClaims>(&token).await.is_ok());
}

#[tokio::test]
async fn duplicate_and_forbidden_header_fields() {
    let alb = TestAlb::new("eu-west-1");
    let verifier = alb.verifier();
    let (header, payload) = alb.data().json();
    let twice = header.replacen('{', &format!("{{\"signer\":\"{}\",", "x"), 1);
    let input = format!("{}.{}", b64_padded(&twice), b64_padded(&payload));
    let token = format!("{input}.{}", b64_padded(alb.key().sign(input.as_bytes())));
    assert_eq!(kind(&verifier, &token).await, ErrorKind::Malformed);
    let token = alb.data().header("crit", serde_json::json!(["exp"])).sign();
    assert_eq!(kind(&verifier, &token).await, ErrorKind::Malformed);
    let token = alb.data().header("jku", "https://evil.example/keys").sign();
    assert!(
        verifier.verify::<AlbClaims>(&token).await.is_ok(),
        "jku is ignored"
    );
    let token = alb.data().claim("sub", 1).sign();
    assert_eq!(kind(&verifier, &token).await, ErrorKind::Malformed);
    assert_eq!(alb.key_server().fetches(), 1);
}

#[tokio::test]
async fn a_flood_of_random_kids_costs_one_fetch_per_cooldown() {
    let alb = TestAlb::new("eu-west-1");
    let verifier = alb.verifier();
    verifier
        .verify::<AlbClaims>(&alb.data().sign())
        .await
        .unwrap();
    let server = alb.key_server();
    assert_eq!(server.fetches(), 1);
    let attacker = TestCurveKey::es256(random_uuid());
    let mut tasks = Vec::new();
    for _ in 0..500 {
        let token = alb.data().header("kid", random_uuid()).sign_with(&attacker);
        let verifier = verifier.clone();
        tasks.push(tokio::spawn(async move {
            verifier
                .verify::<AlbClaims>(&token)
                .await
                .unwrap_err()
                .kind()
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap(), ErrorKind::UnknownKid);
    }
    assert!(server.fetches() <= 2, "{} fetches", server.fetches());
    // The same unknown kid again: remembered, not fetched.
    let kid = random_uuid();
    let token = alb.data().header("kid", kid.as_str()).sign_with(&attacker);
    let before = server.fetches();
    for _ in 0..3 {
        assert_eq!(kind(&verifier, &token).await, ErrorKind::UnknownKid);
    }
    assert!(server.fetches() <= before + 1);
    // The known kid keeps verifying.
    verifier
        .verify::<AlbClaims>(&alb.data().sign())
        .await
        .unwrap();
}

#[tokio::test]
async fn after_an_unknown_kid_new_kids_wait_one_cooldown() {
    let alb = TestAlb::new("eu-west-1");
    let verifier = alb
        .verifier_builder()
        .key_set_options(KeySetOptions::default().cooldown(Duration::from_millis(200)))
        .build()
        .unwrap();
    let attacker = TestCurveKey::es256(random_uuid());
    let random = alb.data().header("kid", random_uuid()).sign_with(&attacker);
    assert_eq!(kind(&verifier, &random).await, ErrorKind::UnknownKid);
    assert_eq!(
        kind(&verifier, &alb.data().sign()).await,
        ErrorKind::UnknownKid
    );
    assert_eq!(alb.key_server().fetches(), 1);
    tokio::time::sleep(Duration::from_millis(250)).await;
    verifier
        .verify::<AlbClaims>(&alb.data().sign())
        .await
        .unwrap();
}

#[tokio::test]
async fn concurrent_first_requests_share_one_fetch() {
    let alb = TestAlb::new("eu-west-1");
    let verifier = alb.verifier();
    let mut tasks = Vec::new();
    for _ in 0..200 {
        let (verifier, token) = (verifier.clone(), alb.data().sign());
        tasks.push(tokio::spawn(async move {
            verifier.verify::<AlbClaims>(&token).await
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(alb.key_server().fetches(), 1);
}

#[tokio::test]
async fn an_endpoint_outage_is_unavailable_then_recovers() {
    let alb = TestAlb::new("eu-west-1");
    let verifier = alb
        .verifier_builder()
        .key_set_options(
            KeySetOptions::default().backoff(Duration::from_millis(20), Duration::from_millis(40)),
        )
        .build()
        .unwrap();
    let server = alb.key_server();
    server.fail(Some("connection refused"));
    let error = verifier
        .verify::<AlbClaims>(&alb.data().sign())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::JwksUnavailable);
    // During the back-off: no fetch.
    assert_eq!(
        kind(&verifier, &alb.data().sign()).await,
        ErrorKind::JwksUnavailable
    );
    assert_eq!(server.fetches(), 1);
    assert!(!verifier.health().ready);
    server.fail(None);
    tokio::time::sleep(Duration::from_millis(50)).await;
    verifier
        .verify::<AlbClaims>(&alb.data().sign())
        .await
        .unwrap();
    assert_eq!(verifier.health().key_sets[0].state.as_str(), "fresh");
}

#[tokio::test]
async fn verify_sync_uses_cached_keys_only() {
    let alb = TestAlb::new("eu-west-1");
    let verifier = alb.verifier();
    let token = alb.data().sign();
    let error = verifier.verify_sync::<AlbClaims>(&token).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::JwksNotCached);
    verifier.verify::<AlbClaims>(&token).await.unwrap();
    verifier.verify_sync::<AlbClaims>(&token).unwrap();
}

#[tokio::test]
async fn govcloud_keys_come_from_the_regions_bucket() {
    let alb = TestAlb::in_partition("aws-us-gov", "us-gov-west-1");
    let verifier = alb.verifier();
    verifier
        .verify::<AlbClaims>(&alb.data().sign())
        .await
        .unwrap();
    assert_eq!(
        verifier.key_endpoints().collect::<Vec<_>>(),
        ["https://s3-us-gov-west-1.amazonaws.com/aws-elb-public-keys-prod-us-gov-west-1"]
    );
}

#[test]
fn configuration_errors() {
    assert!(AlbJwtVerifier::builder().build().is_err());
    let china = "arn:aws-cn:elasticloadbalancing:cn-north-1:123456789012:loadbalancer/app/a/1";
    let error = AlbJwtVerifier::builder()
        .load_balancer_arn(china)
        .build()
        .unwrap_err();
    assert!(error.to_string().contains("keys_url"), "{error}");
    let error = AlbJwtVerifier::builder()
        .load_balancer_arn(china)
        .keys_url("ftp://keys.example")
        .build()
        .unwrap_err();
    assert_eq!(error.name(), Some("keys_url"));
    assert!(
        AlbJwtVerifier::builder()
            .load_balancer_arn(china)
            .keys_url("http://127.0.0.1:9000/keys/")
            .build()
            .unwrap()
            .key_endpoints()
            .eq(["http://127.0.0.1:9000/keys"])
    );
    let error = AlbJwtVerifier::builder()
        .load_balancer_arn("arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/t/1")
        .build()
        .unwrap_err();
    assert_eq!(error.name(), Some("load_balancer_arn[0]"));
}

#[tokio::test]
async fn the_http_mapping_is_the_bearer_one() {
    use crate::support::{authenticate_alb, authenticate_alb_optional};
    use cognito_jwt_core::http::AuthRejection;
    let alb = TestAlb::new("eu-west-1");
    let verifier = alb.verifier();
    let none = std::iter::empty::<&[u8]>();
    let missing = authenticate_alb::<AlbClaims>(&verifier, none)
        .await
        .unwrap_err();
    assert_eq!((missing.status(), missing.is_missing()), (401, true));
    assert!(
        authenticate_alb_optional::<AlbClaims>(&verifier, std::iter::empty())
            .await
            .unwrap()
            .is_none()
    );
    let token = alb.data().sign();
    let twice =
        authenticate_alb::<AlbClaims>(&verifier, [token.as_bytes(), token.as_bytes()]).await;
    assert_eq!(twice.unwrap_err().status(), 400);
    let odd = authenticate_alb::<AlbClaims>(&verifier, [&b"a.b.c\xff"[..]]).await;
    assert_eq!(odd.unwrap_err().status(), 400);
    // A forged header: 401 invalid_token, nothing echoed.
    let forged = alb
        .data()
        .claim("sub", "<script>")
        .sign_with(&TestCurveKey::es256("x"));
    let refused = authenticate_alb::<AlbClaims>(&verifier, [forged.as_bytes()])
        .await
        .unwrap_err();
    assert_eq!(refused.status(), 401);
    let challenge = refused.www_authenticate("api").unwrap();
    assert!(
        challenge.contains("invalid_token") && !challenge.contains("<script"),
        "{challenge}"
    );
    assert!(!refused.body_json().contains("<script"));
    assert!(matches!(refused, AuthRejection::Token(_)));
    let claims: Option<AlbClaims> = authenticate_alb_optional(&verifier, [token.as_bytes()])
        .await
        .unwrap();
    assert!(claims.is_some());
}
