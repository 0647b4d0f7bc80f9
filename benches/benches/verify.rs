//! The criterion suite. Everything runs in one process, the floor first and
//! `verify/cached_key` right after it, so the ratios between `floor/`,
//! `verify/` and `peers/` come from one run; absolute numbers drift between
//! runs on shared machines (see the `interleaved` binary for ratios that
//! resist drift).
//!
//! ```text
//! cargo bench -p cognito-jwt-benches --bench verify -- --measurement-time 5
//! cargo bench -p cognito-jwt-benches --bench verify -- 'floor/|verify/cached_key$'
//! ```

use std::hint::black_box;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64_simd::{Out, URL_SAFE_NO_PAD as BASE64URL};
use cognito_jwt_benches::interleaved;
use cognito_jwt_benches::{Fixture, KeySetServer, POOL_ID, PeerAccessClaims};
use cognito_jwt_core::{AccessTokenClaims, IdTokenClaims};
use criterion::{Criterion, criterion_group};

fn suite(c: &mut Criterion) {
    let f = Fixture::new();
    floor(c, &f);
    verify(c, &f);
    peers(c, &f);
    parts(c, &f);
    cold(c, &f);
}

fn floor(c: &mut Criterion, f: &Fixture) {
    let mut floor = c.benchmark_group("floor");
    floor.bench_function("aws_lc_rs_parsed_key", |b| b.iter(|| black_box(f).floor()));
    floor.bench_function("es256_aws_lc_rs_parsed_key", |b| {
        b.iter(|| black_box(f).es256().floor());
    });
    floor.bench_function("eddsa_aws_lc_rs_parsed_key", |b| {
        b.iter(|| black_box(f).eddsa().floor());
    });
    floor.bench_function("alb_aws_lc_rs_parsed_key", |b| {
        b.iter(|| black_box(f).alb().floor());
    });
    floor.finish();
}

fn peers(c: &mut Criterion, f: &Fixture) {
    let mut peers = c.benchmark_group("peers");
    peers.bench_function("jsonwebtoken_decode", |b| {
        b.iter(|| f.jsonwebtoken_decode(black_box(f.access_token())))
    });
    peers.bench_function("aws_lc_rs_key_per_call", |b| {
        b.iter(|| black_box(f).key_per_call())
    });
    peers.finish();
}

fn verify(c: &mut Criterion, f: &Fixture) {
    let mut verify = c.benchmark_group("verify");
    verify.bench_function("cached_key", |b| {
        b.iter(|| {
            f.access_verifier()
                .verify_sync::<AccessTokenClaims>(black_box(f.access_token()))
        })
    });
    verify.bench_function("es256_cached_key", |b| {
        b.iter(|| black_box(f).es256().verify_cached());
    });
    verify.bench_function("eddsa_cached_key", |b| {
        b.iter(|| black_box(f).eddsa().verify_cached());
    });
    // An Application Load Balancer's x-amzn-oidc-data token (ES256).
    verify.bench_function("alb_cached_key", |b| {
        b.iter(|| black_box(f).alb().verify_cached());
    });
    verify.bench_function("cached_key_id_token", |b| {
        b.iter(|| {
            f.id_verifier()
                .verify_sync::<IdTokenClaims>(black_box(f.id_token()))
        })
    });
    verify.bench_function("result_cache_hit", |b| {
        b.iter(|| {
            f.caching_verifier()
                .verify_sync::<AccessTokenClaims>(black_box(f.access_token()))
        })
    });
    verify.bench_function("reject_bad_signature", |b| {
        b.iter(|| {
            f.access_verifier()
                .verify_sync::<AccessTokenClaims>(black_box(f.bad_signature_token()))
        })
    });
    verify.bench_function("reject_expired", |b| {
        b.iter(|| {
            f.access_verifier()
                .verify_sync::<AccessTokenClaims>(black_box(f.expired_token()))
        })
    });
    // The worst shapes found for hostile input: the size cap filled with
    // ~1,300 distinct claims, forged against the cached key, and correctly
    // signed under an unknown kid.
    verify.bench_function("reject_hostile_forged", |b| {
        b.iter(|| {
            f.access_verifier()
                .verify_sync::<AccessTokenClaims>(black_box(f.hostile_token()))
        })
    });
    verify.bench_function("reject_hostile_unknown_kid", |b| {
        b.iter(|| {
            f.access_verifier()
                .verify_sync::<AccessTokenClaims>(black_box(f.hostile_unknown_kid_token()))
        })
    });
    verify.finish();
}

