//! Key sets: parsing, fetching and caching.

mod cache;
mod discovery;
mod fetch;
mod keys;
mod options;

pub(crate) use cache::{KeyCache, KeyLookup, Seed, SourceSpec};
pub(crate) use discovery::{Discovery, metadata_url};
#[cfg(feature = "reqwest")]
pub use fetch::ReqwestFetcher;
pub use fetch::{FetchError, FetchFuture, JwksFetcher, MAX_JWKS_BYTES};
pub(crate) use fetch::{FetchOutcome, FetchReason, default_fetcher};
#[cfg(all(test, feature = "testing"))]
pub(crate) use keys::rsa_public_key_der;
pub(crate) use keys::{MAX_KID_LEN, VerifyingKey};
pub use options::KeySetOptions;
