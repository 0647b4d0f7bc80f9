//! The Lambda binaries as Lambda runs them: each is started with
//! `AWS_LAMBDA_RUNTIME_API` pointing at a small Runtime API server written
//! here (127.0.0.1), which hands it events through
//! `GET /runtime/invocation/next` and records what it posts back, so the
//! real `lambda_runtime` (and `lambda_http`) loop is exercised.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use cognito_jwt_examples::demo::{CLIENT_ID, DemoTokens};
use cognito_jwt_examples::serve_jwks;
use serde_json::{Value, json};
use tokio::sync::{Mutex, mpsc};

use crate::support::*;

const AUTHORIZER: &str = env!("CARGO_BIN_EXE_apigw-authorizer");
const LAMBDA_API: &str = env!("CARGO_BIN_EXE_lambda-api");

/// Bound on every wait, so that a hang fails the test instead of the suite.
const BOUND: Duration = Duration::from_secs(20);

const METHOD_ARN: &str = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/GET/orders/42";
const ANY_ROUTE_ARN: &str = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/*/*";

/// What the function posted back to the Runtime API.
#[derive(Debug)]
enum Posted {
    Response(Value),
    Error(Value),
    InitError(Value),
}

struct Shared {
    events: Mutex<mpsc::UnboundedReceiver<(String, Value)>>,
    posted: mpsc::UnboundedSender<Posted>,
    polls: AtomicUsize,
}

/// A local Lambda Runtime API: one function process polls it.
struct RuntimeApi {
    address: SocketAddr,
    events: mpsc::UnboundedSender<(String, Value)>,
    posted: mpsc::UnboundedReceiver<Posted>,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
    invocations: usize,
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl RuntimeApi {
    async fn start() -> Self {
        let (events, events_rx) = mpsc::unbounded_channel();
        let (posted_tx, posted) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            events: Mutex::new(events_rx),
            posted: posted_tx,
            polls: AtomicUsize::new(0),
        });
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(|State(s): State<Arc<Shared>>, Path(_id): Path<String>, body: Bytes| async move {
                    record(&s, Posted::Response(json_of(&body)))
                }),
            )
            .route(
                "/2018-06-01/runtime/invocation/{id}/error",
                post(|State(s): State<Arc<Shared>>, Path(_id): Path<String>, body: Bytes| async move {
                    record(&s, Posted::Error(json_of(&body)))
                }),
            )
            .route(
                "/2018-06-01/runtime/init/error",
                post(|State(s): State<Arc<Shared>>, body: Bytes| async move {
                    record(&s, Posted::InitError(json_of(&body)))
                }),
            )
            .with_state(Arc::clone(&shared));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free port");
        let address = listener.local_addr().expect("its address");
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("runtime API");
        });
        Self {
            address,
            events,
            posted,
            shared,
            task,
            invocations: 0,
        }
    }

    /// The variables Lambda sets for a function's process.
    fn lambda_env(&self) -> Vec<(String, String)> {
        [
            ("AWS_LAMBDA_RUNTIME_API", self.address.to_string()),
            ("AWS_LAMBDA_FUNCTION_NAME", "authorizer".to_owned()),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128".to_owned()),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_owned()),
            ("RUST_LOG", "info".to_owned()),
        ]
        .map(|(k, v)| (k.to_owned(), v))
        .into()
    }

    /// Wait until the function asks for its first event: its init phase
    /// is over.
    async fn wait_for_poll(&self) {
        let deadline = Instant::now() + BOUND;
        while self.shared.polls.load(Ordering::SeqCst) == 0 {
            assert!(
                Instant::now() < deadline,
                "the function never polled for an event"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Hand the function one event and wait for what it posts back.
    async fn invoke(&mut self, event: Value) -> Posted {
        self.invocations += 1;
        let id = format!("request-{}", self.invocations);
        self.events.send((id, event)).expect("the server runs");
        self.next_posted().await
    }

    async fn next_posted(&mut self) -> Posted {
        tokio::time::timeout(BOUND, self.posted.recv())
            .await
            .expect("the function answered in time")
            .expect("the server runs")
    }
}

async fn next(State(shared): State<Arc<Shared>>) -> Response {
    shared.polls.fetch_add(1, Ordering::SeqCst);
    let Some((id, event)) = shared.events.lock().await.recv().await else {
        return StatusCode::GONE.into_response();
    };
    let deadline = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() + 30_000);
    let mut headers = HeaderMap::new();
    for (name, value) in [
        ("lambda-runtime-aws-request-id", id),
        ("lambda-runtime-deadline-ms", deadline.to_string()),
        (
            "lambda-runtime-invoked-function-arn",
            "arn:aws:lambda:eu-west-1:123456789012:function:authorizer".to_owned(),
        ),
        (
            "lambda-runtime-trace-id",
            "Root=1-00000000-000000000000000000000000".to_owned(),
        ),
    ] {
        headers.insert(name, value.parse().expect("header value"));
    }
    (headers, event.to_string()).into_response()
}

fn record(shared: &Shared, posted: Posted) -> StatusCode {
    drop(shared.posted.send(posted));
    StatusCode::ACCEPTED
}

fn json_of(body: &[u8]) -> Value {
    serde_json::from_slice(body).expect("the function posts JSON")
}

/// A function process, killed when the test ends.
struct Function {
    child: Child,
}

impl Function {
    fn spawn(binary: &str, env: Vec<(String, String)>) -> Self {
        let child = Command::new(binary)
            .env_clear()
            .envs(env)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the function starts");
        Self { child }
    }

    /// Wait for it to exit on its own; its exit code.
    async fn exit_code(&mut self) -> Option<i32> {
        let deadline = Instant::now() + BOUND;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status.code();
            }
            assert!(Instant::now() < deadline, "the function did not exit");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn stderr(&mut self) -> String {
        use std::io::Read as _;
        let mut text = String::new();
        if let Some(mut stderr) = self.child.stderr.take() {
            stderr.read_to_string(&mut text).expect("read stderr");
        }
        text
    }
}

impl Drop for Function {
    fn drop(&mut self) {
        // Our own child, by its handle.
        drop(self.child.kill());
        drop(self.child.wait());
    }
}

/// The documented sample event `name` of the lambda crate's fixtures, with
/// `authorization` where the credentials go (`None`: no credentials).
fn sample_event(name: &str, authorization: Option<&str>) -> Value {
    let path = format!(
        "{}/../cognito-jwt-lambda/tests/fixtures/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(path)
        .expect("fixture")
        .replace("__AUTHORIZATION__", authorization.unwrap_or_default());
    let mut event: Value = serde_json::from_str(&text).expect("fixture JSON");
    if authorization.is_none() {
        strip_empty_credentials(&mut event);
    }
    event
}

fn strip_empty_credentials(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|_, v| v.as_str() != Some(""));
            map.values_mut().for_each(strip_empty_credentials);
        }
        Value::Array(items) => {
            items.retain(|v| v.as_str() != Some(""));
            items.iter_mut().for_each(strip_empty_credentials);
        }
        _ => {}
    }
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

fn cognito_env(jwks_uri: &str) -> Vec<(String, String)> {
    [
        ("COGNITO_USER_POOL_ID", POOL_ID),
        ("COGNITO_CLIENT_ID", CLIENT_ID),
        ("COGNITO_TOKEN_USE", "access"),
        ("COGNITO_JWKS_URI", jwks_uri),
    ]
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .into()
}

fn sub_of(token: &str) -> String {
    let payload = token.split('.').nth(1).expect("a JWT");
    let claims: Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload)
            .expect("base64url"),
    )
    .expect("claims");
    claims["sub"].as_str().expect("sub").to_owned()
}

fn expect_policy(posted: &Posted, effect: &str, principal: &str, resource: &str) {
    let Posted::Response(response) = posted else {
        panic!("expected a policy, got {posted:?}");
    };
    assert_eq!(response["principalId"], principal, "{response}");
    let statement = &response["policyDocument"]["Statement"][0];
    assert_eq!(statement["Effect"], effect, "{response}");
    assert_eq!(statement["Resource"], json!([resource]), "{response}");
}

fn expect_error(posted: &Posted, error_type: &str) -> String {
    let Posted::Error(error) = posted else {
        panic!("expected a function error, got {posted:?}");
    };
    assert_eq!(error["errorType"], error_type, "{error}");
    error["errorMessage"]
        .as_str()
        .expect("a message")
        .to_owned()
}

#[tokio::test]
async fn the_authorizer_answers_every_event_kind_through_the_runtime_loop() {
    let jwks = serve_jwks(POOL_ID, ISSUER.jwks_json())
        .await
        .expect("key-set server");
    let mut api = RuntimeApi::start().await;
    let mut env = api.lambda_env();
    env.extend(cognito_env(jwks.url()));
    env.push(("AUTHORIZER_REQUIRED_GROUP".to_owned(), "admins".to_owned()));
    let _function = Function::spawn(AUTHORIZER, env);
    api.wait_for_poll().await;
    assert_eq!(
        jwks.requests(),
        1,
        "the key set is fetched in the init phase"
    );

    let admin = &TOKENS.admin;
    let posted = api
        .invoke(sample_event("rest-token", Some(&bearer(admin))))
        .await;
    expect_policy(&posted, "Allow", &sub_of(admin), METHOD_ARN);
    if let Posted::Response(response) = &posted {
        assert_eq!(response["context"]["username"], "ada");
        assert_eq!(response["context"]["groups"], "admins");
        assert_eq!(response["context"]["token_use"], "access");
    }

    let posted = api
        .invoke(sample_event("rest-request", Some(&bearer(&TOKENS.user))))
        .await;
    expect_policy(&posted, "Deny", &sub_of(&TOKENS.user), METHOD_ARN);

    for event in [
        sample_event("http-v1", None),
        sample_event("http-v1", Some(&bearer(&TOKENS.forged))),
        sample_event("http-v2", Some(&bearer(&TOKENS.expired))),
        sample_event("rest-token", Some(&bearer(&TOKENS.other_client))),
        sample_event("rest-request", Some(&bearer(&TOKENS.id_token))),
    ] {
        let posted = api.invoke(event).await;
        assert_eq!(expect_error(&posted, "Unauthorized"), "Unauthorized");
    }

    let posted = api
        .invoke(sample_event("http-v2", Some(&bearer(admin))))
        .await;
    expect_policy(&posted, "Allow", &sub_of(admin), METHOD_ARN);

    let posted = api.invoke(json!({"Records": []})).await;
    let Posted::Error(error) = posted else {
        panic!("an unknown event is a function error: {posted:?}");
    };
    assert_ne!(error["errorMessage"], "Unauthorized");

    assert_eq!(
        jwks.requests(),
        1,
        "no invocation fetched the key set again"
    );
}

#[tokio::test]
async fn simple_responses_and_the_wide_resource_follow_the_variables() {
    let jwks = serve_jwks(POOL_ID, ISSUER.jwks_json())
        .await
        .expect("key-set server");
    let mut api = RuntimeApi::start().await;
    let mut env = api.lambda_env();
    env.extend(cognito_env(jwks.url()));
    env.push(("AUTHORIZER_SIMPLE_RESPONSES".to_owned(), "true".to_owned()));
    env.push(("AUTHORIZER_WIDE_RESOURCE".to_owned(), "TRUE".to_owned()));
    let _function = Function::spawn(AUTHORIZER, env);

    let posted = api
        .invoke(sample_event("http-v2", Some(&bearer(&TOKENS.user))))
        .await;
    let Posted::Response(response) = &posted else {
        panic!("{posted:?}");
    };
    assert_eq!(response["isAuthorized"], true, "{response}");
    assert_eq!(response["context"]["username"], "alice");

    let posted = api
        .invoke(sample_event("http-v2", Some(&bearer(&TOKENS.forged))))
        .await;
    let Posted::Response(response) = &posted else {
        panic!("a refusal is an answer with simple responses: {posted:?}");
    };
    assert_eq!(response, &json!({"isAuthorized": false, "context": {}}));

    let posted = api
        .invoke(sample_event("http-v1", Some(&bearer(&TOKENS.user))))
        .await;
    expect_policy(&posted, "Allow", &sub_of(&TOKENS.user), ANY_ROUTE_ARN);
}

#[tokio::test]
async fn a_bundled_key_set_makes_the_cold_start_fetch_nothing() {
    let jwks = serve_jwks(POOL_ID, ISSUER.jwks_json())
        .await
        .expect("key-set server");
    let bundle = std::env::temp_dir().join(format!("jwks-bundle-{}.json", std::process::id()));
    let mut document: Value = serde_json::from_str(&ISSUER.jwks_json()).expect("key set");
    // Fetched a minute ago, as a deployment would bundle it: fresh, so no
    // refresh is due during the test.
    let fetched_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_secs()
        - 60;
    document["fetched_at"] = json!(fetched_at);
    std::fs::write(&bundle, document.to_string()).expect("write the bundle");

    let mut api = RuntimeApi::start().await;
    let mut env = api.lambda_env();
    env.extend(cognito_env(jwks.url()));
    env.push(("COGNITO_JWKS_FILE".to_owned(), bundle.display().to_string()));
    let _function = Function::spawn(AUTHORIZER, env);
    api.wait_for_poll().await;

    for event in [
        sample_event("rest-token", Some(&bearer(&TOKENS.user))),
        sample_event("http-v2", Some(&TOKENS.admin)),
        sample_event("rest-request", Some(&bearer(&TOKENS.forged))),
    ] {
        drop(api.invoke(event).await);
    }
    let posted = api
        .invoke(sample_event("http-v1", Some(&bearer(&TOKENS.admin))))
        .await;
    expect_policy(&posted, "Allow", &sub_of(&TOKENS.admin), METHOD_ARN);
    assert_eq!(
        jwks.requests(),
        0,
        "the cold start and the first invocations made no request"
    );
    drop(std::fs::remove_file(bundle));
}

#[tokio::test]
async fn an_unavailable_key_set_is_a_500_not_a_401() {
    let mut api = RuntimeApi::start().await;
    let mut env = api.lambda_env();
    env.extend(cognito_env(&closed_port_url()));
    let mut function = Function::spawn(AUTHORIZER, env);

    for kind in ["rest-token", "http-v2"] {
        let posted = api
            .invoke(sample_event(kind, Some(&bearer(&TOKENS.user))))
            .await;
        let message = expect_error(&posted, "KeySetUnavailable");
        assert_ne!(message, "Unauthorized");
        assert!(message.contains("unavailable"), "{message}");
    }
    drop(function.child.kill());
    let stderr = function.stderr();
    assert!(
        stderr.contains("key set unavailable at start-up"),
        "the init phase logs the outage: {stderr}"
    );
    assert_eq!(
        stderr.matches("cannot verify bearer token").count(),
        2,
        "one line per invocation: {stderr}"
    );
}

#[tokio::test]
async fn a_misspelt_variable_fails_the_init_phase_naming_it() {
    for (wrong, right, named, hint) in [
        (
            "COGNITO_USERPOOL_ID",
            "COGNITO_USER_POOL_ID",
            "COGNITO_USER_POOL_ID",
            "COGNITO_USERPOOL_ID is set: rename it to COGNITO_USER_POOL_ID",
        ),
        (
            "AUTHORIZER_REQUIRED_GROUPS",
            "",
            "AUTHORIZER_REQUIRED_GROUPS",
            "rename it to AUTHORIZER_REQUIRED_GROUP",
        ),
    ] {
        let mut api = RuntimeApi::start().await;
        let mut env = api.lambda_env();
        env.extend(
            cognito_env("http://127.0.0.1:9/jwks.json")
                .into_iter()
                .filter(|(name, _)| name != right),
        );
        env.push((wrong.to_owned(), "admins".to_owned()));
        let mut function = Function::spawn(AUTHORIZER, env);

        let Posted::InitError(error) = api.next_posted().await else {
            panic!("{wrong}: expected an init error");
        };
        let message = error["errorMessage"].as_str().expect("a message");
        assert!(message.starts_with(named), "{message}");
        assert!(message.contains(hint), "{message}");
        assert_eq!(error["errorType"], "ConfigError");
        assert_eq!(function.exit_code().await, Some(2), "{wrong}");
        assert!(function.stderr().contains(hint), "{wrong}: logged too");
        assert_eq!(
            api.shared.polls.load(Ordering::SeqCst),
            0,
            "no event was taken"
        );
    }
}

#[tokio::test]
async fn a_blank_required_group_fails_the_init_phase_naming_it() {
    for blank in ["", "  "] {
        let mut api = RuntimeApi::start().await;
        let mut env = api.lambda_env();
        env.extend(cognito_env("http://127.0.0.1:9/jwks.json"));
        env.push(("AUTHORIZER_REQUIRED_GROUP".to_owned(), blank.to_owned()));
        let mut function = Function::spawn(AUTHORIZER, env);

        let Posted::InitError(error) = api.next_posted().await else {
            panic!("{blank:?}: expected an init error");
        };
        let message = error["errorMessage"].as_str().expect("a message");
        assert!(
            message.starts_with("AUTHORIZER_REQUIRED_GROUP"),
            "{message}"
        );
        assert!(message.contains("empty"), "{message}");
        assert_eq!(error["errorType"], "ConfigError");
        assert_eq!(function.exit_code().await, Some(2), "{blank:?}");
        assert_eq!(
            api.shared.polls.load(Ordering::SeqCst),
            0,
            "no event was taken"
        );
    }
}

/// An API Gateway HTTP API (payload 2.0) proxy event for `GET path`.
fn proxy_event(path: &str, authorization: Option<&str>) -> Value {
    let mut headers = json!({"accept": "application/json", "host": "a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com"});
    if let Some(value) = authorization {
        headers["authorization"] = json!(value);
    }
    json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "a1b2c3d4e5",
            "domainName": "a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com",
            "domainPrefix": "a1b2c3d4e5",
            "http": {
                "method": "GET",
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "198.51.100.7",
                "userAgent": "curl/8.5.0"
            },
            "requestId": "Xk1mNGh2LPEFq3w=",
            "routeKey": "$default",
            "stage": "$default",
            "time": "12/Mar/2024:18:02:36 +0000",
            "timeEpoch": 1_710_266_556_000_u64
        },
        "isBase64Encoded": false
    })
}

#[tokio::test]
async fn lambda_api_answers_as_the_example_server_does() {
    let jwks = serve_jwks(POOL_ID, ISSUER.jwks_json())
        .await
        .expect("key-set server");
    let server = start_axum(remote_verifier(jwks.url())).await;
    let client = client();

    let mut api = RuntimeApi::start().await;
    let mut env = api.lambda_env();
    env.extend(cognito_env(jwks.url()));
    let _function = Function::spawn(LAMBDA_API, env);

    let tokens: &DemoTokens = &TOKENS;
    let credentials = [
        None,
        Some(bearer(&tokens.user)),
        Some(bearer(&tokens.admin)),
        Some(bearer(&tokens.expired)),
        Some(bearer(&tokens.forged)),
        Some(bearer(&tokens.id_token)),
        Some("Basic dXNlcjpwYXNz".to_owned()),
    ];
    for path in ["/health", "/api/activities/home", "/api/me", "/api/admin"] {
        for authorization in &credentials {
            let mut request = client.get(format!("{}{path}", server.base_url));
            if let Some(value) = authorization {
                request = request.header("authorization", value);
            }
            let expected = request.send().await.expect("the server answers");
            let status = expected.status().as_u16();
            let challenge = expected
                .headers()
                .get("www-authenticate")
                .map(|v| v.to_str().expect("ASCII").to_owned());
            let body: Value =
                serde_json::from_slice(&expected.bytes().await.expect("a body")).expect("JSON");

            let posted = api
                .invoke(proxy_event(path, authorization.as_deref()))
                .await;
            let Posted::Response(response) = posted else {
                panic!("{path}: {posted:?}");
            };
            let case = format!("{path} with {authorization:?}");
            assert_eq!(response["statusCode"], status, "{case}");
            let lambda_body: Value =
                serde_json::from_str(response["body"].as_str().expect("a text body"))
                    .expect("JSON");
            assert_eq!(lambda_body, body, "{case}");
            let lambda_challenge = response["headers"]["www-authenticate"]
                .as_str()
                .map(str::to_owned);
            assert_eq!(lambda_challenge, challenge, "{case}");
        }
    }
}
