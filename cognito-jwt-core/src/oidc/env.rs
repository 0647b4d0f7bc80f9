//! Loading an issuer from the environment: the variables and their checks.

use crate::env::did_you_mean;
use crate::error::{ConfigError, quoted};

/// The environment variables read by
/// [`JwtVerifier::from_env`](crate::JwtVerifier::from_env).
pub const OIDC_ENV_VARS: &[(&str, &str)] = &[
    (
        "OIDC_ISSUER",
        "required: the issuer URL, exactly as in the tokens' iss",
    ),
    (
        "OIDC_AUDIENCE",
        "required: accepted audience(s), comma-separated",
    ),
    (
        "OIDC_JWKS_URI",
        "optional: key set URL (otherwise OpenID Connect discovery)",
    ),
    (
        "OIDC_ALGORITHMS",
        "optional: accepted algorithms, comma-separated (default RS256)",
    ),
    (
        "REQUIRED_CLAIMS",
        "optional: claim rules every token must meet, separated by ; (name=value, name=a|b, \
         name~=a|b, name:=<JSON>)",
    ),
];

impl crate::Issuer {
    /// Read one issuer from the environment: `OIDC_ISSUER`,
    /// `OIDC_AUDIENCE` (comma-separated), and optionally `OIDC_JWKS_URI`
    /// (else discovery) and `OIDC_ALGORITHMS` (comma-separated, default
    /// `RS256`); see [`OIDC_ENV_VARS`].
    ///
    /// # Errors
    /// A [`ConfigError`] naming the variable that is missing or wrong, with
    /// "`<near miss>` is set: rename it to `<name>`" when a similarly
    /// named variable is set.
    pub fn from_env() -> Result<Self, ConfigError> {
        let names = crate::env::variable_names();
        issuer_from_vars(&|name| std::env::var(name).ok(), &names)
    }

    /// Read one issuer as [`from_env`](Self::from_env) does, each
    /// variable's value given by `lookup` instead of the environment (see
    /// [`UserPool::from_lookup`](crate::UserPool::from_lookup)).
    ///
    /// # Errors
    /// As [`from_env`](Self::from_env).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let names = crate::env::variable_names();
        issuer_from_vars(&lookup, &names)
    }
}

impl crate::JwtVerifier {
    /// Build a verifier for one issuer read from the environment,
    /// requiring the claim rules of `REQUIRED_CLAIMS` if set (see
    /// [`ClaimRule`](crate::ClaimRule)), with every other setting at its
    /// default; see [`Issuer::from_env`](crate::Issuer::from_env).
    ///
    /// # Errors
    /// A [`ConfigError`] naming the variable that is missing or wrong.
    pub fn from_env() -> Result<Self, ConfigError> {
        let mut builder = Self::builder().issuer(crate::Issuer::from_env()?);
        for rule in crate::ClaimRule::from_env()? {
            builder = builder.require_claim(rule);
        }
        builder.build()
    }
}

/// A required variable, named with a rename hint when absent and a near
/// miss is set.
fn required_var(
    get: &dyn Fn(&str) -> Option<String>,
    all_names: &[String],
    name: &str,
    expected: &str,
) -> Result<String, ConfigError> {
    match get(name) {
        Some(v) if !v.trim().is_empty() => Ok(v.trim().to_owned()),
        Some(_) => Err(ConfigError::invalid(
            name,
            format!("it is empty; expected {expected}"),
        )),
        None => Err(ConfigError::Missing {
            name: name.to_owned(),
            expected: expected.to_owned(),
            did_you_mean: did_you_mean(name, all_names).map(str::to_owned),
        }),
    }
}

/// A comma-separated list without empty entries.
fn comma_list(value: &str, name: &str, what: &str) -> Result<Vec<String>, ConfigError> {
    let items: Vec<String> = value.split(',').map(|s| s.trim().to_owned()).collect();
    if items.iter().any(String::is_empty) {
        return Err(ConfigError::invalid(
            name,
            format!("it has an empty entry; expected comma-separated {what}"),
        ));
    }
    Ok(items)
}

