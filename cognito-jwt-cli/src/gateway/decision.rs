//! The one decision both protocols render: find the token, verify it
//! against the gateway's and the route's rules, and say who the caller is
//! or why they are refused.

use std::fmt::Write as _;

use cognito_jwt_core::http::{
    AuthRejection, HttpRequest, authenticate_request, authenticate_request_optional,
};
use cognito_jwt_core::{AnyVerifier, ClaimsView, HttpClass, TokenClaims, TokenUse, Verify as _};
use serde::Deserialize;

use super::rules::{Anonymous, RouteRules};
use super::settings::Gateway;

/// The identity headers, lower case, in the order they are sent: every
/// one is on every allowed answer, empty when its claim is absent, so a
/// proxy that copies them always overwrites what a client sent.
pub(crate) const IDENTITY_HEADERS: [&str; 6] = [
    "x-auth-sub",
    "x-auth-username",
    "x-auth-groups",
    "x-auth-scopes",
    "x-auth-client-id",
    "x-auth-token-use",
];

/// The prefix of every header the gateway speaks for: a client-sent
/// header with it never reaches an upstream through the gRPC service.
pub(crate) const IDENTITY_PREFIX: &str = "x-auth-";

/// Who the caller is, as header values: each already encoded (see
/// [`encode`]), in the order of [`IDENTITY_HEADERS`]; and the groups and
/// scopes as the token has them, for the gateway-wide requirements.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(try_from = "serde_json::Value")]
pub(crate) struct Identity {
    values: [String; 6],
    groups: Vec<String>,
    scopes: Vec<String>,
}

impl TryFrom<serde_json::Value> for Identity {
    type Error = &'static str;

    // `TokenClaims` asks for `Deserialize`, but a payload alone proves
    // nothing: only the verifier builds an identity, through `from_view`.
    fn try_from(_: serde_json::Value) -> Result<Self, Self::Error> {
        Err("an identity is built by the verifier from a verified token, never deserialized")
    }
}

/// The claim a generic issuer may name its client by when it has no
/// `client_id` (as the Lambda authorizer reads it).
#[derive(Deserialize)]
struct AuthorizedParty {
    azp: Option<String>,
}

impl TokenClaims for Identity {
    fn from_view(view: &ClaimsView<'_>) -> Result<Self, serde_json::Error> {
        let client_id = match (view.client_id(), view.token_use()) {
            ("", None) => view
                .deserialize::<AuthorizedParty>()?
                .azp
                .unwrap_or_default(),
            (client_id, _) => client_id.to_owned(),
        };
        Ok(Self {
            values: [
                encode(view.subject()),
                view.username().map(encode).unwrap_or_default(),
                encode_list(view.groups()),
                encode_list(view.scopes()),
                encode(&client_id),
                view.token_use().map_or("", TokenUse::as_str).to_owned(),
            ],
            groups: view.groups().map(str::to_owned).collect(),
            scopes: view.scopes().map(str::to_owned).collect(),
        })
    }
}

impl Identity {
    /// The headers to set, name and value, every one of them.
    pub(crate) fn headers(&self) -> impl Iterator<Item = (&'static str, &str)> {
        IDENTITY_HEADERS
            .into_iter()
            .zip(self.values.iter().map(String::as_str))
    }
}

/// `value` as a header value that says exactly what the claim says:
/// every byte outside visible ASCII (space included, so that lists split
/// unambiguously and nothing is trimmed) and `%` itself as `%XX`. A claim
/// can therefore neither end the header (CR, LF) nor be cut or dropped.
pub(crate) fn encode(value: &str) -> String {
    let mut encoded = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_graphic() && byte != b'%' {
            encoded.push(char::from(byte));
        } else {
            let _ = write!(encoded, "%{byte:02X}");
        }
    }
    encoded
}

/// Items [`encode`]d and joined with single spaces, as `scope` is (and as
/// the Lambda authorizer's context joins groups).
fn encode_list<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let mut joined = String::new();
    for item in items {
        if !joined.is_empty() {
            joined.push(' ');
        }
        joined.push_str(&encode(item));
    }
    joined
}

/// What the gateway answers a check.
#[derive(Debug)]
pub(crate) enum Decision {
    /// Let the request through with this identity.
    Allow(Identity),
    /// Let a request without credentials through, every identity header
    /// empty (`anonymous=allow`).
    Anonymous,
    /// Refuse it, as the example servers would.
    Deny(AuthRejection),
    /// The proxy's configuration names a rule the gateway cannot read: a
    /// 500, never a pass (a misspelt rule must not open a route).
    Misconfigured(&'static str),
}

impl Decision {
    /// The label of the decision counter.
    pub(crate) fn outcome(&self) -> &'static str {
        match self {
            Decision::Allow(_) => "allowed",
            Decision::Anonymous => "anonymous",
            Decision::Misconfigured(_) => "misconfigured",
            Decision::Deny(rejection) => match rejection.http_class() {
                HttpClass::InvalidRequest => "invalid_request",
                HttpClass::InsufficientScope => "forbidden",
                HttpClass::Unavailable => "unavailable",
                _ => "unauthorized",
            },
        }
    }
}

