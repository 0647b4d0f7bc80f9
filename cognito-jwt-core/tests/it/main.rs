//! The core's integration tests, one module per behaviour. Tests that own
//! process-wide state (the counting allocator, the global tracing
//! subscriber) are in `tests/process`.
#![cfg(feature = "testing")]

mod alb;
mod attacker_text;
mod bounds_under_floods;
mod claim_checks;
mod claim_rules;
mod configuration;
mod dpop;
mod fuzz_regressions;
mod header_and_signature;
mod http_authenticate;
mod key_set_cache;
mod key_set_faults;
mod key_set_lifecycle;
#[cfg(feature = "metrics")]
mod metrics;
mod oidc;
mod one_claims_parser;
mod properties;
mod resource_binding;
mod review_alb;
mod review_key_sets;
mod review_surface;
mod review_tenants;
mod revocation;
mod size_limits;
mod support;
mod tenants;
mod token_shapes;
