//! Every outcome of every authorizer event type, driven with the documented
//! sample events in `tests/fixtures`.

use std::sync::LazyLock;
use std::time::Duration;

use cognito_jwt_core::testing::TestKey;
use cognito_jwt_core::{AcceptedTokenUse, CognitoJwtVerifier, TokenUse};
use cognito_jwt_lambda::{
    Authorizer, AuthorizerError, AuthorizerEvent, AuthorizerOptions, UNKNOWN_PRINCIPAL,
};
use lambda_runtime::Diagnostic;
use serde_json::{Value, json};

use crate::support::*;

/// The event kinds answered with an IAM policy (HTTP API 2.0 without
/// simple responses).
const POLICY_KINDS: [&str; 4] = ["rest-token", "rest-request", "http-v1", "http-v2"];
const ALL_KINDS: [&str; 5] = [
    "rest-token",
    "rest-request",
    "http-v1",
    "http-v2",
    "appsync",
];

static FORGER: LazyLock<TestKey> = LazyLock::new(|| TestKey::generate("forger"));

fn authorizer(options: AuthorizerOptions) -> Authorizer {
    Authorizer::new(serving_verifier(), options)
}

/// The answer to the fixture `kind` as the runtime would send it.
async fn answer(
    authorizer: &Authorizer,
    kind: &str,
    authorization: Option<&str>,
) -> Result<Value, AuthorizerError> {
    let event = AuthorizerEvent::from_json(event(kind, authorization)).expect("a known event");
    let response = authorizer.handle(event).await?;
    Ok(serde_json::to_value(response).expect("serializable"))
}

fn statement(response: &Value) -> &Value {
    &response["policyDocument"]["Statement"][0]
}

fn expect_policy(response: &Value, effect: &str, principal: &str, resource: &str) {
    assert_eq!(response["principalId"], principal, "{response}");
    assert_eq!(response["policyDocument"]["Version"], "2012-10-17");
    let statements = response["policyDocument"]["Statement"]
        .as_array()
        .expect("statements");
    assert_eq!(statements.len(), 1, "{response}");
    assert_eq!(statement(response)["Action"], json!(["execute-api:Invoke"]));
    assert_eq!(statement(response)["Effect"], effect, "{response}");
    assert_eq!(statement(response)["Resource"], json!([resource]));
}

/// Tokens that must never get in: a refused one is `Unauthorized`.
fn bad_credentials() -> Vec<(&'static str, Option<String>)> {
    vec![
        ("none", None),
        ("empty", Some(String::new())),
        ("another scheme", Some("Basic dXNlcjpwYXNz".to_owned())),
        ("not a JWT", Some(bearer("not-a-jwt"))),
        (
            "expired",
            Some(bearer(
                &ISSUER.access_token(CLIENT_ID).expires_in(-60).sign(),
            )),
        ),
        (
            "forged",
            Some(bearer(&ISSUER.access_token(CLIENT_ID).sign_with(&FORGER))),
        ),
        (
            "another app client",
            Some(bearer(&ISSUER.access_token("someone-else").sign())),
        ),
        (
            "an ID token where access tokens are expected",
            Some(bearer(&ISSUER.id_token(CLIENT_ID).sign())),
        ),
    ]
}

#[test]
fn every_fixture_is_read_as_its_kind() {
    let kinds = ALL_KINDS.map(|kind| {
        let event = AuthorizerEvent::from_json(event(kind, Some("x"))).expect(kind);
        match event {
            AuthorizerEvent::RestToken(_) => "rest-token",
            AuthorizerEvent::RestRequest(_) => "rest-request",
            AuthorizerEvent::HttpV1(_) => "http-v1",
            AuthorizerEvent::HttpV2(_) => "http-v2",
            AuthorizerEvent::AppSync(_) => "appsync",
            _ => "unknown",
        }
    });
    assert_eq!(kinds, ALL_KINDS);
    for other in [
        json!({}),
        json!({"type": "TOKEN", "authorizationToken": 7}),
        json!({"type": "REQUEST", "version": "3.0"}),
        json!({"Records": [{"eventSource": "aws:sqs"}]}),
    ] {
        assert!(
            AuthorizerEvent::from_json(other.clone()).is_err(),
            "{other}"
        );
    }
}

