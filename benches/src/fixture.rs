//! The tokens, keys and verifiers every benchmark shares.

use std::fmt;

use aws_lc_rs::signature::{ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cognito_jwt_core::testing::{TestIssuer, TokenBuilder, sign_parts};
use cognito_jwt_core::{
    AccessTokenClaims, ClaimRule, CognitoJwtVerifier, ConfigError, ErrorKind, IdTokenClaims,
    RevocationEntry, RevocationKind, RevocationList, TokenUse, UserPool,
};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

use crate::alb::AlbCase;
use crate::curves::CurveCase;
use crate::dpop::DpopCase;

/// The user pool the benchmark tokens come from.
pub const POOL_ID: &str = "eu-west-1_Bench1234";
/// The app client the benchmark tokens are issued to (26 characters, like Cognito's).
pub const CLIENT_ID: &str = "4b1jcf0c7ebqa9hp3e5kd2mv8n";

/// The resource server the `verify/cached_key_resource_and_rules` case
/// binds access tokens to (RFC 8707).
pub const RESOURCE: &str = "https://api.example.com/orders";
/// The two claim rules of that case, in `REQUIRED_CLAIMS` syntax.
pub const RULES: &str = "custom:tenant=acme-industries;custom:plan=gold|platinum";

/// A Cognito access token's claims as a jsonwebtoken user would declare them.
#[derive(Debug, Clone, Deserialize)]
#[allow(missing_docs)]
pub struct PeerAccessClaims {
    pub sub: String,
    pub iss: String,
    pub client_id: String,
    pub token_use: String,
    pub exp: u64,
    pub iat: u64,
    pub auth_time: u64,
    pub username: Option<String>,
    pub jti: Option<String>,
    pub origin_jti: Option<String>,
    pub event_id: Option<String>,
    #[serde(rename = "cognito:groups", default)]
    pub groups: Vec<String>,
    #[serde(default)]
    pub scope: String,
}

/// Why the jsonwebtoken peer refused a token.
#[derive(Debug)]
#[non_exhaustive]
pub enum PeerRejection {
    /// jsonwebtoken's own checks (signature, `exp`, `iss`, …).
    Jwt(jsonwebtoken::errors::Error),
    /// `client_id` is not [`CLIENT_ID`].
    ClientId,
    /// `token_use` is not `access`.
    TokenUse,
}

/// One issuer with one RSA-2048 key, Cognito-sized tokens signed by it, and
/// every verifier the benchmarks compare. Building one generates a key
/// (~0.1 s) and checks that each case takes the path its benchmark claims
/// to measure.
pub struct Fixture {
    issuer: TestIssuer,
    access_token: String,
    other_access_token: String,
    id_token: String,
    /// The access token bound to [`RESOURCE`], with the two claims
    /// [`RULES`] require.
    bound_access_token: String,
    bad_signature_token: String,
    expired_token: String,
    unknown_kid_token: String,
    hostile_token: String,
    hostile_unknown_kid_token: String,
    access_verifier: CognitoJwtVerifier,
    id_verifier: CognitoJwtVerifier,
    caching_verifier: CognitoJwtVerifier,
    /// [`RESOURCE`] bound, [`RULES`] required.
    rules_verifier: CognitoJwtVerifier,
    /// The same pool with no resource bound and no rule: it accepts the
    /// bound token as any other (the baseline of the rules case).
    unbound_verifier: CognitoJwtVerifier,
    /// The access verifier with a revocation list of
    /// [`REVOCATION_ENTRIES`] entries, none of them the access token's.
    revoking_verifier: CognitoJwtVerifier,
    /// The caching verifier with the same list.
    revoking_caching_verifier: CognitoJwtVerifier,
    /// The access token's signature, decoded.
    signature: Vec<u8>,
    /// The access token's payload, decoded.
    payload: Vec<u8>,
    parsed_key: ParsedPublicKey,
    modulus: Vec<u8>,
    exponent: Vec<u8>,
    peer_key: DecodingKey,
    peer_validation: Validation,
    es256: CurveCase,
    eddsa: CurveCase,
    alb: AlbCase,
    /// Made on first use: its proofs take a while to mint.
    dpop: std::sync::OnceLock<DpopCase>,
}

impl fmt::Debug for Fixture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fixture")
            .field("issuer", &self.issuer)
            .field("access_token_len", &self.access_token.len())
            .field("id_token_len", &self.id_token.len())
            .finish_non_exhaustive()
    }
}

impl Default for Fixture {
    fn default() -> Self {
        Self::new()
    }
}

