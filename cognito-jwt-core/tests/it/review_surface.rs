//! Findings of the outside review about what the crate shows and accepts
//! at its edges: the readiness body, requirement names and `typ`.
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cognito_jwt_core::http::Readiness;
use cognito_jwt_core::testing::{ScriptedJwks, TestAlb, TestCurveKey, TestIssuer, TestOidcIssuer};
use cognito_jwt_core::{
    AccessTokenClaims, AlbClaims, Algorithm, CognitoJwtVerifier, ConfigError, ErrorKind,
    IdTokenClaims, Issuer, IssuerResolver, JwtVerifier, Requirements, StandardClaims, TokenUse,
};
use serde_json::{Value, json};

const CLIENT: &str = "review-client";
const AUD: &str = "orders-api";
/// Fetch error text as an internal endpoint might word it.
const INTERNAL_ERROR: &str = "connect to jwks.internal.corp:8443 as svc:hunter2 refused";

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_secs()
}

fn tenant(n: usize) -> String {
    format!("https://id.example.com/tenant-{n}")
}

fn es256_token(key: &TestCurveKey, iss: &str) -> String {
    let header = json!({ "alg": "ES256", "kid": key.kid(), "typ": "JWT" });
    let claims = json!({ "iss": iss, "sub": "user-1", "aud": AUD, "exp": now() + 600 });
    key.sign_parts(&header.to_string(), &claims.to_string())
}

fn tenant_issuer(iss: &str) -> Issuer {
    Issuer::new(iss)
        .audience(AUD)
        .jwks_uri(format!("{iss}/keys"))
        .algorithms([Algorithm::ES256])
}

/// Neither a URL, a host, a tenant nor any error text.
fn assert_discloses_nothing(body: &str) {
    for secret in [
        "://",
        "example.com",
        "tenant",
        "jwks",
        "internal",
        "hunter2",
        "refused",
    ] {
        assert!(!body.contains(secret), "{secret:?} in {body}");
    }
}

#[tokio::test(start_paused = true)]
async fn ready_body_of_configured_key_sets_names_them_without_urls_or_errors() {
    let issuer = TestIssuer::new("eu-west-1_Review7");
    let jwks = ScriptedJwks::default();
    jwks.fail(INTERNAL_ERROR);
    let verifier = CognitoJwtVerifier::builder()
        .user_pool(issuer.user_pool(CLIENT, TokenUse::Access))
        .fetcher(jwks.clone())
        .build()
        .unwrap();
    let token = issuer.access_token(CLIENT).sign();

    let answer = Readiness::of(&verifier);
    assert_eq!(
        answer.body_json(),
        r#"{"ready":false,"key_sets":[{"name":"eu-west-1_Review7","state":"never_fetched","age_secs":null}]}"#
    );

    let err = verifier
        .verify::<AccessTokenClaims>(&token)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::JwksUnavailable);
    let answer = Readiness::of(&verifier);
    assert_eq!(answer.status(), 503);
    assert_eq!(
        answer.body_json(),
        r#"{"ready":false,"key_sets":[{"name":"eu-west-1_Review7","state":"unavailable","age_secs":null}]}"#
    );
    assert_discloses_nothing(&answer.body_json());
    // The operator's own view keeps the detail.
    assert!(verifier.health().to_json().contains(INTERNAL_ERROR));

    jwks.serve(issuer.jwks_json());
    tokio::time::sleep(Duration::from_secs(2)).await;
    let _: AccessTokenClaims = verifier.verify(&token).await.unwrap();
    tokio::time::sleep(Duration::from_secs(40)).await;
    let answer = Readiness::of(&verifier);
    assert_eq!(answer.status(), 200);
    assert_eq!(
        answer.body_json(),
        r#"{"ready":true,"key_sets":[{"name":"eu-west-1_Review7","state":"fresh","age_secs":40}]}"#
    );
}