#[tokio::test]
async fn a_valid_token_is_allowed_with_the_caller_in_the_context() {
    let authorizer = authorizer(AuthorizerOptions::new());
    let token = ISSUER
        .access_token(CLIENT_ID)
        .claim("sub", "4f1c2e3d-0000-4000-8000-0123456789ab")
        .claim("username", "ada")
        .claim("scope", "openid orders/read")
        .group("staff")
        .group("beta-testers")
        .sign();
    let expected_context = json!({
        "sub": "4f1c2e3d-0000-4000-8000-0123456789ab",
        "username": "ada",
        "client_id": CLIENT_ID,
        "token_use": "access",
        "scope": "openid orders/read",
        "groups": "staff beta-testers",
    });
    for kind in POLICY_KINDS {
        let response = answer(&authorizer, kind, Some(&bearer(&token)))
            .await
            .unwrap_or_else(|e| panic!("{kind}: {e}"));
        expect_policy(
            &response,
            "Allow",
            "4f1c2e3d-0000-4000-8000-0123456789ab",
            METHOD_ARN,
        );
        assert_eq!(response["context"], expected_context, "{kind}");
    }
    let appsync = answer(&authorizer, "appsync", Some(&token))
        .await
        .expect("allowed");
    assert_eq!(appsync["isAuthorized"], true);
    assert_eq!(appsync["resolverContext"], expected_context);

    let simple = Authorizer::new(
        serving_verifier(),
        AuthorizerOptions::new().simple_responses(true),
    );
    let response = answer(&simple, "http-v2", Some(&bearer(&token)))
        .await
        .expect("allowed");
    assert_eq!(
        response,
        json!({"isAuthorized": true, "context": expected_context})
    );
}

#[tokio::test]
async fn the_token_may_come_without_the_bearer_scheme() {
    let authorizer = authorizer(AuthorizerOptions::new());
    let token = ISSUER.access_token(CLIENT_ID).sign();
    for kind in ALL_KINDS {
        let response = answer(&authorizer, kind, Some(&token))
            .await
            .unwrap_or_else(|e| panic!("{kind}: {e}"));
        let allowed = response["isAuthorized"] == true || statement(&response)["Effect"] == "Allow";
        assert!(allowed, "{kind}: {response}");
    }
}

#[tokio::test]
async fn id_tokens_are_allowed_when_the_pool_accepts_them() {
    let verifier = bundled_verifier(CountingFetcher::serving(&ISSUER), AcceptedTokenUse::Any);
    let authorizer = Authorizer::new(verifier, AuthorizerOptions::new());
    let token = ISSUER
        .id_token(CLIENT_ID)
        .claim("cognito:username", "grace")
        .group("staff")
        .sign();
    let response = answer(&authorizer, "rest-request", Some(&bearer(&token)))
        .await
        .expect("allowed");
    assert_eq!(statement(&response)["Effect"], "Allow");
    let context = &response["context"];
    assert_eq!(
        context["client_id"], CLIENT_ID,
        "an ID token's client is its aud"
    );
    assert_eq!(context["token_use"], "id");
    assert_eq!(context["username"], "grace");
    assert_eq!(context["scope"], "");
    assert_eq!(context["groups"], "staff");
}

#[tokio::test]
async fn a_missing_or_refused_token_is_the_unauthorized_error() {
    let authorizer = authorizer(AuthorizerOptions::new());
    for kind in POLICY_KINDS {
        for (case, authorization) in bad_credentials() {
            let error = answer(&authorizer, kind, authorization.as_deref())
                .await
                .expect_err(case);
            assert!(error.is_unauthorized(), "{kind}, {case}: {error}");
            let diagnostic = Diagnostic::from(error);
            assert_eq!(diagnostic.error_message, "Unauthorized", "{kind}, {case}");
        }
    }
}

#[tokio::test]
async fn simple_and_appsync_answers_refuse_with_is_authorized_false() {
    let simple = Authorizer::new(
        serving_verifier(),
        AuthorizerOptions::new().simple_responses(true),
    );
    for (case, authorization) in bad_credentials() {
        let response = answer(&simple, "http-v2", authorization.as_deref())
            .await
            .unwrap_or_else(|e| panic!("{case}: {e}"));
        assert_eq!(
            response,
            json!({"isAuthorized": false, "context": {}}),
            "{case}"
        );

        let response = answer(&simple, "appsync", authorization.as_deref())
            .await
            .unwrap_or_else(|e| panic!("{case}: {e}"));
        assert_eq!(response["isAuthorized"], false, "{case}");
        assert_eq!(response["resolverContext"], json!({}), "{case}");
    }
}

