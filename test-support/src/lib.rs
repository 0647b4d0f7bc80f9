//! Test tables and helpers shared by the test suites of the cognito-jwt
//! workspace; never published.
//!
//! The adapters (`cognito-jwt-axum`, `cognito-jwt-actix`), the examples and
//! the core's log tests run the same HTTP case table ([`cases`]) and the
//! same requests carrying attacker-chosen text ([`attacker_cases`]), so that
//! every way in answers identically (SECURITY-CASES sections E and 38).
//! Their log tests search what [`LogCapture`] kept for text that must never
//! be logged. What a user needs to test their own handlers is the core's `testing`
//! feature, not this crate.
//!
//! A test that needs a program from outside the Rust toolchain starts with
//! [`skip_unless_installed`]: without the program it prints a `SKIPPED`
//! line and passes, except under `CI=true`, where it fails.

use std::io;
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, PoisonError};

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cognito_jwt_core::http::ProtectedResourceMetadata;
use cognito_jwt_core::testing::{TestIssuer, TestKey, UnreachableJwks};
use cognito_jwt_core::{ClaimRule, CognitoJwtVerifier, Requirements, TokenUse};

mod dpop;
mod installed;
mod moto;
mod redis;

pub use dpop::{DPOP_ORIGIN, DPOP_PATH, DpopCase, DpopSuite, NONCE_SECRET, NONCE_WINDOW};
pub use installed::{find_program, skip, skip_unless_installed};
pub use moto::{MotoPool, MotoServer};
pub use redis::{RedisServer, free_port};

/// One row of the HTTP behaviour every adapter must share (SECURITY-CASES
/// section E): request headers in, status and challenge out. Adapters' test
/// suites run [`cases`] against themselves so both answer identically.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct HttpCase {
    /// What the case is about.
    pub name: &'static str,
    /// `Authorization` header values to send (each a separate header); may
    /// contain non-ASCII bytes.
    pub authorization: Vec<Vec<u8>>,
    /// Expected status.
    pub status: u16,
    /// Expected `error` code in `WWW-Authenticate`, `None` for a bare
    /// challenge; ignored for 503.
    pub bearer_error: Option<&'static str>,
    /// Parameters the challenge must carry besides `realm`, `error` and
    /// `error_description` (`acr_values="…"`, `max_age=…`), in order; the
    /// challenge carries no other.
    pub challenge_params: Vec<&'static str>,
}

/// The tokens a case table needs, minted by the caller's test issuer.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CaseTokens {
    /// A valid token without the required group.
    pub valid: String,
    /// A valid token in the required group.
    pub valid_in_group: String,
    /// An expired token.
    pub expired: String,
    /// A token of the wrong token use.
    pub wrong_use: String,
    /// A token with a forged signature.
    pub forged: String,
}

impl CaseTokens {
    /// Tokens for the cases, for an issuer whose verifier accepts access
    /// tokens for `client_id` and a route that requires `group`.
    pub fn new(issuer: &TestIssuer, client_id: &str, group: &str) -> Self {
        let valid = issuer.access_token(client_id).sign();
        let forged = {
            let (rest, sig) = valid.rsplit_once('.').unwrap_or((&valid, ""));
            let flipped = if sig.starts_with('A') { "B" } else { "A" };
            format!("{rest}.{flipped}{}", sig.get(1..).unwrap_or(""))
        };
        Self {
            valid_in_group: issuer.access_token(client_id).group(group).sign(),
            expired: issuer.access_token(client_id).expires_in(-3600).sign(),
            wrong_use: issuer.id_token(client_id).sign(),
            forged,
            valid,
        }
    }

    /// Every token, to search answers and log lines for.
    pub fn all(&self) -> [&str; 5] {
        [
            &self.valid,
            &self.valid_in_group,
            &self.expired,
            &self.wrong_use,
            &self.forged,
        ]
    }
}

