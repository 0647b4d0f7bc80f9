//! The `cognito-jwt` command, run as a built binary: one module per
//! subcommand family.

mod alb_verify;
mod commands;
mod gateway;
mod revoke;
mod support;
mod token_text;
