//! Claim rules and step-up requirements (RFC 9470) on every verifier kind
//! and every way a token reaches them: `verify`, `verify_sync`, and a hit
//! of the verified-token cache (the token verified once without the
//! route's requirements, then checked against them).

use std::sync::LazyLock;
use std::time::Duration;

use cognito_jwt_core::testing::{TestAlb, TestOidcIssuer};
use cognito_jwt_core::{
    Algorithm, AnyVerifier, ClaimRule, CognitoJwtVerifier, Error, ErrorKind, Requirements,
    TokenUse, Verify,
};
use serde_json::{Value, json};

use crate::support::fixtures::{CLIENT, POOL, assert_hygienic, rejected};

const AUDIENCE: &str = "orders-api";
const CACHE_BYTES: u64 = 1024 * 1024;

static OIDC: LazyLock<TestOidcIssuer> =
    LazyLock::new(|| TestOidcIssuer::new("https://login.example.com/rules", Algorithm::ES256));
static ALB: LazyLock<TestAlb> = LazyLock::new(|| TestAlb::new("eu-west-1"));

/// The three verifier kinds, each twice: without and with a token cache.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Cognito,
    Oidc,
    Alb,
}

const KINDS: [Kind; 3] = [Kind::Cognito, Kind::Oidc, Kind::Alb];

impl Kind {
    fn verifier(self, cache: bool) -> AnyVerifier {
        let cached = |bytes: u64| cache.then_some(bytes);
        match self {
            Kind::Cognito => {
                let mut builder = POOL.verifier_builder(CLIENT, TokenUse::Access);
                if let Some(bytes) = cached(CACHE_BYTES) {
                    builder = builder.token_cache_max_bytes(bytes);
                }
                POOL.verifier_from(builder).into()
            }
            Kind::Oidc => {
                let mut builder = OIDC.verifier_builder(OIDC.issuer_config(AUDIENCE));
                if let Some(bytes) = cached(CACHE_BYTES) {
                    builder = builder.token_cache_max_bytes(bytes);
                }
                OIDC.verifier_from(builder).into()
            }
            Kind::Alb => {
                let mut builder = ALB.verifier_builder();
                if let Some(bytes) = cached(CACHE_BYTES) {
                    builder = builder.token_cache_max_bytes(bytes);
                }
                builder.build().expect("ALB verifier").into()
            }
        }
    }

    /// A valid token of this kind with `claims` set (`null` removes one).
    fn token(self, claims: &Value) -> String {
        let claims = claims.as_object().expect("an object of claims");
        macro_rules! with_claims {
            ($builder:expr) => {{
                let mut builder = $builder;
                for (name, value) in claims {
                    builder = if value.is_null() {
                        builder.without(name)
                    } else {
                        builder.claim(name, value.clone())
                    };
                }
                builder.sign()
            }};
        }
        match self {
            Kind::Cognito => with_claims!(POOL.access_token(CLIENT)),
            Kind::Oidc => with_claims!(OIDC.access_token(AUDIENCE)),
            Kind::Alb => with_claims!(ALB.data()),
        }
    }
}

/// What `route` answers to `token` on every path, `Ok` or the error, each
/// path checked to answer alike.
async fn outcome(kind: Kind, token: &str, route: &Requirements) -> Result<(), Error> {
    let fresh = kind.verifier(false);
    let answer = fresh.verify_with::<Value>(token, route).await.map(drop);
    let sync = match &fresh {
        AnyVerifier::Cognito(v) => Some(v.verify_sync_with::<Value>(token, route)),
        AnyVerifier::Jwt(v) => Some(v.verify_sync_with::<Value>(token, route)),
        AnyVerifier::Alb(v) => Some(v.verify_sync_with::<Value>(token, route)),
        _ => None,
    };
    if let Some(sync) = sync {
        assert_eq!(
            sync.map(drop),
            answer,
            "{kind:?}: verify_sync answers as verify"
        );
    }
    let caching = kind.verifier(true);
    caching
        .verify_with::<Value>(token, &Requirements::new())
        .await
        .expect("the token itself is valid");
    for attempt in ["first hit", "second hit"] {
        let hit = caching.verify_with::<Value>(token, route).await.map(drop);
        assert_eq!(
            hit, answer,
            "{kind:?}, {attempt}: a cache hit answers as verify"
        );
    }
    answer
}

