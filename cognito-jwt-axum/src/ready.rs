//! The readiness probe: a handler answering whether the verifier's key sets
//! are usable.

use std::convert::Infallible;

use axum_core::body::Body;
use axum_core::extract::{FromRef, FromRequestParts};
use axum_core::response::{IntoResponse, Response};
use cognito_jwt_core::Verify;
use cognito_jwt_core::http::Readiness;
use http::header::{CONTENT_TYPE, RETRY_AFTER};
use http::request::Parts;
use http::{HeaderValue, StatusCode};

use crate::verifier::Verifier;

/// The readiness of the verifier (any kind) in the router's state, as an extractor
/// and as a response: 200 `{"ready":true,"key_sets":[…]}` when every key
/// set has usable keys, otherwise 503 with `Retry-After`; the core's
/// bounded body, with no URLs or error text (see [`Readiness`]).
///
/// ```no_run
/// use axum::{Router, routing::get};
/// use cognito_jwt_core::CognitoJwtVerifier;
///
/// # fn app(verifier: CognitoJwtVerifier) -> Router {
/// Router::new()
///     .route("/ready", get(cognito_jwt_axum::ready))
///     .with_state(verifier)
/// # }
/// ```
///
/// Without the verifier in the state, answer with [`Ready::of`].
#[derive(Debug, Clone)]
pub struct Ready(Readiness);

impl Ready {
    /// The readiness of `verifier` now.
    pub fn of(verifier: &impl Verify) -> Self {
        Self(Readiness::of(verifier))
    }

    /// The framework-free answer.
    pub fn readiness(&self) -> &Readiness {
        &self.0
    }
}

impl<S> FromRequestParts<S> for Ready
where
    S: Send + Sync,
    Verifier: FromRef<S>,
{
    type Rejection = Infallible;

    async fn from_request_parts(_parts: &mut Parts, state: &S) -> Result<Self, Infallible> {
        Ok(Self::of(&Verifier::from_ref(state).into_inner()))
    }
}

impl IntoResponse for Ready {
    fn into_response(self) -> Response {
        let readiness = self.0;
        let mut response = Response::new(Body::from(readiness.body_json()));
        *response.status_mut() =
            StatusCode::from_u16(readiness.status()).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if let Some(seconds) = readiness.retry_after_secs() {
            headers.insert(RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// A readiness handler for a router whose state holds the verifier:
/// `.route("/ready", get(cognito_jwt_axum::ready))`. See [`Ready`].
pub async fn ready(ready: Ready) -> Ready {
    ready
}
