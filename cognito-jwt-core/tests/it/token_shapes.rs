//! Every genuine token shape (COGNITO-TOKENS.md) verifies and deserializes;
//! near misses of those shapes are refused with the right kind.

use cognito_jwt_core::testing::{TestIssuer, TestKey, sign_parts};
use cognito_jwt_core::{AcceptedTokenUse, IssuerHosts};
use cognito_jwt_core::{
    AccessTokenClaims, CognitoJwtVerifier, ErrorKind, IdTokenClaims, TokenClaims, TokenUse,
    UserPool,
};
use serde::Deserialize;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::fixtures::{self, CLIENT, POOL, cached_verifier, rejected, verifier};

fn unix_now() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970");
    i64::try_from(now.as_secs()).expect("seconds fit i64")
}

/// A key-set server that expects exactly `fetches` requests to `jwks_path`.
async fn jwks_server(issuer: &TestIssuer, jwks_path: &str, fetches: u64) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(jwks_path))
        .respond_with(ResponseTemplate::new(200).set_body_string(issuer.jwks_json()))
        .expect(fetches)
        .mount(&server)
        .await;
    server
}

#[test]
fn real_cognito_id_token_with_every_documented_claim() {
    let now = unix_now();
    let builder = POOL
        .id_token(CLIENT)
        .claim("sub", "aaaaaaaa-bbbb-cccc-dddd-planted00001")
        .claim("cognito:username", "Google_110123456789")
        .claim("email", "planted.user@example.com")
        .claim("email_verified", true)
        .claim("phone_number", "+15555550100")
        .claim("phone_number_verified", false)
        .claim("auth_time", now - 60)
        .claim("iat", now - 5)
        .claim("jti", "jti-1")
        .claim("origin_jti", "origin-1")
        .claim("event_id", "event-1")
        .claim("at_hash", "x3RZa1c6qNvzmZVvN7AbCw")
        .claim("nonce", "n-0S6_WzA2Mj")
        .group("admins")
        .group("eu-west-1_AbC123xyz_Google")
        .claim(
            "cognito:roles",
            json!(["arn:aws:iam::111122223333:role/admins"]),
        )
        .claim(
            "cognito:preferred_role",
            "arn:aws:iam::111122223333:role/admins",
        )
        .claim(
            "identities",
            json!([{
                "userId": "110123456789",
                "providerName": "Google",
                "providerType": "Google",
                "issuer": null,
                "primary": "true",
                "dateCreated": "1700000000000"
            }]),
        )
        .claim("custom:tenant", "acme")
        .claim("custom:plan", "gold");
    let (header, _) = builder.json();
    let header: Value = serde_json::from_str(&header).unwrap();
    assert!(header.get("typ").is_none(), "real Cognito sends no typ");
    let token = builder.sign();

    let claims: IdTokenClaims = verifier(TokenUse::Id).verify_sync(&token).unwrap();
    assert_eq!(claims.sub(), "aaaaaaaa-bbbb-cccc-dddd-planted00001");
    assert_eq!(claims.iss(), POOL.issuer());
    assert_eq!(claims.aud(), CLIENT);
    assert_eq!(claims.token_use().as_str(), "id");
    assert_eq!(claims.auth_time(), Some(u64::try_from(now - 60).unwrap()));
    assert_eq!(claims.iat(), Some(u64::try_from(now - 5).unwrap()));
    assert_eq!(claims.username(), Some("Google_110123456789"));
    assert_eq!(claims.email(), Some("planted.user@example.com"));
    assert_eq!(claims.email_verified(), Some(true));
    assert_eq!(claims.phone_number(), Some("+15555550100"));
    assert_eq!(claims.phone_number_verified(), Some(false));
    assert_eq!(claims.jti(), Some("jti-1"));
    assert_eq!(claims.origin_jti(), Some("origin-1"));
    assert_eq!(claims.event_id(), Some("event-1"));
    assert_eq!(claims.at_hash(), Some("x3RZa1c6qNvzmZVvN7AbCw"));
    assert_eq!(claims.nonce(), Some("n-0S6_WzA2Mj"));
    assert_eq!(
        claims.groups().collect::<Vec<_>>(),
        ["admins", "eu-west-1_AbC123xyz_Google"]
    );
    assert!(claims.in_group("admins") && !claims.in_group("Admins"));
    assert_eq!(
        claims.roles().collect::<Vec<_>>(),
        ["arn:aws:iam::111122223333:role/admins"]
    );
    assert_eq!(
        claims.preferred_role(),
        Some("arn:aws:iam::111122223333:role/admins")
    );
    assert_eq!(claims.custom_attribute("tenant").as_deref(), Some("acme"));
    assert_eq!(claims.custom_attribute("plan").as_deref(), Some("gold"));
    assert_eq!(claims.custom_attribute("missing"), None);
    assert_eq!(
        claims
            .claim::<serde_json::Value>("identities")
            .unwrap()
            .unwrap()[0]["providerName"],
        json!("Google")
    );

    // Claims are personal data: their Debug output keeps them out of logs.
    let debug = format!("{claims:?}");
    for private in ["planted00001", "planted.user@example.com", "+15555550100"] {
        assert!(!debug.contains(private), "{debug}");
    }
}

