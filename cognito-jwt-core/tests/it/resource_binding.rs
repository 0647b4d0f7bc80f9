//! Resource binding (RFC 8707): an access token's `aud` names the resource
//! servers it was issued for. Every rule on every path a token takes:
//! `verify`, `verify_sync`, and hits of the verified-token cache.

use std::sync::LazyLock;

use cognito_jwt_core::testing::TestOidcIssuer;
use cognito_jwt_core::{
    Algorithm, CognitoJwtVerifier, ConfigError, Error, ErrorKind, JwtVerifier, TokenUse, UserPool,
};
use cognito_jwt_test_support::LogCapture;
use serde_json::{Value, json};

use crate::support::fixtures::{CLIENT, POOL, rejected};

/// The resource this API is.
const ORDERS: &str = "https://orders.example.com";
/// Another API of the same user pool and app client.
const BILLING: &str = "https://billing.example.com";
/// An app client signing users in through the SDK (no resource binding).
const SDK_CLIENT: &str = "5sdkclient0123456789abcdef";

static OIDC: LazyLock<TestOidcIssuer> =
    LazyLock::new(|| TestOidcIssuer::new("https://login.example.com/resources", Algorithm::RS256));

/// A pool of [`POOL`] accepting access tokens of [`CLIENT`] and
/// [`SDK_CLIENT`], set up further by `settings`.
fn pool(settings: fn(UserPool) -> UserPool) -> UserPool {
    settings(
        POOL.user_pool(CLIENT, TokenUse::Access)
            .client_id(SDK_CLIENT),
    )
}

fn cognito(pool: &UserPool, cache: bool) -> CognitoJwtVerifier {
    let mut builder = CognitoJwtVerifier::builder()
        .user_pool(pool.clone())
        .fetcher(POOL.fetcher());
    if cache {
        builder = builder.token_cache_max_bytes(1024 * 1024);
    }
    POOL.verifier_from(builder)
}

/// What a verifier answers to `token`, checked to be the same on
/// `verify`, `verify_sync` and two cache hits.
async fn answer<V>(make: impl Fn(bool) -> V, token: &str) -> Result<(), Error>
where
    V: Paths,
{
    let fresh = make(false);
    let verified = fresh.verify(token).await;
    assert_eq!(
        fresh.verify_sync(token),
        verified,
        "verify_sync answers as verify"
    );
    let caching = make(true);
    assert_eq!(
        caching.verify(token).await,
        verified,
        "a cold cache answers as verify"
    );
    for attempt in ["first", "second"] {
        assert_eq!(
            caching.verify(token).await,
            verified,
            "the {attempt} repeat (a cache hit when accepted) answers as verify"
        );
        assert_eq!(caching.verify_sync(token), verified);
    }
    verified
}

trait Paths {
    async fn verify(&self, token: &str) -> Result<(), Error>;
    fn verify_sync(&self, token: &str) -> Result<(), Error>;
}

impl Paths for CognitoJwtVerifier {
    async fn verify(&self, token: &str) -> Result<(), Error> {
        CognitoJwtVerifier::verify::<Value>(self, token)
            .await
            .map(drop)
    }
    fn verify_sync(&self, token: &str) -> Result<(), Error> {
        CognitoJwtVerifier::verify_sync::<Value>(self, token).map(drop)
    }
}

impl Paths for JwtVerifier {
    async fn verify(&self, token: &str) -> Result<(), Error> {
        JwtVerifier::verify::<Value>(self, token).await.map(drop)
    }
    fn verify_sync(&self, token: &str) -> Result<(), Error> {
        JwtVerifier::verify_sync::<Value>(self, token).map(drop)
    }
}

async fn accepts(pool: &UserPool, token: &str, what: &str) {
    if let Err(error) = answer(|cache| cognito(pool, cache), token).await {
        panic!("{what}: refused: {error}");
    }
}

async fn refuses(pool: &UserPool, token: &str, what: &str) -> Error {
    let error = rejected(
        answer(|cache| cognito(pool, cache), token).await,
        ErrorKind::InvalidAudience,
        token,
        &[],
    );
    assert_eq!(error.kind().http_class().status(), 401, "{what}");
    error
}

fn bound_to(aud: Value) -> String {
    POOL.access_token(CLIENT).claim("aud", aud).sign()
}