/// The fixed body of a [`Decision::Misconfigured`] answer.
pub(crate) fn misconfigured_body(problem: &str) -> String {
    format!(
        r#"{{"error":"gateway_misconfigured","error_description":"the proxy's configuration does not give the gateway what it needs: {problem}"}}"#
    )
}

/// The request a check is about, as the proxy describes it.
#[derive(Debug, Default)]
pub(crate) struct Checked<'a> {
    /// The original request's method, from the proxy (DPoP's `htm`).
    pub(crate) method: Option<&'a str>,
    /// The original request's target, path and query, from the proxy
    /// (with `PUBLIC_URL`, DPoP's `htu`).
    pub(crate) target: Option<&'a str>,
    /// The values of the token header (`authorization`, or
    /// `x-amzn-oidc-data` behind a load balancer: see
    /// [`Verify::token_source`](cognito_jwt_core::Verify::token_source)).
    pub(crate) credentials: Vec<&'a [u8]>,
    /// The values of the `DPoP` header.
    pub(crate) dpop: Vec<&'a [u8]>,
}

/// Decide on `request` under `rules` (from the proxy's configuration,
/// never from the client). With DPoP on, a request whose method or
/// target the proxy did not give is [`Decision::Misconfigured`] with
/// `unforwarded` (what the proxy must send): a proof is never checked
/// against a guessed URL.
pub(crate) async fn decide(
    gateway: &Gateway,
    rules: Result<RouteRules, &'static str>,
    request: Checked<'_>,
    unforwarded: &'static str,
) -> Decision {
    let rules = match rules {
        Ok(rules) => rules,
        Err(problem) => {
            tracing::error!(problem, "the check URL or context extensions are malformed");
            return Decision::Misconfigured(problem);
        }
    };
    let verifier: &AnyVerifier = &gateway.verifier;
    let dpop_on = verifier.dpop_support().is_some();
    if dpop_on && (request.method.is_none() || request.target.is_none()) {
        tracing::error!(
            problem = unforwarded,
            "DPoP is on and the proxy did not forward the request's method and URI"
        );
        return Decision::Misconfigured(unforwarded);
    }
    // Without DPoP, the method and target are not read.
    let http = HttpRequest::new(
        request.method.unwrap_or_default(),
        request.target.unwrap_or_default(),
    )
    .token_header(request.credentials)
    .dpop(request.dpop);
    let source = &gateway.token_source;
    let verified = match rules.anonymous.unwrap_or(gateway.anonymous) {
        Anonymous::Allow => {
            authenticate_request_optional::<Identity>(verifier, source, &rules.requirements, &http)
                .await
        }
        Anonymous::Deny => {
            authenticate_request::<Identity>(verifier, source, &rules.requirements, &http)
                .await
                .map(Some)
        }
    };
    match verified {
        Ok(None) => Decision::Anonymous,
        Ok(Some(identity)) => match gateway.requirements.check(
            identity.groups.iter().map(String::as_str),
            identity.scopes.iter().map(String::as_str),
        ) {
            Ok(()) => Decision::Allow(identity),
            Err(error) => {
                let rejection = AuthRejection::from(error);
                rejection.log();
                Decision::Deny(rejection)
            }
        },
        Err(rejection) => Decision::Deny(rejection),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_keeps_visible_ascii_and_escapes_everything_else() {
        assert_eq!(encode("alice-01_x@example.com"), "alice-01_x@example.com");
        assert_eq!(encode("a b%c"), "a%20b%25c");
        assert_eq!(
            encode("x\r\nX-Auth-Sub: admin"),
            "x%0D%0AX-Auth-Sub:%20admin"
        );
        assert_eq!(encode("é"), "%C3%A9");
        assert_eq!(encode("\u{7f}\t"), "%7F%09");
        assert_eq!(encode(""), "");
        assert_eq!(
            encode_list(["a,b", "c d", "ü"].into_iter()),
            "a,b c%20d %C3%BC"
        );
    }

    #[test]
    fn an_identity_is_never_deserialized_from_a_payload() {
        let forged = serde_json::json!({ "values": ["admin", "", "", "", "", ""] });
        assert!(serde_json::from_value::<Identity>(forged).is_err());
    }
}
