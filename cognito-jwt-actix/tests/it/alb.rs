//! The ALB extractors: `AlbIdentity`, `OptionalAlbIdentity` and
//! `AlbWithAccessToken`, answering like the bearer extractors.

use std::sync::LazyLock;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::header::{AUTHORIZATION, RETRY_AFTER, WWW_AUTHENTICATE};
use actix_web::test::{self, TestRequest};
use actix_web::{App, web};
use cognito_jwt_actix::{AlbIdentity, AlbWithAccessToken, OptionalAlbIdentity};
use cognito_jwt_core::testing::{TestAlb, TestAlbKeys, TestCurveKey, TestIssuer};
use cognito_jwt_core::{AlbJwtVerifier, TokenUse};
use cognito_jwt_test_support::bearer_error;

const CLIENT: &str = "actix-alb-client";

static ALB: LazyLock<TestAlb> = LazyLock::new(|| TestAlb::new("eu-west-1"));
static ISSUER: LazyLock<TestIssuer> = LazyLock::new(|| TestIssuer::new("eu-west-1_ActixAlb"));

async fn me(AlbIdentity(claims): AlbIdentity) -> String {
    claims.email.unwrap_or_default()
}

async fn home(OptionalAlbIdentity(user): OptionalAlbIdentity<serde_json::Value>) -> String {
    match user {
        Some(claims) => format!("feed of {}", claims["sub"].as_str().unwrap_or("")),
        None => "public feed".to_owned(),
    }
}

async fn orders(user: AlbWithAccessToken) -> String {
    format!("{} via {}", user.identity.sub, user.access.client_id())
}

/// A verifier for `ALB` whose key endpoint is down.
fn unavailable_alb_verifier() -> AlbJwtVerifier {
    let down = TestAlbKeys::default();
    down.fail(Some("connection refused"));
    ALB.verifier_builder()
        .fetcher(down)
        .build()
        .expect("a valid ALB configuration")
}

