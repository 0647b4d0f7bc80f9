//! Both example servers, each on a free port of 127.0.0.1 with keys from a
//! local key-set server, against the route table: the demo's steps, the
//! shared HTTP case table, and the same answers from both.

use std::time::{Duration, Instant};

use cognito_jwt_core::{AccessTokenClaims, CognitoJwtVerifier, KeySetOptions, TokenUse, UserPool};
use cognito_jwt_examples::demo::{ADMIN_GROUP, CLIENT_ID, run_steps, steps, table};
use cognito_jwt_examples::{local_fetcher, public_activities, serve_jwks};
use cognito_jwt_test_support::{CaseTokens, bearer, cases};
use reqwest::header::{AUTHORIZATION, HeaderValue, RETRY_AFTER, WWW_AUTHENTICATE};
use serde_json::{Value, json};

use crate::support::*;

/// What a request got, as an API client sees it.
#[derive(Debug, Clone, PartialEq)]
struct Answer {
    status: u16,
    /// The `error` code of the `WWW-Authenticate` challenge, `""` for a
    /// bare challenge, `None` without a challenge.
    challenge: Option<String>,
    retry_after: bool,
    body: Value,
}

async fn get(
    client: &reqwest::Client,
    base_url: &str,
    path: &str,
    authorization: &[Vec<u8>],
) -> Answer {
    let mut request = client.get(format!("{base_url}{path}"));
    for value in authorization {
        request = request.header(
            AUTHORIZATION,
            HeaderValue::from_bytes(value).expect("a header value"),
        );
    }
    let response = request.send().await.expect("a response");
    let challenge = response.headers().get(WWW_AUTHENTICATE).map(|value| {
        let value = value.to_str().expect("an ASCII challenge");
        assert!(value.starts_with("Bearer realm=\"api\""), "{value}");
        value
            .split_once("error=\"")
            .map(|(_, rest)| rest.split('"').next().unwrap_or("").to_owned())
            .unwrap_or_default()
    });
    let retry_after = response.headers().contains_key(RETRY_AFTER);
    let status = response.status().as_u16();
    let text = response.text().await.expect("a body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("JSON body for {path}: {text}"))
    };
    Answer {
        status,
        challenge,
        retry_after,
        body,
    }
}

#[actix_web::test]
async fn both_servers_answer_every_demo_step_as_expected() {
    let jwks = serve_jwks(POOL_ID, ISSUER.jwks_json()).await.unwrap();
    let axum = start_axum(remote_verifier(jwks.url())).await;
    let actix = start_actix(remote_verifier(jwks.url()));
    let client = client();
    for (server, base_url) in [("axum", &axum.base_url), ("actix", &actix.base_url)] {
        let outcomes = run_steps(&client, base_url, &TOKENS, &steps())
            .await
            .unwrap();
        assert!(
            outcomes.iter().all(|o| o.as_expected()),
            "{server}:\n{}",
            table(&outcomes)
        );
    }
    assert_eq!(jwks.requests(), 2, "one fetch per server's verifier");
    actix.stop().await;
}

#[actix_web::test]
async fn admin_route_follows_the_shared_case_table_on_both_servers() {
    let jwks = serve_jwks(POOL_ID, ISSUER.jwks_json()).await.unwrap();
    let axum = start_axum(remote_verifier(jwks.url())).await;
    let actix = start_actix(remote_verifier(jwks.url()));
    let client = client();
    let tokens = CaseTokens::new(&ISSUER, CLIENT_ID, ADMIN_GROUP);
    for case in cases(&tokens) {
        for base_url in [&axum.base_url, &actix.base_url] {
            let answer = get(&client, base_url, "/api/admin", &case.authorization).await;
            assert_eq!(answer.status, case.status, "{}: {answer:?}", case.name);
            let expected_challenge = match case.status {
                200 => None,
                _ => Some(case.bearer_error.unwrap_or("").to_owned()),
            };
            assert_eq!(answer.challenge, expected_challenge, "{}", case.name);
        }
    }
    actix.stop().await;
}

