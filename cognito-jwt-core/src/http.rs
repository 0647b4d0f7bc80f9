//! Framework-free HTTP rules shared by the adapters: reading the bearer
//! token from request headers, verifying it ([`authenticate`],
//! [`authenticate_optional`]), and turning any outcome into one RFC 6750
//! answer (status, `WWW-Authenticate`, `Retry-After`, JSON body).
//!
//! Only plain bytes, strings and numbers cross this boundary, so adapters on
//! different `http` crate versions (axum on 1.x, actix-web on 0.2) render
//! the same answer.

use std::fmt;

use crate::error::{Error, ErrorKind, HttpClass};

mod authenticate;

pub use authenticate::{authenticate, authenticate_optional};

/// Where an adapter reads the token from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum TokenSource {
    /// `Authorization: Bearer <token>` (the default).
    #[default]
    AuthorizationHeader,
    /// A cookie with this name (e.g. for browser sessions). The
    /// `Authorization` header is used instead when present.
    Cookie(String),
}

/// Why a request is malformed (HTTP 400 `invalid_request`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum InvalidRequest {
    /// More than one `Authorization` header.
    MultipleAuthorizationHeaders,
    /// The header has bytes outside visible ASCII.
    NotVisibleAscii,
    /// `Bearer` with no token after it.
    EmptyToken,
    /// The token has characters a bearer token cannot have.
    InvalidTokenSyntax,
}

impl InvalidRequest {
    /// A fixed description, safe to send to the client.
    pub const fn description(self) -> &'static str {
        match self {
            InvalidRequest::MultipleAuthorizationHeaders => "send exactly one Authorization header",
            InvalidRequest::NotVisibleAscii => "the Authorization header must be visible ASCII",
            InvalidRequest::EmptyToken => "the bearer token is empty",
            InvalidRequest::InvalidTokenSyntax => "the bearer token has invalid characters",
        }
    }
}

/// Why an adapter refused a request: the one value both adapters render.
///
/// Build it with [`bearer_token`] or [`AuthRejection::from`] an [`Error`],
/// then read [`status`](Self::status),
/// [`www_authenticate`](Self::www_authenticate),
/// [`retry_after_secs`](Self::retry_after_secs) and
/// [`body_json`](Self::body_json).
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthRejection {
    /// No credentials were sent (no `Authorization` header, another scheme
    /// such as `Basic`, or no token cookie).
    Missing,
    /// The request itself is malformed.
    InvalidRequest(InvalidRequest),
    /// The token was refused or could not be checked.
    Token(Error),
}

impl fmt::Debug for AuthRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthRejection::Missing => f.write_str("Missing"),
            AuthRejection::InvalidRequest(r) => f.debug_tuple("InvalidRequest").field(r).finish(),
            AuthRejection::Token(e) => f.debug_tuple("Token").field(&e.kind()).finish(),
        }
    }
}

impl fmt::Display for AuthRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthRejection::Missing => f.write_str("no bearer token in the request"),
            AuthRejection::InvalidRequest(r) => f.write_str(r.description()),
            AuthRejection::Token(e) => fmt::Display::fmt(e, f),
        }
    }
}

impl std::error::Error for AuthRejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            AuthRejection::Token(e) => Some(e),
            _ => None,
        }
    }
}

impl From<Error> for AuthRejection {
    fn from(error: Error) -> Self {
        AuthRejection::Token(error)
    }
}

/// The default `realm` of the `WWW-Authenticate` challenge.
pub const DEFAULT_REALM: &str = "api";

impl AuthRejection {
    /// Whether no credentials were sent at all (the case an optional
    /// extractor turns into `None`).
    pub fn is_missing(&self) -> bool {
        matches!(self, AuthRejection::Missing)
    }

    /// The verification error kind, when a token was checked.
    pub fn kind(&self) -> Option<ErrorKind> {
        match self {
            AuthRejection::Token(e) => Some(e.kind()),
            _ => None,
        }
    }

    /// The HTTP meaning.
    pub fn http_class(&self) -> HttpClass {
        match self {
            AuthRejection::Missing => HttpClass::MissingCredentials,
            AuthRejection::InvalidRequest(_) => HttpClass::InvalidRequest,
            AuthRejection::Token(e) => e.kind().http_class(),
        }
    }

