//! Claims: the one parser of a token's payload, the read-only view the
//! checks and hooks see, the built-in claims types, and [`TokenClaims`],
//! which every claims type implements.

mod cognito;
mod named;
mod payload;
mod scan;
mod standard;
mod token_claims;
mod token_use;
mod view;

pub use cognito::{AccessTokenClaims, IdTokenClaims};
pub(crate) use named::named_claims;
pub(crate) use payload::{
    ALLOCATION_OVERHEAD, Audience, KNOWN_CLAIMS, NumericDate, Payload, Text, issuer_of,
    json_problem,
};
pub use standard::StandardClaims;
pub use token_claims::TokenClaims;
pub use token_use::TokenUse;
pub use view::ClaimsView;
pub(crate) use view::{GroupsClaim, Profile};
