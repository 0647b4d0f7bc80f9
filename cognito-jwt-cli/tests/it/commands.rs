//! The `cognito-jwt` CLI, run as a built binary with a cleared environment,
//! against a local key-set server: every exit code and its message.

use std::net::TcpListener;
use std::sync::LazyLock;
use std::time::{SystemTime, UNIX_EPOCH};

use cognito_jwt_core::testing::{TestCurveKey, TestIssuer, TestKey, UnreachableJwks};
use cognito_jwt_core::{AccessTokenClaims, CognitoJwtVerifier, TokenUse, UserPool};
use serde_json::{Value, json};

use crate::support::{self, assert_no_token, cli};

const POOL_ID: &str = "eu-west-1_CliTests1";
const CLIENT_ID: &str = "cli-test-client";

/// Key generation is slow: one issuer (and one forger) for the whole file.
static ISSUER: LazyLock<TestIssuer> = LazyLock::new(|| TestIssuer::new(POOL_ID));
static TOKENS: LazyLock<Tokens> = LazyLock::new(|| Tokens::new(&ISSUER));

/// Tokens of [`ISSUER`] for [`CLIENT_ID`], genuine and refused.
struct Tokens {
    /// `alice`, in no group.
    user: String,
    /// `ada`, in `admins`.
    admin: String,
    /// `alice`'s, expired an hour ago.
    expired: String,
    /// `alice`'s, issued to another app client.
    other_client: String,
    /// Names the pool's key but is signed with another one.
    forged: String,
    /// An ID token of `alice`.
    id_token: String,
}

impl Tokens {
    fn new(issuer: &TestIssuer) -> Self {
        let user = || issuer.access_token(CLIENT_ID).claim("username", "alice");
        Self {
            user: user().sign(),
            admin: issuer
                .access_token(CLIENT_ID)
                .claim("username", "ada")
                .group("admins")
                .sign(),
            expired: user().expires_in(-3600).sign(),
            other_client: issuer
                .access_token("someone-elses-client")
                .claim("username", "alice")
                .sign(),
            forged: user()
                .group("admins")
                .sign_with(&TestKey::generate("forger")),
            id_token: issuer
                .id_token(CLIENT_ID)
                .claim("cognito:username", "alice")
                .sign(),
        }
    }
}

/// A key-set server on 127.0.0.1, laid out like the emulators'
/// (`/<pool id>/.well-known/jwks.json`; 404 elsewhere). Its thread serves
/// until the test binary exits.
struct KeySetServer {
    url: String,
}

impl KeySetServer {
    fn start(document: String) -> Self {
        let path = format!("/{POOL_ID}/.well-known/jwks.json");
        let address = support::serve(path.clone(), "application/json", document);
        Self {
            url: format!("http://{address}{path}"),
        }
    }

    fn url(&self) -> &str {
        &self.url
    }
}

/// A key-set URL on a port where nothing listens.
fn closed_port_url() -> String {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        listener.local_addr().expect("its address").port()
    };
    format!("http://127.0.0.1:{port}/{POOL_ID}/.well-known/jwks.json")
}

/// `verify` with the pool and client on the command line.
fn verify_args<'a>(jwks_uri: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "verify",
        "--user-pool-id",
        POOL_ID,
        "--client-id",
        CLIENT_ID,
        "--jwks-uri",
        jwks_uri,
    ];
    args.extend_from_slice(extra);
    args
}

#[test]
fn exit_0_prints_the_verified_claims_as_one_json_object() {
    let jwks = KeySetServer::start(ISSUER.jwks_json());
    let run = cli(&verify_args(jwks.url(), &[&TOKENS.admin]), &[], None);
    assert_eq!(run.code, 0, "{run:?}");
    let claims: Value = serde_json::from_str(run.stdout.trim()).expect("one JSON object");
    assert_eq!(claims["username"], "ada");
    assert_eq!(claims["client_id"], CLIENT_ID);
    assert_eq!(claims["cognito:groups"][0], "admins");
    assert_eq!(run.stdout.trim().lines().count(), 1);

    let in_group = cli(
        &verify_args(
            jwks.url(),
            &["--group", "admins", "--token-use", "access", &TOKENS.admin],
        ),
        &[],
        None,
    );
    assert_eq!(in_group.code, 0, "{in_group:?}");
}

