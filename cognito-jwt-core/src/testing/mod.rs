//! Test helpers: local issuers that generate keys, mint tokens (genuine or
//! deliberately broken), and serve their key sets in-process, so that
//! tests of your own handlers never reach AWS or the network. Enable the
//! `testing` feature in `[dev-dependencies]` only.
//!
//! - [`TestIssuer`]: a Cognito user pool, its ID and access tokens
//!   ([`TokenBuilder`]), and a [`CognitoJwtVerifier`](crate::CognitoJwtVerifier)
//!   with its keys cached.
//! - [`TestOidcIssuer`]: any OpenID Connect issuer signing with any
//!   [`Algorithm`](crate::Algorithm), its RFC 9068 access tokens and ID
//!   tokens ([`OidcTokenBuilder`]), its discovery document, and a
//!   [`JwtVerifier`](crate::JwtVerifier) with its keys cached.
//! - [`TestAlb`]: an Application Load Balancer, its `x-amzn-oidc-data`
//!   values ([`AlbTokenBuilder`]) and its key endpoint ([`TestAlbKeys`]).
//! - [`DpopKey`]: a DPoP client's key, its proofs ([`DpopProofBuilder`],
//!   genuine or broken) and server nonces ([`dpop_nonce`]); tokens are
//!   bound to it with [`OidcTokenBuilder::bound_to`].
//! - [`TestIssuers`]: one fetcher serving several issuers by URL, for an
//!   [`IssuerResolver`](crate::IssuerResolver).
//! - For what these do not make: keys ([`TestKey`], [`TestCurveKey`],
//!   [`TestSigningKey`]), [`sign_parts`] over raw JSON text, and fetchers
//!   that serve one document ([`StaticJwks`]), fail ([`UnreachableJwks`])
//!   or follow a script ([`ScriptedJwks`]).
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
//!
//! Any other issuer, the same way:
//!
//! ```
//! use cognito_jwt_core::testing::TestOidcIssuer;
//! use cognito_jwt_core::{Algorithm, ErrorKind, StandardClaims};
//!
//! let issuer = TestOidcIssuer::new("https://login.example.com/tenant-1", Algorithm::RS256);
//! let verifier = issuer.verifier("orders-api"); // RFC 9068 access tokens for orders-api
//!
//! let token = issuer.access_token("orders-api").sign();
//! let claims: StandardClaims = verifier.verify_sync(&token).unwrap();
//! assert_eq!(claims.client_id.as_deref(), Some(issuer.client_id()));
//!
//! let id_token = issuer.id_token("web-app").sign(); // typ JWT: not an access token
//! let refused = verifier.verify_sync::<StandardClaims>(&id_token).unwrap_err();
//! assert_eq!(refused.kind(), ErrorKind::InvalidTokenUse);
//! ```

mod alb;
mod clock;
mod cognito;
mod dpop;
mod fetchers;
mod keys;
mod oidc;
mod token;

pub use alb::{AlbTokenBuilder, TestAlb, TestAlbKeys, b64_padded, random_uuid};
pub use clock::ManualClock;
pub use cognito::{TestIssuer, TokenBuilder};
pub use dpop::{DpopKey, DpopProofBuilder, dpop_nonce};
pub use fetchers::{ScriptedJwks, StaticJwks, TestIssuers, UnreachableJwks};
pub use keys::{RsaKeySize, RsaPadding, TestCurveKey, TestKey, TestSigningKey, b64, sign_parts};
pub use oidc::{OidcTokenBuilder, TestOidcIssuer};
