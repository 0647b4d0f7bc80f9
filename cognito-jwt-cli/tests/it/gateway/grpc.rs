//! The Envoy gRPC service, spoken to by a tonic client as Envoy speaks
//! it: every case of the shared table answered as `/auth` answers it.

use std::collections::HashMap;

use cognito_jwt_test_support::cases;
use envoy_types::pb::envoy::config::core::v3::{HeaderMap, HeaderValue};
use envoy_types::pb::envoy::service::auth::v3::attribute_context::{HttpRequest, Request};
use envoy_types::pb::envoy::service::auth::v3::authorization_client::AuthorizationClient;
use envoy_types::pb::envoy::service::auth::v3::check_response::HttpResponse;
use envoy_types::pb::envoy::service::auth::v3::{AttributeContext, CheckRequest, CheckResponse};

use super::{Answer, GROUP, Gateway, TOKENS, bearer, pool_env, pool_env_with_keys, request};

/// How Envoy hands over the request's headers.
#[derive(Debug, Clone, Copy)]
enum Headers {
    /// The default: a map, repeated headers joined with commas.
    Map,
    /// `encode_raw_headers: true`: every header line as it came.
    Raw,
}

fn check_request(
    headers: &[(&str, &[u8])],
    mode: Headers,
    context_extensions: &[(&str, &str)],
) -> CheckRequest {
    let mut http = HttpRequest {
        method: "GET".to_owned(),
        path: "/api/me".to_owned(),
        ..HttpRequest::default()
    };
    match mode {
        Headers::Map => {
            let mut map: HashMap<String, String> = HashMap::new();
            for (name, value) in headers {
                let value = String::from_utf8_lossy(value).into_owned();
                map.entry(name.to_ascii_lowercase())
                    .and_modify(|joined| {
                        joined.push(',');
                        joined.push_str(&value);
                    })
                    .or_insert(value);
            }
            http.headers = map;
        }
        Headers::Raw => {
            http.header_map = Some(HeaderMap {
                headers: headers
                    .iter()
                    .map(|(name, value)| HeaderValue {
                        key: name.to_ascii_lowercase(),
                        value: String::new(),
                        raw_value: value.to_vec(),
                    })
                    .collect(),
            });
        }
    }
    CheckRequest {
        attributes: Some(AttributeContext {
            request: Some(Request {
                http: Some(http),
                ..Request::default()
            }),
            context_extensions: context_extensions
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            ..AttributeContext::default()
        }),
    }
}

async fn ask(gateway: &Gateway, request: CheckRequest) -> CheckResponse {
    let address = gateway.grpc.expect("the gRPC service");
    let mut client = AuthorizationClient::connect(format!("http://{address}"))
        .await
        .expect("connect");
    client.check(request).await.expect("an answer").into_inner()
}

