//! Envoy's gRPC external authorization service
//! (`envoy.service.auth.v3.Authorization/Check`): the decisions of
//! `/auth`, in Envoy's terms.
//!
//! - Allowed: status `OK`, every identity header set (overwriting, kept
//!   when empty), and every other client-sent `x-auth-*` header listed for
//!   removal, so that no header the gateway speaks for reaches the
//!   upstream from the client.
//! - Refused: the refusal's gRPC status (`UNAUTHENTICATED`,
//!   `PERMISSION_DENIED`, `INVALID_ARGUMENT`, `UNAVAILABLE`) and a
//!   `DeniedHttpResponse` with the HTTP status, challenge, `Retry-After`
//!   and body `/auth` would send.
//!
//! Per-route rules come from the route's `context_extensions` (the names
//! of the check URL's parameters), which only Envoy's configuration sets.
//! With DPoP on, a proof is checked against `attributes.request.http`'s
//! `method` and `path`, joined to `PUBLIC_URL`.

use std::sync::Arc;
use std::time::Instant;

use cognito_jwt_core::http::DEFAULT_REALM;
use envoy_types::ext_authz::v3::pb::{
    Authorization, CheckRequest, CheckResponse, DeniedHttpResponse, HeaderAppendAction,
    HeaderValue, HeaderValueOption, HttpResponse, HttpStatus, OkHttpResponse,
};
use envoy_types::pb::google::rpc;

use super::decision::{
    Checked, Decision, IDENTITY_HEADERS, IDENTITY_PREFIX, Identity, decide, misconfigured_body,
};
use super::rules::RouteRules;
use super::settings::Gateway;

/// What Envoy must send for DPoP, when it did not.
const UNFORWARDED: &str = "DPoP is on (PUBLIC_URL) and the check request's \
                           attributes.request.http has no method or no path";

/// The `Authorization` service over a [`Gateway`].
#[derive(Debug)]
pub(crate) struct ExtAuthz {
    pub(crate) gateway: Arc<Gateway>,
}

#[tonic::async_trait]
impl Authorization for ExtAuthz {
    async fn check(
        &self,
        request: tonic::Request<CheckRequest>,
    ) -> Result<tonic::Response<CheckResponse>, tonic::Status> {
        let started = Instant::now();
        let check = request.into_inner();
        let attributes = check.attributes.unwrap_or_default();
        let rules = RouteRules::parse(
            attributes
                .context_extensions
                .iter()
                .map(|(name, value)| (name.as_str(), value.as_str())),
        );
        let http = attributes
            .request
            .and_then(|request| request.http)
            .unwrap_or_default();
        let name = self.gateway.token_source.header_name();
        // With `encode_raw_headers`, Envoy sends every header line as it
        // came (two `Authorization` headers stay two); otherwise a map in
        // which repeated headers are joined with commas.
        let values = |name: &str| -> Vec<&[u8]> {
            match &http.header_map {
                Some(map) => map
                    .headers
                    .iter()
                    .filter(|h| h.key.eq_ignore_ascii_case(name))
                    .map(|h| {
                        if h.raw_value.is_empty() {
                            h.value.as_bytes()
                        } else {
                            h.raw_value.as_slice()
                        }
                    })
                    .collect(),
                None => http
                    .headers
                    .iter()
                    .filter(|(key, _)| key.eq_ignore_ascii_case(name))
                    .map(|(_, value)| value.as_bytes())
                    .collect(),
            }
        };
        // Envoy's own description of the request: its method and its path
        // (with the query), never a header a client could send.
        let checked = Checked {
            method: Some(http.method.as_str()).filter(|method| !method.is_empty()),
            target: Some(http.path.as_str()).filter(|path| !path.is_empty()),
            credentials: values(name),
            dpop: values("dpop"),
        };
        let decision = decide(&self.gateway, rules, checked, UNFORWARDED).await;
        let client_headers = http.headers.keys().map(String::as_str).chain(
            http.header_map
                .iter()
                .flat_map(|map| map.headers.iter().map(|h| h.key.as_str())),
        );
        let response = render(&decision, client_headers);
        super::record(&decision, "grpc", started);
        Ok(tonic::Response::new(response))
    }
}

/// The `CheckResponse` for `decision`; `client_headers` are the names of
/// the headers of the request checked.
fn render<'a>(decision: &Decision, client_headers: impl Iterator<Item = &'a str>) -> CheckResponse {
    match decision {
        Decision::Allow(identity) => allowed(identity, client_headers),
        Decision::Anonymous => allowed(&Identity::default(), client_headers),
        Decision::Deny(rejection) => {
            let mut headers = vec![header("content-type", "application/json")];
            if let Some(challenge) = rejection.www_authenticate(DEFAULT_REALM) {
                headers.push(header("www-authenticate", &challenge));
            }
            if let Some(seconds) = rejection.retry_after_secs() {
                headers.push(header("retry-after", &seconds.to_string()));
            }
            if let Some(nonce) = rejection.dpop_nonce() {
                headers.push(header("dpop-nonce", nonce));
            }
            denied(
                rejection.grpc_code().code(),
                rejection.grpc_message(),
                rejection.status(),
                headers,
                rejection.body_json(),
            )
        }
        Decision::Misconfigured(problem) => denied(
            tonic::Code::Internal as i32,
            (*problem).to_owned(),
            500,
            vec![header("content-type", "application/json")],
            misconfigured_body(problem),
        ),
    }
}

fn allowed<'a>(
    identity: &Identity,
    client_headers: impl Iterator<Item = &'a str>,
) -> CheckResponse {
    let mut headers_to_remove: Vec<String> = client_headers
        .filter(|name| {
            name.get(..IDENTITY_PREFIX.len())
                .is_some_and(|prefix| prefix.eq_ignore_ascii_case(IDENTITY_PREFIX))
                && !IDENTITY_HEADERS
                    .iter()
                    .any(|set| set.eq_ignore_ascii_case(name))
        })
        .map(str::to_ascii_lowercase)
        .collect();
    headers_to_remove.sort_unstable();
    headers_to_remove.dedup();
    CheckResponse {
        status: Some(rpc::Status {
            code: tonic::Code::Ok as i32,
            message: String::new(),
            details: Vec::new(),
        }),
        http_response: Some(HttpResponse::OkResponse(OkHttpResponse {
            headers: identity
                .headers()
                .map(|(name, value)| header(name, value))
                .collect(),
            headers_to_remove,
            ..OkHttpResponse::default()
        })),
        ..CheckResponse::default()
    }
}

fn denied(
    code: i32,
    message: String,
    status: u16,
    headers: Vec<HeaderValueOption>,
    body: String,
) -> CheckResponse {
    CheckResponse {
        status: Some(rpc::Status {
            code,
            message,
            details: Vec::new(),
        }),
        http_response: Some(HttpResponse::DeniedResponse(DeniedHttpResponse {
            status: Some(HttpStatus {
                code: i32::from(status),
            }),
            headers,
            body,
        })),
        ..CheckResponse::default()
    }
}

/// A header that replaces any of the same name, sent even when empty (an
/// empty identity header must still overwrite a client's).
#[allow(deprecated)] // `append`, which must stay unset.
fn header(name: &str, value: &str) -> HeaderValueOption {
    HeaderValueOption {
        header: Some(HeaderValue {
            key: name.to_owned(),
            value: value.to_owned(),
            raw_value: Vec::new(),
        }),
        append: None,
        append_action: HeaderAppendAction::OverwriteIfExistsOrAdd as i32,
        keep_empty_value: true,
    }
}
