//! The engine: the one pipeline every verifier kind runs (split, header,
//! key, signature, claims, issuer, the kind's rules, requirements, custom
//! check, claims type), the settings it is made from, and its verified-token
//! cache.
//!
//! It knows no verifier kind: each face (Cognito, OpenID Connect) gives it
//! its issuers with their [`Rules`].

mod checks;
mod dpop;
mod pipeline;
mod settings;
mod token_cache;
mod trusted;

pub(crate) use checks::check_dates;
pub(crate) use dpop::Presented;
pub(crate) use pipeline::{Inner, Pool, Rules};
pub(crate) use settings::{Common, MIN_TOKEN_CACHE_BYTES, Trusted, common_setters};
pub(crate) use token_cache::TokenCache;
pub use trusted::TrustedIssuer;
pub(crate) use trusted::{IssuerSettings, Unbuilt};
