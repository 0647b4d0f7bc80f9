//! ALB mode: behind an Application Load Balancer that authenticates users,
//! the servers take the identity from the `x-amzn-oidc-data` header it
//! signs instead of a bearer token.

use cognito_jwt_core::{AlbClaims, AlbJwtVerifier, ConfigError};

use crate::config::{invalid, variable};
use crate::feed::{Activity, HomeFeed, Me, public_activities};

/// The variables of ALB mode, in the order [`alb_verifier_from_env`]
/// reads them.
///
/// | variable | meaning |
/// |---|---|
/// | `ALB_ARN` | the load balancers whose headers are trusted (comma-separated); setting it turns ALB mode on |
/// | `ALB_CLIENT_ID` | accepted app client ids (comma-separated); default any |
/// | `ALB_ISSUER` | the identity provider the header must name; default any |
/// | `ALB_KEYS_URL` | fetch keys from `<base>/<kid>` instead of the region's endpoint (`http` allowed) |
pub const ALB_VARS: [&str; 4] = ["ALB_ARN", "ALB_CLIENT_ID", "ALB_ISSUER", "ALB_KEYS_URL"];

/// The load balancer verifier that [`ALB_VARS`] configure, or `None` when
/// `ALB_ARN` is not set (bearer mode). Does no I/O.
///
/// # Errors
/// A [`ConfigError`] naming the variable that is wrong.
pub fn alb_verifier_from_env() -> Result<Option<AlbJwtVerifier>, ConfigError> {
    let Some(arns) = variable("ALB_ARN")? else {
        return Ok(None);
    };
    let mut builder = AlbJwtVerifier::builder();
    for arn in list(&arns) {
        builder = builder.load_balancer_arn(arn);
    }
    if let Some(client_ids) = variable("ALB_CLIENT_ID")? {
        for client_id in list(&client_ids) {
            builder = builder.client_id(client_id);
        }
    }
    if let Some(issuer) = variable("ALB_ISSUER")? {
        builder = builder.issuer(issuer);
    }
    if let Some(base) = variable("ALB_KEYS_URL")? {
        builder = builder.keys_url(base);
    }
    builder.build().map(Some).map_err(|error| {
        let name = match error.name().unwrap_or("") {
            n if n.contains("client_id") => "ALB_CLIENT_ID",
            n if n.contains("issuer") => "ALB_ISSUER",
            n if n.contains("keys_url") => "ALB_KEYS_URL",
            _ => "ALB_ARN",
        };
        invalid(name, error.to_string())
    })
}

fn list(value: &str) -> impl Iterator<Item = &str> {
    value.split(',').map(str::trim).filter(|v| !v.is_empty())
}

/// The name to show for a load balancer's claims: `username`, else
/// `email`, else `sub`.
pub fn alb_display_name(claims: &AlbClaims) -> &str {
    claims
        .username
        .as_deref()
        .or(claims.email.as_deref())
        .unwrap_or(&claims.sub)
}

/// The home feed for a user the load balancer signed in (or `None`),
/// worded as [`home_feed`](crate::home_feed) words it for a bearer token.
pub fn alb_home_feed(user: Option<&AlbClaims>) -> HomeFeed {
    let mut activities = public_activities();
    let signed_in_as = user.map(|claims| alb_display_name(claims).to_owned());
    if let Some(name) = &signed_in_as {
        activities.insert(
            0,
            Activity {
                handle: "cruddur".to_owned(),
                message: format!("Welcome back, {name}! 2 new crudds since your last visit."),
            },
        );
    }
    HomeFeed {
        signed_in_as,
        activities,
    }
}

/// `/api/me` in ALB mode: the header carries no groups or scopes.
impl From<&AlbClaims> for Me {
    fn from(claims: &AlbClaims) -> Self {
        Self {
            sub: claims.sub.clone(),
            username: claims.username.clone(),
            groups: Vec::new(),
            scopes: Vec::new(),
        }
    }
}
