//! The DPoP step (RFC 9449): how the token was presented, checked against
//! its binding (`cnf.jkt`) and its issuer's rules, after its claims held and
//! on every token-cache hit.

use super::pipeline::{Inner, Pool};
use crate::claims::Payload;
use crate::dpop::{DpopRequest, check_proof};
use crate::error::{Error, ErrorKind};

/// How a request carried its token.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Presented<'a> {
    /// As a bearer token (`Authorization: Bearer`, a cookie, or a plain
    /// `verify` call).
    Bearer,
    /// With the `DPoP` scheme and this proof.
    Dpop(&'a DpopRequest<'a>),
}

impl Inner {
    /// The token's binding and its issuer's rules against how it came:
    /// a bound token or a DPoP-only issuer's token never as a bearer
    /// token; with a proof, the proof checked, the token bound to its key
    /// (unless unbound tokens are accepted), and the proof new.
    pub(crate) fn check_presented(
        &self,
        pool: &Pool,
        payload: &Payload<'_>,
        token: &str,
        presented: Presented<'_>,
        now: u64,
    ) -> Result<(), Error> {
        let jkt = payload.cnf.as_ref().and_then(|cnf| cnf.jkt.as_deref());
        let request = match presented {
            Presented::Bearer if jkt.is_some() => {
                return Err(Error::new(
                    ErrorKind::DpopRequired,
                    "the token is DPoP-bound (cnf.jkt); send it with the DPoP scheme and a proof, \
                     not as a bearer token",
                ));
            }
            Presented::Bearer if pool.require_dpop => {
                return Err(Error::new(
                    ErrorKind::DpopRequired,
                    "this issuer's tokens are accepted with the DPoP scheme and a proof only",
                ));
            }
            Presented::Bearer => return Ok(()),
            Presented::Dpop(request) => request,
        };
        let config = self.dpop.as_deref().ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidDpopProof,
                "this verifier does not accept DPoP proofs; give its builder dpop(Dpop::new(..))",
            )
        })?;
        let proof = check_proof(config, request, token, now, self.leeway)?;
        match jkt {
            Some(jkt) if jkt.as_bytes() == proof.jkt.as_bytes() => {}
            Some(_) => {
                return Err(Error::new(
                    ErrorKind::DpopBindingMismatch,
                    "the token's cnf.jkt is not the thumbprint of the DPoP proof's key; the token \
                     is bound to another key",
                ));
            }
            None if config.accept_unbound_tokens => {}
            None => {
                return Err(Error::new(
                    ErrorKind::DpopBindingMismatch,
                    "the token is not DPoP-bound (no cnf.jkt); send it as a bearer token, or \
                     accept unbound tokens with proofs (Dpop::accept_unbound_tokens)",
                ));
            }
        }
        // The thumbprint is 43 characters, the jti at most 256: bounded.
        let key = format!("{}.{}", proof.jkt, proof.jti);
        let window = config.iat_window.saturating_add(self.leeway);
        let expires_at_ms = proof
            .iat
            .saturating_add(window)
            .saturating_add(1)
            .saturating_mul(1000);
        match config
            .replay
            .first_use(&key, expires_at_ms, now.saturating_mul(1000))
        {
            Ok(true) => Ok(()),
            Ok(false) => Err(Error::new(
                ErrorKind::DpopProofReplayed,
                "the DPoP proof was used before (its jti is known); make a new proof for every \
                 request",
            )),
            Err(unavailable) => Err(Error::new(
                ErrorKind::DpopReplayUnavailable,
                format!(
                    "the DPoP replay store cannot tell whether the proof is new: {unavailable}"
                ),
            )
            .with_retry_after(std::time::Duration::from_secs(1))),
        }
    }
}
