//! The `htu` comparison: the request's URL without query and fragment,
//! after the syntax-based normalisation of RFC 3986 §6.2.2 and the
//! scheme-based one of §6.2.3 that RFC 9449 §4.3 asks for.

/// `url` normalised for comparison: scheme and host in lower case, the
/// scheme's default port dropped, an empty path made `/`, percent-encoded
/// unreserved characters decoded and other percent-encodings in upper
/// case; the query and fragment removed. `None` for anything that is not
/// an absolute `https` or `http` URL of visible ASCII with a host and no
/// user part.
pub(crate) fn normalized_htu(url: &str) -> Option<String> {
    let url = url.split(['?', '#']).next().unwrap_or_default();
    if !url.bytes().all(|b| b.is_ascii_graphic()) {
        return None;
    }
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "https" => ":443",
        "http" => ":80",
        _ => return None,
    };
    let (authority, path) = rest.find('/').map_or((rest, "/"), |i| rest.split_at(i));
    let authority = authority.to_ascii_lowercase();
    let authority = authority
        .strip_suffix(default_port)
        .or_else(|| authority.strip_suffix(':'))
        .unwrap_or(&authority);
    if authority.is_empty() || authority.contains('@') || authority.starts_with(':') {
        return None;
    }
    let mut out = String::with_capacity(scheme.len() + 3 + authority.len() + path.len());
    out.push_str(&scheme);
    out.push_str("://");
    out.push_str(authority);
    let bytes = path.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'%' {
            out.push(char::from(bytes[i]));
            i += 1;
            continue;
        }
        let hex = bytes.get(i + 1..i + 3)?;
        let value = u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
        if value.is_ascii_alphanumeric() || matches!(value, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(value));
        } else {
            out.push('%');
            out.push_str(&std::str::from_utf8(hex).ok()?.to_ascii_uppercase());
        }
        i += 3;
    }
    Some(out)
}

/// An external base URL normalised as [`normalized_htu`] does, without a
/// trailing slash: `https://api.example.com`, or with a path prefix a
/// proxy strips before forwarding (`https://example.com/api`). `None`
/// when `url` is no absolute `https` or `http` URL, carries a query or a
/// fragment, or its prefix has an empty, `.` or `..` segment (which
/// clients' URLs would not keep as written).
pub(crate) fn external_base(url: &str) -> Option<String> {
    if url.contains(['?', '#']) {
        return None;
    }
    let normalized = normalized_htu(url)?;
    let authority_at = normalized.find("://")? + 3;
    let path_at = authority_at + normalized[authority_at..].find('/')?;
    let (origin, path) = normalized.split_at(path_at);
    let prefix = path.strip_suffix('/').unwrap_or(path);
    if prefix
        .split('/')
        .skip(1)
        .any(|segment| matches!(segment, "" | "." | ".."))
    {
        return None;
    }
    Some(format!("{origin}{prefix}"))
}

#[cfg(test)]
mod tests {
    use super::{external_base, normalized_htu};

    #[test]
    fn an_external_base_is_an_origin_or_an_origin_and_a_path_prefix() {
        for (url, want) in [
            ("https://api.example.com", "https://api.example.com"),
            ("HTTPS://API.example.com:443/", "https://api.example.com"),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
            ("https://example.com/api", "https://example.com/api"),
            ("https://example.com/api/", "https://example.com/api"),
            (
                "https://Example.com:443/a%7eb/v1",
                "https://example.com/a~b/v1",
            ),
            ("https://example.com/a%2fb", "https://example.com/a%2Fb"),
        ] {
            assert_eq!(external_base(url).as_deref(), Some(want), "{url}");
        }
        for url in [
            "https://example.com/api?x=1",
            "https://example.com/api#top",
            "https://example.com?",
            "https://example.com//api",
            "https://example.com/api//",
            "https://example.com/./api",
            "https://example.com/api/..",
            "https://example.com/%2E%2E/api",
            "ftp://example.com",
            "/api",
            "",
        ] {
            assert_eq!(external_base(url), None, "{url:?}");
        }
    }

    #[test]
    fn equivalent_urls_normalise_alike() {
        let want = Some("https://api.example.com/orders/a%2Fb~".to_owned());
        for url in [
            "https://api.example.com/orders/a%2Fb~",
            "HTTPS://API.Example.COM:443/orders/a%2fb%7E",
            "https://api.example.com/orders/a%2Fb~?page=2#top",
        ] {
            assert_eq!(normalized_htu(url), want, "{url}");
        }
        assert_eq!(
            normalized_htu("http://localhost:80").as_deref(),
            Some("http://localhost/")
        );
        assert_eq!(
            normalized_htu("http://127.0.0.1:8080/x").as_deref(),
            Some("http://127.0.0.1:8080/x")
        );
    }

    #[test]
    fn what_is_no_absolute_http_url_is_refused() {
        for url in [
            "",
            "/orders",
            "ftp://x/",
            "https://",
            "https://user@host/",
            "https://host/a b",
            "https://host/%zz",
            "https://host/%4",
            "https://h\u{e9}st/",
            "https://:443/",
        ] {
            assert_eq!(normalized_htu(url), None, "{url:?}");
        }
        assert_ne!(
            normalized_htu("https://api.example.com/orders"),
            normalized_htu("https://api.example.com/orders/")
        );
        assert_ne!(
            normalized_htu("https://api.example.com/"),
            normalized_htu("http://api.example.com/")
        );
    }
}