fn get(uri: &str, headers: &[(&'static str, &str)]) -> TestRequest {
    headers
        .iter()
        .fold(TestRequest::get().uri(uri), |request, &(name, value)| {
            request.append_header((name, value.to_owned()))
        })
}

fn data(value: &str) -> [(&'static str, &str); 1] {
    [("x-amzn-oidc-data", value)]
}

/// A response, read completely.
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn challenge(&self) -> Option<&str> {
        self.header(WWW_AUTHENTICATE.as_str())
    }

    fn bearer_error(&self) -> Option<&str> {
        self.challenge().and_then(bearer_error)
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }

    /// Neither the token nor any of its segments is in a header or the body.
    fn assert_reveals_nothing_of(&self, token: &str) {
        let segments = token.split('.').map(|s| s.trim_end_matches('='));
        for secret in std::iter::once(token).chain(segments) {
            assert!(!self.body.contains(secret), "body reveals the token");
            for (name, value) in &self.headers {
                assert!(!value.contains(secret), "header {name} reveals the token");
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
        .map(|(n, v)| {
            (
                n.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = test::read_body(response).await;
    Answer {
        status,
        headers,
        body: String::from_utf8(body.to_vec()).expect("a UTF-8 body"),
    }
}

macro_rules! alb_app {
    ($verifier:expr) => {
        test::init_service(
            App::new()
                .app_data(web::Data::new($verifier))
                .route("/me", web::get().to(me))
                .route("/home", web::get().to(home)),
        )
        .await
    };
}

#[actix_web::test]
async fn a_valid_header_gives_the_claims() {
    let app = alb_app!(ALB.verifier());
    let header = ALB.data().claim("email", "jo@example.com").sign();
    let answer = send(&app, get("/me", &data(&header)).to_request()).await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (200, "jo@example.com")
    );

    let header = ALB.data().claim("sub", "user-1").sign();
    let answer = send(&app, get("/home", &data(&header)).to_request()).await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (200, "feed of user-1")
    );
}

#[actix_web::test]
async fn without_the_header_a_bare_challenge_or_none() {
    let app = alb_app!(ALB.verifier());
    let token = ISSUER.access_token(CLIENT).sign();
    let bearer = format!("Bearer {token}");
    // A bearer token is not what this extractor reads.
    let answer = send(
        &app,
        get("/me", &[(AUTHORIZATION.as_str(), &bearer)]).to_request(),
    )
    .await;
    assert_eq!(answer.status, 401);
    assert_eq!(answer.challenge(), Some("Bearer realm=\"api\""));
    assert_eq!(answer.json()["error"], "unauthorized");

    let answer = send(&app, get("/home", &[]).to_request()).await;
    assert_eq!((answer.status, answer.body.as_str()), (200, "public feed"));
}

#[actix_web::test]
async fn forged_expired_or_malformed_headers_are_refused_and_not_echoed() {
    let app = alb_app!(ALB.verifier());
    let forged = ALB.data().sign_with(&TestCurveKey::es256(ALB.kid()));
    let expired = ALB.data().expires_in(-60).sign();
    for (what, header) in [("forged", &forged), ("expired", &expired)] {
        for uri in ["/me", "/home"] {
            let answer = send(&app, get(uri, &data(header)).to_request()).await;
            assert_eq!(answer.status, 401, "{what} {uri}: {answer:?}");
            assert_eq!(answer.bearer_error(), Some("invalid_token"), "{what} {uri}");
            assert!(answer.json()["kind"].is_string(), "{what} {uri}");
            answer.assert_reveals_nothing_of(header);
        }
    }
    let answer = send(&app, get("/home", &data("not a token")).to_request()).await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.bearer_error(), Some("invalid_request"));
}

#[actix_web::test]
async fn an_unreachable_key_endpoint_is_503_with_retry_after() {
    let app = alb_app!(unavailable_alb_verifier());
    let header = ALB.data().sign();
    for uri in ["/me", "/home"] {
        let answer = send(&app, get(uri, &data(&header)).to_request()).await;
        assert_eq!(answer.status, 503, "{uri}: {answer:?}");
        let retry_after: u64 = answer
            .header(RETRY_AFTER.as_str())
            .and_then(|v| v.parse().ok())
            .expect("Retry-After in seconds");
        assert!(retry_after >= 1, "{uri}");
        assert_eq!(answer.challenge(), None, "{uri}");
        assert_eq!(answer.json()["error"], "temporarily_unavailable", "{uri}");
        answer.assert_reveals_nothing_of(&header);
    }
}

#[actix_web::test]
async fn without_a_registered_verifier_the_answer_is_500() {
    let app = test::init_service(App::new().route("/me", web::get().to(me))).await;
    let answer = send(&app, get("/me", &data(&ALB.data().sign())).to_request()).await;
    assert_eq!(answer.status, 500);
}

#[actix_web::test]
async fn the_access_token_is_verified_and_must_be_the_same_users() {
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(ALB.verifier()))
            .app_data(web::Data::new(ISSUER.verifier(CLIENT, TokenUse::Access)))
            .route("/orders", web::get().to(orders)),
    )
    .await;
    let header = ALB.data().claim("sub", "user-2").sign();
    let matching = ISSUER.access_token(CLIENT).claim("sub", "user-2").sign();
    let answer = send(
        &app,
        get(
            "/orders",
            &[
                ("x-amzn-oidc-data", &header),
                ("x-amzn-oidc-accesstoken", &matching),
            ],
        )
        .to_request(),
    )
    .await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (200, format!("user-2 via {CLIENT}").as_str())
    );

    let someone_else = ISSUER.access_token(CLIENT).claim("sub", "user-3").sign();
    let answer = send(
        &app,
        get(
            "/orders",
            &[
                ("x-amzn-oidc-data", &header),
                ("x-amzn-oidc-accesstoken", &someone_else),
            ],
        )
        .to_request(),
    )
    .await;
    assert_eq!(answer.status, 401, "{answer:?}");
    assert_eq!(answer.bearer_error(), Some("invalid_token"));
    answer.assert_reveals_nothing_of(&someone_else);

    let answer = send(&app, get("/orders", &data(&header)).to_request()).await;
    assert_eq!(answer.status, 401);
    assert_eq!(answer.challenge(), Some("Bearer realm=\"api\""));
}

/// The load balancer's verifier is a `Verify` like the others: behind the
/// `CognitoAuth` middleware (reading `x-amzn-oidc-data`, its token source),
/// with the bearer extractors from app data, and on the readiness route.
#[actix_web::test]
async fn the_middleware_the_claims_extractors_and_readiness_take_an_alb_verifier() {
    use cognito_jwt_actix::{CognitoAuth, CognitoClaims};
    use cognito_jwt_core::AlbClaims;

    async fn sub(CognitoClaims(claims): CognitoClaims<AlbClaims>) -> String {
        claims.sub
    }
    let alb = TestAlb::new("eu-west-1");
    let verifier = alb.verifier();
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(verifier.clone()))
            .route("/ready", web::get().to(cognito_jwt_actix::ready))
            .route("/sub", web::get().to(sub))
            .service(
                web::scope("/guarded")
                    .wrap(CognitoAuth::new(verifier.clone()).claims::<AlbClaims>())
                    .route("/sub", web::get().to(sub)),
            ),
    )
    .await;

    // Ready before any token: a load balancer's health check must pass
    // before it sends the first one.
    let ready = send(&app, get("/ready", &[]).to_request()).await;
    assert_eq!(ready.status, 200, "{}", ready.body);
    assert_eq!(ready.json()["ready"], true);

    let header = alb.data().claim("sub", "user-9").sign();
    for uri in ["/sub", "/guarded/sub"] {
        let answer = send(&app, get(uri, &data(&header)).to_request()).await;
        assert_eq!(
            (answer.status, answer.body.as_str()),
            (200, "user-9"),
            "{uri}"
        );
        let bearer = format!("Bearer {header}");
        let answer = send(
            &app,
            get(uri, &[(AUTHORIZATION.as_str(), &bearer)]).to_request(),
        )
        .await;
        assert_eq!(answer.status, 401, "{uri}: not where its tokens travel");
        assert_eq!(answer.bearer_error(), None, "{uri}: a bare challenge");
        let forged = alb.data().sign_with(&TestCurveKey::es256("forger"));
        let answer = send(&app, get(uri, &data(&forged)).to_request()).await;
        assert_eq!(answer.status, 401, "{uri}");
        assert_eq!(answer.bearer_error(), Some("invalid_token"), "{uri}");
        answer.assert_reveals_nothing_of(&forged);
    }
    assert_eq!(alb.key_server().fetches(), 1, "one key cache for both");
    let ready = send(&app, get("/ready", &[]).to_request()).await;
    assert_eq!(
        ready.json()["key_sets"][0]["state"],
        "fresh",
        "{}",
        ready.body
    );

    // The key endpoint fails: a 503 with Retry-After, and readiness says so.
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(unavailable_alb_verifier()))
            .route("/ready", web::get().to(cognito_jwt_actix::ready))
            .route("/sub", web::get().to(sub)),
    )
    .await;
    let answer = send(&app, get("/sub", &data(&ALB.data().sign())).to_request()).await;
    assert_eq!(answer.status, 503);
    assert!(answer.header(RETRY_AFTER.as_str()).is_some());
    let ready = send(&app, get("/ready", &[]).to_request()).await;
    assert_eq!(ready.status, 503, "{}", ready.body);
}
