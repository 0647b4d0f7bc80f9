//! `/auth` and the operational routes, asked directly.

use cognito_jwt_test_support::{attacker_cases, bearer_error, cases, secrets_of};

use super::{
    CLIENT_ID, GROUP, Gateway, ISSUER, TOKENS, bearer, closed_port_url, pool_env,
    pool_env_with_keys, request,
};
use crate::support::cli;

const IDENTITY_HEADERS: [&str; 6] = [
    "x-auth-sub",
    "x-auth-username",
    "x-auth-groups",
    "x-auth-scopes",
    "x-auth-client-id",
    "x-auth-token-use",
];

fn with(extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut env = pool_env();
    env.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    env
}

/// Ask `/auth<query>` with these `Authorization` values.
fn check(gateway: &Gateway, query: &str, authorization: &[Vec<u8>]) -> super::Answer {
    let headers: Vec<(&str, &[u8])> = authorization
        .iter()
        .map(|value| ("Authorization", value.as_slice()))
        .collect();
    request(gateway.http, "GET", &format!("/auth{query}"), &headers)
}

#[test]
fn the_shared_case_table_is_answered_as_the_example_servers_answer_it() {
    // The group required by the gateway, or by the route's check URL: the
    // same answers either way.
    let everywhere = Gateway::start(&with(&[("GATEWAY_REQUIRED_GROUP", GROUP)]));
    let per_route = Gateway::start(&pool_env());
    for (gateway, query) in [(&everywhere, ""), (&per_route, "?any_group=admins")] {
        for case in cases(&TOKENS) {
            let answer = check(gateway, query, &case.authorization);
            assert_eq!(
                answer.status, case.status,
                "{} ({query}): {answer:?}",
                case.name
            );
            if case.status == 200 {
                for name in IDENTITY_HEADERS {
                    assert!(answer.header(name).is_some(), "{}: {name}", case.name);
                }
                assert_eq!(answer.challenge(), None);
            } else {
                let challenge = answer.challenge().expect("a challenge");
                assert!(challenge.starts_with("Bearer realm=\"api\""), "{challenge}");
                assert_eq!(bearer_error(challenge), case.bearer_error, "{}", case.name);
                assert!(answer.body.starts_with("{\"error\":"), "{}", answer.body);
                for name in IDENTITY_HEADERS {
                    assert_eq!(answer.header(name), None, "{}: {name}", case.name);
                }
            }
        }
    }
    for gateway in [everywhere, per_route] {
        let logs = gateway.logs();
        for token in TOKENS.all() {
            for segment in token.split('.').filter(|s| s.len() >= 16) {
                assert!(!logs.contains(segment), "a token segment is logged");
            }
        }
    }
}

#[test]
fn any_method_is_checked_alike() {
    let gateway = Gateway::start(&pool_env());
    let token = bearer(&TOKENS.valid);
    for method in ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"] {
        let headers: [(&str, &[u8]); 2] = [("Authorization", &token), ("Content-Length", b"0")];
        let answer = request(gateway.http, method, "/auth", &headers);
        assert_eq!(answer.status, 200, "{method}");
        let answer = request(gateway.http, method, "/auth", &[]);
        assert_eq!(answer.status, 401, "{method}");
    }
}

#[test]
fn every_identity_header_is_on_every_allowed_answer_empty_when_its_claim_is_absent() {
    let gateway = Gateway::start(&pool_env());
    let token = ISSUER
        .access_token(CLIENT_ID)
        .claim("sub", "0d2a6c5e-user")
        .claim("username", "alice")
        .claim("scope", "orders/read profile")
        .group("admins")
        .group("ops,eu")
        .sign();
    let answer = check(&gateway, "", &[bearer(&token)]);
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.header("x-auth-sub"), Some("0d2a6c5e-user"));
    assert_eq!(answer.header("x-auth-username"), Some("alice"));
    assert_eq!(answer.header("x-auth-groups"), Some("admins ops,eu"));
    assert_eq!(answer.header("x-auth-scopes"), Some("orders/read profile"));
    assert_eq!(answer.header("x-auth-client-id"), Some(CLIENT_ID));
    assert_eq!(answer.header("x-auth-token-use"), Some("access"));

    // A machine-to-machine token: no username, no group.
    let m2m = ISSUER.m2m_access_token(CLIENT_ID, "orders/read").sign();
    let answer = check(&gateway, "", &[bearer(&m2m)]);
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.header("x-auth-username"), Some(""));
    assert_eq!(answer.header("x-auth-groups"), Some(""));
    assert_eq!(answer.header("x-auth-scopes"), Some("orders/read"));
}

