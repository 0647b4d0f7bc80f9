//! Server nonces every replica accepts (RFC 9449 §9): the time window's
//! number and an HMAC-SHA256 of it under a shared secret, so that no
//! replica has to remember the nonces it gave.

use std::fmt;
use std::time::Duration;

use aws_lc_rs::hmac;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::ConfigError;

/// The shortest secret accepted, in bytes.
const MIN_SECRET_LEN: usize = 32;

/// The nonce key and window.
pub(crate) struct Nonces {
    key: hmac::Key,
    window: u64,
}

impl fmt::Debug for Nonces {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Nonces")
            .field("window", &self.window)
            .finish_non_exhaustive()
    }
}

impl Nonces {
    pub(crate) fn new(secret: &[u8], window: Duration) -> Result<Self, ConfigError> {
        if secret.len() < MIN_SECRET_LEN {
            return Err(ConfigError::invalid(
                "dpop.nonces",
                format!(
                    "the secret has {} bytes, fewer than the {MIN_SECRET_LEN} required; generate \
                     one with `openssl rand -base64 48` and give every replica the same",
                    secret.len()
                ),
            ));
        }
        if !(10..=86_400).contains(&window.as_secs()) {
            return Err(ConfigError::invalid(
                "dpop.nonces",
                format!(
                    "a window of {} s is outside 10 s to 1 day",
                    window.as_secs()
                ),
            ));
        }
        Ok(Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, secret),
            window: window.as_secs(),
        })
    }

    fn nonce_for(&self, index: u64) -> String {
        let index = index.to_be_bytes();
        let tag = hmac::sign(&self.key, &index);
        let mut bytes = Vec::with_capacity(8 + tag.as_ref().len());
        bytes.extend_from_slice(&index);
        bytes.extend_from_slice(tag.as_ref());
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// The nonce of the window `now` (seconds since 1970) is in.
    pub(crate) fn current(&self, now: u64) -> String {
        self.nonce_for(now / self.window)
    }

    /// Whether `nonce` is this server's, of the current or the previous
    /// window.
    pub(crate) fn accepts(&self, nonce: &str, now: u64) -> bool {
        let Ok(bytes) = URL_SAFE_NO_PAD.decode(nonce) else {
            return false;
        };
        let Some((index, tag)) = bytes.split_first_chunk::<8>() else {
            return false;
        };
        let current = now / self.window;
        let index_value = u64::from_be_bytes(*index);
        (index_value == current || index_value.saturating_add(1) == current)
            && hmac::verify(&self.key, index, tag).is_ok()
    }
}

/// The nonce a server with this `secret` and `window` gives at `now`: for
/// tests that make proofs with current or stale nonces.
#[cfg(feature = "testing")]
pub(crate) fn nonce_at(secret: &[u8], window: Duration, now: u64) -> Result<String, ConfigError> {
    Nonces::new(secret, window).map(|nonces| nonces.current(now))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_current_and_previous_windows_are_accepted() {
        let nonces = Nonces::new(&[7; 32], Duration::from_secs(60)).unwrap();
        let now = 1_800_000_000;
        let nonce = nonces.current(now);
        assert!(nonces.accepts(&nonce, now));
        assert!(nonces.accepts(&nonce, now + 60));
        assert!(!nonces.accepts(&nonce, now + 120));
        assert!(!nonces.accepts(&nonce, now - 60));
        let other = Nonces::new(&[8; 32], Duration::from_secs(60)).unwrap();
        assert!(!other.accepts(&nonce, now));
        for bad in ["", "AAAA", "not base64!", &nonce[..20]] {
            assert!(!nonces.accepts(bad, now), "{bad}");
        }
        assert!(Nonces::new(&[7; 31], Duration::from_secs(60)).is_err());
        assert!(Nonces::new(&[7; 32], Duration::from_secs(1)).is_err());
    }
}
