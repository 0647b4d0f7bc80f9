//! Printing text taken from a token, which anyone can write: no character
//! that drives a terminal or reorders or breaks what it shows is printed
//! as itself, so a token can neither send escape sequences nor forge a
//! line of output.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether `c` must not reach a terminal as itself: control characters
/// (C0, DEL and C1), the bidirectional embeddings, overrides and isolates
/// (U+202A to U+202E, U+2066 to U+2069), and the line and paragraph
/// separators (U+2028, U+2029).
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}'
        )
}

/// `value` for a line of human-readable output: every unsafe character as
/// `\u{…}`, and a backslash doubled so that no escape can be faked.
pub(crate) fn text(value: &str) -> Cow<'_, str> {
    if !value.chars().any(|c| c == '\\' || is_unsafe(c)) {
        return Cow::Borrowed(value);
    }
    let mut escaped = String::with_capacity(value.len() + 16);
    for c in value.chars() {
        match c {
            '\\' => escaped.push_str("\\\\"),
            c if is_unsafe(c) => escaped.extend(c.escape_unicode()),
            c => escaped.push(c),
        }
    }
    Cow::Owned(escaped)
}

/// `value` as one line of JSON, every unsafe character a `\u` escape.
pub(crate) fn json(value: &serde_json::Value) -> String {
    escape_json(value.to_string())
}

/// `value` as indented JSON, every unsafe character a `\u` escape.
pub(crate) fn json_pretty(value: &serde_json::Value) -> String {
    escape_json(serde_json::to_string_pretty(value).unwrap_or_default())
}

/// `serialized` JSON with the unsafe characters serde_json leaves as they
/// are (from DEL on; it escapes those below U+0020 itself) written as
/// `\uXXXX`. Outside strings, serde_json writes only ASCII punctuation,
/// digits, letters, spaces and line feeds, so every such character is in
/// a string, where the escape means the same character. All of them are
/// in the Basic Multilingual Plane: one escape each.
fn escape_json(serialized: String) -> String {
    if !serialized.chars().any(is_unsafe) {
        return serialized;
    }
    let mut escaped = String::with_capacity(serialized.len() + 32);
    for c in serialized.chars() {
        if c >= '\u{7f}' && is_unsafe(c) {
            let _ = write!(escaped, "\\u{:04x}", u32::from(c));
        } else {
            escaped.push(c);
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::{json, json_pretty, text};
    use serde_json::json;

    #[test]
    fn text_escapes_unsafe_characters_and_backslashes_only() {
        assert_eq!(text("https://id.example/é"), "https://id.example/é");
        assert_eq!(
            text("a\u{1b}[0m\n\u{7f}\u{9b}\u{202e}\u{2069}\u{2028}\\b"),
            "a\\u{1b}[0m\\u{a}\\u{7f}\\u{9b}\\u{202e}\\u{2069}\\u{2028}\\\\b"
        );
        assert_eq!(
            text("\u{202d}\u{2066}\u{2029}"),
            "\\u{202d}\\u{2066}\\u{2029}"
        );
    }

    #[test]
    fn json_escapes_what_serde_json_leaves_and_keeps_the_value() {
        let value = json!({ "k\u{85}": "\u{1b}\u{7f}\u{9f}\u{202a}\u{2028}é\n" });
        let line = json(&value);
        assert_eq!(line, r#"{"k\u0085":"\u001b\u007f\u009f\u202a\u2028é\n"}"#);
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&line).ok(),
            Some(value.clone())
        );
        let pretty = json_pretty(&value);
        assert!(pretty.contains(r#""k\u0085": "\u001b\u007f\u009f\u202a\u2028é\n""#));
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&pretty).ok(),
            Some(value)
        );
    }
}
