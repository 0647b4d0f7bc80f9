//! The DPoP step (RFC 9449): how the token was presented, checked against
//! its binding (`cnf.jkt`) and its issuer's rules, after its claims held and
//! on every token-cache hit.

use std::sync::OnceLock;

use super::pipeline::{Inner, Pool};
use crate::claims::Payload;
use crate::dpop::{DpopRequest, ReplayUnavailable, check_proof};
use crate::error::{Error, ErrorKind};

/// How a request carried its token.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Presented<'a> {
    /// As a bearer token (`Authorization: Bearer`, a cookie, or a plain
    /// `verify` call).
    Bearer,
    /// With the `DPoP` scheme and this proof. With a slot, the proof's
    /// first use is left in it for the async path to record (awaiting the
    /// store once every other check held); without, it is recorded at
    /// once with the store's synchronous method.
    Dpop(&'a DpopRequest<'a>, Option<&'a ReplaySlot>),
}

impl<'a> Presented<'a> {
    /// The same presentation, leaving a proof's first use in `slot`.
    pub(crate) fn recording_in(self, slot: &'a ReplaySlot) -> Self {
        match self {
            Presented::Dpop(request, _) => Presented::Dpop(request, Some(slot)),
            Presented::Bearer => Presented::Bearer,
        }
    }
}

/// A proof's first use, to be recorded in the replay store.
#[derive(Debug)]
pub(crate) struct FirstUse {
    key: String,
    expires_at_ms: u64,
    now_ms: u64,
}

/// Where a verification leaves the first use of its proof.
pub(crate) type ReplaySlot = OnceLock<FirstUse>;

impl Inner {
    /// The token's binding and its issuer's rules against how it came:
    /// a bound token or a DPoP-only issuer's token never as a bearer
    /// token; with a proof, the proof checked, the token bound to its key
    /// (unless unbound tokens are accepted), and the proof new (with a
    /// slot: its first use left there, to be recorded).
    pub(crate) fn check_presented(
        &self,
        pool: &Pool,
        payload: &Payload<'_>,
        token: &str,
        presented: Presented<'_>,
        now: u64,
    ) -> Result<(), Error> {
        let jkt = payload.cnf.as_ref().and_then(|cnf| cnf.jkt.as_deref());
        let (request, slot) = match presented {
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
            Presented::Dpop(request, slot) => (request, slot),
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
        let first_use = FirstUse {
            key,
            expires_at_ms,
            now_ms: now.saturating_mul(1000),
        };
        match slot {
            None => replay_answer(config.replay.first_use(
                &first_use.key,
                first_use.expires_at_ms,
                first_use.now_ms,
            )),
            // One check per verification: a second would be a proof whose
            // use could go unrecorded, so it is refused.
            Some(slot) => slot.set(first_use).map_err(|_| {
                Error::new(
                    ErrorKind::DpopReplayUnavailable,
                    "the DPoP proof's use could not be recorded",
                )
            }),
        }
    }

    /// Record the proof's first use left in `slot`, if any, awaiting the
    /// replay store without blocking.
    pub(crate) async fn record_first_use(&self, slot: ReplaySlot) -> Result<(), Error> {
        let (Some(first_use), Some(config)) = (slot.into_inner(), self.dpop.as_deref()) else {
            return Ok(());
        };
        replay_answer(
            config
                .replay
                .first_use_async(&first_use.key, first_use.expires_at_ms, first_use.now_ms)
                .await,
        )
    }
}

/// The store's answer as the verification's.
fn replay_answer(answer: Result<bool, ReplayUnavailable>) -> Result<(), Error> {
    match answer {
        Ok(true) => Ok(()),
        Ok(false) => Err(Error::new(
            ErrorKind::DpopProofReplayed,
            "the DPoP proof was used before (its jti is known); make a new proof for every \
             request",
        )),
        Err(unavailable) => Err(Error::new(
            ErrorKind::DpopReplayUnavailable,
            format!("the DPoP replay store cannot tell whether the proof is new: {unavailable}"),
        )
        .with_retry_after(std::time::Duration::from_secs(1))),
    }
}