#[actix_web::test]
async fn both_servers_give_identical_answers_on_every_route() {
    let jwks = serve_jwks(POOL_ID, ISSUER.jwks_json()).await.unwrap();
    let axum = start_axum(remote_verifier(jwks.url())).await;
    let actix = start_actix(remote_verifier(jwks.url()));

    let client = client();
    let machine = ISSUER.m2m_access_token(CLIENT_ID, "feed/read").sign();
    let case_tokens = CaseTokens::new(&ISSUER, CLIENT_ID, ADMIN_GROUP);
    let mut credentials: Vec<(String, Vec<Vec<u8>>)> = vec![
        ("none".into(), vec![]),
        ("user".into(), bearer(&TOKENS.user)),
        ("admin".into(), bearer(&TOKENS.admin)),
        ("expired".into(), bearer(&TOKENS.expired)),
        ("other client".into(), bearer(&TOKENS.other_client)),
        ("forged".into(), bearer(&TOKENS.forged)),
        ("id token".into(), bearer(&TOKENS.id_token)),
        ("machine".into(), bearer(&machine)),
    ];
    credentials.extend(
        cases(&case_tokens)
            .into_iter()
            .map(|case| (case.name.to_owned(), case.authorization)),
    );
    let paths = [
        "/health",
        "/api/activities/home",
        "/api/me",
        "/api/admin",
        "/api/nowhere",
    ];
    let mut statuses = std::collections::BTreeSet::new();
    for path in paths {
        for (name, authorization) in &credentials {
            let from_axum = get(&client, &axum.base_url, path, authorization).await;
            let from_actix = get(&client, &actix.base_url, path, authorization).await;
            assert_eq!(from_axum, from_actix, "GET {path} with {name}");
            statuses.insert(from_axum.status);
        }
    }
    assert_eq!(
        statuses.into_iter().collect::<Vec<_>>(),
        [200, 400, 401, 403, 404],
        "the table covers every answer"
    );
    actix.stop().await;
}

#[actix_web::test]
async fn feed_and_profile_bodies() {
    let jwks = serve_jwks(POOL_ID, ISSUER.jwks_json()).await.unwrap();
    let axum = start_axum(remote_verifier(jwks.url())).await;
    let actix = start_actix(remote_verifier(jwks.url()));
    let admin: AccessTokenClaims = ISSUER
        .verifier(CLIENT_ID, TokenUse::Access)
        .verify_sync(&TOKENS.admin)
        .unwrap();
    let client = client();
    let public = serde_json::to_value(public_activities()).unwrap();

    for base_url in [&axum.base_url, &actix.base_url] {
        let anonymous = get(&client, base_url, "/api/activities/home", &[]).await;
        assert_eq!(anonymous.status, 200);
        assert_eq!(anonymous.body["signed_in_as"], Value::Null);
        assert_eq!(anonymous.body["activities"], public);

        let signed_in = get(
            &client,
            base_url,
            "/api/activities/home",
            &bearer(&TOKENS.user),
        )
        .await;
        assert_eq!(signed_in.body["signed_in_as"], "alice");
        let activities = signed_in.body["activities"].as_array().unwrap();
        assert_eq!(activities.len(), public.as_array().unwrap().len() + 1);
        assert!(activities[0]["message"].as_str().unwrap().contains("alice"));
        assert_eq!(activities[1..], public.as_array().unwrap()[..]);

        let me = get(&client, base_url, "/api/me", &bearer(&TOKENS.admin)).await;
        assert_eq!(
            me.body,
            json!({
                "sub": admin.sub(),
                "username": "ada",
                "groups": ["admins"],
                "scopes": ["aws.cognito.signin.user.admin"],
            })
        );

        let area = get(&client, base_url, "/api/admin", &bearer(&TOKENS.admin)).await;
        assert_eq!(area.body["admin"], "ada");

        let health = get(&client, base_url, "/health", &[]).await;
        assert_eq!(health.body, json!({"status": "ok"}));

        let ready = get(&client, base_url, "/ready", &[]).await;
        assert_eq!(ready.status, 200, "{ready:?}");
        assert_eq!(ready.body["ready"], true);
        assert_eq!(ready.body["key_sets"][0]["state"], "fresh");
        assert!(ready.body["key_sets"][0]["age_secs"].is_u64(), "{ready:?}");
        assert!(ready.body["key_sets"][0]["name"].is_string(), "{ready:?}");
        assert!(!ready.retry_after);
    }
    actix.stop().await;
}

