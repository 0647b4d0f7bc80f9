//! Verification errors, configuration errors, and their single HTTP (and
//! gRPC) mapping.

use std::fmt;
use std::time::Duration;

/// Why a token was refused, or why it could not be checked.
///
/// The names returned by [`ErrorKind::as_str`] are stable: match on them in
/// logs and metrics. New kinds may be added in minor releases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The token is not a well-formed compact JWS: wrong size, wrong number of
    /// segments, bad base64url, invalid JSON, duplicate keys, a required claim
    /// missing or of the wrong type, or a forbidden header (`crit`, `cty`, a
    /// `typ` naming another media type than `JWT` (or RFC 9068's `at+jwt`
    /// where accepted), a missing or oversized `kid`).
    Malformed,
    /// The header's `alg` is not `RS256`, the only algorithm Cognito uses.
    UnsupportedAlgorithm,
    /// No usable key in the issuer's key set has the token's `kid`.
    UnknownKid,
    /// The signature does not verify with the key named by `kid`.
    InvalidSignature,
    /// `exp` is in the past, beyond the configured leeway.
    Expired,
    /// `nbf` or `iat` is in the future, beyond the configured leeway.
    NotYetValid,
    /// `iss` is not one of the configured issuers.
    InvalidIssuer,
    /// An ID token's `aud` or an access token's `client_id` is not an
    /// accepted client id.
    InvalidAudience,
    /// `token_use` is missing or not the configured one.
    InvalidTokenUse,
    /// The token is valid but its `cognito:groups` contain none of the
    /// required groups.
    MissingGroup,
    /// The token is valid but its `scope` contains none of the required scopes.
    MissingScope,
    /// The token is valid but a claim rule
    /// ([`ClaimRule`](crate::ClaimRule)) required here does not hold: the
    /// claim is absent, of another JSON type, or has another value.
    ClaimMismatch,
    /// The token is valid but the sign-in behind it is not strong or recent
    /// enough (RFC 9470): its `acr` is not one of those required, its `amr`
    /// lacks a required method, or its `auth_time` is older than the
    /// maximum age. The client should have the user sign in again, as
    /// [`Error::acr_values`] and [`Error::max_age`] say.
    InsufficientUserAuthentication,
    /// The custom check installed with
    /// [`CognitoJwtVerifierBuilder::custom_check`](crate::CognitoJwtVerifierBuilder::custom_check)
    /// refused the token.
    CustomCheckFailed,
    /// The issuer's key set could not be fetched (network error, HTTP error,
    /// time-out, or a response that is not a usable key set) and no cached
    /// copy is available.
    JwksUnavailable,
    /// [`CognitoJwtVerifier::verify_sync`](crate::CognitoJwtVerifier::verify_sync)
    /// was called before the issuer's key set was cached.
    JwksNotCached,
    /// The token is genuine but was revoked: its session (`origin_jti`),
    /// the token itself (`jti`), its user (`sub`, for tokens issued before
    /// the revocation) or its app client is on the verifier's
    /// [`RevocationList`](crate::RevocationList). HTTP 401 `invalid_token`.
    Revoked,
    /// The verifier's [`RevocationList`](crate::RevocationList) is out of
    /// sync (its shared store has not answered within the maximum
    /// staleness, or it is full) under the closed failure policy: no token
    /// can be checked against revocations now. HTTP 503 with
    /// `Retry-After`.
    RevocationUnavailable,
    /// The request's DPoP proof (RFC 9449 §4.3) is missing, malformed or
    /// wrong: not one `DPoP` header, a `typ` other than `dpop+jwt`, an
    /// `alg` not accepted (never `none` or HMAC), a `jwk` that is not a
    /// public key, a bad signature, an `htm` or `htu` that is not this
    /// request's, an `iat` outside the window, or an `ath` that is not the
    /// access token's hash. HTTP 401 with `DPoP error="invalid_dpop_proof"`.
    InvalidDpopProof,
    /// The DPoP proof's `jti` was seen before: a replayed proof. HTTP 401
    /// with `DPoP error="invalid_dpop_proof"`.
    DpopProofReplayed,
    /// The server requires a DPoP nonce and the proof has none, or one
    /// that is no longer current: HTTP 401 with `DPoP
    /// error="use_dpop_nonce"` and a fresh `DPoP-Nonce` header
    /// ([`Error::dpop_nonce`]) for the client to retry with.
    UseDpopNonce,
    /// The access token is not bound to the proof's key: its `cnf.jkt` is
    /// not the RFC 7638 thumbprint of the proof's `jwk`, or the token has
    /// no `cnf.jkt` while the verifier accepts only bound tokens with
    /// proofs. HTTP 401 `invalid_token`.
    DpopBindingMismatch,
    /// The token must be sent with the `DPoP` scheme and a proof: it is
    /// DPoP-bound (`cnf.jkt`), or its issuer requires DPoP, and it came as
    /// a `Bearer` token (a downgrade). HTTP 401 `invalid_token`.
    DpopRequired,
    /// The DPoP replay store cannot say whether the proof is new (it is
    /// full, or its shared store does not answer under the closed failure
    /// policy): no proof can be accepted now. HTTP 503 with `Retry-After`.
    DpopReplayUnavailable,
}