pub(crate) fn issuer_from_vars(
    get: &dyn Fn(&str) -> Option<String>,
    all_names: &[String],
) -> Result<crate::Issuer, ConfigError> {
    let optional = |name: &str| {
        get(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let issuer = required_var(
        get,
        all_names,
        "OIDC_ISSUER",
        "the issuer URL, exactly as in the tokens' iss, e.g. https://login.example.com/tenant",
    )?;
    let audiences = required_var(
        get,
        all_names,
        "OIDC_AUDIENCE",
        "the accepted audience(s), comma-separated",
    )?;
    let mut issuer =
        crate::Issuer::new(issuer).audiences(comma_list(&audiences, "OIDC_AUDIENCE", "audiences")?);
    if let Some(uri) = optional("OIDC_JWKS_URI") {
        issuer = issuer.jwks_uri(uri);
    }
    if let Some(algorithms) = optional("OIDC_ALGORITHMS") {
        let algorithms = comma_list(&algorithms, "OIDC_ALGORITHMS", "algorithms")?
            .iter()
            .map(|a| {
                a.parse::<crate::Algorithm>().map_err(|_| {
                    ConfigError::invalid(
                        "OIDC_ALGORITHMS",
                        format!(
                            "{} is not a supported algorithm; expected RS256, RS384, RS512, \
                             PS256, PS384, PS512, ES256, ES384 or EdDSA",
                            quoted(a)
                        ),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        issuer = issuer.algorithms(algorithms);
    }
    Ok(issuer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load_issuer(vars: &[(&str, &str)]) -> Result<crate::Issuer, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let names: Vec<String> = map.keys().cloned().collect();
        issuer_from_vars(&|n| map.get(n).cloned(), &names)
    }

    #[test]
    fn oidc_variables_are_named_with_hints() {
        let err = load_issuer(&[
            ("OIDC_ISSUR", "https://id.example"),
            ("OIDC_AUDIENCE", "api"),
        ])
        .unwrap_err();
        assert_eq!(err.name(), Some("OIDC_ISSUER"));
        assert!(
            err.to_string()
                .contains("OIDC_ISSUR is set: rename it to OIDC_ISSUER"),
            "{err}"
        );
        let err = load_issuer(&[
            ("OIDC_ISSUER", "https://id.example"),
            ("OIDC_AUDIENCES", "api"),
        ])
        .unwrap_err();
        assert_eq!(err.name(), Some("OIDC_AUDIENCE"));
        assert!(
            err.to_string()
                .contains("OIDC_AUDIENCES is set: rename it to OIDC_AUDIENCE")
        );
        let err = load_issuer(&[
            ("OIDC_ISSUER", "https://id.example"),
            ("OIDC_AUDIENCE", "api,"),
        ])
        .unwrap_err();
        assert_eq!(err.name(), Some("OIDC_AUDIENCE"));
        let err = load_issuer(&[
            ("OIDC_ISSUER", "https://id.example"),
            ("OIDC_AUDIENCE", "api"),
            ("OIDC_ALGORITHMS", "RS256,HS256"),
        ])
        .unwrap_err();
        assert_eq!(err.name(), Some("OIDC_ALGORITHMS"));
        assert!(err.to_string().contains("\"HS256\""));
        let issuer = load_issuer(&[
            ("OIDC_ISSUER", "https://id.example"),
            ("OIDC_AUDIENCE", "api, web"),
            ("OIDC_ALGORITHMS", "ES256, EdDSA"),
            ("OIDC_JWKS_URI", "https://id.example/keys"),
        ])
        .unwrap();
        let verifier = crate::JwtVerifier::builder()
            .issuer(issuer)
            .build()
            .unwrap();
        assert_eq!(
            verifier.jwks_uris().collect::<Vec<_>>(),
            ["https://id.example/keys"]
        );
    }
}