impl Fixture {
    /// Generate the key, mint the tokens, build the verifiers, and check
    /// every case once.
    ///
    /// # Panics
    /// When a case does not behave as its benchmark assumes (for example a
    /// valid token is refused): timing the wrong path would be worse than
    /// no figure.
    #[allow(clippy::expect_used)]
    pub fn new() -> Self {
        let issuer = TestIssuer::new(POOL_ID);
        let access = || access_token(&issuer);
        let access_token = access().sign();
        let bound_access_token = access()
            .claim("aud", RESOURCE)
            .claim("custom:tenant", "acme-industries")
            .claim("custom:plan", "gold")
            .sign();
        let other_access_token = access()
            .claim("username", "google_204729384756102938476")
            .sign();
        let expired_token = access().expires_in(-120).sign();
        let unknown_kid_token = access().header("kid", "not-in-the-key-set").sign();
        let bad_signature_token = corrupt_signature(&access_token);
        let (header, payload) = access().json();
        let stuffed = stuffed_payload(&payload);
        let hostile_token = corrupt_signature(&sign_parts(issuer.key(), &header, &stuffed));
        let hostile_unknown_kid_token = sign_parts(
            issuer.key(),
            &header.replace(issuer.key().kid(), "not-in-the-key-set"),
            &stuffed,
        );
        let id_token = issuer
            .id_token(CLIENT_ID)
            .group("admins")
            .group("billing-readers")
            .claim("cognito:username", "google_104729384756102938475")
            .claim("custom:tenant", "acme-industries")
            .claim("at_hash", "Qm9vdHN0cmFwcGVkQXRIYXNo")
            .sign();

        let access_verifier = issuer.verifier(CLIENT_ID, TokenUse::Access);
        let id_verifier = issuer.verifier(CLIENT_ID, TokenUse::Id);
        let caching_verifier = CognitoJwtVerifier::builder()
            .user_pool(issuer.user_pool(CLIENT_ID, TokenUse::Access))
            .token_cache_max_bytes(4 * 1024 * 1024)
            .build()
            .expect("caching verifier configuration");
        caching_verifier
            .cache_jwks(POOL_ID, &issuer.jwks_json())
            .expect("key set");
        let mut rules_verifier = CognitoJwtVerifier::builder().user_pool(
            issuer
                .user_pool(CLIENT_ID, TokenUse::Access)
                .resource(RESOURCE),
        );
        for rule in ClaimRule::parse_list(RULES, "RULES").expect("the rules parse") {
            rules_verifier = rules_verifier.require_claim(rule);
        }
        let rules_verifier = rules_verifier
            .build()
            .expect("resource and rules configuration");
        rules_verifier
            .cache_jwks(POOL_ID, &issuer.jwks_json())
            .expect("key set");
        let unbound_verifier = CognitoJwtVerifier::builder()
            .user_pool(
                issuer
                    .user_pool(CLIENT_ID, TokenUse::Access)
                    .dangerously_accept_any_resource(),
            )
            .build()
            .expect("unbound configuration");
        unbound_verifier
            .cache_jwks(POOL_ID, &issuer.jwks_json())
            .expect("key set");

        let revocations = revocation_list(issuer.issuer());
        let revoking_verifier = CognitoJwtVerifier::builder()
            .user_pool(issuer.user_pool(CLIENT_ID, TokenUse::Access))
            .revocation(revocations.clone())
            .build()
            .expect("revoking verifier configuration");
        revoking_verifier
            .cache_jwks(POOL_ID, &issuer.jwks_json())
            .expect("key set");
        let revoking_caching_verifier = CognitoJwtVerifier::builder()
            .user_pool(issuer.user_pool(CLIENT_ID, TokenUse::Access))
            .token_cache_max_bytes(4 * 1024 * 1024)
            .revocation(revocations)
            .build()
            .expect("revoking caching verifier configuration");
        revoking_caching_verifier
            .cache_jwks(POOL_ID, &issuer.jwks_json())
            .expect("key set");

        let (signing_input, signature) = access_token
            .rsplit_once('.')
            .expect("a compact JWS has a signature segment");
        let signature = URL_SAFE_NO_PAD.decode(signature).expect("signature base64");
        let payload_segment = signing_input
            .split_once('.')
            .map(|(_, payload)| payload)
            .expect("a compact JWS has a payload segment");
        let payload = URL_SAFE_NO_PAD
            .decode(payload_segment)
            .expect("payload base64");
        let parsed_key =
            ParsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, issuer.key().public_der())
                .expect("the test key parses");
        let modulus = URL_SAFE_NO_PAD.decode(issuer.key().n()).expect("n base64");
        let exponent = URL_SAFE_NO_PAD.decode(issuer.key().e()).expect("e base64");
        let peer_key = DecodingKey::from_rsa_components(&issuer.key().n(), &issuer.key().e())
            .expect("jsonwebtoken accepts the key");
        let mut peer_validation = Validation::new(Algorithm::RS256);
        peer_validation.set_issuer(&[issuer.issuer()]);
        peer_validation.set_required_spec_claims(&["exp", "iss"]);
        // Access tokens carry client_id, not aud; it is checked after decoding.
        peer_validation.validate_aud = false;
        // Same as the verifier's default.
        peer_validation.leeway = 0;

