//! The actix-web adapter against real apps: the shared HTTP case table,
//! unavailable keys, the extractors, the middleware and rendering.

use std::net::TcpListener;
use std::sync::LazyLock;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::header::{AUTHORIZATION, COOKIE, HeaderValue, RETRY_AFTER, WWW_AUTHENTICATE};
use actix_web::test::{self, TestRequest};
use actix_web::{App, HttpMessage, HttpResponse, web};
use cognito_jwt_actix::{
    AuthRejection, CognitoAuth, CognitoClaims, CognitoConfig, CognitoError, OptionalCognitoClaims,
    ProtectedResourceMetadata, TokenSource,
};
use cognito_jwt_core::AcceptedTokenUse;
use cognito_jwt_core::testing::TestIssuer;
use cognito_jwt_core::{AccessTokenClaims, CognitoJwtVerifier, TokenUse, UserPool};
use cognito_jwt_test_support::{
    CaseTokens, RESOURCE_SCOPE, RULE_ACR, RULE_AMR, RULE_MAX_AUTH_AGE, TENANT_RULE, bearer,
    bearer_error, cases, challenge_params, resource_cases, resource_metadata, resource_verifier,
    rule_cases, rule_requirements, rule_verifier, secrets_of, unavailable_verifier,
};

const CLIENT: &str = "actix-client";
const GROUP: &str = "admins";

static ISSUER: LazyLock<TestIssuer> = LazyLock::new(|| TestIssuer::new("eu-west-1_ActixTests"));
static TOKENS: LazyLock<CaseTokens> = LazyLock::new(|| CaseTokens::new(&ISSUER, CLIENT, GROUP));

fn verifier() -> CognitoJwtVerifier {
    ISSUER.verifier(CLIENT, TokenUse::Access)
}

fn verifier_requiring_group() -> CognitoJwtVerifier {
    ISSUER.verifier_from(
        ISSUER
            .verifier_builder(CLIENT, TokenUse::Access)
            .require_any_group(GROUP),
    )
}

fn get(uri: &str, authorization: &[Vec<u8>]) -> TestRequest {
    authorization
        .iter()
        .fold(TestRequest::get().uri(uri), |request, value| {
            request.append_header((
                AUTHORIZATION,
                HeaderValue::from_bytes(value).expect("a header value"),
            ))
        })
}

/// A response, read completely.
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: Vec<(String, Vec<u8>)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| std::str::from_utf8(v).expect("a UTF-8 header"))
    }

    fn challenge(&self) -> Option<&str> {
        self.header(WWW_AUTHENTICATE.as_str())
    }

    /// The `error` code of the `WWW-Authenticate` challenge.
    fn bearer_error(&self) -> Option<&str> {
        self.challenge().and_then(bearer_error)
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }

    /// Neither the token nor any of its segments is in a header or the body.
    fn assert_reveals_nothing_of(&self, token: &str) {
        let segments = token.split('.').filter(|s| s.len() > 8);
        for secret in std::iter::once(token).chain(segments) {
            assert!(!self.body.contains(secret), "body reveals the token");
            for (name, value) in &self.headers {
                assert!(
                    !String::from_utf8_lossy(value).contains(secret),
                    "header {name} reveals the token"
                );
            }
        }
    }
}

async fn send<S, R, B>(app: &S, request: R) -> Answer
where
    S: Service<R, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let response = test::call_service(app, request).await;
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().to_owned(), v.as_bytes().to_vec()))
        .collect();
    let body = test::read_body(response).await;
    Answer {
        status,
        headers,
        body: String::from_utf8(body.to_vec()).expect("a UTF-8 body"),
    }
}

/// Check one answer against a row of the shared table.
fn assert_case(answer: &Answer, name: &str, status: u16, bearer_error: Option<&str>) {
    assert_eq!(answer.status, status, "{name}: status ({answer:?})");
    if status == 200 {
        assert_eq!(answer.challenge(), None, "{name}: no challenge on success");
        assert_eq!(answer.body, "ok", "{name}");
    } else {
        let challenge = answer
            .challenge()
            .unwrap_or_else(|| panic!("{name}: no challenge"));
        assert!(
            challenge.starts_with("Bearer realm=\"api\""),
            "{name}: {challenge}"
        );
        assert_eq!(answer.bearer_error(), bearer_error, "{name}: {challenge}");
        if bearer_error.is_none() {
            assert_eq!(challenge, "Bearer realm=\"api\"", "{name}: bare challenge");
        }
        assert_eq!(
            answer.header("content-type"),
            Some("application/json"),
            "{name}"
        );
        let body = answer.json();
        assert_eq!(
            body["error"].as_str(),
            Some(bearer_error.unwrap_or("unauthorized")),
            "{name}"
        );
        assert!(body["error_description"].is_string(), "{name}");
    }
    for token in TOKENS.all() {
        answer.assert_reveals_nothing_of(token);
    }
}