#[test]
fn claim_values_cannot_inject_headers_and_are_percent_encoded_whole() {
    let gateway = Gateway::start(&pool_env());
    let token = ISSUER
        .access_token(CLIENT_ID)
        .claim("username", "eve\r\nX-Auth-Sub: admin")
        .claim("sub", "ünïcode 100%")
        .group("a\u{7f}b")
        .sign();
    let answer = check(&gateway, "", &[bearer(&token)]);
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(
        answer.header("x-auth-username"),
        Some("eve%0D%0AX-Auth-Sub:%20admin")
    );
    assert_eq!(
        answer.header("x-auth-sub"),
        Some("%C3%BCn%C3%AFcode%20100%25")
    );
    assert_eq!(answer.header("x-auth-groups"), Some("a%7Fb"));
}

#[test]
fn anonymous_allow_passes_a_request_without_a_token_and_still_refuses_a_bad_one() {
    let gateway = Gateway::start(&with(&[("GATEWAY_ANONYMOUS", "allow")]));
    let answer = check(&gateway, "", &[]);
    assert_eq!(answer.status, 200, "{answer:?}");
    for name in IDENTITY_HEADERS {
        assert_eq!(answer.header(name), Some(""), "{name}");
    }
    // Another scheme sends no bearer token: anonymous too.
    let answer = check(&gateway, "", &[b"Basic dXNlcjpwYXNz".to_vec()]);
    assert_eq!(answer.status, 200, "{answer:?}");

    for refused in [&TOKENS.forged, &TOKENS.expired, &TOKENS.wrong_use] {
        let answer = check(&gateway, "", &[bearer(refused)]);
        assert_eq!(answer.status, 401, "{answer:?}");
        assert_eq!(
            bearer_error(answer.challenge().unwrap_or("")),
            Some("invalid_token")
        );
    }
    let answer = check(&gateway, "", &[b"Bearer ".to_vec()]);
    assert_eq!(answer.status, 400);
    let answer = check(&gateway, "", &[bearer(&TOKENS.valid)]);
    assert_eq!(answer.status, 200);
    assert!(!answer.header("x-auth-sub").unwrap_or("").is_empty());

    // A route can deny anonymous requests; a route with a rule does.
    assert_eq!(check(&gateway, "?anonymous=deny", &[]).status, 401);
    assert_eq!(check(&gateway, "?any_group=admins", &[]).status, 401);
    assert_eq!(
        check(&gateway, "?any_group=admins&anonymous=allow", &[]).status,
        200
    );

    let denying = Gateway::start(&pool_env());
    assert_eq!(check(&denying, "", &[]).status, 401);
    assert_eq!(check(&denying, "?anonymous=allow", &[]).status, 200);
}