/// The shared case table for a route that requires a group. Unavailable
/// key sets (503) are tested separately, since they need a verifier without
/// keys.
pub fn cases(tokens: &CaseTokens) -> Vec<HttpCase> {
    let case = |name, authorization, status, bearer_error| HttpCase {
        name,
        authorization,
        status,
        bearer_error,
        challenge_params: Vec::new(),
    };
    vec![
        case("no authorization header", vec![], 401, None),
        case(
            "basic scheme",
            vec![b"Basic dXNlcjpwYXNz".to_vec()],
            401,
            None,
        ),
        case(
            "empty bearer token",
            vec![b"Bearer ".to_vec()],
            400,
            Some("invalid_request"),
        ),
        case(
            "bearer without token",
            vec![b"Bearer".to_vec()],
            400,
            Some("invalid_request"),
        ),
        case(
            "two authorization headers",
            vec![
                format!("Bearer {}", tokens.valid_in_group).into_bytes(),
                format!("Bearer {}", tokens.valid_in_group).into_bytes(),
            ],
            400,
            Some("invalid_request"),
        ),
        case(
            "non-ascii bytes",
            vec![b"Bearer \xc3\xa9t\xc3\xa9".to_vec()],
            400,
            Some("invalid_request"),
        ),
        case(
            "garbage token",
            bearer("not-a-jwt"),
            401,
            Some("invalid_token"),
        ),
        case(
            "expired token",
            bearer(&tokens.expired),
            401,
            Some("invalid_token"),
        ),
        case(
            "wrong token use",
            bearer(&tokens.wrong_use),
            401,
            Some("invalid_token"),
        ),
        case(
            "forged signature",
            bearer(&tokens.forged),
            401,
            Some("invalid_token"),
        ),
        case(
            "missing group",
            bearer(&tokens.valid),
            403,
            Some("insufficient_scope"),
        ),
        case(
            "lower-case scheme",
            vec![format!("bearer {}", tokens.valid_in_group).into_bytes()],
            200,
            None,
        ),
        case(
            "valid token in group",
            bearer(&tokens.valid_in_group),
            200,
            None,
        ),
    ]
}

/// The claim rule of the [`rule_cases`] route.
pub const TENANT_RULE: &str = "custom:tenant=acme";
/// The `acr` the [`rule_cases`] route accepts.
pub const RULE_ACR: &str = "phr";
/// The `amr` method the [`rule_cases`] route requires.
pub const RULE_AMR: &str = "mfa";
/// The maximum sign-in age of the [`rule_cases`] route.
pub const RULE_MAX_AUTH_AGE: Duration = Duration::from_secs(300);

/// The requirements of the [`rule_cases`] route: [`TENANT_RULE`], `acr`
/// [`RULE_ACR`], `amr` [`RULE_AMR`], signed in within
/// [`RULE_MAX_AUTH_AGE`].
///
/// # Panics
/// Never: the rule is valid.
#[allow(clippy::expect_used)]
pub fn rule_requirements() -> Requirements {
    Requirements::new()
        .claim(TENANT_RULE.parse().expect("a valid rule"))
        .any_acr(RULE_ACR)
        .all_amr(RULE_AMR)
        .max_auth_age(RULE_MAX_AUTH_AGE)
}

/// A verifier of `issuer`'s access tokens for `client_id` requiring
/// [`rule_requirements`] of every token, with a token cache, loading the
/// key set in-process.
///
/// # Panics
/// If the configuration is invalid.
#[allow(clippy::expect_used)]
pub fn rule_verifier(issuer: &TestIssuer, client_id: &str) -> CognitoJwtVerifier {
    let rule: ClaimRule = TENANT_RULE.parse().expect("a valid rule");
    CognitoJwtVerifier::builder()
        .user_pool(issuer.user_pool(client_id, TokenUse::Access))
        .require_claim(rule)
        .require_any_acr(RULE_ACR)
        .require_all_amr(RULE_AMR)
        .require_max_auth_age(RULE_MAX_AUTH_AGE)
        .token_cache_max_bytes(1024 * 1024)
        .fetcher(issuer.fetcher())
        .build()
        .expect("verifier configuration")
}