/// The gRPC answer as the HTTP answer it stands for: status, headers
/// (set or sent), body.
fn as_http(response: &CheckResponse) -> (i32, u16, Vec<(String, String)>, String, Vec<String>) {
    let code = response.status.as_ref().map_or(-1, |s| s.code);
    match &response.http_response {
        Some(HttpResponse::OkResponse(ok)) => (
            code,
            200,
            ok.headers
                .iter()
                .filter_map(|h| h.header.as_ref())
                .map(|h| (h.key.clone(), h.value.clone()))
                .collect(),
            String::new(),
            ok.headers_to_remove.clone(),
        ),
        Some(HttpResponse::DeniedResponse(denied)) => (
            code,
            denied
                .status
                .as_ref()
                .and_then(|s| u16::try_from(s.code).ok())
                .unwrap_or(0),
            denied
                .headers
                .iter()
                .filter_map(|h| h.header.as_ref())
                .map(|h| (h.key.clone(), h.value.clone()))
                .collect(),
            denied.body.clone(),
            Vec::new(),
        ),
        other => panic!("no HTTP response: {other:?}"),
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

const COMPARED: [&str; 9] = [
    "www-authenticate",
    "retry-after",
    "x-auth-sub",
    "x-auth-username",
    "x-auth-groups",
    "x-auth-scopes",
    "x-auth-client-id",
    "x-auth-token-use",
    "content-type",
];

/// The gRPC answer says what the HTTP answer says.
fn assert_same(case: &str, grpc: &CheckResponse, http: &Answer) {
    let (code, status, headers, body, _) = as_http(grpc);
    assert_eq!(status, http.status, "{case}");
    let expected_code = match http.status {
        200 => 0,
        400 => 3,
        401 => 16,
        403 => 7,
        503 => 14,
        _ => 13,
    };
    assert_eq!(code, expected_code, "{case}");
    for name in COMPARED {
        if status == 200 && name == "content-type" {
            continue;
        }
        assert_eq!(header(&headers, name), http.header(name), "{case}: {name}");
    }
    assert_eq!(body, http.body, "{case}");
}

#[tokio::test(flavor = "current_thread")]
async fn every_case_of_the_table_is_answered_as_over_http() {
    let mut env = pool_env();
    env.push(("GATEWAY_GRPC_ADDR".to_owned(), "127.0.0.1:0".to_owned()));
    let gateway = Gateway::start(&env);
    for mode in [Headers::Map, Headers::Raw] {
        for case in cases(&TOKENS) {
            let headers: Vec<(&str, &[u8])> = case
                .authorization
                .iter()
                .map(|v| ("Authorization", v.as_slice()))
                .collect();
            let http = request(gateway.http, "GET", "/auth?any_group=admins", &headers);
            assert_eq!(http.status, case.status, "{}", case.name);
            let grpc = ask(
                &gateway,
                check_request(&headers, mode, &[("any_group", GROUP)]),
            )
            .await;
            let name = format!("{} ({mode:?})", case.name);
            if matches!(mode, Headers::Map) && case.authorization.len() > 1 {
                // Envoy joins two headers with a comma: still malformed,
                // with another description.
                let (code, status, headers, _, _) = as_http(&grpc);
                assert_eq!((code, status), (3, 400), "{name}");
                let challenge = header(&headers, "www-authenticate").unwrap_or("");
                assert_eq!(
                    cognito_jwt_test_support::bearer_error(challenge),
                    Some("invalid_request")
                );
            } else {
                assert_same(&name, &grpc, &http);
            }
        }
    }
}

#[tokio::test(flavor = "current_thread")]
async fn allowed_sets_every_identity_header_and_removes_other_client_x_auth_headers() {
    let mut env = pool_env();
    env.push(("GATEWAY_GRPC_ADDR".to_owned(), "127.0.0.1:0".to_owned()));
    env.push(("GATEWAY_ANONYMOUS".to_owned(), "allow".to_owned()));
    let gateway = Gateway::start(&env);
    let token = bearer(&TOKENS.valid);
    let spoofed: [(&str, &[u8]); 3] = [
        ("authorization", &token),
        ("x-auth-sub", b"admin"),
        ("X-Auth-Admin", b"true"),
    ];
    let grpc = ask(&gateway, check_request(&spoofed, Headers::Map, &[])).await;
    let (code, status, headers, _, removed) = as_http(&grpc);
    assert_eq!((code, status), (0, 200));
    assert_eq!(headers.len(), 6, "{headers:?}");
    assert_ne!(header(&headers, "x-auth-sub"), Some("admin"));
    assert_eq!(removed, ["x-auth-admin"]);
    let Some(HttpResponse::OkResponse(ok)) = &grpc.http_response else {
        panic!("allowed")
    };
    for option in &ok.headers {
        assert!(option.keep_empty_value, "{option:?}");
        // OVERWRITE_IF_EXISTS_OR_ADD
        assert_eq!(option.append_action, 2, "{option:?}");
    }

    // Anonymous: every identity header set, empty.
    let spoofed: [(&str, &[u8]); 1] = [("x-auth-sub", b"admin")];
    let grpc = ask(&gateway, check_request(&spoofed, Headers::Raw, &[])).await;
    let (code, _, headers, _, _) = as_http(&grpc);
    assert_eq!(code, 0);
    assert_eq!(headers.len(), 6);
    assert!(headers.iter().all(|(_, v)| v.is_empty()), "{headers:?}");
    // The route's context extensions deny it.
    let grpc = ask(
        &gateway,
        check_request(&spoofed, Headers::Raw, &[("anonymous", "deny")]),
    )
    .await;
    assert_eq!(as_http(&grpc).1, 401);
    // A rule Envoy's configuration misspells opens nothing.
    let grpc = ask(
        &gateway,
        check_request(
            &[("authorization", &token)],
            Headers::Map,
            &[("any_groups", "x")],
        ),
    )
    .await;
    assert_eq!((as_http(&grpc).0, as_http(&grpc).1), (13, 500));
}

#[tokio::test(flavor = "current_thread")]
async fn a_key_set_that_cannot_be_fetched_is_unavailable_with_retry_after() {
    let mut env = pool_env_with_keys(&super::closed_port_url());
    env.push(("GATEWAY_GRPC_ADDR".to_owned(), "127.0.0.1:0".to_owned()));
    let gateway = Gateway::start(&env);
    let token = bearer(&TOKENS.valid);
    let headers: [(&str, &[u8]); 1] = [("authorization", &token)];
    let grpc = ask(&gateway, check_request(&headers, Headers::Map, &[])).await;
    let (code, status, headers, _, _) = as_http(&grpc);
    assert_eq!((code, status), (14, 503));
    assert!(header(&headers, "retry-after").is_some(), "{headers:?}");
    assert_eq!(header(&headers, "www-authenticate"), None);
}

/// A check of `GET <path>` carrying `authorization` and `dpop`, with
/// Envoy's method and path unless `described` is false.
fn dpop_check(path: &str, authorization: &[u8], dpop: &str, described: bool) -> CheckRequest {
    let mut request = check_request(
        &[("authorization", authorization), ("dpop", dpop.as_bytes())],
        Headers::Map,
        &[],
    );
    if let Some(http) = request
        .attributes
        .as_mut()
        .and_then(|a| a.request.as_mut())
        .and_then(|r| r.http.as_mut())
    {
        if described {
            http.path = path.to_owned();
        } else {
            http.method.clear();
            http.path.clear();
        }
    }
    request
}

#[tokio::test(flavor = "current_thread")]
async fn dpop_proofs_are_checked_against_envoys_method_and_path() {
    use super::dpop::{bound_token, dpop_scheme, nonce_env, proof, proof_with_nonce};
    use cognito_jwt_core::Algorithm;
    use cognito_jwt_core::testing::DpopKey;

    let mut env = nonce_env();
    env.push(("GATEWAY_GRPC_ADDR".to_owned(), "127.0.0.1:0".to_owned()));
    let gateway = Gateway::start(&env);
    let key = DpopKey::generate(Algorithm::ES256);
    let token = bound_token(&key);
    let scheme = dpop_scheme(&token);
    let error = |headers: &[(String, String)]| {
        header(headers, "www-authenticate")
            .and_then(cognito_jwt_test_support::bearer_error)
            .map(str::to_owned)
    };

    let first = proof(&key, "GET", "/orders", &token);
    let answer = ask(
        &gateway,
        dpop_check("/orders?page=2", &scheme, &first, true),
    )
    .await;
    let (code, status, headers, _, _) = as_http(&answer);
    assert_eq!((code, status), (16, 401));
    assert_eq!(error(&headers).as_deref(), Some("use_dpop_nonce"));
    let nonce = header(&headers, "dpop-nonce").expect("a nonce").to_owned();

    let good = proof_with_nonce(&key, "/orders", &token, &nonce);
    let answer = ask(&gateway, dpop_check("/orders?page=2", &scheme, &good, true)).await;
    let (code, status, headers, _, _) = as_http(&answer);
    assert_eq!((code, status), (0, 200));
    assert!(header(&headers, "x-auth-sub").is_some_and(|s| !s.is_empty()));

    let answer = ask(&gateway, dpop_check("/orders?page=2", &scheme, &good, true)).await;
    let (code, status, headers, _, _) = as_http(&answer);
    assert_eq!((code, status), (16, 401), "replayed");
    assert_eq!(error(&headers).as_deref(), Some("invalid_dpop_proof"));

    let other = proof_with_nonce(&key, "/orders", &token, &nonce);
    let answer = ask(&gateway, dpop_check("/invoices", &scheme, &other, true)).await;
    let (_, status, headers, _, _) = as_http(&answer);
    assert_eq!(status, 401, "another path");
    assert_eq!(error(&headers).as_deref(), Some("invalid_dpop_proof"));

    let answer = ask(&gateway, dpop_check("/orders", &bearer(&token), "", true)).await;
    let (_, status, headers, _, _) = as_http(&answer);
    assert_eq!(status, 401, "as bearer");
    assert_eq!(error(&headers).as_deref(), Some("invalid_token"));

    let answer = ask(&gateway, dpop_check("/orders", &scheme, &other, false)).await;
    let (code, status, _, body, _) = as_http(&answer);
    assert_eq!((code, status), (13, 500), "no method or path: {body}");
    assert!(body.contains("gateway_misconfigured") && body.contains("path"));
}
