//! The verifier's variables as command-line flags: one table, each flag
//! falling back to its variable, read by the core's own loaders through a
//! lookup, so that a value means the same from a flag as from the
//! environment.

use std::collections::BTreeMap;

use clap::{Arg, ArgMatches, Args, Command, FromArgMatches};

/// The verifier's variables the gateway takes as flags: (flag, variable,
/// help). A variable the core reads that is not here (a rule variable
/// added later) is still read from the environment; adding its flag is
/// one line.
pub(crate) const VERIFIER_FLAGS: &[(&str, &str, &str)] = &[
    (
        "revocation-redis-url",
        "REVOCATION_REDIS_URL",
        "The Redis every replica's revocation list follows (sign-outs); unset: no revocation list",
    ),
    (
        "revocation-fail",
        "REVOCATION_FAIL",
        "While the revocation list is out of sync: closed (503, the default) or open",
    ),
    (
        "revocation-max-staleness",
        "REVOCATION_MAX_STALENESS",
        "Seconds Redis may stay silent before the list is out of sync (default 60)",
    ),
    (
        "revocation-session-ttl",
        "REVOCATION_SESSION_TTL",
        "Seconds a revoked session is kept (default 2592000)",
    ),
    (
        "revocation-max-entries",
        "REVOCATION_MAX_ENTRIES",
        "The bound on revocations held (default 1000000)",
    ),
    (
        "revocation-probe",
        "COGNITO_REVOCATION_PROBE",
        "1: ask Cognito's GetUser about access tokens in the background and revoke ended sessions",
    ),
    (
        "idp-endpoint",
        "COGNITO_IDP_ENDPOINT",
        "Cognito's API endpoint for the probe (emulators)",
    ),
    (
        "user-pool-id",
        "COGNITO_USER_POOL_ID",
        "User pool id, REGION_ID; chooses the Cognito verifier",
    ),
    (
        "client-id",
        "COGNITO_CLIENT_ID",
        "Accepted app client ids, comma-separated",
    ),
    (
        "token-use",
        "COGNITO_TOKEN_USE",
        "Which tokens to accept: access, id or any",
    ),
    (
        "jwks-uri",
        "COGNITO_JWKS_URI",
        "Key set URL override (emulators)",
    ),
    (
        "issuer",
        "COGNITO_ISSUER",
        "Expected iss override (emulators)",
    ),
    (
        "issuer-hosts",
        "COGNITO_ISSUER_HOSTS",
        "AWS issuer hosts iss may name: both, original or updated",
    ),
    (
        "jwks-file",
        "COGNITO_JWKS_FILE",
        "A key-set seed file that serves until the first fetch",
    ),
    (
        "resource",
        "COGNITO_RESOURCE",
        "Resources access tokens may be bound to (aud), comma-separated",
    ),
    (
        "unbound-clients",
        "COGNITO_UNBOUND_CLIENTS",
        "App clients whose access tokens carry no aud, comma-separated",
    ),
    (
        "oidc-issuer",
        "OIDC_ISSUER",
        "An OpenID Connect issuer; chooses the generic verifier",
    ),
    (
        "oidc-audience",
        "OIDC_AUDIENCE",
        "Accepted audiences, comma-separated",
    ),
    (
        "oidc-jwks-uri",
        "OIDC_JWKS_URI",
        "Key set URL (otherwise discovery)",
    ),
    (
        "oidc-algorithms",
        "OIDC_ALGORITHMS",
        "Accepted algorithms, comma-separated (default RS256)",
    ),
    (
        "alb-arn",
        "ALB_ARN",
        "Load balancer ARNs, comma-separated; chooses the ALB verifier",
    ),
    (
        "alb-client-id",
        "ALB_CLIENT_ID",
        "Accepted app client ids of the load balancer, comma-separated",
    ),
    (
        "alb-issuer",
        "ALB_ISSUER",
        "The identity provider the header must name",
    ),
    (
        "alb-keys-url",
        "ALB_KEYS_URL",
        "Fetch keys from BASE/KID instead of the region's endpoint",
    ),
    (
        "required-claims",
        "REQUIRED_CLAIMS",
        "Claim rules every token must meet, separated by ;",
    ),
    (
        "public-url",
        "PUBLIC_URL",
        "The external base URL clients call: turns DPoP (RFC 9449) on, proofs naming it and the path",
    ),
    (
        "dpop-nonce-secret",
        "DPOP_NONCE_SECRET",
        "With --public-url: require DPoP nonces derived from this secret (at least 32 bytes)",
    ),
];

/// The values of [`VERIFIER_FLAGS`] given, by variable name.
#[derive(Debug, Clone, Default)]
pub(crate) struct VerifierFlags {
    values: BTreeMap<&'static str, String>,
}

impl VerifierFlags {
    /// The value of `variable`: its flag's (clap falls back to the
    /// variable itself), else the environment's.
    pub(crate) fn lookup(&self, variable: &str) -> Option<String> {
        match self.values.get(variable) {
            Some(value) => Some(value.clone()),
            None if VERIFIER_FLAGS.iter().any(|(_, v, _)| *v == variable) => None,
            None => std::env::var(variable).ok(),
        }
    }
}

impl FromArgMatches for VerifierFlags {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let mut flags = Self::default();
        flags.update_from_arg_matches(matches)?;
        Ok(flags)
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        for (flag, variable, _) in VERIFIER_FLAGS {
            if let Some(value) = matches.get_one::<String>(flag) {
                self.values.insert(variable, value.clone());
            }
        }
        Ok(())
    }
}

impl Args for VerifierFlags {
    fn augment_args(command: Command) -> Command {
        VERIFIER_FLAGS
            .iter()
            .fold(command, |command, (flag, variable, help)| {
                command.arg(
                    Arg::new(*flag)
                        .long(*flag)
                        .env(*variable)
                        .value_name("VALUE")
                        .help(*help)
                        .hide_env_values(true)
                        .help_heading("Verifier (the example servers' variables)"),
                )
            })
    }

    fn augment_args_for_update(command: Command) -> Command {
        Self::augment_args(command)
    }
}
