//! The revocation list: entries in memory, read on every verification
//! without a lock or any I/O, written rarely (under one lock), bounded,
//! and in sync with a shared store when one feeds it.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::hash::{Hash, Hasher};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use papaya::Equivalent;

use super::entry::{Revocable, RevocationEntry, RevocationKind};
use super::health::{RevocationHealth, RevocationState};
use crate::claims::Payload;
use crate::error::{ConfigError, Error, ErrorKind};

/// How long a revoked session is kept by default: 30 days, Cognito's
/// default refresh-token lifetime.
pub const DEFAULT_SESSION_TTL: Duration = Duration::from_secs(30 * 24 * 3600);

/// How long a revoked subject or client is kept by default: 24 hours, the
/// longest lifetime of a Cognito ID or access token.
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// How long a list fed by a shared store may go without hearing from it
/// before verification fails closed, by default: 60 seconds.
pub const DEFAULT_MAX_STALENESS: Duration = Duration::from_secs(60);

/// How many entries a list holds by default: 1,000,000 (about 150 MB of
/// memory with Cognito-sized ids; see `benches/README.md`).
pub const DEFAULT_MAX_ENTRIES: usize = 1_000_000;

/// Revoked sessions of one user kept one by one before they collapse into
/// one subject entry.
pub const MAX_SESSIONS_PER_SUBJECT: usize = 16;

/// Entries are kept this much past the expiry they are computed from, so
/// that a token accepted within a verifier's leeway is still refused.
const LEEWAY_MARGIN: u64 = 300;

/// What verification does while a list fed by a shared store is out of
/// sync (or full).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum RevocationFailure {
    /// Refuse every token with
    /// [`ErrorKind::RevocationUnavailable`](crate::ErrorKind::RevocationUnavailable)
    /// (HTTP 503 with `Retry-After`): a revoked token is never accepted.
    /// The default.
    #[default]
    Closed,
    /// Verify against what the list holds, and report the list as degraded
    /// in health: revocations made meanwhile may be missed.
    Open,
}

/// Publishes an entry to every replica (a shared store such as Redis):
/// what a [`RevocationList`] calls on every revocation before it applies
/// it locally. The `cognito-jwt-redis` crate implements it.
pub trait RevocationPublisher: fmt::Debug + Send + Sync + 'static {
    /// Write and publish `entry`; resolves once every replica can see it.
    fn publish<'a>(&'a self, entry: &'a RevocationEntry) -> PublishFuture<'a>;
}

/// What [`RevocationPublisher::publish`] returns.
pub type PublishFuture<'a> = Pin<Box<dyn Future<Output = Result<(), RevocationError>> + Send + 'a>>;

/// A revocation could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RevocationError {
    /// The list holds its maximum number of live entries: nothing was
    /// dropped to make room. The replica reports itself out of sync until
    /// entries expire (or, with a shared store, a full reload fits).
    #[error(
        "the revocation list is full ({max_entries} live entries): nothing was revoked; \
         raise REVOCATION_MAX_ENTRIES (max_entries) or shorten the entries' lifetimes"
    )]
    Full {
        /// The list's bound.
        max_entries: usize,
    },
    /// The shared store could not be written: nothing was revoked.
    #[error("the revocation store is unavailable: {0}")]
    Unavailable(String),
    /// The token names neither a session (`origin_jti`) nor itself (`jti`):
    /// revoke its subject instead.
    #[error(
        "the token carries neither origin_jti nor jti; revoke its subject (sub) instead, which \
         ends every session of that user"
    )]
    NothingToRevoke,
    /// The entry names an empty issuer or id.
    #[error("a revocation needs a non-empty issuer and id")]
    Empty,
}

impl RevocationError {
    /// Whether this means a dependency (the list's capacity, the shared
    /// store) is unavailable, rather than a bad request: answer 503.
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            RevocationError::Full { .. } | RevocationError::Unavailable(_)
        )
    }
}

/// The settings of a [`RevocationList`]: see [`RevocationList::builder`].
#[derive(Debug, Clone)]
#[must_use]
pub struct RevocationListBuilder {
    max_entries: usize,
    session_ttl: Duration,
    token_lifetime: Duration,
    max_staleness: Duration,
    failure: RevocationFailure,
    publisher: Option<Arc<dyn RevocationPublisher>>,
    synced_externally: bool,
    clock: Option<Arc<AtomicU64>>,
}