async fn admin_only(claims: CognitoClaims<AccessTokenClaims>) -> &'static str {
    assert!(claims.in_group(GROUP));
    "ok"
}

async fn signed_in(_claims: CognitoClaims<AccessTokenClaims>) -> &'static str {
    "ok"
}

#[actix_web::test]
async fn shared_cases_through_the_middleware() {
    let app = test::init_service(
        App::new().service(
            web::scope("/admin")
                .wrap(CognitoAuth::<AccessTokenClaims>::new(verifier()).require_any_group(GROUP))
                .route("/me", web::get().to(admin_only)),
        ),
    )
    .await;
    let table = cases(&TOKENS);
    assert!(table.len() >= 10);
    for case in table {
        let answer = send(&app, get("/admin/me", &case.authorization).to_request()).await;
        assert_case(&answer, case.name, case.status, case.bearer_error);
    }
}

#[actix_web::test]
async fn shared_cases_through_the_extractor() {
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(verifier_requiring_group()))
            .route("/admin/me", web::get().to(admin_only)),
    )
    .await;
    let table = cases(&TOKENS);
    assert!(table.len() >= 10);
    for case in table {
        let answer = send(&app, get("/admin/me", &case.authorization).to_request()).await;
        assert_case(&answer, case.name, case.status, case.bearer_error);
    }
}

/// A verifier for access tokens of `CLIENT` with a token cache, keys cached.
fn caching_verifier() -> CognitoJwtVerifier {
    ISSUER.verifier_from(
        ISSUER
            .verifier_builder(CLIENT, TokenUse::Access)
            .token_cache_max_bytes(1024 * 1024),
    )
}

/// Run the shared table of claim rules and step-up against `app`, whose
/// route `uri` has `rule_requirements`: each token twice (the second
/// answer is a token-cache hit), the same answer both times. (A macro: the
/// test service's request type has no public name here.)
macro_rules! run_rule_cases {
    ($app:expr, $uri:expr) => {{
        let table = rule_cases(&ISSUER, CLIENT);
        assert!(table.len() >= 8);
        run_table!($app, $uri, table);
    }};
}

/// Run a shared table against `$app`'s route `$uri`: each token twice
/// (the second answer is a token-cache hit), the same answer both times.
macro_rules! run_table {
    ($app:expr, $uri:expr, $table:expr) => {{
        for case in $table {
            let name = case.name;
            for attempt in ["first", "repeated"] {
                let answer = send($app, get($uri, &case.authorization).to_request()).await;
                assert_eq!(answer.status, case.status, "{name}, {attempt}: {answer:?}");
                if case.status == 200 {
                    assert_eq!(answer.challenge(), None, "{name}");
                    continue;
                }
                let challenge = answer
                    .challenge()
                    .unwrap_or_else(|| panic!("{name}: no challenge"));
                assert_eq!(
                    answer.bearer_error(),
                    case.bearer_error,
                    "{name}: {challenge}"
                );
                assert_eq!(
                    challenge_params(challenge),
                    case.challenge_params,
                    "{name}: {challenge}"
                );
                if case.bearer_error.is_some() {
                    assert_eq!(answer.json()["error"].as_str(), case.bearer_error, "{name}");
                }
                for secret in secrets_of(case.authorization.iter().map(Vec::as_slice)) {
                    answer.assert_reveals_nothing_of(&secret);
                }
            }
        }
    }};
}

#[actix_web::test]
async fn shared_rule_cases_through_the_middleware() {
    let app = test::init_service(
        App::new()
            .service(
                web::scope("/payments")
                    .wrap(
                        CognitoAuth::<AccessTokenClaims>::new(caching_verifier())
                            .requirements(rule_requirements()),
                    )
                    .route("/pay", web::get().to(signed_in)),
            )
            .service(
                web::scope("/by-setters")
                    .wrap(
                        CognitoAuth::<AccessTokenClaims>::new(caching_verifier())
                            .require_claim(TENANT_RULE.parse().expect("rule"))
                            .require_any_acr(RULE_ACR)
                            .require_all_amr(RULE_AMR)
                            .require_max_auth_age(RULE_MAX_AUTH_AGE),
                    )
                    .route("/pay", web::get().to(signed_in)),
            ),
    )
    .await;
    run_rule_cases!(&app, "/payments/pay");
    run_rule_cases!(&app, "/by-setters/pay");
}

