//! The headline cases and the main `parts/`, by name: what the
//! `interleaved` ratio table times and what the `instructions` binary
//! counts. Each is one operation on a [`Fixture`] that returns whether it
//! took the path its name says (a valid token accepted, a bad one
//! refused).

use cognito_jwt_core::{AccessTokenClaims, IdTokenClaims};

use crate::{Fixture, PeerAccessClaims};

/// A case: its id (as in the criterion suite) and its operation.
pub type Case = (&'static str, fn(&Fixture) -> bool);

/// Every case, each floor before the cases compared with it.
pub const ALL: &[Case] = &[
    ("floor/aws_lc_rs_parsed_key", |f| f.floor()),
    ("peers/aws_lc_rs_key_per_call", |f| f.key_per_call()),
    ("peers/jsonwebtoken_decode", |f| {
        f.jsonwebtoken_decode(f.access_token()).is_ok()
    }),
    ("verify/cached_key", |f| {
        f.access_verifier()
            .verify_sync::<AccessTokenClaims>(f.access_token())
            .is_ok()
    }),
    ("verify/cached_key_bound_token_no_rules", |f| {
        f.unbound_verifier()
            .verify_sync::<AccessTokenClaims>(f.bound_access_token())
            .is_ok()
    }),
    ("verify/cached_key_resource_and_rules", |f| {
        f.rules_verifier()
            .verify_sync::<AccessTokenClaims>(f.bound_access_token())
            .is_ok()
    }),
    ("verify/cached_key_id_token", |f| {
        f.id_verifier()
            .verify_sync::<IdTokenClaims>(f.id_token())
            .is_ok()
    }),
    ("verify/result_cache_hit", |f| {
        f.caching_verifier()
            .verify_sync::<AccessTokenClaims>(f.access_token())
            .is_ok()
    }),
    ("verify/cached_key_revocation_100k", |f| {
        f.revoking_verifier()
            .verify_sync::<AccessTokenClaims>(f.access_token())
            .is_ok()
    }),
    ("verify/result_cache_hit_revocation_100k", |f| {
        f.revoking_caching_verifier()
            .verify_sync::<AccessTokenClaims>(f.access_token())
            .is_ok()
    }),
    ("verify/reject_bad_signature", |f| {
        f.access_verifier()
            .verify_sync::<AccessTokenClaims>(f.bad_signature_token())
            .is_err()
    }),
    ("verify/reject_expired", |f| {
        f.access_verifier()
            .verify_sync::<AccessTokenClaims>(f.expired_token())
            .is_err()
    }),
    ("verify/reject_hostile_forged", |f| {
        f.access_verifier()
            .verify_sync::<AccessTokenClaims>(f.hostile_token())
            .is_err()
    }),
    ("verify/reject_hostile_unknown_kid", |f| {
        f.access_verifier()
            .verify_sync::<AccessTokenClaims>(f.hostile_unknown_kid_token())
            .is_err()
    }),
    ("parts/pre_signature_unknown_kid", |f| {
        f.access_verifier()
            .verify_sync::<AccessTokenClaims>(f.unknown_kid_token())
            .is_err()
    }),
    ("parts/deserialize_peer_claims", |f| {
        serde_json::from_slice::<PeerAccessClaims>(f.payload()).is_ok()
    }),
    ("parts/floor_then_peer_claims", |f| {
        f.floor() && serde_json::from_slice::<PeerAccessClaims>(f.payload()).is_ok()
    }),
    ("floor/es256_aws_lc_rs_parsed_key", |f| f.es256().floor()),
    ("verify/es256_cached_key", |f| f.es256().verify_cached()),
    ("floor/eddsa_aws_lc_rs_parsed_key", |f| f.eddsa().floor()),
    ("verify/eddsa_cached_key", |f| f.eddsa().verify_cached()),
    ("floor/alb_aws_lc_rs_parsed_key", |f| f.alb().floor()),
    ("verify/alb_cached_key", |f| f.alb().verify_cached()),
];

/// The DPoP cases: counted by `instructions` when named (`--cases
/// verify/dpop_bound`), never sampled by `interleaved`, since each run
/// uses up one of [`PROOFS`](crate::PROOFS) proofs.
pub const DPOP: &[Case] = &[
    ("floor/dpop_token_and_proof_signatures", |f| {
        f.dpop().floor()
    }),
    ("verify/dpop_bound", |f| f.dpop().verify()),
    ("verify/dpop_bound_token_cache_hit", |f| {
        f.dpop().verify_cache_hit()
    }),
];

/// The case named `name`.
pub fn find(name: &str) -> Option<Case> {
    ALL.iter()
        .chain(DPOP)
        .copied()
        .find(|(case, _)| *case == name)
}

/// The floor a case is compared with: the bare signature check of its
/// token (`es256_…`, `eddsa_…` and `alb_…` cases have their own, `dpop_…`
/// cases the token's and the proof's together; every other case is the
/// Cognito RS256 access token's).
pub fn floor_of(name: &str) -> &'static str {
    let case = name.split_once('/').map_or(name, |(_, case)| case);
    if case.starts_with("dpop_") {
        "floor/dpop_token_and_proof_signatures"
    } else if case.starts_with("es256_") {
        "floor/es256_aws_lc_rs_parsed_key"
    } else if case.starts_with("eddsa_") {
        "floor/eddsa_aws_lc_rs_parsed_key"
    } else if case.starts_with("alb_") {
        "floor/alb_aws_lc_rs_parsed_key"
    } else {
        "floor/aws_lc_rs_parsed_key"
    }
}