impl RevocationListBuilder {
    /// The most entries held at once. Defaults to [`DEFAULT_MAX_ENTRIES`];
    /// at least 1. A revocation that finds the list full of live entries
    /// fails with [`RevocationError::Full`], and the list reports itself
    /// out of sync (so the failure policy applies) instead of forgetting
    /// anything.
    pub fn max_entries(mut self, max_entries: usize) -> Self {
        self.max_entries = max_entries;
        self
    }

    /// How long a revoked session is kept: as long as its refresh token
    /// can mint tokens. Defaults to [`DEFAULT_SESSION_TTL`] (30 days).
    pub fn session_ttl(mut self, ttl: Duration) -> Self {
        self.session_ttl = ttl;
        self
    }

    /// How long a revoked subject or client is kept: the longest lifetime
    /// of the tokens it refuses. Defaults to [`DEFAULT_TOKEN_LIFETIME`]
    /// (24 hours).
    pub fn token_lifetime(mut self, lifetime: Duration) -> Self {
        self.token_lifetime = lifetime;
        self
    }

    /// For a list fed by a shared store: how long it may go without a
    /// sign of life from the store before it counts as out of sync.
    /// Defaults to [`DEFAULT_MAX_STALENESS`] (60 s); at least 1 s.
    pub fn max_staleness(mut self, staleness: Duration) -> Self {
        self.max_staleness = staleness;
        self
    }

    /// What verification does while the list is out of sync. Defaults to
    /// [`RevocationFailure::Closed`].
    pub fn failure(mut self, failure: RevocationFailure) -> Self {
        self.failure = failure;
        self
    }

    /// Publish every revocation through `publisher` (a shared store)
    /// before applying it here. The list then counts as fed by that store:
    /// out of sync until [`RevocationList::mark_synced`] is called, and
    /// again whenever the store stays silent past the maximum staleness.
    pub fn publisher(mut self, publisher: Arc<dyn RevocationPublisher>) -> Self {
        self.publisher = Some(publisher);
        self.synced_externally = true;
        self
    }

    /// Read time from `clock` (seconds since 1970) instead of the system
    /// clock, for tests of expiry and staleness.
    #[cfg(feature = "testing")]
    #[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
    pub fn clock(mut self, clock: &crate::testing::ManualClock) -> Self {
        self.clock = Some(clock.handle());
        self
    }

    /// The list.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the setting when `max_entries` is 0, a
    /// lifetime is zero, or the staleness is under a second.
    pub fn build(self) -> Result<RevocationList, ConfigError> {
        if self.max_entries == 0 {
            return Err(ConfigError::invalid(
                "max_entries",
                "0 entries would refuse every revocation; leave it unset for the default",
            ));
        }
        for (name, value) in [
            ("session_ttl", self.session_ttl),
            ("token_lifetime", self.token_lifetime),
        ] {
            if value.is_zero() {
                return Err(ConfigError::invalid(
                    name,
                    "a zero lifetime would forget revocations at once; leave it unset for the \
                     default",
                ));
            }
        }
        if self.max_staleness < Duration::from_secs(1) {
            return Err(ConfigError::invalid(
                "max_staleness",
                "under a second; the store is checked once a second at most",
            ));
        }
        Ok(RevocationList {
            shared: Arc::new(Shared {
                entries: papaya::HashMap::new(),
                issuers: papaya::HashMap::new(),
                live: AtomicUsize::new(0),
                synced_at: AtomicU64::new(0),
                overflowed: AtomicBool::new(false),
                writes: Mutex::new(Writes::default()),
                max_entries: self.max_entries,
                session_ttl: self.session_ttl.as_secs(),
                token_lifetime: self.token_lifetime.as_secs(),
                max_staleness: self.max_staleness.as_secs(),
                failure: self.failure,
                publisher: self.publisher,
                synced_externally: self.synced_externally,
                clock: self.clock,
            }),
        })
    }
}

