//! The integration tests, one module per behaviour.

mod alb_mode;
mod browser;
mod demo;
mod dpop;
mod lambda_binaries;
mod probe;
mod revocation;
mod route_table;
mod server_binaries;
mod soak;
mod support;
