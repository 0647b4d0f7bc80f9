//! The probe of Cognito itself: for revocations made outside the
//! application (the console, another app, `AdminUserGlobalSignOut`,
//! `AdminDisableUser`), ask Cognito's `GetUser` about an access token now
//! and then, in the background, and revoke its session when Cognito says
//! the token is no longer valid.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use tokio::sync::Semaphore;

use super::entry::{RevocationEntry, RevocationKind};
use super::list::RevocationList;
use crate::claims::Payload;
use crate::error::ConfigError;

/// The scope a Cognito access token needs for `GetUser` to accept it.
pub const ADMIN_SCOPE: &str = "aws.cognito.signin.user.admin";

/// How often one session is asked about, by default: once a minute.
pub const DEFAULT_PROBE_INTERVAL: Duration = Duration::from_secs(60);

/// Probes in flight at once, at most: beyond it, tokens are not probed
/// (they are again once the interval passes).
const MAX_IN_FLIGHT: usize = 8;

/// Sessions remembered (when each was last asked about), at most.
const MAX_REMEMBERED: usize = 100_000;

/// What one probe found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Valid,
    Revoked,
    Failed,
}

/// The probe: settings, what it remembers, and its counts.
pub(crate) struct CognitoProbe {
    /// `None`: each token's own region (`https://cognito-idp.<region>.amazonaws.com/`).
    endpoint: Option<String>,
    interval: u64,
    list: RevocationList,
    client: OnceLock<reqwest::Client>,
    asked: Mutex<HashMap<Box<str>, u64>>,
    in_flight: Arc<Semaphore>,
    counts: Arc<ProbeCounts>,
}

/// What the probe did, for health and tests.
#[derive(Debug, Default)]
pub(crate) struct ProbeCounts {
    pub(crate) asked: AtomicU64,
    pub(crate) revoked: AtomicU64,
    pub(crate) failed: AtomicU64,
    /// When the last probe failed (seconds since 1970), 0 never.
    pub(crate) last_failure: AtomicU64,
}

impl CognitoProbe {
    /// A probe writing to `list`, asking `endpoint` (an emulator's; `None`
    /// for AWS in each token's region) about each session at most once per
    /// `interval`.
    pub(crate) fn new(
        list: RevocationList,
        endpoint: Option<String>,
        interval: Duration,
    ) -> Result<Self, ConfigError> {
        if interval < Duration::from_secs(1) {
            return Err(ConfigError::invalid(
                "revocation_probe.interval",
                "under a second; every session would be asked about on every request",
            ));
        }
        if let Some(endpoint) = &endpoint
            && !(endpoint.starts_with("https://") || endpoint.starts_with("http://"))
        {
            return Err(ConfigError::invalid(
                "COGNITO_IDP_ENDPOINT",
                "expected an http:// or https:// URL, such as http://127.0.0.1:5000/",
            ));
        }
        Ok(Self {
            endpoint,
            interval: interval.as_secs(),
            list,
            client: OnceLock::new(),
            asked: Mutex::new(HashMap::new()),
            in_flight: Arc::new(Semaphore::new(MAX_IN_FLIGHT)),
            counts: Arc::new(ProbeCounts::default()),
        })
    }

