//! `COGNITO_ADMIN_SIGNOUT=1`: after `POST /api/admin/signout-user` revoked
//! a user here, sign them out at Cognito too (`AdminUserGlobalSignOut`),
//! so that their refresh tokens stop minting tokens.
//!
//! Two calls of Cognito's JSON API, signed with AWS Signature Version 4:
//! `ListUsers` with the filter `sub = "…"` (the route names the user by
//! `sub`; the admin API takes the user name), then
//! `AdminUserGlobalSignOut`. The signature is written here over aws-lc-rs's
//! HMAC-SHA256 and SHA-256, which the workspace already has, rather than
//! adding the AWS SDK's signing crates and runtime to every server build for
//! one call; it is checked against AWS's published example. Credentials
//! come from the environment only (`AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`): nothing asks an instance
//! metadata service.

use std::fmt::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_lc_rs::{digest, hmac};
use cognito_jwt_core::ConfigError;
use serde_json::{Value, json};

use crate::config::{invalid, variable};

/// What the server needs to call Cognito's admin API.
#[derive(Clone)]
pub struct CognitoAdmin {
    endpoint: String,
    host: String,
    region: String,
    pool_id: String,
    access_key: String,
    secret_key: String,
    session_token: Option<String>,
    client: reqwest::Client,
}

impl std::fmt::Debug for CognitoAdmin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret.
        f.debug_struct("CognitoAdmin")
            .field("endpoint", &self.endpoint)
            .field("pool_id", &self.pool_id)
            .finish_non_exhaustive()
    }
}

impl CognitoAdmin {
    /// From the environment: `Some` when `COGNITO_ADMIN_SIGNOUT` is `1`.
    /// The region is `AWS_REGION`, else the pool id's prefix; the endpoint
    /// `COGNITO_IDP_ENDPOINT`, else `https://cognito-idp.<region>.amazonaws.com/`.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the variable: another value than `0` or
    /// `1`, or missing credentials.
    pub fn from_env(pool_id: &str) -> Result<Option<Self>, ConfigError> {
        match variable("COGNITO_ADMIN_SIGNOUT")?.as_deref() {
            None | Some("0") => return Ok(None),
            Some("1") => {}
            Some(_) => {
                return Err(invalid(
                    "COGNITO_ADMIN_SIGNOUT",
                    "expected 1 (also sign users out at Cognito) or 0",
                ));
            }
        }
        let required = |name: &str| {
            variable(name)?.ok_or_else(|| {
                invalid(
                    name,
                    "COGNITO_ADMIN_SIGNOUT=1 signs AdminUserGlobalSignOut with credentials from \
                     the environment: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and \
                     AWS_SESSION_TOKEN for temporary credentials)",
                )
            })
        };
        let access_key = required("AWS_ACCESS_KEY_ID")?;
        let secret_key = required("AWS_SECRET_ACCESS_KEY")?;
        let region = match variable("AWS_REGION")? {
            Some(region) => region,
            None => pool_id
                .split_once('_')
                .map(|(region, _)| region.to_owned())
                .ok_or_else(|| invalid("AWS_REGION", "set it: the pool id names no region"))?,
        };
        let endpoint = variable("COGNITO_IDP_ENDPOINT")?
            .unwrap_or_else(|| format!("https://cognito-idp.{region}.amazonaws.com/"));
        let host = endpoint
            .split_once("://")
            .and_then(|(_, rest)| rest.split('/').next())
            .filter(|host| !host.is_empty())
            .ok_or_else(|| {
                invalid(
                    "COGNITO_IDP_ENDPOINT",
                    "expected a URL such as http://127.0.0.1:5000/",
                )
            })?
            .to_owned();
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(2))
            .timeout(Duration::from_secs(5))
            .no_proxy()
            .build()
            .map_err(|_| invalid("COGNITO_IDP_ENDPOINT", "the HTTP client cannot be built"))?;
        Ok(Some(Self {
            endpoint,
            host,
            region,
            pool_id: pool_id.to_owned(),
            access_key,
            secret_key,
            session_token: variable("AWS_SESSION_TOKEN")?,
            client,
        }))
    }

    /// Sign the user whose `sub` is `sub` out of every device at Cognito.
    ///
    /// # Errors
    /// What failed, without credentials: Cognito unreachable, an error it
    /// answered (its type), or no such user.
    pub async fn global_sign_out(&self, sub: &str) -> Result<(), String> {
        let users = self
            .call(
                "ListUsers",
                &json!({
                    "UserPoolId": self.pool_id,
                    "Filter": format!("sub = \"{}\"", sub.replace(['"', '\\'], "")),
                    "Limit": 1,
                }),
            )
            .await?;
        let username = users["Users"][0]["Username"]
            .as_str()
            .ok_or("Cognito knows no user with that sub")?
            .to_owned();
        self.call(
            "AdminUserGlobalSignOut",
            &json!({"UserPoolId": self.pool_id, "Username": username}),
        )
        .await
        .map(drop)
    }

    async fn call(&self, operation: &str, body: &Value) -> Result<Value, String> {
        let body = body.to_string();
        let target = format!("AWSCognitoIdentityProviderService.{operation}");
        let date = amz_date(SystemTime::now());
        let mut headers = vec![
            ("content-type", "application/x-amz-json-1.1".to_owned()),
            ("host", self.host.clone()),
            ("x-amz-date", date.clone()),
        ];
        if let Some(token) = &self.session_token {
            headers.push(("x-amz-security-token", token.clone()));
        }
        headers.push(("x-amz-target", target.clone()));
        let authorization = authorization(
            &Signer {
                access_key: &self.access_key,
                secret_key: &self.secret_key,
                region: &self.region,
                service: "cognito-idp",
            },
            &date,
            "POST",
            "/",
            "",
            &headers,
            body.as_bytes(),
        );
        let mut request = self.client.post(&self.endpoint).body(body);
        for (name, value) in headers.iter().filter(|(name, _)| *name != "host") {
            request = request.header(*name, value);
        }
        let response = request
            .header("authorization", authorization)
            .send()
            .await
            .map_err(|_| format!("{operation}: Cognito cannot be reached"))?;
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        let answer: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if status.is_success() {
            Ok(answer)
        } else {
            let kind = answer["__type"].as_str().unwrap_or("an error");
            Err(format!("{operation}: Cognito answered {status} ({kind})"))
        }
    }
}