#[actix_web::test]
async fn shared_rule_cases_through_the_extractor() {
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(rule_verifier(&ISSUER, CLIENT)))
            .route("/payments/pay", web::get().to(signed_in)),
    )
    .await;
    run_rule_cases!(&app, "/payments/pay");
}

#[actix_web::test]
async fn shared_resource_cases_through_the_middleware() {
    let verifier = resource_verifier(&ISSUER, CLIENT);
    let metadata = resource_metadata(&verifier);
    let app = test::init_service(
        App::new().service(
            web::scope("/api")
                .wrap(
                    CognitoAuth::<AccessTokenClaims>::new(verifier)
                        .require_any_scope(RESOURCE_SCOPE)
                        .config(CognitoConfig::new().resource_metadata(&metadata)),
                )
                .route("/orders", web::get().to(signed_in)),
        ),
    )
    .await;
    run_table!(&app, "/api/orders", resource_cases(&ISSUER, CLIENT));
}

#[actix_web::test]
async fn shared_resource_cases_through_the_extractor() {
    let verifier = resource_verifier(&ISSUER, CLIENT);
    let metadata = resource_metadata(&verifier);
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(verifier))
            .app_data(CognitoConfig::new().resource_metadata(&metadata))
            .route("/api/orders", web::get().to(signed_in)),
    )
    .await;
    // An extractor checks no scope: every other row.
    let table: Vec<_> = resource_cases(&ISSUER, CLIENT)
        .into_iter()
        .filter(|case| case.status != 403)
        .collect();
    run_table!(&app, "/api/orders", table);
}

#[actix_web::test]
async fn the_metadata_document_is_served_at_its_well_known_path() {
    let verifier = resource_verifier(&ISSUER, CLIENT);
    let metadata = resource_metadata(&verifier);
    let with_path = ProtectedResourceMetadata::new("https://orders.example.com/v1/mcp")
        .expect("a resource URL");
    let app = test::init_service(
        App::new()
            .service(cognito_jwt_actix::resource_metadata(&metadata))
            .service(cognito_jwt_actix::resource_metadata(&with_path)),
    )
    .await;
    let answer = send(
        &app,
        get("/.well-known/oauth-protected-resource", &[]).to_request(),
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("content-type"), Some("application/json"));
    assert_eq!(answer.body, metadata.to_json());
    assert_eq!(answer.json()["authorization_servers"][0], ISSUER.issuer());
    assert_eq!(answer.json()["scopes_supported"][0], RESOURCE_SCOPE);
    let post = TestRequest::post()
        .uri("/.well-known/oauth-protected-resource")
        .to_request();
    assert_eq!(send(&app, post).await.status, 405);
    let suffixed = send(
        &app,
        get("/.well-known/oauth-protected-resource/v1/mcp", &[]).to_request(),
    )
    .await;
    assert_eq!(suffixed.status, 200);
    assert_eq!(suffixed.body, with_path.to_json());
}

fn assert_unavailable(answer: &Answer) {
    assert_eq!(answer.status, 503, "{answer:?}");
    assert_eq!(answer.challenge(), None);
    let retry_after: u64 = answer
        .header(RETRY_AFTER.as_str())
        .and_then(|value| value.parse().ok())
        .expect("Retry-After in whole seconds");
    assert!(retry_after >= 1);
    assert_eq!(answer.json()["error"], "temporarily_unavailable");
    assert!(!answer.body.contains("invalid_token"));
    answer.assert_reveals_nothing_of(&TOKENS.valid_in_group);
}

#[actix_web::test]
async fn unavailable_keys_answer_503_with_retry_after() {
    let verifier = unavailable_verifier(&ISSUER, CLIENT);
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(verifier.clone()))
            .route("/extractor", web::get().to(signed_in))
            .service(
                web::scope("/middleware")
                    .wrap(CognitoAuth::<AccessTokenClaims>::new(verifier).require_any_group(GROUP))
                    .route("", web::get().to(signed_in)),
            ),
    )
    .await;
    // The second round is answered from the fetch back-off.
    for _ in 0..2 {
        for uri in ["/extractor", "/middleware"] {
            let request = get(uri, &bearer(&TOKENS.valid_in_group)).to_request();
            assert_unavailable(&send(&app, request).await);
        }
    }
}

