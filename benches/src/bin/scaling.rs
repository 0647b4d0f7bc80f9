//! Throughput with 1 and 2 threads, and a cold start under load.
//!
//! Throughput: each of `--rounds` rounds (default 12) runs every case for a
//! slice of `--seconds` (default 0.25) with one thread, then with each of
//! `--threads` (default 2, and every core when the machine has more than
//! two); the medians and the median of the per-pair N-thread/1-thread
//! ratios are reported, so a drifting machine affects both sides of each
//! ratio, and every case of a round, alike. The floor (bare RSA
//! verification, no shared state) is measured the same way: its ratio is
//! what the machine itself allowed, so compare ours with it.
//!
//! Cold start: `--concurrency` tasks verify the same token at once on a
//! fresh verifier whose key set is served from 127.0.0.1; the key-set
//! server counts the fetches (exactly one expected) and the time to the
//! first and the last verified token is reported. Repeated `--cold-rounds`
//! times with a new verifier each time. Exits non-zero when a round does
//! not fetch exactly once or a verification fails.
//!
//! ```text
//! cargo run --release -p cognito-jwt-benches --bin scaling -- --seconds 0.25 --rounds 12
//! cargo run --release -p cognito-jwt-benches --bin scaling -- --threads 2,4,8 --cold-rounds 0
//! ```

use std::hint::black_box;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use cognito_jwt_benches::{Fixture, KeySetServer, POOL_ID};
use cognito_jwt_core::AccessTokenClaims;

struct Options {
    seconds: f64,
    rounds: usize,
    /// Thread counts compared with one thread.
    threads: Vec<usize>,
    concurrency: usize,
    cold_rounds: usize,
}

fn options() -> Result<Options, String> {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let mut options = Options {
        seconds: 0.25,
        rounds: 12,
        threads: if cores > 2 { vec![2, cores] } else { vec![2] },
        concurrency: 1000,
        cold_rounds: 5,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--seconds" => options.seconds = number(&flag, &value)?,
            "--rounds" => options.rounds = number(&flag, &value)?,
            "--concurrency" => options.concurrency = number(&flag, &value)?,
            "--cold-rounds" => options.cold_rounds = number(&flag, &value)?,
            "--threads" => {
                options.threads = value
                    .split(',')
                    .map(|count| number(&flag, count))
                    .collect::<Result<_, _>>()?;
            }
            _ => {
                return Err(format!(
                    "unknown flag {flag}; expected --seconds, --rounds, --threads, --concurrency, \
                     --cold-rounds"
                ));
            }
        }
    }
    if !(options.seconds > 0.0 && options.rounds > 0 && options.concurrency > 0) {
        return Err("--seconds, --rounds and --concurrency must be positive".to_owned());
    }
    if options.threads.is_empty() || options.threads.iter().any(|&n| n < 2) {
        return Err("--threads takes thread counts of 2 or more, e.g. 2,4".to_owned());
    }
    Ok(options)
}

fn number<T: std::str::FromStr>(flag: &str, value: &str) -> Result<T, String> {
    value
        .parse()
        .map_err(|_| format!("{flag}: {value:?} is not a valid number"))
}