        let fixture = Self {
            issuer,
            access_token,
            other_access_token,
            id_token,
            bound_access_token,
            bad_signature_token,
            expired_token,
            unknown_kid_token,
            hostile_token,
            hostile_unknown_kid_token,
            access_verifier,
            id_verifier,
            caching_verifier,
            rules_verifier,
            unbound_verifier,
            revoking_verifier,
            revoking_caching_verifier,
            signature,
            payload,
            parsed_key,
            modulus,
            exponent,
            peer_key,
            peer_validation,
            es256: CurveCase::es256(),
            dpop: std::sync::OnceLock::new(),
            eddsa: CurveCase::eddsa(),
            alb: AlbCase::new(),
        };
        fixture.check();
        fixture
    }

    fn check(&self) {
        let refusal = |token: &str| {
            self.access_verifier
                .verify_sync::<AccessTokenClaims>(token)
                .err()
                .map(|e| e.kind())
        };
        assert!(self.floor(), "floor: the signature must verify");
        assert!(
            self.key_per_call(),
            "key per call: the signature must verify"
        );
        assert_eq!(refusal(&self.access_token), None, "valid access token");
        assert_eq!(
            refusal(&self.bad_signature_token),
            Some(ErrorKind::InvalidSignature)
        );
        assert_eq!(refusal(&self.expired_token), Some(ErrorKind::Expired));
        assert_eq!(
            refusal(&self.unknown_kid_token),
            Some(ErrorKind::UnknownKid)
        );
        assert!(self.hostile_token.len() > cognito_jwt_core::MAX_TOKEN_LEN - 800);
        assert_eq!(
            refusal(&self.hostile_token),
            Some(ErrorKind::InvalidSignature)
        );
        assert_eq!(
            refusal(&self.hostile_unknown_kid_token),
            Some(ErrorKind::UnknownKid)
        );
        if let Err(e) = self
            .id_verifier
            .verify_sync::<IdTokenClaims>(&self.id_token)
        {
            panic!("valid ID token refused: {:?}", e.kind());
        }
        for token in [&self.access_token, &self.other_access_token] {
            for _ in 0..2 {
                if let Err(e) = self
                    .caching_verifier
                    .verify_sync::<AccessTokenClaims>(token)
                {
                    panic!("caching verifier refused the token: {:?}", e.kind());
                }
            }
        }
        if let Err(e) = self
            .rules_verifier
            .verify_sync::<AccessTokenClaims>(&self.bound_access_token)
        {
            panic!(
                "the resource-and-rules verifier refused its token: {:?}",
                e.kind()
            );
        }
        if let Err(e) = self
            .unbound_verifier
            .verify_sync::<AccessTokenClaims>(&self.bound_access_token)
        {
            panic!(
                "the unbound verifier refused the bound token: {:?}",
                e.kind()
            );
        }
        assert!(
            self.rules_verifier
                .verify_sync::<AccessTokenClaims>(&self.access_token)
                .is_err(),
            "an access token without the resource must be refused"
        );
        if let Err(e) = self.jsonwebtoken_decode(&self.access_token) {
            panic!("jsonwebtoken refused the valid token: {e:?}");
        }
        assert!(self.jsonwebtoken_decode(&self.bad_signature_token).is_err());
        assert!(self.jsonwebtoken_decode(&self.expired_token).is_err());
    }

    /// The access token bound to [`RESOURCE`] with the claims [`RULES`]
    /// require.
    pub fn bound_access_token(&self) -> &str {
        &self.bound_access_token
    }

    /// A verifier with [`RESOURCE`] bound and [`RULES`] required, its key
    /// set cached.
    pub fn rules_verifier(&self) -> &CognitoJwtVerifier {
        &self.rules_verifier
    }

    /// The pool with no resource bound and no rule, accepting any `aud`.
    pub fn unbound_verifier(&self) -> &CognitoJwtVerifier {
        &self.unbound_verifier
    }

    /// The access verifier with a list of [`REVOCATION_ENTRIES`]
    /// revocations (sessions, tokens, users and clients of the same issuer,
    /// none the access token's), its key set cached.
    pub fn revoking_verifier(&self) -> &CognitoJwtVerifier {
        &self.revoking_verifier
    }

    /// [`caching_verifier`](Self::caching_verifier) with the same list.
    pub fn revoking_caching_verifier(&self) -> &CognitoJwtVerifier {
        &self.revoking_caching_verifier
    }

    /// The issuer (its key set, pool id and issuer URL).
    pub fn issuer(&self) -> &TestIssuer {
        &self.issuer
    }

    /// A valid access token, about 1 KiB like a real one with groups.
    pub fn access_token(&self) -> &str {
        &self.access_token
    }

    /// Another user's valid access token of the same shape, also held by
    /// the caching verifier's cache.
    pub fn other_access_token(&self) -> &str {
        &self.other_access_token
    }

    /// `count` valid access tokens of the same shape, each for another
    /// user (not cached anywhere yet).
    pub fn user_access_tokens(&self, count: usize) -> Vec<String> {
        (0..count)
            .map(|user| {
                access_token(&self.issuer)
                    .claim("username", format!("google_{user:0>27}"))
                    .sign()
            })
            .collect()
    }

    /// A valid ID token for the same user.
    pub fn id_token(&self) -> &str {
        &self.id_token
    }

    /// The access token with one signature character changed (still base64url).
    pub fn bad_signature_token(&self) -> &str {
        &self.bad_signature_token
    }

    /// A correctly signed access token that expired two minutes ago.
    pub fn expired_token(&self) -> &str {
        &self.expired_token
    }

    /// A correctly signed access token naming a `kid` the key set lacks:
    /// refused after every step that precedes the signature check.
    pub fn unknown_kid_token(&self) -> &str {
        &self.unknown_kid_token
    }

    /// The worst shape found for a forged token: the size cap filled with
    /// the shortest distinct claims (about 1,300), a wrong signature, and
    /// the cached key's `kid`.
    pub fn hostile_token(&self) -> &str {
        &self.hostile_token
    }

    /// The same payload, correctly signed, naming a `kid` the key set lacks
    /// (refused during the refetch cool-down).
    pub fn hostile_unknown_kid_token(&self) -> &str {
        &self.hostile_unknown_kid_token
    }

    /// The access token's decoded payload (JSON).
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// Access tokens only, keys cached, no verified-token cache.
    pub fn access_verifier(&self) -> &CognitoJwtVerifier {
        &self.access_verifier
    }

    /// ID tokens only, keys cached, no verified-token cache.
    pub fn id_verifier(&self) -> &CognitoJwtVerifier {
        &self.id_verifier
    }

    /// Access tokens, keys cached, verified-token cache of 4 MiB already
    /// holding [`access_token`](Self::access_token) and
    /// [`other_access_token`](Self::other_access_token).
    pub fn caching_verifier(&self) -> &CognitoJwtVerifier {
        &self.caching_verifier
    }

    /// A new verifier for access tokens that fetches its key set from
    /// `jwks_uri` (nothing cached yet).
    ///
    /// # Errors
    /// When the configuration is refused.
    pub fn fresh_verifier(&self, jwks_uri: &str) -> Result<CognitoJwtVerifier, ConfigError> {
        CognitoJwtVerifier::builder()
            .user_pool(
                UserPool::new(POOL_ID)
                    .client_id(CLIENT_ID)
                    .token_use(TokenUse::Access)
                    .jwks_uri(jwks_uri),
            )
            .build()
    }

    /// A DPoP-bound access token, its verifiers, proofs and floor (made
    /// on the first call).
    pub fn dpop(&self) -> &DpopCase {
        self.dpop
            .get_or_init(|| DpopCase::new(&self.issuer, access_token(&self.issuer)))
    }

    /// An ES256 token of a generic issuer, its `JwtVerifier` and floor.
    pub fn es256(&self) -> &CurveCase {
        &self.es256
    }

    /// An EdDSA (Ed25519) token of a generic issuer, its `JwtVerifier` and
    /// floor.
    pub fn eddsa(&self) -> &CurveCase {
        &self.eddsa
    }

    /// An Application Load Balancer's `x-amzn-oidc-data` token (ES256),
    /// its `AlbJwtVerifier` and floor.
    pub fn alb(&self) -> &AlbCase {
        &self.alb
    }

    /// The floor: RSA PKCS#1 SHA-256 verification of the access token's
    /// signing input and decoded signature with a key parsed beforehand.
    pub fn floor(&self) -> bool {
        self.parsed_key
            .verify_sig(self.signing_input(), &self.signature)
            .is_ok()
    }

    /// The floor's check on any signing input and signature.
    pub fn parsed_key_verify(&self, signing_input: &[u8], signature: &[u8]) -> bool {
        self.parsed_key.verify_sig(signing_input, signature).is_ok()
    }

    /// The same check with the key built from `n` and `e` on every call, as
    /// jsonwebtoken does.
    pub fn key_per_call(&self) -> bool {
        RsaPublicKeyComponents {
            n: &self.modulus,
            e: &self.exponent,
        }
        .verify(
            &RSA_PKCS1_2048_8192_SHA256,
            self.signing_input(),
            &self.signature,
        )
        .is_ok()
    }

    fn signing_input(&self) -> &[u8] {
        let end = self.access_token.rfind('.').unwrap_or(0);
        &self.access_token.as_bytes()[..end]
    }

    /// jsonwebtoken 11 (aws-lc-rs backend) `decode` into typed claims with
    /// RS256 only, the issuer, `exp` and no leeway, then the `client_id` and
    /// `token_use` checks the verifier also makes.
    ///
    /// # Errors
    /// Why the token was refused.
    pub fn jsonwebtoken_decode(&self, token: &str) -> Result<PeerAccessClaims, PeerRejection> {
        let claims =
            jsonwebtoken::decode::<PeerAccessClaims>(token, &self.peer_key, &self.peer_validation)
                .map_err(PeerRejection::Jwt)?
                .claims;
        if claims.client_id != CLIENT_ID {
            return Err(PeerRejection::ClientId);
        }
        if claims.token_use != "access" {
            return Err(PeerRejection::TokenUse);
        }
        Ok(claims)
    }
}

