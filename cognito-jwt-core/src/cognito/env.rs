//! Loading a pool from the environment: the variables, their checks, and
//! "`<near miss>` is set: rename it to `<name>`" hints for near-misses.

use std::path::Path;

use super::user_pool::{
    AcceptedTokenUse, IssuerHosts, SeedSource, UserPool, check_url, pool_region, read_seed,
};
use crate::env::{did_you_mean, similar};
use crate::error::{ConfigError, quoted};

/// The environment variables read by
/// [`CognitoJwtVerifier::from_env`](crate::CognitoJwtVerifier::from_env).
pub const ENV_VARS: &[(&str, &str)] = &[
    (
        "COGNITO_USER_POOL_ID",
        "required: <region>_<id>, e.g. eu-west-1_AbC123xyz",
    ),
    (
        "COGNITO_CLIENT_ID",
        "required: app client id(s), comma-separated",
    ),
    ("COGNITO_TOKEN_USE", "required: access, id or any"),
    (
        "COGNITO_JWKS_URI",
        "optional: key set URL override (emulators)",
    ),
    (
        "COGNITO_ISSUER",
        "optional: expected iss override (emulators)",
    ),
    (
        "COGNITO_ISSUER_HOSTS",
        "optional: both (default), original or updated: the AWS issuer hosts iss may name",
    ),
    (
        "COGNITO_JWKS_FILE",
        "optional: a key-set file that serves until the first fetch (cold starts)",
    ),
    (
        "COGNITO_RESOURCE",
        "optional: the resource(s) access tokens may be bound to (aud), comma-separated",
    ),
    (
        "COGNITO_UNBOUND_CLIENTS",
        "optional: app client id(s) whose access tokens carry no aud (SDK sign-in, M2M), \
         comma-separated; needs COGNITO_RESOURCE",
    ),
    (
        "REQUIRED_CLAIMS",
        "optional: claim rules every token must meet, separated by ; (name=value, name=a|b, \
         name~=a|b, name:=<JSON>)",
    ),
];

/// Reads configuration from any variable source; `std::env::var` in
/// production, a map in tests.
impl UserPool {
    /// Read one pool from the environment: `COGNITO_USER_POOL_ID`,
    /// `COGNITO_CLIENT_ID` (comma-separated), `COGNITO_TOKEN_USE` (`access`,
    /// `id` or `any`; required, like [`UserPool::token_use`]), and
    /// optionally `COGNITO_JWKS_URI`, `COGNITO_ISSUER`, `COGNITO_RESOURCE`
    /// and `COGNITO_UNBOUND_CLIENTS` (see [`ENV_VARS`]).
    ///
    /// # Errors
    /// A [`ConfigError`] naming the variable that is missing or wrong, with
    /// "`<near miss>` is set: rename it to `<name>`" when a similarly
    /// named variable is set.
    pub fn from_env() -> Result<Self, ConfigError> {
        let names = crate::env::variable_names();
        pool_from_vars(&|name| std::env::var(name).ok(), &names)
    }

    /// Read one pool as [`from_env`](Self::from_env) does, each variable's
    /// value given by `lookup` instead of the environment: for a program
    /// whose command-line flags mirror the variables (a flag's value, else
    /// the variable's). The "`<near miss>` is set" hints still name the
    /// process's environment variables.
    ///
    /// ```
    /// use cognito_jwt_core::UserPool;
    ///
    /// let pool = UserPool::from_lookup(|name| match name {
    ///     "COGNITO_USER_POOL_ID" => Some("eu-west-1_AbC123xyz".to_owned()),
    ///     "COGNITO_CLIENT_ID" => Some("1example23456789".to_owned()),
    ///     "COGNITO_TOKEN_USE" => Some("access".to_owned()),
    ///     _ => None,
    /// })?;
    /// # let _ = pool;
    /// # Ok::<(), cognito_jwt_core::ConfigError>(())
    /// ```
    ///
    /// # Errors
    /// As [`from_env`](Self::from_env).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let names = crate::env::variable_names();
        pool_from_vars(&lookup, &names)
    }
}