#[actix_web::test]
async fn key_set_on_a_closed_port_answers_503() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let verifier = CognitoJwtVerifier::builder()
        .user_pool(
            UserPool::new(ISSUER.pool_id())
                .client_id(CLIENT)
                .token_use(TokenUse::Access)
                .jwks_uri(format!("http://127.0.0.1:{port}/.well-known/jwks.json")),
        )
        .build()
        .unwrap();
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(verifier))
            .route("/me", web::get().to(signed_in)),
    )
    .await;
    let answer = send(&app, get("/me", &bearer(&TOKENS.valid)).to_request()).await;
    assert_unavailable(&answer);
}

async fn home(OptionalCognitoClaims(user): OptionalCognitoClaims<AccessTokenClaims>) -> String {
    match user {
        Some(claims) => format!("signed in, expires {}", claims.exp()),
        None => "anonymous".to_owned(),
    }
}

#[actix_web::test]
async fn optional_extractor_is_none_only_without_credentials() {
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(verifier()))
            .route("/home", web::get().to(home)),
    )
    .await;

    let anonymous = send(&app, get("/home", &[]).to_request()).await;
    assert_eq!(
        (anonymous.status, anonymous.body.as_str()),
        (200, "anonymous")
    );
    let other_scheme = send(
        &app,
        get("/home", &[b"Basic dXNlcjpwYXNz".to_vec()]).to_request(),
    )
    .await;
    assert_eq!(
        (other_scheme.status, other_scheme.body.as_str()),
        (200, "anonymous")
    );

    let signed_in = send(&app, get("/home", &bearer(&TOKENS.valid)).to_request()).await;
    assert_eq!(signed_in.status, 200);
    assert!(signed_in.body.starts_with("signed in"), "{signed_in:?}");

    for (token, status, error) in [
        (TOKENS.expired.as_str(), 401, "invalid_token"),
        (TOKENS.forged.as_str(), 401, "invalid_token"),
        ("not-a-jwt", 401, "invalid_token"),
    ] {
        let answer = send(&app, get("/home", &bearer(token)).to_request()).await;
        assert_eq!(answer.status, status, "{answer:?}");
        assert_eq!(answer.bearer_error(), Some(error));
    }
    let malformed = send(&app, get("/home", &[b"Bearer ".to_vec()]).to_request()).await;
    assert_eq!(malformed.status, 400);
    assert_eq!(malformed.bearer_error(), Some("invalid_request"));
}

async fn claims_from_extensions(claims: web::ReqData<CognitoClaims<AccessTokenClaims>>) -> String {
    format!("in group: {}", claims.in_group(GROUP))
}

async fn raw_claims(claims: CognitoClaims<serde_json::Value>) -> String {
    claims["token_use"].as_str().unwrap_or_default().to_owned()
}

#[actix_web::test]
async fn middleware_guards_only_its_scope_and_shares_the_claims() {
    // No verifier in app data: handlers rely on what the middleware leaves.
    let app = test::init_service(
        App::new()
            .route("/public", web::get().to(|| async { "public" }))
            .service(
                web::scope("/api")
                    .wrap(CognitoAuth::<AccessTokenClaims>::new(verifier()))
                    .route("/me", web::get().to(signed_in))
                    .route("/extensions", web::get().to(claims_from_extensions))
                    .route("/raw", web::get().to(raw_claims))
                    .route("/home", web::get().to(home)),
            ),
    )
    .await;

    let public = send(&app, get("/public", &[]).to_request()).await;
    assert_eq!((public.status, public.body.as_str()), (200, "public"));

    for uri in ["/api/me", "/api/extensions", "/api/raw", "/api/home"] {
        let anonymous = send(&app, get(uri, &[]).to_request()).await;
        assert_eq!(anonymous.status, 401, "{uri}");
        assert_eq!(anonymous.challenge(), Some("Bearer realm=\"api\""));
        let expired = send(&app, get(uri, &bearer(&TOKENS.expired)).to_request()).await;
        assert_eq!(expired.status, 401, "{uri}");
        assert_eq!(expired.bearer_error(), Some("invalid_token"));
    }

    let token = bearer(&TOKENS.valid_in_group);
    let me = send(&app, get("/api/me", &token).to_request()).await;
    assert_eq!((me.status, me.body.as_str()), (200, "ok"));
    let extensions = send(&app, get("/api/extensions", &token).to_request()).await;
    assert_eq!(extensions.body, "in group: true");
    let raw = send(&app, get("/api/raw", &token).to_request()).await;
    assert_eq!((raw.status, raw.body.as_str()), (200, "access"));
    let home = send(&app, get("/api/home", &token).to_request()).await;
    assert!(home.body.starts_with("signed in"), "{home:?}");
}

