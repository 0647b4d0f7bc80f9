//! Per-route rules: read from the check URL the proxy's configuration
//! names (`/auth?any_group=admins&any_scope=orders:read`) or from Envoy's
//! `context_extensions`, never from a header a client could send.
//!
//! | parameter | meaning |
//! |---|---|
//! | `any_group` | the user must be in one of these groups (space-separated; repeatable) |
//! | `any_scope` | the token must carry one of these scopes (space-separated; repeatable) |
//! | `claim` | claim rules that must all hold, separated by `;` (`custom:tenant=acme`, see `REQUIRED_CLAIMS`) |
//! | `any_acr` | step-up: the token's `acr` must be one of these (space-separated) |
//! | `all_amr` | step-up: the token's `amr` must include every one of these (space-separated) |
//! | `max_auth_age` | step-up: the user signed in at most this many seconds ago |
//! | `anonymous` | `allow` or `deny`: this route's answer to a request without a token; default `GATEWAY_ANONYMOUS`, except that a route with any other rule denies it |
//!
//! Lists are space-separated because group names may contain commas but
//! never spaces. An unknown parameter, a malformed value or `anonymous`
//! named twice (a proxy that appends the client's query string to the
//! check URL) refuses every request of the route (500): a misspelt rule
//! must not open a route.

use std::time::Duration;

use cognito_jwt_core::Requirements;

/// What a request without credentials gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Anonymous {
    /// 401 with a bare challenge, as the example servers' `/api/me`.
    Deny,
    /// Through, every identity header empty, as their
    /// `/api/activities/home`; a bad token is still refused.
    Allow,
}

/// The rules of one route.
#[derive(Debug, Default)]
pub(crate) struct RouteRules {
    /// Checked by the verifier, on top of the gateway's own.
    pub(crate) requirements: Requirements,
    /// The route's answer to a request without credentials, when it says.
    pub(crate) anonymous: Option<Anonymous>,
}

impl RouteRules {
    /// The rules of `pairs` (name, value), from a query string or
    /// `context_extensions`.
    ///
    /// # Errors
    /// A fixed description of the first problem, without the value.
    pub(crate) fn parse<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, &'static str> {
        let mut requirements = Requirements::new();
        let mut anonymous = None;
        let mut has_rule = false;
        for (name, value) in pairs {
            let items = || value.split(' ').filter(|item| !item.is_empty());
            match name {
                "any_group" => requirements = items().fold(requirements, Requirements::any_group),
                "any_scope" => requirements = items().fold(requirements, Requirements::any_scope),
                "any_acr" => requirements = items().fold(requirements, Requirements::any_acr),
                "all_amr" => requirements = items().fold(requirements, Requirements::all_amr),
                "claim" => {
                    requirements = requirements
                        .claim_rules(value)
                        .map_err(|_| "a claim rule is malformed")?;
                }
                "max_auth_age" => {
                    let seconds = value
                        .parse::<u64>()
                        .map_err(|_| "max_auth_age is not a number of seconds")?;
                    requirements = requirements.max_auth_age(Duration::from_secs(seconds));
                }
                "anonymous" => {
                    // Named once by the route's configuration: a second one
                    // is a proxy that appended the client's query.
                    if anonymous.is_some() {
                        return Err("anonymous is named twice");
                    }
                    anonymous = Some(match value {
                        "allow" => Anonymous::Allow,
                        "deny" => Anonymous::Deny,
                        _ => return Err("anonymous is neither allow nor deny"),
                    });
                    continue;
                }
                _ => return Err("an unknown parameter is named"),
            }
            if value.trim().is_empty() {
                return Err("a rule has an empty value");
            }
            has_rule = true;
        }
        requirements
            .validate()
            .map_err(|_| "a rule has an empty or malformed value")?;
        // A route that asks for a group or a claim asks for a token.
        if has_rule && anonymous.is_none() {
            anonymous = Some(Anonymous::Deny);
        }
        Ok(Self {
            requirements,
            anonymous,
        })
    }

    /// The rules of a check URL's query string (`None`: no rules).
    ///
    /// # Errors
    /// As [`parse`](Self::parse).
    pub(crate) fn from_query(query: Option<&str>) -> Result<Self, &'static str> {
        match query {
            None | Some("") => Ok(Self::default()),
            Some(query) => {
                let pairs: Vec<_> = form_urlencoded::parse(query.as_bytes()).collect();
                Self::parse(pairs.iter().map(|(k, v)| (k.as_ref(), v.as_ref())))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_come_from_the_query_and_imply_a_token() {
        let rules = RouteRules::from_query(Some("any_group=admins+ops&any_scope=orders%3Aread"))
            .expect("rules");
        assert_eq!(rules.anonymous, Some(Anonymous::Deny));
        assert!(!rules.requirements.is_empty());
        let open = RouteRules::from_query(Some("anonymous=allow")).expect("rules");
        assert_eq!(open.anonymous, Some(Anonymous::Allow));
        assert!(open.requirements.is_empty());
        let none = RouteRules::from_query(None).expect("rules");
        assert_eq!(none.anonymous, None);
    }

    #[test]
    fn a_rule_the_gateway_cannot_read_is_an_error_never_a_pass() {
        for query in [
            "any_groups=admins",
            "any_group=",
            "any_group=+",
            "claim=custom:tenant",
            "max_auth_age=soon",
            "anonymous=maybe",
            "anonymous=deny&anonymous=allow",
            "x=1",
        ] {
            assert!(RouteRules::from_query(Some(query)).is_err(), "{query}");
        }
    }
}