/// Operations per second of `op` run by `threads` threads for `duration`;
/// `op` is given its thread's number.
fn throughput(threads: usize, duration: Duration, op: &(dyn Fn(usize) -> bool + Sync)) -> f64 {
    let stop = AtomicBool::new(false);
    let started = Instant::now();
    let total: u64 = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|thread| {
                let stop = &stop;
                scope.spawn(move || {
                    let mut done = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        for _ in 0..16 {
                            assert!(black_box(op(thread)), "a verification failed");
                        }
                        done += 16;
                    }
                    done
                })
            })
            .collect();
        std::thread::sleep(duration);
        stop.store(true, Ordering::Relaxed);
        workers.into_iter().map(|w| w.join().unwrap_or(0)).sum()
    });
    total as f64 / started.elapsed().as_secs_f64()
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn scaling(f: &Fixture, options: &Options) {
    let slice = Duration::from_secs_f64(options.seconds);
    let user_tokens = f.user_access_tokens(options.threads.iter().copied().max().unwrap_or(2));
    for token in &user_tokens {
        assert!(
            f.caching_verifier()
                .verify_sync::<AccessTokenClaims>(token)
                .is_ok(),
            "a user's token was refused"
        );
    }
    let hit = |token: &str| {
        f.caching_verifier()
            .verify_sync::<AccessTokenClaims>(token)
            .is_ok()
    };
    let cases: [(&str, &(dyn Fn(usize) -> bool + Sync)); 4] = [
        ("floor/aws_lc_rs_parsed_key", &|_| f.floor()),
        ("verify/cached_key", &|_| {
            f.access_verifier()
                .verify_sync::<AccessTokenClaims>(f.access_token())
                .is_ok()
        }),
        // Every thread repeats the same token: the worst case for shared
        // state (one hot cache entry).
        ("verify/result_cache_hit", &|_| hit(f.access_token())),
        // Each thread repeats its own user's token, as on a real server.
        ("verify/result_cache_hit (a token per thread)", &|thread| {
            hit(&user_tokens[thread])
        }),
    ];
    let counts = options
        .threads
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    println!(
        "{} rounds of {:.2} s slices per case: 1 thread, then {counts} threads, each paired \
         with the 1-thread slice of its round; {} cores",
        options.rounds,
        options.seconds,
        std::thread::available_parallelism().map_or(1, usize::from),
    );
    print!("| case | 1 thread ops/s (median) |");
    for n in &options.threads {
        print!(
            " {n} threads ops/s (median) | ratio 1→{n} (median of pairs) | lowest pair | highest pair |"
        );
    }
    println!();
    println!(
        "|---|---:|{}",
        "---:|---:|---:|---:|".repeat(options.threads.len())
    );
    let mut one = vec![Vec::with_capacity(options.rounds); cases.len()];
    let mut many =
        vec![vec![Vec::with_capacity(options.rounds); options.threads.len()]; cases.len()];
    let mut ratios = many.clone();
    for _ in 0..options.rounds {
        for (case, (_, op)) in cases.iter().enumerate() {
            let single = throughput(1, slice, *op);
            one[case].push(single);
            for (i, &n) in options.threads.iter().enumerate() {
                let parallel = throughput(n, slice, *op);
                many[case][i].push(parallel);
                ratios[case][i].push(parallel / single);
            }
        }
    }
    for (case, (name, _)) in cases.iter().enumerate() {
        print!("| `{name}` | {:.0} |", median(&mut one[case]));
        for (parallel, ratios) in many[case].iter_mut().zip(&mut ratios[case]) {
            let lowest = ratios.iter().copied().fold(f64::INFINITY, f64::min);
            let highest = ratios.iter().copied().fold(0.0, f64::max);
            print!(
                " {:.0} | {:.2} | {lowest:.2} | {highest:.2} |",
                median(parallel),
                median(ratios),
            );
        }
        println!();
    }
}

struct ColdRound {
    fetches: usize,
    verified: usize,
    /// The first refusal, if any (its kind and message).
    refusals: Option<String>,
    first: Duration,
    last: Duration,
}

async fn cold_round(
    f: &Fixture,
    server: &KeySetServer,
    concurrency: usize,
) -> Result<ColdRound, String> {
    let verifier = f
        .fresh_verifier(server.url())
        .map_err(|e| format!("verifier configuration: {e}"))?;
    let token: Arc<str> = f.access_token().into();
    let before = server.requests();
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let verifier = verifier.clone();
        let token = Arc::clone(&token);
        tasks.spawn(async move {
            let verified = verifier
                .verify::<AccessTokenClaims>(&token)
                .await
                .map(|_| ())
                .map_err(|e| format!("{:?}: {e}", e.kind()));
            (verified, started.elapsed())
        });
    }
    let mut round = ColdRound {
        fetches: 0,
        verified: 0,
        refusals: None,
        first: Duration::MAX,
        last: Duration::ZERO,
    };
    while let Some(joined) = tasks.join_next().await {
        let (verified, at) = joined.map_err(|e| format!("a verification task failed: {e}"))?;
        match verified {
            Ok(()) => {
                round.verified += 1;
                round.first = round.first.min(at);
                round.last = round.last.max(at);
            }
            Err(refusal) => {
                round.refusals.get_or_insert(refusal);
            }
        }
    }
    round.fetches = server.requests() - before;
    Ok(round)
}

fn cold_start(f: &Fixture, options: &Options) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("tokio runtime: {e}"))?;
    runtime.block_on(async {
        let server = KeySetServer::start(POOL_ID, f.issuer().jwks_json())
            .await
            .map_err(|e| format!("key-set server: {e}"))?;
        println!(
            "\ncold start: {} concurrent verify() calls on a fresh verifier, key set from 127.0.0.1",
            options.concurrency
        );
        println!("| round | key-set fetches | verified | first verified token | all verified |");
        println!("|---:|---:|---:|---:|---:|");
        let mut failed = false;
        for index in 1..=options.cold_rounds {
            let round = cold_round(f, &server, options.concurrency).await?;
            println!(
                "| {index} | {} | {}/{} | {:.2} ms | {:.2} ms |",
                round.fetches,
                round.verified,
                options.concurrency,
                round.first.as_secs_f64() * 1e3,
                round.last.as_secs_f64() * 1e3,
            );
            if let Some(refusal) = &round.refusals {
                println!("  round {index}, first refusal: {refusal}");
            }
            failed |= round.fetches != 1 || round.verified != options.concurrency;
        }
        if failed {
            Err("a cold round did not fetch exactly once or did not verify every token".to_owned())
        } else {
            Ok(())
        }
    })
}

fn main() -> ExitCode {
    let options = match options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    match cognito_jwt_benches::install_metrics() {
        Ok(line) => println!("{line}"),
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::FAILURE;
        }
    }
    let fixture = Fixture::new();
    scaling(&fixture, &options);
    match cold_start(&fixture, &options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}