/// Pieces of the verification path, to tell where time goes beyond the floor.
fn parts(c: &mut Criterion, f: &Fixture) {
    let token = f.access_token();
    let mut segments = token.split('.');
    let (header, payload, signature) = (
        segments.next().unwrap_or_default(),
        segments.next().unwrap_or_default(),
        segments.next().unwrap_or_default(),
    );
    let claims: AccessTokenClaims = f
        .access_verifier()
        .verify_sync(token)
        .expect("the access token verifies");

    let mut parts = c.benchmark_group("parts");
    // The three segments as the verifier decodes them (base64-simd, header
    // and signature into stack buffers), and with the base64 crate.
    parts.bench_function("base64_decode_segments", |b| {
        b.iter(|| {
            let (mut h, mut s) = ([0u8; 512], [0u8; 1024]);
            (
                BASE64URL
                    .decode(black_box(header.as_bytes()), Out::from_slice(&mut h))
                    .map(|h| h.len()),
                BASE64URL.decode_to_vec(black_box(payload)),
                BASE64URL
                    .decode(black_box(signature.as_bytes()), Out::from_slice(&mut s))
                    .map(|s| s.len()),
            )
        })
    });
    parts.bench_function("base64_crate_decode_segments", |b| {
        b.iter(|| {
            let mut buf = [0u8; 1024];
            (
                URL_SAFE_NO_PAD.decode(black_box(header)),
                URL_SAFE_NO_PAD.decode(black_box(payload)),
                URL_SAFE_NO_PAD
                    .decode_slice(black_box(signature), &mut buf)
                    .map(|len| buf[len.saturating_sub(1)]),
            )
        })
    });
    // The real code path up to the key lookup: split, decode, header check,
    // the claims parse, issuer match, key lookup; then the refusal.
    parts.bench_function("pre_signature_unknown_kid", |b| {
        b.iter(|| {
            f.access_verifier()
                .verify_sync::<AccessTokenClaims>(black_box(f.unknown_kid_token()))
        })
    });
    // A plain derived struct with owned strings, for comparison with the
    // one pass into `AccessTokenClaims` inside `pre_signature_unknown_kid`.
    parts.bench_function("deserialize_peer_claims", |b| {
        b.iter(|| serde_json::from_slice::<PeerAccessClaims>(black_box(f.payload())))
    });
    parts.bench_function("deserialize_json_value", |b| {
        b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(f.payload())))
    });
    parts.bench_function("clone_access_claims", |b| {
        b.iter(|| black_box(&claims).clone())
    });
    parts.bench_function("verify_into_json_value", |b| {
        b.iter(|| {
            f.access_verifier()
                .verify_sync::<serde_json::Value>(black_box(f.access_token()))
        })
    });
    parts.finish();
}

/// A fresh verifier per iteration (built outside the timing), against a key
/// set served over HTTP from 127.0.0.1: the time from calling `verify` on an
/// empty cache to holding the verified claims.
fn cold(c: &mut Criterion, f: &Fixture) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let server = runtime
        .block_on(KeySetServer::start(POOL_ID, f.issuer().jwks_json()))
        .expect("key-set server");

    let probe = f
        .fresh_verifier(server.url())
        .expect("verifier configuration");
    runtime
        .block_on(probe.verify::<AccessTokenClaims>(f.access_token()))
        .expect("a cold verification succeeds");
    assert_eq!(
        server.requests(),
        1,
        "a cold verification fetches the key set once"
    );

    let mut cold = c.benchmark_group("cold");
    cold.sample_size(20);
    cold.bench_function("first_verify", |b| {
        b.iter_custom(|iterations| {
            runtime.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..iterations {
                    let verifier = f
                        .fresh_verifier(server.url())
                        .expect("verifier configuration");
                    let started = Instant::now();
                    let verified = verifier
                        .verify::<AccessTokenClaims>(black_box(f.access_token()))
                        .await;
                    total += started.elapsed();
                    assert!(verified.is_ok(), "cold verification failed");
                }
                total
            })
        })
    });
    cold.finish();
}

criterion_group!(benches, suite);

/// The criterion suite, then (unless criterion only lists or tests the
/// benchmarks, or `RATIOS=0`) the drift-resistant table: every headline
/// case sampled round-robin in this same process, with its ratio to the
/// floor. Criterion runs one id after the other, so on a machine that
/// drifts between fast and slow states its ratios can be off by more than
/// the targets' 10 %; the table's cannot.
fn main() {
    benches();
    criterion::Criterion::default()
        .configure_from_args()
        .final_summary();
    let only_checking = std::env::args().any(|a| a == "--test" || a == "--list");
    if only_checking || std::env::var("RATIOS").is_ok_and(|v| v == "0") {
        return;
    }
    let samples = std::env::var("RATIO_SAMPLES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    println!(
        "\nratios to the floor, sampled round-robin (RATIOS=0 skips, RATIO_SAMPLES sets the count)"
    );
    print!("{}", interleaved::report(&Fixture::new(), samples));
}