/// Assert every path refuses `token` with `kind`, echoing no planted value.
async fn refused(kind: Kind, claims: Value, route: &Requirements, expected: ErrorKind) -> Error {
    let token = kind.token(&claims);
    let planted: Vec<String> = claims
        .as_object()
        .into_iter()
        .flatten()
        .flat_map(|(_, v)| match v {
            Value::String(s) => vec![s.clone()],
            Value::Array(items) => items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        })
        .filter(|s| s.contains("planted"))
        .collect();
    let planted: Vec<&str> = planted.iter().map(String::as_str).collect();
    let error = rejected(
        outcome(kind, &token, route).await,
        expected,
        &token,
        &planted,
    );
    assert_hygienic(&error, &token, &planted);
    error
}

async fn accepted(kind: Kind, claims: Value, route: &Requirements) {
    let token = kind.token(&claims);
    if let Err(error) = outcome(kind, &token, route).await {
        panic!("{kind:?}: {claims} refused: {error}");
    }
}

fn tenant_rules() -> Requirements {
    Requirements::new()
        .claim_rules("custom:tenant=acme|globex; tier:=2; roles~=staff|admins")
        .expect("valid rules")
}

#[tokio::test]
async fn claim_rules_hold_by_value_on_every_kind_and_path() {
    let route = tenant_rules();
    let good = json!({"custom:tenant": "globex", "tier": 2, "roles": ["x", "admins"]});
    for kind in KINDS {
        accepted(kind, good.clone(), &route).await;
        accepted(
            kind,
            json!({"custom:tenant": "acme", "tier": 2.0, "roles": ["staff"]}),
            &route,
        )
        .await;
        for bad in [
            json!({"custom:tenant": "tenant-planted-1", "tier": 2, "roles": ["staff"]}),
            json!({"custom:tenant": "ACME", "tier": 2, "roles": ["staff"]}),
            json!({"tier": 2, "roles": ["staff"]}),
            json!({"custom:tenant": "acme", "tier": 3, "roles": ["staff"]}),
            json!({"custom:tenant": "acme", "roles": ["staff"]}),
            json!({"custom:tenant": "acme", "tier": 2, "roles": ["role-planted-2"]}),
            json!({"custom:tenant": "acme", "tier": 2}),
        ] {
            let mut claims = good.clone();
            for field in ["custom:tenant", "tier", "roles"] {
                claims[field] = bad.get(field).cloned().unwrap_or(Value::Null);
            }
            let error = refused(kind, claims, &route, ErrorKind::ClaimMismatch).await;
            assert_eq!(error.kind().http_class().status(), 403);
        }
    }
}

/// SECURITY.md: claim-value confusion. A number never passes for a
/// string, a string never for a number or boolean, a list never for a
/// string, and a string never for a list.
#[tokio::test]
async fn claim_values_of_another_json_type_never_match() {
    let route = tenant_rules();
    let confusions = [
        ("tier", json!("2")),
        ("tier", json!(true)),
        ("tier", json!([2])),
        ("custom:tenant", json!(["acme"])),
        ("custom:tenant", json!({"name": "acme"})),
        ("roles", json!("staff")),
        ("roles", json!("staff admins")),
        ("roles", json!([["staff"]])),
    ];
    for kind in KINDS {
        for (field, value) in &confusions {
            let mut claims = json!({"custom:tenant": "acme", "tier": 2, "roles": ["staff"]});
            claims[*field] = value.clone();
            refused(kind, claims, &route, ErrorKind::ClaimMismatch).await;
        }
    }
    // And the other way round: the string "1" is not the number 1, nor
    // "true" the boolean.
    let strict = Requirements::new()
        .claim_rules("n=1; flag:=true")
        .expect("rules");
    for kind in KINDS {
        accepted(kind, json!({"n": "1", "flag": true}), &strict).await;
        refused(
            kind,
            json!({"n": 1, "flag": true}),
            &strict,
            ErrorKind::ClaimMismatch,
        )
        .await;
        refused(
            kind,
            json!({"n": "1", "flag": "true"}),
            &strict,
            ErrorKind::ClaimMismatch,
        )
        .await;
    }
}

