//! The gRPC example through a real tonic client on 127.0.0.1, both ways
//! of verifying (the tower layer and the `verify_sync` interceptor), with
//! keys from a local key-set server: the shared HTTP case table in gRPC
//! terms, the claims a handler sees, key-set outages, and the binary.

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener as StdTcpListener};
use std::process::{Child, Command, Stdio};
use std::sync::LazyLock;

use cognito_jwt_core::testing::TestIssuer;
use cognito_jwt_core::{AccessTokenClaims, CognitoJwtVerifier, TokenUse, UserPool};
use cognito_jwt_examples::{local_fetcher, serve_jwks};
use cognito_jwt_grpc_example::proto::admin_client::AdminClient;
use cognito_jwt_grpc_example::proto::profile_client::ProfileClient;
use cognito_jwt_grpc_example::proto::{AreaReply, AreaRequest, MeReply, MeRequest};
use cognito_jwt_grpc_example::{AUTHORIZATION, Verification};
use cognito_jwt_test_support::{CaseTokens, bearer, cases};
use tokio::task::JoinHandle;
use tonic::metadata::AsciiMetadataValue;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Channel, Endpoint, Server};
use tonic::{Code, Status};

const POOL_ID: &str = "eu-west-1_GrpcTest1";
const CLIENT_ID: &str = "grpc-client";
const ADMIN_GROUP: &str = "admins";
const BOTH: [Verification; 2] = [Verification::Layer, Verification::Sync];

/// Key generation is slow: one issuer per test binary.
static ISSUER: LazyLock<TestIssuer> = LazyLock::new(|| TestIssuer::new(POOL_ID));

/// A verifier of `ISSUER`'s access tokens, fetching keys from `jwks_uri`.
fn verifier(jwks_uri: &str) -> CognitoJwtVerifier {
    CognitoJwtVerifier::builder()
        .user_pool(
            UserPool::new(POOL_ID)
                .client_id(CLIENT_ID)
                .token_use(TokenUse::Access)
                .jwks_uri(jwks_uri),
        )
        .fetcher(local_fetcher().expect("HTTP client"))
        .build()
        .expect("verifier configuration")
}

/// A key-set URL on a port where nothing listens.
fn closed_port_url() -> String {
    let port = {
        let listener = StdTcpListener::bind("127.0.0.1:0").expect("a free port");
        listener.local_addr().expect("its address").port()
    };
    format!("http://127.0.0.1:{port}/{POOL_ID}/.well-known/jwks.json")
}

/// The example's routes on a free port of 127.0.0.1; stops when dropped.
struct GrpcServer {
    channel: Channel,
    task: JoinHandle<()>,
}

impl Drop for GrpcServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl GrpcServer {
    async fn start(verification: Verification, verifier: CognitoJwtVerifier) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free port");
        let address = listener.local_addr().expect("its address");
        let routes = verification.routes(verifier, ADMIN_GROUP);
        let task = tokio::spawn(async move {
            Server::builder()
                .add_routes(routes)
                .serve_with_incoming(TcpIncoming::from(listener))
                .await
                .expect("gRPC server");
        });
        Self {
            channel: connect(address).await,
            task,
        }
    }

    async fn me(&self, authorization: &[Vec<u8>]) -> Result<MeReply, Status> {
        let request = with_metadata(MeRequest {}, authorization);
        let reply = ProfileClient::new(self.channel.clone()).me(request).await;
        reply.map(tonic::Response::into_inner)
    }

    async fn area(&self, authorization: &[Vec<u8>]) -> Result<AreaReply, Status> {
        let request = with_metadata(AreaRequest {}, authorization);
        let reply = AdminClient::new(self.channel.clone()).area(request).await;
        reply.map(tonic::Response::into_inner)
    }
}

async fn connect(address: SocketAddr) -> Channel {
    Endpoint::from_shared(format!("http://{address}"))
        .expect("an endpoint URL")
        .connect()
        .await
        .expect("connected")
}

/// `message` with one `authorization` metadata entry per value, as sent.
fn with_metadata<M>(message: M, authorization: &[Vec<u8>]) -> tonic::Request<M> {
    let mut request = tonic::Request::new(message);
    for value in authorization {
        let value = AsciiMetadataValue::try_from(value.as_slice()).expect("a metadata value");
        request.metadata_mut().append(AUTHORIZATION, value);
    }
    request
}

