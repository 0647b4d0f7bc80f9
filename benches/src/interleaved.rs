//! The headline cases and the main `parts/` ([`cases::ALL`]) sampled
//! round-robin: each sample runs every case for about a millisecond, so a
//! machine drifting between fast and slow states slows all cases alike. Reports the 10th
//! percentile and the median of the per-sample ns/op, and the ratio of each
//! percentile to the floor's. Used by the `interleaved` binary and printed
//! at the end of `cargo bench -p cognito-jwt-benches`.

use std::fmt::Write as _;
use std::hint::black_box;
use std::time::{Duration, Instant};

use crate::Fixture;
use crate::cases::{self, floor_of};

/// Nanoseconds per call of `op` over `iterations` calls.
fn time(f: &Fixture, op: fn(&Fixture) -> bool, iterations: u32) -> f64 {
    let started = Instant::now();
    for _ in 0..iterations {
        assert!(
            black_box(op(black_box(f))),
            "a case took an unexpected path"
        );
    }
    started.elapsed().as_nanos() as f64 / f64::from(iterations)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let index = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[index]
}

/// Sample every case `samples` times, round-robin, and return the table
/// (Markdown) of p10 and median ns/op with their ratios to the floor of
/// their algorithm.
///
/// # Panics
/// When a case takes an unexpected path (a valid token refused, say).
pub fn report(fixture: &Fixture, samples: usize) -> String {
    let samples = samples.max(1);
    let cases = cases::ALL;
    // About 1 ms per case and sample, after a warm-up.
    let batches: Vec<u32> = cases
        .iter()
        .map(|(_, op)| {
            time(fixture, *op, 2_000);
            let ns = time(fixture, *op, 2_000);
            (Duration::from_millis(1).as_nanos() as f64 / ns).clamp(10.0, 1e6) as u32
        })
        .collect();
    let mut results: Vec<Vec<f64>> = vec![Vec::with_capacity(samples); cases.len()];
    for sample in 0..samples {
        // Rotate the order so no case always follows the same one.
        for offset in 0..cases.len() {
            let index = (sample + offset) % cases.len();
            results[index].push(time(fixture, cases[index].1, batches[index]));
        }
    }
    for series in &mut results {
        series.sort_by(f64::total_cmp);
    }
    let mut table = format!("{samples} interleaved samples of ~1 ms per case\n");
    table.push_str("| case | p10 ns/op | × floor (p10) | median ns/op | × floor (median) |\n");
    table.push_str("|---|---:|---:|---:|---:|\n");
    for ((name, _), series) in cases.iter().zip(&results) {
        let floor = cases
            .iter()
            .position(|(case, _)| *case == floor_of(name))
            .unwrap_or(0);
        let floor_p10 = percentile(&results[floor], 0.10);
        let floor_median = percentile(&results[floor], 0.50);
        let p10 = percentile(series, 0.10);
        let median = percentile(series, 0.50);
        let _ = writeln!(
            table,
            "| `{name}` | {p10:.0} | {:.3} | {median:.0} | {:.3} |",
            p10 / floor_p10,
            median / floor_median
        );
    }
    table
}
