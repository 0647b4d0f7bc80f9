//! A revocation list's settings from environment variables.

use std::time::Duration;

use super::list::{RevocationFailure, RevocationListBuilder};
use crate::env::{did_you_mean, variable_names};
use crate::error::ConfigError;

/// The variables [`RevocationListBuilder::from_env`] reads.
pub const REVOCATION_ENV_VARS: &[&str] = &[
    "REVOCATION_FAIL",
    "REVOCATION_MAX_STALENESS",
    "REVOCATION_SESSION_TTL",
    "REVOCATION_MAX_ENTRIES",
];

impl RevocationListBuilder {
    /// These settings from the environment, each optional (unset keeps
    /// the default):
    ///
    /// | variable | setting |
    /// |---|---|
    /// | `REVOCATION_FAIL` | `closed` (default) or `open`: [`failure`](Self::failure) |
    /// | `REVOCATION_MAX_STALENESS` | seconds (default 60): [`max_staleness`](Self::max_staleness) |
    /// | `REVOCATION_SESSION_TTL` | seconds (default 2592000, 30 days): [`session_ttl`](Self::session_ttl) |
    /// | `REVOCATION_MAX_ENTRIES` | entries (default 1000000): [`max_entries`](Self::max_entries) |
    ///
    /// The shared store's address (`REVOCATION_REDIS_URL`) is read by the
    /// `cognito-jwt-redis` crate.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the variable when a value does not parse,
    /// or when a variable is unset while a near miss of its name is set.
    pub fn from_env(self) -> Result<Self, ConfigError> {
        self.with_lookup(&|name| std::env::var(name).ok(), &variable_names())
    }

    /// [`from_env`](Self::from_env), reading each variable through
    /// `lookup` (a command-line flag's value, else the environment's, say);
    /// the near-miss hints still look at the environment's names.
    ///
    /// # Errors
    /// As [`from_env`](Self::from_env).
    pub fn from_lookup(self, lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        self.with_lookup(&lookup, &variable_names())
    }

    pub(crate) fn with_lookup(
        mut self,
        get: &dyn Fn(&str) -> Option<String>,
        all_names: &[String],
    ) -> Result<Self, ConfigError> {
        let read = |name: &str, expected: &str| -> Result<Option<String>, ConfigError> {
            match get(name).filter(|v| !v.trim().is_empty()) {
                Some(value) => Ok(Some(value.trim().to_owned())),
                None => match did_you_mean(name, all_names) {
                    Some(near_miss) => Err(ConfigError::Missing {
                        name: name.to_owned(),
                        expected: expected.to_owned(),
                        did_you_mean: Some(near_miss.to_owned()),
                    }),
                    None => Ok(None),
                },
            }
        };
        let number = |name: &str, expected: &str| -> Result<Option<u64>, ConfigError> {
            read(name, expected)?
                .map(|value| match value.parse::<u64>() {
                    Ok(number) if number > 0 => Ok(number),
                    _ => Err(ConfigError::invalid(
                        name,
                        format!(
                            "expected {expected} (at least 1), not {}",
                            crate::error::quoted(&value)
                        ),
                    )),
                })
                .transpose()
        };
        if let Some(policy) = read("REVOCATION_FAIL", "closed or open")? {
            self = self.failure(match policy.as_str() {
                "closed" => RevocationFailure::Closed,
                "open" => RevocationFailure::Open,
                other => {
                    return Err(ConfigError::invalid(
                        "REVOCATION_FAIL",
                        format!(
                            "expected closed (refuse tokens while revocations cannot be checked) \
                             or open, not {}",
                            crate::error::quoted(other)
                        ),
                    ));
                }
            });
        }
        if let Some(secs) = number("REVOCATION_MAX_STALENESS", "a number of seconds")? {
            self = self.max_staleness(Duration::from_secs(secs));
        }
        if let Some(secs) = number("REVOCATION_SESSION_TTL", "a number of seconds")? {
            self = self.session_ttl(Duration::from_secs(secs));
        }
        if let Some(entries) = number("REVOCATION_MAX_ENTRIES", "a number of entries")? {
            self = self.max_entries(usize::try_from(entries).unwrap_or(usize::MAX));
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RevocationList;

    fn load(vars: &[(&str, &str)]) -> Result<RevocationListBuilder, ConfigError> {
        let names: Vec<String> = vars.iter().map(|(k, _)| (*k).to_owned()).collect();
        let get = |name: &str| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        };
        RevocationList::builder().with_lookup(&get, &names)
    }

    #[test]
    fn settings_are_read_and_every_mistake_is_named() {
        let list = load(&[
            ("REVOCATION_FAIL", "open"),
            ("REVOCATION_MAX_STALENESS", "5"),
            ("REVOCATION_MAX_ENTRIES", "10"),
        ])
        .unwrap()
        .build()
        .unwrap();
        assert_eq!(list.failure(), RevocationFailure::Open);
        assert_eq!(list.max_staleness(), Duration::from_secs(5));
        assert_eq!(list.health().max_entries, 10);
        assert_eq!(
            load(&[]).unwrap().build().unwrap().failure(),
            RevocationFailure::Closed
        );

        for (vars, name) in [
            (&[("REVOCATION_FAIL", "shut")][..], "REVOCATION_FAIL"),
            (
                &[("REVOCATION_MAX_STALENESS", "1m")][..],
                "REVOCATION_MAX_STALENESS",
            ),
            (
                &[("REVOCATION_SESSION_TTL", "-1")][..],
                "REVOCATION_SESSION_TTL",
            ),
            (&[("REVOCATION_FAILL", "open")][..], "REVOCATION_FAIL"),
            (
                &[("REVOKATION_MAX_ENTRIES", "5")][..],
                "REVOCATION_MAX_ENTRIES",
            ),
        ] {
            let error = load(vars).unwrap_err();
            assert_eq!(error.name(), Some(name), "{error}");
        }
        let typo = load(&[("REVOCATION_FAILL", "open")]).unwrap_err();
        assert!(
            typo.to_string()
                .contains("REVOCATION_FAILL is set: rename it to REVOCATION_FAIL"),
            "{typo}"
        );
        let zero = load(&[("REVOCATION_MAX_ENTRIES", "0")]).unwrap_err();
        assert_eq!(zero.name(), Some("REVOCATION_MAX_ENTRIES"));
    }
}