#[tokio::test]
async fn ready_body_of_oidc_issuers_names_them_by_position() {
    let key = TestCurveKey::es256("k1");
    let jwks = ScriptedJwks::default();
    jwks.fail(INTERNAL_ERROR);
    let verifier = JwtVerifier::builder()
        .issuer(tenant_issuer(&tenant(1)))
        .issuer(tenant_issuer(&tenant(2)))
        .fetcher(jwks)
        .build()
        .unwrap();
    let _ = verifier
        .verify::<Value>(&es256_token(&key, &tenant(1)))
        .await;
    let body = Readiness::of(&verifier).body_json();
    assert_eq!(
        body,
        concat!(
            r#"{"ready":false,"key_sets":["#,
            r#"{"name":"issuer[0]","state":"unavailable","age_secs":null},"#,
            r#"{"name":"issuer[1]","state":"never_fetched","age_secs":null}]}"#
        )
    );
    assert_discloses_nothing(&body);
}

#[tokio::test]
async fn ready_body_of_a_load_balancer_verifier_has_the_same_shape() {
    let alb = TestAlb::new("eu-west-1");
    let verifier = alb.verifier();
    // Ready before its first key: nothing can be fetched ahead, and a load
    // balancer sends no token to a target whose health check fails.
    let body = Readiness::from(verifier.health()).body_json();
    assert_eq!(
        body,
        r#"{"ready":true,"key_sets":[{"name":"load_balancer_arn[0]","state":"never_fetched","age_secs":null}]}"#
    );
    let _: AlbClaims = verifier.verify(&alb.data().sign()).await.unwrap();
    let answer = Readiness::from(verifier.health());
    assert_eq!(answer.status(), 200);
    assert_eq!(
        answer.body_json(),
        r#"{"ready":true,"key_sets":[{"name":"load_balancer_arn[0]","state":"fresh","age_secs":0}]}"#
    );
    assert!(
        verifier.health().to_json().contains("://"),
        "health() keeps the URL"
    );
}

#[tokio::test]
async fn ready_body_of_a_resolver_counts_issuers_and_lists_none() {
    let key = TestCurveKey::es256("k1");
    let jwks = ScriptedJwks::serving(json!({ "keys": [key.jwk()] }).to_string());
    let resolver = IssuerResolver::from_fn(|iss| {
        (0..100)
            .map(tenant)
            .find(|t| t == iss)
            .map(|t| tenant_issuer(&t).into())
    });
    let verifier = JwtVerifier::builder()
        .issuer_resolver(resolver)
        .max_issuers(1000)
        .fetcher(jwks.clone())
        .build()
        .unwrap();
    assert_eq!(
        Readiness::of(&verifier).body_json(),
        r#"{"ready":true,"issuers":{"resolved":0,"usable":0,"unavailable":0}}"#
    );

    for n in 0..40 {
        let _: StandardClaims = verifier
            .verify(&es256_token(&key, &tenant(n)))
            .await
            .unwrap();
    }
    jwks.fail(INTERNAL_ERROR);
    let err = verifier
        .verify::<Value>(&es256_token(&key, &tenant(40)))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::JwksUnavailable);

    let answer = Readiness::of(&verifier);
    assert_eq!(
        answer.status(),
        200,
        "one tenant's outage is not the service's"
    );
    let body = answer.body_json();
    assert_eq!(
        body,
        r#"{"ready":true,"issuers":{"resolved":41,"usable":40,"unavailable":1}}"#
    );
    assert_discloses_nothing(&body);
    assert_eq!(
        verifier.health().key_sets.len(),
        41,
        "health() keeps the detail"
    );
}

fn setting_of<T: std::fmt::Debug>(built: Result<T, ConfigError>) -> String {
    let error = built.expect_err("a blank name is refused");
    assert!(error.to_string().contains("empty"), "{error}");
    error.name().unwrap_or_default().to_owned()
}

