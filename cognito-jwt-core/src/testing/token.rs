//! What every token builder of the kit shares: the header and claims
//! being built, their setters, and the compact serialization.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine as _;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use serde_json::{Map, Value};

pub(super) fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

pub(super) fn unique_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut random = [0u8; 8];
    let _ = SystemRandom::new().fill(&mut random);
    format!(
        "{:016x}-{:04x}-4000-8000-{:012x}",
        u64::from_le_bytes(random),
        COUNTER.fetch_add(1, Ordering::Relaxed) & 0xffff,
        now()
    )
}

/// How the three segments of a compact token are encoded.
#[derive(Debug, Clone, Copy)]
pub(super) enum Segments {
    /// Unpadded base64url, as JWS requires.
    Unpadded,
    /// Padded base64url, as a load balancer writes `x-amzn-oidc-data`.
    Padded,
}

impl Segments {
    fn encode(self, bytes: &[u8]) -> String {
        match self {
            Segments::Unpadded => URL_SAFE_NO_PAD.encode(bytes),
            Segments::Padded => URL_SAFE.encode(bytes),
        }
    }
}

/// `header.payload.signature`, each segment encoded as `segments` says,
/// the signature made by `sign` over the first two.
pub(super) fn compact(
    header_json: &str,
    payload_json: &str,
    segments: Segments,
    sign: impl FnOnce(&[u8]) -> Vec<u8>,
) -> String {
    let input = format!(
        "{}.{}",
        segments.encode(header_json.as_bytes()),
        segments.encode(payload_json.as_bytes())
    );
    let signature = sign(input.as_bytes());
    format!("{input}.{}", segments.encode(&signature))
}

/// The header and claims of a token being built.
#[derive(Debug)]
pub(super) struct Parts {
    pub(super) header: Map<String, Value>,
    pub(super) claims: Map<String, Value>,
}

impl Parts {
    /// From two values built with `json!({...})`.
    pub(super) fn new(header: Value, claims: Value) -> Self {
        let (Value::Object(header), Value::Object(claims)) = (header, claims) else {
            unreachable!("the header and claims are built as objects")
        };
        Self { header, claims }
    }

    /// The header and claims as JSON text.
    pub(super) fn json(&self) -> (String, String) {
        (
            Value::Object(self.header.clone()).to_string(),
            Value::Object(self.claims.clone()).to_string(),
        )
    }

    /// The compact token of these parts (see [`compact`]).
    pub(super) fn sign(&self, segments: Segments, sign: impl FnOnce(&[u8]) -> Vec<u8>) -> String {
        let (header, claims) = self.json();
        compact(&header, &claims, segments, sign)
    }
}

/// The setters every token builder of the kit has, over its `parts:
/// Parts` field. With `jwt`, also `expires_in` and `scope` on the claims.
macro_rules! token_setters {
    () => {
        /// Set (or replace) a claim.
        pub fn claim(mut self, name: &str, value: impl Into<serde_json::Value>) -> Self {
            self.parts.claims.insert(name.to_owned(), value.into());
            self
        }

        /// Remove a claim.
        pub fn without(mut self, name: &str) -> Self {
            self.parts.claims.remove(name);
            self
        }

        /// Set (or replace) a header parameter.
        pub fn header(mut self, name: &str, value: impl Into<serde_json::Value>) -> Self {
            self.parts.header.insert(name.to_owned(), value.into());
            self
        }

        /// Remove a header parameter.
        pub fn without_header(mut self, name: &str) -> Self {
            self.parts.header.remove(name);
            self
        }

        /// The header and claims as JSON text, e.g. to edit and sign by
        /// hand (see [`sign_parts`](crate::testing::sign_parts) and
        /// [`TestCurveKey::sign_parts`](crate::testing::TestCurveKey::sign_parts)).
        pub fn json(&self) -> (String, String) {
            self.parts.json()
        }
    };
    (jwt) => {
        $crate::testing::token::token_setters!();

        /// Replace `scope`.
        pub fn scope(self, scope: &str) -> Self {
            self.claim("scope", scope)
        }

        /// Set `exp` to now + `seconds` (negative for an expired token).
        pub fn expires_in(self, seconds: i64) -> Self {
            self.claim("exp", $crate::testing::token::now() + seconds)
        }
    };
}

pub(super) use token_setters;