#[tokio::test]
async fn by_default_unbound_tokens_pass_and_bound_ones_are_refused() {
    let default = pool(|p| p);
    // Every genuine unbound shape: SDK sign-in, client credentials, ID
    // tokens (whose aud is the app client).
    accepts(&default, &POOL.access_token(CLIENT).sign(), "SDK sign-in").await;
    accepts(
        &default,
        &POOL.m2m_access_token(CLIENT, "orders/read").sign(),
        "client credentials",
    )
    .await;
    let id_pool = POOL.user_pool(CLIENT, TokenUse::Id);
    accepts(&id_pool, &POOL.id_token(CLIENT).sign(), "ID token").await;
    for aud in [json!(BILLING), json!([BILLING, ORDERS]), json!([])] {
        let error = refuses(&default, &bound_to(aud.clone()), "bound").await;
        assert!(
            error.to_string().contains("COGNITO_RESOURCE"),
            "the message names the setting: {error}"
        );
    }
    let any = pool(UserPool::dangerously_accept_any_resource);
    accepts(&any, &bound_to(json!(BILLING)), "any resource").await;
    accepts(&any, &bound_to(json!([BILLING, ORDERS])), "any resource").await;
    accepts(
        &any,
        &POOL.access_token(CLIENT).sign(),
        "any resource, unbound",
    )
    .await;
}

/// SECURITY.md: cross-resource replay. A token minted for another API of
/// the same pool and app client is refused.
#[tokio::test]
async fn a_token_bound_to_another_resource_is_refused() {
    let orders = pool(|p| p.resource(ORDERS).unbound_clients([SDK_CLIENT]));
    accepts(&orders, &bound_to(json!(ORDERS)), "bound here").await;
    accepts(
        &orders,
        &bound_to(json!([BILLING, ORDERS])),
        "bound here too",
    )
    .await;
    for aud in [
        json!(BILLING),
        json!([BILLING, "https://ledger.example.com"]),
        json!(format!("{ORDERS}/")),
        json!("HTTPS://orders.example.com"),
        json!([]),
    ] {
        refuses(&orders, &bound_to(aud), "bound elsewhere").await;
    }
    // An unbound client's token bound elsewhere is refused too.
    let sdk_elsewhere = POOL.access_token(SDK_CLIENT).claim("aud", BILLING).sign();
    refuses(&orders, &sdk_elsewhere, "unbound client, bound elsewhere").await;
    // Several resources: any of them.
    let both = pool(|p| p.resources([BILLING, ORDERS]));
    accepts(&both, &bound_to(json!(BILLING)), "one of two").await;
    accepts(&both, &bound_to(json!(ORDERS)), "one of two").await;
    // ID tokens keep their own rule: aud is the app client.
    let id_pool = POOL.user_pool(CLIENT, TokenUse::Id).resource(ORDERS);
    accepts(&id_pool, &POOL.id_token(CLIENT).sign(), "ID token").await;
}

/// SECURITY.md: a token without `aud` where one is required is refused,
/// unless its client's flows cannot bind tokens.
#[tokio::test]
async fn a_token_without_aud_needs_an_unbound_client() {
    let orders = pool(|p| p.resource(ORDERS).unbound_clients([SDK_CLIENT]));
    let error = refuses(&orders, &POOL.access_token(CLIENT).sign(), "unbound").await;
    assert!(
        error.to_string().contains("COGNITO_UNBOUND_CLIENTS"),
        "{error}"
    );
    refuses(
        &orders,
        &POOL.m2m_access_token(CLIENT, "orders/read").sign(),
        "M2M of a bound client",
    )
    .await;
    accepts(&orders, &POOL.access_token(SDK_CLIENT).sign(), "SDK client").await;
    accepts(
        &orders,
        &POOL.m2m_access_token(SDK_CLIENT, "orders/read").sign(),
        "M2M client",
    )
    .await;
    let strict = pool(|p| p.resource(ORDERS));
    refuses(
        &strict,
        &POOL.access_token(SDK_CLIENT).sign(),
        "no unbound clients",
    )
    .await;
}

