//! The integration tests, one module per behaviour.

mod authorizer_events;
mod blank_requirements;
mod oidc_issuer;
mod support;