#[test]
fn exit_0_with_configuration_from_the_environment() {
    let jwks = KeySetServer::start(ISSUER.jwks_json());
    let clients = format!("some-other-client, {CLIENT_ID}");
    let env = [
        ("COGNITO_USER_POOL_ID", POOL_ID),
        ("COGNITO_CLIENT_ID", clients.as_str()),
        ("COGNITO_JWKS_URI", jwks.url()),
        ("COGNITO_TOKEN_USE", "access"),
    ];
    let run = cli(&["verify", &TOKENS.user], &env, None);
    assert_eq!(run.code, 0, "{run:?}");
    let claims: Value = serde_json::from_str(run.stdout.trim()).unwrap();
    assert_eq!(claims["username"], "alice");
}

#[test]
fn resource_binding_from_options_and_the_environment() {
    const ORDERS: &str = "https://orders.example.com";
    let jwks = KeySetServer::start(ISSUER.jwks_json());
    let bound = ISSUER.access_token(CLIENT_ID).claim("aud", ORDERS).sign();
    let elsewhere = ISSUER
        .access_token(CLIENT_ID)
        .claim("aud", "https://billing.example.com")
        .sign();
    let refused = |args: &[&str], env: &[(&str, &str)]| {
        let run = cli(&verify_args(jwks.url(), args), env, None);
        assert_eq!(run.code, 1, "{args:?} {env:?}: {run:?}");
        assert!(
            run.stderr.starts_with("rejected: invalid_audience: "),
            "{run:?}"
        );
    };
    let accepted = |args: &[&str], env: &[(&str, &str)]| {
        let run = cli(&verify_args(jwks.url(), args), env, None);
        assert_eq!(run.code, 0, "{args:?} {env:?}: {run:?}");
    };
    // Unbound by default: a bound token is refused, an unbound one passes.
    refused(&[&bound], &[]);
    accepted(&[&TOKENS.user], &[]);
    accepted(&["--resource", ORDERS, &bound], &[]);
    accepted(&[&bound], &[("COGNITO_RESOURCE", ORDERS)]);
    refused(&["--resource", ORDERS, &elsewhere], &[]);
    refused(&["--resource", ORDERS, &TOKENS.user], &[]);
    accepted(
        &[
            "--resource",
            ORDERS,
            "--unbound-client",
            CLIENT_ID,
            &TOKENS.user,
        ],
        &[],
    );
    accepted(
        &[&TOKENS.user],
        &[
            (
                "COGNITO_RESOURCE",
                "https://billing.example.com, https://orders.example.com",
            ),
            ("COGNITO_UNBOUND_CLIENTS", CLIENT_ID),
        ],
    );
    let useless = cli(
        &verify_args(jwks.url(), &["--unbound-client", CLIENT_ID, &TOKENS.user]),
        &[],
        None,
    );
    assert_eq!(useless.code, 2, "{useless:?}");
    assert!(
        useless
            .stderr
            .starts_with("error: --unbound-client / COGNITO_UNBOUND_CLIENTS: "),
        "{useless:?}"
    );
}

#[test]
fn token_from_stdin_with_a_bearer_prefix() {
    let jwks = KeySetServer::start(ISSUER.jwks_json());
    let input = format!("  Bearer {}\n", TOKENS.user);
    for args in [
        verify_args(jwks.url(), &[]),
        verify_args(jwks.url(), &["-"]),
    ] {
        let run = cli(&args, &[], Some(&input));
        assert_eq!(run.code, 0, "{args:?}: {run:?}");
        let claims: Value = serde_json::from_str(run.stdout.trim()).unwrap();
        assert_eq!(claims["username"], "alice");
    }
    let lower_case = format!("bearer {}", TOKENS.user);
    let run = cli(&verify_args(jwks.url(), &[]), &[], Some(&lower_case));
    assert_eq!(run.code, 0, "{run:?}");
}