#[test]
fn blank_requirement_names_are_refused_when_a_verifier_is_built() {
    let issuer = TestIssuer::new("eu-west-1_Review10");
    let cognito = || {
        CognitoJwtVerifier::builder()
            .user_pool(issuer.user_pool(CLIENT, TokenUse::Access))
            .fetcher(ScriptedJwks::default())
    };
    let oidc = || JwtVerifier::builder().issuer(tenant_issuer(&tenant(1)));
    for blank in ["", " ", "\t\n"] {
        assert_eq!(
            setting_of(cognito().require_any_scope(blank).build()),
            "require_any_scope"
        );
        assert_eq!(
            setting_of(
                cognito()
                    .require_any_group("admins")
                    .require_any_group(blank)
                    .build()
            ),
            "require_any_group"
        );
        assert_eq!(
            setting_of(oidc().require_any_scope(blank).build()),
            "require_any_scope"
        );
        assert_eq!(
            setting_of(oidc().require_any_group(blank).build()),
            "require_any_group"
        );
        assert_eq!(
            setting_of(
                JwtVerifier::builder()
                    .issuer(tenant_issuer(&tenant(1)))
                    .issuer(tenant_issuer(&tenant(2)).require_any_scope(blank))
                    .build()
            ),
            "issuer[1].require_any_scope"
        );
        assert_eq!(
            setting_of(
                JwtVerifier::builder()
                    .issuer(tenant_issuer(&tenant(1)).require_any_group(blank))
                    .build()
            ),
            "issuer[0].require_any_group"
        );
        assert_eq!(
            setting_of(Requirements::new().any_scope(blank).validate()),
            "any_scope"
        );
        assert_eq!(
            setting_of(
                Requirements::new()
                    .any_group("admins")
                    .any_group(blank)
                    .validate()
            ),
            "any_group"
        );
    }
    assert!(cognito().require_any_scope("orders/read").build().is_ok());
    assert!(
        Requirements::new()
            .any_group("admins")
            .any_scope("orders/read")
            .validate()
            .is_ok()
    );
}

#[tokio::test]
async fn per_request_requirements_with_a_blank_name_refuse_every_token() {
    let issuer = TestIssuer::new("eu-west-1_Review10b");
    let verifier = CognitoJwtVerifier::builder()
        .user_pool(issuer.user_pool(CLIENT, cognito_jwt_core::AcceptedTokenUse::Any))
        .fetcher(ScriptedJwks::serving(issuer.jwks_json()))
        .build()
        .unwrap();
    // Tokens whose groups or scopes hold an empty entry, and an ID token.
    let access = issuer.access_token(CLIENT).group("").group("admins").sign();
    let scoped = issuer.access_token(CLIENT).scope("orders/read").sign();
    let id = issuer.id_token(CLIENT).group("").sign();
    let cases = [
        (Requirements::new().any_group(""), ErrorKind::MissingGroup),
        (
            Requirements::new().any_group("admins").any_group(" "),
            ErrorKind::MissingGroup,
        ),
        (Requirements::new().any_scope(""), ErrorKind::MissingScope),
        (
            Requirements::new().any_scope("orders/read").any_scope(""),
            ErrorKind::MissingScope,
        ),
    ];
    for (requirements, kind) in cases {
        for token in [&access, &scoped] {
            let err = verifier
                .verify_with::<AccessTokenClaims>(token, &requirements)
                .await
                .unwrap_err();
            assert_eq!(err.kind(), kind, "{requirements:?}");
            assert!(err.message().contains("empty"), "{err}");
        }
        let err = verifier
            .verify_with::<IdTokenClaims>(&id, &requirements)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), kind, "{requirements:?}");
    }
    // Sound requirements still pass.
    let _: AccessTokenClaims = verifier
        .verify_with(&access, &Requirements::new().any_group("admins"))
        .await
        .unwrap();
}