#[tokio::test]
async fn a_missing_group_or_scope_is_an_explicit_deny() {
    let staff_only = authorizer(AuthorizerOptions::new().require_any_group(GROUP));
    let readers_only = authorizer(AuthorizerOptions::new().require_any_scope("orders/read"));
    let outsider = ISSUER
        .access_token(CLIENT_ID)
        .claim("sub", "outsider-sub")
        .group("customers")
        .sign();
    for kind in POLICY_KINDS {
        for authorizer in [&staff_only, &readers_only] {
            let response = answer(authorizer, kind, Some(&bearer(&outsider)))
                .await
                .unwrap_or_else(|e| panic!("{kind}: {e}"));
            expect_policy(&response, "Deny", "outsider-sub", METHOD_ARN);
            assert_eq!(response["context"], json!({}), "nothing handed on");
        }
    }
    let insider = ISSUER
        .access_token(CLIENT_ID)
        .group(GROUP)
        .scope("orders/read")
        .sign();
    for authorizer in [&staff_only, &readers_only] {
        let response = answer(authorizer, "rest-token", Some(&bearer(&insider)))
            .await
            .expect("allowed");
        assert_eq!(statement(&response)["Effect"], "Allow");
    }

    let simple = authorizer(
        AuthorizerOptions::new()
            .require_any_group(GROUP)
            .simple_responses(true),
    );
    let response = answer(&simple, "http-v2", Some(&bearer(&outsider)))
        .await
        .expect("an answer");
    assert_eq!(response["isAuthorized"], false);
    let response = answer(&simple, "appsync", Some(&outsider))
        .await
        .expect("an answer");
    assert_eq!(response["isAuthorized"], false);
}

#[tokio::test]
async fn a_group_required_by_the_verifier_is_a_deny_for_an_unknown_principal() {
    let verifier = ISSUER.verifier_from(
        CognitoJwtVerifier::builder()
            .user_pool(ISSUER.user_pool(CLIENT_ID, TokenUse::Access))
            .fetcher(CountingFetcher::serving(&ISSUER))
            .require_any_group(GROUP),
    );
    let authorizer = Authorizer::new(verifier, AuthorizerOptions::new());
    let token = ISSUER.access_token(CLIENT_ID).sign();
    let response = answer(&authorizer, "rest-token", Some(&bearer(&token)))
        .await
        .expect("an answer");
    expect_policy(&response, "Deny", UNKNOWN_PRINCIPAL, METHOD_ARN);
}

#[tokio::test]
async fn an_unavailable_key_set_is_a_function_error_never_unauthorized() {
    for options in [
        AuthorizerOptions::new(),
        AuthorizerOptions::new().simple_responses(true),
    ] {
        let authorizer = Authorizer::new(unavailable_verifier(), options);
        let token = ISSUER.access_token(CLIENT_ID).sign();
        for kind in ALL_KINDS {
            let error = answer(&authorizer, kind, Some(&bearer(&token)))
                .await
                .expect_err(kind);
            assert!(
                matches!(error, AuthorizerError::KeySetUnavailable(_)),
                "{kind}: {error:?}"
            );
            let diagnostic = Diagnostic::from(error);
            assert_eq!(diagnostic.error_type, "KeySetUnavailable");
            assert_ne!(diagnostic.error_message, "Unauthorized");
            assert!(
                diagnostic.error_message.contains("connection refused"),
                "the reason: {}",
                diagnostic.error_message
            );
        }
    }
}

