//! The integration tests, one module per behaviour.

mod alb;
mod attacker_text;
mod case_table;
mod dpop;
mod extractor;
mod layer;
mod oidc;
mod support;
