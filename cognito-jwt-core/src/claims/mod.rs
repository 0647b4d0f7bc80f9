//! Claims: the one parser of a token's payload, the read-only view the
//! checks and hooks see, and the built-in Cognito claims types.

mod cognito;
mod payload;
mod view;

pub use cognito::{AccessTokenClaims, IdTokenClaims};
pub(crate) use payload::{ALLOCATION_OVERHEAD, Payload, Text, json_problem};
pub use view::ClaimsView;