async fn whoami(claims: CognitoClaims<AccessTokenClaims>) -> String {
    claims.sub().to_owned()
}

/// Another middleware puts claims of its own making into the request
/// extensions, as the public `CognitoClaims<T>`: the extractors verify the
/// request's token all the same, alone or behind an optional `CognitoAuth`.
#[actix_web::test]
async fn claims_planted_by_another_middleware_are_not_trusted() {
    let (_, payload) = ISSUER
        .access_token(CLIENT)
        .claim("sub", "planted-admin")
        .group(GROUP)
        .json();
    let forged: AccessTokenClaims = serde_json::from_str(&payload).expect("claims");
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(verifier()))
            .wrap_fn(move |req, service| {
                req.extensions_mut().insert(CognitoClaims(forged.clone()));
                service.call(req)
            })
            .route("/me", web::get().to(whoami))
            .route("/home", web::get().to(home))
            .service(
                web::scope("/feed")
                    .wrap(CognitoAuth::new(verifier()).optional())
                    .route("/me", web::get().to(whoami))
                    .route("", web::get().to(home)),
            ),
    )
    .await;

    let token = ISSUER.access_token(CLIENT).claim("sub", "real-user").sign();
    for uri in ["/me", "/feed/me"] {
        let anonymous = send(&app, get(uri, &[]).to_request()).await;
        assert_eq!(anonymous.status, 401, "{uri}: {anonymous:?}");
        let expired = send(&app, get(uri, &bearer(&TOKENS.expired)).to_request()).await;
        assert_eq!(expired.status, 401, "{uri}: {expired:?}");
        let signed_in = send(&app, get(uri, &bearer(&token)).to_request()).await;
        assert_eq!(
            (signed_in.status, signed_in.body.as_str()),
            (200, "real-user"),
            "{uri}"
        );
    }
    for uri in ["/home", "/feed"] {
        let anonymous = send(&app, get(uri, &[]).to_request()).await;
        assert_eq!(
            (anonymous.status, anonymous.body.as_str()),
            (200, "anonymous"),
            "{uri}"
        );
    }
}

#[actix_web::test]
async fn the_middleware_verifies_access_tokens_unless_told_otherwise() {
    let id_token = ISSUER.id_token(CLIENT).sign();
    let app = test::init_service(
        App::new()
            .service(
                web::scope("/access")
                    .wrap(CognitoAuth::new(verifier()))
                    .route("", web::get().to(raw_claims)),
            )
            .service(
                web::scope("/any")
                    .wrap(
                        CognitoAuth::new(ISSUER.verifier(CLIENT, AcceptedTokenUse::Any))
                            .claims::<serde_json::Value>(),
                    )
                    .route("", web::get().to(raw_claims)),
            ),
    )
    .await;

    let access = send(&app, get("/access", &bearer(&TOKENS.valid)).to_request()).await;
    assert_eq!((access.status, access.body.as_str()), (200, "access"));
    let id = send(&app, get("/access", &bearer(&id_token)).to_request()).await;
    assert_eq!(id.status, 401, "{id:?}");
    assert_eq!(id.json()["kind"], "invalid_token_use");
    let id = send(&app, get("/any", &bearer(&id_token)).to_request()).await;
    assert_eq!((id.status, id.body.as_str()), (200, "id"));
}

