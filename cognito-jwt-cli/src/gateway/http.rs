//! The HTTP side: `/auth` for nginx `auth_request`, Caddy `forward_auth`
//! and Traefik `ForwardAuth` (any method: proxies forward the original
//! one), and `/health`, `/ready` and `/metrics`.
//!
//! With DPoP on, a proof is checked against the method and URI the proxy
//! names in `X-Forwarded-Method` and `X-Forwarded-Uri` (Traefik and Caddy
//! send both; the nginx recipe sets them), joined to `PUBLIC_URL`: never
//! against the check's own request line or a host header.

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use cognito_jwt_core::http::{DEFAULT_REALM, Readiness};
use metrics_exporter_prometheus::PrometheusHandle;

use super::decision::{Checked, Decision, Identity, decide, misconfigured_body};
use super::rules::RouteRules;
use super::settings::Gateway;

/// The content type of the Prometheus text exposition format.
const METRICS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

#[derive(Clone)]
struct AppState {
    gateway: Arc<Gateway>,
    prometheus: PrometheusHandle,
}

/// Every route of the HTTP side.
pub(crate) fn router(gateway: Arc<Gateway>, prometheus: PrometheusHandle) -> Router {
    Router::new()
        .route("/auth", any(check))
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/metrics", get(metrics))
        .with_state(AppState {
            gateway,
            prometheus,
        })
}

/// The header the proxy names the original request's method in (Traefik
/// and Caddy send it; the nginx recipe sets it).
const FORWARDED_METHOD: &str = "x-forwarded-method";
/// The header the proxy names the original request's target (path and
/// query) in.
const FORWARDED_URI: &str = "x-forwarded-uri";

/// What the proxy must send for DPoP, when it did not.
const UNFORWARDED: &str = "DPoP is on (PUBLIC_URL) and the check does not carry exactly one \
                           X-Forwarded-Method and one X-Forwarded-Uri header; set both to the \
                           original request's method and URI in the proxy (see the recipes)";

/// The one value of the header `name` the proxy set, as text; `None` when
/// it is absent or repeated. A value that is not UTF-8 is kept with
/// replacement characters, which no proof's `htu` or `htm` can match.
fn forwarded<'a>(headers: &'a HeaderMap, name: &str) -> Option<std::borrow::Cow<'a, str>> {
    let mut values = headers.get_all(name).into_iter();
    match (values.next(), values.next()) {
        (Some(value), None) => Some(String::from_utf8_lossy(value.as_bytes())),
        _ => None,
    }
}

async fn check(State(state): State<AppState>, request: Request) -> Response {
    let started = Instant::now();
    let rules = RouteRules::from_query(request.uri().query());
    let headers = request.headers();
    let name = state.gateway.token_source.header_name();
    let values = |name| headers.get_all(name).into_iter().map(HeaderValue::as_bytes);
    let method = forwarded(headers, FORWARDED_METHOD);
    let target = forwarded(headers, FORWARDED_URI);
    let checked = Checked {
        method: method.as_deref(),
        target: target.as_deref(),
        credentials: values(name).collect(),
        dpop: values("dpop").collect(),
    };
    let decision = decide(&state.gateway, rules, checked, UNFORWARDED).await;
    let response = render(&decision);
    super::record(&decision, "http", started);
    response
}

/// The HTTP answer to `decision`: 200 with every identity header, or the
/// example servers' refusal (status, challenge, `Retry-After`, fixed
/// body).
pub(crate) fn render(decision: &Decision) -> Response {
    match decision {
        Decision::Allow(identity) => allowed(identity),
        Decision::Anonymous => allowed(&Identity::default()),
        Decision::Deny(rejection) => {
            let mut response = (
                status(rejection.status()),
                [(CONTENT_TYPE, "application/json")],
                rejection.body_json(),
            )
                .into_response();
            let headers = response.headers_mut();
            if let Some(challenge) = rejection.www_authenticate(DEFAULT_REALM)
                && let Ok(value) = HeaderValue::from_str(&challenge)
            {
                headers.insert(WWW_AUTHENTICATE, value);
            }
            if let Some(seconds) = rejection.retry_after_secs() {
                headers.insert(RETRY_AFTER, HeaderValue::from(seconds));
            }
            if let Some(nonce) = rejection.dpop_nonce()
                && let Ok(value) = HeaderValue::from_str(nonce)
            {
                headers.insert(HeaderName::from_static("dpop-nonce"), value);
            }
            response
        }
        Decision::Misconfigured(problem) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            [(CONTENT_TYPE, "application/json")],
            misconfigured_body(problem),
        )
            .into_response(),
    }
}

fn allowed(identity: &Identity) -> Response {
    let mut headers = HeaderMap::with_capacity(6);
    for (name, value) in identity.headers() {
        // Encoded values are visible ASCII and spaces: always valid.
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    }
    (StatusCode::OK, headers, Body::empty()).into_response()
}

fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

async fn health() -> Response {
    ([(CONTENT_TYPE, "application/json")], r#"{"status":"ok"}"#).into_response()
}

async fn ready(State(state): State<AppState>) -> Response {
    let readiness = Readiness::of(&state.gateway.verifier);
    let mut response = (
        status(readiness.status()),
        [(CONTENT_TYPE, "application/json")],
        readiness.body_json(),
    )
        .into_response();
    if let Some(seconds) = readiness.retry_after_secs() {
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

async fn metrics(State(state): State<AppState>) -> Response {
    (
        [(CONTENT_TYPE, METRICS_CONTENT_TYPE)],
        state.prometheus.render(),
    )
        .into_response()
}
