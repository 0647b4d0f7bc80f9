//! The `apigw-authorizer` function's configuration from the environment.

use cognito_jwt_core::{CognitoJwtVerifier, ConfigError, check_setting_names};
use cognito_jwt_lambda::AuthorizerOptions;

use crate::config::group_variable;

/// The `AUTHORIZER_*` variables `apigw-authorizer` reads, with what each
/// means. Any other variable named like them stops start-up.
pub const AUTHORIZER_VARS: &[(&str, &str)] = &[
    (
        "AUTHORIZER_REQUIRED_GROUP",
        "optional: tokens of users outside this group get an explicit Deny",
    ),
    (
        "AUTHORIZER_SIMPLE_RESPONSES",
        "optional: true to answer HTTP API 2.0 events with isAuthorized",
    ),
    (
        "AUTHORIZER_WIDE_RESOURCE",
        "optional: true to allow <api-id>/<stage>/*/* instead of the called route",
    ),
];

/// What `apigw-authorizer` reads from the environment.
///
/// | variable | default | meaning |
/// |---|---|---|
/// | `COGNITO_USER_POOL_ID`, `COGNITO_CLIENT_ID`, `COGNITO_TOKEN_USE`, `COGNITO_JWKS_URI`, `COGNITO_ISSUER` | see [`UserPool::from_env`](cognito_jwt_core::UserPool::from_env) | the user pool whose tokens are accepted |
/// | `COGNITO_RESOURCE`, `COGNITO_UNBOUND_CLIENTS` | unset | resource binding of access tokens (RFC 8707), read by [`CognitoJwtVerifier::from_env`]: a token bound elsewhere, or unbound where binding is required, is `Unauthorized` |
/// | `COGNITO_JWKS_FILE` | unset | a key set bundled with the function, `{"keys": […]}`: the first invocations need no network |
/// | `AUTHORIZER_REQUIRED_GROUP` | none | tokens of users outside it get an explicit Deny (403); set but empty is refused |
/// | `AUTHORIZER_SIMPLE_RESPONSES` | `false` | `true`: HTTP API 2.0 events get `{"isAuthorized": …}` |
/// | `AUTHORIZER_WIDE_RESOURCE` | `false` | `true`: an Allow names `<api-id>/<stage>/*/*` |
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AuthorizerConfig {
    /// The verifier, with the bundled key set loaded when there is one.
    pub verifier: CognitoJwtVerifier,
    /// How the authorizer decides and answers.
    pub options: AuthorizerOptions,
}

impl AuthorizerConfig {
    /// Read the configuration from the process environment. Reads the
    /// bundled key set when `COGNITO_JWKS_FILE` is set; no other I/O.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first variable that is missing, wrong or
    /// unknown, with "rename it to `<name>`" for a near miss (an `AUTHORIZER_*`
    /// variable that is not one of [`AUTHORIZER_VARS`] is refused: a
    /// misspelt required group must not silently allow everyone).
    pub fn from_env() -> Result<Self, ConfigError> {
        let names: Vec<String> = std::env::vars_os()
            .filter_map(|(name, _)| name.into_string().ok())
            .collect();
        check_authorizer_names(&names)?;
        // Reads COGNITO_JWKS_FILE too: a bundled key set serves the first
        // invocations, so the cold start makes no request.
        let verifier = CognitoJwtVerifier::from_env()?;
        let mut options = AuthorizerOptions::new()
            .simple_responses(flag("AUTHORIZER_SIMPLE_RESPONSES")?)
            .wide_resource(flag("AUTHORIZER_WIDE_RESOURCE")?);
        if let Some(group) = group_variable("AUTHORIZER_REQUIRED_GROUP")? {
            options = options.require_any_group(group);
        }
        options.validate()?;
        Ok(Self { verifier, options })
    }
}

/// Refuse any variable that looks like an `AUTHORIZER_*` setting but is
/// not one.
fn check_authorizer_names(names: &[String]) -> Result<(), ConfigError> {
    let settings: Vec<&str> = AUTHORIZER_VARS.iter().map(|(name, _)| *name).collect();
    check_setting_names(
        names.iter().map(String::as_str),
        "AUTHORIZER",
        &settings,
        "this authorizer",
    )
}

/// `true`, `false`, or unset (`false`).
fn flag(name: &str) -> Result<bool, ConfigError> {
    match variable(name)?.map(|v| v.to_ascii_lowercase()).as_deref() {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(other) => Err(invalid(
            name,
            format!("{other:?} is not a boolean; expected true or false"),
        )),
    }
}

/// An optional variable, trimmed; empty counts as unset.
fn variable(name: &str) -> Result<Option<String>, ConfigError> {
    match std::env::var(name) {
        Ok(value) if value.trim().is_empty() => Ok(None),
        Ok(value) => Ok(Some(value.trim().to_owned())),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(invalid(name, "it is not valid UTF-8")),
    }
}

fn invalid(name: &str, problem: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        name: name.to_owned(),
        problem: problem.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(names: &[&str]) -> Result<(), ConfigError> {
        check_authorizer_names(&names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>())
    }

    #[test]
    fn near_misses_of_the_settings_are_refused_by_name() {
        for (wrong, meant) in [
            ("AUTHORIZER_REQUIRED_GROUPS", "AUTHORIZER_REQUIRED_GROUP"),
            ("AUTHORISER_REQUIRED_GROUP", "AUTHORIZER_REQUIRED_GROUP"),
            ("AUTHORIZER_REQUIRE_GROUP", "AUTHORIZER_REQUIRED_GROUP"),
            ("AUTHORIZER_SIMPLE_RESPONSE", "AUTHORIZER_SIMPLE_RESPONSES"),
            ("authorizer_wide_resource", "AUTHORIZER_WIDE_RESOURCE"),
            ("AUTHORIZE_WIDE_RESOURCE", "AUTHORIZER_WIDE_RESOURCE"),
        ] {
            let error = check(&["PATH", wrong]).expect_err(wrong);
            assert_eq!(error.name(), Some(wrong));
            assert!(
                error.to_string().contains(&format!("rename it to {meant}")),
                "{error}"
            );
        }
        let error = check(&["AUTHORIZER_CACHE_TTL"]).expect_err("unknown");
        assert!(error.to_string().contains("not a setting"), "{error}");
    }

    #[test]
    fn other_variables_pass() {
        assert!(
            check(&[
                "PATH",
                "AUTHORIZER_REQUIRED_GROUP",
                "AUTHORIZER_SIMPLE_RESPONSES",
                "AUTHORIZER_WIDE_RESOURCE",
                "AWS_LAMBDA_FUNCTION_NAME",
                "COGNITO_USER_POOL_ID",
                "AUTHOR",
            ])
            .is_ok()
        );
    }
}
