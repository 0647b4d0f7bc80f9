//! The example backend on actix-web: the same routes and answers as
//! [`axum_server`](crate::axum_server).
//!
//! [`app`] is the whole app (routes, verifier, request logging); [`routes`]
//! only registers the routes, for an `App` of your own. The `actix-server`
//! binary adds configuration from the environment and the server:
//!
//! ```no_run
//! use actix_web::HttpServer;
//! use cognito_jwt_examples::{ServerConfig, actix_server};
//!
//! #[actix_web::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let config = ServerConfig::from_env()?;
//!     let (verifier, group) = (config.verifier, config.admin_group);
//!     HttpServer::new(move || actix_server::app(verifier.clone(), &group))
//!         .bind(config.bind_addr)?
//!         .run()
//!         .await?;
//!     Ok(())
//! }
//! ```
//!
//! How each route is protected:
//! - `/api/activities/home` takes [`OptionalCognitoClaims`]: `None` only
//!   when the request has no credentials; a bad token is refused with 401.
//!   (actix-web's own `Option<CognitoClaims<_>>` would turn a forged token
//!   into an anonymous visitor.)
//! - `/api/me` takes [`CognitoClaims`]: no valid token, no handler.
//! - `/api/admin` is wrapped in [`CognitoAuth`] requiring the admin group
//!   (403 `insufficient_scope` otherwise); its handler reuses the claims
//!   the middleware verified.
//! - `/api/mfa` is wrapped in [`CognitoAuth`] requiring `amr` to include
//!   `mfa` (401 `insufficient_user_authentication` otherwise, RFC 9470).
//! - With `PUBLIC_URL` set ([`resource_server_app`]),
//!   `/.well-known/oauth-protected-resource` serves the RFC 9728 document
//!   and every 401 challenge names it (`resource_metadata`).
//! - With `PUBLIC_URL` set, [`ServerConfig`](crate::ServerConfig) also
//!   gives the verifier DPoP (RFC 9449): a token sent as `Authorization:
//!   DPoP` is checked with its `DPoP` proof against the request's method
//!   and `PUBLIC_URL` joined with its path, on every route; a DPoP-bound
//!   token sent as a bearer token is refused; the RFC 9728 document names
//!   the proof algorithms (`dpop_signing_alg_values_supported`).
//!
//! [`metrics`] registers `/metrics`, added to either app by the
//! `actix-server` binary.

use std::future::Future;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{App, HttpResponse, web};
use cognito_jwt_actix::{CognitoAuth, CognitoClaims, OptionalCognitoClaims};
use cognito_jwt_core::{AccessTokenClaims, CognitoJwtVerifier};

use actix_web::HttpRequest;
use cognito_jwt_actix::{AlbIdentity, CognitoConfig, CognitoError, OptionalAlbIdentity};
use cognito_jwt_core::http::{ProtectedResourceMetadata, authenticate_alb_with_access_token};
use cognito_jwt_core::{ALB_ACCESS_TOKEN_HEADER, ALB_DATA_HEADER, AlbJwtVerifier, Requirements};

use crate::alb_mode::alb_home_feed;
use crate::prometheus::METRICS_CONTENT_TYPE;
use metrics_exporter_prometheus::PrometheusHandle;

use crate::cognito_admin::CognitoAdmin;
use crate::config::MFA_METHOD;
use crate::feed::{AdminArea, HEALTHY, Me, MfaArea, home_feed};
use crate::signout::{SignOutUserError, sign_out_user};