/// The shared table for a route with claim rules and step-up
/// ([`rule_requirements`]): genuine tokens refused 403 when a claim rule
/// fails and 401 `insufficient_user_authentication` (saying what the next
/// sign-in needs) when the sign-in is too weak or too old. Every token is
/// sent twice, so that the second answer comes from a token cache where
/// there is one.
pub fn rule_cases(issuer: &TestIssuer, client_id: &str) -> Vec<HttpCase> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let token = |changes: &[(&str, serde_json::Value)]| {
        let mut builder = issuer
            .access_token(client_id)
            .claim("custom:tenant", "acme")
            .claim("acr", RULE_ACR)
            .claim("amr", serde_json::json!(["pwd", RULE_AMR]))
            .claim("auth_time", now.saturating_sub(10));
        for (name, value) in changes {
            builder = if value.is_null() {
                builder.without(name)
            } else {
                builder.claim(name, value.clone())
            };
        }
        bearer(&builder.sign())
    };
    let step_up = vec![r#"acr_values="phr""#, "max_age=300"];
    let case = |name, authorization, status, bearer_error, challenge_params| HttpCase {
        name,
        authorization,
        status,
        bearer_error,
        challenge_params,
    };
    let null = serde_json::Value::Null;
    vec![
        case(
            "rules and sign-in as required",
            token(&[]),
            200,
            None,
            vec![],
        ),
        case(
            "another tenant",
            token(&[("custom:tenant", "tenant-planted-13".into())]),
            403,
            Some("insufficient_scope"),
            vec![],
        ),
        case(
            "tenant as a list",
            token(&[("custom:tenant", serde_json::json!(["acme"]))]),
            403,
            Some("insufficient_scope"),
            vec![],
        ),
        case(
            "no tenant",
            token(&[("custom:tenant", null.clone())]),
            403,
            Some("insufficient_scope"),
            vec![],
        ),
        case(
            "acr downgrade",
            token(&[("acr", "acr-planted-14".into())]),
            401,
            Some("insufficient_user_authentication"),
            step_up.clone(),
        ),
        case(
            "no second factor",
            token(&[("amr", serde_json::json!(["pwd"]))]),
            401,
            Some("insufficient_user_authentication"),
            step_up.clone(),
        ),
        case(
            "stale sign-in",
            token(&[("auth_time", now.saturating_sub(3600).into())]),
            401,
            Some("insufficient_user_authentication"),
            step_up.clone(),
        ),
        case(
            "no auth_time",
            token(&[("auth_time", null)]),
            401,
            Some("insufficient_user_authentication"),
            step_up,
        ),
        case(
            "expired",
            token(&[("exp", now.saturating_sub(60).into())]),
            401,
            Some("invalid_token"),
            vec![],
        ),
    ]
}

/// The resource of the [`resource_cases`] route (RFC 8707), its public URL.
pub const RESOURCE: &str = "https://orders.example.com";
/// The scope the [`resource_cases`] route requires.
pub const RESOURCE_SCOPE: &str = "orders/read";
/// An app client of the [`resource_cases`] pool whose tokens cannot be
/// bound (SDK sign-in).
pub const UNBOUND_CLIENT: &str = "unbound-sdk-client";
/// The `resource_metadata` parameter every 401 of the [`resource_cases`]
/// route carries.
pub const RESOURCE_METADATA_PARAM: &str =
    r#"resource_metadata="https://orders.example.com/.well-known/oauth-protected-resource""#;

/// A verifier of `issuer`'s access tokens for `client_id` and
/// [`UNBOUND_CLIENT`], bound to [`RESOURCE`] (tokens of `UNBOUND_CLIENT`
/// may carry no `aud`), with a token cache, loading the key set in-process.
///
/// # Panics
/// If the configuration is invalid.
#[allow(clippy::expect_used)]
pub fn resource_verifier(issuer: &TestIssuer, client_id: &str) -> CognitoJwtVerifier {
    CognitoJwtVerifier::builder()
        .user_pool(
            issuer
                .user_pool(client_id, TokenUse::Access)
                .client_id(UNBOUND_CLIENT)
                .resource(RESOURCE)
                .unbound_clients([UNBOUND_CLIENT]),
        )
        .token_cache_max_bytes(1024 * 1024)
        .fetcher(issuer.fetcher())
        .build()
        .expect("verifier configuration")
}

