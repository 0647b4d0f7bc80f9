//! DPoP (RFC 9449): sender-constrained access tokens, checked on the
//! resource server. The settings ([`Dpop`]), the request a proof is
//! checked against ([`DpopRequest`]), the replay stores ([`ReplayStore`]
//! in memory, any [`ProofReplay`] across replicas) and server nonces.
//! The check itself is one step of the engine's pipeline.

mod htu;
mod nonce;
mod proof;
mod replay;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

pub(crate) use htu::external_base;
pub(crate) use nonce::Nonces;
#[cfg(feature = "testing")]
pub(crate) use nonce::nonce_at;
pub(crate) use proof::check_proof;
pub use replay::{DEFAULT_REPLAY_ENTRIES, FirstUse, ProofReplay, ReplayStore, ReplayUnavailable};

use aws_lc_rs::signature::ParsedPublicKey;

use crate::algorithm::{Algorithm, AlgorithmSet};
use crate::error::{ConfigError, quoted};

/// The environment variable holding the secret every replica derives its
/// DPoP nonces from ([`Dpop::nonces`]).
pub const DPOP_NONCE_SECRET: &str = "DPOP_NONCE_SECRET";

/// The default window for a proof's `iat`, either side of now: 60 s.
pub const DEFAULT_IAT_WINDOW: Duration = Duration::from_secs(60);

/// The default proof algorithms: ES256, EdDSA, RS256 and PS256.
pub const DEFAULT_DPOP_ALGORITHMS: [Algorithm; 4] = [
    Algorithm::ES256,
    Algorithm::EdDSA,
    Algorithm::RS256,
    Algorithm::PS256,
];

/// How a verifier accepts DPoP-bound access tokens (RFC 9449): given to
/// `dpop` on a verifier's builder. Without it, a verifier accepts bearer
/// tokens only, and still refuses a DPoP-bound token (`cnf.jkt`) sent as
/// a bearer token.
///
/// ```
/// use std::time::Duration;
/// use cognito_jwt_core::{Dpop, ReplayStore};
///
/// let dpop = Dpop::new("https://api.example.com")
///     .iat_window(Duration::from_secs(30))
///     .replay_store(ReplayStore::new(50_000));
/// ```
#[derive(Clone)]
#[must_use]
pub struct Dpop {
    origin: String,
    algorithms: Vec<Algorithm>,
    iat_window: Duration,
    replay: Arc<dyn ProofReplay>,
    nonce: Option<(Vec<u8>, Duration)>,
    accept_unbound_tokens: bool,
}

impl fmt::Debug for Dpop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dpop")
            .field("origin", &self.origin)
            .field("algorithms", &self.algorithms)
            .field("iat_window", &self.iat_window)
            .field("replay", &self.replay)
            .field("nonces", &self.nonce.as_ref().map(|(_, window)| window))
            .field("accept_unbound_tokens", &self.accept_unbound_tokens)
            .finish()
    }
}

impl Dpop {
    /// DPoP for a service whose clients reach it at `external_origin`
    /// (`https://api.example.com`, as clients write it in a proof's `htu`,
    /// also behind a proxy or load balancer). A request's `htu` is this
    /// origin and the path it was sent to; the origin is never read from
    /// the request's headers, which a client controls.
    ///
    /// Behind a proxy that strips a path prefix before forwarding (clients
    /// call `https://example.com/api/orders`, the service sees `/orders`),
    /// give the prefix too: `Dpop::new("https://example.com/api")`; the
    /// expected `htu` is then the prefix joined with the request's path
    /// (`https://example.com/api/orders`, one slash between them).
    /// The base URL is normalised as RFC 9449 §4.3 asks (scheme and host in
    /// lower case, default port dropped, percent-encodings made canonical,
    /// a trailing slash dropped); one with a query, a fragment, or an empty,
    /// `.` or `..` segment is refused when the verifier is built.
    ///
    /// ```
    /// use cognito_jwt_core::{Dpop, JwtVerifier, Issuer};
    ///
    /// let behind_api = JwtVerifier::builder()
    ///     .issuer(Issuer::new("https://login.example.com").audience("orders"))
    ///     .dpop(Dpop::new("https://example.com/api"))
    ///     .build();
    /// assert!(behind_api.is_ok());
    /// let with_query = JwtVerifier::builder()
    ///     .issuer(Issuer::new("https://login.example.com").audience("orders"))
    ///     .dpop(Dpop::new("https://example.com/api?v=1"))
    ///     .build();
    /// assert!(with_query.is_err());
    /// ```
    pub fn new(external_origin: impl Into<String>) -> Self {
        Self {
            origin: external_origin.into(),
            algorithms: DEFAULT_DPOP_ALGORITHMS.to_vec(),
            iat_window: DEFAULT_IAT_WINDOW,
            replay: Arc::new(ReplayStore::new(DEFAULT_REPLAY_ENTRIES)),
            nonce: None,
            accept_unbound_tokens: false,
        }
    }

