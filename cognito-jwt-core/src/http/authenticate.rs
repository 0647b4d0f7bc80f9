//! The one request-level entry point every adapter calls: find the token,
//! verify it against a route's requirements, and apply the rule for
//! optional authentication.

use crate::dpop::DpopRequest;
use crate::error::{Error, ErrorKind};
use crate::http::{AuthRejection, DpopChallenge, TokenSource, authorization_token, cookie_token};
use crate::{Requirements, TokenClaims, Verify};

/// Authenticate a request: find its token as `token_source` says, given the
/// values of every header it names ([`TokenSource::header_name`]:
/// `Authorization`, or `x-amzn-oidc-data` behind a load balancer) and every
/// `Cookie` header (pass them all, in order), verify it with `verifier`
/// and `requirements`, and give its claims. `verifier` is any
/// [`Verify`]: a [`CognitoJwtVerifier`](crate::CognitoJwtVerifier), a
/// [`JwtVerifier`](crate::JwtVerifier), an
/// [`AlbJwtVerifier`](crate::AlbJwtVerifier) (with
/// [`TokenSource::AlbData`], its [`token_source`](Verify::token_source))
/// or an [`AnyVerifier`](crate::AnyVerifier).
///
/// This is the whole of what an adapter's extractor or middleware decides;
/// it only has to hand over the headers and render the [`AuthRejection`]
/// (status, challenge, body). A refusal is logged with
/// [`AuthRejection::log`] before it is returned, so a refused request is
/// logged exactly once and callers do not log it again.
///
/// ```no_run
/// use cognito_jwt_core::http::{authenticate, TokenSource};
/// use cognito_jwt_core::{AccessTokenClaims, CognitoJwtVerifier, Requirements};
///
/// # async fn handle(verifier: CognitoJwtVerifier) {
/// let authorization = [&b"Bearer eyJraWQiOi..."[..]];
/// let admins = Requirements::new().any_group("admins");
/// let outcome = authenticate::<AccessTokenClaims>(
///     &verifier,
///     &TokenSource::AuthorizationHeader,
///     &admins,
///     authorization,
///     std::iter::empty(),
/// )
/// .await;
/// match outcome {
///     Ok(claims) => println!("{} may proceed", claims.sub()),
///     Err(rejection) => println!("{} {}", rejection.status(), rejection.body_json()),
/// }
/// # }
/// ```
///
/// # Errors
/// [`AuthRejection::Missing`] when the request carries no credentials
/// ([`AuthRejection::MissingAlbHeader`] with [`TokenSource::AlbData`]),
/// [`AuthRejection::InvalidRequest`] when they are malformed (see
/// [`TokenSource::extract`]), and [`AuthRejection::Token`] when the
/// verifier refuses the token, `requirements` included.
pub async fn authenticate<'a, T: TokenClaims>(
    verifier: &impl Verify,
    token_source: &TokenSource,
    requirements: &Requirements,
    authorization: impl IntoIterator<Item = &'a [u8]>,
    cookies: impl IntoIterator<Item = &'a [u8]>,
) -> Result<T, AuthRejection> {
    find_and_verify(verifier, token_source, requirements, authorization, cookies)
        .await
        .inspect_err(AuthRejection::log)
}

