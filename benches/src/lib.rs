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
//! - `cargo run --release -p cognito-jwt-benches --bin scaling` — throughput
//!   with 1 and 2 threads, and 1,000 concurrent cold verifications;
//! - `cargo run --release -p cognito-jwt-benches --bin export-fixture` — a
//!   token and key set for the Node comparison in `benches/node/`;
//! - `cargo run --release -p cognito-jwt-benches --bin cold-start` — the
//!   Lambda Runtime API for the cold-start comparison of
//!   `benches/cold-start/run.sh`.
//!
//! See `benches/README.md` for the figures.

mod curves;
mod fixture;
pub mod interleaved;
mod key_set_server;

pub use curves::CurveCase;
pub use fixture::{CLIENT_ID, Fixture, POOL_ID, PeerAccessClaims, PeerRejection};
pub use key_set_server::KeySetServer;
