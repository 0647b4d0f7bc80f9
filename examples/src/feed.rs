//! The example app's data: a tiny social feed in the spirit of Cruddur,
//! and the JSON bodies of every route. Both servers answer with these.

use cognito_jwt_core::AccessTokenClaims;
use serde::Serialize;

/// One post in a feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Activity {
    /// Who posted it.
    pub handle: String,
    /// What they said.
    pub message: String,
}

impl Activity {
    fn new(handle: &str, message: impl Into<String>) -> Self {
        Self {
            handle: handle.to_owned(),
            message: message.into(),
        }
    }
}

/// The body of `GET /api/activities/home`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct HomeFeed {
    /// The signed-in user's name, `null` for anonymous visitors.
    pub signed_in_as: Option<String>,
    /// The public activities, plus one for the user when signed in.
    pub activities: Vec<Activity>,
}

/// The feed everybody sees.
pub fn public_activities() -> Vec<Activity> {
    vec![
        Activity::new("andrewbrown", "Cloud is very fun!"),
        Activity::new("worf", "I am out of prune juice"),
        Activity::new("garek", "My dear doctor, I am just a simple tailor."),
    ]
}

/// The home feed: the public activities, and for a signed-in user one more
/// that names them.
pub fn home_feed(user: Option<&AccessTokenClaims>) -> HomeFeed {
    let mut activities = public_activities();
    let signed_in_as = user.map(|claims| display_name(claims).to_owned());
    if let Some(name) = &signed_in_as {
        activities.insert(
            0,
            Activity::new(
                "cruddur",
                format!("Welcome back, {name}! 2 new crudds since your last visit."),
            ),
        );
    }
    HomeFeed {
        signed_in_as,
        activities,
    }
}

/// The name to show for a token: its `username`, or its `sub` for
/// machine-to-machine tokens, which have no user.
pub fn display_name(claims: &AccessTokenClaims) -> &str {
    claims.username().unwrap_or(claims.sub())
}

/// The body of `GET /api/me`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Me {
    /// The user's id.
    pub sub: String,
    /// The user name (absent for machine-to-machine tokens).
    pub username: Option<String>,
    /// `cognito:groups`.
    pub groups: Vec<String>,
    /// The OAuth scopes of the token.
    pub scopes: Vec<String>,
}

impl From<&AccessTokenClaims> for Me {
    fn from(claims: &AccessTokenClaims) -> Self {
        Self {
            sub: claims.sub().to_owned(),
            username: claims.username().map(str::to_owned),
            groups: claims.groups().map(str::to_owned).collect(),
            scopes: claims.scopes().map(str::to_owned).collect(),
        }
    }
}

/// The body of `GET /api/admin`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct AdminArea {
    /// A greeting.
    pub message: String,
    /// Who was let in.
    pub admin: String,
}

impl From<&AccessTokenClaims> for AdminArea {
    fn from(claims: &AccessTokenClaims) -> Self {
        Self {
            message: "welcome to the admin area".to_owned(),
            admin: display_name(claims).to_owned(),
        }
    }
}

/// The body of `GET /api/mfa`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct MfaArea {
    /// A greeting.
    pub message: String,
    /// Who was let in.
    pub user: String,
}

impl From<&AccessTokenClaims> for MfaArea {
    fn from(claims: &AccessTokenClaims) -> Self {
        Self {
            message: "signed in with a second factor".to_owned(),
            user: display_name(claims).to_owned(),
        }
    }
}

/// The body of `GET /health`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Health {
    /// Always `"ok"`.
    pub status: &'static str,
}

/// The health answer.
pub const HEALTHY: Health = Health { status: "ok" };
