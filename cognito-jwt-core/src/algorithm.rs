//! The JWS signature algorithms a verifier can accept.

use std::fmt;
use std::str::FromStr;

use crate::error::{ConfigError, quoted};

/// A JWS signature algorithm (RFC 7518 §3, RFC 8037), verified with
/// aws-lc-rs. Only asymmetric algorithms exist here: an `HS256` token is
/// refused whatever key it names, and no symmetric key is ever built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RS512,
    /// RSASSA-PSS with SHA-256.
    PS256,
    /// RSASSA-PSS with SHA-384.
    PS384,
    /// RSASSA-PSS with SHA-512.
    PS512,
    /// ECDSA on P-256 with SHA-256; signatures in JOSE form (R‖S, 64 bytes).
    ES256,
    /// ECDSA on P-384 with SHA-384; signatures in JOSE form (R‖S, 96 bytes).
    ES384,
    /// EdDSA with Ed25519 (RFC 8037).
    EdDSA,
}

impl Algorithm {
    /// Every algorithm, in declaration order.
    pub const ALL: &'static [Algorithm] = &[
        Algorithm::RS256,
        Algorithm::RS384,
        Algorithm::RS512,
        Algorithm::PS256,
        Algorithm::PS384,
        Algorithm::PS512,
        Algorithm::ES256,
        Algorithm::ES384,
        Algorithm::EdDSA,
    ];

    /// The `alg` name, e.g. `"ES256"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Algorithm::RS256 => "RS256",
            Algorithm::RS384 => "RS384",
            Algorithm::RS512 => "RS512",
            Algorithm::PS256 => "PS256",
            Algorithm::PS384 => "PS384",
            Algorithm::PS512 => "PS512",
            Algorithm::ES256 => "ES256",
            Algorithm::ES384 => "ES384",
            Algorithm::EdDSA => "EdDSA",
        }
    }

    /// The algorithm a header's `alg` names, compared exactly (`alg` is
    /// case-sensitive).
    pub(crate) fn from_alg(alg: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|a| a.as_str() == alg)
    }

    const fn bit(self) -> u16 {
        1 << self as u16
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Algorithm {
    type Err = ConfigError;

    /// Parses an `alg` name such as `RS256` or `EdDSA` (exact case, as in
    /// JWS headers).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_alg(s.trim()).ok_or_else(|| {
            ConfigError::invalid(
                "algorithm",
                format!(
                    "{} is not a supported algorithm; expected one of {}",
                    quoted(s),
                    Self::ALL
                        .iter()
                        .map(|a| a.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })
    }
}

/// A set of algorithms, one bit each.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub(crate) struct AlgorithmSet(u16);

impl AlgorithmSet {
    pub(crate) const EMPTY: Self = Self(0);
    pub(crate) const RS256: Self = Self(Algorithm::RS256.bit());
    pub(crate) const ES256: Self = Self(Algorithm::ES256.bit());
    pub(crate) const RSA: Self = Self(
        Algorithm::RS256.bit()
            | Algorithm::RS384.bit()
            | Algorithm::RS512.bit()
            | Algorithm::PS256.bit()
            | Algorithm::PS384.bit()
            | Algorithm::PS512.bit(),
    );

    pub(crate) fn of(algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        algorithms
            .into_iter()
            .fold(Self::EMPTY, |set, a| Self(set.0 | a.bit()))
    }

    pub(crate) const fn contains(self, algorithm: Algorithm) -> bool {
        self.0 & algorithm.bit() != 0
    }

    pub(crate) const fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    pub(crate) const fn intersection(self, other: Self) -> Self {
        Self(self.0 & other.0)
    }

    pub(crate) const fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub(crate) fn iter(self) -> impl Iterator<Item = Algorithm> {
        Algorithm::ALL
            .iter()
            .copied()
            .filter(move |a| self.contains(*a))
    }

    /// The names, for messages: `RS256, ES256`.
    pub(crate) fn names(self) -> String {
        self.iter()
            .map(Algorithm::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_case_sensitive() {
        for a in Algorithm::ALL {
            assert_eq!(a.as_str().parse::<Algorithm>().ok(), Some(*a));
        }
        assert!("rs256".parse::<Algorithm>().is_err());
        assert!("HS256".parse::<Algorithm>().is_err());
        assert!("none".parse::<Algorithm>().is_err());
        let set = AlgorithmSet::of([Algorithm::ES256, Algorithm::RS256]);
        assert_eq!(set.names(), "RS256, ES256");
        assert!(AlgorithmSet::RSA.contains(Algorithm::PS512));
        assert!(!AlgorithmSet::RSA.contains(Algorithm::EdDSA));
    }
}
