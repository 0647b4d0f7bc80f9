//! The shared HTTP case table (SECURITY-CASES section E) and the 503
//! answers, through a real `Router`.

use axum::Router;
use axum::routing::get;
use cognito_jwt_axum::{CognitoClaims, CognitoLayer, ResourceMetadata, Verifier};
use cognito_jwt_core::AccessTokenClaims;
use cognito_jwt_core::http::DEFAULT_REALM;
use cognito_jwt_test_support::{
    HttpCase, RESOURCE_SCOPE, RULE_ACR, RULE_AMR, RULE_MAX_AUTH_AGE, TENANT_RULE, challenge_params,
    resource_cases, resource_metadata, resource_verifier, rule_cases, rule_requirements,
    rule_verifier, secrets_of,
};

use crate::support::*;

async fn admin(CognitoClaims(claims): CognitoClaims<AccessTokenClaims>) -> &'static str {
    assert!(claims.in_group(GROUP));
    "welcome"
}

#[tokio::test]
async fn case_table_with_the_extractor() {
    let app = Router::new()
        .route("/api/admin", get(admin))
        .with_state(group_verifier());
    run_cases(&app, "/api/admin", DEFAULT_REALM).await;
}

#[tokio::test]
async fn case_table_with_a_route_guard() {
    let app = Router::new()
        .route(
            "/api/admin",
            get(admin).layer(CognitoLayer::new(verifier()).require_any_group(GROUP)),
        )
        .route("/api/open", get(|| async { "open" }))
        .with_state(verifier());
    run_cases(&app, "/api/admin", DEFAULT_REALM).await;

    let open = send(&app, request("/api/open", &[])).await;
    assert_eq!(open.status, 200, "the guard covers its route only");
}

#[tokio::test]
async fn case_table_with_a_router_layer_and_realm() {
    let app = Router::new()
        .route("/api/admin", get(|| async { "welcome" }))
        .layer(
            CognitoLayer::new(verifier())
                .require_any_group("auditors")
                .require_any_group(GROUP)
                .realm("admin \"area\""),
        );
    run_cases(&app, "/api/admin", "admin \\\"area\\\"").await;
}

#[tokio::test]
async fn case_table_with_keys_from_a_local_server() {
    let jwks = ISSUER.jwks_json();
    let server = Router::new().route(
        "/{pool}/.well-known/jwks.json",
        get(move || async move { jwks }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, server).await.unwrap() });

    let verifier = remote_verifier(&format!(
        "http://{address}/{}/.well-known/jwks.json",
        ISSUER.pool_id()
    ));
    let app = Router::new()
        .route(
            "/api/admin",
            get(admin).layer(CognitoLayer::new(verifier.clone()).require_any_group(GROUP)),
        )
        .with_state(verifier);
    run_cases(&app, "/api/admin", DEFAULT_REALM).await;
    server.abort();
}

/// Every well-formed token of the issuer needs the key set: 503, whatever
/// else is wrong with it, and never `invalid_token`.
#[tokio::test]
async fn unavailable_key_set_is_503_for_the_extractor() {
    let app = Router::new()
        .route("/api/admin", get(admin))
        .with_state(unavailable_verifier());
    for (what, token) in [
        ("valid", &TOKENS.valid_in_group),
        ("expired", &TOKENS.expired),
        ("forged", &TOKENS.forged),
    ] {
        let reply = send(&app, request("/api/admin", &bearer(token))).await;
        assert_unavailable(&reply, what);
        for secret in secrets() {
            reply.assert_not_echoed(&secret, what);
        }
    }
}

#[tokio::test]
async fn unavailable_key_set_is_503_for_the_layer() {
    let app = Router::new()
        .route("/api/admin", get(|| async { "welcome" }))
        .layer(CognitoLayer::new(unavailable_verifier()).require_any_group(GROUP));
    let reply = send(&app, request("/api/admin", &bearer(&TOKENS.valid_in_group))).await;
    assert_unavailable(&reply, "layer");
}

#[tokio::test]
async fn closed_key_set_port_is_503() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let verifier = remote_verifier(&format!(
        "http://127.0.0.1:{port}/{}/.well-known/jwks.json",
        ISSUER.pool_id()
    ));
    let app = Router::new()
        .route("/api/admin", get(admin))
        .with_state(verifier);
    for attempt in ["first request", "during back-off"] {
        let reply = send(&app, request("/api/admin", &bearer(&TOKENS.valid_in_group))).await;
        assert_unavailable(&reply, attempt);
    }
}

/// A verifier for access tokens of `CLIENT` with a token cache, keys cached.
fn caching_verifier() -> cognito_jwt_core::CognitoJwtVerifier {
    ISSUER.verifier_from(
        ISSUER
            .verifier_builder(CLIENT, cognito_jwt_core::TokenUse::Access)
            .token_cache_max_bytes(1024 * 1024),
    )
}

/// Run the shared table of claim rules and step-up against `app`, whose
/// route `uri` has [`rule_requirements`]: each token twice (the second
/// answer is a token-cache hit), the same answer both times.
async fn run_rule_cases(app: &Router, uri: &str) {
    let cases = rule_cases(&ISSUER, CLIENT);
    assert!(cases.len() >= 8);
    run_table(app, uri, cases).await;
}

