//! Soak: the axum example server under concurrent load while its user
//! pool rotates keys twice.
//!
//! Eight tasks send a fixed mix of requests (valid tokens signed by every
//! published key, admins and non-admins, expired, forged, foreign,
//! malformed and anonymous) while the key-set server publishes a new key,
//! then another; the load stops half a second after the second rotation
//! (about 2 s in all), or after a cap on requests per task. Tokens of a new key are sent from
//! the moment it is published and must be accepted at once. Every answer
//! must be the expected status, and each rotation must cost exactly one
//! key-set fetch however many requests race for it.
//!
//! Run: `cargo test -p cognito-jwt-examples --test soak` (a few seconds;
//! `-- --nocapture` prints the request counts). `SOAK_MAX_REQUESTS` changes
//! the cap per task (default 20,000).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use cognito_jwt_core::testing::{TestIssuer, TestKey};
use cognito_jwt_core::{CognitoJwtVerifier, KeySetOptions, TokenUse, UserPool};
use cognito_jwt_examples::demo::{ADMIN_GROUP, CLIENT_ID};
use cognito_jwt_examples::{JwksServer, local_fetcher, serve_jwks};

use crate::support::{POOL_ID, client, start_axum};

const TASKS: usize = 8;
const COOLDOWN: Duration = Duration::from_millis(100);
/// How long each key set is served under load before the next rotation.
const PHASE: Duration = Duration::from_millis(500);

/// The tokens signed by one key, usable once its key set is published.
struct Generation {
    document: String,
    users: Vec<String>,
    admin: String,
}

struct Fixture {
    generations: Vec<Generation>,
    expired: String,
    forged: String,
    wrong_client: String,
}

fn fixture() -> Fixture {
    let mut issuer = TestIssuer::new(POOL_ID);
    // Signed by the first key, which stays published throughout: these must
    // be refused for what they are, never as an unknown key.
    let expired = issuer.access_token(CLIENT_ID).expires_in(-60).sign();
    let wrong_client = issuer.access_token("another-client").sign();
    let forged = issuer
        .access_token(CLIENT_ID)
        .group(ADMIN_GROUP)
        .sign_with(&TestKey::generate("forger"));
    let mut generations = Vec::new();
    for generation in 0..3 {
        if generation > 0 {
            issuer.rotate();
        }
        let user = |n: usize| {
            issuer
                .access_token(CLIENT_ID)
                .claim("username", format!("user-{generation}-{n}"))
                .sign()
        };
        generations.push(Generation {
            document: issuer.jwks_json(),
            users: (0..4).map(user).collect(),
            admin: issuer
                .access_token(CLIENT_ID)
                .claim("username", format!("admin-{generation}"))
                .group(ADMIN_GROUP)
                .sign(),
        });
    }
    Fixture {
        generations,
        expired,
        forged,
        wrong_client,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Health,
    HomeAnonymous,
    HomeValid,
    HomeForged,
    MeValid,
    MeNoToken,
    MeExpired,
    MeForged,
    MeWrongClient,
    MeGarbage,
    AdminAsAdmin,
    AdminAsUser,
}

const MIX: [Kind; 12] = [
    Kind::MeValid,
    Kind::Health,
    Kind::HomeValid,
    Kind::MeExpired,
    Kind::AdminAsAdmin,
    Kind::HomeAnonymous,
    Kind::MeForged,
    Kind::AdminAsUser,
    Kind::MeNoToken,
    Kind::HomeForged,
    Kind::MeWrongClient,
    Kind::MeGarbage,
];

impl Kind {
    fn path(self) -> &'static str {
        match self {
            Kind::Health => "/health",
            Kind::HomeAnonymous | Kind::HomeValid | Kind::HomeForged => "/api/activities/home",
            Kind::AdminAsAdmin | Kind::AdminAsUser => "/api/admin",
            _ => "/api/me",
        }
    }

    fn expected_status(self) -> u16 {
        match self {
            Kind::Health
            | Kind::HomeAnonymous
            | Kind::HomeValid
            | Kind::MeValid
            | Kind::AdminAsAdmin => 200,
            Kind::AdminAsUser => 403,
            _ => 401,
        }
    }
}

struct Load {
    fixture: Fixture,
    /// The newest published generation.
    published: AtomicUsize,
    stop: AtomicBool,
}

impl Load {
    /// The token for draw `n` of `kind`, taken from the generations up to
    /// `published` in turn.
    fn token(&self, kind: Kind, n: usize, published: usize) -> Option<&str> {
        let generation = &self.fixture.generations[n % (published + 1)];
        let user = &generation.users[n % generation.users.len()];
        match kind {
            Kind::Health | Kind::HomeAnonymous | Kind::MeNoToken => None,
            Kind::HomeValid | Kind::MeValid | Kind::AdminAsUser => Some(user),
            Kind::AdminAsAdmin => Some(&generation.admin),
            Kind::HomeForged | Kind::MeForged => Some(&self.fixture.forged),
            Kind::MeExpired => Some(&self.fixture.expired),
            Kind::MeWrongClient => Some(&self.fixture.wrong_client),
            Kind::MeGarbage => Some("eyJhbGciOiJSUzI1NiJ9.e30.c2ln"),
        }
    }
}

#[derive(Debug, Default)]
struct Tally {
    by_kind: BTreeMap<(Kind, u16), usize>,
    unexpected: Vec<String>,
    /// Accepted tokens per key generation.
    accepted_by_generation: [usize; 3],
}