#[test]
fn verifier_wide_rules_refuse_on_verify_sync_and_serve_passing_tokens_from_the_cache() {
    let verifier: CognitoJwtVerifier = POOL.verifier_from(
        POOL.verifier_builder(CLIENT, TokenUse::Access)
            .require_claim("custom:tenant=acme".parse().expect("rule"))
            .require_claim(ClaimRule::equals_json("tier", json!(2)))
            .token_cache_max_bytes(CACHE_BYTES),
    );
    let good = POOL
        .access_token(CLIENT)
        .claim("custom:tenant", "acme")
        .claim("tier", 2)
        .sign();
    for _ in 0..3 {
        verifier
            .verify_sync::<Value>(&good)
            .expect("rules hold, cached or not");
    }
    let other = POOL
        .access_token(CLIENT)
        .claim("custom:tenant", "planted-globex")
        .claim("tier", 2)
        .sign();
    for _ in 0..2 {
        rejected(
            verifier.verify_sync::<Value>(&other),
            ErrorKind::ClaimMismatch,
            &other,
            &["planted-globex"],
        );
    }
}

#[tokio::test]
async fn alb_verifier_wide_rules_apply_to_what_the_load_balancer_signs() {
    let verifier = ALB
        .verifier_builder()
        .require_claim("custom:tenant=acme".parse().expect("rule"))
        .build()
        .expect("ALB verifier");
    let good = ALB.data().claim("custom:tenant", "acme").sign();
    verifier
        .verify::<Value>(&good)
        .await
        .expect("the rule holds");
    verifier
        .verify_sync::<Value>(&good)
        .expect("the rule holds");
    let bad = ALB.data().claim("custom:tenant", "planted-x").sign();
    rejected(
        verifier.verify::<Value>(&bad).await,
        ErrorKind::ClaimMismatch,
        &bad,
        &["planted-x"],
    );
}

#[tokio::test]
async fn acr_is_any_of_and_a_downgrade_is_refused_with_the_classes_to_ask_for() {
    let route = Requirements::new().any_acr("phr").any_acr("phrh");
    for kind in KINDS {
        accepted(kind, json!({"acr": "phrh"}), &route).await;
        for claims in [
            json!({"acr": "pwd-planted"}),
            json!({"acr": null}),
            json!({"acr": ["phr"]}),
            json!({"acr": 2}),
            json!({"acr": "PHR"}),
        ] {
            let error = refused(
                kind,
                claims,
                &route,
                ErrorKind::InsufficientUserAuthentication,
            )
            .await;
            assert_eq!(error.acr_values(), Some("phr phrh"));
            assert_eq!(error.max_age(), None);
            assert_eq!(error.kind().http_class().status(), 401);
        }
    }
}

#[tokio::test]
async fn amr_is_all_of() {
    let route = Requirements::new().all_amr("mfa").all_amr("hwk");
    for kind in KINDS {
        accepted(kind, json!({"amr": ["pwd", "hwk", "mfa"]}), &route).await;
        for claims in [
            json!({"amr": ["mfa"]}),
            json!({"amr": ["pwd", "planted-otp"]}),
            json!({"amr": "mfa hwk"}),
            json!({"amr": null}),
            json!({"amr": [["mfa", "hwk"]]}),
        ] {
            let error = refused(
                kind,
                claims,
                &route,
                ErrorKind::InsufficientUserAuthentication,
            )
            .await;
            assert_eq!((error.acr_values(), error.max_age()), (None, None));
        }
    }
}

