//! Keys: parsing, fetching and caching, for key-set documents (JWKS) and
//! for one PEM document per `kid` (load balancers), on one lifecycle.

mod cache;
mod discovery;
mod fetch;
mod gate;
mod keys;
mod options;
mod pem;
mod seed;
mod sources;

pub(crate) use cache::{KeyCache, KeyLookup, SourceSpec};
pub(crate) use discovery::{Discovery, metadata_url};
#[cfg(feature = "reqwest")]
pub use fetch::ReqwestFetcher;
pub use fetch::{FetchError, FetchFuture, JwksFetcher, MAX_JWKS_BYTES};
pub(crate) use fetch::{FetchOutcome, FetchReason, default_fetcher};
#[cfg(all(test, feature = "testing"))]
pub(crate) use keys::rsa_public_key_der;
pub(crate) use keys::{MAX_KID_LEN, Material, VerifyingKey};
pub use options::KeySetOptions;
#[cfg(feature = "testing")]
pub(crate) use pem::p256_pem;
pub(crate) use seed::Seed;