async fn worker(
    load: Arc<Load>,
    client: reqwest::Client,
    base_url: String,
    task: usize,
    max_requests: usize,
) -> Tally {
    let mut tally = Tally::default();
    for n in 0..max_requests {
        if load.stop.load(Ordering::SeqCst) {
            break;
        }
        let kind = MIX[(n + task) % MIX.len()];
        let published = load.published.load(Ordering::SeqCst);
        let draw = n / MIX.len() + task;
        let mut request = client.get(format!("{base_url}{}", kind.path()));
        if let Some(token) = load.token(kind, draw, published) {
            request = request.bearer_auth(token);
        }
        let status = match request.send().await {
            Ok(response) => response.status().as_u16(),
            Err(error) => {
                tally.unexpected.push(format!("{kind:?}: {error}"));
                continue;
            }
        };
        *tally.by_kind.entry((kind, status)).or_default() += 1;
        if status != kind.expected_status() {
            tally.unexpected.push(format!(
                "{kind:?} (generation {} of {published} published): {status}, expected {}",
                draw % (published + 1),
                kind.expected_status()
            ));
        } else if kind.expected_status() == 200 && load.token(kind, draw, published).is_some() {
            tally.accepted_by_generation[draw % (published + 1)] += 1;
        }
    }
    tally
}

/// Publish each next generation after a phase of load, wait for the one
/// fetch it causes, then let the cool-down pass before the next. Stops the
/// load when done, whatever happened.
async fn rotate(load: Arc<Load>, jwks: Arc<JwksServer>) -> Result<(), String> {
    let outcome = rotations(&load, &jwks).await;
    load.stop.store(true, Ordering::SeqCst);
    outcome
}

async fn rotations(load: &Load, jwks: &JwksServer) -> Result<(), String> {
    for generation in 1..load.fixture.generations.len() {
        tokio::time::sleep(PHASE).await;
        let fetches = jwks.requests();
        jwks.set_document(load.fixture.generations[generation].document.clone());
        load.published.store(generation, Ordering::SeqCst);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while jwks.requests() == fetches {
            if tokio::time::Instant::now() > deadline {
                return Err(format!("generation {generation} was never fetched"));
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        tokio::time::sleep(COOLDOWN * 2).await;
    }
    tokio::time::sleep(PHASE).await;
    Ok(())
}

async fn soak(token_cache: Option<u64>) {
    let max_requests: usize = std::env::var("SOAK_MAX_REQUESTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let fixture = fixture();
    let jwks = Arc::new(
        serve_jwks(POOL_ID, fixture.generations[0].document.clone())
            .await
            .expect("a key-set server"),
    );
    let mut builder = CognitoJwtVerifier::builder()
        .user_pool(
            UserPool::new(POOL_ID)
                .client_id(CLIENT_ID)
                .token_use(TokenUse::Access)
                .jwks_uri(jwks.url()),
        )
        .fetcher(local_fetcher().expect("HTTP client"))
        .key_set_options(KeySetOptions::default().cooldown(COOLDOWN));
    if let Some(max_bytes) = token_cache {
        builder = builder.token_cache_max_bytes(max_bytes);
    }
    let server = start_axum(builder.build().expect("verifier configuration")).await;
    let load = Arc::new(Load {
        fixture,
        published: AtomicUsize::new(0),
        stop: AtomicBool::new(false),
    });

    let client = client();
    let workers: Vec<_> = (0..TASKS)
        .map(|task| {
            tokio::spawn(worker(
                Arc::clone(&load),
                client.clone(),
                server.base_url.clone(),
                task,
                max_requests,
            ))
        })
        .collect();
    let rotation = tokio::spawn(rotate(Arc::clone(&load), Arc::clone(&jwks)));

    let mut total = Tally::default();
    for handle in workers {
        let tally = tokio::time::timeout(Duration::from_secs(120), handle)
            .await
            .expect("the load finishes")
            .expect("a worker");
        for (key, count) in tally.by_kind {
            *total.by_kind.entry(key).or_default() += count;
        }
        total.unexpected.extend(tally.unexpected);
        for (sum, count) in total
            .accepted_by_generation
            .iter_mut()
            .zip(tally.accepted_by_generation)
        {
            *sum += count;
        }
    }
    load.stop.store(true, Ordering::SeqCst);
    let rotated = rotation.await.expect("the rotation task");

    let sent: usize = total.by_kind.values().sum();
    eprintln!(
        "soak (token cache {token_cache:?}): {sent} requests, accepted per key generation {:?}, \
         {} key-set fetches",
        total.accepted_by_generation,
        jwks.requests()
    );
    for ((kind, status), count) in &total.by_kind {
        eprintln!("  {kind:?} -> {status}: {count}");
    }
    assert!(
        total.unexpected.is_empty(),
        "{} unexpected answers, e.g. {:?}",
        total.unexpected.len(),
        &total.unexpected[..total.unexpected.len().min(10)]
    );
    rotated.expect("both rotations were fetched");
    assert!(
        total.accepted_by_generation.iter().all(|&n| n > 0),
        "tokens of every key were accepted under load: {:?}",
        total.accepted_by_generation
    );
    assert_eq!(
        jwks.requests(),
        3,
        "one fetch at start and one per rotation, however many requests raced"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_with_key_rotation() {
    soak(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_with_key_rotation_and_token_cache() {
    soak(Some(4 * 1024 * 1024)).await;
}