/// A key-set outage: the servers keep serving what needs no token and
/// answer 503 with `Retry-After` (no challenge) where a token must be
/// checked.
#[actix_web::test]
async fn unreachable_key_set_is_503_on_both_servers() {
    let down = closed_port_url();
    let axum = start_axum(remote_verifier(&down)).await;
    let actix = start_actix(remote_verifier(&down));
    let client = client();
    for base_url in [&axum.base_url, &actix.base_url] {
        assert_eq!(get(&client, base_url, "/health", &[]).await.status, 200);
        assert_eq!(
            get(&client, base_url, "/api/activities/home", &[])
                .await
                .status,
            200
        );
        let ready = get(&client, base_url, "/ready", &[]).await;
        assert_eq!(ready.status, 503, "{ready:?}");
        assert!(ready.retry_after);
        assert_eq!(ready.body["ready"], false);
        for path in ["/api/activities/home", "/api/me", "/api/admin"] {
            let answer = get(&client, base_url, path, &bearer(&TOKENS.admin)).await;
            assert_eq!(answer.status, 503, "{path}: {answer:?}");
            assert!(answer.retry_after, "{path}");
            assert_eq!(answer.challenge, None, "{path}");
            assert_eq!(answer.body["error"], "temporarily_unavailable");
        }
        // After the failed fetch, the state says so, without the URL or
        // the error's text.
        let ready = get(&client, base_url, "/ready", &[]).await;
        assert_eq!(ready.status, 503, "{ready:?}");
        assert_eq!(ready.body["key_sets"][0]["state"], "unavailable");
        assert_eq!(ready.body["key_sets"][0]["age_secs"], Value::Null);
        let text = ready.body.to_string();
        assert!(!text.contains(&TOKENS.admin[..30]), "{text}");
        assert!(
            !text.contains("127.0.0.1") && !text.contains("://"),
            "{text}"
        );
        assert!(
            ready.body["key_sets"][0].get("last_error").is_none(),
            "{text}"
        );
    }
    actix.stop().await;
}

