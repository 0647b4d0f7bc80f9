//! The readiness probe: a handler answering whether the verifier's key sets
//! are usable.

use actix_web::http::StatusCode;
use actix_web::http::header::{ContentType, RETRY_AFTER};
use actix_web::{HttpRequest, HttpResponse};
use cognito_jwt_core::http::Readiness;

use crate::extract::Installed;

/// A readiness handler: 200 `{"ready":true,"key_sets":[…]}` when every key
/// set of the app's verifier has usable keys, otherwise 503 with
/// `Retry-After`; the core's bounded body, with no URLs or error text
/// (see [`Readiness`]). The
/// verifier is the one the extractors use (app data, or an enclosing
/// [`CognitoAuth`](crate::CognitoAuth)).
///
/// ```no_run
/// use actix_web::{App, web};
/// # fn app(verifier: cognito_jwt_core::CognitoJwtVerifier) {
/// App::new()
///     .app_data(web::Data::new(verifier))
///     .route("/ready", web::get().to(cognito_jwt_actix::ready));
/// # }
/// ```
///
/// # Errors
/// 500 when the app has no verifier (logged).
pub async fn ready(req: HttpRequest) -> Result<HttpResponse, actix_web::Error> {
    let verifier = Installed::of(&req)?.verifier;
    Ok(readiness_response(&Readiness::of(&verifier)))
}

/// The response for a readiness answer.
pub fn readiness_response(readiness: &Readiness) -> HttpResponse {
    let status =
        StatusCode::from_u16(readiness.status()).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let mut response = HttpResponse::build(status);
    response.content_type(ContentType::json());
    if let Some(seconds) = readiness.retry_after_secs() {
        response.insert_header((RETRY_AFTER, seconds));
    }
    response.body(readiness.body_json())
}
