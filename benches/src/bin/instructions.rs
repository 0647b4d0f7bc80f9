//! Instructions per operation, counted by valgrind's callgrind: a
//! yardstick that a noisy machine does not move.
//!
//! The binary runs itself again under `valgrind --tool=callgrind`. Inside,
//! it builds the [`Fixture`] (not counted), then for each case runs the
//! operation a few times uncounted (first-call set-up), then
//! `--iterations` times twice, N1 and N2, each batch in one call of
//! `instruction_count_loop`, the only function whose instructions
//! callgrind counts (`--collect-atstart=no --toggle-collect`) and after
//! each call of which it writes a profile (`--dump-after`). Instructions
//! per operation are `(I(N2) - I(N1)) / (N2 - N1)`: what a batch costs
//! once cancels. Floors and cases are counted in the same process on the
//! same tokens and keys. Prints, as Markdown, each case's instructions per
//! operation, its ratio to its floor and what it costs above that floor.
//!
//! It also prints the **code lines** of each case: the distinct 64-byte
//! lines holding the instructions its batch ran (`--dump-instr=yes`), and
//! how many of them its floor's batch did not touch. An operation that
//! follows an RSA check in a loop finds those lines gone from the
//! instruction cache, which the RSA check fills, and pays about a
//! nanosecond for each on this project's host (benches/README.md,
//! "Fifth sitting"), so the second figure is the steady counterpart of the
//! time a verification adds beyond the instruction count. Under valgrind
//! a library may pick another implementation than natively (aws-lc's
//! SHA-256, for one, as valgrind does not report the SHA extensions), so
//! the floor's own lines are indicative.
//!
//! Callgrind rather than `perf stat -e instructions:u`: perf counts the
//! whole process, key generation (random, so never the same twice)
//! included, and many virtual machines, the one these figures come from
//! among them, do not expose the counter (`<not supported>`); callgrind
//! counts only the batches, the same on any machine state.
//!
//! Exits non-zero, after a `SKIPPED` line, when valgrind is not installed
//! (`VALGRIND` names another valgrind than the one on `PATH`).
//!
//! ```text
//! cargo run --release -p cognito-jwt-benches --bin instructions
//! cargo run --release -p cognito-jwt-benches --bin instructions -- --cases verify/cached_key,verify/alb_cached_key --iterations 200,1200
//! ```

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use cognito_jwt_benches::{Fixture, cases};

/// The function callgrind is told to count, and to dump a profile after,
/// as valgrind demangles its name (`--dump-after` takes no wildcards).
const COUNTED: &str = concat!(module_path!(), "::instruction_count_loop");
/// Uncounted runs of each case before its two counted batches.
const WARM_UP: u64 = 20;
/// Set by the parent on the command line of the process it runs under
/// callgrind.
const INSIDE: &str = "--inside-callgrind";

struct Options {
    cases: Vec<&'static str>,
    /// N1 and N2, N1 < N2.
    iterations: (u64, u64),
    inside: bool,
}

fn options() -> Result<Options, String> {
    let mut names: Option<String> = None;
    let mut iterations = (200, 1200);
    let mut inside = false;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == INSIDE {
            inside = true;
            continue;
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--cases" => names = Some(value),
            "--iterations" => {
                iterations = value
                    .split_once(',')
                    .and_then(|(n1, n2)| Some((n1.parse().ok()?, n2.parse().ok()?)))
                    .filter(|&(n1, n2)| 0 < n1 && n1 < n2)
                    .ok_or("--iterations takes N1,N2 with 0 < N1 < N2, e.g. 200,1200")?;
            }
            _ => {
                return Err(format!(
                    "unknown flag {flag}; expected --cases, --iterations"
                ));
            }
        }
    }
    let cases = match names {
        None => cases::ALL.iter().map(|(name, _)| *name).collect(),
        Some(names) => {
            let mut wanted = Vec::new();
            for name in names.split(',') {
                let (name, _) = cases::find(name).ok_or_else(|| {
                    format!(
                        "no case {name}; the cases are: {}",
                        cases::ALL
                            .iter()
                            .chain(cases::DPOP)
                            .map(|(name, _)| *name)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                })?;
                wanted.push(name);
                wanted.push(cases::floor_of(name));
            }
            // Every case once, in the order of `cases::ALL` then
            // `cases::DPOP` (floors first).
            cases::ALL
                .iter()
                .chain(cases::DPOP)
                .map(|(name, _)| *name)
                .filter(|name| wanted.contains(name))
                .collect()
        }
    };
    Ok(Options {
        cases,
        iterations,
        inside,
    })
}

/// Runs `op` `iterations` times; whether it always took its path. The
/// only function callgrind counts.
#[inline(never)]
fn instruction_count_loop(f: &Fixture, op: fn(&Fixture) -> bool, iterations: u64) -> bool {
    let mut expected = true;
    for _ in 0..iterations {
        expected &= black_box(op(black_box(f)));
    }
    expected
}

