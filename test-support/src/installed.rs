//! Tests that need a program from outside the Rust toolchain (Node.js,
//! Chromium, …): skipped where it is missing, except in CI.

use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Whether every program in `programs` is installed, each a name looked up
/// on `PATH` or a path. When one is not, [`skip`]s `test` naming them and
/// returns `false`: the test then returns early.
///
/// ```no_run
/// # use cognito_jwt_test_support::skip_unless_installed;
/// fn in_a_browser() {
///     if !skip_unless_installed("in_a_browser", &["node", "chromium"]) {
///         return;
///     }
///     // drive the browser
/// }
/// # in_a_browser();
/// ```
///
/// # Panics
/// When a program is missing and `CI=true` (see [`skip`]).
pub fn skip_unless_installed(test: &str, programs: &[&str]) -> bool {
    let missing: Vec<&str> = programs
        .iter()
        .copied()
        .filter(|program| find_program(program).is_none())
        .collect();
    if missing.is_empty() {
        return true;
    }
    skip(
        test,
        &format!("{} not installed (or not on PATH)", missing.join(", ")),
    );
    false
}

/// Say that `test` did not run, on a line of its own starting `SKIPPED`
/// (written past the test harness's capture, so that it shows in every
/// run), and let it pass.
///
/// # Panics
/// When the environment has `CI=true`: CI installs what its tests need, and
/// a test skipped there would hide a missing install step.
pub fn skip(test: &str, reason: &str) {
    assert!(
        std::env::var_os("CI").is_none_or(|ci| ci != "true"),
        "{test} cannot run: {reason}; with CI=true this fails instead of \
         skipping (.ci/run installs what the tests need)"
    );
    let line = format!("SKIPPED: {test}: {reason}\n");
    let _ = std::io::stdout().lock().write_all(line.as_bytes());
}

/// Where `program` is: itself when it contains a `/`, otherwise the first
/// executable file of that name in a directory of `PATH`.
pub fn find_program(program: &str) -> Option<PathBuf> {
    if program.contains('/') {
        return is_executable(Path::new(program)).then(|| PathBuf::from(program));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable(candidate))
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    path.metadata()
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}