#[test]
fn exit_1_names_the_kind_of_every_rejection() {
    let jwks = KeySetServer::start(ISSUER.jwks_json());
    let cases: [(&str, Vec<&str>, &str); 6] = [
        ("expired", vec![&TOKENS.expired], "rejected: expired: "),
        (
            "forged",
            vec![&TOKENS.forged],
            "rejected: invalid_signature: ",
        ),
        (
            "other client",
            vec![&TOKENS.other_client],
            "rejected: invalid_audience: ",
        ),
        (
            "ID token, access required",
            vec!["--token-use", "access", &TOKENS.id_token],
            "rejected: invalid_token_use: ",
        ),
        (
            "not in the group",
            vec!["--group", "admins", &TOKENS.user],
            "rejected: missing_group: ",
        ),
        (
            "no such scope",
            vec!["--scope", "feed/write", &TOKENS.user],
            "rejected: missing_scope: ",
        ),
    ];
    for (name, extra, expected) in cases {
        let run = cli(&verify_args(jwks.url(), &extra), &[], None);
        assert_eq!(run.code, 1, "{name}: {run:?}");
        assert!(
            run.stderr.lines().any(|line| line.starts_with(expected)),
            "{name}: {run:?}"
        );
        assert!(run.stdout.is_empty(), "{name}: no claims on stdout");
        assert_no_token(&run, extra.last().unwrap());
    }
    let garbage = cli(&verify_args(jwks.url(), &["not.a.jwt"]), &[], None);
    assert_eq!(garbage.code, 1, "{garbage:?}");
    assert!(
        garbage.stderr.starts_with("rejected: malformed: "),
        "{garbage:?}"
    );
}

#[test]
fn id_tokens_verify_with_token_use_id_or_any() {
    let jwks = KeySetServer::start(ISSUER.jwks_json());
    for token_use in [&["--token-use", "id"][..], &[]] {
        let mut extra = token_use.to_vec();
        extra.push(&TOKENS.id_token);
        let run = cli(&verify_args(jwks.url(), &extra), &[], None);
        assert_eq!(run.code, 0, "{token_use:?}: {run:?}");
    }
}

#[test]
fn exit_2_for_usage_and_configuration_errors() {
    let token = TOKENS.user.as_str();
    // (what, arguments, expected text on stderr)
    let cases: [(&str, Vec<&str>, &str); 8] = [
        (
            "no pool id",
            vec!["verify", "--client-id", "c", token],
            "--user-pool-id / COGNITO_USER_POOL_ID is required",
        ),
        (
            "no client id",
            vec!["verify", "--user-pool-id", POOL_ID, token],
            "--client-id / COGNITO_CLIENT_ID is required",
        ),
        (
            "malformed pool id",
            vec![
                "verify",
                "--user-pool-id",
                "not-a-pool",
                "--client-id",
                "c",
                token,
            ],
            "--user-pool-id / COGNITO_USER_POOL_ID",
        ),
        (
            "unknown token use",
            vec![
                "verify",
                "--user-pool-id",
                POOL_ID,
                "--client-id",
                "c",
                "--token-use",
                "refresh",
                token,
            ],
            "--token-use / COGNITO_TOKEN_USE",
        ),
        (
            "leeway over 300 s",
            vec![
                "verify",
                "--user-pool-id",
                POOL_ID,
                "--client-id",
                "c",
                "--leeway",
                "3600",
                token,
            ],
            "--leeway",
        ),
        (
            "malformed key-set URL",
            vec![
                "verify",
                "--user-pool-id",
                POOL_ID,
                "--client-id",
                "c",
                "--jwks-uri",
                "ftp://x",
                token,
            ],
            "--jwks-uri / COGNITO_JWKS_URI",
        ),
        (
            "unknown issuer hosts",
            vec![
                "verify",
                "--user-pool-id",
                POOL_ID,
                "--client-id",
                "c",
                "--issuer-hosts",
                "all",
                token,
            ],
            "--issuer-hosts / COGNITO_ISSUER_HOSTS",
        ),
        (
            "issuer hosts beside an issuer override",
            vec![
                "verify",
                "--user-pool-id",
                POOL_ID,
                "--client-id",
                "c",
                "--issuer",
                "http://127.0.0.1:9229/local_abc",
                "--issuer-hosts",
                "original",
                token,
            ],
            "--issuer-hosts / COGNITO_ISSUER_HOSTS",
        ),
    ];
    for (name, args, expected) in cases {
        let run = cli(&args, &[], None);
        assert_eq!(run.code, 2, "{name}: {run:?}");
        assert!(run.stderr.contains(expected), "{name}: {run:?}");
        assert!(run.stdout.is_empty(), "{name}");
    }
}

#[test]
fn exit_2_with_a_rename_hint_for_a_misspelt_variable() {
    let env = [
        ("COGNITO_USERPOOL_ID", POOL_ID),
        ("COGNITO_CLIENT_ID", CLIENT_ID),
    ];
    let run = cli(&["verify", &TOKENS.user], &env, None);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("COGNITO_USER_POOL_ID"), "{run:?}");
    assert!(
        run.stderr
            .contains("COGNITO_USERPOOL_ID is set: rename it to COGNITO_USER_POOL_ID"),
        "{run:?}"
    );
    assert!(!run.stderr.contains("did you mean"), "{run:?}");
}