/// The metadata of the [`resource_cases`] route: [`RESOURCE`], the pool,
/// [`RESOURCE_SCOPE`].
///
/// # Panics
/// If the verifier is not bound to [`RESOURCE`].
#[allow(clippy::expect_used)]
pub fn resource_metadata(verifier: &CognitoJwtVerifier) -> ProtectedResourceMetadata {
    verifier
        .protected_resource_metadata(RESOURCE)
        .expect("the verifier is bound to RESOURCE")
        .scopes_supported([RESOURCE_SCOPE])
}

/// The shared table for a route of a resource server: a
/// [`resource_verifier`], [`RESOURCE_SCOPE`] required, the
/// [`resource_metadata`] named in the challenges. Every 401 names the
/// metadata; a 403 for the missing scope names the scope. Every token is
/// sent twice, so that the second answer comes from the token cache.
pub fn resource_cases(issuer: &TestIssuer, client_id: &str) -> Vec<HttpCase> {
    let token = |client: &str, aud: Option<&str>, scope: &str| {
        let builder = issuer.access_token(client).scope(scope);
        let builder = match aud {
            Some(aud) => builder.claim("aud", aud),
            None => builder,
        };
        bearer(&builder.sign())
    };
    let case = |name, authorization, status, bearer_error, challenge_params| HttpCase {
        name,
        authorization,
        status,
        bearer_error,
        challenge_params,
    };
    let metadata = vec![RESOURCE_METADATA_PARAM];
    vec![
        case(
            "bound here, with the scope",
            token(client_id, Some(RESOURCE), RESOURCE_SCOPE),
            200,
            None,
            vec![],
        ),
        case(
            "unbound client, with the scope",
            token(UNBOUND_CLIENT, None, RESOURCE_SCOPE),
            200,
            None,
            vec![],
        ),
        case("no token", vec![], 401, None, metadata.clone()),
        case(
            "basic scheme",
            vec![b"Basic dXNlcjpwYXNz".to_vec()],
            401,
            None,
            metadata.clone(),
        ),
        case(
            "bound to another resource",
            token(
                client_id,
                Some("https://billing.example.com"),
                RESOURCE_SCOPE,
            ),
            401,
            Some("invalid_token"),
            metadata.clone(),
        ),
        case(
            "no aud from a client that binds",
            token(client_id, None, RESOURCE_SCOPE),
            401,
            Some("invalid_token"),
            metadata.clone(),
        ),
        case(
            "expired",
            vec![
                format!(
                    "Bearer {}",
                    issuer
                        .access_token(client_id)
                        .claim("aud", RESOURCE)
                        .scope(RESOURCE_SCOPE)
                        .expires_in(-3600)
                        .sign()
                )
                .into_bytes(),
            ],
            401,
            Some("invalid_token"),
            metadata,
        ),
        case(
            "missing scope",
            token(client_id, Some(RESOURCE), "orders/write"),
            403,
            Some("insufficient_scope"),
            vec![r#"scope="orders/read""#],
        ),
        case(
            "empty bearer token",
            vec![b"Bearer ".to_vec()],
            400,
            Some("invalid_request"),
            vec![],
        ),
    ]
}

/// The parameters of a Bearer challenge after `error_description` (after
/// `realm` for a challenge without an error), as `name=value` texts.
pub fn challenge_params(challenge: &str) -> Vec<&str> {
    let after = |name: &str| {
        challenge
            .split_once(name)
            .and_then(|(_, rest)| rest.split_once('"'))
            .map(|(_, rest)| rest)
    };
    let rest = after("error_description=\"")
        .or_else(|| after("realm=\""))
        .unwrap_or("");
    rest.split(", ")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect()
}

/// One `Authorization` header carrying `token` with the `Bearer` scheme.
pub fn bearer(token: &str) -> Vec<Vec<u8>> {
    vec![format!("Bearer {token}").into_bytes()]
}

/// The `error` code of a `WWW-Authenticate` Bearer challenge, `None` for a
/// bare one.
pub fn bearer_error(challenge: &str) -> Option<&str> {
    let (_, rest) = challenge.split_once(", error=\"")?;
    rest.split('"').next()
}

/// A verifier of `issuer`'s access tokens for `client_id`, requiring
/// `group`, that loads the key set in-process on first use: an unknown
/// `kid` refetches without leaving the process.
///
/// # Panics
/// If the configuration is invalid.
#[allow(clippy::expect_used)]
pub fn serving_verifier(issuer: &TestIssuer, client_id: &str, group: &str) -> CognitoJwtVerifier {
    CognitoJwtVerifier::builder()
        .user_pool(issuer.user_pool(client_id, TokenUse::Access))
        .require_any_group(group)
        .fetcher(issuer.fetcher())
        .build()
        .expect("verifier configuration")
}

/// A verifier of `issuer`'s access tokens for `client_id` whose key set
/// cannot be fetched: what needs keys is answered 503.
///
/// # Panics
/// If the configuration is invalid.
#[allow(clippy::expect_used)]
pub fn unavailable_verifier(issuer: &TestIssuer, client_id: &str) -> CognitoJwtVerifier {
    CognitoJwtVerifier::builder()
        .user_pool(issuer.user_pool(client_id, TokenUse::Access))
        .fetcher(UnreachableJwks)
        .build()
        .expect("verifier configuration")
}

/// Text an attacker controls, planted in the `Authorization` headers and in
/// the token headers and claims of [`attacker_cases`]: none of it may come
/// back in an answer or a log line.
pub const PLANTED: &[&str] = &[
    "planted-attacker-01",
    "Planted-Scheme-02",
    "planted-basic-03",
    "kid-planted-04",
    "typ-planted-05",
    "iss-planted-06",
    "group-planted-07",
    "sub-planted-08",
    "planted-09",
    "planted-10",
    "planted-11",
    "user-planted-12",
    "tenant-planted-13",
    "acr-planted-14",
];

/// The key of the "unknown kid" case, which no issuer publishes. Key
/// generation is slow: one per process.
static STRANGER: LazyLock<TestKey> = LazyLock::new(|| TestKey::generate("kid-planted-04"));

/// One request carrying [`PLANTED`] text (SECURITY-CASES 38), and what a
/// route requiring a group answers to it. Adapters' test suites send each
/// of [`attacker_cases`] and search every answer and log line for
/// [`secrets_of`] the requests.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AttackerCase {
    /// What the case is about.
    pub name: &'static str,
    /// `Authorization` header values to send (each a separate header).
    pub authorization: Vec<Vec<u8>>,
    /// Expected status when the verifier can load the issuer's key set
    /// (e.g. through [`TestIssuer::fetcher`](TestIssuer::fetcher),
    /// so the unknown `kid` refetches without leaving the process).
    pub status: u16,
    /// Expected status when the key set cannot be fetched: whatever can be
    /// refused without it is refused alike, the rest is 503.
    pub status_without_keys: u16,
}

