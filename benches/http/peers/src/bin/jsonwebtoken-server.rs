//! `/api/me` behind a middleware written as most tutorials write it: the
//! key set fetched once at start-up with reqwest and kept in memory; per
//! request, the `kid` read with `decode_header`, its JWK turned into a
//! `DecodingKey`, then `jsonwebtoken::decode` with a `Validation` for RS256
//! and `iss` (`exp` with jsonwebtoken's default leeway, 60 s), and the
//! `token_use` and `client_id` checks on the decoded claims.

use std::process::ExitCode;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Json, Router};
use cognito_jwt_http_peers::{AccessClaims, Me, PoolSettings, listen};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};

struct Auth {
    keys: JwkSet,
    validation: Validation,
    client_id: String,
}

#[tokio::main]
async fn main() -> ExitCode {
    let settings = match PoolSettings::from_env() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    let keys = match fetch_keys(&settings.jwks_uri).await {
        Ok(keys) => keys,
        Err(error) => {
            eprintln!("error: cannot fetch {}: {error}", settings.jwks_uri);
            return ExitCode::FAILURE;
        }
    };
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&[settings.issuer.as_str()]);
    let auth = Arc::new(Auth {
        keys,
        validation,
        client_id: settings.client_id.clone(),
    });
    let app = Router::new()
        .route("/api/me", get(me))
        .layer(middleware::from_fn_with_state(auth, authenticate));
    let listener = match listen(settings.bind_addr).await {
        Ok(listener) => listener,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::FAILURE;
        }
    };
    match axum::serve(listener, app).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: the server failed: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn fetch_keys(uri: &str) -> Result<JwkSet, reqwest::Error> {
    reqwest::get(uri).await?.error_for_status()?.json().await
}

async fn authenticate(
    State(auth): State<Arc<Auth>>,
    mut request: Request,
    next: Next,
) -> Result<Response, StatusCode> {
    let token = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .ok_or(StatusCode::UNAUTHORIZED)?;
    let header = decode_header(token).map_err(|_| StatusCode::UNAUTHORIZED)?;
    let kid = header.kid.ok_or(StatusCode::UNAUTHORIZED)?;
    let jwk = auth.keys.find(&kid).ok_or(StatusCode::UNAUTHORIZED)?;
    let key = DecodingKey::from_jwk(jwk).map_err(|_| StatusCode::UNAUTHORIZED)?;
    let claims = decode::<AccessClaims>(token, &key, &auth.validation)
        .map_err(|_| StatusCode::UNAUTHORIZED)?
        .claims;
    if !claims.is_access_token_of(&auth.client_id) {
        return Err(StatusCode::UNAUTHORIZED);
    }
    request.extensions_mut().insert(claims);
    Ok(next.run(request).await)
}

async fn me(Extension(claims): Extension<AccessClaims>) -> Json<Me> {
    Json(Me::from(&claims))
}
