//! Revocation figures that are not instruction counts:
//!
//! - `revocation memory`: the heap a list of 100,000 entries holds (counted
//!   by a counting allocator, bytes, not timed).
//! - `revocation propagation [--replicas 8] [--revocations 1000]`: one
//!   `redis-server` on a free 127.0.0.1 port, `--replicas` processes each
//!   following it with a verifier, and a writer revoking one session at a
//!   time; each replica reports when its verifier first refuses the
//!   session's token (a token-cache hit, checked every 100 µs). Prints the
//!   time from the write to each refusal, p50 and p99 over every replica
//!   and revocation.
//!
//! `replica` is the mode the propagation run starts its children in.

use std::alloc::System;
use std::io::{BufRead as _, BufReader, Write as _};
use std::process::{Command, ExitCode, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use cap::Cap;
use cognito_jwt_benches::{REVOCATION_ENTRIES, revocation_list};
use cognito_jwt_core::testing::TestIssuer;
use cognito_jwt_core::{
    AccessTokenClaims, ErrorKind, RevocationEntry, RevocationKind, RevocationList, RevocationState,
    TokenUse,
};
use cognito_jwt_redis::{RedisRevocation, RedisStore};
use cognito_jwt_test_support::RedisServer;

#[global_allocator]
static ALLOCATOR: Cap<System> = Cap::new(System, usize::MAX);

const POOL_ID: &str = "eu-west-1_Propagation";
const CLIENT_ID: &str = "propagation-client";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let option = |name: &str, default: usize| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    match args.first().map(String::as_str) {
        Some("memory") => memory(),
        Some("propagation") => propagation(option("--replicas", 8), option("--revocations", 1000)),
        Some("replica") => replica(&args[1], option("--revocations", 1000)),
        _ => {
            eprintln!("usage: revocation memory | propagation [--replicas N] [--revocations N]");
            return ExitCode::from(2);
        }
    }
    ExitCode::SUCCESS
}

fn memory() {
    let before = ALLOCATOR.allocated();
    let list = revocation_list("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123");
    let held = ALLOCATOR.allocated() - before;
    println!(
        "{REVOCATION_ENTRIES} entries (ids of 36 bytes, one issuer of 61 bytes): {} bytes, \
         {:.1} MiB, {} bytes per entry",
        held,
        held as f64 / (1024.0 * 1024.0),
        held / REVOCATION_ENTRIES
    );
    drop(list);
}

fn propagation(replicas: usize, revocations: usize) {
    let Some(redis) = RedisServer::start("revocation propagation") else {
        return;
    };
    let url = redis.url();
    let binary = std::env::current_exe().expect("this binary");
    let (lines, reports) = mpsc::channel::<(usize, String)>();
    let mut children = Vec::new();
    for replica in 0..replicas {
        let mut child = Command::new(&binary)
            .args(["replica", &url, "--revocations", &revocations.to_string()])
            .stdout(Stdio::piped())
            .stdin(Stdio::null())
            .spawn()
            .expect("a replica starts");
        let stdout = child.stdout.take().expect("stdout");
        let lines = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if lines.send((replica, line)).is_err() {
                    break;
                }
            }
        });
        children.push(child);
    }
    for _ in 0..replicas {
        let (_, line) = reports.recv().expect("a replica is ready");
        assert_eq!(line, "ready");
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let store = RedisStore::open(&url).expect("the URL");
    let issuer = TestIssuer::new(POOL_ID);
    let mut latencies = Vec::with_capacity(replicas * revocations);
    let started = Instant::now();
    for i in 0..revocations {
        let now = u64::try_from(unix_nanos() / 1_000_000_000).unwrap_or(u64::MAX);
        let entry = RevocationEntry::new(
            RevocationKind::Session,
            issuer.issuer(),
            session_id(i),
            now,
            now + 600,
        );
        let written_at = unix_nanos();
        runtime.block_on(store.write(&entry)).expect("written");
        for _ in 0..replicas {
            let (replica, line) = reports.recv().expect("a report");
            let (index, refused_at) = line.split_once(' ').expect("<index> <nanos>");
            assert_eq!(index.parse::<usize>().ok(), Some(i), "replica {replica}");
            let refused_at: u128 = refused_at.parse().expect("nanoseconds");
            latencies.push(refused_at.saturating_sub(written_at) as f64 / 1e6);
        }
    }
    let elapsed = started.elapsed();
    for mut child in children {
        let _ = child.wait();
    }
    latencies.sort_by(f64::total_cmp);
    let at = |q: f64| latencies[((latencies.len() as f64 - 1.0) * q).round() as usize];
    println!(
        "{revocations} revocations x {replicas} replicas on one redis-server: from the write \
         to the refusal p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({:.1} s in all)",
        at(0.50),
        at(0.99),
        at(1.0),
        elapsed.as_secs_f64()
    );
}

/// A replica: follows Redis, says `ready` once in sync with every token in
/// its token cache, then for each session in order reports `<i> <nanos>`
/// when its verifier first refuses that session's token.
fn replica(url: &str, revocations: usize) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let _guard = runtime.enter();
    let sync = RedisRevocation::start(url, RevocationList::builder()).expect("the URL");
    let issuer = TestIssuer::new(POOL_ID);
    let verifier = issuer.verifier_from(
        issuer
            .verifier_builder(CLIENT_ID, TokenUse::Access)
            .token_cache_max_bytes(64 * 1024 * 1024)
            .revocation(sync.list().clone()),
    );
    let tokens: Vec<String> = (0..revocations)
        .map(|i| {
            issuer
                .access_token(CLIENT_ID)
                .claim("origin_jti", session_id(i))
                .sign()
        })
        .collect();
    while !matches!(sync.list().health().state, RevocationState::Synced { .. }) {
        std::thread::sleep(Duration::from_millis(5));
    }
    for token in &tokens {
        verifier
            .verify_sync::<AccessTokenClaims>(token)
            .expect("valid before its revocation");
    }
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "ready");
    let _ = out.flush();
    for (i, token) in tokens.iter().enumerate() {
        loop {
            match verifier.verify_sync::<AccessTokenClaims>(token) {
                Err(e) if e.kind() == ErrorKind::Revoked => break,
                _ => std::thread::sleep(Duration::from_micros(100)),
            }
        }
        let _ = writeln!(out, "{i} {}", unix_nanos());
        let _ = out.flush();
    }
}

fn session_id(i: usize) -> String {
    format!("propagation-session-{i}")
}

fn unix_nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}