/// Requests carrying [`PLANTED`] text in the `Authorization` header and in
/// token headers and claims, for a verifier of `issuer` that accepts access
/// tokens for `client_id` and a route that requires `group`.
pub fn attacker_cases(issuer: &TestIssuer, client_id: &str, group: &str) -> Vec<AttackerCase> {
    let planted_claims = || {
        issuer
            .access_token(client_id)
            .claim("sub", "sub-planted-08")
            .claim("username", "user-planted-12")
    };
    let case = |name, authorization, status, status_without_keys| AttackerCase {
        name,
        authorization,
        status,
        status_without_keys,
    };
    vec![
        case("garbage token", bearer("planted-attacker-01"), 401, 401),
        case(
            "unknown scheme",
            vec![b"Planted-Scheme-02 abc".to_vec()],
            401,
            401,
        ),
        case("basic", vec![b"Basic planted-basic-03".to_vec()], 401, 401),
        case(
            "unknown kid",
            bearer(
                &planted_claims()
                    .header("kid", "kid-planted-04")
                    .sign_with(&STRANGER),
            ),
            401,
            503,
        ),
        case(
            "odd typ",
            bearer(&planted_claims().header("typ", "typ-planted-05").sign()),
            401,
            401,
        ),
        case(
            "other issuer",
            bearer(
                &planted_claims()
                    .claim("iss", "https://iss-planted-06.example/pool")
                    .sign(),
            ),
            401,
            401,
        ),
        case(
            "other group",
            bearer(&planted_claims().group("group-planted-07").sign()),
            403,
            503,
        ),
        case(
            "valid",
            bearer(&planted_claims().group(group).sign()),
            200,
            503,
        ),
        case(
            "tab in token",
            vec![b"Bearer planted-09\tx".to_vec()],
            400,
            400,
        ),
        case(
            "space in token",
            vec![b"Bearer planted-10 x".to_vec()],
            400,
            400,
        ),
        case(
            "two headers",
            vec![b"Bearer planted-11".to_vec(), b"Bearer planted-11".to_vec()],
            400,
            400,
        ),
    ]
}