#[test]
fn the_same_id_token_as_json_value_keeps_every_claim() {
    let token = POOL
        .id_token(CLIENT)
        .claim("custom:tenant", "acme")
        .claim("identities", json!([{"providerName": "Google"}]))
        .sign();
    let claims: Value = verifier(TokenUse::Id).verify_sync(&token).unwrap();
    assert_eq!(claims["custom:tenant"], "acme");
    assert_eq!(claims["identities"][0]["providerName"], "Google");
    assert_eq!(claims["token_use"], "id");
}

#[derive(Debug, Clone, Deserialize)]
struct TenantUser {
    sub: String,
    #[serde(rename = "custom:tenant")]
    tenant: String,
    #[serde(rename = "cognito:groups", default)]
    groups: Vec<String>,
}

impl TokenClaims for TenantUser {}

#[test]
fn claims_deserialize_into_a_user_type() {
    let token = POOL
        .id_token(CLIENT)
        .claim("sub", "user-42")
        .claim("custom:tenant", "acme")
        .group("editors")
        .sign();
    let user: TenantUser = verifier(TokenUse::Id).verify_sync(&token).unwrap();
    assert_eq!(user.sub, "user-42");
    assert_eq!(user.tenant, "acme");
    assert_eq!(user.groups, ["editors"]);
}

#[test]
fn a_user_type_the_claims_do_not_fit_is_malformed_without_echoing_values() {
    let token = POOL
        .id_token(CLIENT)
        .claim("sub", "sub-planted-9f3c2e")
        .claim("custom:tenant", json!({"id": "tenant-planted-77ab1"}))
        .sign();
    rejected(
        verifier(TokenUse::Id).verify_sync::<TenantUser>(&token),
        ErrorKind::Malformed,
        &token,
        &["sub-planted-9f3c2e", "tenant-planted-77ab1"],
    );
}

#[tokio::test]
async fn moto_tokens_verify_with_keys_from_the_moto_url() {
    let pool_id = "us-east-1_0123456789abcdef0123456789abcdef";
    let moto = TestIssuer::new(pool_id);
    let jwks_path = format!("/{pool_id}/.well-known/jwks.json");
    let server = jwks_server(&moto, &jwks_path, 1).await;
    let verifier = CognitoJwtVerifier::builder()
        .user_pool(
            UserPool::new(pool_id)
                .client_id(CLIENT)
                .token_use(AcceptedTokenUse::Any)
                .jwks_uri(format!("{}{jwks_path}", server.uri())),
        )
        .build()
        .unwrap();

    // moto keeps the AWS issuer in its tokens and adds typ JWT.
    assert!(moto.issuer().starts_with("https://cognito-idp.us-east-1."));
    let id = moto
        .id_token(CLIENT)
        .header("typ", "JWT")
        .claim("email_verified", "true")
        .claim("phone_number_verified", "false")
        .sign();
    let claims: IdTokenClaims = verifier.verify(&id).await.unwrap();
    assert_eq!(claims.email_verified(), Some(true));
    assert_eq!(claims.phone_number_verified(), Some(false));

    let access = moto.access_token(CLIENT).header("typ", "JWT").sign();
    let claims: AccessTokenClaims = verifier.verify(&access).await.unwrap();
    assert_eq!(claims.client_id(), CLIENT);
    server.verify().await;
}

