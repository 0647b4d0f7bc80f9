//! Drift-resistant ratios to the floor: every case sampled round-robin
//! (see `cognito_jwt_benches::interleaved`).
//!
//! ```text
//! cargo run --release -p cognito-jwt-benches --bin interleaved -- --samples 200
//! ```

use std::process::ExitCode;

use cognito_jwt_benches::{Fixture, interleaved};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let samples: usize = match (args.next().as_deref(), args.next()) {
        (None, _) => 200,
        (Some("--samples"), Some(n)) => match n.parse() {
            Ok(n) if n > 0 => n,
            _ => {
                eprintln!("--samples needs a positive number");
                return ExitCode::from(2);
            }
        },
        _ => {
            eprintln!("usage: interleaved [--samples N]");
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
    print!("{}", interleaved::report(&Fixture::new(), samples));
    ExitCode::SUCCESS
}
