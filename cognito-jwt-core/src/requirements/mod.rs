//! What a request must carry beyond a valid token: groups, scopes, claim
//! rules, and a strong or recent enough sign-in.

mod claim_rule;
mod step_up;

use std::time::Duration;

use crate::claims::ClaimsView;
use crate::error::{ChallengeParams, ConfigError, Error, ErrorKind};

pub use claim_rule::ClaimRule;
use claim_rule::check_claim_rules;
use step_up::StepUp;

/// What a request must carry, checked after the token is verified:
/// groups and scopes (each list any-of; when both are set, both must
/// match), [claim rules](ClaimRule) (all must hold), and for step-up
/// authentication (RFC 9470) an `acr` (any of), `amr` methods (all of)
/// and a maximum age of the sign-in (`auth_time`).
///
/// A missing group or scope, or a claim rule that does not hold, is a 403
/// ([`ErrorKind::MissingGroup`], [`ErrorKind::MissingScope`],
/// [`ErrorKind::ClaimMismatch`]); a sign-in not strong or recent enough is
/// a 401 [`ErrorKind::InsufficientUserAuthentication`] whose challenge
/// carries `acr_values` and `max_age` when those are required. Groups and
/// scopes are checked first: signing in again would not help a user
/// outside the group.
///
/// A name that is empty or only whitespace names no group or scope (it
/// could only ever match an empty entry, a scope claim of `""`, say), so
/// it is refused: the verifier builders' `require_any_group` and
/// `require_any_scope` fail to build with a [`ConfigError`] naming the
/// setting, and [`validate`](Self::validate) says so for requirements you
/// build yourself (per route, say): call it at start-up. Requirements
/// holding such a name that are checked all the same refuse every token
/// ([`ErrorKind::MissingGroup`] or [`ErrorKind::MissingScope`], 403),
/// whatever its claims: a typo never lets everyone through.
///
/// ```
/// use cognito_jwt_core::Requirements;
///
/// let admins = Requirements::new().any_group("admins");
/// let writers = Requirements::new().any_scope("orders/write").any_scope("orders/admin");
/// assert!(writers.validate().is_ok());
///
/// let typo = Requirements::new().any_scope(" ");
/// assert_eq!(typo.validate().unwrap_err().name(), Some("any_scope"));
///
/// // Step-up: a second factor, within the last ten minutes.
/// let payments = Requirements::new()
///     .all_amr("mfa")
///     .max_auth_age(std::time::Duration::from_secs(600));
/// assert!(payments.validate().is_ok());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Requirements {
    groups: Vec<String>,
    scopes: Vec<String>,
    claims: Vec<ClaimRule>,
    step_up: StepUp,
}

/// No requirements, for the calls that take none (no value is built and
/// dropped per verification).
pub(crate) static NONE: Requirements = Requirements::new();

impl Requirements {
    /// No requirements.
    pub const fn new() -> Self {
        Self {
            groups: Vec::new(),
            scopes: Vec::new(),
            claims: Vec::new(),
            step_up: StepUp {
                acr: Vec::new(),
                amr: Vec::new(),
                max_auth_age: None,
            },
        }
    }

    /// Require `rule` to hold (every rule given must hold).
    #[must_use]
    pub fn claim(mut self, rule: ClaimRule) -> Self {
        self.claims.push(rule);
        self
    }

    /// Require every rule of `rules`, separated by `;` in the
    /// [`ClaimRule`] grammar (`custom:tenant=acme; email_verified:=true`).
    ///
    /// # Errors
    /// A [`ConfigError`] naming `claim_rules` and quoting the malformed rule.
    pub fn claim_rules(mut self, rules: &str) -> Result<Self, ConfigError> {
        self.claims
            .extend(ClaimRule::parse_list(rules, "claim_rules")?);
        Ok(self)
    }

    /// Accept a sign-in whose `acr` (authentication context class) is
    /// `acr` (any of the values given). A token with another or no `acr`
    /// is refused with [`ErrorKind::InsufficientUserAuthentication`], and
    /// the challenge lists the values in `acr_values`.
    #[must_use]
    pub fn any_acr(mut self, acr: impl Into<String>) -> Self {
        self.step_up.acr.push(acr.into());
        self
    }

    /// Require `amr` (the authentication methods used, such as `mfa`) to
    /// include `method`; several calls mean all of them.
    #[must_use]
    pub fn all_amr(mut self, method: impl Into<String>) -> Self {
        self.step_up.amr.push(method.into());
        self
    }

    /// Require the user to have signed in (`auth_time`) at most `age` ago,
    /// in whole seconds; a token without `auth_time` is refused. The
    /// challenge carries `max_age`.
    #[must_use]
    pub fn max_auth_age(mut self, age: Duration) -> Self {
        self.step_up.max_auth_age = Some(age);
        self
    }

    /// Accept members of `group` (any of the groups given).
    #[must_use]
    pub fn any_group(mut self, group: impl Into<String>) -> Self {
        self.groups.push(group.into());
        self
    }

    /// Accept tokens carrying `scope` (any of the scopes given).
    #[must_use]
    pub fn any_scope(mut self, scope: impl Into<String>) -> Self {
        self.scopes.push(scope.into());
        self
    }

