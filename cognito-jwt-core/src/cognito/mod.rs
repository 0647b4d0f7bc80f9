//! The Cognito face: [`UserPool`] (with loading from the environment),
//! Cognito's own claim rules, and [`CognitoJwtVerifier`] with its builder.

mod builder;
mod env;
mod rules;
mod user_pool;
mod verifier;

pub use builder::CognitoJwtVerifierBuilder;
pub use env::ENV_VARS;
pub use user_pool::{AcceptedTokenUse, IssuerHosts, UserPool};
pub use verifier::CognitoJwtVerifier;
