//! Framework-free HTTP rules shared by the adapters: reading the bearer
//! token from request headers, verifying it ([`authenticate`],
//! [`authenticate_optional`]), and turning any outcome into one RFC 6750
//! answer (status, `WWW-Authenticate`, `Retry-After`, JSON body) or one
//! gRPC status ([`AuthRejection::grpc_code`],
//! [`AuthRejection::grpc_message`]).
//!
//! Only plain bytes, strings and numbers cross this boundary, so adapters on
//! different `http` crate versions (axum on 1.x, actix-web on 0.2) render
//! the same answer.

use std::fmt;

use crate::error::{Error, ErrorKind, GrpcCode, HttpClass};

mod alb;
mod authenticate;
mod readiness;
mod resource_metadata;
mod sign_out;

pub use alb::{alb_data_token, authenticate_alb_with_access_token};
pub use authenticate::{
    HttpRequest, authenticate, authenticate_optional, authenticate_request,
    authenticate_request_optional,
};
pub use readiness::Readiness;
pub use resource_metadata::{METADATA_PATH, ProtectedResourceMetadata};
pub use sign_out::sign_out;

/// Where an adapter reads the token from. Each verifier says where its
/// tokens travel ([`Verify::token_source`](crate::Verify::token_source)):
/// the adapters use that unless told otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum TokenSource {
    /// `Authorization: Bearer <token>` (the default).
    #[default]
    AuthorizationHeader,
    /// A cookie with this name (e.g. for browser sessions). The
    /// `Authorization` header is used instead when present.
    Cookie(String),
    /// The `x-amzn-oidc-data` header an Application Load Balancer adds to
    /// the requests it authenticated (the source of an
    /// [`AlbJwtVerifier`](crate::AlbJwtVerifier)); without it, the
    /// request is [`AuthRejection::MissingAlbHeader`].
    AlbData,
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
    /// More than one `x-amzn-oidc-data` header.
    MultipleAlbHeaders,
    /// The `x-amzn-oidc-data` header is empty, or has bytes or characters
    /// no token a load balancer signs has.
    InvalidAlbHeader,
    /// A sign-out's token names no session (`origin_jti`) and no `jti`,
    /// so nothing identifies what to revoke.
    NoSessionToRevoke,
}

impl InvalidRequest {
    /// A fixed description, safe to send to the client.
    pub const fn description(self) -> &'static str {
        match self {
            InvalidRequest::MultipleAuthorizationHeaders => "send exactly one Authorization header",
            InvalidRequest::NotVisibleAscii => "the Authorization header must be visible ASCII",
            InvalidRequest::EmptyToken => "the bearer token is empty",
            InvalidRequest::InvalidTokenSyntax => "the bearer token has invalid characters",
            InvalidRequest::MultipleAlbHeaders => "send exactly one x-amzn-oidc-data header",
            InvalidRequest::InvalidAlbHeader => {
                "the x-amzn-oidc-data header does not hold a load balancer's token"
            }
            InvalidRequest::NoSessionToRevoke => {
                "the token names no session (origin_jti) or token id (jti) to revoke"
            }
        }
    }
}

/// Why an adapter refused a request: the one value both adapters render.
///
/// Build it with [`bearer_token`] or [`AuthRejection::from`] an [`Error`],
/// then read [`status`](Self::status),
/// [`www_authenticate`](Self::www_authenticate),
/// [`retry_after_secs`](Self::retry_after_secs) and
/// [`body_json`](Self::body_json); a gRPC service reads
/// [`grpc_code`](Self::grpc_code) and [`grpc_message`](Self::grpc_message)
/// instead.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthRejection {
    /// No credentials were sent (no `Authorization` header, another scheme
    /// such as `Basic`, or no token cookie).
    Missing,
    /// No `x-amzn-oidc-data` header: the request did not come through an
    /// Application Load Balancer that authenticates users.
    MissingAlbHeader,
    /// The request itself is malformed.
    InvalidRequest(InvalidRequest),
    /// The token was refused or could not be checked.
    Token(Error),
    /// Any of the above, for a verifier that accepts DPoP proofs: answered
    /// with a `DPoP` challenge (RFC 9449 §7.1), and a `Bearer` one when
    /// bearer tokens are accepted too.
    Dpop(Box<AuthRejection>, DpopChallenge),
}