/// `payload` with distinct short claims (`"c1":0`, …) up to the token size
/// cap.
fn stuffed_payload(payload: &str) -> String {
    let mut out = payload[..payload.len() - 1].to_owned();
    let mut i = 0;
    while (out.len() + 16) * 4 / 3 < cognito_jwt_core::MAX_TOKEN_LEN - 700 {
        out.push_str(&format!(",\"c{i}\":0"));
        i += 1;
    }
    out.push('}');
    out
}

/// A Cognito-sized access token: three groups, five scopes, a federated
/// user name.
fn access_token(issuer: &TestIssuer) -> TokenBuilder<'_> {
    issuer
        .access_token(CLIENT_ID)
        .group("admins")
        .group("billing-readers")
        .group(&format!("{POOL_ID}_Google"))
        .scope("aws.cognito.signin.user.admin phone openid profile email")
        .claim("username", "google_104729384756102938475")
}

/// Change one character in the middle of the signature segment, keeping the
/// token well-formed.
fn corrupt_signature(token: &str) -> String {
    let position = token.len() - 100;
    let mut bytes = token.as_bytes().to_vec();
    bytes[position] = if bytes[position] == b'A' { b'B' } else { b'A' };
    String::from_utf8(bytes).unwrap_or_default()
}

/// The entries of the benchmarks' revocation list.
pub const REVOCATION_ENTRIES: usize = 100_000;

/// A list of [`REVOCATION_ENTRIES`] revocations of `issuer`: 40 % sessions,
/// 30 % tokens, 20 % users and 10 % clients, ids shaped like Cognito's
/// (UUIDs), kept for an hour.
pub fn revocation_list(issuer: &str) -> RevocationList {
    let list = RevocationList::builder()
        .max_entries(REVOCATION_ENTRIES)
        .build()
        .expect("list settings");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    for i in 0..REVOCATION_ENTRIES {
        let kind = match i % 10 {
            0..=3 => RevocationKind::Session,
            4..=6 => RevocationKind::Token,
            7 | 8 => RevocationKind::Subject,
            _ => RevocationKind::Client,
        };
        let id = format!("{:08x}-7d3c-4b1e-9f2a-{:012x}", i, i * 7919);
        let mut entry = RevocationEntry::new(kind, issuer, id, now - 60, now + 3600);
        if kind == RevocationKind::Session {
            entry = entry.of_subject(format!("user-{i}"));
        }
        list.apply(&entry).expect("room for every entry");
    }
    assert_eq!(list.len(), REVOCATION_ENTRIES);
    list
}