/// Revoked sessions, tokens, users and clients, checked by every verifier
/// given it ([`revocation`](crate::CognitoJwtVerifierBuilder::revocation))
/// on every verification, token-cache hits included: a revoked token gets
/// [`ErrorKind::Revoked`](crate::ErrorKind::Revoked) (HTTP 401
/// `invalid_token`).
///
/// Checking is a few in-memory lookups, never I/O. Clones share one list.
/// Alone it lives in this process; the `cognito-jwt-redis` crate shares it
/// between replicas through Redis.
///
/// What a verifier cannot do: a signed-out client must also revoke its
/// refresh token at Cognito (`RevokeToken` or `/oauth2/revoke`), or new
/// sign-ins and refreshes go on minting tokens. A revoked session refuses
/// every token refreshed from it for as long as it is kept
/// ([`session_ttl`](RevocationListBuilder::session_ttl)).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use cognito_jwt_core::testing::TestIssuer;
/// use cognito_jwt_core::{AccessTokenClaims, ErrorKind, RevocationList, TokenUse};
///
/// let issuer = TestIssuer::new("eu-west-1_TestPool1");
/// let revocations = RevocationList::new();
/// let verifier = issuer.verifier_from(
///     issuer
///         .verifier_builder("my-client", TokenUse::Access)
///         .revocation(revocations.clone()),
/// );
///
/// let token = issuer.access_token("my-client").sign();
/// let claims: AccessTokenClaims = verifier.verify_sync(&token).unwrap();
/// revocations.revoke(&claims).await.unwrap(); // sign-out: the session ends
/// let refused = verifier.verify_sync::<AccessTokenClaims>(&token).unwrap_err();
/// assert_eq!(refused.kind(), ErrorKind::Revoked);
/// # }
/// ```
#[derive(Clone)]
pub struct RevocationList {
    shared: Arc<Shared>,
}

struct Shared {
    entries: papaya::HashMap<Key, Stored>,
    /// Entries held (expired ones until they are purged).
    live: AtomicUsize,
    /// When the shared store last answered (seconds since 1970), 0 never.
    synced_at: AtomicU64,
    /// A revocation could not be held: out of sync until there is room.
    overflowed: AtomicBool,
    /// Every issuer an entry names, by number: keys hold the number, not
    /// the URL (about 80 bytes less per entry), and a token's issuer is
    /// hashed once per check.
    issuers: papaya::HashMap<Box<str>, u32>,
    writes: Mutex<Writes>,
    max_entries: usize,
    session_ttl: u64,
    token_lifetime: u64,
    max_staleness: u64,
    failure: RevocationFailure,
    publisher: Option<Arc<dyn RevocationPublisher>>,
    synced_externally: bool,
    clock: Option<Arc<AtomicU64>>,
}

/// A user: `(issuer number, sub)`.
type User = (u32, Box<str>);

/// What only writers touch.
#[derive(Default)]
struct Writes {
    /// The revoked sessions of each user: ids and expiry.
    sessions_of: HashMap<User, Vec<(Box<str>, u64)>>,
    /// Writes since the last purge of expired entries.
    since_purge: usize,
    /// Issuers numbered so far.
    issuers: u32,
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct Key {
    kind: RevocationKind,
    issuer: u32,
    id: Box<str>,
}

/// A lookup key borrowing the token's text: hashes as [`Key`] does.
struct Probe<'a> {
    kind: RevocationKind,
    issuer: u32,
    id: &'a str,
}

impl Hash for Probe<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.kind.hash(state);
        self.issuer.hash(state);
        self.id.hash(state);
    }
}

impl Equivalent<Key> for Probe<'_> {
    fn equivalent(&self, key: &Key) -> bool {
        self.kind == key.kind && self.issuer == key.issuer && *self.id == *key.id
    }
}

#[derive(Debug, Clone, Copy)]
struct Stored {
    at: u64,
    until: u64,
}

impl Default for RevocationList {
    fn default() -> Self {
        Self::new()
    }
}

impl RevocationList {
    /// A list in this process, with the default settings.
    pub fn new() -> Self {
        Self::builder()
            .build()
            .unwrap_or_else(|_| unreachable!("the default settings are valid"))
    }

    /// A list with settings of your own.
    pub fn builder() -> RevocationListBuilder {
        RevocationListBuilder {
            max_entries: DEFAULT_MAX_ENTRIES,
            session_ttl: DEFAULT_SESSION_TTL,
            token_lifetime: DEFAULT_TOKEN_LIFETIME,
            max_staleness: DEFAULT_MAX_STALENESS,
            failure: RevocationFailure::Closed,
            publisher: None,
            synced_externally: false,
            clock: None,
        }
    }