/// [`authenticate`] for a route where signing in is optional: `Ok(None)`
/// when the request carries no credentials at all, the claims when it
/// carries a good token, and a refusal when it carries a bad one (a
/// malformed header, a forged, expired or wrong-use token, or a token
/// without a required group or scope).
///
/// Anonymous requests are not logged; refusals are, once, as by
/// [`authenticate`].
///
/// ```no_run
/// use cognito_jwt_core::http::{authenticate_optional, TokenSource};
/// use cognito_jwt_core::{CognitoJwtVerifier, IdTokenClaims, Requirements};
///
/// # async fn handle(verifier: CognitoJwtVerifier) {
/// let session = TokenSource::Cookie("id_token".to_owned());
/// let cookies = [&b"theme=dark; id_token=eyJraWQiOi..."[..]];
/// let outcome = authenticate_optional::<IdTokenClaims>(
///     &verifier,
///     &session,
///     &Requirements::new(),
///     std::iter::empty(),
///     cookies,
/// )
/// .await;
/// match outcome {
///     Ok(Some(claims)) => println!("welcome back, {}", claims.sub()),
///     Ok(None) => println!("welcome, visitor"),
///     Err(rejection) => println!("{} {}", rejection.status(), rejection.body_json()),
/// }
/// # }
/// ```
///
/// # Errors
/// As [`authenticate`], except [`AuthRejection::Missing`] and
/// [`AuthRejection::MissingAlbHeader`].
pub async fn authenticate_optional<'a, T: TokenClaims>(
    verifier: &impl Verify,
    token_source: &TokenSource,
    requirements: &Requirements,
    authorization: impl IntoIterator<Item = &'a [u8]>,
    cookies: impl IntoIterator<Item = &'a [u8]>,
) -> Result<Option<T>, AuthRejection> {
    match find_and_verify(verifier, token_source, requirements, authorization, cookies).await {
        Ok(claims) => Ok(Some(claims)),
        Err(rejection) if rejection.is_missing() => Ok(None),
        Err(rejection) => {
            rejection.log();
            Err(rejection)
        }
    }
}

async fn find_and_verify<'a, T: TokenClaims>(
    verifier: &impl Verify,
    token_source: &TokenSource,
    requirements: &Requirements,
    authorization: impl IntoIterator<Item = &'a [u8]>,
    cookies: impl IntoIterator<Item = &'a [u8]>,
) -> Result<T, AuthRejection> {
    let token = token_source.extract(authorization, cookies)?;
    Ok(verifier.verify_with(token, requirements).await?)
}

/// What authentication reads of a request: its method and target (for a
/// DPoP proof's `htm` and `htu`) and the values of the headers that carry
/// credentials. Adapters make one from their framework's request; only
/// plain strings and bytes cross.
///
/// ```
/// use cognito_jwt_core::http::HttpRequest;
///
/// let request = HttpRequest::new("GET", "/orders?page=2")
///     .token_header([&b"DPoP eyJ..."[..]])
///     .dpop([&b"eyJ0eXAiOiJkcG9wK2p3dCJ9..."[..]]);
/// ```
#[derive(Clone, Default)]
#[must_use]
pub struct HttpRequest<'a> {
    method: &'a str,
    target: &'a str,
    token_header: Vec<&'a [u8]>,
    dpop: Vec<&'a [u8]>,
    cookies: Vec<&'a [u8]>,
}

impl std::fmt::Debug for HttpRequest<'_> {
    /// The method only: the target may carry a query, and the headers
    /// carry credentials.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .finish_non_exhaustive()
    }
}

impl<'a> HttpRequest<'a> {
    /// A request with `method` (`GET`) to `target`: the request line's
    /// target as received (`/orders?page=2`; of an absolute URL, only the
    /// path is used, never its origin).
    pub fn new(method: &'a str, target: &'a str) -> Self {
        Self {
            method,
            target,
            ..Self::default()
        }
    }

    /// The values of every header the token source names
    /// ([`TokenSource::header_name`]: `Authorization`, or
    /// `x-amzn-oidc-data`), in order.
    pub fn token_header(mut self, values: impl IntoIterator<Item = &'a [u8]>) -> Self {
        self.token_header = values.into_iter().collect();
        self
    }

    /// The values of every `DPoP` header, in order.
    pub fn dpop(mut self, values: impl IntoIterator<Item = &'a [u8]>) -> Self {
        self.dpop = values.into_iter().collect();
        self
    }

    /// The values of every `Cookie` header, in order.
    pub fn cookies(mut self, values: impl IntoIterator<Item = &'a [u8]>) -> Self {
        self.cookies = values.into_iter().collect();
        self
    }

    /// The request's URL for a service at `origin`: the origin, then the
    /// target's path and query.
    fn url(&self, origin: &str) -> String {
        let path = match self.target.split_once("://") {
            Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
            None if self.target.starts_with('/') => self.target,
            None => "/",
        };
        format!("{origin}{path}")
    }
}

