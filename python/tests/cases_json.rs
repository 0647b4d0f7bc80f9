//! Exports test-support's shared HTTP case table (`cases`) to
//! `tests/cases.json`, which the Python tests run against the Flask and
//! FastAPI helpers. Tokens become placeholders (`{valid}`, `{expired}`, …)
//! that the Python side fills with tokens of its own test issuer; header
//! bytes are written as latin-1 text.
//!
//! `cargo test --manifest-path python/Cargo.toml` fails when the file is
//! stale; `UPDATE_CASES=1` rewrites it.

use cognito_jwt_core::testing::TestIssuer;
use cognito_jwt_test_support::{CaseTokens, cases};
use serde_json::{Value, json};

/// The client and group the Python tests' verifier uses.
const CLIENT_ID: &str = "case-client";
const GROUP: &str = "admins";

fn export() -> Value {
    let issuer = TestIssuer::new("eu-west-1_CaseTable1");
    let tokens = CaseTokens::new(&issuer, CLIENT_ID, GROUP);
    let placeholders = [
        (&tokens.valid_in_group, "{valid_in_group}"),
        (&tokens.valid, "{valid}"),
        (&tokens.expired, "{expired}"),
        (&tokens.wrong_use, "{wrong_use}"),
        (&tokens.forged, "{forged}"),
    ];
    let rows: Vec<Value> = cases(&tokens)
        .into_iter()
        .map(|case| {
            let authorization: Vec<String> = case
                .authorization
                .iter()
                .map(|bytes| {
                    let mut text: String = bytes.iter().map(|&b| char::from(b)).collect();
                    for (token, placeholder) in placeholders {
                        text = text.replace(token.as_str(), placeholder);
                    }
                    text
                })
                .collect();
            json!({
                "name": case.name,
                "authorization": authorization,
                "status": case.status,
                "bearer_error": case.bearer_error,
                "challenge_params": case.challenge_params,
            })
        })
        .collect();
    json!({
        "generated_by": "python/tests/cases_json.rs from test-support's cases()",
        "client_id": CLIENT_ID,
        "group": GROUP,
        "cases": rows,
    })
}

#[test]
fn cases_json_is_up_to_date() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases.json");
    let exported = serde_json::to_string_pretty(&export()).expect("JSON") + "\n";
    if std::env::var_os("UPDATE_CASES").is_some() {
        std::fs::write(&path, &exported).expect("write tests/cases.json");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == exported,
        "tests/cases.json is stale: run UPDATE_CASES=1 cargo test --manifest-path python/Cargo.toml"
    );
}