#[tokio::test]
async fn the_wide_resource_names_every_route_of_the_stage() {
    let authorizer = authorizer(
        AuthorizerOptions::new()
            .wide_resource(true)
            .require_any_group(GROUP),
    );
    let staff = ISSUER.access_token(CLIENT_ID).group(GROUP).sign();
    let customer = ISSUER.access_token(CLIENT_ID).sign();
    for kind in POLICY_KINDS {
        let allowed = answer(&authorizer, kind, Some(&bearer(&staff)))
            .await
            .expect("allowed");
        assert_eq!(statement(&allowed)["Effect"], "Allow");
        assert_eq!(
            statement(&allowed)["Resource"],
            json!([ANY_ROUTE_ARN]),
            "{kind}"
        );
        let denied = answer(&authorizer, kind, Some(&bearer(&customer)))
            .await
            .expect("denied");
        assert_eq!(statement(&denied)["Effect"], "Deny");
        assert_eq!(
            statement(&denied)["Resource"],
            json!([ANY_ROUTE_ARN]),
            "{kind}"
        );
    }
}

#[tokio::test]
async fn a_missing_or_malformed_arn_is_an_invalid_event() {
    let authorizer = authorizer(AuthorizerOptions::new());
    let token = bearer(&ISSUER.access_token(CLIENT_ID).sign());
    for arn in [
        Some("arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod"),
        Some("a1b2c3d4e5/prod/GET/orders"),
        None,
    ] {
        let mut event = event("rest-token", Some(&token));
        match arn {
            Some(arn) => event["methodArn"] = json!(arn),
            None => drop(event.as_object_mut().map(|e| e.remove("methodArn"))),
        }
        let event = AuthorizerEvent::from_json(event).expect("a TOKEN event");
        let error = authorizer.handle(event).await.expect_err("no policy");
        assert!(
            matches!(error, AuthorizerError::InvalidEvent(_)),
            "{error:?}"
        );
        assert!(!error.to_string().contains("a1b2c3d4e5"), "{error}");
    }
}

#[tokio::test]
async fn two_authorization_headers_are_refused() {
    let authorizer = authorizer(AuthorizerOptions::new());
    let token = bearer(&ISSUER.access_token(CLIENT_ID).sign());
    let mut event = event("rest-request", Some(&token));
    event["multiValueHeaders"]["Authorization"] = json!([token, token]);
    let event = AuthorizerEvent::from_json(event).expect("a REQUEST event");
    let error = authorizer.handle(event).await.expect_err("refused");
    assert!(error.is_unauthorized(), "{error:?}");
}

#[tokio::test]
async fn the_caller_can_extend_the_context() {
    let authorizer = authorizer(AuthorizerOptions::new().context(|identity, context| {
        if let Some(tenant) = identity.claims["custom:tenant"].as_str() {
            context.insert("tenant", tenant);
        }
        context.insert("group_count", identity.groups.len() as u64);
        context.insert("machine", identity.username.is_none());
        context.remove("scope");
    }));
    let token = ISSUER
        .access_token(CLIENT_ID)
        .claim("custom:tenant", "acme")
        .group(GROUP)
        .sign();
    let response = answer(&authorizer, "http-v2", Some(&bearer(&token)))
        .await
        .expect("allowed");
    let context = &response["context"];
    assert_eq!(context["tenant"], "acme");
    assert_eq!(context["group_count"], 1);
    assert_eq!(context["machine"], false);
    assert_eq!(context["sub"], response["principalId"]);
    assert!(context.get("scope").is_none(), "{context}");
}

#[tokio::test]
async fn appsync_allows_carry_denied_fields_and_the_ttl() {
    let authorizer = authorizer(
        AuthorizerOptions::new()
            .appsync_denied_fields(["Mutation.deleteOrder", "Query.auditLog"])
            .appsync_ttl_override(Duration::from_secs(120)),
    );
    let token = ISSUER.access_token(CLIENT_ID).sign();
    let event = AuthorizerEvent::from_json(event("appsync", Some(&token))).expect("AppSync");
    let AuthorizerEvent::AppSync(event) = event else {
        panic!("read as AppSync");
    };
    let response = authorizer.appsync(*event).await.expect("allowed");
    assert!(response.is_authorized);
    assert_eq!(
        response.denied_fields,
        Some(vec![
            "Mutation.deleteOrder".to_owned(),
            "Query.auditLog".to_owned()
        ])
    );
    assert_eq!(response.ttl_override, Some(120));
    let json = serde_json::to_value(&response).expect("serializable");
    for key in [
        "isAuthorized",
        "resolverContext",
        "deniedFields",
        "ttlOverride",
    ] {
        assert!(json.get(key).is_some(), "{key} in {json}");
    }
}

