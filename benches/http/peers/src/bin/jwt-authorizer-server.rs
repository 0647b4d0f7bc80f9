//! `/api/me` behind jwt-authorizer's layer, configured for the pool:
//! the key set from `COGNITO_JWKS_URI` (fetched on the first request, as
//! jwt-authorizer does), RS256 only, `iss`, `exp` (its default leeway,
//! 60 s), and a claims check for `token_use` = `access` and `client_id`.

use std::process::ExitCode;

use axum07::Json;
use axum07::Router;
use axum07::routing::get;
use cognito_jwt_http_peers::{AccessClaims, Me, PoolSettings, listen};
use jsonwebtoken9::Algorithm;
use jwt_authorizer::{IntoLayer as _, JwtAuthorizer, JwtClaims, Validation};

#[tokio::main]
async fn main() -> ExitCode {
    let settings = match PoolSettings::from_env() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    let client_id = settings.client_id.clone();
    let authorizer = JwtAuthorizer::<AccessClaims>::from_jwks_url(&settings.jwks_uri)
        .validation(
            Validation::new()
                .iss(&[settings.issuer.as_str()])
                .algs(vec![Algorithm::RS256]),
        )
        .check(move |claims: &AccessClaims| claims.is_access_token_of(&client_id))
        .build()
        .await;
    let authorizer = match authorizer {
        Ok(authorizer) => authorizer,
        Err(error) => {
            eprintln!("error: jwt-authorizer: {error}");
            return ExitCode::FAILURE;
        }
    };
    let app = Router::new()
        .route("/api/me", get(me))
        .layer(authorizer.into_layer());
    let listener = match listen(settings.bind_addr).await {
        Ok(listener) => listener,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::FAILURE;
        }
    };
    match axum07::serve(listener, app).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: the server failed: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn me(JwtClaims(claims): JwtClaims<AccessClaims>) -> Json<Me> {
    Json(Me::from(&claims))
}
