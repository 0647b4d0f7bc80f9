//! Sign-out in the example servers: the same answers from both frameworks
//! in process, and, with a real `redis-server`, three server processes
//! sharing one revocation list (a session or a user signed out on one is
//! refused on all; Redis down past the staleness under both policies).
//! Waits poll for an outcome with a deadline; nothing asserts a duration.

use cognito_jwt_core::{CognitoJwtVerifier, RevocationList, TokenUse, UserPool};
use cognito_jwt_examples::demo::{ADMIN_GROUP, CLIENT_ID};
use cognito_jwt_examples::{local_fetcher, serve_jwks};
use cognito_jwt_test_support::RedisServer;
use reqwest::header::{AUTHORIZATION, COOKIE, RETRY_AFTER, WWW_AUTHENTICATE};

use crate::support::*;

/// What a request got: status, the challenge's `error` (`""` for a bare
/// challenge), and whether `Retry-After` was set.
type Answer = (u16, Option<String>, bool);

async fn send(request: reqwest::RequestBuilder) -> Answer {
    let response = request.send().await.expect("a response");
    let challenge = response.headers().get(WWW_AUTHENTICATE).map(|value| {
        let value = value.to_str().expect("ASCII");
        value
            .split_once("error=\"")
            .map(|(_, rest)| rest.split('"').next().unwrap_or("").to_owned())
            .unwrap_or_default()
    });
    (
        response.status().as_u16(),
        challenge,
        response.headers().contains_key(RETRY_AFTER),
    )
}

fn revoking_verifier(jwks_uri: &str) -> CognitoJwtVerifier {
    CognitoJwtVerifier::builder()
        .user_pool(
            UserPool::new(POOL_ID)
                .client_id(CLIENT_ID)
                .token_use(TokenUse::Access)
                .jwks_uri(jwks_uri),
        )
        .fetcher(local_fetcher().expect("HTTP client"))
        .revocation(RevocationList::new())
        .build()
        .expect("verifier configuration")
}