#[test]
fn per_route_rules_come_from_the_check_url_and_a_malformed_one_opens_nothing() {
    let gateway = Gateway::start(&pool_env());
    let scoped = ISSUER
        .access_token(CLIENT_ID)
        .claim("scope", "orders:read")
        .claim("custom:tenant", "acme")
        .sign();
    let allowed = [
        "?any_scope=orders:read",
        "?any_scope=orders:write+orders:read",
        "?any_scope=orders:write&any_scope=orders:read",
        "?claim=custom:tenant%3Dacme",
    ];
    for query in allowed {
        assert_eq!(
            check(&gateway, query, &[bearer(&scoped)]).status,
            200,
            "{query}"
        );
    }
    let answer = check(&gateway, "?any_scope=orders:write", &[bearer(&scoped)]);
    assert_eq!(answer.status, 403);
    let challenge = answer.challenge().unwrap_or("");
    assert_eq!(bearer_error(challenge), Some("insufficient_scope"));
    assert!(challenge.contains("scope=\"orders:write\""), "{challenge}");
    let answer = check(&gateway, "?claim=custom:tenant%3Dother", &[bearer(&scoped)]);
    assert_eq!(answer.status, 403);
    // Both the gateway's and the route's rules must hold.
    let both = Gateway::start(&with(&[("GATEWAY_REQUIRED_SCOPE", "orders:read")]));
    assert_eq!(
        check(&both, "?any_group=admins", &[bearer(&scoped)]).status,
        403
    );
    assert_eq!(check(&both, "", &[bearer(&scoped)]).status, 200);
    assert_eq!(
        check(&both, "", &[bearer(&TOKENS.valid_in_group)]).status,
        403
    );

    for malformed in [
        "?any_groups=admins",
        "?any_group=",
        "?claim=tenant",
        "?anonymous=yes",
    ] {
        let answer = check(&gateway, malformed, &[bearer(&TOKENS.valid_in_group)]);
        assert_eq!(answer.status, 500, "{malformed}: {answer:?}");
        assert_eq!(answer.header("x-auth-sub"), None);
        assert!(
            answer.body.contains("gateway_misconfigured"),
            "{}",
            answer.body
        );
    }
}

#[test]
fn rules_smuggled_in_request_headers_are_ignored() {
    let gateway = Gateway::start(&pool_env());
    let token = bearer(&TOKENS.valid);
    let smuggled: [(&str, &[u8]); 5] = [
        ("Authorization", &token),
        ("X-Original-URI", b"/auth?anonymous=allow"),
        ("X-Forwarded-Uri", b"/auth"),
        ("X-Original-URL", b"/auth"),
        ("X-Auth-Groups", b"admins"),
    ];
    let answer = request(gateway.http, "GET", "/auth?any_group=admins", &smuggled);
    assert_eq!(answer.status, 403, "{answer:?}");
    let without_token: [(&str, &[u8]); 2] = [
        ("X-Original-URI", b"/auth?anonymous=allow"),
        ("X-Auth-Sub", b"admin"),
    ];
    let answer = request(gateway.http, "GET", "/auth", &without_token);
    assert_eq!(answer.status, 401, "{answer:?}");
    assert_eq!(answer.header("x-auth-sub"), None);
}

#[test]
fn requests_carrying_attacker_text_get_fixed_answers_and_logs_without_it() {
    let gateway = Gateway::start(&with(&[("GATEWAY_REQUIRED_GROUP", GROUP)]));
    for case in attacker_cases(&ISSUER, CLIENT_ID, GROUP) {
        let answer = check(&gateway, "", &case.authorization);
        assert_eq!(answer.status, case.status, "{}: {answer:?}", case.name);
        let secrets = secrets_of(case.authorization.iter().map(Vec::as_slice));
        let text = format!("{:?}{}", answer.headers, answer.body);
        for secret in secrets
            .iter()
            .filter(|s| !s.starts_with("sub-") && !s.starts_with("user-"))
        {
            assert!(!text.contains(secret.as_str()), "{}: {secret}", case.name);
        }
    }
    let logs = gateway.logs();
    for case in attacker_cases(&ISSUER, CLIENT_ID, GROUP) {
        for secret in secrets_of(case.authorization.iter().map(Vec::as_slice)) {
            assert!(!logs.contains(&secret), "{}: {secret} is logged", case.name);
        }
    }
}

#[test]
fn a_key_set_that_cannot_be_fetched_is_503_with_retry_after_never_401() {
    let gateway = Gateway::start(&pool_env_with_keys(&closed_port_url()));
    let answer = check(&gateway, "", &[bearer(&TOKENS.valid)]);
    assert_eq!(answer.status, 503, "{answer:?}");
    let seconds: u64 = answer
        .header("retry-after")
        .and_then(|s| s.parse().ok())
        .expect("Retry-After in seconds");
    assert!(seconds >= 1);
    assert_eq!(answer.challenge(), None);
    assert!(
        answer.body.contains("temporarily_unavailable"),
        "{}",
        answer.body
    );
    // What needs no key is still refused for what it is.
    assert_eq!(check(&gateway, "", &[]).status, 401);
    assert_eq!(check(&gateway, "", &[b"Bearer ".to_vec()]).status, 400);

    let ready = request(gateway.http, "GET", "/ready", &[]);
    assert_eq!(ready.status, 503, "{ready:?}");
    assert!(ready.header("retry-after").is_some());
    assert!(
        ready.body.starts_with("{\"ready\":false,\"key_sets\":["),
        "{}",
        ready.body
    );
    assert!(!ready.body.contains("127.0.0.1"), "{}", ready.body);
}