impl crate::CognitoJwtVerifier {
    /// Build a verifier for one pool read from the environment, requiring
    /// the claim rules of `REQUIRED_CLAIMS` if set (see
    /// [`ClaimRule`](crate::ClaimRule)), with every other setting at its
    /// default; see [`UserPool::from_env`].
    ///
    /// # Errors
    /// A [`ConfigError`] naming the variable that is missing or wrong, with
    /// "`<near miss>` is set: rename it to `<name>`" when a similarly
    /// named variable is set.
    pub fn from_env() -> Result<Self, ConfigError> {
        let mut builder = Self::builder().user_pool(UserPool::from_env()?);
        for rule in crate::ClaimRule::from_env()? {
            builder = builder.require_claim(rule);
        }
        builder.build()
    }
}

pub(crate) fn pool_from_vars(
    get: &dyn Fn(&str) -> Option<String>,
    all_names: &[String],
) -> Result<UserPool, ConfigError> {
    let required = |name: &str, expected: &str| -> Result<String, ConfigError> {
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
    };
    let optional = |name: &str| {
        get(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };

    let pool_id = required(
        "COGNITO_USER_POOL_ID",
        "the user pool id, <region>_<id>, e.g. eu-west-1_AbC123xyz",
    )?;
    pool_region(&pool_id, "COGNITO_USER_POOL_ID")?;
    let clients = required("COGNITO_CLIENT_ID", "the app client id(s), comma-separated")?;
    let client_ids = comma_separated(&clients, "COGNITO_CLIENT_ID", "app client ids")?;
    let token_use = required(
        "COGNITO_TOKEN_USE",
        "the tokens to accept: access, id or any",
    )?;
    let token_use: AcceptedTokenUse = token_use.parse().map_err(|_| {
        ConfigError::invalid(
            "COGNITO_TOKEN_USE",
            format!(
                "{} is not a token use; expected access, id or any",
                quoted(&token_use)
            ),
        )
    })?;
    let mut pool = UserPool::new(pool_id)
        .client_ids(client_ids)
        .token_use(token_use);
    if let Some(uri) = optional("COGNITO_JWKS_URI") {
        check_url(&uri, "COGNITO_JWKS_URI")?;
        pool = pool.jwks_uri(uri);
    }
    let hosts = optional("COGNITO_ISSUER_HOSTS");
    if let Some(issuer) = optional("COGNITO_ISSUER") {
        if hosts.is_some() {
            return Err(ConfigError::invalid(
                "COGNITO_ISSUER_HOSTS",
                "has no effect with COGNITO_ISSUER, which is exactly the issuer accepted; \
                 unset one of them",
            ));
        }
        check_url(&issuer, "COGNITO_ISSUER")?;
        pool = pool.issuer(issuer);
    }
    if let Some(hosts) = hosts {
        let parsed: IssuerHosts = hosts.parse().map_err(|()| {
            ConfigError::invalid(
                "COGNITO_ISSUER_HOSTS",
                format!(
                    "{} is not a choice of hosts; expected both, original or updated",
                    quoted(&hosts)
                ),
            )
        })?;
        pool = pool.issuer_hosts(parsed);
    }
    // Unset while a near miss is set is an error, as for REQUIRED_CLAIMS:
    // a misspelt binding would refuse every bound, or unbound, token.
    let bound = |name: &str, expected: &str| -> Result<Option<String>, ConfigError> {
        if let Some(value) = optional(name) {
            return Ok(Some(value));
        }
        match did_you_mean(name, all_names) {
            Some(near_miss) if get(name).is_none() => Err(ConfigError::Missing {
                name: name.to_owned(),
                expected: expected.to_owned(),
                did_you_mean: Some(near_miss.to_owned()),
            }),
            _ => Ok(None),
        }
    };
    if let Some(resources) = bound(
        "COGNITO_RESOURCE",
        "the resource(s) access tokens may be bound to, comma-separated",
    )? {
        let resources = comma_separated(&resources, "COGNITO_RESOURCE", "resources")?;
        pool = pool.resources(resources);
    }
    if let Some(clients) = bound(
        "COGNITO_UNBOUND_CLIENTS",
        "app client id(s) whose access tokens carry no aud, comma-separated",
    )? {
        let clients = comma_separated(&clients, "COGNITO_UNBOUND_CLIENTS", "app client ids")?;
        if pool.resources.is_empty() {
            return Err(ConfigError::invalid(
                "COGNITO_UNBOUND_CLIENTS",
                "has no effect without COGNITO_RESOURCE (access tokens without aud are \
                 accepted then); set COGNITO_RESOURCE or unset it",
            ));
        }
        if let Some(stranger) = clients.iter().find(|c| !pool.client_ids.contains(c)) {
            return Err(ConfigError::invalid(
                "COGNITO_UNBOUND_CLIENTS",
                format!(
                    "{} is not one of the app clients of COGNITO_CLIENT_ID",
                    quoted(stranger)
                ),
            ));
        }
        pool = pool.unbound_clients(clients);
    }
    if let Some(path) = optional("COGNITO_JWKS_FILE") {
        pool.seed = Some(SeedSource::Document {
            seed: read_seed(Path::new(&path), "COGNITO_JWKS_FILE")?,
            name: Some("COGNITO_JWKS_FILE".to_owned()),
        });
    }
    if let Some(name) = all_names
        .iter()
        .find(|n| n.starts_with("COGNITO_") && !ENV_VARS.iter().any(|(known, _)| known == n))
        .filter(|n| did_you_mean_for_unknown(n).is_some())
    {
        tracing::warn!(
            variable = %name,
            expected = did_you_mean_for_unknown(name).unwrap_or_default(),
            "an environment variable looks like a misspelt cognito-jwt setting and is ignored"
        );
    }
    Ok(pool)
}

/// The non-empty, trimmed entries of a comma-separated `list`, the value
/// of variable `name`.
fn comma_separated(list: &str, name: &str, what: &str) -> Result<Vec<String>, ConfigError> {
    let entries: Vec<String> = list.split(',').map(|e| e.trim().to_owned()).collect();
    if entries.iter().any(String::is_empty) {
        return Err(ConfigError::invalid(
            name,
            format!("it has an empty entry; expected comma-separated {what}"),
        ));
    }
    Ok(entries)
}

fn did_you_mean_for_unknown(name: &str) -> Option<&'static str> {
    ENV_VARS
        .iter()
        .map(|(known, _)| *known)
        .find(|known| similar(known, name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// Load from `vars`, with `COGNITO_TOKEN_USE=access` unless given.
    fn load(vars: &[(&str, &str)]) -> Result<UserPool, ConfigError> {
        let mut map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        if !vars.iter().any(|(k, _)| k.contains("TOKEN")) {
            map.insert("COGNITO_TOKEN_USE".to_owned(), "access".to_owned());
        }
        let names: Vec<String> = map.keys().cloned().collect();
        pool_from_vars(&|n| map.get(n).cloned(), &names)
    }

    #[test]
    fn misspelt_pool_variable_is_named_with_a_hint() {
        for wrong in [
            "AWS_COGNITO_USERPOOL_ID",
            "COGNITO_USERPOOL_ID",
            "COGNITO_USER_POOLID",
        ] {
            let err = load(&[(wrong, "eu-west-1_abc"), ("COGNITO_CLIENT_ID", "c")]).unwrap_err();
            assert_eq!(err.name(), Some("COGNITO_USER_POOL_ID"));
            let text = err.to_string();
            assert!(
                text.contains(&format!(
                    "{wrong} is set: rename it to COGNITO_USER_POOL_ID"
                )),
                "{text}"
            );
            assert!(
                matches!(&err, ConfigError::Missing { did_you_mean: Some(n), .. } if n == wrong),
                "{err:?}"
            );
        }
    }

    #[test]
    fn the_token_use_has_no_default() {
        let pool = [
            ("COGNITO_USER_POOL_ID", "eu-west-1_abc"),
            ("COGNITO_CLIENT_ID", "c"),
        ];
        let err = load(&[pool[0], pool[1], ("COGNITO_TOKENUSE", "id")]).unwrap_err();
        assert_eq!(err.name(), Some("COGNITO_TOKEN_USE"));
        assert!(
            err.to_string()
                .contains("COGNITO_TOKENUSE is set: rename it to COGNITO_TOKEN_USE"),
            "{err}"
        );
        let set = load(&[pool[0], pool[1], ("COGNITO_TOKEN_USE", "Any")]).unwrap();
        assert_eq!(set.token_use, Some(AcceptedTokenUse::Any));
    }

    #[test]
    fn missing_variable_without_near_miss_has_no_hint() {
        let err = load(&[("COGNITO_CLIENT_ID", "c"), ("HOME", "/root")]).unwrap_err();
        assert_eq!(err.name(), Some("COGNITO_USER_POOL_ID"));
        assert!(
            matches!(
                err,
                ConfigError::Missing {
                    did_you_mean: None,
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(!err.to_string().contains("rename"));
    }

    #[test]
    fn misspelt_client_variable() {
        let err = load(&[
            ("COGNITO_USER_POOL_ID", "eu-west-1_abc"),
            ("COGNITO_APP_CLIENT_ID", "c"),
        ])
        .unwrap_err();
        assert_eq!(err.name(), Some("COGNITO_CLIENT_ID"));
        assert!(
            err.to_string()
                .contains("COGNITO_APP_CLIENT_ID is set: rename it to COGNITO_CLIENT_ID")
        );
    }

    #[test]
    fn env_values_are_parsed() {
        let pool = load(&[
            ("COGNITO_USER_POOL_ID", "local_abc12345"),
            ("COGNITO_CLIENT_ID", "a, b"),
            ("COGNITO_TOKEN_USE", "ID"),
            (
                "COGNITO_JWKS_URI",
                "http://127.0.0.1:9229/local_abc12345/.well-known/jwks.json",
            ),
            ("COGNITO_ISSUER", "http://127.0.0.1:9229/local_abc12345"),
        ])
        .unwrap();
        assert_eq!(pool.client_ids, ["a", "b"]);
        assert_eq!(pool.token_use, Some(AcceptedTokenUse::Id));
        let resolved = pool.resolve(0).unwrap();
        assert_eq!(resolved.issuers, ["http://127.0.0.1:9229/local_abc12345"]);
    }

    #[test]
    fn bad_values_name_the_variable() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (
                &[
                    ("COGNITO_USER_POOL_ID", "nounderscore"),
                    ("COGNITO_CLIENT_ID", "c"),
                ],
                "COGNITO_USER_POOL_ID",
            ),
            (
                &[
                    ("COGNITO_USER_POOL_ID", "eu-west-1_a"),
                    ("COGNITO_CLIENT_ID", "a,,b"),
                ],
                "COGNITO_CLIENT_ID",
            ),
            (
                &[
                    ("COGNITO_USER_POOL_ID", "eu-west-1_a"),
                    ("COGNITO_CLIENT_ID", "c"),
                    ("COGNITO_TOKEN_USE", "refresh"),
                ],
                "COGNITO_TOKEN_USE",
            ),
            (
                &[
                    ("COGNITO_USER_POOL_ID", "eu-west-1_a"),
                    ("COGNITO_CLIENT_ID", "c"),
                    ("COGNITO_JWKS_URI", "ftp://x"),
                ],
                "COGNITO_JWKS_URI",
            ),
            (
                &[
                    ("COGNITO_USER_POOL_ID", "eu-west-1_a"),
                    ("COGNITO_CLIENT_ID", "c"),
                    ("COGNITO_ISSUER", "not a url"),
                ],
                "COGNITO_ISSUER",
            ),
            (
                &[("COGNITO_USER_POOL_ID", ""), ("COGNITO_CLIENT_ID", "c")],
                "COGNITO_USER_POOL_ID",
            ),
        ];
        for (vars, name) in cases {
            let err = load(vars).unwrap_err();
            assert_eq!(err.name(), Some(*name), "{err}");
        }
    }

    #[test]
    fn resource_binding_is_read_and_checked() {
        let pool = [
            ("COGNITO_USER_POOL_ID", "eu-west-1_abc"),
            ("COGNITO_CLIENT_ID", "web, sdk"),
        ];
        let with = |vars: &[(&str, &str)]| {
            let mut all = pool.to_vec();
            all.extend_from_slice(vars);
            load(&all)
        };
        let unset = with(&[("COGNITO_ISSUER_HOSTS", "both")]).unwrap();
        assert!(unset.resources.is_empty() && unset.unbound_clients.is_empty());
        let set = with(&[
            (
                "COGNITO_RESOURCE",
                " https://api.example.com , https://api.example.com/v2",
            ),
            ("COGNITO_UNBOUND_CLIENTS", "sdk"),
        ])
        .unwrap();
        assert_eq!(
            set.resources,
            ["https://api.example.com", "https://api.example.com/v2"]
        );
        assert_eq!(set.unbound_clients, ["sdk"]);
        set.resolve(0).unwrap();
        for (vars, name, says) in [
            (
                &[("COGNITO_RESOURCE", "https://a,,https://b")][..],
                "COGNITO_RESOURCE",
                "empty entry",
            ),
            (
                &[("COGNITO_UNBOUND_CLIENTS", "sdk")][..],
                "COGNITO_UNBOUND_CLIENTS",
                "without COGNITO_RESOURCE",
            ),
            (
                &[
                    ("COGNITO_RESOURCE", "https://api.example.com"),
                    ("COGNITO_UNBOUND_CLIENTS", "sdk,mobile"),
                ][..],
                "COGNITO_UNBOUND_CLIENTS",
                "\"mobile\" is not one of the app clients",
            ),
            (
                &[("COGNITO_RESOURCES", "https://api.example.com")][..],
                "COGNITO_RESOURCE",
                "COGNITO_RESOURCES is set: rename it to COGNITO_RESOURCE",
            ),
            (
                &[
                    ("COGNITO_RESOURCE", "https://api.example.com"),
                    ("COGNITO_UNBOUND_CLIENT", "sdk"),
                ][..],
                "COGNITO_UNBOUND_CLIENTS",
                "COGNITO_UNBOUND_CLIENT is set: rename it to COGNITO_UNBOUND_CLIENTS",
            ),
        ] {
            let err = with(vars).unwrap_err();
            assert_eq!(err.name(), Some(name), "{err}");
            assert!(err.to_string().contains(says), "{err}");
        }
    }

    #[test]
    fn pool_ids() {
        for ok in [
            "us-east-1_AbC123xyz",
            "us-gov-west-1_a",
            "local_abc12345",
            "us-east-1_0123456789abcdef0123456789abcdef",
        ] {
            assert!(pool_region(ok, "x").is_ok(), "{ok}");
        }
        for bad in [
            "",
            "_abc",
            "us-east-1_",
            "us-east-1_ab-c",
            "US-EAST-1_a",
            "us-east-1_a/b",
        ] {
            assert!(pool_region(bad, "x").is_err(), "{bad}");
        }
    }

    #[test]
    fn issuers_are_derived() {
        let pool = UserPool::new("eu-west-1_abc")
            .client_id("c")
            .token_use(AcceptedTokenUse::Any)
            .issuer_hosts(IssuerHosts::Both)
            .replica_region("eu-central-1")
            .resolve(0)
            .unwrap();
        assert_eq!(
            pool.issuers,
            [
                "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc",
                "https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc",
                "https://cognito-idp.eu-central-1.amazonaws.com/eu-west-1_abc",
                "https://issuer-cognito-idp.eu-central-1.amazonaws.com/eu-west-1_abc",
            ]
        );
        assert_eq!(
            pool.jwks_uri,
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc/.well-known/jwks.json"
        );
    }

    #[test]
    fn both_issuer_hosts_by_default_and_either_alone_on_request() {
        let issuers = |vars: &[(&str, &str)]| {
            let mut all = vec![
                ("COGNITO_USER_POOL_ID", "eu-west-1_abc"),
                ("COGNITO_CLIENT_ID", "c"),
            ];
            all.extend_from_slice(vars);
            load(&all)
                .and_then(|pool| pool.resolve(0))
                .map(|pool| (pool.issuers, pool.jwks_uri))
        };
        let original = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc";
        let updated = "https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc";
        let keys = format!("{original}/.well-known/jwks.json");
        assert_eq!(
            issuers(&[]).unwrap(),
            (vec![original.to_owned(), updated.to_owned()], keys.clone())
        );
        assert_eq!(
            issuers(&[("COGNITO_ISSUER_HOSTS", "both")]).unwrap().0,
            [original, updated]
        );
        assert_eq!(
            issuers(&[("COGNITO_ISSUER_HOSTS", "original")]).unwrap(),
            (vec![original.to_owned()], keys.clone())
        );
        // The keys stay under the original host.
        assert_eq!(
            issuers(&[("COGNITO_ISSUER_HOSTS", "Updated")]).unwrap(),
            (vec![updated.to_owned()], keys)
        );
        for (vars, name) in [
            (
                &[("COGNITO_ISSUER_HOSTS", "all")][..],
                "COGNITO_ISSUER_HOSTS",
            ),
            (
                &[
                    ("COGNITO_ISSUER_HOSTS", "original"),
                    ("COGNITO_ISSUER", "http://127.0.0.1:9229/local_abc"),
                ][..],
                "COGNITO_ISSUER_HOSTS",
            ),
        ] {
            let err = issuers(vars).unwrap_err();
            assert_eq!(err.name(), Some(name), "{err}");
            assert!(!err.to_string().contains("\u{1b}"));
        }
        // An explicit issuer is exactly the issuer accepted.
        assert_eq!(
            issuers(&[("COGNITO_ISSUER", "http://127.0.0.1:9229/local_abc")])
                .unwrap()
                .0,
            ["http://127.0.0.1:9229/local_abc"]
        );
    }
}