/// Every sign-out case against one server, in order (each server starts
/// with a list of its own).
async fn sign_out_answers(base_url: &str) -> Vec<(&'static str, Answer)> {
    let client = client();
    let post = |path: &str| client.post(format!("{base_url}{path}"));
    let me = |token: &str| {
        client
            .get(format!("{base_url}/api/me"))
            .bearer_auth(token.to_owned())
    };
    let user = ISSUER.access_token(CLIENT_ID).sign();
    let same_session = ISSUER
        .access_token(CLIENT_ID)
        .claim("origin_jti", origin_jti(&user))
        .sign();
    let other_session = ISSUER.access_token(CLIENT_ID).sign();
    let victim = ISSUER
        .access_token(CLIENT_ID)
        .claim("sub", "victim-sub")
        .sign();
    let admin = ISSUER.access_token(CLIENT_ID).group(ADMIN_GROUP).sign();
    let signout_user = |token: &str, body: &str| {
        post("/api/admin/signout-user")
            .bearer_auth(token.to_owned())
            .header("content-type", "application/json")
            .body(body.to_owned())
    };
    vec![
        ("no token", send(post("/api/signout")).await),
        (
            "a token in a cookie only (cross-site)",
            send(post("/api/signout").header(COOKIE, format!("id_token={user}"))).await,
        ),
        (
            "a forged token",
            send(post("/api/signout").bearer_auth(&TOKENS.forged)).await,
        ),
        ("still valid", send(me(&user)).await),
        (
            "sign-out",
            send(post("/api/signout").header(AUTHORIZATION, format!("Bearer {user}"))).await,
        ),
        ("the signed-out token", send(me(&user)).await),
        (
            "a token refreshed from that session",
            send(me(&same_session)).await,
        ),
        ("another session", send(me(&other_session)).await),
        (
            "admin sign-out without a token",
            send(post("/api/admin/signout-user").body(r#"{"sub":"victim-sub"}"#)).await,
        ),
        (
            "admin sign-out by a non-admin",
            send(signout_user(&other_session, r#"{"sub":"victim-sub"}"#)).await,
        ),
        (
            "admin sign-out with another body",
            send(signout_user(&admin, r#"{"user":"victim-sub"}"#)).await,
        ),
        ("the victim before", send(me(&victim)).await),
        (
            "admin sign-out",
            send(signout_user(&admin, r#"{"sub":"victim-sub"}"#)).await,
        ),
        ("the victim after", send(me(&victim)).await),
        ("the admin after", send(me(&admin)).await),
    ]
}

#[actix_web::test]
async fn both_servers_sign_out_sessions_and_users_alike() {
    let jwks = serve_jwks(POOL_ID, ISSUER.jwks_json()).await.unwrap();
    let axum = start_axum(revoking_verifier(jwks.url())).await;
    let actix = start_actix(revoking_verifier(jwks.url()));
    let axum_answers = sign_out_answers(&axum.base_url).await;
    let actix_answers = sign_out_answers(&actix.base_url).await;
    let unauthorized = (401, Some("invalid_token".to_owned()), false);
    let ok = (200, None, false);
    let expected = vec![
        ("no token", (401, Some(String::new()), false)),
        (
            "a token in a cookie only (cross-site)",
            (401, Some(String::new()), false),
        ),
        ("a forged token", unauthorized.clone()),
        ("still valid", ok.clone()),
        ("sign-out", (204, None, false)),
        ("the signed-out token", unauthorized.clone()),
        ("a token refreshed from that session", unauthorized.clone()),
        ("another session", ok.clone()),
        (
            "admin sign-out without a token",
            (401, Some(String::new()), false),
        ),
        (
            "admin sign-out by a non-admin",
            (403, Some("insufficient_scope".to_owned()), false),
        ),
        ("admin sign-out with another body", (400, None, false)),
        ("the victim before", ok.clone()),
        ("admin sign-out", (204, None, false)),
        ("the victim after", unauthorized),
        ("the admin after", ok),
    ];
    assert_eq!(axum_answers, expected, "axum");
    assert_eq!(actix_answers, expected, "actix-web");
    actix.stop().await;
}

async fn status(request: reqwest::RequestBuilder) -> u16 {
    request.send().await.map_or(0, |r| r.status().as_u16())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_servers_sharing_redis_refuse_a_signed_out_session_and_user_everywhere() {
    let Some(mut redis) = RedisServer::start(
        "three_servers_sharing_redis_refuse_a_signed_out_session_and_user_everywhere",
    ) else {
        return;
    };
    let jwks = serve_jwks(POOL_ID, ISSUER.jwks_json()).await.unwrap();
    let redis_url = redis.url();
    let env = |fail: &'static str| {
        vec![
            ("COGNITO_USER_POOL_ID", POOL_ID.to_owned()),
            ("COGNITO_CLIENT_ID", CLIENT_ID.to_owned()),
            ("COGNITO_TOKEN_USE", "access".to_owned()),
            ("COGNITO_JWKS_URI", jwks.url().to_owned()),
            ("REVOCATION_REDIS_URL", redis_url.clone()),
            ("REVOCATION_MAX_STALENESS", "1".to_owned()),
            ("REVOCATION_FAIL", fail.to_owned()),
        ]
    };
    let start = |binary, fail| {
        let env = env(fail);
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        tokio::task::block_in_place(|| Replica::start(binary, &env))
    };
    let replicas = [
        start(env!("CARGO_BIN_EXE_axum-server"), "closed"),
        start(env!("CARGO_BIN_EXE_actix-server"), "closed"),
        start(env!("CARGO_BIN_EXE_axum-server"), "open"),
    ];
    let client = client();
    let me = |replica: &Replica, token: &str| {
        client
            .get(format!("{}/api/me", replica.base_url))
            .bearer_auth(token.to_owned())
    };
    let user = ISSUER.access_token(CLIENT_ID).sign();
    let refreshed = ISSUER
        .access_token(CLIENT_ID)
        .claim("origin_jti", origin_jti(&user))
        .sign();
    let victim = ISSUER.access_token(CLIENT_ID).claim("sub", "victim").sign();
    let admin = ISSUER.access_token(CLIENT_ID).group(ADMIN_GROUP).sign();
    for replica in &replicas {
        eventually("ready and in sync", || async {
            status(client.get(format!("{}/ready", replica.base_url))).await == 200
                && status(me(replica, &user)).await == 200
        })
        .await;
    }

    let signed_out = status(
        client
            .post(format!("{}/api/signout", replicas[1].base_url))
            .bearer_auth(&user),
    )
    .await;
    assert_eq!(signed_out, 204);
    let signed_out_user = status(
        client
            .post(format!("{}/api/admin/signout-user", replicas[0].base_url))
            .bearer_auth(&admin)
            .body(r#"{"sub":"victim"}"#),
    )
    .await;
    assert_eq!(signed_out_user, 204);
    for replica in &replicas {
        for token in [&user, &refreshed, &victim] {
            eventually("refused on every replica", || async {
                status(me(replica, token)).await == 401
            })
            .await;
        }
        assert_eq!(status(me(replica, &admin)).await, 200, "others pass");
    }

    // Redis down past the 1 s staleness: closed answers 503, open serves.
    redis.stop();
    for replica in &replicas[..2] {
        eventually("503 with Retry-After under the closed policy", || async {
            let answer = send(me(replica, &admin)).await;
            answer.0 == 503 && answer.2
        })
        .await;
        let ready = client
            .get(format!("{}/ready", replica.base_url))
            .send()
            .await
            .unwrap();
        assert_eq!(ready.status(), 503);
        let body: serde_json::Value = serde_json::from_str(&ready.text().await.unwrap()).unwrap();
        assert_eq!(body["revocation"]["state"], "stale", "{body}");
        assert_eq!(
            status(client.get(format!("{}/health", replica.base_url))).await,
            200
        );
    }
    let open = &replicas[2];
    eventually("the open policy reports itself degraded", || async {
        let text = client
            .get(format!("{}/ready", open.base_url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let ready: serde_json::Value = serde_json::from_str(&text).unwrap();
        ready["revocation"]["state"] == "stale" && ready["ready"] == true
    })
    .await;
    assert_eq!(status(me(open, &admin)).await, 200);
    assert_eq!(
        status(me(open, &user)).await,
        401,
        "what it holds still counts"
    );
    let refused = send(
        client
            .post(format!("{}/api/signout", open.base_url))
            .bearer_auth(&admin),
    )
    .await;
    assert_eq!(
        (refused.0, refused.2),
        (503, true),
        "a sign-out that cannot be written"
    );

    // Redis back with its data: in sync again, nothing forgotten.
    redis.restart();
    for replica in &replicas {
        eventually("in sync again", || async {
            status(me(replica, &admin)).await == 200
        })
        .await;
        assert_eq!(status(me(replica, &refreshed)).await, 401);
        assert_eq!(status(me(replica, &victim)).await, 401);
    }
}

/// A server whose Redis is unreachable from the start still starts and
/// answers `/health`; verification follows the closed policy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_starts_without_redis_and_fails_closed() {
    let jwks = serve_jwks(POOL_ID, ISSUER.jwks_json()).await.unwrap();
    let nowhere = format!(
        "redis://127.0.0.1:{}",
        cognito_jwt_test_support::free_port()
    );
    let replica = tokio::task::block_in_place(|| {
        Replica::start(
            env!("CARGO_BIN_EXE_actix-server"),
            &[
                ("COGNITO_USER_POOL_ID", POOL_ID),
                ("COGNITO_CLIENT_ID", CLIENT_ID),
                ("COGNITO_TOKEN_USE", "access"),
                ("COGNITO_JWKS_URI", jwks.url()),
                ("REVOCATION_REDIS_URL", &nowhere),
            ],
        )
    });
    let client = client();
    assert_eq!(
        status(client.get(format!("{}/health", replica.base_url))).await,
        200
    );
    let answer = send(
        client
            .get(format!("{}/api/me", replica.base_url))
            .bearer_auth(&TOKENS.user),
    )
    .await;
    assert_eq!((answer.0, answer.2), (503, true), "never synced is stale");
}

/// The `origin_jti` of a token minted by the test kit.
fn origin_jti(token: &str) -> String {
    use base64::Engine as _;
    let payload = token.split('.').nth(1).expect("a payload");
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url");
    let claims: serde_json::Value = serde_json::from_slice(&json).expect("JSON");
    claims["origin_jti"]
        .as_str()
        .expect("origin_jti")
        .to_owned()
}