    /// The HTTP status: 400, 401, 403 or 503.
    pub fn status(&self) -> u16 {
        self.http_class().status()
    }

    /// A fixed, non-echoing description for clients.
    pub fn description(&self) -> &'static str {
        match self {
            AuthRejection::Missing => "a bearer token is required",
            AuthRejection::InvalidRequest(r) => r.description(),
            AuthRejection::Token(e) => match e.kind() {
                ErrorKind::Expired => "the token has expired",
                ErrorKind::NotYetValid => "the token is not valid yet",
                ErrorKind::MissingGroup => "the user is not in a group allowed here",
                ErrorKind::MissingScope => "the token lacks a scope required here",
                ErrorKind::InvalidTokenUse => "the wrong kind of token was sent",
                ErrorKind::JwksUnavailable | ErrorKind::JwksNotCached => {
                    "the token cannot be checked right now; retry later"
                }
                _ => "the token is invalid",
            },
        }
    }

    /// The `WWW-Authenticate` value, or `None` for 503 answers.
    ///
    /// Quotes and backslashes in `realm` are escaped.
    pub fn www_authenticate(&self, realm: &str) -> Option<String> {
        let class = self.http_class();
        if class == HttpClass::Unavailable {
            return None;
        }
        let mut value = format!("Bearer realm=\"{}\"", escape_quoted(realm));
        if let Some(code) = class.bearer_error() {
            value.push_str(", error=\"");
            value.push_str(code);
            value.push_str("\", error_description=\"");
            value.push_str(self.description());
            value.push('"');
        }
        Some(value)
    }

    /// Seconds for `Retry-After` on 503 answers (at least 1).
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            AuthRejection::Token(e) if e.kind().http_class() == HttpClass::Unavailable => Some(
                e.retry_after()
                    .map_or(5, |d| d.as_secs() + u64::from(d.subsec_nanos() > 0))
                    .max(1),
            ),
            _ => None,
        }
    }

    /// The default body: `{"error": …, "error_description": …}` plus
    /// `"kind"` when a token was checked. Only fixed strings appear in it.
    pub fn body_json(&self) -> String {
        let error = match self.http_class() {
            HttpClass::MissingCredentials => "unauthorized",
            HttpClass::Unavailable => "temporarily_unavailable",
            class => class.bearer_error().unwrap_or("unauthorized"),
        };
        match self.kind() {
            Some(kind) => format!(
                r#"{{"error":"{error}","error_description":"{}","kind":"{kind}"}}"#,
                self.description()
            ),
            None => format!(
                r#"{{"error":"{error}","error_description":"{}"}}"#,
                self.description()
            ),
        }
    }

    /// Log this rejection the way the adapters do: the kind at debug, 503s
    /// at warn with the (token-free) reason. Never logs the token.
    pub fn log(&self) {
        match self {
            AuthRejection::Token(e) if e.kind().http_class() == HttpClass::Unavailable => {
                tracing::warn!(kind = %e.kind(), reason = %e.message(), "cannot verify bearer token");
            }
            AuthRejection::Token(e) => {
                tracing::debug!(kind = %e.kind(), status = self.status(), "bearer token rejected");
            }
            AuthRejection::Missing => tracing::debug!(status = 401, "no bearer token"),
            AuthRejection::InvalidRequest(r) => {
                tracing::debug!(reason = ?r, status = 400, "malformed authorization");
            }
        }
    }
}

fn escape_quoted(text: &str) -> String {
    text.chars()
        .filter(|c| (' '..='~').contains(c))
        .flat_map(|c| match c {
            '"' | '\\' => vec!['\\', c],
            _ => vec![c],
        })
        .collect()
}

/// A token68 character, the plain way (the reference for [`all_token68`]).
#[cfg(test)]
fn is_token68(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
}

/// Whether every byte is a token68 character (RFC 7235). Written without
/// short-circuits so that it vectorizes: it runs over every byte of every
/// request's token.
fn all_token68(bytes: &[u8]) -> bool {
    bytes.iter().fold(true, |ok, &b| {
        ok & ((b.wrapping_sub(b'a') < 26)
            | (b.wrapping_sub(b'A') < 26)
            | (b.wrapping_sub(b'0') < 10)
            | (b == b'-')
            | (b == b'.')
            | (b == b'_')
            | (b == b'~')
            | (b == b'+')
            | (b == b'/'))
    })
}