/// `typ` values that mean `application/jwt` (RFC 7515 §4.1.9: a media
/// type, compared case-insensitively, `application/` implied).
const JWT_TYPES: [&str; 6] = [
    "JWT",
    "jwt",
    "Jwt",
    "application/jwt",
    "APPLICATION/JWT",
    "Application/JWT",
];
/// `typ` values that are no JWT type, or not exactly one.
const NOT_JWT_TYPES: [&str; 13] = [
    "",
    "JWS",
    "JOSE",
    "jwt ",
    " jwt",
    "application/jwt; charset=utf-8",
    "text/jwt",
    "x-application/jwt",
    "application/",
    "application/application/jwt",
    "\u{ff2a}\u{ff37}\u{ff34}",
    "dpop+jwt",
    "jwt+at",
];
const ACCESS_TOKEN_TYPES: [&str; 4] = [
    "at+jwt",
    "AT+JWT",
    "application/at+jwt",
    "Application/At+Jwt",
];

#[tokio::test]
async fn cognito_reads_typ_as_a_media_type() {
    let issuer = TestIssuer::new("eu-west-1_Review11");
    let verifier = issuer.verifier(CLIENT, TokenUse::Access);
    for typ in JWT_TYPES {
        let token = issuer.access_token(CLIENT).header("typ", typ).sign();
        let claims = verifier.verify_sync::<AccessTokenClaims>(&token);
        assert!(claims.is_ok(), "{typ:?}: {claims:?}");
    }
    for typ in NOT_JWT_TYPES.iter().chain(&ACCESS_TOKEN_TYPES) {
        let token = issuer.access_token(CLIENT).header("typ", *typ).sign();
        let err = verifier
            .verify_sync::<AccessTokenClaims>(&token)
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Malformed, "{typ:?}");
        assert!(!err.message().contains(typ) || typ.is_empty(), "{err}");
    }
    let token = issuer.access_token(CLIENT).header("typ", 7).sign();
    let err = verifier
        .verify_sync::<AccessTokenClaims>(&token)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Malformed);
}

#[tokio::test]
async fn oidc_reads_typ_as_a_media_type_with_and_without_rfc_9068() {
    let issuer = TestOidcIssuer::new("https://login.example.com/review", Algorithm::ES256);
    let id_tokens = issuer.verifier_from(issuer.verifier_builder(issuer.id_token_config("app")));
    let access_tokens = issuer.verifier("orders-api");
    for typ in JWT_TYPES {
        let token = issuer.id_token("app").header("typ", typ).sign();
        let claims = id_tokens.verify_sync::<StandardClaims>(&token);
        assert!(claims.is_ok(), "{typ:?}: {claims:?}");
        let token = issuer.access_token("orders-api").header("typ", typ).sign();
        let err = access_tokens
            .verify_sync::<StandardClaims>(&token)
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidTokenUse, "{typ:?}");
    }
    for typ in ACCESS_TOKEN_TYPES {
        let token = issuer.access_token("orders-api").header("typ", typ).sign();
        let claims = access_tokens.verify_sync::<StandardClaims>(&token);
        assert!(claims.is_ok(), "{typ:?}: {claims:?}");
        let token = issuer.id_token("app").header("typ", typ).sign();
        let err = id_tokens.verify_sync::<StandardClaims>(&token).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidTokenUse, "{typ:?}");
    }
    for typ in NOT_JWT_TYPES {
        for (verifier, token) in [
            (&id_tokens, issuer.id_token("app").header("typ", typ).sign()),
            (
                &access_tokens,
                issuer.access_token("orders-api").header("typ", typ).sign(),
            ),
        ] {
            let err = verifier.verify_sync::<StandardClaims>(&token).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Malformed, "{typ:?}");
        }
    }
}

#[tokio::test]
async fn the_load_balancer_header_reads_typ_as_a_media_type() {
    let alb = TestAlb::new("eu-west-1");
    let verifier = alb.verifier();
    for typ in JWT_TYPES {
        let claims = verifier
            .verify::<AlbClaims>(&alb.data().header("typ", typ).sign())
            .await;
        assert!(claims.is_ok(), "{typ:?}: {claims:?}");
    }
    for typ in NOT_JWT_TYPES.iter().chain(&ACCESS_TOKEN_TYPES) {
        let err = verifier
            .verify::<AlbClaims>(&alb.data().header("typ", *typ).sign())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Malformed, "{typ:?}");
    }
}
