//! A required group or scope that is empty or only whitespace names
//! nothing: the options are refused where they are checked, and an
//! authorizer holding them all the same denies every caller (ID tokens,
//! which carry no scope, included).

use cognito_jwt_core::{AcceptedTokenUse, TokenUse};
use cognito_jwt_lambda::{Authorizer, AuthorizerOptions};
use serde_json::Value;

use crate::support::*;

fn blank_options() -> Vec<(AuthorizerOptions, &'static str)> {
    vec![
        (
            AuthorizerOptions::new().require_any_scope(""),
            "require_any_scope",
        ),
        (
            AuthorizerOptions::new().require_any_scope(" \t"),
            "require_any_scope",
        ),
        (
            AuthorizerOptions::new()
                .require_any_scope("orders/read")
                .require_any_scope(""),
            "require_any_scope",
        ),
        (
            AuthorizerOptions::new().require_any_group(""),
            "require_any_group",
        ),
        (
            AuthorizerOptions::new().require_any_group("  "),
            "require_any_group",
        ),
    ]
}

#[test]
fn a_blank_required_name_is_a_configuration_error_naming_the_option() {
    for (options, setting) in blank_options() {
        let error = options.validate().expect_err(setting);
        assert_eq!(error.name(), Some(setting), "{error}");
        assert!(error.to_string().contains("empty"), "{error}");
        let error = Authorizer::try_new(serving_verifier(), options).expect_err(setting);
        assert_eq!(error.name(), Some(setting), "{error}");
    }
    let fine = AuthorizerOptions::new()
        .require_any_group("staff")
        .require_any_scope("orders/read");
    assert!(fine.validate().is_ok());
    assert!(Authorizer::try_new(serving_verifier(), fine).is_ok());
}

#[tokio::test]
async fn options_with_a_blank_required_name_deny_every_token() {
    let verifier = bundled_verifier(CountingFetcher::serving(&ISSUER), AcceptedTokenUse::Any);
    let tokens = [
        ISSUER.id_token(CLIENT_ID).group(GROUP).sign(),
        ISSUER.access_token(CLIENT_ID).sign(),
        ISSUER
            .access_token(CLIENT_ID)
            .group(GROUP)
            .scope("orders/read")
            .sign(),
    ];
    for (options, setting) in blank_options() {
        let authorizer = Authorizer::new(verifier.clone(), options);
        for token in &tokens {
            let event = cognito_jwt_lambda::AuthorizerEvent::from_json(event(
                "rest-request",
                Some(&bearer(token)),
            ))
            .expect("a known event");
            let response = authorizer.handle(event).await.expect("an answer");
            let response: Value = serde_json::to_value(response).expect("serializable");
            assert_eq!(
                response["policyDocument"]["Statement"][0]["Effect"], "Deny",
                "{setting}: {response}"
            );
        }
    }
    // The same tokens are allowed without the blank requirement.
    let open = Authorizer::new(
        bundled_verifier(CountingFetcher::serving(&ISSUER), TokenUse::Access),
        AuthorizerOptions::new(),
    );
    let event = cognito_jwt_lambda::AuthorizerEvent::from_json(event(
        "rest-request",
        Some(&bearer(&tokens[1])),
    ))
    .expect("a known event");
    let response = serde_json::to_value(open.handle(event).await.expect("an answer")).unwrap();
    assert_eq!(
        response["policyDocument"]["Statement"][0]["Effect"],
        "Allow"
    );
}