    /// Whether there is nothing to check.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
            && self.scopes.is_empty()
            && self.claims.is_empty()
            && self.step_up.is_empty()
    }

    /// Check that every group, scope, `acr` and `amr` named is a name (not
    /// empty, not only whitespace; `acr` values without spaces or quotes,
    /// since the challenge lists them space-separated), that claim rules
    /// name a claim and a value, and that a maximum sign-in age is at
    /// least a second.
    ///
    /// # Errors
    /// A [`ConfigError`] naming `any_group`, `any_scope`, `claim`,
    /// `any_acr`, `all_amr` or `max_auth_age`.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.validate_as("")
    }

    /// [`validate`](Self::validate), naming the settings as the caller's
    /// users know them: `prefix` then the name (`require_` then
    /// `any_group` for the builders' `require_any_group`).
    pub(crate) fn validate_as(&self, prefix: &str) -> Result<(), ConfigError> {
        let blank = |setting: &str, what: &str| {
            ConfigError::invalid(
                format!("{prefix}{setting}"),
                format!(
                    "a required {what} name is empty or only whitespace; name the {what}, or \
                     drop the requirement"
                ),
            )
        };
        if self.groups.iter().any(|g| is_blank(g)) {
            return Err(blank("any_group", "group"));
        }
        if self.scopes.iter().any(|s| is_blank(s)) {
            return Err(blank("any_scope", "scope"));
        }
        if let Some(problem) = self.claims.iter().find_map(ClaimRule::problem) {
            return Err(ConfigError::invalid(format!("{prefix}claim"), problem));
        }
        if self.step_up.acr.iter().any(|acr| {
            is_blank(acr) || acr.contains(|c: char| c.is_whitespace() || c == '"' || c == '\\')
        }) {
            return Err(ConfigError::invalid(
                format!("{prefix}any_acr"),
                "an acr value is empty or holds whitespace or quotes; name each class on its own",
            ));
        }
        if self.step_up.amr.iter().any(|m| is_blank(m)) {
            return Err(blank("all_amr", "authentication method"));
        }
        if self
            .step_up
            .max_auth_age
            .is_some_and(|age| age.as_secs() == 0)
        {
            return Err(ConfigError::invalid(
                format!("{prefix}max_auth_age"),
                "the age is under a second; give the longest time since sign-in to accept",
            ));
        }
        Ok(())
    }

    /// Check a token's groups and scopes.
    ///
    /// # Errors
    /// [`ErrorKind::MissingGroup`] or [`ErrorKind::MissingScope`].
    pub fn check<'a>(
        &self,
        mut groups: impl Iterator<Item = &'a str>,
        mut scopes: impl Iterator<Item = &'a str>,
    ) -> Result<(), Error> {
        if self.groups.iter().any(|g| is_blank(g)) {
            return Err(misconfigured(ErrorKind::MissingGroup, "group"));
        }
        if self.scopes.iter().any(|s| is_blank(s)) {
            return Err(misconfigured(ErrorKind::MissingScope, "scope"));
        }
        if !self.groups.is_empty() && !groups.any(|g| self.groups.iter().any(|r| r == g)) {
            return Err(Error::new(
                ErrorKind::MissingGroup,
                format!(
                    "the user is in none of the required groups ({}); add the user to one in Cognito",
                    self.groups.join(", ")
                ),
            ));
        }
        if !self.scopes.is_empty() && !scopes.any(|s| self.scopes.iter().any(|r| r == s)) {
            return Err(Error::new(
                ErrorKind::MissingScope,
                format!(
                    "the token carries none of the required scopes ({}); request one when signing in",
                    self.scopes.join(", ")
                ),
            )
            .with_challenge(ChallengeParams {
                scope: Some(self.scopes.join(" ").into()),
                ..ChallengeParams::default()
            }));
        }
        Ok(())
    }

    /// Check everything against a verified token's claims, `now` in
    /// seconds since the epoch. Costs nothing beyond the group and scope
    /// checks when no claim rule or step-up is required.
    /// The names of the claims its claim rules read.
    pub(crate) fn claim_names(&self) -> impl Iterator<Item = &str> {
        self.claims.iter().map(ClaimRule::name)
    }

    pub(crate) fn check_view(&self, view: &ClaimsView<'_>, now: u64) -> Result<(), Error> {
        if self.is_empty() {
            return Ok(());
        }
        self.check(view.groups(), view.scopes())?;
        if !self.claims.is_empty() {
            check_claim_rules(&self.claims, view)?;
        }
        if !self.step_up.is_empty() {
            self.step_up.check(view, now)?;
        }
        Ok(())
    }
}

/// Whether a required name names nothing.
fn is_blank(name: &str) -> bool {
    name.trim().is_empty()
}

/// Why every token is refused while a required name is blank.
fn misconfigured(kind: ErrorKind, what: &str) -> Error {
    Error::new(
        kind,
        format!(
            "a required {what} name is empty or only whitespace, so every token is refused; \
             fix the route's requirements (Requirements::validate says which)"
        ),
    )
}
