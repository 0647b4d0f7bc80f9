//! The demo, as a library call and as the README's first command.

use std::process::Command;

use cognito_jwt_examples::demo::{Credential, Outcome, Step, alb_steps, run_demo, steps, table};

#[tokio::test]
async fn demo_meets_every_expectation() {
    let mut out = Vec::new();
    let passed = run_demo(&mut out).await;
    let text = String::from_utf8(out).unwrap();
    assert!(passed, "{text}");
    assert!(
        text.contains(
            "18/18 outcomes as expected; the key set was fetched 1 time, \
             the load balancer's key 1 time."
        ),
        "{text}"
    );
    for step in steps().into_iter().chain(alb_steps()) {
        let row = format!("GET {}", step.path);
        let label = step.credential.label();
        assert!(
            text.lines()
                .any(|line| line.contains(&row) && line.contains(label) && line.contains(step.why)),
            "no row for {row} with {}:\n{text}",
            step.why
        );
    }
    assert!(!text.contains("UNEXPECTED"), "{text}");
}

#[test]
fn demo_binary_exits_zero_without_configuration() {
    let output = Command::new(env!("CARGO_BIN_EXE_demo"))
        .env_clear()
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("request"), "{stdout}");
    assert!(stdout.contains("18/18 outcomes as expected"), "{stdout}");
    assert!(stdout.contains("x-amzn-oidc-data"), "{stdout}");
}

#[test]
fn table_marks_unexpected_outcomes() {
    let step: Step = steps()
        .into_iter()
        .find(|s| s.credential == Credential::Expired)
        .unwrap();
    let wrong = Outcome {
        step,
        status: 200,
        why: "signed in as alice".to_owned(),
    };
    assert!(!wrong.as_expected());
    let text = table(&[wrong]);
    assert!(
        text.contains("UNEXPECTED, wanted 401 invalid_token: expired"),
        "{text}"
    );
}
