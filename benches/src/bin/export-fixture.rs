//! Writes a Cognito-sized access token, its key set and the pool settings to
//! a directory (default `benches/node/fixture/`), for the Node comparison in
//! `benches/node/`. The token is valid for an hour.
//!
//! ```text
//! cargo run --release -p cognito-jwt-benches --bin export-fixture [DIR]
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use cognito_jwt_benches::{CLIENT_ID, Fixture, POOL_ID};

fn main() -> ExitCode {
    let dir = std::env::args_os().nth(1).map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("node/fixture"),
        PathBuf::from,
    );
    let fixture = Fixture::new();
    let config = serde_json::json!({
        "userPoolId": POOL_ID,
        "clientId": CLIENT_ID,
        "issuer": fixture.issuer().issuer(),
    });
    let files = [
        ("token.txt", fixture.access_token().to_owned()),
        ("jwks.json", fixture.issuer().jwks_json()),
        ("config.json", config.to_string()),
    ];
    let written = std::fs::create_dir_all(&dir).and_then(|()| {
        files
            .iter()
            .try_for_each(|(name, content)| std::fs::write(dir.join(name), content))
    });
    match written {
        Ok(()) => {
            println!(
                "wrote token.txt ({} bytes), jwks.json and config.json to {}",
                fixture.access_token().len(),
                dir.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("cannot write the fixture to {}: {e}", dir.display());
            ExitCode::FAILURE
        }
    }
}
