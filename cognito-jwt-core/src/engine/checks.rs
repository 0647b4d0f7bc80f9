//! The checks every verifier kind shares: the dates, the claims type, and
//! the clock.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::claims::{ClaimsView, Payload, TokenClaims, json_problem};
use crate::error::{Error, ErrorKind};

/// `exp` (required), `nbf` and `iat`, with the leeway.
pub(crate) fn check_dates(
    payload: &Payload<'_>,
    now: u64,
    leeway: u64,
    why_exp: &str,
) -> Result<(), Error> {
    let exp = payload.exp.ok_or_else(|| {
        Error::new(
            ErrorKind::Malformed,
            format!("the token has no exp claim; {why_exp}"),
        )
    })?;
    if now >= exp.saturating_add(leeway) {
        return Err(Error::new(
            ErrorKind::Expired,
            "the token has expired; the client must refresh it",
        ));
    }
    if payload
        .nbf
        .is_some_and(|nbf| nbf > now.saturating_add(leeway))
    {
        return Err(Error::new(
            ErrorKind::NotYetValid,
            "the token's nbf is in the future; check the server clock",
        ));
    }
    if payload
        .iat
        .is_some_and(|iat| iat > now.saturating_add(leeway))
    {
        return Err(Error::new(
            ErrorKind::NotYetValid,
            "the token's iat is in the future; check the server clock",
        ));
    }
    Ok(())
}

/// The verified claims as `T`.
pub(crate) fn claims_of<T: TokenClaims>(view: &ClaimsView<'_>) -> Result<T, Error> {
    T::from_view(view).map_err(|e| {
        Error::new(
            ErrorKind::Malformed,
            format!(
                "the claims do not fit the requested type: {}",
                json_problem(&e)
            ),
        )
    })
}

/// Seconds since the epoch; a clock that reads before 1970 fails closed
/// (every token is refused as expired) rather than reading as 0, which
/// would let every `exp` pass.
pub(crate) fn unix_secs(now: SystemTime) -> Result<u64, Error> {
    now.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .map_err(|_| {
            Error::new(
                ErrorKind::Expired,
                "the server clock reads before 1970, so no expiry can be checked; fix the clock",
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_clock_before_the_epoch_fails_closed() {
        let before = UNIX_EPOCH - Duration::from_secs(1);
        assert_eq!(
            unix_secs(before).map_err(|e| e.kind()),
            Err(ErrorKind::Expired)
        );
        assert_eq!(unix_secs(UNIX_EPOCH + Duration::from_secs(7)).ok(), Some(7));
    }
}