    /// End the sign-in session `origin_jti` of `issuer`: every token
    /// refreshed from it is refused, for the session lifetime.
    ///
    /// # Errors
    /// See [`write`](Self::write).
    pub async fn revoke_session(
        &self,
        issuer: &str,
        origin_jti: &str,
    ) -> Result<RevocationEntry, RevocationError> {
        let now = self.now();
        let until = now.saturating_add(self.shared.session_ttl);
        self.written(RevocationEntry::new(
            RevocationKind::Session,
            issuer,
            origin_jti,
            now,
            until,
        ))
        .await
    }

    /// Refuse the one token `jti` of `issuer`, until it expires at
    /// `expires_at` (its `exp`, seconds since 1970).
    ///
    /// # Errors
    /// See [`write`](Self::write).
    pub async fn revoke_token(
        &self,
        issuer: &str,
        jti: &str,
        expires_at: u64,
    ) -> Result<RevocationEntry, RevocationError> {
        let now = self.now();
        let until = expires_at.saturating_add(LEEWAY_MARGIN);
        self.written(RevocationEntry::new(
            RevocationKind::Token,
            issuer,
            jti,
            now,
            until,
        ))
        .await
    }

    /// Sign `sub` of `issuer` out everywhere: every token of that user
    /// issued (`iat`) at or before now is refused; tokens issued later
    /// pass. For a disabled user, or "sign out of every device".
    ///
    /// # Errors
    /// See [`write`](Self::write).
    pub async fn revoke_subject(
        &self,
        issuer: &str,
        sub: &str,
    ) -> Result<RevocationEntry, RevocationError> {
        self.written(self.dated(RevocationKind::Subject, issuer, sub, self.now()))
            .await
    }

    /// Refuse every token of the app client `client_id` of `issuer` issued
    /// at or before now (for machine-to-machine clients).
    ///
    /// # Errors
    /// See [`write`](Self::write).
    pub async fn revoke_client(
        &self,
        issuer: &str,
        client_id: &str,
    ) -> Result<RevocationEntry, RevocationError> {
        self.written(self.dated(RevocationKind::Client, issuer, client_id, self.now()))
            .await
    }

    /// An entry refusing the tokens of `kind` `id` (a subject or a client)
    /// issued at or before `at`, kept for the token lifetime after it.
    pub fn dated(&self, kind: RevocationKind, issuer: &str, id: &str, at: u64) -> RevocationEntry {
        let until = at
            .saturating_add(self.shared.token_lifetime)
            .saturating_add(LEEWAY_MARGIN);
        RevocationEntry::new(kind, issuer, id, at, until)
    }

    /// End the session of the verified token `claims` (sign-out): its
    /// `origin_jti`, or when it has none, the token itself (`jti`).
    ///
    /// # Errors
    /// [`RevocationError::NothingToRevoke`] when the token names neither;
    /// otherwise see [`write`](Self::write).
    pub async fn revoke(
        &self,
        claims: &impl Revocable,
    ) -> Result<RevocationEntry, RevocationError> {
        if let Some(session) = claims.session_id() {
            let now = self.now();
            let mut entry = RevocationEntry::new(
                RevocationKind::Session,
                claims.issuer(),
                session,
                now,
                now.saturating_add(self.shared.session_ttl),
            );
            if let Some(sub) = claims.subject() {
                entry = entry.of_subject(sub);
            }
            return self.written(entry).await;
        }
        match claims.token_id() {
            Some(jti) => {
                self.revoke_token(claims.issuer(), jti, claims.expires_at())
                    .await
            }
            None => Err(RevocationError::NothingToRevoke),
        }
    }

    async fn written(&self, entry: RevocationEntry) -> Result<RevocationEntry, RevocationError> {
        self.write(&entry).await?;
        Ok(entry)
    }

    /// Revoke what `entry` says: published first when the list has a
    /// publisher (nothing is revoked anywhere if that fails), then held
    /// here. An entry already past its `until` is a no-op.
    ///
    /// # Errors
    /// [`RevocationError::Unavailable`] when the shared store cannot be
    /// written, [`RevocationError::Full`] when the list has no room,
    /// [`RevocationError::Empty`] for an empty issuer or id.
    pub async fn write(&self, entry: &RevocationEntry) -> Result<(), RevocationError> {
        if entry.issuer.is_empty() || entry.id.is_empty() {
            return Err(RevocationError::Empty);
        }
        if let Some(publisher) = &self.shared.publisher {
            publisher.publish(entry).await?;
        }
        self.apply(entry)
    }