/// A key-set endpoint that serves no usable key, then recovers: 503 until
/// then, 200 after, without restarting the servers.
#[actix_web::test]
async fn servers_recover_when_the_key_set_comes_back() {
    let jwks = serve_jwks(POOL_ID, r#"{"keys":[]}"#.to_owned())
        .await
        .unwrap();
    let verifier = || {
        CognitoJwtVerifier::builder()
            .user_pool(
                UserPool::new(POOL_ID)
                    .client_id(CLIENT_ID)
                    .token_use(TokenUse::Access)
                    .jwks_uri(jwks.url()),
            )
            .fetcher(local_fetcher().unwrap())
            .key_set_options(
                KeySetOptions::default()
                    .backoff(Duration::from_millis(20), Duration::from_millis(20)),
            )
            .build()
            .unwrap()
    };
    let axum = start_axum(verifier()).await;
    let actix = start_actix(verifier());
    let client = client();
    for base_url in [&axum.base_url, &actix.base_url] {
        let answer = get(&client, base_url, "/api/me", &bearer(&TOKENS.user)).await;
        assert_eq!(answer.status, 503, "{answer:?}");
    }

    jwks.set_document(ISSUER.jwks_json());
    for base_url in [&axum.base_url, &actix.base_url] {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let answer = get(&client, base_url, "/api/me", &bearer(&TOKENS.user)).await;
            if answer.status == 200 {
                break;
            }
            assert_eq!(answer.status, 503, "only 503 until the keys arrive");
            assert!(Instant::now() < deadline, "{base_url} did not recover");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    actix.stop().await;
}

/// What a resource server's client reads of an answer: the status, the
/// whole challenge, the body.
async fn raw(
    client: &reqwest::Client,
    base_url: &str,
    path: &str,
    token: Option<&str>,
) -> (u16, Option<String>, String) {
    let mut request = client.get(format!("{base_url}{path}"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("a response");
    let challenge = response
        .headers()
        .get(WWW_AUTHENTICATE)
        .map(|v| v.to_str().expect("an ASCII challenge").to_owned());
    (
        response.status().as_u16(),
        challenge,
        response.text().await.expect("a body"),
    )
}

/// Both servers as resource servers (`COGNITO_RESOURCE` and `PUBLIC_URL`):
/// the metadata document, `resource_metadata` on every 401, bound tokens,
/// and the step-up route; the same answers from both.
#[actix_web::test]
async fn resource_metadata_binding_and_step_up_on_both_servers() {
    const PUBLIC_URL: &str = "https://api.example.com";
    const METADATA: &str =
        r#"resource_metadata="https://api.example.com/.well-known/oauth-protected-resource""#;
    let jwks = serve_jwks(POOL_ID, ISSUER.jwks_json()).await.unwrap();
    let bound = CognitoJwtVerifier::builder()
        .user_pool(
            UserPool::new(POOL_ID)
                .client_id(CLIENT_ID)
                .token_use(TokenUse::Access)
                .jwks_uri(jwks.url())
                .resource(PUBLIC_URL),
        )
        .fetcher(local_fetcher().expect("HTTP client"))
        .build()
        .expect("verifier configuration");
    let metadata = bound
        .protected_resource_metadata(PUBLIC_URL)
        .expect("bound to PUBLIC_URL")
        .scopes_supported(cognito_jwt_examples::ROUTE_SCOPES.iter().copied());
    assert!(
        bound
            .protected_resource_metadata("https://elsewhere.example.com")
            .is_err(),
        "PUBLIC_URL must be one of COGNITO_RESOURCE"
    );
    let axum = start_axum_with(bound.clone(), Some(metadata.clone())).await;
    let actix = start_actix_with(bound, Some(metadata));
    let client = client();
    let here = |amr: &[&str]| {
        ISSUER
            .access_token(CLIENT_ID)
            .claim("aud", PUBLIC_URL)
            .claim("amr", json!(amr))
            .sign()
    };
    let with_mfa = here(&["pwd", "mfa"]);
    let without_mfa = here(&["pwd"]);
    let elsewhere = ISSUER
        .access_token(CLIENT_ID)
        .claim("aud", "https://billing.example.com")
        .sign();
    let unbound = ISSUER.access_token(CLIENT_ID).sign();
    let mut answers = Vec::new();
    for (server, base_url) in [("axum", &axum.base_url), ("actix", &actix.base_url)] {
        let (status, challenge, body) = raw(
            &client,
            base_url,
            "/.well-known/oauth-protected-resource",
            None,
        )
        .await;
        assert_eq!((status, challenge), (200, None), "{server}");
        let document: Value = serde_json::from_str(&body).expect("JSON");
        assert_eq!(
            document,
            json!({
                "resource": PUBLIC_URL,
                "authorization_servers": [ISSUER.issuer()],
                "bearer_methods_supported": ["header"],
            }),
            "{server}"
        );
        let mut outcomes = vec![body];
        for (what, path, token, status, error) in [
            ("no token", "/api/me", None, 401, None),
            (
                "bound elsewhere",
                "/api/me",
                Some(&elsewhere),
                401,
                Some("invalid_token"),
            ),
            (
                "unbound",
                "/api/me",
                Some(&unbound),
                401,
                Some("invalid_token"),
            ),
            ("bound here", "/api/me", Some(&with_mfa), 200, None),
            ("second factor", "/api/mfa", Some(&with_mfa), 200, None),
            (
                "no second factor",
                "/api/mfa",
                Some(&without_mfa),
                401,
                Some("insufficient_user_authentication"),
            ),
            ("no token on mfa", "/api/mfa", None, 401, None),
            (
                "not an admin",
                "/api/admin",
                Some(&with_mfa),
                403,
                Some("insufficient_scope"),
            ),
        ] {
            let (got, challenge, body) =
                raw(&client, base_url, path, token.map(String::as_str)).await;
            assert_eq!(got, status, "{server}, {what}: {body}");
            let challenge = challenge.unwrap_or_default();
            assert_eq!(
                cognito_jwt_test_support::bearer_error(&challenge),
                error,
                "{server}, {what}: {challenge}"
            );
            assert_eq!(
                challenge.contains(METADATA),
                status == 401,
                "{server}, {what}: every 401 and only a 401 names the metadata: {challenge}"
            );
            outcomes.push(format!("{got} {challenge} {body}"));
        }
        answers.push(outcomes);
    }
    assert_eq!(answers[0], answers[1], "both servers answer alike");
    actix.stop().await;
}

/// Without `PUBLIC_URL`: no document, no `resource_metadata`; the step-up
/// route works all the same.
#[actix_web::test]
async fn without_public_url_there_is_no_metadata_on_either_server() {
    let jwks = serve_jwks(POOL_ID, ISSUER.jwks_json()).await.unwrap();
    let axum = start_axum(remote_verifier(jwks.url())).await;
    let actix = start_actix(remote_verifier(jwks.url()));
    let client = client();
    let with_mfa = ISSUER
        .access_token(CLIENT_ID)
        .claim("amr", json!(["pwd", "mfa"]))
        .sign();
    let without_amr = ISSUER.access_token(CLIENT_ID).sign();
    for (server, base_url) in [("axum", &axum.base_url), ("actix", &actix.base_url)] {
        let (status, _, _) = raw(
            &client,
            base_url,
            "/.well-known/oauth-protected-resource",
            None,
        )
        .await;
        assert_eq!(status, 404, "{server}");
        let (status, challenge, _) = raw(&client, base_url, "/api/me", None).await;
        assert_eq!(status, 401, "{server}");
        assert!(!challenge.unwrap_or_default().contains("resource_metadata"));
        let (status, _, body) = raw(&client, base_url, "/api/mfa", Some(&with_mfa)).await;
        assert_eq!(status, 200, "{server}: {body}");
        let body: Value = serde_json::from_str(&body).expect("JSON");
        assert_eq!(
            body["message"], "signed in with a second factor",
            "{server}"
        );
        let (status, challenge, _) = raw(&client, base_url, "/api/mfa", Some(&without_amr)).await;
        assert_eq!(status, 401, "{server}");
        assert!(
            challenge
                .unwrap_or_default()
                .contains(r#"error="insufficient_user_authentication""#),
            "{server}"
        );
    }
    actix.stop().await;
}