#[test]
fn contradicting_or_useless_settings_fail_the_build() {
    let build = |pool: UserPool| {
        CognitoJwtVerifier::builder()
            .user_pool(pool)
            .build()
            .map(drop)
    };
    let cases: [(UserPool, &str, &str); 6] = [
        (
            pool(|p| p.resource(ORDERS).dangerously_accept_any_resource()),
            "user_pool[0].dangerously_accept_any_resource",
            "contradicts",
        ),
        (
            pool(|p| p.unbound_clients([SDK_CLIENT])),
            "user_pool[0].unbound_clients",
            "without a resource",
        ),
        (
            pool(|p| p.resource(ORDERS).unbound_clients(["stranger"])),
            "user_pool[0].unbound_clients",
            "\"stranger\" is not one of the pool's app client ids",
        ),
        (
            pool(|p| p.resource("")),
            "user_pool[0].resource",
            "not a resource",
        ),
        (
            pool(|p| p.resource("https://orders.example.com /v1")),
            "user_pool[0].resource",
            "not a resource",
        ),
        (
            pool(|p| p.resource("https://orders.example.com/\u{1b}[31m")),
            "user_pool[0].resource",
            "\\u{1b}",
        ),
    ];
    for (pool, name, says) in cases {
        let error: ConfigError = build(pool).unwrap_err();
        assert_eq!(error.name(), Some(name), "{error}");
        assert!(error.to_string().contains(says), "{error}");
    }
    assert_ne!(pool(|p| p.resource(ORDERS)), pool(|p| p));
    assert_ne!(
        pool(|p| p.resource(ORDERS).unbound_clients([SDK_CLIENT])),
        pool(|p| p.resource(ORDERS))
    );
    assert_ne!(pool(UserPool::dangerously_accept_any_resource), pool(|p| p));
}

/// A refusal says at debug level which resource the token names (as a
/// fingerprint, never the claim's text) and which setting accepts it.
#[test]
fn a_refusal_logs_the_resource_fingerprint_and_the_setting() {
    let logs = LogCapture::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let planted = "https://aud-planted-7c1e.example.com";
    let token = bound_to(json!(planted));
    tracing::subscriber::with_default(subscriber, || {
        let default = cognito(&pool(|p| p.resource(ORDERS)), false);
        let _ = default.verify_sync::<Value>(&token);
        let unset = cognito(&pool(|p| p), false);
        let _ = unset.verify_sync::<Value>(&token);
    });
    let text = logs.text();
    // printf 36862389ae97c24c https://aud-planted-7c1e.example.com | sha256sum | cut -c1-16
    let fingerprint = "resource_sha256=36862389ae97c24c";
    assert_eq!(text.matches(fingerprint).count(), 2, "{text}");
    assert!(text.contains("bound to other resources"), "{text}");
    assert!(text.contains("none is configured"), "{text}");
    assert!(
        text.contains("UserPool::dangerously_accept_any_resource"),
        "{text}"
    );
    assert!(
        !text.contains("aud-planted"),
        "the claim is never logged: {text}"
    );
    assert!(!text.contains(&token[..40]), "{text}");
}

/// RFC 9068 access tokens may name several audiences: one of ours is
/// enough, none of ours is refused, on every path.
#[tokio::test]
async fn oidc_tokens_with_several_audiences_behave_the_same_on_every_path() {
    let verifier = |cache: bool| {
        let mut builder = OIDC.verifier_builder(OIDC.issuer_config(ORDERS));
        if cache {
            builder = builder.token_cache_max_bytes(1024 * 1024);
        }
        OIDC.verifier_from(builder)
    };
    for audiences in [
        vec![ORDERS],
        vec![BILLING, ORDERS],
        vec![ORDERS, BILLING, "https://ledger.example.com"],
    ] {
        let token = OIDC
            .access_token(ORDERS)
            .audiences(audiences.clone())
            .sign();
        if let Err(error) = answer(verifier, &token).await {
            panic!("{audiences:?}: refused: {error}");
        }
    }
    for audiences in [
        vec![],
        vec![BILLING],
        vec![BILLING, "https://ledger.example.com"],
        vec!["https://orders.example.com/"],
    ] {
        let token = OIDC
            .access_token(ORDERS)
            .audiences(audiences.clone())
            .sign();
        rejected(
            answer(verifier, &token).await,
            ErrorKind::InvalidAudience,
            &token,
            &[],
        );
    }
    let token = OIDC.access_token(ORDERS).without("aud").sign();
    rejected(
        answer(verifier, &token).await,
        ErrorKind::InvalidAudience,
        &token,
        &[],
    );
}
