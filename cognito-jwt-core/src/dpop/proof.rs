//! One DPoP proof checked against one request (RFC 9449 §4.3): its
//! header, its key, its signature and its claims. The key binding and the
//! replay check come after, in the engine's step.

use aws_lc_rs::digest::{SHA256, digest};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde::de::IgnoredAny;

use super::htu::normalized_htu;
use super::{DpopConfig, DpopRequest};
use crate::algorithm::Algorithm;
use crate::claims::NumericDate;
use crate::error::{Error, ErrorKind};
use crate::jwks::Material;
use crate::jwt::{decode_header, decode_signature, media_type_is, split};

/// Longest proof accepted, in bytes: a proof carrying an 8192-bit RSA key
/// and signature is under 4 KiB.
pub(crate) const MAX_PROOF_LEN: usize = 8 * 1024;

/// Longest `jti` accepted, in bytes.
const MAX_JTI_LEN: usize = 256;

/// What a good proof says, for the binding and replay checks.
#[derive(Debug)]
pub(crate) struct CheckedProof {
    /// The RFC 7638 SHA-256 thumbprint of its `jwk`, base64url.
    pub(crate) jkt: String,
    pub(crate) jti: String,
    pub(crate) iat: u64,
}

fn refused(message: &'static str) -> Error {
    Error::new(ErrorKind::InvalidDpopProof, message)
}

/// A proof's header. Repeated members are refused by the derive; a member
/// naming a private key part is refused by its presence.
#[derive(Deserialize)]
struct ProofHeader {
    typ: Option<String>,
    alg: Option<String>,
    jwk: Option<ProofJwk>,
    crit: Option<IgnoredAny>,
}

/// The `jwk` header: the public members read, the private ones only seen.
#[derive(Deserialize)]
struct ProofJwk {
    kty: Option<String>,
    crv: Option<String>,
    x: Option<String>,
    y: Option<String>,
    n: Option<String>,
    e: Option<String>,
    d: Option<IgnoredAny>,
    p: Option<IgnoredAny>,
    q: Option<IgnoredAny>,
    dp: Option<IgnoredAny>,
    dq: Option<IgnoredAny>,
    qi: Option<IgnoredAny>,
    oth: Option<IgnoredAny>,
    k: Option<IgnoredAny>,
}

impl ProofJwk {
    fn has_private_members(&self) -> bool {
        self.d.is_some()
            || self.p.is_some()
            || self.q.is_some()
            || self.dp.is_some()
            || self.dq.is_some()
            || self.qi.is_some()
            || self.oth.is_some()
            || self.k.is_some()
    }

