//! Lists shared through a real `redis-server` (started per test on a free
//! 127.0.0.1 port, stopped by PID): propagation, the snapshot race,
//! reconnection, outages under both policies, and a restart with data.
//! Waits poll for an outcome with a deadline; nothing asserts a duration.

use std::time::{Duration, Instant};

use cognito_jwt_core::testing::{ManualClock, TestIssuer};
use cognito_jwt_core::{
    AccessTokenClaims, CognitoJwtVerifier, ErrorKind, RevocationEntry, RevocationError,
    RevocationFailure, RevocationKind, RevocationList, RevocationState, TokenUse,
};
use cognito_jwt_redis::{RedisRevocation, RedisStore, key_of};
use cognito_jwt_test_support::RedisServer;
use serde_json::Value;

const CLIENT: &str = "redis-client";

fn pool() -> TestIssuer {
    TestIssuer::new("eu-west-1_RedisTest")
}

fn verifier(pool: &TestIssuer, list: &RevocationList) -> CognitoJwtVerifier {
    pool.verifier_from(
        pool.verifier_builder(CLIENT, TokenUse::Access)
            .revocation(list.clone()),
    )
}

/// Poll `done` every 10 ms until it holds; panics after 10 s.
async fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "never happened: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn synced(revocation: &RedisRevocation) {
    eventually("the list synced", || {
        matches!(
            revocation.list().health().state,
            RevocationState::Synced { .. }
        )
    })
    .await;
}