/// The gRPC code the HTTP servers' `status` corresponds to.
fn grpc_code(status: u16) -> Code {
    match status {
        200 => Code::Ok,
        400 => Code::InvalidArgument,
        401 => Code::Unauthenticated,
        403 => Code::PermissionDenied,
        503 => Code::Unavailable,
        other => panic!("no gRPC code for HTTP {other}"),
    }
}

fn code_and_message<T>(outcome: &Result<T, Status>) -> (Code, String) {
    match outcome {
        Ok(_) => (Code::Ok, String::new()),
        Err(status) => (status.code(), status.message().to_owned()),
    }
}

#[tokio::test]
async fn every_case_of_the_http_table_gets_its_grpc_code_both_ways() {
    let jwks = serve_jwks(POOL_ID, ISSUER.jwks_json()).await.expect("JWKS");
    let tokens = CaseTokens::new(&ISSUER, CLIENT_ID, ADMIN_GROUP);
    let mut servers = Vec::new();
    for verification in BOTH {
        let verifier = verifier(jwks.url());
        verifier.hydrate().await.expect("keys");
        servers.push(GrpcServer::start(verification, verifier).await);
    }
    let mut codes = std::collections::BTreeSet::new();
    for case in cases(&tokens) {
        let mut answers = Vec::new();
        for server in &servers {
            answers.push(code_and_message(&server.area(&case.authorization).await));
        }
        let (code, message) = &answers[0];
        assert_eq!(*code, grpc_code(case.status), "{}: {message}", case.name);
        assert_eq!(answers[0], answers[1], "{}: layer, then sync", case.name);
        for token in tokens.all() {
            assert!(!message.contains(token), "{}: {message}", case.name);
        }
        codes.insert(*code as i32);
    }
    assert_eq!(
        codes.into_iter().map(Code::from).collect::<Vec<_>>(),
        [
            Code::Ok,
            Code::InvalidArgument,
            Code::PermissionDenied,
            Code::Unauthenticated
        ],
        "the table covers every answer but UNAVAILABLE"
    );
    assert_eq!(jwks.requests(), 2, "one fetch per verifier");
}

#[tokio::test]
async fn handlers_see_the_verified_claims_both_ways() {
    let jwks = serve_jwks(POOL_ID, ISSUER.jwks_json()).await.expect("JWKS");
    let admin = ISSUER
        .access_token(CLIENT_ID)
        .claim("username", "root")
        .group(ADMIN_GROUP)
        .scope("profile/read")
        .sign();
    let user = ISSUER.access_token(CLIENT_ID).sign();
    let claims: AccessTokenClaims = verifier(jwks.url()).verify(&admin).await.expect("valid");
    for verification in BOTH {
        let verifier = verifier(jwks.url());
        verifier.hydrate().await.expect("keys");
        let server = GrpcServer::start(verification, verifier).await;

        let me = server.me(&bearer(&admin)).await.expect("Me");
        assert_eq!(me.sub, claims.sub(), "{verification:?}");
        assert_eq!(me.username.as_deref(), Some("root"));
        assert_eq!(me.groups, [ADMIN_GROUP]);
        assert!(me.scopes.iter().any(|s| s == "profile/read"), "{me:?}");

        let area = server.area(&bearer(&admin)).await.expect("Area");
        assert_eq!(area.admin, "root");
        assert_eq!(area.message, "welcome to the admin area");

        // Any valid token is enough for Me; Admin wants the group.
        assert!(server.me(&bearer(&user)).await.is_ok());
        let denied = server.area(&bearer(&user)).await.expect_err("not an admin");
        assert_eq!(denied.code(), Code::PermissionDenied);
        assert_eq!(
            denied.message(),
            "missing_group: the user is not in a group allowed here"
        );
        let anonymous = server.me(&[]).await.expect_err("no token");
        assert_eq!(anonymous.code(), Code::Unauthenticated);
        assert_eq!(anonymous.message(), "a bearer token is required");
    }
}

#[tokio::test]
async fn malformed_authorization_is_invalid_argument_both_ways() {
    let jwks = serve_jwks(POOL_ID, ISSUER.jwks_json()).await.expect("JWKS");
    let token = ISSUER.access_token(CLIENT_ID).group(ADMIN_GROUP).sign();
    let twice = [bearer(&token), bearer(&token)].concat();
    let spaced = vec![format!("Bearer {token} {token}").into_bytes()];
    for verification in BOTH {
        let verifier = verifier(jwks.url());
        verifier.hydrate().await.expect("keys");
        let server = GrpcServer::start(verification, verifier).await;
        for (authorization, message) in [
            (&twice, "send exactly one Authorization header"),
            (&spaced, "the bearer token has invalid characters"),
        ] {
            let refused = server.me(authorization).await.expect_err("malformed");
            assert_eq!(refused.code(), Code::InvalidArgument, "{verification:?}");
            assert_eq!(refused.message(), message);
        }
    }
}