/// What a verifier that accepts DPoP proofs says about them
/// ([`Verify::dpop_support`](crate::Verify::dpop_support)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct DpopSupport<'a> {
    /// The external base URL requests are checked against (`htu`): an
    /// origin, perhaps with a path prefix, without a
    /// trailing slash.
    pub origin: &'a str,
    /// The proof algorithms accepted, space-separated.
    pub algs: &'a str,
    /// Whether tokens that are not DPoP-bound may come as bearer tokens.
    pub bearer_accepted: bool,
}

/// The DPoP side of an answer (RFC 9449 §7.1): the algorithms to name,
/// whether a `Bearer` challenge goes alongside, and which scheme the
/// request used.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DpopChallenge {
    /// The proof algorithms accepted, space-separated (`algs`).
    pub algs: Box<str>,
    /// Whether a `Bearer` challenge is sent too.
    pub bearer_accepted: bool,
    /// Whether the request used the `DPoP` scheme (its token errors are
    /// then answered in the `DPoP` challenge).
    pub dpop_scheme: bool,
}

impl DpopChallenge {
    /// The challenge of a verifier with `support`, for a request that used
    /// the `DPoP` scheme when `dpop_scheme`.
    pub fn new(support: &DpopSupport<'_>, dpop_scheme: bool) -> Self {
        Self {
            algs: support.algs.into(),
            bearer_accepted: support.bearer_accepted,
            dpop_scheme,
        }
    }
}

impl fmt::Debug for AuthRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthRejection::Missing => f.write_str("Missing"),
            AuthRejection::MissingAlbHeader => f.write_str("MissingAlbHeader"),
            AuthRejection::InvalidRequest(r) => f.debug_tuple("InvalidRequest").field(r).finish(),
            AuthRejection::Token(e) => f.debug_tuple("Token").field(&e.kind()).finish(),
            AuthRejection::Dpop(rejection, challenge) => f
                .debug_tuple("Dpop")
                .field(rejection)
                .field(challenge)
                .finish(),
        }
    }
}

impl fmt::Display for AuthRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthRejection::Missing => f.write_str("no bearer token in the request"),
            AuthRejection::MissingAlbHeader => {
                f.write_str("no x-amzn-oidc-data header in the request")
            }
            AuthRejection::InvalidRequest(r) => f.write_str(r.description()),
            AuthRejection::Token(e) => fmt::Display::fmt(e, f),
            AuthRejection::Dpop(rejection, _) => fmt::Display::fmt(rejection, f),
        }
    }
}

