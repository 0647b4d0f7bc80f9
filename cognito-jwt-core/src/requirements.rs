//! Groups and scopes a request must carry.

use crate::claims::ClaimsView;
use crate::error::{ConfigError, Error, ErrorKind};

/// Groups and scopes a request must carry, checked after the token is
/// verified. Each list is any-of; when both are set, both must match.
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
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Requirements {
    groups: Vec<String>,
    scopes: Vec<String>,
}

impl Requirements {
    /// No requirements.
    pub const fn new() -> Self {
        Self {
            groups: Vec::new(),
            scopes: Vec::new(),
        }
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
        self.groups.is_empty() && self.scopes.is_empty()
    }

    /// Check that every group and scope named is a name: not empty, not
    /// only whitespace.
    ///
    /// # Errors
    /// A [`ConfigError`] naming `any_group` or `any_scope`.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.validate_as("any_group", "any_scope")
    }

    /// [`validate`](Self::validate), naming the settings as the caller's
    /// users know them.
    pub(crate) fn validate_as(&self, group: &str, scope: &str) -> Result<(), ConfigError> {
        let blank = |setting: &str, what: &str| {
            ConfigError::invalid(
                setting,
                format!(
                    "a required {what} name is empty or only whitespace; name the {what}, or \
                     drop the requirement"
                ),
            )
        };
        if self.groups.iter().any(|g| is_blank(g)) {
            return Err(blank(group, "group"));
        }
        if self.scopes.iter().any(|s| is_blank(s)) {
            return Err(blank(scope, "scope"));
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
            ));
        }
        Ok(())
    }

    pub(crate) fn check_view(&self, view: &ClaimsView<'_>) -> Result<(), Error> {
        self.check(view.groups(), view.scopes())
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