#[test]
fn health_ready_and_metrics() {
    let gateway = Gateway::start(&with(&[("TOKEN_CACHE_MAX_BYTES", "1048576")]));
    let health = request(gateway.http, "GET", "/health", &[]);
    assert_eq!(
        (health.status, health.body.as_str()),
        (200, r#"{"status":"ok"}"#)
    );
    assert_eq!(check(&gateway, "", &[bearer(&TOKENS.valid)]).status, 200);
    assert_eq!(check(&gateway, "", &[bearer(&TOKENS.valid)]).status, 200);
    assert_eq!(check(&gateway, "", &[bearer(&TOKENS.forged)]).status, 401);
    let ready = request(gateway.http, "GET", "/ready", &[]);
    assert_eq!(ready.status, 200, "{ready:?}");
    assert!(
        ready.body.starts_with(&format!(
            "{{\"ready\":true,\"key_sets\":[{{\"name\":\"{}\",\"state\":\"fresh\"",
            super::POOL_ID
        )),
        "{}",
        ready.body
    );
    let metrics = request(gateway.http, "GET", "/metrics", &[]);
    assert_eq!(metrics.status, 200);
    assert!(
        metrics.body.contains(
            "cognito_jwt_gateway_decisions_total{outcome=\"allowed\",protocol=\"http\"} 2"
        ),
        "{}",
        metrics.body
    );
    assert!(
        metrics.body.contains(
            "cognito_jwt_gateway_decisions_total{outcome=\"unauthorized\",protocol=\"http\"} 1"
        ),
        "{}",
        metrics.body
    );
}

#[test]
fn sigterm_stops_the_gateway_with_exit_0() {
    let gateway = Gateway::start(&pool_env());
    assert_eq!(check(&gateway, "", &[bearer(&TOKENS.valid)]).status, 200);
    let status = gateway.terminate();
    assert_eq!(status.code(), Some(0), "{status:?}");
}

#[test]
fn configuration_errors_exit_2_naming_the_variables() {
    let run = cli(&["gateway"], &[], None);
    assert_eq!(run.code, 2, "{run:?}");
    for name in ["COGNITO_USER_POOL_ID", "OIDC_ISSUER", "ALB_ARN"] {
        assert!(run.stderr.contains(name), "{run:?}");
    }

    let run = cli(
        &["gateway"],
        &[("COGNITO_USERPOOL_ID", "eu-west-1_abc")],
        None,
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr
            .contains("COGNITO_USERPOOL_ID is set: rename it to COGNITO_USER_POOL_ID"),
        "{run:?}"
    );

    let run = cli(
        &["gateway"],
        &[
            ("COGNITO_USER_POOL_ID", "eu-west-1_abc"),
            ("OIDC_ISSUER", "https://id.example.com"),
        ],
        None,
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("COGNITO_USER_POOL_ID and OIDC_ISSUER"),
        "{run:?}"
    );

    let run = cli(
        &["gateway"],
        &[
            ("COGNITO_USER_POOL_ID", "eu-west-1_abc"),
            ("COGNITO_CLIENT_ID", "c"),
        ],
        None,
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("COGNITO_TOKEN_USE"), "{run:?}");

    let mut pool: Vec<(&str, &str)> = vec![
        ("COGNITO_USER_POOL_ID", "eu-west-1_abc"),
        ("COGNITO_CLIENT_ID", "c"),
        ("COGNITO_TOKEN_USE", "access"),
    ];
    pool.push(("GATEWAY_ANONYMOUS", "sometimes"));
    let run = cli(&["gateway"], &pool, None);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("GATEWAY_ANONYMOUS") || run.stderr.contains("--anonymous"),
        "{run:?}"
    );
    pool.pop();
    pool.push(("REQUIRED_CLAIMS", "custom:tenant"));
    let run = cli(&["gateway"], &pool, None);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("REQUIRED_CLAIMS"), "{run:?}");
    pool.pop();
    pool.push(("GATEWAY_REQUIRED_GROUP", "admins,,ops"));
    let run = cli(&["gateway", "--bind-addr", "127.0.0.1:0"], &pool, None);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("GATEWAY_REQUIRED_GROUP"), "{run:?}");
}

