//! The demo: the whole story on one machine, with no configuration.
//!
//! [`run_demo`] creates a local issuer with the core's testing kit, serves
//! its key set on 127.0.0.1, starts the [axum example server](crate::axum_server)
//! against it (the verifier fetches the keys over HTTP, as in production),
//! mints tokens (a user, an admin, an expired one, one for another app
//! client, a forged one, an ID token where an access token is expected),
//! calls every route and prints what each request got and why.
//!
//! Then the same server behind a (local) Application Load Balancer:
//! [`alb_router`](crate::axum_server::alb_router) takes the identity from
//! the `x-amzn-oidc-data` header, whose key is served as a load balancer
//! serves it (a PEM document at `<base>/<kid>`); [`alb_steps`] sends a
//! genuine header, a forged one, one from another load balancer and none.
//!
//! The same [`steps`] and [`run_steps`] drive the tests of both example
//! servers.

use std::fmt::Write as _;
use std::io::Write;
use std::net::SocketAddr;

use cognito_jwt_core::testing::{AlbTokenBuilder, TestAlb, TestCurveKey, TestIssuer, TestKey};
use cognito_jwt_core::{ALB_DATA_HEADER, AlbJwtVerifier, CognitoJwtVerifier, TokenUse, UserPool};
use serde_json::Value;

use crate::{local_fetcher, serve_alb_key, serve_jwks};

/// The demo user pool's id.
pub const POOL_ID: &str = "eu-west-1_DemoPool1";
/// The app client whose access tokens the demo server accepts.
pub const CLIENT_ID: &str = "demo-web-client";
/// The admin group of the demo server.
pub const ADMIN_GROUP: &str = "admins";
/// The demo's normal user.
pub const USER: &str = "alice";
/// The demo's admin.
pub const ADMIN: &str = "ada";

/// Which credentials a request carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Credential {
    /// No `Authorization` header.
    None,
    /// A valid access token of [`USER`], in no group.
    User,
    /// A valid access token of [`ADMIN`], in [`ADMIN_GROUP`].
    Admin,
    /// The user's token, expired an hour ago.
    Expired,
    /// A valid access token issued to another app client.
    OtherClient,
    /// A token that names the pool's key but was signed with another key.
    Forged,
    /// A valid ID token where access tokens are expected.
    IdToken,
    /// A valid `x-amzn-oidc-data` header of [`USER`], from the demo's load
    /// balancer.
    AlbUser,
    /// An `x-amzn-oidc-data` header that names the load balancer's key but
    /// was signed with another key.
    AlbForged,
    /// A valid `x-amzn-oidc-data` header from another load balancer.
    AlbOtherLoadBalancer,
}

impl Credential {
    /// A short label for the table.
    pub fn label(self) -> &'static str {
        match self {
            Credential::None => "none",
            Credential::User => "alice (user)",
            Credential::Admin => "ada (admin)",
            Credential::Expired => "expired",
            Credential::OtherClient => "other app client",
            Credential::Forged => "forged signature",
            Credential::IdToken => "ID token",
            Credential::AlbUser => "ALB: alice",
            Credential::AlbForged => "ALB: forged",
            Credential::AlbOtherLoadBalancer => "ALB: another ALB",
        }
    }

    /// Whether it is sent as `x-amzn-oidc-data` rather than as a bearer
    /// token.
    pub fn is_alb_data(self) -> bool {
        matches!(
            self,
            Credential::AlbUser | Credential::AlbForged | Credential::AlbOtherLoadBalancer
        )
    }
}

/// One token per [`Credential`], minted by an issuer.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct DemoTokens {
    /// [`Credential::User`].
    pub user: String,
    /// [`Credential::Admin`].
    pub admin: String,
    /// [`Credential::Expired`].
    pub expired: String,
    /// [`Credential::OtherClient`].
    pub other_client: String,
    /// [`Credential::Forged`].
    pub forged: String,
    /// [`Credential::IdToken`].
    pub id_token: String,
    /// The load balancer headers, when [`with_alb`](Self::with_alb) added
    /// them.
    pub alb: Option<AlbHeaders>,
}