/// Under callgrind: every case, warm-up then the two counted batches,
/// printing `<case> <iterations>` after each batch (the order of the
/// dumps).
fn inside(options: &Options) -> Result<(), String> {
    let fixture = Fixture::new();
    let (n1, n2) = options.iterations;
    for &name in &options.cases {
        let (_, op) = cases::find(name).ok_or_else(|| format!("no case {name}"))?;
        for _ in 0..WARM_UP {
            black_box(op(black_box(&fixture)));
        }
        for n in [n1, n2] {
            if !instruction_count_loop(&fixture, op, n) {
                return Err(format!("{name} took an unexpected path"));
            }
            println!("{name} {n}");
        }
    }
    Ok(())
}

/// What one profile says of one batch.
struct Dump {
    /// Instructions counted.
    instructions: u64,
    /// The 64-byte code lines holding the instructions that ran.
    lines: BTreeSet<u64>,
}

/// The distinct 64-byte code lines of the instructions a profile written
/// with `--dump-instr=yes` counted. Each cost line starts with the
/// instruction's address: absolute (`0x…` or decimal), relative to the
/// previous cost line's (`+n`, `-n`) or the same (`*`), in callgrind's
/// format.
fn code_lines(profile: &str) -> Result<BTreeSet<u64>, String> {
    let mut by_instruction = false;
    let mut address: u64 = 0;
    let mut lines = BTreeSet::new();
    for line in profile.lines() {
        if let Some(positions) = line.strip_prefix("positions:") {
            by_instruction = positions.split_whitespace().next() == Some("instr");
            continue;
        }
        let Some(first) = line.split_whitespace().next() else {
            continue;
        };
        if !first.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '+' | '-' | '*')) {
            continue;
        }
        if !by_instruction {
            return Err("the profile has no instruction addresses (--dump-instr=yes)".to_owned());
        }
        let number = |text: &str| match text.strip_prefix("0x") {
            Some(hex) => u64::from_str_radix(hex, 16).ok(),
            None => text.parse().ok(),
        };
        address = match first.as_bytes()[0] {
            b'*' => Some(address),
            b'+' => number(&first[1..]).and_then(|n| address.checked_add(n)),
            b'-' => number(&first[1..]).and_then(|n| address.checked_sub(n)),
            _ => number(first),
        }
        .ok_or_else(|| format!("unreadable position {first:?} in a profile"))?;
        lines.insert(address / 64);
    }
    Ok(lines)
}

/// Each profile callgrind wrote under `dir`, in the order written
/// (profile 1, 2, …; the one written at exit is left out since nothing is
/// counted after the last batch).
fn dumps(dir: &Path) -> Result<Vec<Dump>, String> {
    let unreadable = |e: std::io::Error| format!("cannot read callgrind's profiles: {e}");
    let mut parts = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(unreadable)? {
        let path = entry.map_err(unreadable)?.path();
        let Some(part) = path
            .extension()
            .and_then(|e| e.to_str())
            .and_then(|e| e.parse::<u32>().ok())
        else {
            continue;
        };
        let profile = std::fs::read_to_string(&path).map_err(unreadable)?;
        if !profile
            .lines()
            .any(|l| l.starts_with("desc: Trigger: --dump-after"))
        {
            continue;
        }
        let total = profile
            .lines()
            .find_map(|l| {
                l.strip_prefix("totals:")
                    .or_else(|| l.strip_prefix("summary:"))
            })
            .and_then(|t| t.split_whitespace().next())
            .and_then(|t| t.parse().ok())
            .ok_or_else(|| format!("no instruction total in {}", path.display()))?;
        let dump = Dump {
            instructions: total,
            lines: code_lines(&profile).map_err(|e| format!("{e}: {}", path.display()))?,
        };
        parts.push((part, dump));
    }
    parts.sort_unstable_by_key(|(part, _)| *part);
    Ok(parts.into_iter().map(|(_, dump)| dump).collect())
}

/// One case as counted.
struct Counted {
    /// Instructions per operation.
    per_op: f64,
    /// The code lines of its larger batch.
    lines: BTreeSet<u64>,
}

