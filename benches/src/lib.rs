//! Shared set-up for the cognito-jwt benchmarks and report binaries.
//!
//! Every benchmark measures one method of [`Fixture`], so the criterion
//! bench (`benches/verify.rs`) and the binaries in `src/bin/` time exactly
//! the same work on the same Cognito-sized tokens:
//!
//! - `cargo bench -p cognito-jwt-benches` — the criterion suite (`floor/`,
//!   `peers/`, `verify/`, `cold/`, `parts/`);
//! - `cargo run --release -p cognito-jwt-benches --bin interleaved` — the
//!   headline cases sampled round-robin, for ratios that survive a drifting
//!   machine;
//! - `cargo run --release -p cognito-jwt-benches --bin instructions` — the
//!   same cases in instructions per operation, counted by valgrind's
//!   callgrind: a yardstick that a noisy machine does not move;
//! - `cargo run --release -p cognito-jwt-benches --bin scaling` — throughput
//!   with 1 and 2 threads, and 1,000 concurrent cold verifications;
//! - `cargo run --release -p cognito-jwt-benches --bin export-fixture` — a
//!   token and key set for the Node comparison in `benches/node/`;
//! - `cargo run --release -p cognito-jwt-benches --bin cold-start` — the
//!   Lambda Runtime API for the cold-start comparison of
//!   `benches/cold-start/run.sh` (the key set bundled, or fetched over
//!   HTTP or HTTPS from a [`KeySetServer`] whose certificate a [`TestCa`]
//!   issued);
//! - `webpki-authorizer` — `apigw-authorizer`'s init with a reqwest client
//!   built from compiled-in roots or the platform's store, for the
//!   cold-start comparison of the two.
//!
//! With the `metrics` feature (`--features metrics`), `interleaved` and
//! `scaling` first install a Prometheus recorder ([`install_metrics`]), so
//! every verification and token-cache hit also counts, as in a server that
//! exports `/metrics`.
//!
//! See `benches/README.md` for the figures.

mod alb;
pub mod cases;
mod curves;
mod dpop;
mod fixture;
pub mod interleaved;
mod key_set_server;
mod test_ca;

pub use alb::AlbCase;
pub use curves::CurveCase;
pub use dpop::{DpopCase, PROOFS};
pub use fixture::{
    CLIENT_ID, Fixture, POOL_ID, PeerAccessClaims, PeerRejection, RESOURCE, REVOCATION_ENTRIES,
    RULES, revocation_list,
};
pub use key_set_server::KeySetServer;
pub use test_ca::TestCa;

/// Installs a Prometheus recorder when built with the `metrics` feature
/// (the core's counters then record, as in a server serving `/metrics`);
/// call it before the [`Fixture`] is built, since verifiers take their
/// counters from the recorder installed when they are built. Returns a
/// line for the report's header.
///
/// # Errors
/// When a recorder is already installed in this process.
pub fn install_metrics() -> Result<&'static str, String> {
    #[cfg(feature = "metrics")]
    {
        metrics_exporter_prometheus::PrometheusBuilder::new()
            .install_recorder()
            .map_err(|error| format!("cannot install the Prometheus recorder: {error}"))?;
        cognito_jwt_core::metrics::describe();
        Ok("metrics: recorded (cognito-jwt-core `metrics` feature, Prometheus recorder installed)")
    }
    #[cfg(not(feature = "metrics"))]
    {
        Ok("metrics: off (build with --features metrics to record them)")
    }
}
