//! Step-up authentication (RFC 9470): how, and how recently, the user
//! signed in, read from `acr`, `amr` and `auth_time`.

use std::time::Duration;

use serde_json::Value;

use crate::claims::{ClaimsView, named_claims};
use crate::error::{ChallengeParams, Error, ErrorKind, quoted};

/// The sign-in a request needs: `acr` any of, `amr` all of, and a
/// maximum age of `auth_time`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct StepUp {
    pub(crate) acr: Vec<String>,
    pub(crate) amr: Vec<String>,
    pub(crate) max_auth_age: Option<Duration>,
}

impl StepUp {
    pub(crate) fn is_empty(&self) -> bool {
        self.acr.is_empty() && self.amr.is_empty() && self.max_auth_age.is_none()
    }

    /// Check the sign-in behind a verified token, `now` in seconds since
    /// the epoch.
    pub(crate) fn check(&self, view: &ClaimsView<'_>, now: u64) -> Result<(), Error> {
        let names: &[&str] = match (self.acr.is_empty(), self.amr.is_empty()) {
            (true, true) => &[],
            (false, true) => &["acr"],
            (true, false) => &["amr"],
            (false, false) => &["acr", "amr"],
        };
        let values = if names.is_empty() {
            Vec::new()
        } else {
            named_claims(view.json(), names).unwrap_or_default()
        };
        let value = |name: &str| {
            names
                .iter()
                .position(|n| *n == name)
                .and_then(|i| values.get(i))
                .and_then(Option::as_ref)
        };
        if !self.acr.is_empty() {
            let acr = match value("acr") {
                Some(Value::String(acr)) => Some(acr.as_str()),
                _ => None,
            };
            if !acr.is_some_and(|acr| self.acr.iter().any(|a| a == acr)) {
                return Err(self.refusal(format!(
                    "the token's acr is {} of the required authentication context classes ({}); \
                     have the user sign in with one of them",
                    if acr.is_some() {
                        "none"
                    } else {
                        "absent, so none"
                    },
                    self.acr.join(", ")
                )));
            }
        }
        if !self.amr.is_empty() {
            let amr: Vec<&str> = match value("amr") {
                Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
                _ => Vec::new(),
            };
            if let Some(missing) = self.amr.iter().find(|m| !amr.contains(&m.as_str())) {
                return Err(self.refusal(format!(
                    "the token's amr lacks the required authentication method {}; have the user \
                     sign in with {}",
                    quoted(missing),
                    self.amr.join(" and ")
                )));
            }
        }
        if let Some(max) = self.max_auth_age {
            match view.auth_time() {
                None => {
                    return Err(self.refusal(
                        "the token has no auth_time, so the age of the sign-in is unknown",
                    ));
                }
                Some(auth_time) if now.saturating_sub(auth_time) > max.as_secs() => {
                    return Err(self.refusal(format!(
                        "the sign-in is older than the {} s allowed here; have the user sign in \
                         again",
                        max.as_secs()
                    )));
                }
                Some(_) => {}
            }
        }
        Ok(())
    }

    /// A refusal whose challenge names what the next sign-in must give.
    fn refusal(&self, message: impl Into<Box<str>>) -> Error {
        Error::new(ErrorKind::InsufficientUserAuthentication, message).with_challenge(
            ChallengeParams {
                acr_values: (!self.acr.is_empty()).then(|| self.acr.join(" ").into()),
                max_age: self.max_auth_age.map(|age| age.as_secs()),
                ..ChallengeParams::default()
            },
        )
    }
}
