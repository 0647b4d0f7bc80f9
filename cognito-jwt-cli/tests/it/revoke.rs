//! `cognito-jwt revoke` against a real `redis-server`: written and
//! published (exit 0), usage errors naming the option (2), Redis
//! unreachable (3).

use cognito_jwt_test_support::{RedisServer, free_port};

use crate::support::cli;

#[test]
fn a_revocation_is_written_with_its_lifetime_and_printed() {
    let Some(redis) = RedisServer::start("a_revocation_is_written_with_its_lifetime_and_printed")
    else {
        return;
    };
    let url = redis.url();
    let run = cli(
        &[
            "revoke",
            "--origin-jti",
            "session-1",
            "--issuer",
            "https://iss.example.com",
        ],
        &[("REVOCATION_REDIS_URL", &url)],
        None,
    );
    assert_eq!(run.code, 0, "{run:?}");
    let entry: serde_json::Value = serde_json::from_str(run.stdout.trim()).unwrap();
    assert_eq!(entry["kind"], "session");
    assert_eq!(entry["id"], "session-1");
    let keys = redis.command(&["DBSIZE"]).unwrap();
    assert_eq!(keys, ":1");

    // A user of a pool: one entry per issuer URL the pool's tokens name.
    let run = cli(
        &[
            "revoke",
            "--redis-url",
            &url,
            "--sub",
            "user-1",
            "--at",
            "1767000000",
            "--ttl",
            "3600",
        ],
        &[("COGNITO_USER_POOL_ID", "eu-west-1_AbC123")],
        None,
    );
    assert_eq!(run.code, 0, "{run:?}");
    let issuers: Vec<String> = run
        .stdout
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap()["iss"].to_string())
        .collect();
    assert_eq!(
        issuers,
        [
            "\"https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123\"",
            "\"https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123\"",
        ]
    );
    assert_eq!(redis.command(&["DBSIZE"]).unwrap(), ":3");
}

#[test]
fn usage_errors_exit_2_naming_the_option() {
    let url = format!("redis://127.0.0.1:{}", free_port());
    for (args, named) in [
        (
            &["revoke", "--redis-url", &url, "--issuer", "i"][..],
            "--origin-jti",
        ),
        (
            &[
                "revoke",
                "--redis-url",
                &url,
                "--issuer",
                "i",
                "--jti",
                "a",
                "--sub",
                "b",
            ][..],
            "--jti",
        ),
        (
            &[
                "revoke",
                "--redis-url",
                &url,
                "--issuer",
                "i",
                "--jti",
                "a",
                "--at",
                "1",
            ][..],
            "--at",
        ),
        (
            &["revoke", "--issuer", "i", "--jti", "a"][..],
            "REVOCATION_REDIS_URL",
        ),
        (
            &["revoke", "--redis-url", &url, "--jti", "a"][..],
            "--issuer",
        ),
        (
            &[
                "revoke",
                "--redis-url",
                "http://user:secret@host",
                "--issuer",
                "i",
                "--jti",
                "a",
            ][..],
            "REVOCATION_REDIS_URL",
        ),
    ] {
        let run = cli(args, &[], None);
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
        assert!(run.stderr.contains(named), "{args:?}: {}", run.stderr);
        assert!(!run.stderr.contains("secret"), "{}", run.stderr);
    }
}

#[test]
fn redis_unreachable_exits_3() {
    let url = format!("redis://127.0.0.1:{}", free_port());
    let run = cli(
        &[
            "revoke",
            "--redis-url",
            &url,
            "--issuer",
            "https://iss",
            "--jti",
            "a",
        ],
        &[],
        None,
    );
    assert_eq!(run.code, 3, "{run:?}");
    assert!(run.stderr.starts_with("unavailable: "), "{}", run.stderr);
    assert!(!run.stderr.contains("127.0.0.1"), "{}", run.stderr);
}