/// Who signs, for what.
struct Signer<'a> {
    access_key: &'a str,
    secret_key: &'a str,
    region: &'a str,
    service: &'a str,
}

/// The `Authorization` value of a request signed with Signature Version 4:
/// `headers` (lower-case names, sorted by name) are all signed.
fn authorization(
    signer: &Signer<'_>,
    date: &str,
    method: &str,
    path: &str,
    query: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> String {
    let signed_headers = headers
        .iter()
        .map(|(name, _)| *name)
        .collect::<Vec<_>>()
        .join(";");
    let mut canonical = format!("{method}\n{path}\n{query}\n");
    for (name, value) in headers {
        let _ = writeln!(canonical, "{name}:{}", value.trim());
    }
    let _ = write!(
        canonical,
        "\n{signed_headers}\n{}",
        hex(digest::digest(&digest::SHA256, body).as_ref())
    );
    let day = &date[..8];
    let scope = format!("{day}/{}/{}/aws4_request", signer.region, signer.service);
    let signature = signature(signer, date, &scope, &canonical);
    format!(
        "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed_headers}, \
         Signature={signature}",
        signer.access_key
    )
}

/// The hex signature of `canonical` (a canonical request) for `scope`.
fn signature(signer: &Signer<'_>, date: &str, scope: &str, canonical: &str) -> String {
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{date}\n{scope}\n{}",
        hex(digest::digest(&digest::SHA256, canonical.as_bytes()).as_ref())
    );
    let key = signing_key(signer, &date[..8]);
    hex(hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, &key), to_sign.as_bytes()).as_ref())
}

fn signing_key(signer: &Signer<'_>, day: &str) -> Vec<u8> {
    let step = |key: &[u8], data: &str| {
        hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), data.as_bytes())
            .as_ref()
            .to_vec()
    };
    let secret = format!("AWS4{}", signer.secret_key);
    let date_key = step(secret.as_bytes(), day);
    let region_key = step(&date_key, signer.region);
    let service_key = step(&region_key, signer.service);
    step(&service_key, "aws4_request")
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}

/// `YYYYMMDDTHHMMSSZ` in UTC.
fn amz_date(now: SystemTime) -> String {
    let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// AWS's published example of a signed request (IAM `ListUsers`,
    /// `GET`, 2015-08-30 12:36:00 UTC, the documentation's example keys).
    #[test]
    fn signs_as_aws_documents() {
        let signer = Signer {
            access_key: "AKIDEXAMPLE",
            secret_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            region: "us-east-1",
            service: "iam",
        };
        assert_eq!(
            hex(&signing_key(&signer, "20150830")),
            "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
        );
        let authorization = authorization(
            &signer,
            "20150830T123600Z",
            "GET",
            "/",
            "Action=ListUsers&Version=2010-05-08",
            &[
                (
                    "content-type",
                    "application/x-www-form-urlencoded; charset=utf-8".to_owned(),
                ),
                ("host", "iam.amazonaws.com".to_owned()),
                ("x-amz-date", "20150830T123600Z".to_owned()),
            ],
            b"",
        );
        assert_eq!(
            authorization,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, \
             SignedHeaders=content-type;host;x-amz-date, \
             Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
        );
    }

    #[test]
    fn dates_are_utc() {
        let at = |secs| amz_date(UNIX_EPOCH + Duration::from_secs(secs));
        assert_eq!(at(0), "19700101T000000Z");
        assert_eq!(at(1_440_938_160), "20150830T123600Z");
        assert_eq!(at(951_782_400), "20000229T000000Z");
        assert_eq!(at(1_798_761_599), "20261231T235959Z");
    }
}