#[test]
fn exit_2_without_a_token_or_with_bad_usage() {
    let config = [
        "verify",
        "--user-pool-id",
        POOL_ID,
        "--client-id",
        CLIENT_ID,
    ];
    let empty = cli(&config, &[], None);
    assert_eq!(empty.code, 2, "{empty:?}");
    assert!(empty.stderr.contains("no token given"), "{empty:?}");

    let blank = cli(&config, &[], Some("Bearer   \n"));
    assert_eq!(blank.code, 2, "{blank:?}");

    for args in [&["frobnicate"][..], &["verify", "--no-such-option"], &[]] {
        let run = cli(args, &[], None);
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
    }
}

#[test]
fn exit_3_when_the_key_set_is_unavailable() {
    let down = closed_port_url();
    let run = cli(&verify_args(&down, &[&TOKENS.user]), &[], None);
    assert_eq!(run.code, 3, "{run:?}");
    assert!(
        run.stderr
            .lines()
            .any(|line| line.starts_with("unavailable: ")),
        "{run:?}"
    );
    assert!(
        run.stderr.contains(&down),
        "the message names the URL: {run:?}"
    );
    assert_no_token(&run, &TOKENS.user);
}

#[test]
fn inspect_labels_the_output_unverified_and_words_the_expiry() {
    let run = cli(&["inspect", &TOKENS.admin], &[], None);
    assert_eq!(run.code, 0, "{run:?}");
    let first = run.stdout.lines().next().unwrap();
    assert!(first.starts_with("UNVERIFIED"), "{run:?}");
    assert!(run.stdout.contains("\"kid\""), "the header: {run:?}");
    assert!(
        run.stdout.contains("\"username\": \"ada\""),
        "the claims: {run:?}"
    );
    assert!(
        run.stdout.contains("expiry: expires in 59 min")
            || run.stdout.contains("expiry: expires in 60 min"),
        "{run:?}"
    );
    assert!(run.stdout.contains("token_use: access"), "{run:?}");
    assert!(run.stdout.contains(&format!("issuer: {}", ISSUER.issuer())));

    let long_expired = ISSUER
        .access_token(CLIENT_ID)
        .expires_in(-3 * 86_400 - 60)
        .sign();
    let run = cli(&["inspect"], &[], Some(&format!("Bearer {long_expired}\n")));
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("expiry: EXPIRED 3 days ago"), "{run:?}");

    let no_exp = ISSUER.access_token(CLIENT_ID).without("exp").sign();
    let run = cli(&["inspect", &no_exp], &[], None);
    assert!(run.stdout.contains("no numeric exp claim"), "{run:?}");
}

#[test]
fn inspect_refuses_what_is_not_a_jwt() {
    for (token, expected) in [
        ("abc.def", "3 dot-separated segments"),
        ("!!!.e30.sig", "the header is not base64url"),
        ("e30.bm90IGpzb24.sig", "the payload is not JSON"),
    ] {
        let run = cli(&["inspect", token], &[], None);
        assert_eq!(run.code, 1, "{token}: {run:?}");
        assert!(run.stderr.starts_with("rejected: malformed: "), "{run:?}");
        assert!(run.stderr.contains(expected), "{token}: {run:?}");
    }
}

/// `jwks` for [`POOL_ID`], fetching from `jwks_uri`.
fn jwks_args(jwks_uri: &str) -> Vec<&str> {
    vec!["jwks", "--user-pool-id", POOL_ID, "--jwks-uri", jwks_uri]
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

/// A verifier for [`ISSUER`]'s access tokens that cannot fetch: it knows
/// only the keys it is given.
fn offline_verifier() -> CognitoJwtVerifier {
    CognitoJwtVerifier::builder()
        .user_pool(
            UserPool::new(POOL_ID)
                .client_id(CLIENT_ID)
                .token_use(TokenUse::Access),
        )
        .fetcher(UnreachableJwks)
        .build()
        .expect("verifier configuration")
}

#[test]
fn jwks_prints_the_served_key_set_with_fetched_at_and_it_verifies_tokens() {
    let served = ISSUER.jwks_json();
    let jwks = KeySetServer::start(served.clone());
    let before = unix_now();
    let run = cli(&jwks_args(jwks.url()), &[], None);
    let after = unix_now();
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.is_empty(), "{run:?}");

    let seed: Value = serde_json::from_str(&run.stdout).expect("one JSON document");
    let served_json: Value = serde_json::from_str(&served).expect("JSON");
    assert_eq!(seed["keys"], served_json["keys"], "the keys as served");
    let fetched_at = seed["fetched_at"].as_u64().expect("integer seconds");
    assert!((before..=after).contains(&fetched_at), "{fetched_at}");
    assert_eq!(
        seed.as_object().map(|o| o.len()),
        Some(2),
        "keys and fetched_at only: {seed}"
    );
    let served_members = served.trim_end().strip_suffix('}').expect("an object");
    assert!(
        run.stdout.starts_with(served_members),
        "the served text is kept byte for byte: {run:?}"
    );

    let verifier = offline_verifier();
    assert_eq!(verifier.cache_jwks(POOL_ID, &run.stdout), Ok(1));
    let claims: AccessTokenClaims = verifier.verify_sync(&TOKENS.user).expect("verifies");
    assert_eq!(claims.username(), Some("alice"));
}