#[test]
fn email_verified_accepts_only_booleans_and_their_string_forms() {
    let verifier = verifier(TokenUse::Id);
    for (value, expected) in [
        (json!(true), true),
        (json!(false), false),
        (json!("true"), true),
        (json!("false"), false),
    ] {
        let token = POOL.id_token(CLIENT).claim("email_verified", value).sign();
        let claims: IdTokenClaims = verifier.verify_sync(&token).unwrap();
        assert_eq!(claims.email_verified(), Some(expected));
    }
    for value in [json!("yes"), json!(1), json!("TRUE")] {
        let token = POOL.id_token(CLIENT).claim("email_verified", value).sign();
        rejected(
            verifier.verify_sync::<IdTokenClaims>(&token),
            ErrorKind::Malformed,
            &token,
            &[],
        );
    }
}

#[tokio::test]
async fn cognito_local_tokens_verify_with_the_issuer_override() {
    let pool_id = "local_5Zx7Wq2R";
    let local = MockServer::start().await;
    // cognito-local: iss is http://<host>:<port>/<pool>, keys at <iss>/.well-known/jwks.json.
    let issuer_url = format!("{}/{pool_id}", local.uri());
    let cognito_local = TestIssuer::new(pool_id).with_issuer(&issuer_url);
    Mock::given(method("GET"))
        .and(path(format!("/{pool_id}/.well-known/jwks.json")))
        .respond_with(ResponseTemplate::new(200).set_body_string(cognito_local.jwks_json()))
        .expect(1)
        .mount(&local)
        .await;
    let verifier = CognitoJwtVerifier::builder()
        .user_pool(
            UserPool::new(pool_id)
                .client_id(CLIENT)
                .token_use(AcceptedTokenUse::Any)
                .issuer(&issuer_url),
        )
        .build()
        .unwrap();
    assert_eq!(
        verifier.jwks_uris().collect::<Vec<_>>(),
        [format!("{issuer_url}/.well-known/jwks.json")]
    );

    let access = cognito_local
        .access_token(CLIENT)
        .header("typ", "JWT")
        .sign();
    let claims: AccessTokenClaims = verifier.verify(&access).await.unwrap();
    assert_eq!(claims.iss(), issuer_url);
    let id = cognito_local.id_token(CLIENT).header("typ", "JWT").sign();
    let claims: IdTokenClaims = verifier.verify(&id).await.unwrap();
    assert_eq!(claims.aud(), CLIENT);

    // With the override, the AWS issuer for the same pool is not accepted.
    let aws_issuer = format!("https://cognito-idp.local.amazonaws.com/{pool_id}");
    let token = cognito_local
        .access_token(CLIENT)
        .claim("iss", aws_issuer)
        .sign();
    rejected(
        verifier.verify::<Value>(&token).await,
        ErrorKind::InvalidIssuer,
        &token,
        &[],
    );

    // cognito-local's refresh token: a JWT signed with the pool key, but no
    // kid and no token_use.
    let refresh = sign_parts(
        cognito_local.key(),
        r#"{"alg":"RS256","typ":"JWT"}"#,
        &json!({
            "sub": "refresh-sub-planted-31c9",
            "iss": issuer_url,
            "client_id": CLIENT,
            "jti": "d2b1f0",
            "iat": unix_now(),
            "exp": unix_now() + 3600,
        })
        .to_string(),
    );
    rejected(
        verifier.verify::<Value>(&refresh).await,
        ErrorKind::Malformed,
        &refresh,
        &["refresh-sub-planted-31c9"],
    );
    local.verify().await;
}

#[test]
fn a_refresh_token_with_a_kid_is_still_refused_for_its_missing_token_use() {
    let verifier = verifier(AcceptedTokenUse::Any);
    let token = POOL.access_token(CLIENT).without("token_use").sign();
    rejected(
        verifier.verify_sync::<Value>(&token),
        ErrorKind::InvalidTokenUse,
        &token,
        &[],
    );
    let token = POOL
        .access_token(CLIENT)
        .claim("token_use", "refresh")
        .sign();
    rejected(
        verifier.verify_sync::<Value>(&token),
        ErrorKind::InvalidTokenUse,
        &token,
        &[],
    );
}

