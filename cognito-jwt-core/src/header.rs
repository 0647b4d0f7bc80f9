//! A token's header as JSON, for checks of your own after verification.

use serde_json::{Map, Value};

use crate::error::{Error, ErrorKind};

/// The header of `token` (`alg`, `kid`, `typ`, and whatever else it
/// carries) as a JSON object, for a check of your own that needs it beside
/// the claims: a database lookup after the verifier accepted the token,
/// for example (see the README's "Checks that need I/O").
///
/// It **verifies nothing**: call it only on a token a verifier has just
/// accepted, whose header the signature covers. The verifier already
/// decided on `alg`, `kid`, `typ` and `crit`; this only reads them again.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), cognito_jwt_core::Error> {
/// use cognito_jwt_core::testing::TestIssuer;
/// use cognito_jwt_core::{AccessTokenClaims, TokenUse, decode_header};
///
/// let issuer = TestIssuer::new("eu-west-1_TestPool1");
/// let verifier = issuer.verifier("my-client", TokenUse::Access);
/// let token = issuer.access_token("my-client").sign();
///
/// let claims: AccessTokenClaims = verifier.verify(&token).await?;
/// let header = decode_header(&token)?; // only once `verify` said yes
/// assert_eq!(header["alg"], "RS256");
/// assert_eq!(header["kid"], issuer.key().kid());
/// # let _ = claims;
/// # Ok(()) }
/// ```
///
/// # Errors
/// [`ErrorKind::Malformed`] when `token` is not a compact JWS (three
/// segments, at most [`MAX_TOKEN_LEN`](crate::MAX_TOKEN_LEN) bytes) whose header is base64url
/// JSON object.
pub fn decode_header(token: &str) -> Result<Map<String, Value>, Error> {
    let parts = crate::jwt::split(token)?;
    let json = crate::jwt::decode_header(parts.header)?;
    serde_json::from_slice(&json)
        .map_err(|_| Error::new(ErrorKind::Malformed, "the header is not a JSON object"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwt::MAX_TOKEN_LEN;

    #[test]
    fn reads_the_header_and_refuses_what_is_not_a_token() {
        // {"alg":"RS256","kid":"k1"} . {} . signature
        let token = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.e30.c2ln";
        let header = decode_header(token).expect("a header");
        assert_eq!(header["kid"], "k1");
        for bad in ["", "a.b", "a.b.c.d", "!!.e30.c2ln", "WzFd.e30.c2ln"] {
            let error = decode_header(bad).expect_err(bad);
            assert_eq!(error.kind(), ErrorKind::Malformed, "{bad}");
        }
        let long = format!("{}.e30.c2ln", "e".repeat(MAX_TOKEN_LEN));
        assert_eq!(
            decode_header(&long).map_err(|e| e.kind()),
            Err(ErrorKind::Malformed)
        );
    }
}