#[test]
fn jwks_with_settings_from_the_environment() {
    let jwks = KeySetServer::start(ISSUER.jwks_json());
    let env = [
        ("COGNITO_USER_POOL_ID", POOL_ID),
        ("COGNITO_JWKS_URI", jwks.url()),
    ];
    let run = cli(&["jwks"], &env, None);
    assert_eq!(run.code, 0, "{run:?}");
    let seed: Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert!(seed["fetched_at"].is_u64(), "{seed}");
}

#[test]
fn jwks_exit_3_when_the_key_set_cannot_be_fetched_or_used() {
    let down = closed_port_url();
    let served = KeySetServer::start(ISSUER.jwks_json());
    let wrong_path = served.url().replace("/.well-known/", "/elsewhere/");
    let ec_only = json!({ "keys": [{ "kty": "EC", "kid": "k", "crv": "P-256" }] });
    let no_usable_key = KeySetServer::start(ec_only.to_string());
    let not_json = KeySetServer::start("<html>sign in</html>".to_owned());
    let already_a_seed = KeySetServer::start(format!(
        r#"{{"keys":{},"fetched_at":1}}"#,
        json!([ISSUER.key().jwk()])
    ));
    // (what, URL, expected text on stderr)
    let cases = [
        (
            "nothing listens",
            down.as_str(),
            "cannot fetch the key set at",
        ),
        ("HTTP 404", wrong_path.as_str(), "404"),
        (
            "no usable key",
            no_usable_key.url(),
            "no usable signing key for RS256",
        ),
        ("not JSON", not_json.url(), "not a JSON object"),
        ("a seed file", already_a_seed.url(), "fetched_at"),
    ];
    for (name, url, expected) in cases {
        let run = cli(&jwks_args(url), &[], None);
        assert_eq!(run.code, 3, "{name}: {run:?}");
        assert!(run.stderr.starts_with("unavailable: "), "{name}: {run:?}");
        assert!(run.stderr.contains(expected), "{name}: {run:?}");
        assert!(run.stderr.contains(url), "{name}: names the URL: {run:?}");
        assert!(run.stdout.is_empty(), "{name}: nothing printed");
    }
}

#[test]
fn jwks_fetches_the_aws_url_by_default() {
    // A proxy that refuses connections keeps the request on 127.0.0.1.
    let proxy = closed_port_url();
    let run = cli(
        &["jwks", "--user-pool-id", POOL_ID],
        &[("HTTPS_PROXY", &proxy)],
        None,
    );
    assert_eq!(run.code, 3, "{run:?}");
    let expected =
        format!("https://cognito-idp.eu-west-1.amazonaws.com/{POOL_ID}/.well-known/jwks.json");
    assert!(run.stderr.contains(&expected), "{run:?}");
}

