//! The protected-resource metadata document (RFC 9728), served.

use actix_web::http::header::ContentType;
use actix_web::{HttpResponse, Resource, web};
use cognito_jwt_core::http::ProtectedResourceMetadata;

/// A ready-made service answering `GET` at the document's
/// [`metadata_path`](ProtectedResourceMetadata::metadata_path)
/// (`/.well-known/oauth-protected-resource`, followed by the resource's path
/// when it has one) with 200 and the document as JSON; other methods get
/// 405. Name the document in the challenges too, with
/// [`CognitoConfig::resource_metadata`](crate::CognitoConfig::resource_metadata).
///
/// ```no_run
/// use actix_web::{App, HttpServer, web};
/// use cognito_jwt_actix::{CognitoConfig, resource_metadata};
/// use cognito_jwt_core::CognitoJwtVerifier;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let verifier = CognitoJwtVerifier::from_env()?;
/// let metadata = verifier
///     .protected_resource_metadata("https://api.example.com")?
///     .scopes_supported(["orders/read"]);
/// HttpServer::new(move || {
///     App::new()
///         .app_data(web::Data::new(verifier.clone()))
///         .app_data(CognitoConfig::new().resource_metadata(&metadata))
///         .service(resource_metadata(&metadata))
/// })
/// .bind("127.0.0.1:8080")?
/// .run()
/// .await?;
/// # Ok(()) }
/// ```
pub fn resource_metadata(metadata: &ProtectedResourceMetadata) -> Resource {
    let body = web::Bytes::from(metadata.to_json());
    web::resource(metadata.metadata_path()).route(web::get().to(move || {
        let body = body.clone();
        async move {
            HttpResponse::Ok()
                .content_type(ContentType::json())
                .body(body)
        }
    }))
}
