//! `cognito-jwt alb verify`, run as a built binary with a cleared
//! environment, against a local load-balancer key server: every exit code
//! and its message.

use std::net::TcpListener;
use std::sync::LazyLock;

use cognito_jwt_core::testing::{TestAlb, TestCurveKey};
use serde_json::Value;

use crate::support::{self, assert_no_token, cli};

static ALB: LazyLock<TestAlb> = LazyLock::new(|| TestAlb::new("eu-west-1"));
/// One key server for the whole file, serving `ALB`'s key.
static KEYS: LazyLock<String> = LazyLock::new(|| serve_key(&ALB));

/// Serve `alb`'s PEM key at `<base>/<kid>` on 127.0.0.1 (404 elsewhere),
/// until the test binary exits; the base URL.
fn serve_key(alb: &TestAlb) -> String {
    let address = support::serve(
        format!("/keys/{}", alb.kid()),
        "text/plain",
        alb.public_key_pem(),
    );
    format!("http://{address}/keys")
}

/// `alb verify` trusting `ALB`, keys from the local server.
fn verify_args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["alb", "verify", "--alb-arn", ALB.arn(), "--keys-url", &KEYS];
    args.extend_from_slice(extra);
    args
}

#[test]
fn exit_0_prints_the_verified_claims_as_one_json_object() {
    let header = ALB.data().claim("email", "jo@example.com").sign();
    let run = cli(&verify_args(&[&header]), &[], None);
    assert_eq!(run.code, 0, "{run:?}");
    let claims: Value = serde_json::from_str(run.stdout.trim()).expect("JSON on stdout");
    assert_eq!(claims["email"], "jo@example.com");
    assert!(run.stderr.is_empty(), "{run:?}");

    let run = cli(
        &verify_args(&[
            "--client-id",
            ALB.client_id(),
            "--issuer",
            &ALB.issuer(),
            "--leeway",
            "5",
        ]),
        &[],
        Some(&format!("{header}\n")),
    );
    assert_eq!(run.code, 0, "from stdin: {run:?}");
}

#[test]
fn exit_0_with_configuration_from_the_environment() {
    let header = ALB.data().sign();
    let issuer = ALB.issuer();
    let run = cli(
        &["alb", "verify", &header],
        &[
            ("ALB_ARN", ALB.arn()),
            ("ALB_CLIENT_ID", ALB.client_id()),
            ("ALB_ISSUER", &issuer),
            ("ALB_KEYS_URL", &KEYS),
        ],
        None,
    );
    assert_eq!(run.code, 0, "{run:?}");
}

#[test]
fn exit_1_names_the_kind_of_every_rejection() {
    let other = TestAlb::new("eu-west-1");
    let forged = ALB.data().sign_with(&TestCurveKey::es256(ALB.kid()));
    let expired = ALB.data().expires_in(-3600).sign();
    let another_alb = other.data().sign();
    let valid = ALB.data().sign();
    let other_issuer = ALB.issuer().replace("TestAlb1", "Other");
    let cases: [(&str, &str, &[&str], &str); 5] = [
        ("forged", &forged, &[], "invalid_signature"),
        ("expired", &expired, &[], "expired"),
        ("another load balancer", &another_alb, &[], "invalid_issuer"),
        (
            "another client",
            &valid,
            &["--client-id", "someone-else"],
            "invalid_audience",
        ),
        (
            "another issuer",
            &valid,
            &["--issuer", &other_issuer],
            "invalid_issuer",
        ),
    ];
    for (what, header, extra, kind) in cases {
        let mut args = verify_args(extra);
        args.push(header);
        let run = cli(&args, &[], None);
        assert_eq!(run.code, 1, "{what}: {run:?}");
        assert!(run.stdout.is_empty(), "{what}: {run:?}");
        assert!(
            run.stderr.starts_with(&format!("rejected: {kind}: ")),
            "{what}: {run:?}"
        );
        assert_no_token(&run, header);
    }
}

#[test]
fn exit_2_for_usage_and_configuration_errors() {
    let header = ALB.data().sign();
    let run = cli(&["alb", "verify", &header], &[], None);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("ALB_ARN"), "{run:?}");
    assert!(run.stderr.contains("--alb-arn"), "{run:?}");

    let listener_arn = ALB.arn().replace(":loadbalancer/", ":listener/");
    let cases: [(&[&str], &str); 4] = [
        (&["--alb-arn", &listener_arn], "ALB_ARN"),
        (&["--alb-arn", "not-an-arn"], "ALB_ARN"),
        (
            &["--alb-arn", ALB.arn(), "--keys-url", "ftp://keys"],
            "ALB_KEYS_URL",
        ),
        (&["--alb-arn", ALB.arn(), "--leeway", "100000"], "--leeway"),
    ];
    for (options, names) in cases {
        let mut args = vec!["alb", "verify"];
        args.extend_from_slice(options);
        args.push(&header);
        let run = cli(&args, &[], None);
        assert_eq!(run.code, 2, "{options:?}: {run:?}");
        assert!(run.stderr.contains(names), "{options:?}: {run:?}");
        assert_no_token(&run, &header);
    }

    let run = cli(&verify_args(&[]), &[], None);
    assert_eq!(run.code, 2, "no token: {run:?}");
}

#[test]
fn exit_3_when_the_keys_url_is_unreachable() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        listener.local_addr().expect("its address").port()
    };
    let closed = format!("http://127.0.0.1:{port}/keys");
    let header = ALB.data().sign();
    let run = cli(
        &[
            "alb",
            "verify",
            "--alb-arn",
            ALB.arn(),
            "--keys-url",
            &closed,
            &header,
        ],
        &[],
        None,
    );
    assert_eq!(run.code, 3, "{run:?}");
    assert!(run.stderr.starts_with("unavailable: "), "{run:?}");
    assert!(run.stdout.is_empty(), "{run:?}");
    assert_no_token(&run, &header);
}

#[test]
fn help_names_the_alb_subcommand_and_its_variables() {
    let run = cli(&["--help"], &[], None);
    assert!(run.stdout.contains("alb"), "{run:?}");
    let run = cli(&["alb", "verify", "--help"], &[], None);
    assert_eq!(run.code, 0, "{run:?}");
    for name in ["ALB_ARN", "ALB_CLIENT_ID", "ALB_ISSUER", "ALB_KEYS_URL"] {
        assert!(run.stdout.contains(name), "{name}: {run:?}");
    }
}