impl ErrorKind {
    /// Every kind, in declaration order.
    pub const ALL: &'static [ErrorKind] = &[
        ErrorKind::Malformed,
        ErrorKind::UnsupportedAlgorithm,
        ErrorKind::UnknownKid,
        ErrorKind::InvalidSignature,
        ErrorKind::Expired,
        ErrorKind::NotYetValid,
        ErrorKind::InvalidIssuer,
        ErrorKind::InvalidAudience,
        ErrorKind::InvalidTokenUse,
        ErrorKind::MissingGroup,
        ErrorKind::MissingScope,
        ErrorKind::ClaimMismatch,
        ErrorKind::InsufficientUserAuthentication,
        ErrorKind::CustomCheckFailed,
        ErrorKind::JwksUnavailable,
        ErrorKind::JwksNotCached,
        ErrorKind::Revoked,
        ErrorKind::RevocationUnavailable,
        ErrorKind::InvalidDpopProof,
        ErrorKind::DpopProofReplayed,
        ErrorKind::UseDpopNonce,
        ErrorKind::DpopBindingMismatch,
        ErrorKind::DpopRequired,
        ErrorKind::DpopReplayUnavailable,
    ];

    /// The stable snake_case name of this kind, e.g. `"invalid_signature"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Malformed => "malformed",
            ErrorKind::UnsupportedAlgorithm => "unsupported_algorithm",
            ErrorKind::UnknownKid => "unknown_kid",
            ErrorKind::InvalidSignature => "invalid_signature",
            ErrorKind::Expired => "expired",
            ErrorKind::NotYetValid => "not_yet_valid",
            ErrorKind::InvalidIssuer => "invalid_issuer",
            ErrorKind::InvalidAudience => "invalid_audience",
            ErrorKind::InvalidTokenUse => "invalid_token_use",
            ErrorKind::MissingGroup => "missing_group",
            ErrorKind::MissingScope => "missing_scope",
            ErrorKind::ClaimMismatch => "claim_mismatch",
            ErrorKind::InsufficientUserAuthentication => "insufficient_user_authentication",
            ErrorKind::CustomCheckFailed => "custom_check_failed",
            ErrorKind::JwksUnavailable => "jwks_unavailable",
            ErrorKind::JwksNotCached => "jwks_not_cached",
            ErrorKind::Revoked => "revoked",
            ErrorKind::RevocationUnavailable => "revocation_unavailable",
            ErrorKind::InvalidDpopProof => "invalid_dpop_proof",
            ErrorKind::DpopProofReplayed => "dpop_proof_replayed",
            ErrorKind::UseDpopNonce => "use_dpop_nonce",
            ErrorKind::DpopBindingMismatch => "dpop_binding_mismatch",
            ErrorKind::DpopRequired => "dpop_required",
            ErrorKind::DpopReplayUnavailable => "dpop_replay_unavailable",
        }
    }

    /// What this kind means for an HTTP response (RFC 6750).
    pub const fn http_class(self) -> HttpClass {
        match self {
            ErrorKind::MissingGroup | ErrorKind::MissingScope | ErrorKind::ClaimMismatch => {
                HttpClass::InsufficientScope
            }
            ErrorKind::InsufficientUserAuthentication => HttpClass::InsufficientUserAuthentication,
            ErrorKind::JwksUnavailable
            | ErrorKind::JwksNotCached
            | ErrorKind::RevocationUnavailable
            | ErrorKind::DpopReplayUnavailable => HttpClass::Unavailable,
            ErrorKind::InvalidDpopProof | ErrorKind::DpopProofReplayed => {
                HttpClass::InvalidDpopProof
            }
            ErrorKind::UseDpopNonce => HttpClass::UseDpopNonce,
            _ => HttpClass::InvalidToken,
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The HTTP meaning of an authentication outcome, shared by every adapter so
/// that axum and actix-web answer identically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HttpClass {
    /// No credentials were sent: 401 with a bare `Bearer` challenge.
    MissingCredentials,
    /// The request is malformed (RFC 6750 `invalid_request`): 400.
    InvalidRequest,
    /// The token is invalid, expired or not for us (`invalid_token`): 401.
    InvalidToken,
    /// The token is valid but lacks a group or scope, or a claim rule
    /// does not hold (`insufficient_scope`): 403.
    InsufficientScope,
    /// The token is valid but the user must sign in again, more strongly
    /// or more recently (RFC 9470 `insufficient_user_authentication`): 401.
    InsufficientUserAuthentication,
    /// The key set cannot be had right now: 503 with `Retry-After`.
    Unavailable,
    /// The DPoP proof is refused (RFC 9449 `invalid_dpop_proof`): 401.
    InvalidDpopProof,
    /// The DPoP proof must carry the server's current nonce (RFC 9449
    /// `use_dpop_nonce`): 401 with a `DPoP-Nonce` header.
    UseDpopNonce,
}

impl HttpClass {
    /// The HTTP status code.
    pub const fn status(self) -> u16 {
        match self {
            HttpClass::MissingCredentials
            | HttpClass::InvalidToken
            | HttpClass::InsufficientUserAuthentication
            | HttpClass::InvalidDpopProof
            | HttpClass::UseDpopNonce => 401,
            HttpClass::InvalidRequest => 400,
            HttpClass::InsufficientScope => 403,
            HttpClass::Unavailable => 503,
        }
    }

    /// The RFC 6750 `error` code, if the challenge carries one.
    pub const fn bearer_error(self) -> Option<&'static str> {
        match self {
            HttpClass::MissingCredentials | HttpClass::Unavailable => None,
            HttpClass::InvalidRequest => Some("invalid_request"),
            HttpClass::InvalidToken => Some("invalid_token"),
            HttpClass::InsufficientScope => Some("insufficient_scope"),
            HttpClass::InsufficientUserAuthentication => Some("insufficient_user_authentication"),
            HttpClass::InvalidDpopProof => Some("invalid_dpop_proof"),
            HttpClass::UseDpopNonce => Some("use_dpop_nonce"),
        }
    }

    /// The gRPC status code with the same meaning, so that a gRPC service
    /// refuses a request exactly when, and as, an HTTP route would.
    pub const fn grpc_code(self) -> GrpcCode {
        match self {
            HttpClass::MissingCredentials
            | HttpClass::InvalidToken
            | HttpClass::InsufficientUserAuthentication
            | HttpClass::InvalidDpopProof
            | HttpClass::UseDpopNonce => GrpcCode::Unauthenticated,
            HttpClass::InvalidRequest => GrpcCode::InvalidArgument,
            HttpClass::InsufficientScope => GrpcCode::PermissionDenied,
            HttpClass::Unavailable => GrpcCode::Unavailable,
        }
    }
}

