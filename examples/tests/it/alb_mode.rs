//! Both example servers in ALB mode, each on a free port of 127.0.0.1: the
//! identity comes from `x-amzn-oidc-data`, `/api/admin` also needs the
//! access token, and both servers answer every request identically.

use std::net::TcpListener;
use std::sync::LazyLock;

use cognito_jwt_core::testing::{TestAlb, TestAlbKeys, TestCurveKey};
use cognito_jwt_core::{AlbJwtVerifier, CognitoJwtVerifier, TokenUse};
use cognito_jwt_examples::demo::{ADMIN_GROUP, CLIENT_ID};
use cognito_jwt_examples::{actix_server, axum_server};
use serde_json::Value;

use crate::support::{ISSUER, client};

static ALB: LazyLock<TestAlb> = LazyLock::new(|| TestAlb::new("eu-west-1"));

/// `(status, WWW-Authenticate, has Retry-After, body)`.
type Answer = (u16, Option<String>, bool, Value);

async fn start_axum(alb: AlbJwtVerifier, cognito: CognitoJwtVerifier) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let address = listener.local_addr().expect("its address");
    let app = axum_server::alb_router(alb, cognito, ADMIN_GROUP);
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{address}")
}

fn start_actix(
    alb: AlbJwtVerifier,
    cognito: CognitoJwtVerifier,
) -> (String, actix_web::dev::ServerHandle) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let address = listener.local_addr().expect("its address");
    let server = actix_web::HttpServer::new(move || {
        actix_server::alb_app(alb.clone(), cognito.clone(), ADMIN_GROUP)
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .expect("listen")
    .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    (format!("http://{address}"), handle)
}

async fn get(base_url: &str, path: &str, headers: &[(&str, &str)]) -> Answer {
    let mut request = client().get(format!("{base_url}{path}"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("a response");
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().expect("ASCII").to_owned());
    let retry_after = response.headers().contains_key("retry-after");
    let status = response.status().as_u16();
    let body = serde_json::from_str(&response.text().await.expect("a body")).unwrap_or_default();
    (status, challenge, retry_after, body)
}

#[actix_web::test]
async fn both_servers_answer_alb_requests_identically() {
    let cognito = || ISSUER.verifier(CLIENT_ID, TokenUse::Access);
    let axum = start_axum(ALB.verifier(), cognito()).await;
    let (actix, handle) = start_actix(ALB.verifier(), cognito());

    let data = ALB
        .data()
        .claim("sub", "user-1")
        .claim("username", "alice")
        .sign();
    let forged = ALB.data().sign_with(&TestCurveKey::es256(ALB.kid()));
    let expired = ALB.data().expires_in(-60).sign();
    let admin = ISSUER
        .access_token(CLIENT_ID)
        .claim("sub", "user-1")
        .claim("username", "alice")
        .group(ADMIN_GROUP)
        .sign();
    let not_admin = ISSUER.access_token(CLIENT_ID).claim("sub", "user-1").sign();
    let someone_else = ISSUER
        .access_token(CLIENT_ID)
        .claim("sub", "user-2")
        .group(ADMIN_GROUP)
        .sign();
    let bearer = format!("Bearer {admin}");
    let d = "x-amzn-oidc-data";
    let a = "x-amzn-oidc-accesstoken";
    let requests: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("none", vec![]),
        ("bearer only", vec![("authorization", &bearer)]),
        ("data", vec![(d, &data)]),
        ("forged", vec![(d, &forged)]),
        ("expired", vec![(d, &expired)]),
        ("malformed", vec![(d, "not a token")]),
        ("data + admin", vec![(d, &data), (a, &admin)]),
        ("data + not admin", vec![(d, &data), (a, &not_admin)]),
        ("data + someone else", vec![(d, &data), (a, &someone_else)]),
    ];
    let paths = ["/health", "/api/activities/home", "/api/me", "/api/admin"];
    let mut seen = Vec::new();
    for path in paths {
        for (name, headers) in &requests {
            let from_axum = get(&axum, path, headers).await;
            let from_actix = get(&actix, path, headers).await;
            assert_eq!(from_axum, from_actix, "{name} {path}");
            let body = from_axum.3.to_string();
            for (_, value) in headers {
                for segment in value.split('.').filter(|s| s.len() > 8) {
                    assert!(!body.contains(segment), "{name} {path}: echoed");
                }
            }
            seen.push(((*name, path), (from_axum.0, from_axum.1, from_axum.3)));
        }
    }
    let answer = |name: &str, path: &str| {
        seen.iter()
            .find(|((n, p), _)| *n == name && *p == path)
            .map(|(_, answer)| answer.clone())
            .expect("asked")
    };
    let (status, _, me) = answer("data", "/api/me");
    assert_eq!((status, me["sub"].as_str()), (200, Some("user-1")));
    let (status, _, feed) = answer("data", "/api/activities/home");
    assert_eq!(
        (status, feed["signed_in_as"].as_str()),
        (200, Some("alice"))
    );
    let (status, _, feed) = answer("none", "/api/activities/home");
    assert_eq!((status, feed["signed_in_as"].clone()), (200, Value::Null));
    for name in ["none", "bearer only"] {
        let (status, challenge, _) = answer(name, "/api/me");
        assert_eq!(
            (status, challenge.as_deref()),
            (401, Some("Bearer realm=\"api\"")),
            "{name}"
        );
    }
    for name in ["forged", "expired"] {
        let (status, challenge, _) = answer(name, "/api/me");
        assert_eq!(status, 401, "{name}");
        assert!(challenge.expect("a challenge").contains("invalid_token"));
    }
    let (status, _, body) = answer("malformed", "/api/me");
    assert_eq!(
        (status, body["error_description"].as_str()),
        (
            400,
            Some("the x-amzn-oidc-data header does not hold a load balancer's token")
        )
    );
    // Without the header, the answer names it, not a bearer token.
    let (_, _, body) = answer("bearer only", "/api/me");
    assert_eq!(
        body["error_description"].as_str(),
        Some("an x-amzn-oidc-data header is required")
    );
    let (status, _, area) = answer("data + admin", "/api/admin");
    assert_eq!((status, area["admin"].as_str()), (200, Some("alice")));
    assert_eq!(answer("data", "/api/admin").0, 401);
    assert_eq!(answer("data + not admin", "/api/admin").0, 403);
    assert_eq!(answer("data + someone else", "/api/admin").0, 401);
    handle.stop(true).await;
}

#[actix_web::test]
async fn an_unreachable_key_endpoint_is_503_on_both_servers() {
    let down = || {
        let keys = TestAlbKeys::default();
        keys.fail(Some("connection refused"));
        ALB.verifier_builder()
            .fetcher(keys)
            .build()
            .expect("a valid ALB configuration")
    };
    let cognito = || ISSUER.verifier(CLIENT_ID, TokenUse::Access);
    let axum = start_axum(down(), cognito()).await;
    let (actix, handle) = start_actix(down(), cognito());
    let data = ALB.data().sign();
    for base_url in [&axum, &actix] {
        let (status, challenge, retry_after, body) =
            get(base_url, "/api/me", &[("x-amzn-oidc-data", &data)]).await;
        assert_eq!(
            (status, challenge, retry_after),
            (503, None, true),
            "{base_url}"
        );
        assert_eq!(body["error"], "temporarily_unavailable");
    }
    handle.stop(true).await;
}
