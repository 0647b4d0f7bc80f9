//! Test helpers: a local Cognito-like issuer that generates keys, mints ID
//! and access tokens (genuine or deliberately broken), and produces its key
//! set. Enable the `testing` feature in `[dev-dependencies]` only.
//!
//! ```
//! use cognito_jwt_core::testing::TestIssuer;
//! use cognito_jwt_core::{AccessTokenClaims, TokenUse};
//!
//! let issuer = TestIssuer::new("eu-west-1_TestPool1");
//! let verifier = issuer.verifier("my-client", TokenUse::Access); // keys already cached
//!
//! let token = issuer.access_token("my-client").group("admins").sign();
//! let claims: AccessTokenClaims = verifier.verify_sync(&token).unwrap();
//! assert!(claims.in_group("admins"));
//!
//! let expired = issuer.access_token("my-client").expires_in(-60).sign();
//! assert!(verifier.verify_sync::<AccessTokenClaims>(&expired).is_err());
//! ```

mod alb;
mod cognito;
mod fetchers;
mod keys;
mod token;

pub use alb::{AlbTokenBuilder, TestAlb, TestAlbKeys, b64_padded, random_uuid};
pub use cognito::{TestIssuer, TokenBuilder};
pub use fetchers::{ScriptedJwks, StaticJwks, TestIssuers, UnreachableJwks};
pub use keys::{RsaKeySize, RsaPadding, TestCurveKey, TestKey, b64, sign_parts};