/// [`authenticate`] for a whole request: the same for bearer tokens, and,
/// when `verifier` accepts DPoP proofs
/// ([`Verify::dpop_support`](crate::Verify::dpop_support)), a token sent
/// with `Authorization: DPoP` is checked with the request's one `DPoP`
/// header, its method and its URL (the verifier's external origin and
/// the request's path), and every refusal carries the `DPoP` challenge
/// (RFC 9449 §7.1, [`AuthRejection::Dpop`]). A bound token sent as a
/// bearer token is refused whatever the settings.
///
/// # Errors
/// As [`authenticate`], plus the DPoP kinds
/// ([`ErrorKind::InvalidDpopProof`](crate::ErrorKind::InvalidDpopProof)
/// for a missing proof or several `DPoP` headers).
pub async fn authenticate_request<T: TokenClaims>(
    verifier: &impl Verify,
    token_source: &TokenSource,
    requirements: &Requirements,
    request: &HttpRequest<'_>,
) -> Result<T, AuthRejection> {
    find_and_verify_request(verifier, token_source, requirements, request)
        .await
        .inspect_err(AuthRejection::log)
}

/// [`authenticate_request`] where signing in is optional, as
/// [`authenticate_optional`].
///
/// # Errors
/// As [`authenticate_request`], except when no credentials were sent.
pub async fn authenticate_request_optional<T: TokenClaims>(
    verifier: &impl Verify,
    token_source: &TokenSource,
    requirements: &Requirements,
    request: &HttpRequest<'_>,
) -> Result<Option<T>, AuthRejection> {
    match find_and_verify_request(verifier, token_source, requirements, request).await {
        Ok(claims) => Ok(Some(claims)),
        Err(rejection) if rejection.is_missing() => Ok(None),
        Err(rejection) => {
            rejection.log();
            Err(rejection)
        }
    }
}

async fn find_and_verify_request<T: TokenClaims>(
    verifier: &impl Verify,
    token_source: &TokenSource,
    requirements: &Requirements,
    request: &HttpRequest<'_>,
) -> Result<T, AuthRejection> {
    let support = match (verifier.dpop_support(), token_source) {
        (Some(support), TokenSource::AuthorizationHeader | TokenSource::Cookie(_)) => support,
        _ => {
            return find_and_verify(
                verifier,
                token_source,
                requirements,
                request.token_header.iter().copied(),
                request.cookies.iter().copied(),
            )
            .await;
        }
    };
    let presented = match token_source {
        TokenSource::Cookie(name) if request.token_header.is_empty() => {
            cookie_token(request.cookies.iter().copied(), name).map(|token| (false, token))
        }
        _ => authorization_token(request.token_header.iter().copied(), true),
    };
    let (dpop_scheme, token) = presented.map_err(|rejection| {
        AuthRejection::Dpop(rejection.into(), DpopChallenge::new(&support, false))
    })?;
    let answer = |rejection: AuthRejection| {
        AuthRejection::Dpop(rejection.into(), DpopChallenge::new(&support, dpop_scheme))
    };
    if !dpop_scheme {
        return verifier
            .verify_with(token, requirements)
            .await
            .map_err(|error| answer(error.into()));
    }
    let proof = match request.dpop.as_slice() {
        [one] => std::str::from_utf8(one)
            .ok()
            .filter(|proof| proof.bytes().all(|b| b.is_ascii_graphic())),
        _ => None,
    }
    .ok_or_else(|| {
        answer(AuthRejection::Token(Error::new(
            ErrorKind::InvalidDpopProof,
            "a token sent with the DPoP scheme needs exactly one DPoP header holding a proof",
        )))
    })?;
    let url = request.url(support.origin);
    let dpop_request = DpopRequest::new(proof, request.method, &url);
    verifier
        .verify_dpop_with(token, requirements, &dpop_request)
        .await
        .map_err(|error| answer(error.into()))
}