    /// After a verification that passed: start a probe of `token` in the
    /// background when it is an access token with the admin scope whose
    /// session was not asked about within the interval. Never waits.
    pub(crate) fn observe(&self, token: &str, payload: &Payload<'_>, now: u64) {
        if payload.token_use.as_deref() != Some("access")
            || !payload
                .scope
                .as_deref()
                .is_some_and(|scope| scope.split(' ').any(|s| s == ADMIN_SCOPE))
        {
            return;
        }
        let (kind, session) = match (payload.origin_jti.as_deref(), payload.jti.as_deref()) {
            (Some(origin_jti), _) => (RevocationKind::Session, origin_jti),
            (None, Some(jti)) => (RevocationKind::Token, jti),
            (None, None) => return,
        };
        let Some(issuer) = payload.iss.as_deref() else {
            return;
        };
        let Some(endpoint) = self.endpoint_for(issuer) else {
            return;
        };
        if !self.due(session, now) {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let Ok(permit) = Arc::clone(&self.in_flight).try_acquire_owned() else {
            return;
        };
        let Some(client) = self.client() else {
            return;
        };
        let until = match kind {
            RevocationKind::Session => now.saturating_add(self.list.session_ttl_secs()),
            _ => payload.exp.unwrap_or(now).saturating_add(300),
        };
        let entry = RevocationEntry::new(kind, issuer, session, now, until);
        let entry = match payload.sub.as_deref() {
            Some(sub) if kind == RevocationKind::Session => entry.of_subject(sub),
            _ => entry,
        };
        let token = token.to_owned();
        let list = self.list.clone();
        let counts = Arc::clone(&self.counts);
        runtime.spawn(async move {
            let _permit = permit;
            counts.asked.fetch_add(1, Ordering::Relaxed);
            match get_user(&client, &endpoint, &token).await {
                Outcome::Valid => probed("valid"),
                Outcome::Revoked => {
                    counts.revoked.fetch_add(1, Ordering::Relaxed);
                    probed("revoked");
                    if let Err(error) = list.write(&entry).await {
                        tracing::error!(
                            %error,
                            "cognito-jwt: Cognito says a session ended, but its revocation \
                             could not be written"
                        );
                    } else {
                        tracing::info!(
                            "cognito-jwt: Cognito says a session ended outside this \
                             application; it is revoked"
                        );
                    }
                }
                Outcome::Failed => {
                    counts.failed.fetch_add(1, Ordering::Relaxed);
                    counts.last_failure.store(entry.at, Ordering::Relaxed);
                    probed("failed");
                }
            }
        });
    }

    /// Whether `session` is due to be asked about; if so, marks it asked
    /// now (so concurrent requests start no second probe).
    fn due(&self, session: &str, now: u64) -> bool {
        let mut asked = self.asked.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(&at) = asked.get(session)
            && now < at.saturating_add(self.interval)
        {
            return false;
        }
        if asked.len() >= MAX_REMEMBERED {
            let interval = self.interval;
            asked.retain(|_, at| now < at.saturating_add(interval));
            if asked.len() >= MAX_REMEMBERED {
                return false;
            }
        }
        asked.insert(session.into(), now);
        true
    }

    /// Where to ask about a token of `issuer`: the endpoint set, or the
    /// issuer's AWS region.
    fn endpoint_for(&self, issuer: &str) -> Option<String> {
        if let Some(endpoint) = &self.endpoint {
            return Some(endpoint.clone());
        }
        let host = issuer.strip_prefix("https://")?.split('/').next()?;
        let region = host
            .strip_prefix("cognito-idp.")
            .or_else(|| host.strip_prefix("issuer-cognito-idp."))?
            .strip_suffix(".amazonaws.com")?;
        if region.is_empty()
            || !region
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return None;
        }
        Some(format!("https://cognito-idp.{region}.amazonaws.com/"))
    }

    fn client(&self) -> Option<reqwest::Client> {
        if let Some(client) = self.client.get() {
            return Some(client.clone());
        }
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(2))
            .timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .ok()?;
        Some(self.client.get_or_init(|| client).clone())
    }
}

/// Ask `GetUser` (an unsigned call, authorised by the access token itself).
async fn get_user(client: &reqwest::Client, endpoint: &str, token: &str) -> Outcome {
    let body = format!(r#"{{"AccessToken":{}}}"#, serde_json::Value::from(token));
    let response = client
        .post(endpoint)
        .header("Content-Type", "application/x-amz-json-1.1")
        .header("X-Amz-Target", "AWSCognitoIdentityProviderService.GetUser")
        .body(body)
        .send()
        .await;
    let Ok(response) = response else {
        return Outcome::Failed;
    };
    let status = response.status();
    if status.is_success() {
        return Outcome::Valid;
    }
    if status.as_u16() != 400 {
        return Outcome::Failed;
    }
    // A 400 names its exception in `__type` (or the x-amzn-ErrorType
    // header); only NotAuthorizedException means the token is revoked.
    let header_type = response
        .headers()
        .get("x-amzn-errortype")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let text = response.text().await.unwrap_or_default();
    let body_type = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v.get("__type").and_then(|t| t.as_str()).map(str::to_owned));
    let named = |t: &str| {
        t.rsplit('#')
            .next()
            .unwrap_or(t)
            .starts_with("NotAuthorizedException")
    };
    if header_type.as_deref().is_some_and(named) || body_type.as_deref().is_some_and(named) {
        Outcome::Revoked
    } else {
        Outcome::Failed
    }
}

