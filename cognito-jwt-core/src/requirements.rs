//! Groups and scopes a request must carry.

use crate::claims::ClaimsView;
use crate::error::{Error, ErrorKind};

/// Groups and scopes a request must carry, checked after the token is
/// verified. Each list is any-of; when both are set, both must match.
///
/// ```
/// use cognito_jwt_core::Requirements;
///
/// let admins = Requirements::new().any_group("admins");
/// let writers = Requirements::new().any_scope("orders/write").any_scope("orders/admin");
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

    /// Check a token's groups and scopes.
    ///
    /// # Errors
    /// [`ErrorKind::MissingGroup`] or [`ErrorKind::MissingScope`].
    pub fn check<'a>(
        &self,
        mut groups: impl Iterator<Item = &'a str>,
        mut scopes: impl Iterator<Item = &'a str>,
    ) -> Result<(), Error> {
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