#[test]
fn jwks_exit_2_for_usage_and_configuration_errors() {
    // (what, arguments, expected text on stderr)
    let cases: [(&str, Vec<&str>, &str); 3] = [
        (
            "no pool id",
            vec!["jwks"],
            "--user-pool-id / COGNITO_USER_POOL_ID is required",
        ),
        (
            "malformed pool id",
            vec!["jwks", "--user-pool-id", "not-a-pool"],
            "--user-pool-id / COGNITO_USER_POOL_ID",
        ),
        (
            "malformed key-set URL",
            vec!["jwks", "--user-pool-id", POOL_ID, "--jwks-uri", "ftp://x"],
            "--jwks-uri / COGNITO_JWKS_URI",
        ),
    ];
    for (name, args, expected) in cases {
        let run = cli(&args, &[], None);
        assert_eq!(run.code, 2, "{name}: {run:?}");
        assert!(run.stderr.contains(expected), "{name}: {run:?}");
        assert!(run.stdout.is_empty(), "{name}");
    }

    let misspelt = cli(&["jwks"], &[("COGNITO_USERPOOL_ID", POOL_ID)], None);
    assert_eq!(misspelt.code, 2, "{misspelt:?}");
    assert!(
        misspelt
            .stderr
            .contains("COGNITO_USERPOOL_ID is set: rename it to COGNITO_USER_POOL_ID"),
        "{misspelt:?}"
    );
}

#[test]
fn help_names_every_subcommand_and_the_seed_file_variable() {
    let run = cli(&["--help"], &[], None);
    assert_eq!(run.code, 0, "{run:?}");
    for subcommand in ["verify", "inspect", "jwks"] {
        assert!(run.stdout.contains(subcommand), "{subcommand}: {run:?}");
    }
    let jwks = cli(&["jwks", "--help"], &[], None);
    assert_eq!(jwks.code, 0, "{jwks:?}");
    assert!(jwks.stdout.contains("COGNITO_JWKS_FILE"), "{jwks:?}");
}

/// An OpenID Connect provider on 127.0.0.1: its discovery document at
/// `/realm/.well-known/openid-configuration` (issuer `http://…/realm`) and
/// `keys` at `/realm/keys`; 404 elsewhere.
struct OidcServer {
    issuer: String,
}

impl OidcServer {
    fn start(keys: &[Value]) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        let address = listener.local_addr().expect("its address");
        let issuer = format!("http://{address}/realm");
        let discovery = json!({ "issuer": issuer, "jwks_uri": format!("{issuer}/keys") });
        let routes = [
            (
                "/realm/.well-known/openid-configuration".to_owned(),
                discovery.to_string(),
            ),
            (
                "/realm/keys".to_owned(),
                json!({ "keys": keys }).to_string(),
            ),
        ];
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                // Peek at the request line; `respond` reads the request.
                let mut head = [0; 256];
                let read = stream.peek(&mut head).unwrap_or(0);
                let request_line = String::from_utf8_lossy(&head[..read]);
                let path = request_line.split(' ').nth(1).unwrap_or("");
                match routes.iter().find(|(p, _)| p == path) {
                    Some((p, document)) => {
                        support::respond(stream, p, "application/json", document)
                    }
                    None => support::respond(stream, "/nowhere", "application/json", ""),
                }
            }
        });
        Self { issuer }
    }
}

const AUDIENCE: &str = "orders-api";

fn oidc_token(key: &TestCurveKey, typ: &str, claims: &Value) -> String {
    let header = json!({ "alg": "ES256", "kid": key.kid(), "typ": typ });
    key.sign_parts(&header.to_string(), &claims.to_string())
}

fn oidc_claims(issuer: &str) -> Value {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_secs();
    json!({
        "iss": issuer, "sub": "user-1", "aud": AUDIENCE, "client_id": "web",
        "exp": now + 600, "iat": now - 5, "jti": "j-1", "scope": "orders:read",
    })
}

/// `oidc verify` of the local provider, ES256 allowed, http permitted.
fn oidc_args<'a>(issuer: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "oidc",
        "verify",
        "--issuer",
        issuer,
        "--audience",
        AUDIENCE,
        "--algorithm",
        "ES256",
        "--allow-http",
    ];
    args.extend_from_slice(extra);
    args
}

#[test]
fn oidc_verify_exit_0_prints_the_claims_found_by_discovery() {
    let key = TestCurveKey::es256("es-1");
    let server = OidcServer::start(&[key.jwk()]);
    let token = oidc_token(&key, "JWT", &oidc_claims(&server.issuer));
    let run = cli(&oidc_args(&server.issuer, &[&token]), &[], None);
    assert_eq!(run.code, 0, "{run:?}");
    let claims: Value = serde_json::from_str(run.stdout.trim()).expect("one JSON object");
    assert_eq!(claims["sub"], "user-1");
    assert_eq!(run.stdout.trim().lines().count(), 1);

    // The environment, audiences comma-separated, the token on stdin.
    let env = [
        ("OIDC_ISSUER", server.issuer.as_str()),
        ("OIDC_AUDIENCE", "other-api, orders-api"),
        ("OIDC_JWKS_URI", &format!("{}/keys", server.issuer)),
    ];
    let run = cli(
        &["oidc", "verify", "--algorithm", "ES256", "--allow-http"],
        &env,
        Some(&format!("Bearer {token}\n")),
    );
    assert_eq!(run.code, 0, "{run:?}");

    // RFC 9068 profile and scopes.
    let access = oidc_token(&key, "at+jwt", &oidc_claims(&server.issuer));
    let profile = ["--access-token-profile", "--scope", "orders:read"];
    let run = cli(
        &oidc_args(&server.issuer, &[&profile[..], &[access.as_str()]].concat()),
        &[],
        None,
    );
    assert_eq!(run.code, 0, "{run:?}");
}

