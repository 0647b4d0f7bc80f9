//! Running one test of this binary again in a fresh process, so that
//! `from_env` can be tested without changing this process's environment.

use std::process::Command;

/// Runs the test `test` (its full path, e.g.
/// `configuration::from_env_in_a_child_process`) in a fresh process of this
/// binary, with every variable whose name contains `COGNITO` removed,
/// `scenario_var` set to `scenario` and `vars` set. Asserts that it passed
/// and printed "scenario <scenario> passed"; returns its standard output.
pub(crate) fn run_scenario(
    test: &str,
    scenario_var: &str,
    scenario: &str,
    vars: &[(&str, &str)],
) -> String {
    let mut command = Command::new(std::env::current_exe().expect("the test binary path"));
    command.args([test, "--exact", "--nocapture", "--test-threads=1"]);
    for (name, _) in std::env::vars_os() {
        if name
            .to_string_lossy()
            .to_ascii_uppercase()
            .contains("COGNITO")
        {
            command.env_remove(name);
        }
    }
    command
        .env(scenario_var, scenario)
        .envs(vars.iter().copied());
    let output = command.output().expect("the child test process runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "scenario {scenario} failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(
        stdout.contains(&format!("scenario {scenario} passed")),
        "scenario {scenario} did not run\nstdout:\n{stdout}"
    );
    stdout
}