#[actix_web::test]
async fn optional_middleware_lets_anonymous_requests_through() {
    let app = test::init_service(
        App::new().service(
            web::scope("/feed")
                .wrap(CognitoAuth::<AccessTokenClaims>::new(verifier()).optional())
                .route("", web::get().to(home))
                .route("/me", web::get().to(signed_in)),
        ),
    )
    .await;

    let anonymous = send(&app, get("/feed", &[]).to_request()).await;
    assert_eq!(
        (anonymous.status, anonymous.body.as_str()),
        (200, "anonymous")
    );
    let required = send(&app, get("/feed/me", &[]).to_request()).await;
    assert_eq!(required.status, 401);
    assert_eq!(required.challenge(), Some("Bearer realm=\"api\""));

    let forged = send(&app, get("/feed", &bearer(&TOKENS.forged)).to_request()).await;
    assert_eq!(forged.status, 401);
    assert_eq!(forged.bearer_error(), Some("invalid_token"));
    let valid = send(&app, get("/feed", &bearer(&TOKENS.valid)).to_request()).await;
    assert!(valid.body.starts_with("signed in"), "{valid:?}");
}

#[actix_web::test]
async fn group_requirements_are_any_of() {
    let app = test::init_service(
        App::new().service(
            web::scope("/ops")
                .wrap(
                    CognitoAuth::<AccessTokenClaims>::new(verifier())
                        .require_any_group("admins")
                        .require_any_group("operators"),
                )
                .route("", web::get().to(signed_in)),
        ),
    )
    .await;

    for group in ["admins", "operators"] {
        let token = ISSUER
            .access_token(CLIENT)
            .group("users")
            .group(group)
            .sign();
        let answer = send(&app, get("/ops", &bearer(&token)).to_request()).await;
        assert_eq!(answer.status, 200, "{group}");
    }
    for token in [
        ISSUER.access_token(CLIENT).group("users").sign(),
        ISSUER.access_token(CLIENT).sign(),
    ] {
        let answer = send(&app, get("/ops", &bearer(&token)).to_request()).await;
        assert_eq!(answer.status, 403);
        assert_eq!(answer.bearer_error(), Some("insufficient_scope"));
        assert_eq!(answer.json()["kind"], "missing_group");
        answer.assert_reveals_nothing_of(&token);
    }
}

#[actix_web::test]
async fn scope_requirements_are_any_of() {
    let app = test::init_service(
        App::new().service(
            web::scope("/orders")
                .wrap(
                    CognitoAuth::<AccessTokenClaims>::new(verifier())
                        .require_any_scope("orders/read")
                        .require_any_scope("orders/write"),
                )
                .route("", web::get().to(signed_in)),
        ),
    )
    .await;

    for scope in ["orders/read", "profile orders/write"] {
        let token = ISSUER.m2m_access_token(CLIENT, scope).sign();
        let answer = send(&app, get("/orders", &bearer(&token)).to_request()).await;
        assert_eq!(answer.status, 200, "{scope}");
    }
    let token = ISSUER.m2m_access_token(CLIENT, "profile").sign();
    let answer = send(&app, get("/orders", &bearer(&token)).to_request()).await;
    assert_eq!(answer.status, 403);
    assert_eq!(answer.bearer_error(), Some("insufficient_scope"));
    assert_eq!(answer.json()["kind"], "missing_scope");
}

#[actix_web::test]
async fn cookie_source_for_extractor_and_middleware() {
    let cookie = CognitoConfig::new().token_source(TokenSource::Cookie("access_token".into()));
    let extractor_app = test::init_service(
        App::new()
            .app_data(web::Data::new(verifier()))
            .app_data(cookie.clone())
            .route("/me", web::get().to(signed_in)),
    )
    .await;
    let middleware_app = test::init_service(
        App::new().service(
            web::scope("/me")
                .wrap(CognitoAuth::<AccessTokenClaims>::new(verifier()).config(cookie))
                .route("", web::get().to(signed_in)),
        ),
    )
    .await;

    let with_cookie = |value: String| TestRequest::get().uri("/me").insert_header((COOKIE, value));
    for app in [&extractor_app, &middleware_app] {
        let valid = with_cookie(format!("theme=dark; access_token={}", TOKENS.valid));
        assert_eq!(send(app, valid.to_request()).await.status, 200);

        let expired = with_cookie(format!("access_token={}", TOKENS.expired));
        let answer = send(app, expired.to_request()).await;
        assert_eq!(answer.status, 401);
        assert_eq!(answer.bearer_error(), Some("invalid_token"));
        answer.assert_reveals_nothing_of(&TOKENS.expired);

        let no_token = send(app, with_cookie("theme=dark".into()).to_request()).await;
        assert_eq!(no_token.status, 401);
        assert_eq!(no_token.challenge(), Some("Bearer realm=\"api\""));

        // An Authorization header is judged instead of the cookie.
        let header_wins = with_cookie(format!("access_token={}", TOKENS.valid))
            .insert_header((AUTHORIZATION, format!("Bearer {}", TOKENS.forged)));
        let answer = send(app, header_wins.to_request()).await;
        assert_eq!(answer.status, 401);
        assert_eq!(answer.bearer_error(), Some("invalid_token"));
    }
}