fn seconds_ago(seconds: u64) -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
        - seconds
}

/// SECURITY.md: a stale `auth_time` is refused, on a cache hit too (the
/// token was verified, and cached, without the route's requirement).
#[tokio::test]
async fn a_stale_or_missing_auth_time_is_refused_with_max_age() {
    let route = Requirements::new()
        .max_auth_age(Duration::from_secs(300))
        .any_acr("mfa");
    for kind in KINDS {
        accepted(
            kind,
            json!({"auth_time": seconds_ago(10), "acr": "mfa"}),
            &route,
        )
        .await;
        for claims in [
            json!({"auth_time": seconds_ago(301), "acr": "mfa"}),
            json!({"auth_time": seconds_ago(86_400), "acr": "mfa"}),
            json!({"auth_time": null, "acr": "mfa"}),
        ] {
            let error = refused(
                kind,
                claims,
                &route,
                ErrorKind::InsufficientUserAuthentication,
            )
            .await;
            assert_eq!(error.max_age(), Some(300));
            assert_eq!(
                error.acr_values(),
                Some("mfa"),
                "the whole requirement is named"
            );
        }
    }
}

#[tokio::test]
async fn groups_are_checked_before_step_up_and_claim_rules() {
    let route = Requirements::new()
        .any_group("admins")
        .claim_rules("custom:tenant=acme")
        .expect("rule")
        .all_amr("mfa");
    let token = POOL.access_token(CLIENT).sign();
    let error = outcome(Kind::Cognito, &token, &route).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::MissingGroup);
    let in_group = POOL.access_token(CLIENT).group("admins").sign();
    let error = outcome(Kind::Cognito, &in_group, &route).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::ClaimMismatch);
}

#[test]
fn blank_rules_and_step_up_settings_fail_at_start_up_naming_the_setting() {
    let builder = || POOL.verifier_builder(CLIENT, TokenUse::Access);
    let named = |result: Result<CognitoJwtVerifier, cognito_jwt_core::ConfigError>| {
        result
            .expect_err("refused at build")
            .name()
            .map(str::to_owned)
    };
    assert_eq!(
        named(
            builder()
                .require_claim(ClaimRule::one_of(" ", ["x"]))
                .build()
        )
        .as_deref(),
        Some("require_claim")
    );
    assert_eq!(
        named(
            builder()
                .require_claim(ClaimRule::contains_any("g", [""]))
                .build()
        )
        .as_deref(),
        Some("require_claim")
    );
    assert_eq!(
        named(builder().require_any_acr("a b").build()).as_deref(),
        Some("require_any_acr")
    );
    assert_eq!(
        named(builder().require_all_amr(" ").build()).as_deref(),
        Some("require_all_amr")
    );
    assert_eq!(
        named(
            builder()
                .require_max_auth_age(Duration::from_millis(500))
                .build()
        )
        .as_deref(),
        Some("require_max_auth_age")
    );
    let route = Requirements::new().claim(ClaimRule::one_of("tenant", Vec::<String>::new()));
    assert_eq!(route.validate().unwrap_err().name(), Some("claim"));
    assert_eq!(
        Requirements::new()
            .claim_rules("tenant")
            .unwrap_err()
            .name(),
        Some("claim_rules")
    );
}

/// A route whose rule names nothing is never a way through: checked all
/// the same, it refuses every token.
#[tokio::test]
async fn an_unvalidated_blank_rule_refuses_every_token() {
    let route = Requirements::new().claim(ClaimRule::one_of("tenant", [""]));
    for kind in KINDS {
        refused(
            kind,
            json!({"tenant": ""}),
            &route,
            ErrorKind::ClaimMismatch,
        )
        .await;
    }
}
