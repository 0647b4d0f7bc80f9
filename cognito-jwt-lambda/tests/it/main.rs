//! The integration tests, one module per behaviour.

mod authorizer_events;
mod oidc_issuer;
mod support;
