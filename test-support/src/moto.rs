//! A real `moto_server` (moto, from PyPI) for tests: started on a free
//! 127.0.0.1 port, stopped by PID when dropped, with just enough of
//! Cognito's JSON API to make a user pool, a user and their tokens.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::installed::skip_unless_installed;
use crate::redis::free_port;

/// A `moto_server` process of the test's own.
#[derive(Debug)]
pub struct MotoServer {
    port: u16,
    child: Child,
}

/// A user pool made in moto, with one app client and one confirmed user.
#[derive(Debug, Clone)]
pub struct MotoPool {
    /// The pool id (`us-east-1_<32 hex digits>`).
    pub pool_id: String,
    /// The app client (`ALLOW_USER_PASSWORD_AUTH`).
    pub client_id: String,
    /// The user's name.
    pub username: String,
    /// The user's password.
    pub password: String,
}

impl MotoServer {
    /// Start one for `test`; `None` (after printing SKIPPED) when
    /// `moto_server` is not installed.
    ///
    /// # Panics
    /// When it does not answer within 30 s (test code), or is missing under
    /// `CI=true`.
    pub fn start(test: &str) -> Option<Self> {
        if !skip_unless_installed(test, &["moto_server"]) {
            return None;
        }
        let port = free_port();
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server starts");
        let server = Self { port, child };
        let deadline = Instant::now() + Duration::from_secs(30);
        while server
            .call("ListUserPools", &json!({"MaxResults": 1}))
            .is_none()
        {
            assert!(Instant::now() < deadline, "moto_server did not answer");
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(server)
    }

    /// `http://127.0.0.1:<port>/`: the endpoint for Cognito's API.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    /// The key-set URL of `pool_id`.
    pub fn jwks_uri(&self, pool_id: &str) -> String {
        format!(
            "http://127.0.0.1:{}/{pool_id}/.well-known/jwks.json",
            self.port
        )
    }

    /// Call Cognito's `operation` with `body`: the answer's status and
    /// JSON, `None` when moto cannot be reached.
    pub fn call(&self, operation: &str, body: &Value) -> Option<(u16, Value)> {
        let body = body.to_string();
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .ok()?;
        let request = format!(
            "POST / HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: application/x-amz-json-1.1\r\n\
             X-Amz-Target: AWSCognitoIdentityProviderService.{operation}\r\n\
             Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/cognito-idp/aws4_request, SignedHeaders=host, Signature=0\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.port,
            body.len()
        );
        stream.write_all(request.as_bytes()).ok()?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer).ok()?;
        let (head, body) = answer.split_once("\r\n\r\n")?;
        let status = head.split(' ').nth(1)?.parse().ok()?;
        Some((status, serde_json::from_str(body).unwrap_or(Value::Null)))
    }

    /// Make a pool, an app client and a confirmed user.
    ///
    /// # Panics
    /// When moto refuses a step (test code).
    pub fn pool(&self) -> MotoPool {
        let ok = |operation: &str, body: Value| {
            let (status, answer) = self.call(operation, &body).expect("moto answers");
            assert_eq!(status, 200, "{operation}: {answer}");
            answer
        };
        let pool_id = ok("CreateUserPool", json!({"PoolName": "probe"}))["UserPool"]["Id"]
            .as_str()
            .expect("a pool id")
            .to_owned();
        let client_id = ok(
            "CreateUserPoolClient",
            json!({
                "UserPoolId": pool_id,
                "ClientName": "web",
                "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            }),
        )["UserPoolClient"]["ClientId"]
            .as_str()
            .expect("a client id")
            .to_owned();
        let (username, password) = ("alice".to_owned(), "Correct-Horse-7!".to_owned());
        ok(
            "AdminCreateUser",
            json!({"UserPoolId": pool_id, "Username": username, "MessageAction": "SUPPRESS"}),
        );
        ok(
            "AdminSetUserPassword",
            json!({"UserPoolId": pool_id, "Username": username, "Password": password, "Permanent": true}),
        );
        MotoPool {
            pool_id,
            client_id,
            username,
            password,
        }
    }

    /// Sign the pool's user in: their access token.
    ///
    /// # Panics
    /// When moto refuses (test code).
    pub fn sign_in(&self, pool: &MotoPool) -> String {
        let (status, answer) = self
            .call(
                "InitiateAuth",
                &json!({
                    "AuthFlow": "USER_PASSWORD_AUTH",
                    "ClientId": pool.client_id,
                    "AuthParameters": {"USERNAME": pool.username, "PASSWORD": pool.password},
                }),
            )
            .expect("moto answers");
        assert_eq!(status, 200, "InitiateAuth: {answer}");
        answer["AuthenticationResult"]["AccessToken"]
            .as_str()
            .expect("an access token")
            .to_owned()
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