impl DemoTokens {
    /// Mint the tokens with `issuer` for `client_id`; `forger` signs the
    /// forged one (any key but the issuer's).
    pub fn new(issuer: &TestIssuer, client_id: &str, forger: &TestKey) -> Self {
        let user = || issuer.access_token(client_id).claim("username", USER);
        Self {
            user: user().sign(),
            admin: issuer
                .access_token(client_id)
                .claim("username", ADMIN)
                .group(ADMIN_GROUP)
                .sign(),
            expired: user().expires_in(-3600).sign(),
            other_client: issuer
                .access_token("someone-elses-client")
                .claim("username", USER)
                .sign(),
            forged: user().group(ADMIN_GROUP).sign_with(forger),
            id_token: issuer
                .id_token(client_id)
                .claim("cognito:username", USER)
                .sign(),
            alb: None,
        }
    }

    /// These tokens and `headers` for the [`alb_steps`].
    #[must_use]
    pub fn with_alb(mut self, headers: AlbHeaders) -> Self {
        self.alb = Some(headers);
        self
    }

    /// The token for `credential`, `None` for [`Credential::None`].
    pub fn get(&self, credential: Credential) -> Option<&str> {
        match credential {
            Credential::None => None,
            Credential::User => Some(&self.user),
            Credential::Admin => Some(&self.admin),
            Credential::Expired => Some(&self.expired),
            Credential::OtherClient => Some(&self.other_client),
            Credential::Forged => Some(&self.forged),
            Credential::IdToken => Some(&self.id_token),
            Credential::AlbUser => self.alb.as_ref().map(|h| h.user.as_str()),
            Credential::AlbForged => self.alb.as_ref().map(|h| h.forged.as_str()),
            Credential::AlbOtherLoadBalancer => {
                self.alb.as_ref().map(|h| h.other_load_balancer.as_str())
            }
        }
    }
}

/// The `x-amzn-oidc-data` values of the [`alb_steps`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AlbHeaders {
    /// [`Credential::AlbUser`].
    pub user: String,
    /// [`Credential::AlbForged`].
    pub forged: String,
    /// [`Credential::AlbOtherLoadBalancer`].
    pub other_load_balancer: String,
}

impl AlbHeaders {
    /// Mint the headers as `alb` signs them once `issuer` has signed the
    /// user in to `client_id`; a second load balancer signs the last one.
    pub fn new(alb: &TestAlb, issuer: &TestIssuer, client_id: &str) -> Self {
        fn data<'a>(alb: &'a TestAlb, issuer: &TestIssuer, client_id: &str) -> AlbTokenBuilder<'a> {
            alb.data()
                .header("iss", issuer.issuer())
                .header("client", client_id)
                .claim("iss", issuer.issuer())
                .claim("username", USER)
        }
        let forger = TestCurveKey::es256(alb.kid());
        let other = TestAlb::new(alb.region());
        Self {
            user: data(alb, issuer, client_id).sign(),
            forged: data(alb, issuer, client_id).sign_with(&forger),
            other_load_balancer: data(&other, issuer, client_id).sign(),
        }
    }
}

/// A request and the outcome it must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// The path requested with `GET`.
    pub path: &'static str,
    /// What the request carries.
    pub credential: Credential,
    /// The expected status.
    pub status: u16,
    /// The expected reason, as [`describe`] words it.
    pub why: &'static str,
}

/// The demo's requests and what each must get.
pub fn steps() -> Vec<Step> {
    use Credential as C;
    let step = |path, credential, status, why| Step {
        path,
        credential,
        status,
        why,
    };
    vec![
        step("/health", C::None, 200, "ok"),
        step("/api/activities/home", C::None, 200, "3 public items"),
        step(
            "/api/activities/home",
            C::User,
            200,
            "4 items, one for alice",
        ),
        step(
            "/api/activities/home",
            C::Forged,
            401,
            "invalid_token: invalid_signature",
        ),
        step(
            "/api/me",
            C::None,
            401,
            "unauthorized: a bearer token is required",
        ),
        step("/api/me", C::User, 200, "signed in as alice"),
        step("/api/me", C::Expired, 401, "invalid_token: expired"),
        step(
            "/api/me",
            C::OtherClient,
            401,
            "invalid_token: invalid_audience",
        ),
        step(
            "/api/me",
            C::Forged,
            401,
            "invalid_token: invalid_signature",
        ),
        step(
            "/api/me",
            C::IdToken,
            401,
            "invalid_token: invalid_token_use",
        ),
        step(
            "/api/admin",
            C::None,
            401,
            "unauthorized: a bearer token is required",
        ),
        step(
            "/api/admin",
            C::User,
            403,
            "insufficient_scope: missing_group",
        ),
        step("/api/admin", C::Admin, 200, "welcome, ada"),
    ]
}