    /// The algorithms a proof may be signed with. Defaults to
    /// [`DEFAULT_DPOP_ALGORITHMS`]; `none` and HMAC can never be given.
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.algorithms = algorithms.into_iter().collect();
        self
    }

    /// How far a proof's `iat` may be from now, either way (the verifier's
    /// leeway is added). Defaults to [`DEFAULT_IAT_WINDOW`] (60 s); from
    /// 1 s to 5 minutes. A proof is remembered by the replay store for as
    /// long as it could be accepted.
    pub fn iat_window(mut self, window: Duration) -> Self {
        self.iat_window = window;
        self
    }

    /// Where seen proofs are remembered, so that none is accepted twice.
    /// Defaults to a [`ReplayStore`] of [`DEFAULT_REPLAY_ENTRIES`] shared
    /// by the clones of these settings (every issuer of a verifier); give several replicas one shared store (such as
    /// `cognito-jwt-redis`'s) so that a proof used on one is refused on
    /// every other.
    pub fn replay_store(mut self, store: impl ProofReplay) -> Self {
        self.replay = Arc::new(store);
        self
    }

    /// Require server nonces (RFC 9449 §9): a proof must carry a nonce
    /// this server issued, derived from `secret` (at least 32 bytes, the
    /// same on every replica: [`DPOP_NONCE_SECRET`]) and the current time
    /// window of length `window`; nonces of the current and the previous
    /// window are accepted. A proof without one is refused with
    /// [`ErrorKind::UseDpopNonce`](crate::ErrorKind::UseDpopNonce) and a
    /// fresh nonce. Defaults to none.
    pub fn nonces(mut self, secret: impl Into<Vec<u8>>, window: Duration) -> Self {
        self.nonce = Some((secret.into(), window));
        self
    }

    /// Accept a proof sent with an access token that is not bound to a key
    /// (no `cnf.jkt`). Defaults to `false`: such a request is refused with
    /// [`ErrorKind::DpopBindingMismatch`](crate::ErrorKind::DpopBindingMismatch).
    pub fn accept_unbound_tokens(mut self, accept: bool) -> Self {
        self.accept_unbound_tokens = accept;
        self
    }

    /// Check the settings.
    pub(crate) fn resolve(&self) -> Result<DpopConfig, ConfigError> {
        let origin = external_base(&self.origin).ok_or_else(|| {
            ConfigError::invalid(
                "dpop.external_origin",
                format!(
                    "{} is not an external base URL; expected the scheme and host clients use, \
                     such as https://api.example.com, optionally with the path prefix a proxy \
                     strips (https://example.com/api), without query or fragment",
                    quoted(&self.origin)
                ),
            )
        })?;
        if self.algorithms.is_empty() {
            return Err(ConfigError::invalid(
                "dpop.algorithms",
                "no algorithm is given; leave it unset for ES256, EdDSA, RS256 and PS256",
            ));
        }
        if !(1..=300).contains(&self.iat_window.as_secs()) {
            return Err(ConfigError::invalid(
                "dpop.iat_window",
                format!(
                    "{} s is outside 1 to 300 s; a proof is made for one request, just before it",
                    self.iat_window.as_secs()
                ),
            ));
        }
        let nonces = match &self.nonce {
            None => None,
            Some((secret, window)) => Some(Nonces::new(secret, *window)?),
        };
        let algorithms = AlgorithmSet::of(self.algorithms.iter().copied());
        Ok(DpopConfig {
            origin,
            algorithms,
            algs: algorithms
                .iter()
                .map(Algorithm::as_str)
                .collect::<Vec<_>>()
                .join(" ")
                .into(),
            bearer_accepted: true,
            iat_window: self.iat_window.as_secs(),
            replay: Arc::clone(&self.replay),
            nonces,
            accept_unbound_tokens: self.accept_unbound_tokens,
            keys: ProofKeys::default(),
        })
    }
}