/// The gRPC status code of a refused request: the [`HttpClass`] of the
/// outcome in gRPC's terms ([`HttpClass::grpc_code`]).
///
/// Plain numbers, so that any gRPC library can use them: with tonic,
/// `tonic::Code::from(code.code())`.
///
/// ```
/// use cognito_jwt_core::{ErrorKind, GrpcCode};
///
/// let code = ErrorKind::MissingGroup.http_class().grpc_code();
/// assert_eq!(code, GrpcCode::PermissionDenied);
/// assert_eq!((code.code(), code.as_str()), (7, "PERMISSION_DENIED"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GrpcCode {
    /// `INVALID_ARGUMENT` (3): the `authorization` metadata is malformed
    /// (HTTP 400 `invalid_request`).
    InvalidArgument,
    /// `PERMISSION_DENIED` (7): the token is valid but lacks a group or
    /// scope (HTTP 403 `insufficient_scope`).
    PermissionDenied,
    /// `UNAVAILABLE` (14): the key set cannot be had right now; the call
    /// may be retried (HTTP 503).
    Unavailable,
    /// `UNAUTHENTICATED` (16): no credentials, or a token that is invalid,
    /// expired or not for us (HTTP 401).
    Unauthenticated,
}

impl GrpcCode {
    /// The numeric code sent as `grpc-status`.
    pub const fn code(self) -> i32 {
        match self {
            GrpcCode::InvalidArgument => 3,
            GrpcCode::PermissionDenied => 7,
            GrpcCode::Unavailable => 14,
            GrpcCode::Unauthenticated => 16,
        }
    }

