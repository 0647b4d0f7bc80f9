//! The integration tests, one module per behaviour.

mod alb;
mod attacker_text;
mod dpop;
mod extractors_and_middleware;
mod oidc;