/// Checked DPoP settings, as the engine uses them.
pub(crate) struct DpopConfig {
    /// The normalised external base URL (an origin, perhaps with a path
    /// prefix), without a trailing slash.
    pub(crate) origin: String,
    pub(crate) algorithms: AlgorithmSet,
    /// The algorithms, space-separated, for the challenge's `algs`.
    pub(crate) algs: Box<str>,
    /// Whether some issuer's tokens may come as bearer tokens (when not
    /// bound), so that a `Bearer` challenge goes with the `DPoP` one.
    pub(crate) bearer_accepted: bool,
    pub(crate) iat_window: u64,
    pub(crate) replay: Arc<dyn ProofReplay>,
    pub(crate) nonces: Option<Nonces>,
    pub(crate) accept_unbound_tokens: bool,
    /// The proof keys parsed lately.
    pub(crate) keys: ProofKeys,
}

/// The proof keys seen lately, parsed: a client signs every proof with
/// the same key, and parsing it (a curve point's check, an RSA modulus)
/// is a good part of a proof's cost. Keyed by the key's public members
/// (the thumbprint input), then the algorithm; bounded: when
/// [`PROOF_KEYS`] keys are held, they are all let go (a key is only ever
/// parsed again).
#[derive(Default)]
pub(crate) struct ProofKeys {
    parsed: RwLock<HashMap<Box<str>, KeyPerAlgorithm>>,
}

/// One key's parsed forms, by the algorithm they serve.
type KeyPerAlgorithm = Vec<(Algorithm, Arc<ParsedPublicKey>)>;

/// How many parsed proof keys are kept.
const PROOF_KEYS: usize = 10_000;

impl ProofKeys {
    /// The key `members` describe for `alg`, parsed by `parse` unless it
    /// was lately.
    pub(crate) fn parsed<E>(
        &self,
        alg: Algorithm,
        members: &str,
        parse: impl FnOnce() -> Result<ParsedPublicKey, E>,
    ) -> Result<Arc<ParsedPublicKey>, E> {
        let held = self
            .parsed
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(members)
            .and_then(|keys| keys.iter().find(|(a, _)| *a == alg))
            .map(|(_, key)| Arc::clone(key));
        if let Some(key) = held {
            return Ok(key);
        }
        let key = Arc::new(parse()?);
        let mut parsed = self.parsed.write().unwrap_or_else(PoisonError::into_inner);
        if parsed.len() >= PROOF_KEYS {
            parsed.clear();
        }
        parsed
            .entry(members.into())
            .or_default()
            .push((alg, Arc::clone(&key)));
        Ok(key)
    }
}

impl DpopConfig {
    /// What an HTTP answer says about DPoP.
    pub(crate) fn support(&self) -> crate::http::DpopSupport<'_> {
        crate::http::DpopSupport {
            origin: &self.origin,
            algs: &self.algs,
            bearer_accepted: self.bearer_accepted,
        }
    }
}

/// One request presented with the `DPoP` scheme: its proof (the `DPoP`
/// header's value), its method, and its URL as clients reach it (the
/// query and fragment, if any, are ignored).
///
/// [`http::authenticate_request`](crate::http::authenticate_request)
/// makes it from a request; build one yourself to check a proof outside
/// HTTP handling (the `cognito-jwt oidc verify --dpop-proof` command does).
#[derive(Debug, Clone, Copy)]
pub struct DpopRequest<'a> {
    pub(crate) proof: &'a str,
    pub(crate) method: &'a str,
    pub(crate) url: &'a str,
}

impl<'a> DpopRequest<'a> {
    /// A request with method `method` (such as `GET`) to `url`
    /// (`https://api.example.com/orders?page=2`), carrying `proof`.
    pub fn new(proof: &'a str, method: &'a str, url: &'a str) -> Self {
        Self { proof, method, url }
    }
}
