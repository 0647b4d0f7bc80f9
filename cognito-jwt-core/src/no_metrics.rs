//! The metrics without the `metrics` feature: the same calls, doing
//! nothing, so that call sites need no `cfg`.

use std::sync::Arc;

use tokio::time::Instant;

use crate::error::Error;
use crate::jwks::{FetchOutcome, FetchReason};

/// Only the verifier's name, which the tracing spans carry.
#[derive(Clone)]
pub(crate) struct Metrics {
    verifier: Arc<str>,
}

impl Metrics {
    pub(crate) fn new(verifier: &str) -> Self {
        Self {
            verifier: verifier.into(),
        }
    }

    pub(crate) fn verifier(&self) -> &str {
        &self.verifier
    }

    #[inline]
    pub(crate) fn verified<T>(&self, result: Result<T, Error>) -> Result<T, Error> {
        result
    }

    #[inline]
    pub(crate) fn token_cache(&self, _hit: bool) {}

    #[inline]
    pub(crate) fn fetched(&self, _reason: FetchReason, _outcome: FetchOutcome) {}

    #[inline]
    pub(crate) fn key_sets_read(&self) {}

    pub(crate) fn key_set(&self) -> KeySetMetrics {
        KeySetMetrics
    }
}

pub(crate) struct KeySetMetrics;

impl KeySetMetrics {
    #[inline]
    pub(crate) fn stored(&self, _keys: usize, _fetched_at: Option<Instant>) {}
}