/// Whether every byte is visible ASCII, space or tab (so also UTF-8); as
/// [`all_token68`], without short-circuits.
fn all_visible_ascii(bytes: &[u8]) -> bool {
    bytes.iter().fold(true, |ok, &b| {
        ok & ((b.wrapping_sub(b' ') < 95) | (b == b'\t'))
    })
}

/// Read the bearer token from the values of every `Authorization` header
/// of a request (pass them all, in order).
///
/// The scheme is case-insensitive. No header, or a scheme other than
/// `Bearer`, is [`AuthRejection::Missing`]; two headers, non-ASCII bytes or
/// an empty token are [`AuthRejection::InvalidRequest`].
///
/// ```
/// use cognito_jwt_core::http::{bearer_token, AuthRejection};
///
/// assert_eq!(bearer_token([&b"bearer abc.def.ghi"[..]]), Ok("abc.def.ghi"));
/// assert_eq!(bearer_token(std::iter::empty::<&[u8]>()), Err(AuthRejection::Missing));
/// assert_eq!(bearer_token([&b"Basic dXNlcjpwYXNz"[..]]), Err(AuthRejection::Missing));
/// ```
///
/// # Errors
/// As above.
pub fn bearer_token<'a, I>(authorization: I) -> Result<&'a str, AuthRejection>
where
    I: IntoIterator<Item = &'a [u8]>,
{
    let mut values = authorization.into_iter();
    let Some(value) = values.next() else {
        return Err(AuthRejection::Missing);
    };
    if values.next().is_some() {
        return Err(AuthRejection::InvalidRequest(
            InvalidRequest::MultipleAuthorizationHeaders,
        ));
    }
    let value = Some(value)
        .filter(|v| all_visible_ascii(v))
        .and_then(|v| std::str::from_utf8(v).ok())
        .ok_or(AuthRejection::InvalidRequest(
            InvalidRequest::NotVisibleAscii,
        ))?;
    let value = value.trim_matches([' ', '\t']);
    let (scheme, rest) = value.split_once([' ', '\t']).unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(AuthRejection::Missing);
    }
    token_value(rest.trim_start_matches([' ', '\t']))
}

fn token_value(token: &str) -> Result<&str, AuthRejection> {
    if token.is_empty() {
        return Err(AuthRejection::InvalidRequest(InvalidRequest::EmptyToken));
    }
    let body = token.trim_end_matches('=');
    if body.is_empty() || !all_token68(body.as_bytes()) {
        return Err(AuthRejection::InvalidRequest(
            InvalidRequest::InvalidTokenSyntax,
        ));
    }
    Ok(token)
}

/// Read the token from a cookie named `name`, given every `Cookie` header.
///
/// # Errors
/// [`AuthRejection::Missing`] when there is no such cookie;
/// [`AuthRejection::InvalidRequest`] when its value is empty or not a token.
pub fn cookie_token<'a, I>(cookies: I, name: &str) -> Result<&'a str, AuthRejection>
where
    I: IntoIterator<Item = &'a [u8]>,
{
    for header in cookies {
        let Ok(header) = std::str::from_utf8(header) else {
            continue;
        };
        for pair in header.split(';') {
            if let Some((key, value)) = pair.trim().split_once('=')
                && key.trim() == name
            {
                return token_value(value.trim().trim_matches('"'));
            }
        }
    }
    Err(AuthRejection::Missing)
}

impl TokenSource {
    /// Find the token: the `Authorization` header first; for
    /// [`TokenSource::Cookie`], the cookie when no `Authorization` header
    /// is present.
    ///
    /// # Errors
    /// As [`bearer_token`] and [`cookie_token`].
    pub fn extract<'a, A, C>(&self, authorization: A, cookies: C) -> Result<&'a str, AuthRejection>
    where
        A: IntoIterator<Item = &'a [u8]>,
        C: IntoIterator<Item = &'a [u8]>,
    {
        let mut authorization = authorization.into_iter().peekable();
        match self {
            TokenSource::Cookie(name) if authorization.peek().is_none() => {
                cookie_token(cookies, name)
            }
            _ => bearer_token(authorization),
        }
    }
}

