//! OpenID Connect discovery (OpenID Connect Discovery 1.0 §4) and OAuth
//! authorization server metadata (RFC 8414): reading the key-set URL from
//! an issuer's metadata document.

use serde::Deserialize;

/// Where an issuer's metadata document is, and what it must say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Discovery {
    /// The configured issuer: the document's `issuer` must equal it byte
    /// for byte.
    pub(crate) issuer: String,
    /// Whether the document may name an `http://` key-set URL.
    pub(crate) allow_http: bool,
}

/// The metadata document's URL for `issuer`: `<issuer>/.well-known/<suffix>`
/// for OpenID Connect, and RFC 8414's form (the well-known segment before
/// the issuer's path) for OAuth authorization servers.
pub(crate) fn metadata_url(issuer: &str, oauth: bool) -> String {
    if !oauth {
        return format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
    }
    let (scheme, rest) = issuer.split_once("://").unwrap_or(("https", issuer));
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let path = path.trim_end_matches('/');
    if path.is_empty() {
        format!("{scheme}://{host}/.well-known/oauth-authorization-server")
    } else {
        format!("{scheme}://{host}/.well-known/oauth-authorization-server/{path}")
    }
}

/// The `jwks_uri` of a metadata document, after checking that the
/// document names the configured issuer exactly and that the URL is
/// https (or http when allowed) with a host, no user part, and no
/// whitespace or control character (which could split or reshape a
/// request line or a log line). Messages never quote the document.
pub(crate) fn jwks_uri_of(document: &[u8], discovery: &Discovery) -> Result<String, String> {
    #[derive(Deserialize)]
    struct Metadata {
        issuer: Option<String>,
        jwks_uri: Option<String>,
    }
    let metadata: Metadata = serde_json::from_slice(document).map_err(|_| {
        "the discovery document is not a JSON object with string issuer and jwks_uri".to_owned()
    })?;
    if metadata.issuer.as_deref() != Some(discovery.issuer.as_str()) {
        return Err(format!(
            "the discovery document does not name the issuer {} exactly; check the issuer URL",
            discovery.issuer
        ));
    }
    let uri = metadata
        .jwks_uri
        .ok_or_else(|| "the discovery document has no jwks_uri".to_owned())?;
    let rest = match uri.strip_prefix("https://") {
        Some(rest) => rest,
        None => match uri.strip_prefix("http://") {
            Some(rest) if discovery.allow_http => rest,
            Some(_) => {
                return Err(
                    "the discovery document names an http:// jwks_uri; only https is \
                     accepted unless http is allowed for local providers"
                        .to_owned(),
                );
            }
            None => return Err("the discovery document's jwks_uri is not an https URL".to_owned()),
        },
    };
    if uri.contains(|c: char| c.is_whitespace() || c.is_control()) {
        return Err(
            "the discovery document's jwks_uri contains whitespace or control characters"
                .to_owned(),
        );
    }
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || host.contains('@') {
        return Err("the discovery document's jwks_uri has no valid host".to_owned());
    }
    Ok(uri)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn discovery(allow_http: bool) -> Discovery {
        Discovery {
            issuer: "https://id.example/t1".to_owned(),
            allow_http,
        }
    }

    #[test]
    fn metadata_urls() {
        assert_eq!(
            metadata_url("https://id.example/t1/", false),
            "https://id.example/t1/.well-known/openid-configuration"
        );
        assert_eq!(
            metadata_url("https://id.example/t1", true),
            "https://id.example/.well-known/oauth-authorization-server/t1"
        );
        assert_eq!(
            metadata_url("https://id.example", true),
            "https://id.example/.well-known/oauth-authorization-server"
        );
    }

    #[test]
    fn the_document_must_name_the_issuer_and_an_https_key_set() {
        let ok = br#"{"issuer":"https://id.example/t1","jwks_uri":"https://id.example/keys"}"#;
        assert_eq!(
            jwks_uri_of(ok, &discovery(false)).as_deref(),
            Ok("https://id.example/keys")
        );
        for bad in [
            &br#"{"issuer":"https://id.example/t1/","jwks_uri":"https://id.example/keys"}"#[..],
            br#"{"issuer":"https://ID.example/t1","jwks_uri":"https://id.example/keys"}"#,
            br#"{"jwks_uri":"https://id.example/keys"}"#,
            br#"{"issuer":"https://id.example/t1"}"#,
            br#"{"issuer":"https://id.example/t1","jwks_uri":"ftp://id.example/keys"}"#,
            br#"{"issuer":"https://id.example/t1","jwks_uri":"https://user@evil/keys"}"#,
            br#"{"issuer":"https://id.example/t1","jwks_uri":"http://id.example/keys"}"#,
            br#"{"issuer":"https://id.example/t1","jwks_uri":"https://id.example/keys\u0000"}"#,
            br#"{"issuer":"https://id.example/t1","jwks_uri":"https://id.example\u001b[2J/keys"}"#,
            br#"{"issuer":"https://id.example/t1","jwks_uri":"https://id.example/k\u007f"}"#,
            br#"{"issuer":"https://id.example/t1","jwks_uri":"https://id.example/k\u0085"}"#,
            br#"{"issuer":"https://id.example/t1","jwks_uri":"https://id.example/k\r\nX: y"}"#,
            b"<html>",
        ] {
            assert!(jwks_uri_of(bad, &discovery(false)).is_err());
        }
        let http = br#"{"issuer":"https://id.example/t1","jwks_uri":"http://127.0.0.1/keys"}"#;
        assert!(jwks_uri_of(http, &discovery(true)).is_ok());
    }
}
