//! The example web app in a real browser: `scripts/web.sh` starts
//! cognito-local, the axum example server and the pages on 127.0.0.1, and
//! `scripts/web/browser-test.mjs` drives Debian's Chromium (Playwright)
//! through sign-up, confirmation, sign-in, a forgotten password and
//! sign-out, saving each page in `<target>/tmp/browser-screenshots/`.
//!
//! Needs Node.js 20+ with npm and Chromium; without them the test prints a
//! `SKIPPED` line and passes, except under `CI=true`, where it fails.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use cognito_jwt_test_support::{find_program, skip, skip_unless_installed};

const TEST: &str = "browser::sign_up_to_sign_out_in_chromium";
const WEB_SH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/web.sh");
const DRIVER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/web/browser-test.mjs");

/// Until the services answer; the first run also installs the npm packages.
const STACK_START: Duration = Duration::from_secs(300);
/// The whole browser flow (about 6 s here).
const BROWSER_RUN: Duration = Duration::from_secs(120);
/// From SIGTERM to the script's exit, its services stopped.
const STOP: Duration = Duration::from_secs(20);

#[test]
fn sign_up_to_sign_out_in_chromium() {
    if !skip_unless_installed(TEST, &["node", "npm", "chromium"]) || !node_is_recent() {
        return;
    }
    let chromium = find_program("chromium").expect("found above");
    let work = TempDir::new();
    let screenshots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser-screenshots");
    if screenshots.exists() {
        fs::remove_dir_all(&screenshots).expect("remove the last run's screenshots");
    }
    let started = Instant::now();

    let mut stack = Stack::start(&work.0);
    let stack_file = stack.wait_until_ready();
    let ready = started.elapsed();

    let driver_log = work.0.join("browser-test.log");
    let mut driver = Command::new("node")
        .arg(DRIVER)
        .arg("--stack")
        .arg(&stack_file)
        .arg("--out")
        .arg(&screenshots)
        .arg("--profile")
        .arg(work.0.join("chromium-profile"))
        .arg("--chromium")
        .arg(&chromium)
        .stdin(Stdio::null())
        .stdout(File::create(&driver_log).expect("driver log"))
        .stderr(File::create(work.0.join("browser-test.err")).expect("driver log"))
        .spawn()
        .expect("node runs");
    let status = wait_bounded(&mut driver, BROWSER_RUN);
    let steps = read(&driver_log);
    println!("{steps}");
    assert!(
        status.is_some_and(|status| status.success()),
        "the browser test failed ({status:?}):\n{steps}\n{}\n{}",
        read(&work.0.join("browser-test.err")),
        stack.logs()
    );

    let pids = stack.pids(&stack_file);
    let stopped = stack.stop();
    assert!(
        stopped.is_some_and(|status| status.success()),
        "web.sh did not exit 0 on SIGTERM ({stopped:?}):\n{}",
        stack.logs()
    );
    for pid in pids {
        assert!(
            !is_running(pid),
            "web.sh left process {pid} running:\n{}",
            stack.logs()
        );
    }
    println!(
        "services ready in {:.1} s, whole test {:.1} s; screenshots in {}",
        ready.as_secs_f64(),
        started.elapsed().as_secs_f64(),
        screenshots.display()
    );
}

/// Node.js 20 or later, which cognito-local and playwright-core need;
/// otherwise the test is skipped.
fn node_is_recent() -> bool {
    let version = Command::new("node")
        .arg("--version")
        .output()
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned())
        .unwrap_or_default();
    let major = version
        .strip_prefix('v')
        .and_then(|rest| rest.split('.').next())
        .and_then(|major| major.parse::<u32>().ok());
    if major.is_some_and(|major| major >= 20) {
        return true;
    }
    skip(
        TEST,
        &format!("Node.js 20 or later is needed, found {version:?}"),
    );
    false
}

/// `web.sh --state-dir`, stopped with SIGTERM by PID when dropped.
struct Stack {
    script: Child,
    state: PathBuf,
    output: PathBuf,
}

impl Stack {
    fn start(work: &Path) -> Self {
        let state = work.join("state");
        let output = work.join("web-sh.log");
        let log = File::create(&output).expect("web.sh log");
        let script = Command::new("bash")
            .arg(WEB_SH)
            .arg("--state-dir")
            .arg(&state)
            .env("AXUM_SERVER_BIN", env!("CARGO_BIN_EXE_axum-server"))
            .env_remove("WEB_PORT")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("web.sh log"))
            .stderr(log)
            .spawn()
            .expect("bash runs");
        Self {
            script,
            state,
            output,
        }
    }

    /// The `stack.json` the script writes once every service answers.
    fn wait_until_ready(&mut self) -> PathBuf {
        let stack_file = self.state.join("stack.json");
        let deadline = Instant::now() + STACK_START;
        while !stack_file.exists() {
            let exited = self.script.try_wait().expect("try_wait");
            assert!(
                exited.is_none(),
                "web.sh exited ({exited:?}) before its services answered:\n{}",
                self.logs()
            );
            assert!(
                Instant::now() < deadline,
                "web.sh's services did not answer within {STACK_START:?}:\n{}",
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        stack_file
    }

    /// The PIDs of the services the script started.
    fn pids(&self, stack_file: &Path) -> Vec<u32> {
        let stack: serde_json::Value =
            serde_json::from_str(&read(stack_file)).expect("stack.json is JSON");
        stack["pids"]
            .as_array()
            .expect("stack.json lists its pids")
            .iter()
            .map(|pid| {
                pid.as_u64()
                    .and_then(|pid| u32::try_from(pid).ok())
                    .expect("a pid")
            })
            .collect()
    }

    /// SIGTERM, as Ctrl-C would; the script's exit status.
    fn stop(&mut self) -> Option<ExitStatus> {
        if let Ok(Some(status)) = self.script.try_wait() {
            return Some(status);
        }
        let _ = Command::new("kill")
            .args(["-TERM", &self.script.id().to_string()])
            .status();
        wait_bounded(&mut self.script, STOP)
    }

    /// What the script and its services wrote, for a failure message.
    fn logs(&self) -> String {
        let mut text = format!("--- web.sh\n{}", read(&self.output));
        for name in ["cognito-local.log", "axum-server.log", "pages.log"] {
            let log = read(&self.state.join(name));
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            text.push_str(&format!("\n--- {name} (last lines)\n"));
            for line in tail.into_iter().rev() {
                text.push_str(line);
                text.push('\n');
            }
        }
        text
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

/// The child's exit status, or `None` (after killing it) once `bound` has passed.
fn wait_bounded(child: &mut Child, bound: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + bound;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn is_running(pid: u32) -> bool {
    Command::new("kill")
        .args(["-0", &pid.to_string()])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

fn read(path: &Path) -> String {
    fs::read(path)
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default()
}

/// A directory of its own under the system's temporary directory, removed
/// when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| since.subsec_nanos());
        let path = std::env::temp_dir().join(format!(
            "cognito-jwt-browser-{}-{nanos}",
            std::process::id()
        ));
        fs::create_dir_all(&path).expect("a temporary directory");
        Self(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}