/// The demo's requests to the server in ALB mode, and what each must get.
pub fn alb_steps() -> Vec<Step> {
    use Credential as C;
    let step = |path, credential, status, why| Step {
        path,
        credential,
        status,
        why,
    };
    vec![
        step(
            "/api/activities/home",
            C::AlbUser,
            200,
            "4 items, one for alice",
        ),
        step("/api/me", C::AlbUser, 200, "signed in as alice"),
        step(
            "/api/me",
            C::AlbForged,
            401,
            "invalid_token: invalid_signature",
        ),
        step(
            "/api/me",
            C::AlbOtherLoadBalancer,
            401,
            "invalid_token: invalid_issuer",
        ),
        // Without the header, the refusal names it.
        step(
            "/api/me",
            C::None,
            401,
            "unauthorized: an x-amzn-oidc-data header is required",
        ),
    ]
}

/// What one request got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The request.
    pub step: Step,
    /// The status received.
    pub status: u16,
    /// The reason, from the JSON body (see [`describe`]).
    pub why: String,
}

impl Outcome {
    /// Whether the status and reason are the expected ones.
    pub fn as_expected(&self) -> bool {
        self.status == self.step.status && self.why == self.step.why
    }
}

/// Word a JSON answer of the example servers: `<error>: <kind>` (or the
/// description when no token was checked) for refusals, a summary of the
/// body for successes.
pub fn describe(body: &Value) -> String {
    let text = |key: &str| body.get(key).and_then(Value::as_str);
    if let Some(error) = text("error") {
        let reason = text("kind").or(text("error_description")).unwrap_or("");
        return format!("{error}: {reason}");
    }
    if let Some(activities) = body.get("activities").and_then(Value::as_array) {
        return match text("signed_in_as") {
            Some(name) => format!("{} items, one for {name}", activities.len()),
            None => format!("{} public items", activities.len()),
        };
    }
    if let Some(admin) = text("admin") {
        return format!("welcome, {admin}");
    }
    if body.get("sub").is_some() {
        return format!("signed in as {}", text("username").unwrap_or("a client"));
    }
    text("status").unwrap_or("unexpected body").to_owned()
}

/// Send every step to the server at `base_url` (e.g. `http://127.0.0.1:8080`).
///
/// # Errors
/// When a request fails at the HTTP level.
pub async fn run_steps(
    client: &reqwest::Client,
    base_url: &str,
    tokens: &DemoTokens,
    steps: &[Step],
) -> Result<Vec<Outcome>, reqwest::Error> {
    let mut outcomes = Vec::with_capacity(steps.len());
    for step in steps {
        let mut request = client.get(format!("{base_url}{}", step.path));
        if let Some(token) = tokens.get(step.credential) {
            request = if step.credential.is_alb_data() {
                request.header(ALB_DATA_HEADER, token)
            } else {
                request.bearer_auth(token)
            };
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let body = response.text().await?;
        let why = serde_json::from_str(&body).map_or_else(
            |_| format!("not JSON ({} bytes)", body.len()),
            |json| describe(&json),
        );
        outcomes.push(Outcome {
            step: *step,
            status,
            why,
        });
    }
    Ok(outcomes)
}

/// An HTTP client for 127.0.0.1 that ignores any `HTTP_PROXY`.
///
/// # Errors
/// When the client cannot be built.
pub fn local_client() -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder().no_proxy().build()
}

/// Run the demo, writing the table to `out`. Returns whether every outcome
/// was the expected one.
pub async fn run_demo(out: &mut dyn Write) -> bool {
    match demo(out).await {
        Ok(passed) => passed,
        Err(error) => {
            // The table may be half written; the reason matters more.
            let _ = writeln!(out, "demo failed: {error}");
            false
        }
    }
}

