//! The OpenID Connect face: [`Issuer`] (with loading from the
//! environment), the claim rules of any issuer, [`JwtVerifier`] with its
//! builder, and issuers found at run time by an [`IssuerResolver`].

mod builder;
mod env;
mod issuer;
mod resolver;
mod rules;
mod tenants;
mod verifier;

pub use builder::JwtVerifierBuilder;
pub use env::OIDC_ENV_VARS;
pub use issuer::Issuer;
pub use resolver::{IssuerResolver, ResolveError};
pub use verifier::JwtVerifier;