#[test]
fn access_token_scopes_groups_username_and_v2_trigger_claims() {
    let token = POOL
        .access_token(CLIENT)
        .scope("openid email  aws.cognito.signin.user.admin orders/read")
        .group("admins")
        .group("ops")
        .claim("username", "jdoe")
        .claim("version", 2)
        .claim(
            "tenant",
            json!({"id": "t-1", "plan": {"tier": "gold", "seats": [1, 2]}}),
        )
        .claim("feature_flags", json!(["beta"]))
        .sign();
    let claims: AccessTokenClaims = verifier(TokenUse::Access).verify_sync(&token).unwrap();
    assert_eq!(
        claims.scopes().collect::<Vec<_>>(),
        [
            "openid",
            "email",
            "aws.cognito.signin.user.admin",
            "orders/read"
        ]
    );
    assert!(claims.has_scope("orders/read") && !claims.has_scope("orders"));
    assert_eq!(claims.groups().collect::<Vec<_>>(), ["admins", "ops"]);
    assert!(claims.in_group("ops"));
    assert_eq!(claims.username(), Some("jdoe"));
    assert!(!claims.is_machine_to_machine());
    assert_eq!(claims.version(), Some(2));
    assert_eq!(
        claims
            .claim::<serde_json::Value>("tenant")
            .unwrap()
            .unwrap()["plan"]["tier"],
        "gold"
    );
    assert_eq!(
        claims.claim::<serde_json::Value>("feature_flags").unwrap(),
        Some(json!(["beta"]))
    );
    assert!(claims.origin_jti().is_some() && claims.event_id().is_some());
}

#[test]
fn strings_written_with_escapes_read_the_same_as_plain_ones() {
    // A quote, a backslash and a line break are written escaped: the
    // verifier's serde pass reads this payload, and the claims keep the
    // unescaped strings beside the payload text they are read from.
    let token = POOL
        .access_token(CLIENT)
        .group("admins")
        .group("ops \"north\"")
        .claim("username", "jo\\doe\n")
        .claim("jti", "j-1")
        .sign();
    let claims: AccessTokenClaims = verifier(TokenUse::Access).verify_sync(&token).unwrap();
    assert_eq!(claims.username(), Some("jo\\doe\n"));
    assert_eq!(
        claims.groups().collect::<Vec<_>>(),
        ["admins", "ops \"north\""]
    );
    assert!(claims.in_group("ops \"north\"") && !claims.in_group("ops"));
    assert_eq!((claims.jti(), claims.client_id()), (Some("j-1"), CLIENT));
    assert_eq!(claims.iss(), POOL.issuer());
    let json: serde_json::Value = serde_json::from_str(claims.json()).unwrap();
    assert_eq!(json["username"], "jo\\doe\n");
    let again = claims.clone();
    assert_eq!(again, claims);
    assert_eq!(again.username(), Some("jo\\doe\n"));
}

#[test]
fn machine_to_machine_access_token() {
    let verifier = CognitoJwtVerifier::builder()
        .user_pool(fixtures::pool(TokenUse::Access))
        .require_any_scope("orders/write")
        .build()
        .unwrap();
    verifier
        .cache_jwks(POOL.pool_id(), &POOL.jwks_json())
        .unwrap();
    let token = POOL
        .m2m_access_token(CLIENT, "orders/read orders/write")
        .sign();
    let (_, payload) = POOL
        .m2m_access_token(CLIENT, "orders/read orders/write")
        .json();
    let payload: Value = serde_json::from_str(&payload).unwrap();
    for absent in ["username", "cognito:groups", "origin_jti", "event_id"] {
        assert!(payload.get(absent).is_none(), "{absent}");
    }

    let claims: AccessTokenClaims = verifier.verify_sync(&token).unwrap();
    assert_eq!(claims.sub(), CLIENT);
    assert!(claims.is_machine_to_machine());
    assert!(claims.groups().len() == 0);
    assert_eq!(claims.origin_jti(), None);
    assert_eq!(claims.event_id(), None);
    assert!(claims.has_scope("orders/read") && claims.has_scope("orders/write"));

    let read_only = POOL.m2m_access_token(CLIENT, "orders/read").sign();
    rejected(
        verifier.verify_sync::<AccessTokenClaims>(&read_only),
        ErrorKind::MissingScope,
        &read_only,
        &[],
    );
}