fn kind_of(verifier: &CognitoJwtVerifier, token: &str) -> Option<ErrorKind> {
    verifier.verify_sync::<Value>(token).err().map(|e| e.kind())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_revoked_on_one_replica_is_refused_on_every_replica() {
    let Some(redis) =
        RedisServer::start("a_session_revoked_on_one_replica_is_refused_on_every_replica")
    else {
        return;
    };
    let pool = pool();
    let replicas: Vec<RedisRevocation> = (0..3)
        .map(|_| RedisRevocation::start(&redis.url(), RevocationList::builder()).unwrap())
        .collect();
    for replica in &replicas {
        synced(replica).await;
    }
    let verifiers: Vec<_> = replicas.iter().map(|r| verifier(&pool, r.list())).collect();
    let token = pool.access_token(CLIENT).sign();
    let other = pool.access_token(CLIENT).sign();
    let claims: AccessTokenClaims = verifiers[0].verify_sync(&token).unwrap();

    replicas[0].list().revoke(&claims).await.unwrap();
    assert_eq!(
        kind_of(&verifiers[0], &token),
        Some(ErrorKind::Revoked),
        "at once where revoked"
    );
    for verifier in &verifiers[1..] {
        eventually("refused on another replica", || {
            kind_of(verifier, &token) == Some(ErrorKind::Revoked)
        })
        .await;
        assert_eq!(kind_of(verifier, &other), None, "only that session");
    }
    let key = key_of(&RevocationEntry::new(
        RevocationKind::Session,
        pool.issuer(),
        claims.origin_jti().map(str::to_owned).unwrap(),
        0,
        0,
    ));
    let ttl: i64 = redis.command(&["TTL", &key]).unwrap()[1..].parse().unwrap();
    assert!(
        ttl > 29 * 24 * 3600,
        "kept in Redis for the session TTL ({ttl} s)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocations_published_while_a_replica_loads_its_snapshot_are_not_lost() {
    let Some(redis) =
        RedisServer::start("revocations_published_while_a_replica_loads_its_snapshot_are_not_lost")
    else {
        return;
    };
    let store = RedisStore::open(&redis.url()).unwrap();
    let until = now() + 3600;
    let entry = |i: usize| {
        RevocationEntry::new(
            RevocationKind::Token,
            "https://iss",
            format!("jti-{i}"),
            0,
            until,
        )
    };
    for i in 0..3000 {
        store.write(&entry(i)).await.unwrap();
    }
    // A replica starts (subscribes, then scans 3000 keys) while 500 more
    // are published.
    let late = RedisRevocation::start(&redis.url(), RevocationList::builder()).unwrap();
    for i in 3000..3500 {
        store.write(&entry(i)).await.unwrap();
    }
    synced(&late).await;
    eventually("every entry held", || late.list().len() == 3500).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_cut_off_applies_what_it_missed_when_it_reconnects() {
    let Some(redis) =
        RedisServer::start("a_replica_cut_off_applies_what_it_missed_when_it_reconnects")
    else {
        return;
    };
    let pool = pool();
    let writer = RedisStore::open(&redis.url()).unwrap();
    let replica = RedisRevocation::start(&redis.url(), RevocationList::builder()).unwrap();
    synced(&replica).await;
    let verifier = verifier(&pool, replica.list());
    let tokens: Vec<String> = (0..20).map(|_| pool.access_token(CLIENT).sign()).collect();
    for token in &tokens {
        // Cut its subscription, then revoke while it reconnects.
        redis
            .command(&["CLIENT", "KILL", "TYPE", "pubsub"])
            .unwrap();
        let claims: AccessTokenClaims = pool
            .verifier(CLIENT, TokenUse::Access)
            .verify_sync(token)
            .unwrap();
        let entry = RevocationEntry::new(
            RevocationKind::Session,
            pool.issuer(),
            claims.origin_jti().unwrap(),
            now(),
            now() + 600,
        );
        writer.write(&entry).await.unwrap();
    }
    for token in &tokens {
        eventually("applied after reconnecting", || {
            kind_of(&verifier, token) == Some(ErrorKind::Revoked)
        })
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_down_past_the_staleness_fails_closed_or_open_as_configured() {
    let Some(mut redis) =
        RedisServer::start("redis_down_past_the_staleness_fails_closed_or_open_as_configured")
    else {
        return;
    };
    let pool = pool();
    let clock = ManualClock::now_system();
    let builder = |failure| {
        RevocationList::builder()
            .clock(&clock)
            .max_staleness(Duration::from_secs(60))
            .failure(failure)
    };
    let closed = RedisRevocation::start(&redis.url(), builder(RevocationFailure::Closed)).unwrap();
    let open = RedisRevocation::start(&redis.url(), builder(RevocationFailure::Open)).unwrap();
    synced(&closed).await;
    synced(&open).await;
    let (closed_verifier, open_verifier) =
        (verifier(&pool, closed.list()), verifier(&pool, open.list()));
    let token = pool.access_token(CLIENT).sign();
    assert_eq!(kind_of(&closed_verifier, &token), None);

    redis.stop();
    let claims: AccessTokenClaims = closed_verifier.verify_sync(&token).unwrap();
    let refused = closed.list().revoke(&claims).await.unwrap_err();
    assert!(
        matches!(refused, RevocationError::Unavailable(_)),
        "{refused}"
    );
    assert!(
        !refused.to_string().contains("127.0.0.1"),
        "no address in {refused}"
    );
    assert_eq!(
        kind_of(&closed_verifier, &token),
        None,
        "within the staleness"
    );

    clock.advance(Duration::from_secs(61));
    assert_eq!(
        kind_of(&closed_verifier, &token),
        Some(ErrorKind::RevocationUnavailable)
    );
    assert!(!closed_verifier.is_ready());
    assert_eq!(kind_of(&open_verifier, &token), None);
    let health = open_verifier.health();
    assert!(health.ready);
    assert!(health.revocation.unwrap().is_degraded());

    redis.restart();
    synced(&closed).await;
    assert_eq!(kind_of(&closed_verifier, &token), None, "in sync again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_restarted_with_its_data_loses_nothing() {
    let Some(mut redis) = RedisServer::start("redis_restarted_with_its_data_loses_nothing") else {
        return;
    };
    let pool = pool();
    let first = RedisRevocation::start(&redis.url(), RevocationList::builder()).unwrap();
    synced(&first).await;
    let token = pool.access_token(CLIENT).sign();
    let claims: AccessTokenClaims = pool
        .verifier(CLIENT, TokenUse::Access)
        .verify_sync(&token)
        .unwrap();
    first
        .list()
        .revoke_subject(pool.issuer(), claims.sub())
        .await
        .unwrap();
    drop(first);

    redis.restart();
    let second = RedisRevocation::start(&redis.url(), RevocationList::builder()).unwrap();
    synced(&second).await;
    assert_eq!(
        kind_of(&verifier(&pool, second.list()), &token),
        Some(ErrorKind::Revoked)
    );
}

#[test]
fn a_bad_url_is_named_without_repeating_it() {
    let error = RedisStore::open("http://user:secret@host").unwrap_err();
    assert_eq!(error.name(), Some("REVOCATION_REDIS_URL"));
    assert!(!error.to_string().contains("secret"));
    let outside =
        RedisRevocation::start("redis://127.0.0.1:1", RevocationList::builder()).unwrap_err();
    assert!(outside.to_string().contains("Tokio runtime"), "{outside}");
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

mod dpop {
    //! DPoP proofs recorded in a real `redis-server`: a proof accepted by
    //! one replica is refused by another; an outage refuses proofs under
    //! the closed policy and accepts them under the open one.

    use std::sync::Arc;
    use std::time::Duration;

    use cognito_jwt_core::testing::{DpopKey, TestOidcIssuer};
    use cognito_jwt_core::{
        Algorithm, Dpop, DpopRequest, ErrorKind, JwtVerifier, ProofReplay, ReplayUnavailable,
        Requirements, StandardClaims,
    };
    use cognito_jwt_redis::{RedisReplayStore, ReplayFailure};
    use cognito_jwt_test_support::RedisServer;

    const URL: &str = "https://api.example.com/orders";

    fn replica(issuer: &TestOidcIssuer, store: RedisReplayStore) -> JwtVerifier {
        issuer.verifier_from(
            issuer
                .verifier_builder(issuer.issuer_config("orders"))
                .dpop(Dpop::new("https://api.example.com").replay_store(store)),
        )
    }

    async fn send(verifier: &JwtVerifier, token: &str, proof: &str) -> Result<(), ErrorKind> {
        verifier
            .verify_dpop_with::<StandardClaims>(
                token,
                &Requirements::new(),
                &DpopRequest::new(proof, "GET", URL),
            )
            .await
            .map(drop)
            .map_err(|e| e.kind())
    }

    #[tokio::test]
    async fn a_proof_accepted_by_one_replica_is_refused_by_another() {
        let Some(mut redis) = RedisServer::start("dpop_replay_across_replicas") else {
            return;
        };
        let issuer = TestOidcIssuer::new("https://login.example.com", Algorithm::RS256);
        let open = |failure| {
            RedisReplayStore::open(&redis.url())
                .expect("a Redis URL")
                .failure(failure)
        };
        let (a, b) = (
            replica(&issuer, open(ReplayFailure::Closed)),
            replica(&issuer, open(ReplayFailure::Closed)),
        );
        let key = DpopKey::generate(Algorithm::ES256);
        let token = issuer.access_token("orders").bound_to(&key).sign();
        let proof = key.proof("GET", URL).access_token(&token).sign();
        assert_eq!(send(&a, &token, &proof).await, Ok(()));
        assert_eq!(
            send(&b, &token, &proof).await,
            Err(ErrorKind::DpopProofReplayed)
        );
        assert_eq!(
            send(&a, &token, &proof).await,
            Err(ErrorKind::DpopProofReplayed)
        );
        let fresh = key.proof("GET", URL).access_token(&token).sign();
        assert_eq!(send(&b, &token, &fresh).await, Ok(()));

        let open_replica = replica(&issuer, open(ReplayFailure::Open));
        redis.stop();
        let during = key.proof("GET", URL).access_token(&token).sign();
        assert_eq!(
            send(&a, &token, &during).await,
            Err(ErrorKind::DpopReplayUnavailable)
        );
        assert_eq!(send(&open_replica, &token, &during).await, Ok(()));
        redis.restart();
        let after = key.proof("GET", URL).access_token(&token).sign();
        assert_eq!(send(&a, &token, &after).await, Ok(()));
    }

    /// A server that accepts connections and never answers.
    async fn silent_server() -> (tokio::net::TcpListener, String) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free port");
        let url = format!("redis://{}", listener.local_addr().expect("its address"));
        (listener, url)
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_check_waiting_on_redis_leaves_the_thread_to_other_tasks() {
        let (listener, url) = silent_server().await;
        let store = Arc::new(
            RedisReplayStore::open(&url)
                .expect("a Redis URL")
                .timeout(Duration::from_secs(60)),
        );
        let check = tokio::spawn({
            let store = Arc::clone(&store);
            async move { store.first_use_async("jkt.jti", u64::MAX, 0).await }
        });
        // Only this thread runs tasks: the connection is accepted here
        // only if the check let go of the thread while it waits.
        let (socket, _) = listener.accept().await.expect("the store connects");
        let mut answered = 0;
        for _ in 0..100 {
            tokio::task::yield_now().await;
            answered += usize::from(check.is_finished());
        }
        assert_eq!(answered, 0, "the check waits for Redis");
        drop(socket);
        assert_eq!(
            check.await.expect("the check"),
            Err(ReplayUnavailable::new("Redis did not answer"))
        );
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_silent_redis_is_answered_by_the_policy_once_the_timeout_passes() {
        let (listener, url) = silent_server().await;
        let accepted = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                held.push(socket);
            }
        });
        let store = |failure| {
            RedisReplayStore::open(&url)
                .expect("a Redis URL")
                .failure(failure)
                .timeout(Duration::from_millis(50))
        };
        assert_eq!(
            store(ReplayFailure::Closed)
                .first_use_async("jkt.jti", u64::MAX, 0)
                .await,
            Err(ReplayUnavailable::new("Redis did not answer"))
        );
        assert_eq!(
            store(ReplayFailure::Open)
                .first_use_async("jkt.jti", u64::MAX, 0)
                .await,
            Ok(true)
        );
        accepted.abort();
    }

    #[test]
    fn outside_a_tokio_runtime_the_async_path_answers_as_the_blocking_one() {
        let Some(redis) = RedisServer::start("dpop_replay_outside_tokio") else {
            return;
        };
        let store = RedisReplayStore::open(&redis.url()).expect("a Redis URL");
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| {
                u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
            });
        let far = now_ms + 60_000;
        let first =
            futures_util::FutureExt::now_or_never(store.first_use_async("k.1", far, now_ms));
        assert_eq!(first, Some(Ok(true)));
        assert_eq!(store.first_use("k.1", far, now_ms), Ok(false));
    }
}