    /// Hold `entry` here without publishing it: for what a shared store
    /// sends (its snapshot and its messages). Idempotent; a subject or
    /// client entry keeps the latest `at`.
    ///
    /// # Errors
    /// [`RevocationError::Full`] when there is no room (the list is then
    /// out of sync), [`RevocationError::Empty`] for an empty issuer or id.
    pub fn apply(&self, entry: &RevocationEntry) -> Result<(), RevocationError> {
        if entry.issuer.is_empty() || entry.id.is_empty() {
            return Err(RevocationError::Empty);
        }
        let now = self.now();
        if entry.until <= now {
            return Ok(());
        }
        let mut writes = self.lock_writes();
        self.apply_locked(&mut writes, entry, now)
    }

    /// Hold a shared store's whole current set (after subscribing to its
    /// messages), then count the list in sync. The entries are merged with
    /// those held: a store forgets entries only when they expire, as this
    /// list does.
    ///
    /// # Errors
    /// [`RevocationError::Full`] when they do not all fit: the list stays
    /// out of sync.
    pub fn apply_snapshot(
        &self,
        entries: impl IntoIterator<Item = RevocationEntry>,
    ) -> Result<(), RevocationError> {
        let now = self.now();
        let mut writes = self.lock_writes();
        self.purge_locked(&mut writes, now);
        let mut full = None;
        for entry in entries {
            if entry.until <= now || entry.issuer.is_empty() || entry.id.is_empty() {
                continue;
            }
            if let Err(error) = self.apply_locked(&mut writes, &entry, now) {
                full = Some(error);
            }
        }
        match full {
            Some(error) => Err(error),
            None => {
                self.shared.overflowed.store(false, Ordering::Release);
                drop(writes);
                self.mark_synced();
                Ok(())
            }
        }
    }

    /// Record that the shared store answered now: the list is in sync for
    /// the maximum staleness from now.
    pub fn mark_synced(&self) {
        self.shared.synced_at.store(self.now(), Ordering::Release);
    }

    /// Entries held (expired ones count until they are purged).
    pub fn len(&self) -> usize {
        self.shared.live.load(Ordering::Acquire)
    }

    /// Whether no entry is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The maximum staleness (see
    /// [`RevocationListBuilder::max_staleness`]).
    pub fn max_staleness(&self) -> Duration {
        Duration::from_secs(self.shared.max_staleness)
    }

    /// How long a revoked session is kept, in seconds.
    #[cfg(feature = "reqwest")]
    pub(crate) fn session_ttl_secs(&self) -> u64 {
        self.shared.session_ttl
    }

    /// The failure policy.
    pub fn failure(&self) -> RevocationFailure {
        self.shared.failure
    }

    /// The state of the list, for health endpoints.
    pub fn health(&self) -> RevocationHealth {
        let now = self.now();
        let synced_at = self.shared.synced_at.load(Ordering::Acquire);
        let age = (synced_at != 0).then(|| Duration::from_secs(now.saturating_sub(synced_at)));
        let state = if self.shared.overflowed.load(Ordering::Acquire) {
            RevocationState::Full
        } else if !self.shared.synced_externally {
            RevocationState::Local
        } else {
            match age {
                None => RevocationState::NeverSynced,
                Some(age) if age.as_secs() <= self.shared.max_staleness => {
                    RevocationState::Synced { age }
                }
                Some(age) => RevocationState::Stale { age },
            }
        };
        RevocationHealth::new(
            state,
            self.len(),
            self.shared.max_entries,
            self.shared.failure,
        )
    }