    /// The key's public parameters, and its RFC 7638 thumbprint input:
    /// the required members in lexicographic order, no whitespace.
    fn material(&self) -> Result<(Material<'_>, String), Error> {
        let not_a_key =
            || refused("the proof's jwk is not an RSA, P-256, P-384 or Ed25519 public key");
        match self.kty.as_deref() {
            Some("RSA") => {
                let (n, e) = (
                    self.n.as_deref().ok_or_else(not_a_key)?,
                    self.e.as_deref().ok_or_else(not_a_key)?,
                );
                Ok((
                    Material::Rsa { n, e },
                    format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#),
                ))
            }
            Some("EC") => {
                let curve = match self.crv.as_deref() {
                    Some("P-256") => Algorithm::ES256,
                    Some("P-384") => Algorithm::ES384,
                    _ => return Err(not_a_key()),
                };
                let (x, y) = (
                    self.x.as_deref().ok_or_else(not_a_key)?,
                    self.y.as_deref().ok_or_else(not_a_key)?,
                );
                let crv = self.crv.as_deref().unwrap_or_default();
                Ok((
                    Material::Ec { curve, x, y },
                    format!(r#"{{"crv":"{crv}","kty":"EC","x":"{x}","y":"{y}"}}"#),
                ))
            }
            Some("OKP") if self.crv.as_deref() == Some("Ed25519") => {
                let x = self.x.as_deref().ok_or_else(not_a_key)?;
                Ok((
                    Material::Ed25519 { x },
                    format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#),
                ))
            }
            _ => Err(not_a_key()),
        }
    }
}

/// A proof's claims. Repeated members are refused by the derive.
#[derive(Deserialize)]
struct ProofClaims {
    jti: Option<String>,
    htm: Option<String>,
    htu: Option<String>,
    iat: Option<NumericDate>,
    ath: Option<String>,
    nonce: Option<String>,
}

/// base64url(SHA-256(`text`)): a proof's `ath`, a key's thumbprint.
fn sha256_b64(text: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(digest(&SHA256, text))
}

/// Check `request.proof` for `request`, presented with `token`, at `now`
/// (seconds since 1970) with `leeway` seconds of clock skew.
pub(crate) fn check_proof(
    config: &DpopConfig,
    request: &DpopRequest<'_>,
    token: &str,
    now: u64,
    leeway: u64,
) -> Result<CheckedProof, Error> {
    let proof = request.proof;
    if proof.len() > MAX_PROOF_LEN {
        return Err(refused("the DPoP proof is longer than 8192 bytes"));
    }
    let parts = split(proof).map_err(|_| refused("the DPoP proof is not a compact JWS"))?;
    let header_json = decode_header(parts.header)
        .map_err(|_| refused("the DPoP proof's header is not unpadded base64url"))?;
    let header: ProofHeader = serde_json::from_slice(&header_json).map_err(|_| {
        refused(
            "the DPoP proof's header is not a JSON object of the expected members, or repeats one",
        )
    })?;
    if header.crit.is_some() {
        return Err(refused(
            "the DPoP proof's header has crit, which is not supported",
        ));
    }
    if !header
        .typ
        .as_deref()
        .is_some_and(|typ| media_type_is(typ, "dpop+jwt"))
    {
        return Err(refused("the DPoP proof's typ is not dpop+jwt"));
    }
    let alg = header
        .alg
        .as_deref()
        .and_then(Algorithm::from_alg)
        .filter(|alg| config.algorithms.contains(*alg))
        .ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidDpopProof,
                format!(
                    "the DPoP proof's alg is not accepted (accepted: {}; never none or HMAC)",
                    config.algorithms.names()
                ),
            )
        })?;
    let jwk = header
        .jwk
        .ok_or_else(|| refused("the DPoP proof's header has no jwk"))?;
    if jwk.has_private_members() {
        return Err(refused(
            "the DPoP proof's jwk holds private key members; send the public key only",
        ));
    }
    let (material, thumbprint_input) = jwk.material()?;
    if !material.algorithms().contains(alg) {
        return Err(refused(
            "the DPoP proof's alg does not fit its jwk's key type or curve",
        ));
    }
    let key = config.keys.parsed(alg, &thumbprint_input, || {
        material
            .parse(alg)
            .map_err(|_| refused("the DPoP proof's jwk is not a usable public key"))
    })?;
    let signature = decode_signature(parts.signature)
        .map_err(|_| refused("the DPoP proof's signature is not unpadded base64url"))?
        .map_err(|_| refused("the DPoP proof's signature is empty or too long"))?;
    if key.verify_sig(parts.signing_input, &signature).is_err() {
        return Err(refused(
            "the DPoP proof's signature does not verify with its jwk",
        ));
    }
    let payload = crate::jwt::decode_payload(parts.payload)
        .map_err(|_| refused("the DPoP proof's payload is not base64url UTF-8"))?;
    let claims: ProofClaims = serde_json::from_str(&payload).map_err(|_| {
        refused(
            "the DPoP proof's claims are not a JSON object of the expected types, or repeat one",
        )
    })?;
    let jti = claims
        .jti
        .filter(|jti| !jti.is_empty() && jti.len() <= MAX_JTI_LEN)
        .ok_or_else(|| refused("the DPoP proof has no jti, or one longer than 256 bytes"))?;
    if claims.htm.as_deref() != Some(request.method) {
        return Err(refused("the DPoP proof's htm is not this request's method"));
    }
    let htu = claims.htu.as_deref().and_then(normalized_htu);
    if htu.is_none() || htu != normalized_htu(request.url) {
        return Err(refused("the DPoP proof's htu is not this request's URL"));
    }
    let iat = claims
        .iat
        .ok_or_else(|| refused("the DPoP proof has no iat"))?
        .0;
    let window = config.iat_window.saturating_add(leeway);
    if iat > now.saturating_add(window) {
        return Err(refused(
            "the DPoP proof's iat is in the future; check the client's clock",
        ));
    }
    if iat.saturating_add(window) < now {
        return Err(refused(
            "the DPoP proof is too old (iat); make a new proof for every request",
        ));
    }
    if claims.ath.as_deref().map(str::as_bytes) != Some(sha256_b64(token.as_bytes()).as_bytes()) {
        return Err(refused(
            "the DPoP proof's ath is not the hash of the access token sent with it",
        ));
    }
    if let Some(nonces) = &config.nonces
        && !claims
            .nonce
            .as_deref()
            .is_some_and(|nonce| nonces.accepts(nonce, now))
    {
        return Err(Error::new(
            ErrorKind::UseDpopNonce,
            "the DPoP proof has no nonce, or one that is no longer current; retry with the DPoP-Nonce given",
        )
        .with_challenge(crate::error::ChallengeParams {
            dpop_nonce: Some(nonces.current(now).into()),
            ..Default::default()
        }));
    }
    Ok(CheckedProof {
        jkt: sha256_b64(thumbprint_input.as_bytes()),
        jti,
        iat,
    })
}