/// Run a shared table against `app`'s route `uri`: each token twice (the
/// second answer is a token-cache hit), the same answer both times.
async fn run_table(app: &Router, uri: &str, cases: Vec<HttpCase>) {
    for case in cases {
        let name = case.name;
        for attempt in ["first", "repeated"] {
            let reply = send(app, request(uri, &case.authorization)).await;
            assert_eq!(
                reply.status.as_u16(),
                case.status,
                "{name}, {attempt}: {reply:?}"
            );
            if case.status == 200 {
                assert_eq!(reply.challenge(), None, "{name}");
                continue;
            }
            let challenge = reply
                .challenge()
                .unwrap_or_else(|| panic!("{name}: no challenge"));
            assert_eq!(
                reply.bearer_error(),
                case.bearer_error,
                "{name}: {challenge}"
            );
            assert_eq!(
                challenge_params(challenge),
                case.challenge_params,
                "{name}: {challenge}"
            );
            if case.bearer_error.is_some() {
                assert_eq!(reply.json()["error"].as_str(), case.bearer_error, "{name}");
            }
            for secret in secrets_of(case.authorization.iter().map(Vec::as_slice)) {
                reply.assert_not_echoed(&secret, name);
            }
        }
    }
}

#[tokio::test]
async fn rule_table_with_a_route_guard() {
    let app = Router::new()
        .route(
            "/api/payments",
            get(|| async { "paid" })
                .layer(CognitoLayer::new(caching_verifier()).requirements(rule_requirements())),
        )
        .route(
            "/api/payments-by-setters",
            get(|| async { "paid" }).layer(
                CognitoLayer::new(caching_verifier())
                    .require_claim(TENANT_RULE.parse().expect("rule"))
                    .require_any_acr(RULE_ACR)
                    .require_all_amr(RULE_AMR)
                    .require_max_auth_age(RULE_MAX_AUTH_AGE),
            ),
        );
    run_rule_cases(&app, "/api/payments").await;
    run_rule_cases(&app, "/api/payments-by-setters").await;
}

#[tokio::test]
async fn rule_table_with_the_extractor() {
    async fn payments(CognitoClaims(_): CognitoClaims<AccessTokenClaims>) -> &'static str {
        "paid"
    }
    let app = Router::new()
        .route("/api/payments", get(payments))
        .with_state(rule_verifier(&ISSUER, CLIENT));
    run_rule_cases(&app, "/api/payments").await;
}

#[tokio::test]
async fn resource_table_with_a_route_guard() {
    let verifier = resource_verifier(&ISSUER, CLIENT);
    let metadata = resource_metadata(&verifier);
    let app = Router::new().route(
        "/api/orders",
        get(|| async { "orders" }).layer(
            CognitoLayer::new(verifier)
                .require_any_scope(RESOURCE_SCOPE)
                .resource_metadata(&metadata),
        ),
    );
    run_table(&app, "/api/orders", resource_cases(&ISSUER, CLIENT)).await;
}

#[tokio::test]
async fn resource_table_with_the_extractor() {
    async fn orders(CognitoClaims(_): CognitoClaims<AccessTokenClaims>) -> &'static str {
        "orders"
    }
    let verifier = resource_verifier(&ISSUER, CLIENT);
    let metadata = resource_metadata(&verifier);
    let app = Router::new()
        .route("/api/orders", get(orders))
        .with_state(Verifier::from(verifier).resource_metadata(&metadata));
    // An extractor checks no scope: every other row.
    let cases = resource_cases(&ISSUER, CLIENT)
        .into_iter()
        .filter(|case| case.status != 403)
        .collect();
    run_table(&app, "/api/orders", cases).await;
}

#[tokio::test]
async fn the_metadata_document_is_served_at_its_well_known_path() {
    let verifier = resource_verifier(&ISSUER, CLIENT);
    let metadata = resource_metadata(&verifier);
    let served = ResourceMetadata::new(&metadata);
    let app = Router::new().route_service(served.path(), served.clone());
    let reply = send(&app, request("/.well-known/oauth-protected-resource", &[])).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.headers["content-type"], "application/json");
    assert_eq!(reply.body, metadata.to_json());
    assert_eq!(reply.json()["resource"], "https://orders.example.com");
    assert_eq!(reply.json()["authorization_servers"][0], ISSUER.issuer());
    assert_eq!(reply.json()["scopes_supported"][0], RESOURCE_SCOPE);
    let post = http::Request::post("/.well-known/oauth-protected-resource")
        .body(axum::body::Body::empty())
        .expect("request");
    assert_eq!(send(&app, post).await.status, 405);

    // A resource with a path: the path-suffixed form only.
    let with_path =
        cognito_jwt_core::http::ProtectedResourceMetadata::new("https://orders.example.com/v1/mcp")
            .expect("a resource URL");
    let served = ResourceMetadata::new(&with_path);
    let app = Router::new().route_service(served.path(), served.clone());
    let reply = send(
        &app,
        request("/.well-known/oauth-protected-resource/v1/mcp", &[]),
    )
    .await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.json()["resource"],
        "https://orders.example.com/v1/mcp"
    );
    let root = send(&app, request("/.well-known/oauth-protected-resource", &[])).await;
    assert_eq!(root.status, 404);
}
