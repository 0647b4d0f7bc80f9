//! The settings every verifier kind shares, read from keyword arguments.

use std::time::Duration;

use cognito_jwt_core::{ClaimRule, KeySetOptions, Requirements};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

use crate::errors;
use crate::revocation::RevocationList;

/// One string or a sequence of strings, as a list.
pub(crate) fn strings(value: &Bound<'_, PyAny>, name: &str) -> PyResult<Vec<String>> {
    if let Ok(one) = value.cast::<PyString>() {
        return Ok(vec![one.to_str()?.to_owned()]);
    }
    value
        .try_iter()
        .and_then(|items| items.map(|item| item?.extract::<String>()).collect())
        .map_err(|_| PyTypeError::new_err(format!("{name} must be a str or a list of str")))
}

/// Seconds (`int` or `float`) or a `datetime.timedelta`.
pub(crate) fn duration(value: &Bound<'_, PyAny>, name: &str) -> PyResult<Duration> {
    let seconds = match value.extract::<f64>() {
        Ok(seconds) => seconds,
        Err(_) => value
            .call_method0("total_seconds")
            .and_then(|s| s.extract::<f64>())
            .map_err(|_| {
                PyTypeError::new_err(format!(
                    "{name} must be a number of seconds or a datetime.timedelta"
                ))
            })?,
    };
    Duration::try_from_secs_f64(seconds).map_err(|_| {
        PyValueError::new_err(format!(
            "{name} must be a finite number of seconds, 0 or more"
        ))
    })
}

/// Route requirements: groups, scopes, claim rules, step-up.
#[derive(Debug, Default, Clone)]
pub(crate) struct Rules {
    pub(crate) groups: Vec<String>,
    pub(crate) scopes: Vec<String>,
    pub(crate) claims: Vec<ClaimRule>,
    pub(crate) acr: Vec<String>,
    pub(crate) amr: Vec<String>,
    pub(crate) max_auth_age: Option<Duration>,
}

