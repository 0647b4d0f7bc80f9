//! `http::authenticate` and `http::authenticate_optional` log each refusal
//! exactly once, so adapters need not (and must not) log it again, and
//! anonymous or accepted requests not at all.
//!
//! It reads the process's global tracing subscriber, holding the process
//! lock (`crate::alone`) so that no other test's events are captured.
use cognito_jwt_core::http::{TokenSource, authenticate, authenticate_optional};
use cognito_jwt_core::testing::TestIssuer;
use cognito_jwt_core::{AccessTokenClaims, Requirements, TokenUse};

const CLIENT: &str = "http-logs";

/// The messages of `AuthRejection::log`.
const REFUSALS: [&str; 4] = [
    "bearer token rejected",
    "malformed authorization",
    "no bearer token",
    "cannot verify bearer token",
];

fn refusals_in(logs: &str) -> usize {
    REFUSALS.iter().map(|m| logs.matches(m).count()).sum()
}

#[tokio::test(flavor = "current_thread")]
async fn each_refusal_is_logged_once() {
    let _alone = crate::alone().await;
    let captured = crate::logs();

    let issuer = TestIssuer::new("eu-west-1_HttpLogs");
    let verifier = issuer.verifier(CLIENT, TokenUse::Access);
    let valid = format!("Bearer {}", issuer.access_token(CLIENT).sign()).into_bytes();
    let expired = format!(
        "Bearer {}",
        issuer.access_token(CLIENT).expires_in(-60).sign()
    )
    .into_bytes();
    let admins = Requirements::new().any_group("admins");
    let none = Requirements::new();
    let requests: [(&[u8], &Requirements, usize, usize); 6] = [
        // Authorization, requirements, refusals logged when required, when optional.
        (b"", &none, 1, 0),
        (b"Basic dXNlcjpwYXNz", &none, 1, 0),
        (b"Bearer ", &none, 1, 1),
        (&expired, &none, 1, 1),
        (&valid, &admins, 1, 1),
        (&valid, &none, 0, 0),
    ];
    for (authorization, requirements, when_required, when_optional) in requests {
        let headers = || Some(authorization).filter(|value| !value.is_empty());
        let source = TokenSource::AuthorizationHeader;
        let required = authenticate::<AccessTokenClaims>(
            &verifier,
            &source,
            requirements,
            headers(),
            std::iter::empty(),
        )
        .await;
        let logs = captured.take();
        assert_eq!(refusals_in(&logs), when_required, "{required:?}: {logs}");

        let optional = authenticate_optional::<AccessTokenClaims>(
            &verifier,
            &source,
            requirements,
            headers(),
            std::iter::empty(),
        )
        .await;
        let logs = captured.take();
        assert_eq!(refusals_in(&logs), when_optional, "{optional:?}: {logs}");
    }
}