async fn demo(out: &mut dyn Write) -> Result<bool, Box<dyn std::error::Error>> {
    let issuer = TestIssuer::new(POOL_ID);
    let forger = TestKey::generate(issuer.key().kid());
    let alb = TestAlb::new("eu-west-1");
    let tokens = DemoTokens::new(&issuer, CLIENT_ID, &forger)
        .with_alb(AlbHeaders::new(&alb, &issuer, CLIENT_ID));

    let jwks = serve_jwks(POOL_ID, issuer.jwks_json()).await?;
    let verifier = CognitoJwtVerifier::builder()
        .user_pool(
            UserPool::new(POOL_ID)
                .client_id(CLIENT_ID)
                .token_use(TokenUse::Access)
                .jwks_uri(jwks.url()),
        )
        .fetcher(local_fetcher()?)
        .build()?;
    let alb_key = serve_alb_key(alb.kid(), alb.public_key_pem()).await?;
    let alb_verifier = AlbJwtVerifier::builder()
        .load_balancer_arn(alb.arn())
        .client_id(CLIENT_ID)
        .issuer(issuer.issuer())
        .keys_url(alb_key.base_url())
        .fetcher(local_fetcher()?)
        .build()?;

    let bearer_app = crate::axum_server::router(verifier.clone(), ADMIN_GROUP);
    let (bearer_url, bearer_server) = serve_locally(bearer_app).await?;
    let alb_app = crate::axum_server::alb_router(alb_verifier, verifier, ADMIN_GROUP);
    let (alb_url, alb_server) = serve_locally(alb_app).await?;

    writeln!(out, "cognito-jwt demo (nothing leaves 127.0.0.1)")?;
    writeln!(out, "  user pool  {POOL_ID}, app client {CLIENT_ID}")?;
    writeln!(out, "  key set    {}", jwks.url())?;
    writeln!(
        out,
        "  server     {bearer_url} (examples/src/axum_server.rs)"
    )?;
    writeln!(out)?;

    let client = local_client()?;
    let outcomes = run_steps(&client, &bearer_url, &tokens, &steps()).await;
    bearer_server.abort();
    let mut outcomes = outcomes?;
    writeln!(out, "{}", table(&outcomes))?;

    writeln!(
        out,
        "behind an Application Load Balancer (ALB mode: the identity from x-amzn-oidc-data)"
    )?;
    writeln!(out, "  load balancer  {}", alb.arn())?;
    writeln!(out, "  its key        {}", alb_key.url())?;
    writeln!(out, "  server         {alb_url} (axum_server::alb_router)")?;
    writeln!(out)?;
    let alb_outcomes = run_steps(&client, &alb_url, &tokens, &alb_steps()).await;
    alb_server.abort();
    let alb_outcomes = alb_outcomes?;
    writeln!(out, "{}", table(&alb_outcomes))?;
    outcomes.extend(alb_outcomes);

    let passed = outcomes.iter().filter(|o| o.as_expected()).count();
    writeln!(
        out,
        "{passed}/{} outcomes as expected; the key set was fetched {}, the load balancer's key {}.",
        outcomes.len(),
        times(jwks.requests()),
        times(alb_key.requests()),
    )?;
    Ok(passed == outcomes.len())
}

/// Serve `app` on a free port of 127.0.0.1: its base URL and the task.
async fn serve_locally(
    app: axum::Router,
) -> std::io::Result<(String, tokio::task::JoinHandle<std::io::Result<()>>)> {
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let address = listener.local_addr()?;
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    Ok((format!("http://{address}"), server))
}

fn times(count: usize) -> String {
    match count {
        1 => "1 time".to_owned(),
        n => format!("{n} times"),
    }
}

/// The outcomes as an aligned text table, mismatches marked.
pub fn table(outcomes: &[Outcome]) -> String {
    let mut text = format!(
        "  {:<28} {:<17} {:<6} {}\n",
        "request", "token", "status", "why"
    );
    for outcome in outcomes {
        let _ = write!(
            text,
            "  {:<28} {:<17} {:<6} {}",
            format!("GET {}", outcome.step.path),
            outcome.step.credential.label(),
            outcome.status,
            outcome.why
        );
        if !outcome.as_expected() {
            let _ = write!(
                text,
                "   <-- UNEXPECTED, wanted {} {}",
                outcome.step.status, outcome.step.why
            );
        }
        text.push('\n');
    }
    text
}