    /// The code's name in the gRPC specification, e.g. `"UNAUTHENTICATED"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            GrpcCode::InvalidArgument => "INVALID_ARGUMENT",
            GrpcCode::PermissionDenied => "PERMISSION_DENIED",
            GrpcCode::Unavailable => "UNAVAILABLE",
            GrpcCode::Unauthenticated => "UNAUTHENTICATED",
        }
    }
}

impl fmt::Display for GrpcCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A token was refused or could not be checked.
///
/// Match on [`Error::kind`]. The message says what was expected and what to
/// do; it never contains the token, and any claim text it quotes is
/// truncated and escaped.
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: Box<str>,
    retry_after: Option<Duration>,
    challenge: Option<Box<ChallengeParams>>,
}

/// What a refusal's challenge asks of the client: for an
/// [`ErrorKind::InsufficientUserAuthentication`], the next sign-in (RFC
/// 9470 §3); for an [`ErrorKind::MissingScope`], the scopes to request
/// (RFC 6750 §3). The configured requirement, never token text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ChallengeParams {
    /// The acceptable `acr` values, space-separated, when `acr` is required.
    pub(crate) acr_values: Option<Box<str>>,
    /// The maximum age of the sign-in, in seconds, when one is required.
    pub(crate) max_age: Option<u64>,
    /// The required scopes (any of them), space-separated, when a scope
    /// requirement failed.
    pub(crate) scope: Option<Box<str>>,
    /// A fresh DPoP nonce, when the proof lacked a current one.
    pub(crate) dpop_nonce: Option<Box<str>>,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<Box<str>>) -> Self {
        Self {
            kind,
            message: message.into(),
            retry_after: None,
            challenge: None,
        }
    }

    pub(crate) fn with_challenge(mut self, challenge: ChallengeParams) -> Self {
        self.challenge = Some(Box::new(challenge));
        self
    }

    /// For [`ErrorKind::InsufficientUserAuthentication`] when `acr` was
    /// required: the acceptable values, space-separated (RFC 9470
    /// `acr_values`), to send in the challenge.
    pub fn acr_values(&self) -> Option<&str> {
        self.challenge.as_ref()?.acr_values.as_deref()
    }

    /// For [`ErrorKind::InsufficientUserAuthentication`] when a maximum
    /// sign-in age was required: that age in seconds (RFC 9470 `max_age`).
    pub fn max_age(&self) -> Option<u64> {
        self.challenge.as_ref()?.max_age
    }

    /// For [`ErrorKind::MissingScope`] when a scope requirement failed:
    /// the required scopes (any of them would do), space-separated, for the
    /// challenge's `scope` parameter (RFC 6750 §3).
    pub fn required_scopes(&self) -> Option<&str> {
        self.challenge.as_ref()?.scope.as_deref()
    }

    /// For [`ErrorKind::UseDpopNonce`]: the server's current nonce, to
    /// send in a `DPoP-Nonce` header for the client to put in its next
    /// proof (RFC 9449 §9).
    pub fn dpop_nonce(&self) -> Option<&str> {
        self.challenge.as_ref()?.dpop_nonce.as_deref()
    }

    pub(crate) fn with_retry_after(mut self, retry_after: Duration) -> Self {
        self.retry_after = Some(retry_after);
        self
    }

    /// For [`ErrorKind::JwksUnavailable`]: how long until the verifier will
    /// try to fetch the key set again (a `Retry-After` for HTTP 503).
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// Why the token was refused.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The human-readable explanation, without the kind prefix.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.kind)
            .field("message", &self.message)
            .field("challenge", &self.challenge)
            .finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

