//! The authorizer over a `JwtVerifier`: tokens of any OpenID Connect issuer
//! get the same decisions and the same context keys as Cognito tokens, a
//! key empty where the token lacks its claim.

use cognito_jwt_core::testing::TestOidcIssuer;
use cognito_jwt_core::{Algorithm, AnyVerifier};
use cognito_jwt_lambda::{Authorizer, AuthorizerError, AuthorizerEvent, AuthorizerOptions};
use serde_json::{Value, json};

use crate::support::{bearer, event};

const AUDIENCE: &str = "orders-api";
const WEB_APP: &str = "web-app";

fn issuer() -> TestOidcIssuer {
    TestOidcIssuer::new("https://login.example.com/tenant-7", Algorithm::ES256)
}

async fn answer(
    authorizer: &Authorizer,
    kind: &str,
    authorization: &str,
) -> Result<Value, AuthorizerError> {
    let event =
        AuthorizerEvent::from_json(event(kind, Some(authorization))).expect("a known event");
    let response = authorizer.handle(event).await?;
    Ok(serde_json::to_value(response).expect("serializable"))
}

#[tokio::test]
async fn an_access_token_of_any_issuer_is_allowed_with_every_context_key() {
    let oidc = issuer();
    let authorizer = Authorizer::new(
        oidc.verifier(AUDIENCE),
        AuthorizerOptions::new().require_any_scope("orders:read"),
    );
    let token = oidc
        .access_token(AUDIENCE)
        .claim("sub", "user-42")
        .scope("openid orders:read")
        .sign();
    let context = json!({
        "sub": "user-42",
        "username": "",
        "client_id": oidc.client_id(),
        "token_use": "",
        "scope": "openid orders:read",
        "groups": "",
    });
    for kind in ["rest-token", "rest-request", "http-v1", "http-v2"] {
        let response = answer(&authorizer, kind, &bearer(&token))
            .await
            .unwrap_or_else(|e| panic!("{kind}: {e}"));
        assert_eq!(response["principalId"], "user-42", "{kind}");
        assert_eq!(
            response["policyDocument"]["Statement"][0]["Effect"], "Allow",
            "{kind}"
        );
        assert_eq!(response["context"], context, "{kind}");
    }
    let appsync = answer(&authorizer, "appsync", &token)
        .await
        .expect("allowed");
    assert_eq!(appsync["isAuthorized"], true);
    assert_eq!(appsync["resolverContext"], context);
}

#[tokio::test]
async fn an_id_token_names_its_client_by_azp() {
    let oidc = issuer();
    let verifier = oidc.verifier_from(oidc.verifier_builder(oidc.id_token_config(WEB_APP)));
    let authorizer = Authorizer::new(AnyVerifier::from(verifier), AuthorizerOptions::new());
    let token = oidc
        .id_token(WEB_APP)
        .claim("sub", "user-43")
        .claim("azp", WEB_APP)
        .without("client_id")
        .sign();
    let response = answer(&authorizer, "http-v2", &bearer(&token))
        .await
        .expect("allowed");
    assert_eq!(response["context"]["client_id"], WEB_APP);
    assert_eq!(response["context"]["token_use"], "");
    assert_eq!(response["context"]["scope"], "");
}

#[tokio::test]
async fn refusals_and_requirements_answer_as_for_cognito() {
    let oidc = issuer();
    let authorizer = Authorizer::new(
        oidc.verifier(AUDIENCE),
        AuthorizerOptions::new().require_any_scope("orders:write"),
    );
    let expired = oidc.access_token(AUDIENCE).expires_in(-120).sign();
    let refused = answer(&authorizer, "rest-token", &bearer(&expired))
        .await
        .expect_err("an expired token is refused");
    assert!(refused.is_unauthorized(), "{refused}");

    let other_audience = oidc.access_token("another-api").sign();
    let refused = answer(&authorizer, "rest-token", &bearer(&other_audience))
        .await
        .expect_err("a token for another audience is refused");
    assert!(refused.is_unauthorized(), "{refused}");

    let reader = oidc.access_token(AUDIENCE).scope("orders:read").sign();
    let denied = answer(&authorizer, "rest-token", &bearer(&reader))
        .await
        .expect("a missing scope is an explicit Deny");
    assert_eq!(
        denied["policyDocument"]["Statement"][0]["Effect"], "Deny",
        "{denied}"
    );
}