#[test]
fn oidc_verify_exit_1_names_the_kind() {
    let key = TestCurveKey::es256("es-1");
    let server = OidcServer::start(&[key.jwk()]);
    let mut wrong_audience = oidc_claims(&server.issuer);
    wrong_audience["aud"] = json!("billing-api");
    let forged = TestCurveKey::es256("es-1");
    let good = oidc_token(&key, "JWT", &oidc_claims(&server.issuer));
    let cases = [
        (
            oidc_token(&key, "JWT", &wrong_audience),
            vec![],
            "rejected: invalid_audience: ",
        ),
        (
            oidc_token(&forged, "JWT", &oidc_claims(&server.issuer)),
            vec![],
            "rejected: invalid_signature: ",
        ),
        (
            good.clone(),
            vec!["--access-token-profile"],
            "rejected: invalid_token_use: ",
        ),
        (
            good.clone(),
            vec!["--scope", "orders:write"],
            "rejected: missing_scope: ",
        ),
    ];
    for (token, extra, expected) in cases {
        let run = cli(
            &oidc_args(&server.issuer, &[&extra[..], &[token.as_str()]].concat()),
            &[],
            None,
        );
        assert_eq!(run.code, 1, "{expected}: {run:?}");
        assert!(run.stderr.starts_with(expected), "{expected}: {run:?}");
        assert!(run.stdout.is_empty());
        assert_no_token(&run, &token);
    }
    // RS256 only by default: an ES256 token is refused before any fetch.
    let run = cli(
        &[
            "oidc",
            "verify",
            "--issuer",
            &server.issuer,
            "--audience",
            AUDIENCE,
            "--allow-http",
            &good,
        ],
        &[],
        None,
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.starts_with("rejected: unsupported_algorithm: "));
}

#[test]
fn oidc_verify_exit_2_for_usage_and_configuration() {
    let key = TestCurveKey::es256("es-1");
    let token = oidc_token(&key, "JWT", &oidc_claims("https://id.example.com"));
    let cases: [(&[&str], &str); 5] = [
        (
            &["oidc", "verify", "--audience", AUDIENCE],
            "--issuer / OIDC_ISSUER",
        ),
        (
            &["oidc", "verify", "--issuer", "https://id.example.com"],
            "--audience / OIDC_AUDIENCE",
        ),
        (
            &[
                "oidc",
                "verify",
                "--issuer",
                "http://id.example.com",
                "--audience",
                "a",
            ],
            "--issuer / OIDC_ISSUER",
        ),
        (
            &[
                "oidc",
                "verify",
                "--issuer",
                "https://id.example.com",
                "--audience",
                "a",
                "--algorithm",
                "HS256",
            ],
            "--algorithm",
        ),
        (
            &[
                "oidc",
                "verify",
                "--issuer",
                "https://id.example.com",
                "--audience",
                "a",
                "--leeway",
                "301",
            ],
            "--leeway",
        ),
    ];
    for (args, option) in cases {
        let run = cli(&[args, &[token.as_str()]].concat(), &[], None);
        assert_eq!(run.code, 2, "{option}: {run:?}");
        assert!(run.stderr.starts_with("error: "), "{option}: {run:?}");
        assert!(run.stderr.contains(option), "{option}: {run:?}");
    }
}

#[test]
fn oidc_verify_exit_3_when_the_key_set_is_unavailable() {
    let key = TestCurveKey::es256("es-1");
    let issuer = closed_port_url().replace(&format!("/{POOL_ID}/.well-known/jwks.json"), "");
    let token = oidc_token(&key, "JWT", &oidc_claims(&issuer));
    let run = cli(&oidc_args(&issuer, &[&token]), &[], None);
    assert_eq!(run.code, 3, "{run:?}");
    assert!(run.stderr.starts_with("unavailable: "), "{run:?}");
    assert!(run.stdout.is_empty());
}

