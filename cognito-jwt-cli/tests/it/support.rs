//! What the CLI's tests share: a one-document HTTP server on
//! 127.0.0.1 and a run of the built binary with a cleared environment.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Command, Stdio};

/// Serve `document` (as `content_type`) for `GET <path>` on 127.0.0.1,
/// 404 for anything else, until the test process exits; the address.
pub(crate) fn serve(path: String, content_type: &'static str, document: String) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let address = listener.local_addr().expect("its address");
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            respond(stream, &path, content_type, &document);
        }
    });
    address
}

/// Answer one request: `document` for `GET <path>`, 404 for anything else.
pub(crate) fn respond(stream: TcpStream, path: &str, content_type: &str, document: &str) {
    let mut reader = BufReader::new(&stream);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    // Read the rest of the head; requests here have no body.
    let mut line = String::new();
    while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
        line.clear();
    }
    let (status, body) = if request_line.starts_with(&format!("GET {path} ")) {
        ("200 OK", document)
    } else {
        ("404 Not Found", "")
    };
    let response = format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\
         connection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = (&stream).write_all(response.as_bytes());
}

/// One run of the CLI.
#[derive(Debug)]
pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

/// Run the CLI with only `env` set and `stdin` (nothing when `None`).
pub(crate) fn cli(args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cognito-jwt"))
        .args(args)
        .env_clear()
        .envs(env.iter().copied())
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the CLI starts");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write stdin");
    }
    let output = child.wait_with_output().expect("the CLI finishes");
    Run {
        code: output.status.code().expect("an exit code"),
        stdout: String::from_utf8(output.stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(output.stderr).expect("UTF-8 stderr"),
    }
}

/// No segment of `token` appears on stderr.
pub(crate) fn assert_no_token(run: &Run, token: &str) {
    for segment in token.split('.') {
        let segment = segment.trim_end_matches('=');
        assert!(!run.stderr.contains(segment), "stderr echoes the token");
    }
}