impl std::error::Error for AuthRejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self.base() {
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
        matches!(
            self.base(),
            AuthRejection::Missing | AuthRejection::MissingAlbHeader
        )
    }

    /// The rejection without its DPoP challenge.
    fn base(&self) -> &AuthRejection {
        match self {
            AuthRejection::Dpop(rejection, _) => rejection.base(),
            other => other,
        }
    }

    /// For [`ErrorKind::UseDpopNonce`]: the nonce to send in a
    /// `DPoP-Nonce` header (RFC 9449 §9).
    pub fn dpop_nonce(&self) -> Option<&str> {
        match self.base() {
            AuthRejection::Token(e) => e.dpop_nonce(),
            _ => None,
        }
    }

    /// The verification error kind, when a token was checked.
    pub fn kind(&self) -> Option<ErrorKind> {
        match self.base() {
            AuthRejection::Token(e) => Some(e.kind()),
            _ => None,
        }
    }

    /// The HTTP meaning.
    pub fn http_class(&self) -> HttpClass {
        match self.base() {
            AuthRejection::Missing | AuthRejection::MissingAlbHeader => {
                HttpClass::MissingCredentials
            }
            AuthRejection::InvalidRequest(_) => HttpClass::InvalidRequest,
            AuthRejection::Token(e) => e.kind().http_class(),
            AuthRejection::Dpop(..) => HttpClass::InvalidRequest,
        }
    }

    /// The HTTP status: 400, 401, 403 or 503.
    pub fn status(&self) -> u16 {
        self.http_class().status()
    }

    /// A fixed, non-echoing description for clients.
    pub fn description(&self) -> &'static str {
        match self.base() {
            AuthRejection::Missing => "a bearer token is required",
            AuthRejection::MissingAlbHeader => "an x-amzn-oidc-data header is required",
            AuthRejection::InvalidRequest(r) => r.description(),
            AuthRejection::Token(e) => match e.kind() {
                ErrorKind::Expired => "the token has expired",
                ErrorKind::NotYetValid => "the token is not valid yet",
                ErrorKind::MissingGroup => "the user is not in a group allowed here",
                ErrorKind::MissingScope => "the token lacks a scope required here",
                ErrorKind::ClaimMismatch => "the token's claims do not allow this request here",
                ErrorKind::InsufficientUserAuthentication => {
                    "a stronger or more recent sign-in is required here"
                }
                ErrorKind::InvalidTokenUse => "the wrong kind of token was sent",
                ErrorKind::JwksUnavailable | ErrorKind::JwksNotCached => {
                    "the token cannot be checked right now; retry later"
                }
                ErrorKind::Revoked => "the token was revoked; sign in again",
                ErrorKind::RevocationUnavailable => {
                    "revocations cannot be checked right now; retry later"
                }
                ErrorKind::InvalidDpopProof => "the DPoP proof is invalid",
                ErrorKind::DpopProofReplayed => "the DPoP proof was used before",
                ErrorKind::UseDpopNonce => "the DPoP proof must carry the server's nonce",
                ErrorKind::DpopBindingMismatch => "the token is not bound to the DPoP proof's key",
                ErrorKind::DpopRequired => {
                    "the token must be sent with the DPoP scheme and a proof"
                }
                ErrorKind::DpopReplayUnavailable => {
                    "DPoP proofs cannot be checked right now; retry later"
                }
                _ => "the token is invalid",
            },
            AuthRejection::Dpop(..) => "the request is invalid",
        }
    }

    /// The `WWW-Authenticate` value, or `None` for 503 answers.
    ///
    /// Quotes and backslashes in `realm` are escaped. A step-up refusal
    /// ([`ErrorKind::InsufficientUserAuthentication`]) also carries
    /// `acr_values` and `max_age` when those were required (RFC 9470 §3); a
    /// refusal for a missing scope ([`ErrorKind::MissingScope`]) carries
    /// `scope` with the scopes required (RFC 6750 §3), and no other refusal
    /// does.
    pub fn www_authenticate(&self, realm: &str) -> Option<String> {
        self.www_authenticate_with_metadata(realm, None)
    }

    /// As [`www_authenticate`](Self::www_authenticate), and, when
    /// `resource_metadata` is given, every 401 challenge also carries
    /// `resource_metadata="<url>"`: the URL of this protected resource's
    /// metadata document (RFC 9728 §5.1, see
    /// [`ProtectedResourceMetadata::metadata_url`]), from which a client
    /// learns where to get a token.
    ///
    /// ```
    /// use cognito_jwt_core::http::AuthRejection;
    ///
    /// let url = "https://api.example.com/.well-known/oauth-protected-resource";
    /// assert_eq!(
    ///     AuthRejection::Missing.www_authenticate_with_metadata("api", Some(url)).as_deref(),
    ///     Some(
    ///         "Bearer realm=\"api\", resource_metadata=\
    ///          \"https://api.example.com/.well-known/oauth-protected-resource\""
    ///     )
    /// );
    /// ```
    pub fn www_authenticate_with_metadata(
        &self,
        realm: &str,
        resource_metadata: Option<&str>,
    ) -> Option<String> {
        let class = self.http_class();
        if class == HttpClass::Unavailable {
            return None;
        }
        let AuthRejection::Dpop(rejection, dpop) = self else {
            return Some(self.challenge("Bearer", "", realm, true, resource_metadata));
        };
        let dpop_error = dpop.dpop_scheme
            || !dpop.bearer_accepted
            || matches!(class, HttpClass::InvalidDpopProof | HttpClass::UseDpopNonce);
        let algs = format!(", algs=\"{}\"", escape_quoted(&dpop.algs));
        let dpop_challenge =
            rejection.challenge("DPoP", &algs, realm, dpop_error, resource_metadata);
        if !dpop.bearer_accepted {
            return Some(dpop_challenge);
        }
        let bearer = rejection.challenge("Bearer", "", realm, !dpop_error, resource_metadata);
        Some(if dpop.dpop_scheme {
            format!("{dpop_challenge}, {bearer}")
        } else {
            format!("{bearer}, {dpop_challenge}")
        })
    }

    /// One challenge of `scheme`, its own parameters `params` after the
    /// realm, with the error and its parameters when `with_error`.
    fn challenge(
        &self,
        scheme: &str,
        params: &str,
        realm: &str,
        with_error: bool,
        resource_metadata: Option<&str>,
    ) -> String {
        let class = self.http_class();
        let mut value = format!("{scheme} realm=\"{}\"{params}", escape_quoted(realm));
        if let Some(code) = class.bearer_error().filter(|_| with_error) {
            value.push_str(", error=\"");
            value.push_str(code);
            value.push_str("\", error_description=\"");
            value.push_str(self.description());
            value.push('"');
        }
        if let AuthRejection::Token(error) = self.base()
            && with_error
        {
            if let Some(acr_values) = error.acr_values() {
                value.push_str(", acr_values=\"");
                value.push_str(&escape_quoted(acr_values));
                value.push('"');
            }
            if let Some(max_age) = error.max_age() {
                value.push_str(", max_age=");
                value.push_str(&max_age.to_string());
            }
            if let Some(scope) = error.required_scopes() {
                value.push_str(", scope=\"");
                value.push_str(&escape_quoted(scope));
                value.push('"');
            }
        }
        if let Some(url) = resource_metadata.filter(|_| class.status() == 401) {
            value.push_str(", resource_metadata=\"");
            value.push_str(&escape_quoted(url));
            value.push('"');
        }
        value
    }

    /// Seconds for `Retry-After` on 503 answers (at least 1).
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self.base() {
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

    /// The gRPC status code: `INVALID_ARGUMENT`, `UNAUTHENTICATED`,
    /// `PERMISSION_DENIED` or `UNAVAILABLE`, wherever the HTTP answer would
    /// be 400, 401, 403 or 503 (see [`HttpClass::grpc_code`]).
    ///
    /// ```
    /// use cognito_jwt_core::GrpcCode;
    /// use cognito_jwt_core::http::{AuthRejection, bearer_token};
    ///
    /// let rejection = bearer_token([&b"Bearer not a token"[..]]).unwrap_err();
    /// assert_eq!(rejection.grpc_code(), GrpcCode::InvalidArgument);
    /// assert_eq!(rejection.grpc_message(), "the bearer token has invalid characters");
    /// assert_eq!(AuthRejection::Missing.grpc_code().code(), 16); // UNAUTHENTICATED
    /// ```
    pub fn grpc_code(&self) -> GrpcCode {
        self.http_class().grpc_code()
    }

    /// The `grpc-message`: the fixed [`description`](Self::description),
    /// prefixed with the error kind when a token was checked (e.g.
    /// `"expired: the token has expired"`). It never contains the token or
    /// any other text from the request.
    pub fn grpc_message(&self) -> String {
        match self.kind() {
            Some(kind) => format!("{kind}: {}", self.description()),
            None => self.description().to_owned(),
        }
    }

    /// Log this rejection the way the adapters do: the kind at debug, 503s
    /// at warn with the (token-free) reason. Never logs the token.
    pub fn log(&self) {
        match self.base() {
            AuthRejection::Token(e) if e.kind().http_class() == HttpClass::Unavailable => {
                tracing::warn!(kind = %e.kind(), reason = %e.message(), "cannot verify bearer token");
            }
            AuthRejection::Token(e) => {
                tracing::debug!(kind = %e.kind(), status = self.status(), "bearer token rejected");
            }
            AuthRejection::Missing => tracing::debug!(status = 401, "no bearer token"),
            AuthRejection::MissingAlbHeader => {
                tracing::debug!(status = 401, "no x-amzn-oidc-data header");
            }
            AuthRejection::InvalidRequest(r) => {
                tracing::debug!(reason = ?r, status = 400, "malformed authorization");
            }
            AuthRejection::Dpop(..) => {}
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
    authorization_token(authorization, false).map(|(_, token)| token)
}

/// The token of the one `Authorization` header, and whether it came with
/// the `DPoP` scheme (accepted only when `dpop`) rather than `Bearer`.
pub(crate) fn authorization_token<'a, I>(
    authorization: I,
    dpop: bool,
) -> Result<(bool, &'a str), AuthRejection>
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
    let dpop_scheme = dpop && scheme.eq_ignore_ascii_case("dpop");
    if !dpop_scheme && !scheme.eq_ignore_ascii_case("bearer") {
        return Err(AuthRejection::Missing);
    }
    token_value(rest.trim_start_matches([' ', '\t'])).map(|token| (dpop_scheme, token))
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
    /// The header the token is read from (lower case): `authorization`,
    /// or `x-amzn-oidc-data` for [`TokenSource::AlbData`]. A
    /// [`TokenSource::Cookie`] also reads `cookie` when this one is absent.
    pub const fn header_name(&self) -> &'static str {
        match self {
            TokenSource::AuthorizationHeader | TokenSource::Cookie(_) => "authorization",
            TokenSource::AlbData => crate::ALB_DATA_HEADER,
        }
    }

    /// Find the token, given the values of every
    /// [`header_name`](Self::header_name) header and every `Cookie` header
    /// of the request: the bearer token of the `Authorization` header; for
    /// [`TokenSource::Cookie`], the cookie when no `Authorization` header
    /// is present; for [`TokenSource::AlbData`], the load balancer's
    /// token.
    ///
    /// # Errors
    /// As [`bearer_token`], [`cookie_token`] and [`alb_data_token`].
    pub fn extract<'a, A, C>(&self, header: A, cookies: C) -> Result<&'a str, AuthRejection>
    where
        A: IntoIterator<Item = &'a [u8]>,
        C: IntoIterator<Item = &'a [u8]>,
    {
        let mut header = header.into_iter().peekable();
        match self {
            TokenSource::Cookie(name) if header.peek().is_none() => cookie_token(cookies, name),
            TokenSource::AlbData => alb_data_token(header),
            _ => bearer_token(header),
        }
    }
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
    fn grpc_answers_agree_with_http_answers() {
        let mut rejections = vec![AuthRejection::Missing, AuthRejection::MissingAlbHeader];
        rejections.extend(
            [
                InvalidRequest::MultipleAuthorizationHeaders,
                InvalidRequest::NotVisibleAscii,
                InvalidRequest::EmptyToken,
                InvalidRequest::InvalidTokenSyntax,
                InvalidRequest::MultipleAlbHeaders,
                InvalidRequest::InvalidAlbHeader,
            ]
            .map(AuthRejection::InvalidRequest),
        );
        rejections.extend(
            ErrorKind::ALL
                .iter()
                .map(|&kind| AuthRejection::Token(Error::new(kind, "secret.token.text"))),
        );
        for rejection in rejections {
            let expected = match rejection.status() {
                400 => GrpcCode::InvalidArgument,
                401 => GrpcCode::Unauthenticated,
                403 => GrpcCode::PermissionDenied,
                503 => GrpcCode::Unavailable,
                status => panic!("{rejection:?}: status {status}"),
            };
            assert_eq!(rejection.grpc_code(), expected, "{rejection:?}");
            let message = rejection.grpc_message();
            assert!(message.ends_with(rejection.description()), "{message}");
            assert!(!message.contains("secret"), "{message}");
            match rejection.kind() {
                Some(kind) => assert!(message.starts_with(&format!("{kind}: ")), "{message}"),
                None => assert_eq!(message, rejection.description()),
            }
        }
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

    #[test]
    fn step_up_challenges_name_what_the_next_sign_in_needs() {
        use crate::error::ChallengeParams;
        let step_up = |acr_values: Option<&str>, max_age| {
            AuthRejection::Token(
                Error::new(ErrorKind::InsufficientUserAuthentication, "x").with_challenge(
                    ChallengeParams {
                        acr_values: acr_values.map(Into::into),
                        max_age,
                        ..ChallengeParams::default()
                    },
                ),
            )
        };
        let both = step_up(Some("urn:mfa phr"), Some(300));
        assert_eq!(
            (both.status(), both.grpc_code()),
            (401, GrpcCode::Unauthenticated)
        );
        assert_eq!(
            both.www_authenticate("api").as_deref(),
            Some(
                "Bearer realm=\"api\", error=\"insufficient_user_authentication\", \
                 error_description=\"a stronger or more recent sign-in is required here\", \
                 acr_values=\"urn:mfa phr\", max_age=300"
            )
        );
        let amr_only = step_up(None, None)
            .www_authenticate("api")
            .unwrap_or_default();
        assert!(
            !amr_only.contains("acr_values") && !amr_only.contains("max_age"),
            "{amr_only}"
        );
        let mismatch = AuthRejection::Token(Error::new(ErrorKind::ClaimMismatch, "x"));
        assert_eq!(
            (mismatch.status(), mismatch.grpc_code()),
            (403, GrpcCode::PermissionDenied)
        );
        assert_eq!(
            mismatch.www_authenticate("api").as_deref(),
            Some(
                "Bearer realm=\"api\", error=\"insufficient_scope\", \
                 error_description=\"the token's claims do not allow this request here\""
            )
        );
    }

    #[test]
    fn resource_metadata_on_every_401_and_scope_only_when_a_scope_failed() {
        use crate::error::ChallengeParams;
        let url = "https://api.example.com/.well-known/oauth-protected-resource";
        let metadata = format!(", resource_metadata=\"{url}\"");
        let missing_scope = AuthRejection::Token(
            Error::new(ErrorKind::MissingScope, "x").with_challenge(ChallengeParams {
                scope: Some("orders/read orders/admin".into()),
                ..ChallengeParams::default()
            }),
        );
        let rejections = [
            (AuthRejection::Missing, true),
            (
                AuthRejection::InvalidRequest(InvalidRequest::EmptyToken),
                false,
            ),
            (
                AuthRejection::Token(Error::new(ErrorKind::Expired, "x")),
                true,
            ),
            (
                AuthRejection::Token(Error::new(ErrorKind::InsufficientUserAuthentication, "x")),
                true,
            ),
            (
                AuthRejection::Token(Error::new(ErrorKind::MissingGroup, "x")),
                false,
            ),
            (missing_scope.clone(), false),
        ];
        for (rejection, with_metadata) in rejections {
            let plain = rejection.www_authenticate("api").unwrap_or_default();
            let bound = rejection
                .www_authenticate_with_metadata("api", Some(url))
                .unwrap_or_default();
            assert!(!plain.contains("resource_metadata"), "{plain}");
            if with_metadata {
                assert_eq!(bound, format!("{plain}{metadata}"));
            } else {
                assert_eq!(bound, plain);
            }
            assert_eq!(
                plain.contains("scope=\""),
                rejection == missing_scope,
                "{plain}"
            );
        }
        assert_eq!(
            missing_scope.www_authenticate("api").as_deref(),
            Some(
                "Bearer realm=\"api\", error=\"insufficient_scope\", \
                 error_description=\"the token lacks a scope required here\", \
                 scope=\"orders/read orders/admin\""
            )
        );
        let down = AuthRejection::Token(Error::new(ErrorKind::JwksUnavailable, "x"));
        assert_eq!(down.www_authenticate_with_metadata("api", Some(url)), None);
        let hostile = AuthRejection::Missing
            .www_authenticate_with_metadata("api", Some("https://x/\"\\\r\n"))
            .unwrap_or_default();
        assert!(
            hostile.ends_with("resource_metadata=\"https://x/\\\"\\\\\""),
            "{hostile}"
        );
    }
}