impl std::error::Error for Error {}

/// Quote untrusted text for an error message: at most 64 characters, every
/// non-printable or non-ASCII character escaped, so that a message can never
/// carry a token, a newline for log injection, or unbounded input.
pub(crate) fn quoted(untrusted: &str) -> String {
    const MAX: usize = 64;
    let mut out = String::with_capacity(untrusted.len().min(MAX) + 8);
    out.push('"');
    for (i, c) in untrusted.chars().enumerate() {
        if i == MAX {
            out.push('\u{2026}');
            break;
        }
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            ' '..='~' => out.push(c),
            _ => out.extend(c.escape_default()),
        }
    }
    out.push('"');
    out
}

/// The verifier's configuration is wrong. Returned by
/// [`CognitoJwtVerifierBuilder::build`](crate::CognitoJwtVerifierBuilder::build)
/// and [`CognitoJwtVerifier::from_env`](crate::CognitoJwtVerifier::from_env),
/// always at start-up, never per request.
///
/// Its `Debug` output is its message, so that a `main` returning
/// `Result<(), Box<dyn Error>>` prints what to fix rather than a struct
/// (`{:#?}` shows the fields):
///
/// ```
/// use cognito_jwt_core::ConfigError;
///
/// let error = ConfigError::Invalid { name: "COGNITO_LEEWAY".into(), problem: "not a number".into() };
/// assert_eq!(format!("{error:?}"), "COGNITO_LEEWAY is invalid: not a number");
/// assert!(format!("{error:#?}").starts_with("Invalid {"));
/// ```
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A required setting or environment variable is absent.
    #[error("{name} is not set: {expected}{}", rename_hint(name, .did_you_mean.as_deref()))]
    Missing {
        /// The setting or environment variable, e.g. `COGNITO_USER_POOL_ID`.
        name: String,
        /// What a correct value looks like.
        expected: String,
        /// A set variable whose name is close to `name` (a likely typo),
        /// if any; the message then says "`<it>` is set: rename it to
        /// `<name>`".
        did_you_mean: Option<String>,
    },
    /// A setting or environment variable has a value that cannot be used.
    #[error("{name} is invalid: {problem}")]
    Invalid {
        /// The setting or environment variable.
        name: String,
        /// What is wrong and what is expected instead.
        problem: String,
    },
    /// The HTTP client for key-set fetching could not be built.
    #[error("the HTTP client for key-set fetching could not be built: {source}")]
    HttpClient {
        /// Why, as the client reported it.
        #[source]
        source: crate::jwks::FetchError,
    },
}