#[test]
fn flags_mirror_the_variables() {
    let jwks_uri = pool_env()
        .into_iter()
        .find(|(k, _)| k == "COGNITO_JWKS_URI")
        .map(|(_, v)| v)
        .unwrap_or_default();
    let gateway = Gateway::start_with(
        &[
            "--user-pool-id",
            super::POOL_ID,
            "--client-id",
            CLIENT_ID,
            "--token-use",
            "access",
            "--jwks-uri",
            &jwks_uri,
            "--required-group",
            GROUP,
            "--anonymous",
            "allow",
        ],
        &[],
    );
    assert_eq!(check(&gateway, "", &[]).status, 200);
    assert_eq!(check(&gateway, "", &[bearer(&TOKENS.valid)]).status, 403);
    assert_eq!(
        check(&gateway, "", &[bearer(&TOKENS.valid_in_group)]).status,
        200
    );

    // A flag wins over its variable; a claim rule given as a flag holds.
    let mut env = pool_env();
    env.push(("COGNITO_CLIENT_ID".to_owned(), "someone-else".to_owned()));
    env.retain(|(k, v)| k != "COGNITO_CLIENT_ID" || v == "someone-else");
    let gateway = Gateway::start_with(
        &[
            "--client-id",
            CLIENT_ID,
            "--required-claims",
            "custom:tenant=acme",
        ],
        &env,
    );
    assert_eq!(check(&gateway, "", &[bearer(&TOKENS.valid)]).status, 403);
    let tenant = ISSUER
        .access_token(CLIENT_ID)
        .claim("custom:tenant", "acme")
        .sign();
    assert_eq!(check(&gateway, "", &[bearer(&tenant)]).status, 200);

    let run = cli(
        &[
            "gateway",
            "--user-pool-id",
            "eu-west-1_abc",
            "--oidc-issuer",
            "https://id.example.com",
        ],
        &[],
        None,
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("COGNITO_USER_POOL_ID and OIDC_ISSUER"),
        "{run:?}"
    );
}

#[test]
fn alb_mode_reads_the_load_balancers_header() {
    use cognito_jwt_core::testing::TestAlb;

    let alb = TestAlb::new("eu-west-1");
    let address = crate::support::serve(
        format!("/keys/{}", alb.kid()),
        "text/plain",
        alb.public_key_pem(),
    );
    let env: Vec<(String, String)> = [
        ("ALB_ARN", alb.arn().to_owned()),
        ("ALB_KEYS_URL", format!("http://{address}/keys")),
        ("REQUIRED_CLAIMS", "email_verified:=true".to_owned()),
        ("TOKEN_CACHE_MAX_BYTES", "1048576".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let gateway = Gateway::start(&env);
    let data = |header: &str| {
        request(
            gateway.http,
            "GET",
            "/auth",
            &[("x-amzn-oidc-data", header.as_bytes())],
        )
    };
    let verified = alb
        .data()
        .claim("sub", "alb-user-1")
        .claim("email_verified", true)
        .sign();
    let answer = data(&verified);
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.header("x-auth-sub"), Some("alb-user-1"));
    assert_eq!(answer.header("x-auth-token-use"), Some(""));
    assert_eq!(data(&verified).status, 200, "a token-cache hit");
    let unverified = alb.data().claim("email_verified", false).sign();
    assert_eq!(data(&unverified).status, 403);
    // A bearer token is not the load balancer's header.
    let answer = check(&gateway, "", &[bearer(&TOKENS.valid)]);
    assert_eq!(answer.status, 401, "{answer:?}");
    assert_eq!(answer.challenge(), Some("Bearer realm=\"api\""));
}
