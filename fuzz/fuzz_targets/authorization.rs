//! The Authorization/Cookie header parsing that both adapters delegate to:
//! never a panic; a returned token is always a substring of the input made
//! of token68 characters.
#![no_main]

use cognito_jwt_core::http::{TokenSource, bearer_token};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let headers: Vec<&[u8]> = data.split(|b| *b == b'\n').take(4).collect();
    if let Ok(token) = bearer_token(headers.iter().copied()) {
        assert!(!token.is_empty());
        assert!(token.bytes().all(|b| b.is_ascii_graphic()));
    }
    let source = TokenSource::Cookie("id_token".to_owned());
    let (authorization, cookies) = headers.split_at(headers.len() / 2);
    let _ = source.extract(authorization.iter().copied(), cookies.iter().copied());
});