impl fmt::Debug for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !f.alternate() {
            return fmt::Display::fmt(self, f);
        }
        match self {
            Self::Missing {
                name,
                expected,
                did_you_mean,
            } => f
                .debug_struct("Missing")
                .field("name", name)
                .field("expected", expected)
                .field("did_you_mean", did_you_mean)
                .finish(),
            Self::Invalid { name, problem } => f
                .debug_struct("Invalid")
                .field("name", name)
                .field("problem", problem)
                .finish(),
            Self::HttpClient { source } => f
                .debug_struct("HttpClient")
                .field("source", source)
                .finish(),
        }
    }
}

/// "; <near miss> is set: rename it to <name>", when a near miss is set.
fn rename_hint(name: &str, near_miss: Option<&str>) -> String {
    near_miss
        .map(|set| format!("; {set} is set: rename it to {name}"))
        .unwrap_or_default()
}

impl ConfigError {
    /// A required setting is absent, with no near-miss to suggest.
    pub(crate) fn missing(name: impl Into<String>, expected: impl Into<String>) -> Self {
        ConfigError::Missing {
            name: name.into(),
            expected: expected.into(),
            did_you_mean: None,
        }
    }

    pub(crate) fn invalid(name: impl Into<String>, problem: impl Into<String>) -> Self {
        ConfigError::Invalid {
            name: name.into(),
            problem: problem.into(),
        }
    }

    /// The setting or environment variable the error is about, if any.
    pub fn name(&self) -> Option<&str> {
        match self {
            ConfigError::Missing { name, .. } | ConfigError::Invalid { name, .. } => Some(name),
            ConfigError::HttpClient { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_snake_case() {
        let mut seen = std::collections::HashSet::new();
        for kind in ErrorKind::ALL {
            let name = kind.as_str();
            assert!(seen.insert(name), "duplicate {name}");
            assert!(name.chars().all(|c| c.is_ascii_lowercase() || c == '_'));
        }
    }

    #[test]
    fn quoting_escapes_and_truncates() {
        assert_eq!(quoted("a\"b\n"), "\"a\\\"b\\n\"");
        let long = "x".repeat(500);
        assert!(quoted(&long).chars().count() < 70);
        assert_eq!(quoted("é"), "\"\\u{e9}\"");
    }

    #[test]
    fn every_kind_has_the_grpc_code_of_its_http_status() {
        for &kind in ErrorKind::ALL {
            let expected = match kind.http_class().status() {
                401 => GrpcCode::Unauthenticated,
                403 => GrpcCode::PermissionDenied,
                503 => GrpcCode::Unavailable,
                status => panic!("{kind}: a token outcome with status {status}"),
            };
            assert_eq!(kind.http_class().grpc_code(), expected, "{kind}");
        }
        assert_eq!(
            HttpClass::InvalidRequest.grpc_code(),
            GrpcCode::InvalidArgument
        );
        assert_eq!(
            HttpClass::MissingCredentials.grpc_code(),
            GrpcCode::Unauthenticated
        );
    }

    #[test]
    fn grpc_codes_are_the_specification_numbers() {
        let codes = [
            GrpcCode::InvalidArgument,
            GrpcCode::PermissionDenied,
            GrpcCode::Unavailable,
            GrpcCode::Unauthenticated,
        ];
        assert_eq!(codes.map(GrpcCode::code), [3, 7, 14, 16]);
        assert_eq!(
            codes.map(|code| code.to_string()),
            [
                "INVALID_ARGUMENT",
                "PERMISSION_DENIED",
                "UNAVAILABLE",
                "UNAUTHENTICATED"
            ]
        );
    }

    #[test]
    fn http_mapping() {
        assert_eq!(ErrorKind::Expired.http_class().status(), 401);
        assert_eq!(ErrorKind::MissingGroup.http_class().status(), 403);
        assert_eq!(ErrorKind::JwksUnavailable.http_class().status(), 503);
        assert_eq!(
            ErrorKind::MissingScope.http_class().bearer_error(),
            Some("insufficient_scope")
        );
    }
}
