//! Claims: the one parser of a token's payload, the read-only view the
//! checks and hooks see, and the built-in Cognito claims types.

mod cognito;
mod payload;
mod standard;
mod view;

pub use cognito::{AccessTokenClaims, IdTokenClaims};
pub(crate) use payload::{
    ALLOCATION_OVERHEAD, KNOWN_CLAIMS, NumericDate, Payload, SeenKeys, Text, issuer_of,
    json_problem,
};
pub use standard::StandardClaims;
pub use view::ClaimsView;
pub(crate) use view::{GroupsClaim, Profile};