/// One row of the HTTP behaviour every adapter must share (SECURITY-CASES
/// section E): request headers in, status and challenge out. Adapters' test
/// suites run [`cases`] against themselves so both answer identically.
#[cfg(feature = "testing")]
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
}

/// The tokens a case table needs, minted by the caller's test issuer.
#[cfg(feature = "testing")]
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

#[cfg(feature = "testing")]
impl CaseTokens {
    /// Tokens for the cases, for an issuer whose verifier accepts access
    /// tokens for `client_id` and a route that requires `group`.
    pub fn new(issuer: &crate::testing::TestIssuer, client_id: &str, group: &str) -> Self {
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
}

/// The shared case table for a route that requires a group. Unavailable
/// key sets (503) are tested separately, since they need a verifier without
/// keys.
#[cfg(feature = "testing")]
pub fn cases(tokens: &CaseTokens) -> Vec<HttpCase> {
    let case = |name, authorization, status, bearer_error| HttpCase {
        name,
        authorization,
        status,
        bearer_error,
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

/// One `Authorization` header carrying `token` with the `Bearer` scheme.
#[cfg(feature = "testing")]
fn bearer(token: &str) -> Vec<Vec<u8>> {
    vec![format!("Bearer {token}").into_bytes()]
}

/// Text an attacker controls, planted in the `Authorization` headers and in
/// the token headers and claims of [`attacker_cases`]: none of it may come
/// back in an answer or a log line.
#[cfg(feature = "testing")]
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
];

/// The key of the "unknown kid" case, which no issuer publishes. Key
/// generation is slow: one per process.
#[cfg(feature = "testing")]
static STRANGER: std::sync::LazyLock<crate::testing::TestKey> =
    std::sync::LazyLock::new(|| crate::testing::TestKey::generate("kid-planted-04"));

/// One request carrying [`PLANTED`] text (SECURITY-CASES 38), and what a
/// route requiring a group answers to it. Adapters' test suites send each
/// of [`attacker_cases`] and search every answer and log line for
/// [`secrets_of`] the requests.
#[cfg(feature = "testing")]
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AttackerCase {
    /// What the case is about.
    pub name: &'static str,
    /// `Authorization` header values to send (each a separate header).
    pub authorization: Vec<Vec<u8>>,
    /// Expected status when the verifier can load the issuer's key set
    /// (e.g. through [`TestIssuer::fetcher`](crate::testing::TestIssuer::fetcher),
    /// so the unknown `kid` refetches without leaving the process).
    pub status: u16,
    /// Expected status when the key set cannot be fetched: whatever can be
    /// refused without it is refused alike, the rest is 503.
    pub status_without_keys: u16,
}

/// Requests carrying [`PLANTED`] text in the `Authorization` header and in
/// token headers and claims, for a verifier of `issuer` that accepts access
/// tokens for `client_id` and a route that requires `group`.
#[cfg(feature = "testing")]
pub fn attacker_cases(
    issuer: &crate::testing::TestIssuer,
    client_id: &str,
    group: &str,
) -> Vec<AttackerCase> {
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
#[cfg(feature = "testing")]
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_branch_free_scans_agree_with_the_plain_predicates() {
        for b in 0..=255u8 {
            assert_eq!(all_token68(&[b'a', b, b'z']), is_token68(b), "{b}");
            let visible = (b' '..=b'~').contains(&b) || b == b'\t';
            assert_eq!(all_visible_ascii(&[b'a', b, b'z']), visible, "{b}");
        }
        assert!(all_token68(b"") && all_visible_ascii(b""));
    }

    #[test]
    fn header_parsing() {
        let one = |v: &'static [u8]| bearer_token([v]);
        assert_eq!(one(b"Bearer a.b.c"), Ok("a.b.c"));
        assert_eq!(one(b"BEARER   a.b.c  "), Ok("a.b.c"));
        assert_eq!(one(b"Basic abc"), Err(AuthRejection::Missing));
        assert_eq!(
            one(b"Bearer "),
            Err(AuthRejection::InvalidRequest(InvalidRequest::EmptyToken))
        );
        assert_eq!(
            one(b"Bearer a b"),
            Err(AuthRejection::InvalidRequest(
                InvalidRequest::InvalidTokenSyntax
            ))
        );
        assert_eq!(
            one(b"Bearer \xff"),
            Err(AuthRejection::InvalidRequest(
                InvalidRequest::NotVisibleAscii
            ))
        );
        assert_eq!(
            bearer_token([&b"Bearer a"[..], b"Bearer a"]),
            Err(AuthRejection::InvalidRequest(
                InvalidRequest::MultipleAuthorizationHeaders
            ))
        );
    }

    /// The statuses of [`attacker_cases`] are the core's own mapping, with
    /// and without the key set; [`secrets_of`] covers each token.
    #[cfg(feature = "testing")]
    #[tokio::test]
    async fn attacker_cases_get_their_statuses() {
        use crate::testing::{TestIssuer, UnreachableJwks};
        use crate::{AccessTokenClaims, CognitoJwtVerifier, TokenUse};

        async fn status(verifier: &CognitoJwtVerifier, authorization: &[Vec<u8>]) -> u16 {
            let token = match bearer_token(authorization.iter().map(Vec::as_slice)) {
                Ok(token) => token,
                Err(rejection) => return rejection.status(),
            };
            match verifier.verify::<AccessTokenClaims>(token).await {
                Ok(_) => 200,
                Err(error) => AuthRejection::from(error).status(),
            }
        }

        let issuer = TestIssuer::new("eu-west-1_HttpAttack");
        let builder = || {
            CognitoJwtVerifier::builder()
                .user_pool(issuer.user_pool("client", TokenUse::Access))
                .require_any_group("admins")
        };
        let serving = builder().fetcher(issuer.fetcher()).build().unwrap();
        let down = builder().fetcher(UnreachableJwks).build().unwrap();
        let mut signed = 0;
        for case in attacker_cases(&issuer, "client", "admins") {
            let name = case.name;
            assert_eq!(
                status(&serving, &case.authorization).await,
                case.status,
                "{name}"
            );
            assert_eq!(
                status(&down, &case.authorization).await,
                case.status_without_keys,
                "{name}"
            );
            let secrets = secrets_of(case.authorization.iter().map(Vec::as_slice));
            if let Some(token) = case.authorization[0].strip_prefix(b"Bearer ")
                && token.len() > 100
            {
                signed += 1;
                let token = String::from_utf8_lossy(token);
                for part in std::iter::once(&*token).chain(token.split('.')) {
                    assert!(secrets.iter().any(|s| s == part), "{name}");
                }
            }
        }
        assert_eq!(signed, 5);
    }

    #[test]
    fn cookies() {
        let source = TokenSource::Cookie("id_token".into());
        let cookies = [&b"a=1; id_token=x.y.z"[..]];
        assert_eq!(source.extract(std::iter::empty(), cookies), Ok("x.y.z"));
        assert_eq!(
            source.extract(std::iter::empty(), [&b"a=1"[..]]),
            Err(AuthRejection::Missing)
        );
        assert_eq!(source.extract([&b"Bearer q"[..]], cookies), Ok("q"));
    }

    #[test]
    fn challenges() {
        assert_eq!(
            AuthRejection::Missing
                .www_authenticate("my \"app\"")
                .as_deref(),
            Some("Bearer realm=\"my \\\"app\\\"\"")
        );
        let expired = AuthRejection::Token(Error::new(ErrorKind::Expired, "x"));
        assert_eq!(expired.status(), 401);
        assert_eq!(
            expired.www_authenticate("api").as_deref(),
            Some(
                "Bearer realm=\"api\", error=\"invalid_token\", error_description=\"the token has expired\""
            )
        );
        let down = AuthRejection::Token(Error::new(ErrorKind::JwksUnavailable, "x"));
        assert_eq!(down.status(), 503);
        assert_eq!(down.www_authenticate("api"), None);
        assert_eq!(down.retry_after_secs(), Some(5));
        assert!(down.body_json().contains("temporarily_unavailable"));
    }
}