#[tokio::test]
async fn the_typed_handlers_answer_their_own_event_types() {
    let authorizer = authorizer(AuthorizerOptions::new());
    let token = bearer(&ISSUER.access_token(CLIENT_ID).sign());
    let from = |kind: &str| event(kind, Some(&token));

    let response = authorizer
        .rest_token(serde_json::from_value(from("rest-token")).expect("TOKEN"))
        .await
        .expect("allowed");
    assert!(response.principal_id.is_some_and(|sub| !sub.is_empty()));
    let response = authorizer
        .rest_request(serde_json::from_value(from("rest-request")).expect("REQUEST"))
        .await
        .expect("allowed");
    assert_eq!(response.policy_document.statement.len(), 1);
    let response = authorizer
        .http_v1(serde_json::from_value(from("http-v1")).expect("1.0"))
        .await
        .expect("allowed");
    assert_eq!(response.policy_document.statement[0].resource, [METHOD_ARN]);
    let response = authorizer
        .http_v2(serde_json::from_value(from("http-v2")).expect("2.0"))
        .await
        .expect("allowed");
    assert_eq!(response.policy_document.statement[0].resource, [METHOD_ARN]);
    let response = authorizer
        .http_v2_simple(serde_json::from_value(from("http-v2")).expect("2.0"))
        .await
        .expect("allowed");
    assert!(response.is_authorized);
}

#[tokio::test]
async fn a_bundled_key_set_makes_the_first_invocations_fetch_nothing() {
    let fetcher = CountingFetcher::serving(&ISSUER);
    let authorizer = Authorizer::new(
        bundled_verifier(fetcher.clone(), TokenUse::Access),
        AuthorizerOptions::new(),
    );
    let token = ISSUER.access_token(CLIENT_ID).sign();
    for kind in ALL_KINDS {
        answer(&authorizer, kind, Some(&token))
            .await
            .unwrap_or_else(|e| panic!("{kind}: {e}"));
    }
    assert_eq!(
        fetcher.fetches(),
        0,
        "the bundled key set answered every invocation"
    );

    let fetcher = CountingFetcher::serving(&ISSUER);
    let authorizer = Authorizer::new(
        unloaded_verifier(fetcher.clone(), TokenUse::Access),
        AuthorizerOptions::new(),
    );
    for kind in ALL_KINDS {
        answer(&authorizer, kind, Some(&token))
            .await
            .unwrap_or_else(|e| panic!("{kind}: {e}"));
    }
    assert_eq!(
        fetcher.fetches(),
        1,
        "without it, the first invocation fetches once"
    );
}

#[tokio::test]
async fn a_failed_claim_rule_is_a_deny_and_a_weak_sign_in_unauthorized() {
    let tenant_only = authorizer(
        AuthorizerOptions::new()
            .claim_rules("custom:tenant=acme")
            .expect("a valid rule"),
    );
    let mfa_only = authorizer(
        AuthorizerOptions::new()
            .require_all_amr("mfa")
            .require_max_auth_age(Duration::from_secs(300)),
    );
    let acme = ISSUER
        .access_token(CLIENT_ID)
        .claim("custom:tenant", "acme")
        .claim("amr", json!(["pwd", "mfa"]))
        .sign();
    let globex = ISSUER
        .access_token(CLIENT_ID)
        .claim("custom:tenant", "globex")
        .claim("amr", json!(["pwd"]))
        .sign();
    for kind in POLICY_KINDS {
        for authorizer in [&tenant_only, &mfa_only] {
            let response = answer(authorizer, kind, Some(&bearer(&acme)))
                .await
                .unwrap_or_else(|e| panic!("{kind}: {e}"));
            assert_eq!(statement(&response)["Effect"], "Allow", "{kind}");
        }
        let response = answer(&tenant_only, kind, Some(&bearer(&globex)))
            .await
            .unwrap_or_else(|e| panic!("{kind}: {e}"));
        expect_policy(&response, "Deny", UNKNOWN_PRINCIPAL, METHOD_ARN);
        let error = answer(&mfa_only, kind, Some(&bearer(&globex)))
            .await
            .expect_err("a weak sign-in");
        assert!(error.is_unauthorized(), "{kind}: {error}");
    }
    let blank = AuthorizerOptions::new().require_any_acr(" ").validate();
    assert_eq!(blank.unwrap_err().name(), Some("require_any_acr"));
}
