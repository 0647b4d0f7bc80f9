//! Lambda authorizer events as JSON (REST `TOKEN` and `REQUEST`, HTTP API
//! payload 1.0 and 2.0, AppSync) through `Authorizer::handle`, with IAM
//! policies and with simple responses: never a panic; `handle` answers as
//! the method for the event's type does (the same JSON, or the same
//! `errorType`); reading the event from a string and from a JSON value
//! agree; only an event carrying the genuine token is allowed; and the
//! cached key set is never reported unavailable. `$TOKEN` in the input
//! stands for a genuine access token.
#![no_main]

use std::sync::LazyLock;

use cognito_jwt_core::TokenUse;
use cognito_jwt_core::testing::TestIssuer;
use cognito_jwt_fuzz::{block_on, substitute};
use cognito_jwt_lambda::{Authorizer, AuthorizerError, AuthorizerEvent, AuthorizerOptions};
use libfuzzer_sys::fuzz_target;
use serde::Serialize;

const CLIENT: &str = "fuzz-client";

struct Fixture {
    token: String,
    policies: Authorizer,
    simple: Authorizer,
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let pool = TestIssuer::new("eu-west-1_FuzzLambda");
    let token = pool.access_token(CLIENT).group("staff").sign();
    let verifier = pool.verifier(CLIENT, TokenUse::Access);
    let options = AuthorizerOptions::new().require_any_group("staff");
    Fixture {
        token,
        policies: Authorizer::new(verifier.clone(), options.clone()),
        simple: Authorizer::new(verifier, options.simple_responses(true)),
    }
});

/// An answer as API Gateway or AppSync would read it (a JSON value: the
/// context's key order is not part of the answer).
type Answer = Result<serde_json::Value, &'static str>;

fn answer<T: Serialize>(result: Result<T, AuthorizerError>) -> Answer {
    result
        .map(|response| serde_json::to_value(&response).expect("a serializable response"))
        .map_err(|error| error.error_type())
}

/// The method for the event's type, called directly.
fn by_method(authorizer: &Authorizer, simple: bool, event: AuthorizerEvent) -> Option<Answer> {
    Some(match event {
        AuthorizerEvent::RestToken(e) => answer(block_on(authorizer.rest_token(e))),
        AuthorizerEvent::RestRequest(e) => answer(block_on(authorizer.rest_request(*e))),
        AuthorizerEvent::HttpV1(e) => answer(block_on(authorizer.http_v1(*e))),
        AuthorizerEvent::HttpV2(e) if simple => answer(block_on(authorizer.http_v2_simple(*e))),
        AuthorizerEvent::HttpV2(e) => answer(block_on(authorizer.http_v2(*e))),
        AuthorizerEvent::AppSync(e) => answer(block_on(authorizer.appsync(*e))),
        _ => return None,
    })
}

fuzz_target!(|data: &[u8]| {
    let fixture = &*FIXTURE;
    let text = substitute(
        &String::from_utf8_lossy(data),
        &[("$TOKEN", &fixture.token)],
    );
    let from_str = serde_json::from_str::<AuthorizerEvent>(&text);
    let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) else {
        assert!(from_str.is_err());
        return;
    };
    let Ok(event) = AuthorizerEvent::from_json(value) else {
        assert!(from_str.is_err(), "from_str read what from_json refused");
        return;
    };
    assert!(from_str.is_ok(), "from_json read what from_str refused");
    for (authorizer, simple) in [(&fixture.policies, false), (&fixture.simple, true)] {
        let handled = answer(block_on(authorizer.handle(event.clone())));
        if let Some(direct) = by_method(authorizer, simple, event.clone()) {
            assert_eq!(handled, direct, "handle and the event's method disagree");
        }
        if let Ok(response) = &handled {
            let response = response.to_string();
            if response.contains("\"Allow\"") || response.contains("\"isAuthorized\":true") {
                assert!(
                    text.contains(&fixture.token),
                    "allowed without the token: {response}"
                );
            }
        }
        assert_ne!(handled, Err("KeySetUnavailable"));
    }
});