#[test]
fn kids_with_base64_punctuation_are_matched_exactly() {
    let key = TestKey::generate("kV3+a/b9Zx1qW2e4r5t6y7u8i9o0p=");
    let jwks = json!({"keys": [key.jwk()]}).to_string();
    let verifier = cached_verifier(fixtures::pool(TokenUse::Access), POOL.pool_id(), &jwks);

    let token = POOL
        .access_token(CLIENT)
        .header("kid", key.kid())
        .sign_with(&key);
    let claims: AccessTokenClaims = verifier.verify_sync(&token).unwrap();
    assert_eq!(claims.client_id(), CLIENT);

    // Lookup is by exact bytes: the base64url spelling of the same kid, or
    // the kid without its padding, names no key.
    for near in [
        "kV3-a_b9Zx1qW2e4r5t6y7u8i9o0p=",
        "kV3+a/b9Zx1qW2e4r5t6y7u8i9o0p",
    ] {
        let token = POOL
            .access_token(CLIENT)
            .header("kid", near)
            .sign_with(&key);
        rejected(
            verifier.verify_sync::<Value>(&token),
            ErrorKind::UnknownKid,
            &token,
            &[],
        );
    }
}

fn issuer_variant_token(iss: &str) -> String {
    POOL.access_token(CLIENT).claim("iss", iss).sign()
}

#[test]
fn both_issuer_hosts_by_default_and_either_alone_when_pinned() {
    let updated = format!(
        "https://issuer-cognito-idp.eu-west-1.amazonaws.com/{}",
        POOL.pool_id()
    );
    let on_updated_host = issuer_variant_token(&updated);
    let on_original_host = POOL.access_token(CLIENT).sign();

    // By default either host (the keys are the pool's own either way).
    let default = verifier(TokenUse::Access);
    let claims: AccessTokenClaims = default.verify_sync(&on_updated_host).unwrap();
    assert_eq!(claims.iss(), updated);
    default
        .verify_sync::<AccessTokenClaims>(&on_original_host)
        .unwrap();

    let pinned = |hosts| {
        cached_verifier(
            fixtures::pool(TokenUse::Access).issuer_hosts(hosts),
            POOL.pool_id(),
            &POOL.jwks_json(),
        )
    };
    let original_only = pinned(IssuerHosts::Original);
    rejected(
        original_only.verify_sync::<Value>(&on_updated_host),
        ErrorKind::InvalidIssuer,
        &on_updated_host,
        &[],
    );
    original_only
        .verify_sync::<AccessTokenClaims>(&on_original_host)
        .unwrap();

    let updated_only = pinned(IssuerHosts::Updated);
    rejected(
        updated_only.verify_sync::<Value>(&on_original_host),
        ErrorKind::InvalidIssuer,
        &on_original_host,
        &[],
    );
    updated_only
        .verify_sync::<AccessTokenClaims>(&on_updated_host)
        .unwrap();
}

#[test]
fn replica_region_issuer_only_for_configured_replicas() {
    let replica = format!(
        "https://cognito-idp.eu-central-1.amazonaws.com/{}",
        POOL.pool_id()
    );
    let token = issuer_variant_token(&replica);
    rejected(
        verifier(TokenUse::Access).verify_sync::<Value>(&token),
        ErrorKind::InvalidIssuer,
        &token,
        &[],
    );

    let with_replica = cached_verifier(
        fixtures::pool(TokenUse::Access).replica_region("eu-central-1"),
        POOL.pool_id(),
        &POOL.jwks_json(),
    );
    let claims: AccessTokenClaims = with_replica.verify_sync(&token).unwrap();
    assert_eq!(claims.iss(), replica);

    let unconfigured = issuer_variant_token(&format!(
        "https://cognito-idp.us-east-1.amazonaws.com/{}",
        POOL.pool_id()
    ));
    rejected(
        with_replica.verify_sync::<Value>(&unconfigured),
        ErrorKind::InvalidIssuer,
        &unconfigured,
        &[],
    );
}