/// What must never come back in an answer or a log line after sending
/// these `Authorization` header values: every [`PLANTED`] text, and each
/// value's token and token segments of 16 characters or more (shorter
/// ones may occur by chance).
pub fn secrets_of<'a>(authorization_values: impl IntoIterator<Item = &'a [u8]>) -> Vec<String> {
    let mut out: Vec<String> = PLANTED.iter().map(|p| (*p).to_owned()).collect();
    for value in authorization_values {
        let text = String::from_utf8_lossy(value);
        let token = text.split_once(' ').map_or(&*text, |(_, token)| token);
        if token.len() >= 16 {
            out.push(token.to_owned());
        }
        out.extend(
            token
                .split('.')
                .filter(|s| s.len() >= 16)
                .map(str::to_owned),
        );
    }
    out
}

/// An [`io::Write`] sink that keeps everything written to it, to search
/// formatted log lines for text that must never be logged. Clones share
/// one buffer: give the subscriber a clone per write and keep one to read.
///
/// ```
/// use cognito_jwt_test_support::LogCapture;
///
/// let logs = LogCapture::default();
/// let writer = logs.clone();
/// let subscriber = tracing_subscriber::fmt()
///     .with_ansi(false)
///     .with_writer(move || writer.clone())
///     .finish();
/// tracing::subscriber::with_default(subscriber, || tracing::info!("hello"));
/// assert!(logs.text().contains("hello"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct LogCapture(Arc<Mutex<Vec<u8>>>);

impl LogCapture {
    fn buffer(&self) -> MutexGuard<'_, Vec<u8>> {
        // A test that panicked while writing leaves whole lines behind.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A capture of every event of the process, at TRACE level and without
    /// colour: it installs the process's global tracing subscriber (for a
    /// test binary of its own: it sees every other test's events too).
    ///
    /// # Panics
    /// When a global subscriber is already set.
    pub fn global() -> Self {
        let capture = Self::default();
        let writer = capture.clone();
        tracing::subscriber::set_global_default(
            tracing_subscriber::fmt()
                .with_max_level(tracing::Level::TRACE)
                .with_ansi(false)
                .with_writer(move || writer.clone())
                .finish(),
        )
        .expect("the only global subscriber of this process");
        capture
    }

    /// Everything written so far (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.buffer()).into_owned()
    }

    /// Everything written so far, emptying the buffer.
    pub fn take(&self) -> String {
        let bytes = std::mem::take(&mut *self.buffer());
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl io::Write for LogCapture {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.buffer().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