#[cfg(feature = "metrics")]
fn probed(outcome: &'static str) {
    ::metrics::counter!(crate::metrics::REVOCATION_PROBES_TOTAL, "outcome" => outcome).increment(1);
}

#[cfg(not(feature = "metrics"))]
fn probed(_: &'static str) {}

/// The settings of the probe of Cognito's `GetUser`, for
/// [`CognitoJwtVerifierBuilder::revocation_probe`](crate::CognitoJwtVerifierBuilder::revocation_probe).
///
/// After a verification that passed, an access token with the
/// `aws.cognito.signin.user.admin` scope whose session (`origin_jti`) was
/// not asked about within the interval is sent to `GetUser` in the
/// background (an unsigned call the token authorises; at most 8 at once,
/// one per session per interval). When Cognito answers
/// `NotAuthorizedException` (the user was signed out everywhere, disabled
/// or deleted, or the session's refresh token revoked, in the console or
/// another app), the session is revoked on the verifier's list (and
/// published, with a shared store). **No request ever waits on it**: the
/// token that started a probe, and those after it, are judged on what the
/// list knows then. A throttled or failing probe changes no answer; it is
/// counted (`cognito_jwt_revocation_probes_total{outcome="failed"}`).
///
/// What it cannot cover: ID tokens and machine-to-machine access tokens
/// (no admin scope; `GetUser` refuses them), and access tokens from app
/// clients that do not grant the admin scope. `GetUser`'s quota is per
/// account and region, shared by every pool there: the interval bounds
/// what this costs (one call per active session per interval).
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct RevocationProbe {
    pub(crate) endpoint: Option<String>,
    pub(crate) interval: Duration,
}

impl Default for RevocationProbe {
    fn default() -> Self {
        Self::new()
    }
}

impl RevocationProbe {
    /// Ask AWS in each token's region, each session once a minute.
    pub fn new() -> Self {
        Self {
            endpoint: None,
            interval: DEFAULT_PROBE_INTERVAL,
        }
    }

    /// Ask this endpoint instead of AWS (an emulator, such as moto's
    /// `http://127.0.0.1:5000/`).
    pub fn endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoint = Some(url.into());
        self
    }

    /// Ask about each session at most once per `interval`. Defaults to
    /// [`DEFAULT_PROBE_INTERVAL`] (60 s); at least 1 s.
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// From the environment: `Some` when `COGNITO_REVOCATION_PROBE` is `1`
    /// (`None` when unset or `0`), asking `COGNITO_IDP_ENDPOINT` when set.
    ///
    /// # Errors
    /// A [`ConfigError`] naming `COGNITO_REVOCATION_PROBE` for another
    /// value, or a variable unset while a near miss of its name is set.
    pub fn from_env() -> Result<Option<Self>, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// [`from_env`](Self::from_env), reading each variable through
    /// `lookup` (a command-line flag's value, else the environment's).
    ///
    /// # Errors
    /// As [`from_env`](Self::from_env).
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<Self>, ConfigError> {
        let names = crate::env::variable_names();
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let near = |name: &str| -> Result<(), ConfigError> {
            match crate::env::did_you_mean(name, &names) {
                Some(near_miss) if get(name).is_none() => Err(ConfigError::Missing {
                    name: name.to_owned(),
                    expected: "see the README's Revocation section".to_owned(),
                    did_you_mean: Some(near_miss.to_owned()),
                }),
                _ => Ok(()),
            }
        };
        near("COGNITO_REVOCATION_PROBE")?;
        near("COGNITO_IDP_ENDPOINT")?;
        let probe = match get("COGNITO_REVOCATION_PROBE").as_deref().map(str::trim) {
            None | Some("0") => return Ok(None),
            Some("1") => Self::new(),
            Some(other) => {
                return Err(ConfigError::invalid(
                    "COGNITO_REVOCATION_PROBE",
                    format!(
                        "expected 1 (on) or 0 (off), not {}",
                        crate::error::quoted(other)
                    ),
                ));
            }
        };
        Ok(Some(match get("COGNITO_IDP_ENDPOINT") {
            Some(endpoint) => probe.endpoint(endpoint.trim()),
            None => probe,
        }))
    }
}