/// The app: every route of the example backend, the verifier as app data,
/// and request logging. `admin_group` is the Cognito group allowed on
/// `/api/admin`.
pub fn app(
    verifier: CognitoJwtVerifier,
    admin_group: &str,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody + use<>>,
        Error = actix_web::Error,
        InitError = (),
    > + use<>,
> {
    resource_server_app(verifier, admin_group, None, None)
}

/// [`app`], and with `metadata` (RFC 9728, from `PUBLIC_URL`): the
/// document at `GET /.well-known/oauth-protected-resource` and its URL in
/// every 401 challenge (`resource_metadata`); with `cognito`
/// (`COGNITO_ADMIN_SIGNOUT=1`), `POST /api/admin/signout-user` also signs
/// the user out at Cognito.
pub fn resource_server_app(
    verifier: CognitoJwtVerifier,
    admin_group: &str,
    metadata: Option<&ProtectedResourceMetadata>,
    cognito: Option<&CognitoAdmin>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody + use<>>,
        Error = actix_web::Error,
        InitError = (),
    > + use<>,
> {
    let mut app = App::new()
        .app_data(web::Data::new(verifier.clone()))
        .app_data(web::Data::new(cognito.cloned()));
    if let Some(metadata) = metadata {
        app = app
            .app_data(CognitoConfig::new().resource_metadata(metadata))
            .service(cognito_jwt_actix::resource_metadata(metadata));
    }
    app.configure(|config| routes(config, &verifier, admin_group))
        .wrap_fn(log_request)
}

/// Register the routes. The extractors on `/api/activities/home` and
/// `/api/me` need the verifier as `web::Data<CognitoJwtVerifier>` app data,
/// which [`app`] registers.
pub fn routes(config: &mut web::ServiceConfig, verifier: &CognitoJwtVerifier, admin_group: &str) {
    config
        .route("/health", web::get().to(health))
        .route("/ready", web::get().to(cognito_jwt_actix::ready))
        .route("/api/activities/home", web::get().to(home))
        .route("/api/me", web::get().to(me))
        .service(
            web::resource("/api/admin")
                .wrap(CognitoAuth::new(verifier.clone()).require_any_group(admin_group))
                .route(web::get().to(admin)),
        )
        .route("/api/signout", web::post().to(cognito_jwt_actix::sign_out))
        .service(
            web::resource("/api/admin/signout-user")
                .wrap(CognitoAuth::new(verifier.clone()).require_any_group(admin_group))
                .route(web::post().to(admin_sign_out)),
        )
        .service(
            web::resource("/api/mfa")
                .wrap(CognitoAuth::new(verifier.clone()).require_all_amr(MFA_METHOD))
                .route(web::get().to(mfa)),
        );
}

/// Register `GET /metrics`: what `prometheus` recorded, in the Prometheus
/// text format, without a token. For `App::configure` on [`app`] or
/// [`alb_app`].
pub fn metrics(config: &mut web::ServiceConfig, prometheus: PrometheusHandle) {
    config
        .app_data(web::Data::new(prometheus))
        .route("/metrics", web::get().to(render_metrics));
}

async fn render_metrics(prometheus: web::Data<PrometheusHandle>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(METRICS_CONTENT_TYPE)
        .body(prometheus.render())
}

async fn health() -> HttpResponse {
    HttpResponse::Ok().json(HEALTHY)
}

async fn home(
    OptionalCognitoClaims(user): OptionalCognitoClaims<AccessTokenClaims>,
) -> HttpResponse {
    HttpResponse::Ok().json(home_feed(user.as_ref()))
}

async fn me(CognitoClaims(claims): CognitoClaims<AccessTokenClaims>) -> HttpResponse {
    HttpResponse::Ok().json(Me::from(&claims))
}

async fn admin(CognitoClaims(claims): CognitoClaims<AccessTokenClaims>) -> HttpResponse {
    HttpResponse::Ok().json(AdminArea::from(&claims))
}

async fn admin_sign_out(
    CognitoClaims(admin): CognitoClaims<AccessTokenClaims>,
    verifier: web::Data<CognitoJwtVerifier>,
    cognito: Option<web::Data<Option<CognitoAdmin>>>,
    body: web::Bytes,
) -> HttpResponse {
    let cognito = cognito.as_ref().and_then(|data| data.get_ref().as_ref());
    match sign_out_user(&verifier, cognito, &admin, &body).await {
        Ok(()) => HttpResponse::NoContent().finish(),
        Err(refused) => {
            let status = actix_web::http::StatusCode::from_u16(refused.status())
                .unwrap_or(actix_web::http::StatusCode::BAD_REQUEST);
            let mut response = HttpResponse::build(status);
            response.content_type("application/json");
            if refused == SignOutUserError::Unavailable {
                response.insert_header((actix_web::http::header::RETRY_AFTER, "1"));
            }
            response.body(refused.body_json())
        }
    }
}

async fn mfa(CognitoClaims(claims): CognitoClaims<AccessTokenClaims>) -> HttpResponse {
    HttpResponse::Ok().json(MfaArea::from(&claims))
}

/// Log each request's method, path (without the query string), status and
/// latency, for `App::wrap_fn`. Headers, and so tokens, are never logged.
pub fn log_request<S, B>(
    request: ServiceRequest,
    service: &S,
) -> impl Future<Output = Result<ServiceResponse<B>, actix_web::Error>> + use<S, B>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
{
    let method = request.method().clone();
    let path = request.path().to_owned();
    let started = Instant::now();
    let response = service.call(request);
    async move {
        let response = response.await;
        let status = match &response {
            Ok(response) => response.status(),
            Err(error) => error.as_response_error().status_code(),
        };
        tracing::info!(
            %method,
            %path,
            status = status.as_u16(),
            latency_us = started.elapsed().as_micros(),
            "request"
        );
        response
    }
}

/// The admin group of the ALB-mode app, as app data.
#[derive(Clone)]
struct AdminGroup(String);

/// The app in ALB mode: the same routes and answers as [`app`], the
/// identity read from the `x-amzn-oidc-data` header that `alb` verifies.
/// `/api/admin` also needs the `x-amzn-oidc-accesstoken` header the load
/// balancer passes along: `cognito` verifies it (same user), and it must
/// carry `admin_group`.
pub fn alb_app(
    alb: AlbJwtVerifier,
    cognito: CognitoJwtVerifier,
    admin_group: &str,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody + use<>>,
        Error = actix_web::Error,
        InitError = (),
    > + use<>,
> {
    App::new()
        .app_data(web::Data::new(alb))
        .app_data(web::Data::new(cognito))
        .app_data(web::Data::new(AdminGroup(admin_group.to_owned())))
        .route("/health", web::get().to(health))
        .route("/api/activities/home", web::get().to(alb_home))
        .route("/api/me", web::get().to(alb_me))
        .route("/api/admin", web::get().to(alb_admin))
        .wrap_fn(log_request)
}

async fn alb_home(OptionalAlbIdentity(user): OptionalAlbIdentity) -> HttpResponse {
    HttpResponse::Ok().json(alb_home_feed(user.as_ref()))
}

async fn alb_me(AlbIdentity(claims): AlbIdentity) -> HttpResponse {
    HttpResponse::Ok().json(Me::from(&claims))
}

async fn alb_admin(
    request: HttpRequest,
    alb: web::Data<AlbJwtVerifier>,
    cognito: web::Data<CognitoJwtVerifier>,
    group: web::Data<AdminGroup>,
) -> Result<HttpResponse, CognitoError> {
    let headers = request.headers();
    let values = |name| headers.get_all(name).map(|v| v.as_bytes());
    let admins = Requirements::new().any_group(&group.0);
    let (_, access) = authenticate_alb_with_access_token(
        &alb,
        &cognito,
        &admins,
        values(ALB_DATA_HEADER),
        values(ALB_ACCESS_TOKEN_HEADER),
    )
    .await
    .map_err(|reason| CognitoError::new(reason, &CognitoConfig::new()))?;
    Ok(HttpResponse::Ok().json(AdminArea::from(&access)))
}