impl Rules {
    /// Read one rule setting; `false` when `key` names none.
    pub(crate) fn read(
        &mut self,
        py: Python<'_>,
        key: &str,
        value: &Bound<'_, PyAny>,
    ) -> PyResult<bool> {
        match key {
            "groups" => self.groups = strings(value, key)?,
            "scopes" => self.scopes = strings(value, key)?,
            "claims" => {
                self.claims = strings(value, key)?
                    .iter()
                    .map(|rule| ClaimRule::parse(rule).map_err(|e| errors::config(py, &e)))
                    .collect::<PyResult<_>>()?;
            }
            "acr" => self.acr = strings(value, key)?,
            "amr" => self.amr = strings(value, key)?,
            "max_auth_age" => self.max_auth_age = Some(duration(value, key)?),
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// The core's `Requirements` for these rules, checked.
    pub(crate) fn requirements(&self, py: Python<'_>) -> PyResult<Requirements> {
        let mut requirements = Requirements::new();
        for group in &self.groups {
            requirements = requirements.any_group(group);
        }
        for scope in &self.scopes {
            requirements = requirements.any_scope(scope);
        }
        for rule in &self.claims {
            requirements = requirements.claim(rule.clone());
        }
        for acr in &self.acr {
            requirements = requirements.any_acr(acr);
        }
        for amr in &self.amr {
            requirements = requirements.all_amr(amr);
        }
        if let Some(age) = self.max_auth_age {
            requirements = requirements.max_auth_age(age);
        }
        requirements
            .validate()
            .map_err(|e| errors::config(py, &e))?;
        Ok(requirements)
    }
}

/// The shared settings, as given.
#[derive(Debug, Default)]
pub(crate) struct Common {
    pub(crate) rules: Rules,
    pub(crate) leeway: Option<Duration>,
    pub(crate) key_set: Option<KeySetOptions>,
    pub(crate) token_cache_max_bytes: Option<u64>,
    pub(crate) revocation: Option<cognito_jwt_core::RevocationList>,
}

impl Common {
    /// Read the shared settings from `kwargs`; any other name is a
    /// `TypeError`, as for any Python function. `groups` and `scopes` are
    /// refused where the verifier kind has none (`cognito_claims`: a load
    /// balancer's tokens carry neither).
    pub(crate) fn from_kwargs(
        py: Python<'_>,
        kwargs: Option<&Bound<'_, PyDict>>,
        what: &str,
        cognito_claims: bool,
    ) -> PyResult<Self> {
        let mut common = Common::default();
        let Some(kwargs) = kwargs else {
            return Ok(common);
        };
        let mut key_set = KeySetOptions::default();
        let mut key_set_given = false;
        for (key, value) in kwargs.iter() {
            let key: String = key.extract()?;
            if value.is_none() {
                continue;
            }
            if !cognito_claims && matches!(key.as_str(), "groups" | "scopes") {
                return Err(PyTypeError::new_err(format!(
                    "{what}() takes no {key}: its tokens carry none"
                )));
            }
            if common.rules.read(py, &key, &value)? {
                continue;
            }
            match key.as_str() {
                "leeway" => common.leeway = Some(duration(&value, &key)?),
                "refresh_interval" => key_set = key_set.refresh_interval(duration(&value, &key)?),
                "cooldown" => key_set = key_set.cooldown(duration(&value, &key)?),
                "max_staleness" => key_set = key_set.max_staleness(duration(&value, &key)?),
                "fetch_timeout" => key_set = key_set.fetch_timeout(duration(&value, &key)?),
                "connect_timeout" => key_set = key_set.connect_timeout(duration(&value, &key)?),
                "backoff" => {
                    let (min, max): (Bound<'_, PyAny>, Bound<'_, PyAny>) = value
                        .extract()
                        .map_err(|_| PyTypeError::new_err("backoff must be a (min, max) pair"))?;
                    key_set = key_set.backoff(duration(&min, &key)?, duration(&max, &key)?);
                }
                "token_cache_max_bytes" => common.token_cache_max_bytes = Some(value.extract()?),
                "revocation" => {
                    let list = value.cast::<RevocationList>().map_err(|_| {
                        PyTypeError::new_err("revocation must be a cognito_jwt.RevocationList")
                    })?;
                    common.revocation = Some(list.get().inner.clone());
                }
                _ => {
                    return Err(PyTypeError::new_err(format!(
                        "{what}() got an unexpected keyword argument '{key}'"
                    )));
                }
            }
            key_set_given |= !matches!(
                key.as_str(),
                "leeway" | "token_cache_max_bytes" | "revocation"
            );
        }
        if key_set_given {
            common.key_set = Some(key_set);
        }
        Ok(common)
    }
}

/// Apply [`Common`] to any verifier builder (they share these setters;
/// groups and scopes only where the kind has them).
macro_rules! apply_common {
    ($builder:expr, $common:expr, scopes) => {{
        let common: $crate::options::Common = $common;
        let mut builder = $builder;
        for scope in &common.rules.scopes {
            builder = builder.require_any_scope(scope.clone());
        }
        for group in &common.rules.groups {
            builder = builder.require_any_group(group.clone());
        }
        $crate::options::apply_common!(builder, common)
    }};
    ($builder:expr, $common:expr) => {{
        let common: $crate::options::Common = $common;
        let mut builder = $builder;
        for rule in common.rules.claims {
            builder = builder.require_claim(rule);
        }
        for acr in common.rules.acr {
            builder = builder.require_any_acr(acr);
        }
        for amr in common.rules.amr {
            builder = builder.require_all_amr(amr);
        }
        if let Some(age) = common.rules.max_auth_age {
            builder = builder.require_max_auth_age(age);
        }
        if let Some(leeway) = common.leeway {
            builder = builder.leeway(leeway);
        }
        if let Some(options) = common.key_set {
            builder = builder.key_set_options(options);
        }
        if let Some(bytes) = common.token_cache_max_bytes {
            builder = builder.token_cache_max_bytes(bytes);
        }
        if let Some(list) = common.revocation {
            builder = builder.revocation(list);
        }
        builder
    }};
}
pub(crate) use apply_common;