/// Run this binary under callgrind; each case as counted, in order.
fn count(valgrind: &str, options: &Options, dir: &Path) -> Result<Vec<Counted>, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this binary: {e}"))?;
    let (n1, n2) = options.iterations;
    let output = Command::new(valgrind)
        .arg("--tool=callgrind")
        .arg("--collect-atstart=no")
        .arg(format!("--toggle-collect={COUNTED}"))
        .arg(format!("--dump-after={COUNTED}"))
        .arg("--dump-instr=yes")
        .arg(format!(
            "--callgrind-out-file={}",
            dir.join("callgrind.out").display()
        ))
        .arg(exe)
        .arg(INSIDE)
        .args(["--cases", &options.cases.join(",")])
        .args(["--iterations", &format!("{n1},{n2}")])
        .output()
        .map_err(|e| format!("cannot run {valgrind}: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "the run under callgrind failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let order: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    let dumps = dumps(dir)?;
    let expected: Vec<String> = options
        .cases
        .iter()
        .flat_map(|name| [format!("{name} {n1}"), format!("{name} {n2}")])
        .collect();
    if order != expected || dumps.len() != expected.len() {
        return Err(format!(
            "expected {} profiles, one per batch, in the order of the cases; callgrind wrote {} \
             and the run printed {:?}",
            expected.len(),
            dumps.len(),
            order
        ));
    }
    let mut counted = Vec::with_capacity(options.cases.len());
    let mut dumps = dumps.into_iter();
    while let (Some(small), Some(large)) = (dumps.next(), dumps.next()) {
        counted.push(Counted {
            per_op: (large.instructions as f64 - small.instructions as f64) / (n2 - n1) as f64,
            lines: large.lines,
        });
    }
    Ok(counted)
}

/// `1234567.4` as `1,234,567`.
fn thousands(value: f64) -> String {
    let digits = format!("{:.0}", value.abs());
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    if value.round() < 0.0 {
        format!("-{out}")
    } else {
        out
    }
}

fn table(options: &Options, counted: &[Counted]) -> String {
    let mut table = String::from(
        "| case | instructions/op | × floor | above floor | above floor (%) | code lines | \
         code lines not the floor's |\n\
         |---|---:|---:|---:|---:|---:|---:|\n",
    );
    for (name, case) in options.cases.iter().zip(counted) {
        let count = case.per_op;
        let lines = case.lines.len();
        let _ = match options
            .cases
            .iter()
            .position(|case| *case == cases::floor_of(name))
            .map(|i| &counted[i])
        {
            Some(_) if name.starts_with("floor/") => writeln!(
                table,
                "| `{name}` | {} | 1.000 | – | – | {lines} | – |",
                thousands(count)
            ),
            Some(floor) => writeln!(
                table,
                "| `{name}` | {} | {:.3} | {} | {:.2} % | {lines} | {} |",
                thousands(count),
                count / floor.per_op,
                thousands(count - floor.per_op),
                (count / floor.per_op - 1.0) * 100.0,
                case.lines.difference(&floor.lines).count()
            ),
            None => writeln!(
                table,
                "| `{name}` | {} | – | – | – | {lines} | – |",
                thousands(count)
            ),
        };
    }
    table
}

fn main() -> ExitCode {
    let options = match options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            eprintln!("usage: instructions [--cases CASE,CASE…] [--iterations N1,N2]");
            return ExitCode::from(2);
        }
    };
    if options.inside {
        return match inside(&options) {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => {
                eprintln!("{message}");
                ExitCode::FAILURE
            }
        };
    }
    let valgrind = std::env::var("VALGRIND").unwrap_or_else(|_| "valgrind".to_owned());
    let version = match Command::new(&valgrind).arg("--version").output() {
        Ok(output) if output.status.success() => {
            String::from_utf8_lossy(&output.stdout).trim().to_owned()
        }
        Ok(_) | Err(_) => {
            println!("SKIPPED instructions: valgrind is needed to count instructions");
            eprintln!(
                "cannot run `{valgrind} --version`: install valgrind (apt-get install valgrind), \
                 or name it with VALGRIND=/path/to/valgrind"
            );
            return ExitCode::FAILURE;
        }
    };
    if cfg!(debug_assertions) {
        eprintln!("warning: a debug build; counts mean something with --release only");
    }
    let dir: PathBuf =
        std::env::temp_dir().join(format!("cognito-jwt-instructions-{}", std::process::id()));
    let counted = std::fs::create_dir_all(&dir)
        .map_err(|e| format!("cannot create {}: {e}", dir.display()))
        .and_then(|()| count(&valgrind, &options, &dir));
    let _ = std::fs::remove_dir_all(&dir);
    match counted {
        Ok(counted) => {
            let (n1, n2) = options.iterations;
            println!(
                "instructions per operation: callgrind ({version}), (I({n2}) - I({n1})) / {}",
                n2 - n1
            );
            print!("{}", table(&options, &counted));
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::code_lines;

    #[test]
    fn code_lines_follow_absolute_relative_and_repeated_positions() {
        let profile = "\
positions: instr line
events: Ir
fn=(1) a
0x1000 3 1
+4 * 2
calls=1 0x2000 7
+2 4 9
fn=(2) b
0x2000 7 1
+0x40 8 1
-0x43 9 1
* * 1
";
        // 0x1000 and 0x1004 and 0x1006 (line 0x40), 0x2000 (0x80), 0x2040
        // (0x81), 0x1ffd (0x7f).
        let lines: Vec<u64> = code_lines(profile).unwrap().into_iter().collect();
        assert_eq!(lines, [0x40, 0x7f, 0x80, 0x81]);
    }

    #[test]
    fn a_profile_without_instruction_positions_is_refused() {
        let profile = "positions: line\nevents: Ir\nfn=(1) a\n3 1\n";
        assert!(code_lines(profile).is_err());
    }
}