fn custom_rendering() -> CognitoConfig {
    CognitoConfig::new()
        .realm("orders")
        .error_handler(|error: &CognitoError| {
            let kind = error
                .rejection()
                .kind()
                .map_or("none", |kind| kind.as_str());
            error
                .response_builder()
                .content_type("text/plain")
                .body(format!("refused: {kind}"))
        })
}

#[actix_web::test]
async fn custom_error_rendering_keeps_the_challenge() {
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(verifier()))
            .app_data(custom_rendering())
            .route("/me", web::get().to(signed_in))
            .service(
                web::scope("/admin")
                    .wrap(
                        CognitoAuth::<AccessTokenClaims>::new(verifier())
                            .require_any_group(GROUP)
                            .config(custom_rendering()),
                    )
                    .route("", web::get().to(signed_in)),
            ),
    )
    .await;

    let expired = send(&app, get("/me", &bearer(&TOKENS.expired)).to_request()).await;
    assert_eq!(expired.status, 401);
    assert_eq!(expired.body, "refused: expired");
    assert_eq!(expired.header("content-type"), Some("text/plain"));
    assert!(
        expired
            .challenge()
            .unwrap()
            .starts_with("Bearer realm=\"orders\", error=\"invalid_token\"")
    );

    let anonymous = send(&app, get("/me", &[]).to_request()).await;
    assert_eq!(anonymous.body, "refused: none");
    assert_eq!(anonymous.challenge(), Some("Bearer realm=\"orders\""));

    let outsider = send(&app, get("/admin", &bearer(&TOKENS.valid)).to_request()).await;
    assert_eq!(outsider.status, 403);
    assert_eq!(outsider.body, "refused: missing_group");
    assert_eq!(outsider.bearer_error(), Some("insufficient_scope"));
}

#[actix_web::test]
async fn error_handler_can_replace_the_whole_answer() {
    let config = CognitoConfig::new().error_handler(|error| match error.rejection() {
        AuthRejection::Missing => HttpResponse::Found()
            .insert_header(("location", "/login"))
            .finish(),
        _ => error.default_response(),
    });
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(verifier()))
            .app_data(config)
            .route("/me", web::get().to(signed_in)),
    )
    .await;

    let anonymous = send(&app, get("/me", &[]).to_request()).await;
    assert_eq!(anonymous.status, 302);
    assert_eq!(anonymous.header("location"), Some("/login"));
    let forged = send(&app, get("/me", &bearer(&TOKENS.forged)).to_request()).await;
    assert_eq!(forged.status, 401);
    assert_eq!(forged.json()["kind"], "invalid_signature");
}

#[actix_web::test]
async fn verifier_as_plain_app_data() {
    let app = test::init_service(
        App::new()
            .app_data(verifier())
            .route("/me", web::get().to(signed_in)),
    )
    .await;
    let answer = send(&app, get("/me", &bearer(&TOKENS.valid)).to_request()).await;
    assert_eq!((answer.status, answer.body.as_str()), (200, "ok"));
}

#[actix_web::test]
async fn extractor_without_a_verifier_is_a_server_error() {
    let app = test::init_service(App::new().route("/me", web::get().to(signed_in))).await;
    let answer = send(&app, get("/me", &bearer(&TOKENS.valid)).to_request()).await;
    assert_eq!(answer.status, 500);
    answer.assert_reveals_nothing_of(&TOKENS.valid);
}

#[test]
fn error_formatting_reveals_no_token() {
    let verifier = verifier();
    for token in TOKENS.all() {
        let rejection = match verifier.verify_sync_with::<AccessTokenClaims>(
            token,
            &cognito_jwt_core::Requirements::new().any_group(GROUP),
        ) {
            Ok(_) => continue,
            Err(error) => AuthRejection::from(error),
        };
        let error = CognitoError::new(rejection, &CognitoConfig::new());
        let text = format!("{error} {error:?}");
        for secret in std::iter::once(token).chain(token.split('.').filter(|s| s.len() > 8)) {
            assert!(!text.contains(secret), "{text}");
        }
    }
}
