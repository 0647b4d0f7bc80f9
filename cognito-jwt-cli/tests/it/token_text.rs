//! Text taken from a token reaches the terminal escaped, in every command
//! and format: no control character (C0, DEL, C1), bidirectional override
//! or isolate, or line or paragraph separator is printed as itself, so a
//! token can neither drive the terminal nor forge a line of output.

use std::sync::LazyLock;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cognito_jwt_core::testing::{TestAlb, TestIssuer};
use serde_json::{Value, json};

use crate::support::{self, cli};

const POOL_ID: &str = "eu-west-1_CliText1";
const CLIENT_ID: &str = "cli-text-client";
/// Every kind of character that must not reach a terminal as itself.
const HOSTILE: &str =
    "a\u{1b}[2J\u{7}\r\u{7f}\u{85}\u{9b}31m\u{202a}\u{202e}\u{2066}\u{2069}\u{2028}\u{2029}b";

static ISSUER: LazyLock<TestIssuer> = LazyLock::new(|| TestIssuer::new(POOL_ID));

/// Whether `c` may be printed as itself.
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}'
        )
}

/// Nothing in `output` but printable text and line breaks.
fn assert_printable(output: &str) {
    let bad: Vec<char> = output
        .chars()
        .filter(|&c| c != '\n' && is_unsafe(c))
        .collect();
    assert!(bad.is_empty(), "{bad:?} printed as is in {output:?}");
}

fn unsigned_token(header: &Value, claims: &Value) -> String {
    format!(
        "{}.{}.c2ln",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

fn key_set_url() -> String {
    let path = format!("/{POOL_ID}/.well-known/jwks.json");
    let address = support::serve(path.clone(), "application/json", ISSUER.jwks_json());
    format!("http://{address}{path}")
}

#[test]
fn inspect_escapes_every_value_and_forges_no_line() {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_secs();
    let header = json!({ "alg": "RS256", "kid": format!("k{HOSTILE}"), "typ": "JWT" });
    let claims = json!({
        "iss": "https://evil.example\nexpiry: expires in 59 min",
        "token_use": format!("access{HOSTILE}"),
        "exp": now - 3600,
        format!("name{HOSTILE}"): HOSTILE,
    });
    let run = cli(&["inspect", &unsigned_token(&header, &claims)], &[], None);
    assert_eq!(run.code, 0, "{run:?}");
    assert_printable(&run.stdout);

    let expiry: Vec<&str> = run
        .stdout
        .lines()
        .filter(|line| line.starts_with("expiry:"))
        .collect();
    assert_eq!(expiry, ["expiry: EXPIRED 60 min ago"], "{}", run.stdout);
    assert!(
        run.stdout
            .contains("issuer: https://evil.example\\u{a}expiry: expires in 59 min"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(
            "token_use: accessa\\u{1b}[2J\\u{7}\\u{d}\\u{7f}\\u{85}\\u{9b}31m\\u{202a}\\u{202e}\
             \\u{2066}\\u{2069}\\u{2028}\\u{2029}b"
        ),
        "{}",
        run.stdout
    );
    // The header and claims as JSON, every such character a \u escape.
    assert!(
        run.stdout.contains(
            r#""namea\u001b[2J\u0007\r\u007f\u0085\u009b31m\u202a\u202e\u2066\u2069\u2028\u2029b""#
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(r#""kid": "ka\u001b[2J"#),
        "{}",
        run.stdout
    );
}

#[test]
fn inspect_escapes_a_backslash_so_no_escape_can_be_faked() {
    let claims = json!({ "iss": "a\\u{1b}b", "exp": 1 });
    let token = unsigned_token(&json!({ "alg": "RS256" }), &claims);
    let run = cli(&["inspect", &token], &[], None);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("issuer: a\\\\u{1b}b\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn verify_prints_json_with_every_unsafe_character_escaped() {
    let token = ISSUER
        .access_token(CLIENT_ID)
        .claim("username", HOSTILE)
        .sign();
    let url = key_set_url();
    let run = cli(
        &[
            "verify",
            "--user-pool-id",
            POOL_ID,
            "--client-id",
            CLIENT_ID,
            "--jwks-uri",
            &url,
            &token,
        ],
        &[],
        None,
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_printable(&run.stdout);
    assert!(
        run.stdout.contains(
            r#""username":"a\u001b[2J\u0007\r\u007f\u0085\u009b31m\u202a\u202e\u2066\u2069\u2028\u2029b""#
        ),
        "{}",
        run.stdout
    );
    let claims: Value = serde_json::from_str(run.stdout.trim()).expect("one JSON object");
    assert_eq!(claims["username"], HOSTILE, "the same value once parsed");
}

#[test]
fn alb_verify_prints_json_with_every_unsafe_character_escaped() {
    let alb = TestAlb::new("eu-west-1");
    let keys = support::serve(
        format!("/keys/{}", alb.kid()),
        "text/plain",
        alb.public_key_pem(),
    );
    let keys = format!("http://{keys}/keys");
    let data = alb.data().claim("email", HOSTILE).sign();
    let run = cli(
        &[
            "alb",
            "verify",
            "--alb-arn",
            alb.arn(),
            "--keys-url",
            &keys,
            &data,
        ],
        &[],
        None,
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_printable(&run.stdout);
    let claims: Value = serde_json::from_str(run.stdout.trim()).expect("one JSON object");
    assert_eq!(claims["email"], HOSTILE);
}