#[tokio::test]
async fn an_unreachable_key_set_is_unavailable_both_ways() {
    let down = closed_port_url();
    let token = ISSUER.access_token(CLIENT_ID).group(ADMIN_GROUP).sign();
    for (verification, kind) in [
        (Verification::Layer, "jwks_unavailable"),
        (Verification::Sync, "jwks_not_cached"),
    ] {
        let server = GrpcServer::start(verification, verifier(&down)).await;
        for refused in [
            server.me(&bearer(&token)).await.expect_err("no keys"),
            server.area(&bearer(&token)).await.expect_err("no keys"),
        ] {
            assert_eq!(refused.code(), Code::Unavailable, "{verification:?}");
            assert_eq!(
                refused.message(),
                format!("{kind}: the token cannot be checked right now; retry later")
            );
            let pushback = refused
                .metadata()
                .get("grpc-retry-pushback-ms")
                .and_then(|value| value.to_str().ok()?.parse::<u64>().ok())
                .expect("a retry delay");
            assert!(pushback >= 1000, "{pushback}");
        }
        // No token: refused before any key is needed.
        let anonymous = server.me(&[]).await.expect_err("no token");
        assert_eq!(anonymous.code(), Code::Unauthenticated);
    }
}

/// `verify_sync` never waits on the network: until the key set is cached
/// the interceptor answers UNAVAILABLE, and the same token passes once it
/// is.
#[tokio::test]
async fn the_interceptor_needs_the_key_set_cached() {
    let jwks = serve_jwks(POOL_ID, ISSUER.jwks_json()).await.expect("JWKS");
    let verifier = verifier(jwks.url());
    let server = GrpcServer::start(Verification::Sync, verifier.clone()).await;
    let token = ISSUER.access_token(CLIENT_ID).sign();
    let refused = server.me(&bearer(&token)).await.expect_err("no keys yet");
    assert_eq!(refused.code(), Code::Unavailable);
    verifier.hydrate().await.expect("keys");
    assert!(server.me(&bearer(&token)).await.is_ok());
}

/// The `grpc-server` binary, killed when dropped.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The `grpc-server` binary with only `env` for an environment.
fn binary(env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_grpc-server"));
    command
        .env_clear()
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_serves_either_way_from_the_environment() {
    let jwks = serve_jwks(POOL_ID, ISSUER.jwks_json()).await.expect("JWKS");
    let token = ISSUER.access_token(CLIENT_ID).group(ADMIN_GROUP).sign();
    for verify in ["layer", "sync"] {
        let mut server = Process(
            binary(&[
                ("COGNITO_USER_POOL_ID", POOL_ID),
                ("COGNITO_CLIENT_ID", CLIENT_ID),
                ("COGNITO_TOKEN_USE", "access"),
                ("COGNITO_JWKS_URI", jwks.url()),
                ("BIND_ADDR", "127.0.0.1:0"),
                ("GRPC_VERIFY", verify),
            ])
            .spawn()
            .expect("the server starts"),
        );
        let stdout = server.0.stdout.take().expect("stdout");
        let line = tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            BufReader::new(stdout).read_line(&mut line).map(|_| line)
        })
        .await
        .expect("joined")
        .expect("read stdout");
        let address: SocketAddr = line
            .trim()
            .strip_prefix("listening on http://")
            .and_then(|address| address.parse().ok())
            .unwrap_or_else(|| panic!("no address line: {line:?}"));
        let reply = AdminClient::new(connect(address).await)
            .area(with_metadata(AreaRequest {}, &bearer(&token)))
            .await
            .unwrap_or_else(|status| panic!("GRPC_VERIFY={verify}: {status:?}"));
        assert_eq!(reply.into_inner().message, "welcome to the admin area");
    }

    let output = binary(&[
        ("COGNITO_USER_POOL_ID", POOL_ID),
        ("COGNITO_CLIENT_ID", CLIENT_ID),
        ("COGNITO_TOKEN_USE", "access"),
        ("GRPC_VERIFY", "async"),
    ])
    .output()
    .expect("the server runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("GRPC_VERIFY is invalid"), "{stderr}");
}