    /// Refuse the token `payload` describes if a live entry names it, or
    /// if the list is out of sync under the closed policy. `now` is the
    /// verification's clock.
    #[inline]
    pub(crate) fn check(
        &self,
        payload: &Payload<'_>,
        signer: Option<&str>,
        now: u64,
    ) -> Result<(), Error> {
        let shared = &*self.shared;
        let now = match &shared.clock {
            Some(clock) => clock.load(Ordering::Relaxed),
            None => now,
        };
        if shared.failure == RevocationFailure::Closed && !self.in_sync(now) {
            return Err(Error::new(
                ErrorKind::RevocationUnavailable,
                "the revocation list is out of sync (its store has not answered within the \
                 maximum staleness, or it is full): no token can be checked against revocations \
                 now",
            )
            .with_retry_after(Duration::from_secs(1)));
        }
        if shared.live.load(Ordering::Acquire) == 0 {
            return Ok(());
        }
        let issuer = payload.iss.as_deref().or(signer).unwrap_or_default();
        let Some(&issuer) = shared.issuers.get(issuer, &shared.issuers.guard()) else {
            return Ok(());
        };
        let guard = shared.entries.guard();
        let live = |kind, id: &str| {
            shared
                .entries
                .get(&Probe { kind, issuer, id }, &guard)
                .filter(|stored| stored.until > now)
        };
        let issued_by = |stored: &Stored| payload.iat.is_none_or(|iat| iat <= stored.at);
        let revoked = payload
            .origin_jti
            .as_deref()
            .is_some_and(|id| live(RevocationKind::Session, id).is_some())
            || payload
                .jti
                .as_deref()
                .is_some_and(|id| live(RevocationKind::Token, id).is_some())
            || payload
                .sub
                .as_deref()
                .and_then(|id| live(RevocationKind::Subject, id))
                .is_some_and(issued_by)
            || payload
                .client_id
                .as_deref()
                .or_else(|| payload.aud.as_ref().and_then(|aud| aud.single()))
                .and_then(|id| live(RevocationKind::Client, id))
                .is_some_and(issued_by);
        if revoked {
            return Err(Error::new(
                ErrorKind::Revoked,
                "the token was revoked (its session or its user was signed out); sign in again",
            ));
        }
        Ok(())
    }

    /// Whether the list can be trusted now: not full, and when fed by a
    /// shared store, heard from within the maximum staleness.
    fn in_sync(&self, now: u64) -> bool {
        let shared = &*self.shared;
        if shared.overflowed.load(Ordering::Acquire) {
            return false;
        }
        if !shared.synced_externally {
            return true;
        }
        let synced_at = shared.synced_at.load(Ordering::Acquire);
        synced_at != 0 && now.saturating_sub(synced_at) <= shared.max_staleness
    }

    fn now(&self) -> u64 {
        match &self.shared.clock {
            Some(clock) => clock.load(Ordering::Relaxed),
            None => SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
        }
    }

    fn lock_writes(&self) -> std::sync::MutexGuard<'_, Writes> {
        self.shared
            .writes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn apply_locked(
        &self,
        writes: &mut Writes,
        entry: &RevocationEntry,
        now: u64,
    ) -> Result<(), RevocationError> {
        let shared = &*self.shared;
        writes.since_purge += 1;
        if writes.since_purge >= 1024 {
            self.purge_locked(writes, now);
        }
        let issuer = self.issuer_number(writes, &entry.issuer);
        let guard = shared.entries.guard();
        let probe = Probe {
            kind: entry.kind,
            issuer,
            id: &entry.id,
        };
        let existing = shared.entries.get(&probe, &guard).copied();
        if existing.is_none() && shared.live.load(Ordering::Acquire) >= shared.max_entries {
            self.purge_locked(writes, now);
            if shared.live.load(Ordering::Acquire) >= shared.max_entries {
                shared.overflowed.store(true, Ordering::Release);
                overflowed();
                tracing::error!(
                    max_entries = shared.max_entries,
                    "cognito-jwt: the revocation list is full; a revocation was refused and this \
                     replica counts as out of sync until there is room"
                );
                return Err(RevocationError::Full {
                    max_entries: shared.max_entries,
                });
            }
        }
        let stored = match existing {
            Some(old) => Stored {
                at: old.at.max(entry.at),
                until: old.until.max(entry.until),
            },
            None => Stored {
                at: entry.at,
                until: entry.until,
            },
        };
        shared.entries.insert(
            Key {
                kind: entry.kind,
                issuer,
                id: entry.id.as_str().into(),
            },
            stored,
            &guard,
        );
        if existing.is_none() {
            shared.live.fetch_add(1, Ordering::AcqRel);
        }
        if entry.kind == RevocationKind::Session
            && existing.is_none()
            && let Some(sub) = &entry.sub
        {
            self.collapse_sessions(writes, entry, issuer, sub, now, &guard);
        }
        entries_held(shared.live.load(Ordering::Acquire));
        Ok(())
    }

