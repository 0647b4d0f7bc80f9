//! The gateway with `REVOCATION_REDIS_URL`: a session revoked with
//! `cognito-jwt revoke` (through a real `redis-server`) is refused at
//! `/auth`; Redis unreachable from the start fails closed (503) or, with
//! `REVOCATION_FAIL=open`, lets genuine tokens through; the probe refuses
//! another kind of verifier.

use std::time::{Duration, Instant};

use cognito_jwt_test_support::{RedisServer, free_port};

use super::{CLIENT_ID, Gateway, ISSUER, bearer, pool_env, request};
use crate::support::cli;

fn auth(gateway: &Gateway, token: &str) -> super::Answer {
    request(
        gateway.http,
        "GET",
        "/auth",
        &[("authorization", &bearer(token))],
    )
}

fn with(extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut env = pool_env();
    env.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    env
}

#[test]
fn a_session_revoked_with_the_cli_is_refused_at_the_gateway() {
    let Some(redis) =
        RedisServer::start("a_session_revoked_with_the_cli_is_refused_at_the_gateway")
    else {
        return;
    };
    let url = redis.url();
    let gateway = Gateway::start(&with(&[("REVOCATION_REDIS_URL", &url)]));
    let token = ISSUER.access_token(CLIENT_ID).sign();
    let other = ISSUER.access_token(CLIENT_ID).sign();
    let deadline = Instant::now() + Duration::from_secs(15);
    while auth(&gateway, &token).status != 200 {
        assert!(
            Instant::now() < deadline,
            "never in sync: {}",
            gateway.logs()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let claims: serde_json::Value = ISSUER
        .verifier(CLIENT_ID, cognito_jwt_core::TokenUse::Access)
        .verify_sync(&token)
        .expect("valid");
    let revoked = cli(
        &[
            "revoke",
            "--redis-url",
            &url,
            "--issuer",
            ISSUER.issuer(),
            "--origin-jti",
            claims["origin_jti"].as_str().expect("origin_jti"),
        ],
        &[],
        None,
    );
    assert_eq!(revoked.code, 0, "{revoked:?}");
    while auth(&gateway, &token).status != 401 {
        assert!(Instant::now() < deadline, "never refused");
        std::thread::sleep(Duration::from_millis(20));
    }
    let refused = auth(&gateway, &token);
    assert!(
        refused
            .challenge()
            .is_some_and(|c| c.contains("error=\"invalid_token\"")),
        "{refused:?}"
    );
    assert_eq!(auth(&gateway, &other).status, 200, "only that session");
    let ready = request(gateway.http, "GET", "/ready", &[]);
    assert!(
        ready.body.contains("\"revocation\":{\"state\":\"synced\""),
        "{ready:?}"
    );
}

#[test]
fn redis_unreachable_fails_closed_or_open_as_configured() {
    let nowhere = format!("redis://127.0.0.1:{}", free_port());
    let token = ISSUER.access_token(CLIENT_ID).sign();
    let closed = Gateway::start(&with(&[("REVOCATION_REDIS_URL", &nowhere)]));
    let answer = auth(&closed, &token);
    assert_eq!(answer.status, 503, "never synced is stale: {answer:?}");
    assert!(answer.header("retry-after").is_some());
    assert_eq!(request(closed.http, "GET", "/health", &[]).status, 200);
    let open = Gateway::start_with(
        &["--revocation-fail", "open"],
        &with(&[("REVOCATION_REDIS_URL", &nowhere)]),
    );
    assert_eq!(auth(&open, &token).status, 200);
}

#[test]
fn the_probe_with_another_kind_of_verifier_is_a_start_up_error() {
    let run = cli(
        &["gateway"],
        &[
            ("OIDC_ISSUER", "https://login.example.com/tenant-1"),
            ("OIDC_AUDIENCE", "orders-api"),
            ("COGNITO_REVOCATION_PROBE", "1"),
        ],
        None,
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("COGNITO_REVOCATION_PROBE"),
        "{}",
        run.stderr
    );
}