#[test]
fn token_use_any_checks_each_kind_by_its_own_client_claim() {
    let any = verifier(AcceptedTokenUse::Any);
    let id = POOL.id_token(CLIENT).sign();
    let access = POOL.access_token(CLIENT).sign();
    assert_eq!(
        any.verify_sync::<Value>(&id).unwrap()["token_use"],
        json!("id")
    );
    assert_eq!(
        any.verify_sync::<Value>(&access).unwrap()["token_use"],
        json!("access")
    );
    any.verify_sync::<IdTokenClaims>(&id).unwrap();
    any.verify_sync::<AccessTokenClaims>(&access).unwrap();

    // An ID token's client is its aud; a matching client_id does not help.
    let id_for_other_app = POOL
        .id_token("other-app-client")
        .claim("client_id", CLIENT)
        .sign();
    rejected(
        any.verify_sync::<Value>(&id_for_other_app),
        ErrorKind::InvalidAudience,
        &id_for_other_app,
        &[],
    );
    // An access token's client is its client_id; a matching aud does not help.
    let access_for_other_app = POOL
        .access_token("other-app-client")
        .claim("aud", CLIENT)
        .sign();
    rejected(
        any.verify_sync::<Value>(&access_for_other_app),
        ErrorKind::InvalidAudience,
        &access_for_other_app,
        &[],
    );
    let access_with_aud_only = POOL
        .access_token(CLIENT)
        .without("client_id")
        .claim("aud", CLIENT)
        .sign();
    rejected(
        any.verify_sync::<Value>(&access_with_aud_only),
        ErrorKind::InvalidAudience,
        &access_with_aud_only,
        &[],
    );
}

#[test]
fn the_claims_type_decides_the_token_use_whatever_the_pool_accepts() {
    let any = verifier(AcceptedTokenUse::Any);
    let access = POOL.access_token(CLIENT).sign();
    let id = POOL.id_token(CLIENT).sign();
    rejected(
        any.verify_sync::<IdTokenClaims>(&access),
        ErrorKind::InvalidTokenUse,
        &access,
        &[],
    );
    rejected(
        any.verify_sync::<AccessTokenClaims>(&id),
        ErrorKind::InvalidTokenUse,
        &id,
        &[],
    );
    // And the pool's token use still applies to untyped claims.
    rejected(
        verifier(TokenUse::Id).verify_sync::<Value>(&access),
        ErrorKind::InvalidTokenUse,
        &access,
        &[],
    );
    rejected(
        verifier(TokenUse::Access).verify_sync::<IdTokenClaims>(&id),
        ErrorKind::InvalidTokenUse,
        &id,
        &[],
    );
}

#[test]
fn two_pools_verify_with_their_own_keys() {
    let other = &*fixtures::OTHER_POOL;
    let verifier = CognitoJwtVerifier::builder()
        .user_pool(fixtures::pool(TokenUse::Access))
        .user_pool(other.user_pool("other-client", TokenUse::Id))
        .build()
        .unwrap();
    verifier
        .cache_jwks(POOL.pool_id(), &POOL.jwks_json())
        .unwrap();
    verifier
        .cache_jwks(other.pool_id(), &other.jwks_json())
        .unwrap();

    let ours = POOL.access_token(CLIENT).sign();
    let theirs = other.id_token("other-client").sign();
    verifier.verify_sync::<AccessTokenClaims>(&ours).unwrap();
    verifier.verify_sync::<IdTokenClaims>(&theirs).unwrap();
    // Each pool keeps its own client ids and token use.
    let cross = other.access_token("other-client").sign();
    rejected(
        verifier.verify_sync::<Value>(&cross),
        ErrorKind::InvalidTokenUse,
        &cross,
        &[],
    );
    let wrong_client = other.id_token(CLIENT).sign();
    rejected(
        verifier.verify_sync::<Value>(&wrong_client),
        ErrorKind::InvalidAudience,
        &wrong_client,
        &[],
    );
}