    /// The number of `issuer`, given one if it has none yet.
    fn issuer_number(&self, writes: &mut Writes, issuer: &str) -> u32 {
        let issuers = self.shared.issuers.pin();
        if let Some(&number) = issuers.get(issuer) {
            return number;
        }
        let number = writes.issuers;
        writes.issuers = writes.issuers.saturating_add(1);
        issuers.insert(issuer.into(), number);
        number
    }

    /// Keep at most [`MAX_SESSIONS_PER_SUBJECT`] revoked sessions per user:
    /// beyond that they become one subject entry at the latest revocation,
    /// which refuses every token of that user issued until then (more than
    /// the sessions asked, never less for what was issued).
    fn collapse_sessions(
        &self,
        writes: &mut Writes,
        entry: &RevocationEntry,
        issuer: u32,
        sub: &str,
        now: u64,
        guard: &impl papaya::Guard,
    ) {
        let shared = &*self.shared;
        let key = (issuer, Box::from(sub));
        let sessions = writes.sessions_of.entry(key).or_default();
        sessions.retain(|(_, until)| *until > now);
        sessions.push((entry.id.as_str().into(), entry.until));
        if sessions.len() <= MAX_SESSIONS_PER_SUBJECT {
            return;
        }
        let until = sessions
            .iter()
            .map(|(_, until)| *until)
            .max()
            .unwrap_or(entry.until);
        let subject = Probe {
            kind: RevocationKind::Subject,
            issuer,
            id: sub,
        };
        let existing = shared.entries.get(&subject, guard).copied();
        shared.entries.insert(
            Key {
                kind: RevocationKind::Subject,
                issuer,
                id: sub.into(),
            },
            Stored {
                at: existing.map_or(entry.at, |old| old.at.max(entry.at)),
                until: existing.map_or(until, |old| old.until.max(until)),
            },
            guard,
        );
        let mut removed = 0usize;
        for (id, _) in sessions.drain(..) {
            let probe = Probe {
                kind: RevocationKind::Session,
                issuer,
                id: &id,
            };
            if shared.entries.remove(&probe, guard).is_some() {
                removed += 1;
            }
        }
        if existing.is_none() {
            shared.live.fetch_add(1, Ordering::AcqRel);
        }
        shared.live.fetch_sub(removed, Ordering::AcqRel);
    }

    /// Drop every expired entry; clear the overflow of a list that no
    /// store feeds once there is room again.
    fn purge_locked(&self, writes: &mut Writes, now: u64) {
        let shared = &*self.shared;
        writes.since_purge = 0;
        let guard = shared.entries.guard();
        let mut removed = 0;
        shared.entries.retain(
            |_, stored| {
                let keep = stored.until > now;
                removed += usize::from(!keep);
                keep
            },
            &guard,
        );
        shared.live.fetch_sub(removed, Ordering::AcqRel);
        writes.sessions_of.retain(|_, sessions| {
            sessions.retain(|(_, until)| *until > now);
            !sessions.is_empty()
        });
        if !shared.synced_externally && shared.live.load(Ordering::Acquire) < shared.max_entries {
            shared.overflowed.store(false, Ordering::Release);
        }
    }
}

impl fmt::Debug for RevocationList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RevocationList")
            .field("entries", &self.len())
            .field("max_entries", &self.shared.max_entries)
            .field("failure", &self.shared.failure)
            .field("shared", &self.shared.publisher.is_some())
            .finish_non_exhaustive()
    }
}

#[cfg(feature = "metrics")]
fn overflowed() {
    ::metrics::counter!(crate::metrics::REVOCATION_OVERFLOWS_TOTAL).increment(1);
}

#[cfg(not(feature = "metrics"))]
fn overflowed() {}

#[cfg(feature = "metrics")]
fn entries_held(entries: usize) {
    #[allow(clippy::cast_precision_loss)]
    ::metrics::gauge!(crate::metrics::REVOCATION_ENTRIES).set(entries as f64);
}

#[cfg(not(feature = "metrics"))]
fn entries_held(_: usize) {}