#[test]
fn claim_rules_and_step_up_options() {
    let jwks = KeySetServer::start(ISSUER.jwks_json());
    let now = unix_now();
    let token = ISSUER
        .access_token(CLIENT_ID)
        .claim("custom:tenant", "acme")
        .claim("tier", 2)
        .claim("acr", "phr")
        .claim("amr", json!(["pwd", "mfa"]))
        .claim("auth_time", now - 600)
        .sign();
    let passing = [
        vec!["--claim", "custom:tenant=acme|globex", "--claim", "tier:=2"],
        vec![
            "--claim",
            "custom:tenant=acme; tier:=2",
            "--acr",
            "phr",
            "--amr",
            "mfa",
        ],
        vec!["--max-age", "3600"],
    ];
    for extra in passing {
        let mut args = extra.clone();
        args.push(&token);
        let run = cli(&verify_args(jwks.url(), &args), &[], None);
        assert_eq!(run.code, 0, "{extra:?}: {run:?}");
    }
    let refused = [
        (
            vec!["--claim", "custom:tenant=globex"],
            "rejected: claim_mismatch: ",
        ),
        (vec!["--claim", "tier=2"], "rejected: claim_mismatch: "),
        (
            vec!["--acr", "phrh"],
            "rejected: insufficient_user_authentication: ",
        ),
        (
            vec!["--amr", "mfa", "--amr", "hwk"],
            "rejected: insufficient_user_authentication: ",
        ),
        (
            vec!["--max-age", "300"],
            "rejected: insufficient_user_authentication: ",
        ),
    ];
    for (extra, expected) in refused {
        let mut args = extra.clone();
        args.push(&token);
        let run = cli(&verify_args(jwks.url(), &args), &[], None);
        assert_eq!(run.code, 1, "{extra:?}: {run:?}");
        assert!(run.stderr.starts_with(expected), "{extra:?}: {run:?}");
        assert!(!run.stderr.contains("acme"), "no claim value: {run:?}");
        assert_no_token(&run, &token);
    }
    for (extra, option) in [
        (vec!["--claim", "custom:tenant"], "--claim"),
        (vec!["--claim", "tier:=two"], "--claim"),
        (vec!["--acr", " "], "--acr"),
        (vec!["--max-age", "0"], "--max-age"),
    ] {
        let mut args = extra.clone();
        args.push(&token);
        let run = cli(&verify_args(jwks.url(), &args), &[], None);
        assert_eq!(run.code, 2, "{extra:?}: {run:?}");
        assert!(
            run.stderr.starts_with(&format!("error: {option}")),
            "{run:?}"
        );
    }
}

#[test]
fn oidc_verify_checks_a_dpop_bound_token_with_its_proof() {
    use cognito_jwt_core::Algorithm;
    use cognito_jwt_core::testing::DpopKey;

    let key = TestCurveKey::es256("es-1");
    let server = OidcServer::start(&[key.jwk()]);
    let client = DpopKey::generate(Algorithm::ES256);
    let mut claims = oidc_claims(&server.issuer);
    claims["cnf"] = json!({ "jkt": client.thumbprint() });
    let token = oidc_token(&key, "JWT", &claims);
    let url = "https://api.example.com/orders?page=2";
    let proof = client.proof("GET", url).access_token(&token).sign();
    let with_proof = |method: &'static str| {
        let args = [
            "--dpop-proof",
            proof.as_str(),
            "--method",
            method,
            "--url",
            url,
            token.as_str(),
        ];
        cli(&oidc_args(&server.issuer, &args), &[], None)
    };
    let run = with_proof("GET");
    assert_eq!(run.code, 0, "{run:?}");
    let printed: Value = serde_json::from_str(run.stdout.trim()).expect("one JSON object");
    assert_eq!(printed["cnf"]["jkt"], client.thumbprint());

    let run = with_proof("POST");
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.starts_with("rejected: invalid_dpop_proof: "),
        "{run:?}"
    );
    assert_no_token(&run, &token);
    assert_no_token(&run, &proof);

    let run = cli(&oidc_args(&server.issuer, &[&token]), &[], None);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.starts_with("rejected: dpop_required: "),
        "{run:?}"
    );

    let run = cli(
        &oidc_args(&server.issuer, &["--url", url, &token]),
        &[],
        None,
    );
    assert_eq!(run.code, 2, "{run:?}");
}
