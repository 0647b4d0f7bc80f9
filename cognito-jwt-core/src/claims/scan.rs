//! The claims parser's fast path: one forward scan over the payload JSON
//! for the shapes issuers write (strings without escapes, non-negative
//! integers, booleans, arrays of strings, plain values in other claims),
//! filling the same [`Payload`] the serde pass fills.
//!
//! It never decides a refusal. At anything outside those shapes (a
//! backslash or control character anywhere, a fraction or exponent, a
//! repeated claim, a wrong type, a syntax error, deep nesting) it stops,
//! and the caller runs the serde pass from the start, whose answer stands:
//! its result, or its precise error. So a payload the scan reads is one
//! the serde pass reads into the same [`Payload`]; the property tests below
//! hold it to that, on generated objects and on altered issuer payloads.
//!
//! The verifier parses a payload only once its signature held, so what
//! reaches the scan there was written by a trusted issuer.
//!
//! Why: serde_json's per-token work was half of what a verification cost
//! above its signature check (issue 28, benches/README.md). The scan finds
//! each string's end with `memchr` and does nothing per claim beyond the
//! table's match.

use std::borrow::Cow;

use super::payload::{Audience, Confirmation, MAX_NUMERIC_DATE, Payload, SeenKeys};

/// Nesting the scan follows inside another claim's value; deeper goes to
/// the serde pass (whose limit is 128).
const MAX_DEPTH: u8 = 16;

/// Most digits of an integer the scan reads: any 19 digits fit in a `u64`.
const MAX_DIGITS: usize = 19;

/// A position in the payload JSON.
pub(super) struct Scan<'a> {
    json: &'a str,
    at: usize,
}

impl<'a> Scan<'a> {
    /// `None` when the payload has a backslash or a byte below 0x20
    /// anywhere: an escape, a control character, or a line break between
    /// claims, which issuers do not write. Without them, a string ends at
    /// the next `"`.
    fn new(json: &'a str) -> Option<Self> {
        // Two minimums, with no early exit, so that the compiler takes
        // many bytes at once: the least byte, and the least byte XOR `\\`
        // (zero only for a backslash).
        let (least, backslash) = json
            .bytes()
            .fold((u8::MAX, u8::MAX), |(least, backslash), b| {
                (least.min(b), backslash.min(b ^ b'\\'))
            });
        (least >= 0x20 && backslash != 0).then_some(Self { json, at: 0 })
    }

    fn peek(&self) -> Option<u8> {
        self.json.as_bytes().get(self.at).copied()
    }

    /// JSON's whitespace: spaces only, as the other three (tab and line
    /// breaks) send the payload to the serde pass.
    fn whitespace(&mut self) {
        while self.peek() == Some(b' ') {
            self.at += 1;
        }
    }

    /// `byte` after any whitespace.
    fn expect(&mut self, byte: u8) -> Option<()> {
        self.whitespace();
        (self.peek()? == byte).then(|| self.at += 1)
    }

    /// After any whitespace: `,` (`true`) or `close` (`false`).
    fn next_or(&mut self, close: u8) -> Option<bool> {
        self.whitespace();
        let byte = self.peek()?;
        self.at += 1;
        match byte {
            b',' => Some(true),
            _ if byte == close => Some(false),
            _ => None,
        }
    }

    /// A string without escapes or control characters, after any
    /// whitespace, borrowed from the payload.
    pub(super) fn string(&mut self) -> Option<&'a str> {
        self.whitespace();
        if self.peek()? != b'"' {
            return None;
        }
        let start = self.at + 1;
        let end = start + quote(self.json.as_bytes().get(start..)?)?;
        let text = self.json.get(start..end)?;
        self.at = end + 1;
        Some(text)
    }

    /// `open`, then items that `item` reads, separated by `,`, then
    /// `close` (each after any whitespace).
    #[inline(always)]
    fn delimited(
        &mut self,
        open: u8,
        close: u8,
        mut item: impl FnMut(&mut Self) -> Option<()>,
    ) -> Option<()> {
        self.expect(open)?;
        self.whitespace();
        if self.peek()? == close {
            self.at += 1;
            return Some(());
        }
        loop {
            item(self)?;
            if !self.next_or(close)? {
                return Some(());
            }
        }
    }

    /// An array of such strings.
    pub(super) fn strings(&mut self) -> Option<Vec<Cow<'a, str>>> {
        let mut items = Vec::new();
        self.delimited(b'[', b']', |scan| {
            items.push(Cow::Borrowed(scan.string()?));
            Some(())
        })?;
        Some(items)
    }

    /// `aud`: a string or an array of strings.
    pub(super) fn audience(&mut self) -> Option<Audience<'a>> {
        self.whitespace();
        if self.peek()? == b'[' {
            self.strings().map(Audience::Many)
        } else {
            self.string().map(|aud| Audience::One(Cow::Borrowed(aud)))
        }
    }

    /// An integer written without sign, fraction or exponent, of at most
    /// [`MAX_DIGITS`] digits.
    pub(super) fn unsigned(&mut self) -> Option<u64> {
        self.whitespace();
        self.digits()
    }

    /// A NumericDate written as such an integer, in range.
    pub(super) fn date(&mut self) -> Option<u64> {
        self.unsigned().filter(|&date| date <= MAX_NUMERIC_DATE)
    }

    /// `0` or a digit other than `0` followed by digits, at most
    /// [`MAX_DIGITS`], not followed by a fraction or an exponent (those
    /// are read by the serde pass); their value.
    fn digits(&mut self) -> Option<u64> {
        let bytes = self.json.as_bytes();
        let start = self.at;
        let (mut at, mut value) = match eight_digits(bytes.get(start..)?) {
            Some(value) => (start + 8, value),
            None => (start, 0u64),
        };
        while let Some(digit) = bytes.get(at).map(|b| b.wrapping_sub(b'0')) {
            if digit > 9 {
                break;
            }
            if at - start == MAX_DIGITS {
                return None;
            }
            // At most 19 digits: no overflow.
            value = value * 10 + u64::from(digit);
            at += 1;
        }
        let leading_zero = at - start > 1 && bytes.get(start) == Some(&b'0');
        if at == start || leading_zero {
            return None;
        }
        if let Some(b'.' | b'e' | b'E') = bytes.get(at) {
            return None;
        }
        self.at = at;
        Some(value)
    }

    /// `true` or `false`.
    pub(super) fn boolean(&mut self) -> Option<bool> {
        self.whitespace();
        let rest = self.json.as_bytes().get(self.at..)?;
        if rest.starts_with(b"true") {
            self.at += 4;
            Some(true)
        } else if rest.starts_with(b"false") {
            self.at += 5;
            Some(false)
        } else {
            None
        }
    }

    /// A flag: `true`, `false`, or those words as strings (load
    /// balancers and moto write `"true"`).
    pub(super) fn flag(&mut self) -> Option<bool> {
        self.whitespace();
        if self.peek()? != b'"' {
            return self.boolean();
        }
        match self.string()? {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        }
    }

    /// `cnf` with only a `jkt` member (DPoP's form).
    pub(super) fn confirmation(&mut self) -> Option<Confirmation<'a>> {
        let mut confirmation = Confirmation::default();
        self.delimited(b'{', b'}', |scan| {
            if scan.string()? != "jkt" || confirmation.jkt.is_some() {
                return None;
            }
            scan.expect(b':')?;
            confirmation.jkt = Some(Cow::Borrowed(scan.string()?));
            Some(())
        })?;
        Some(confirmation)
    }

    /// Pass over any value the scan reads, nested at most [`MAX_DEPTH`]
    /// deep; the text it spans.
    fn skip(&mut self, depth: u8) -> Option<&'a str> {
        self.whitespace();
        let start = self.at;
        match self.peek()? {
            b'"' => {
                self.string()?;
            }
            b'-' => {
                self.at += 1;
                self.digits()?;
            }
            b'0'..=b'9' => {
                self.digits()?;
            }
            b't' | b'f' => {
                self.boolean()?;
            }
            b'n' => {
                if !self.json.as_bytes().get(self.at..)?.starts_with(b"null") {
                    return None;
                }
                self.at += 4;
            }
            open @ (b'[' | b'{') if depth < MAX_DEPTH => {
                let close = if open == b'[' { b']' } else { b'}' };
                self.delimited(open, close, |scan| {
                    if open == b'{' {
                        scan.string()?;
                        scan.expect(b':')?;
                    }
                    scan.skip(depth + 1).map(drop)
                })?;
            }
            _ => return None,
        }
        self.json.get(start..self.at)
    }
}

/// The first `"` in `haystack`. On x86-64, SSE2's search (always there)
/// called directly: most strings of a payload are a few dozen bytes, over
/// which the portable `memchr`'s choice of implementation costs about as
/// much as the search.
fn quote(haystack: &[u8]) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    if let Some(finder) = memchr::arch::x86_64::sse2::memchr::One::new(b'"') {
        return finder.find(haystack);
    }
    memchr::memchr(b'"', haystack)
}

/// The value of the first eight bytes of `rest` when all eight are ASCII
/// digits, computed in one 64-bit word: digits to values, then pairs,
/// fours and eights combined by multiplication (no lane can overflow:
/// 99, 9999 and 99999999 fit their 8, 16 and 32 bits).
fn eight_digits(rest: &[u8]) -> Option<u64> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let word = u64::from_le_bytes(*rest.first_chunk::<8>()?);
    // Every byte is 0x30 to 0x3f, and still is with 6 added: '0' to '9'.
    let high = 0xf0 * ONES;
    if word & high != 0x30 * ONES || word.wrapping_add(6 * ONES) & high != 0x30 * ONES {
        return None;
    }
    // The first digit (the most significant) is the lowest byte.
    let mut value = word - 0x30 * ONES;
    value = (value.wrapping_mul(10) + (value >> 8)) & 0x00ff_00ff_00ff_00ff;
    value = (value.wrapping_mul(100) + (value >> 16)) & 0x0000_ffff_0000_ffff;
    value = (value.wrapping_mul(10_000) + (value >> 32)) & 0xffff_ffff;
    Some(value)
}

/// Fill `payload` from `json` by the fast path: `Some` when the scan read
/// the whole payload, `None` where it stopped (and `payload` is to be
/// discarded). Same arguments as [`Payload::parse_with`].
pub(super) fn scan<'a>(
    json: &'a str,
    extra_lists: &[Box<str>],
    capture: &[Box<str>],
    payload: &mut Payload<'a>,
) -> Option<()> {
    let mut scan = Scan::new(json)?;
    let mut others = SeenKeys::default();
    scan.delimited(b'{', b'}', |scan| {
        let key = scan.string()?;
        scan.expect(b':')?;
        if payload.scan_known(key, scan)? {
            return Some(());
        }
        let extra = extra_lists.iter().position(|name| **name == *key);
        let captured = extra.is_none() && capture.iter().any(|name| **name == *key);
        if !others.insert(Cow::Borrowed(key)) {
            return None;
        }
        if captured {
            let value = serde_json::from_str(scan.skip(1)?).ok()?;
            payload.captured.push((Cow::Borrowed(key), value));
        } else if let Some(index) = extra {
            payload.extra_lists.push((index, scan.strings()?));
        } else {
            scan.skip(1)?;
        }
        Some(())
    })?;
    scan.whitespace();
    (scan.at == json.len()).then_some(())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use proptest::strategy::ValueTree;

    use super::*;

    const EXTRA: &[&str] = &["roles_claim"];
    const CAPTURE: &[&str] = &["tenant", "level"];

    fn names(names: &[&str]) -> Vec<Box<str>> {
        names.iter().map(|&n| n.into()).collect()
    }

    #[test]
    fn eight_digits_reads_exactly_eight_ascii_digits() {
        assert_eq!(eight_digits(b"12345678"), Some(12_345_678));
        assert_eq!(eight_digits(b"99999999,"), Some(99_999_999));
        assert_eq!(eight_digits(b"00000001"), Some(1));
        // Too short, and each neighbour of '0' and '9' in eight places.
        assert_eq!(eight_digits(b"1234567"), None);
        for place in 0..8 {
            for odd in [b'/', b':', b' ', b'a', 0xb0, 0x36 + 0x80] {
                let mut word = *b"12345678";
                word[place] = odd;
                assert_eq!(eight_digits(&word), None, "{word:?}");
            }
        }
    }

    /// The scan's result: `None` where it stopped.
    fn scanned(json: &str) -> Option<Payload<'_>> {
        let mut payload = Payload::default();
        scan(json, &names(EXTRA), &names(CAPTURE), &mut payload).map(|()| payload)
    }

    /// The serde pass's result, error messages included.
    fn serde(json: &str) -> Result<Payload<'_>, String> {
        Payload::parse_serde(json, &names(EXTRA), &names(CAPTURE)).map_err(|e| e.to_string())
    }

    /// The property every test below checks: what the scan reads, the
    /// serde pass reads the same; and the parser's answer is the serde
    /// pass's whenever the scan stops.
    fn agrees(json: &str) -> bool {
        let parsed =
            Payload::parse_with(json, &names(EXTRA), &names(CAPTURE)).map_err(|e| e.to_string());
        assert_eq!(parsed, serde(json), "{json}");
        match scanned(json) {
            Some(payload) => {
                assert_eq!(Ok(&payload), serde(json).as_ref(), "{json}");
                true
            }
            None => false,
        }
    }

    const ACCESS: &str = r#"{"sub":"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee","cognito:groups":["admins","users","beta"],"iss":"https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEfGhI","version":2,"client_id":"1example23456789","origin_jti":"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee","event_id":"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee","token_use":"access","scope":"aws.cognito.signin.user.admin phone openid","auth_time":1700000000,"exp":1700003600,"iat":1700000000,"jti":"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee","username":"jdoe"}"#;
    const ID: &str = r#"{"at_hash":"abc","sub":"s","email_verified":true,"iss":"https://issuer.example","cognito:username":"jdoe","origin_jti":"o","aud":"client","event_id":"e","token_use":"id","auth_time":1,"exp":2,"iat":1,"jti":"j","email":"j@example.com","custom:tenant":"acme","custom:n":"7"}"#;

    /// A load balancer's payload, and a federated user's ID token.
    const ALB: &str = r#"{"email":"u@example.com","email_verified":"true","exp":1700000120,"iss":"https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEfGhI","sub":"u","username":"u"}"#;
    const FEDERATED: &str = r#"{"sub":"s","cognito:groups":["eu-west-1_AbCdEfGhI_Google"],"iss":"https://issuer.example","identities":[{"userId":"1","providerName":"Google","providerType":"Google","issuer":null,"primary":"true","dateCreated":"1700000000000"}],"aud":"client","token_use":"id","exp":2,"iat":1}"#;

    #[test]
    fn issuers_payloads_are_read_by_the_scan_as_the_serde_pass_reads_them() {
        for json in [
            ACCESS,
            ID,
            ALB,
            FEDERATED,
            "{}",
            " { } ",
            r#"{ "iss" : "i" , "aud" : [ "a" , "b" ] , "exp" : 0 }"#,
            r#"{"aud":[],"scp":["a"],"email_verified":false,"phone_number_verified":true}"#,
            r#"{"email_verified":"true","phone_number_verified":"false"}"#,
            r#"{"cnf":{"jkt":"0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"},"token_use":"access"}"#,
            r#"{"cnf":{}}"#,
            r#"{"roles_claim":["r1","r2"],"tenant":"acme","level":3}"#,
            r#"{"x":null,"y":[1,-2,[true,{"z":"é"}]],"w":{},"v":-0,"u":[]}"#,
            r#"{"exp":253402300799,"version":9999999999999999999}"#,
            "{\"sub\":\"日本語 ✓\"}",
        ] {
            assert!(agrees(json), "the scan stopped on {json}");
        }
    }

    #[test]
    fn the_scan_stops_where_the_serde_pass_decides() {
        for json in [
            // Escapes, control characters, line breaks.
            r#"{"iss":"https:\/\/issuer.example"}"#,
            r#"{"s\u0075b":"x"}"#,
            "{\"sub\":\"a\u{1}b\"}",
            "{\n\"sub\":\"a\"}",
            // Numbers the serde pass reads: fractions, exponents, signs,
            // leading zeros, more than 19 digits, out of range.
            r#"{"exp":17e8}"#,
            r#"{"nbf":1.5}"#,
            r#"{"exp":-1}"#,
            r#"{"exp":01}"#,
            r#"{"x":1.0}"#,
            r#"{"x":12345678901234567890}"#,
            r#"{"exp":253402300800}"#,
            r#"{"version":"2"}"#,
            // Repeats, wrong types, strings for booleans.
            r#"{"exp":1,"exp":1}"#,
            r#"{"x":1,"x":2}"#,
            r#"{"iss":5}"#,
            r#"{"iss":null}"#,
            r#"{"cognito:groups":"a"}"#,
            r#"{"cognito:groups":["a",1]}"#,
            r#"{"email_verified":"yes"}"#,
            r#"{"cnf":{"jkt":"a","jkt":"b"}}"#,
            r#"{"cnf":{"x5t#S256":"a"}}"#,
            r#"{"roles_claim":"r"}"#,
            r#"{"tenant":1.5}"#,
            // Syntax.
            r#"{"a":1,}"#,
            r#"{"a":1"#,
            r#"{"a" 1}"#,
            r#"{"a":tru}"#,
            r#"{"a":truex}"#,
            r#"{"a":nul}"#,
            r#"{"a":[1,]}"#,
            r#"{"a":{"b"}}"#,
            r#"{} {}"#,
            r#"{}x"#,
            r#"[]"#,
            "",
            "\u{feff}{}",
            // Deeper than the scan follows.
            &format!(r#"{{"a":{}1{}}}"#, "[".repeat(20), "]".repeat(20)),
            &format!(r#"{{"a":{}1{}}}"#, "[".repeat(200), "]".repeat(200)),
        ] {
            assert!(!agrees(json), "the scan read {json}");
        }
    }

    /// JSON text for a claim value: mostly what issuers write, sometimes
    /// what only the serde pass reads, sometimes not JSON.
    fn value() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            "[a-z0-9 :./é✓-]{0,12}".prop_map(|s| format!("\"{s}\"")),
            r#""[a-z\\"/\x01\n]{0,4}""#.prop_map(|s| format!("\"{s}\"")),
            any::<u64>().prop_map(|n| n.to_string()),
            (0u64..2_000_000_000).prop_map(|n| n.to_string()),
            any::<i64>().prop_map(|n| n.to_string()),
            any::<f64>().prop_map(|f| f.to_string()),
            Just("1e3".to_owned()),
            Just("01".to_owned()),
            Just("-0".to_owned()),
            Just("true".to_owned()),
            Just("false".to_owned()),
            Just("null".to_owned()),
            Just("\"true\"".to_owned()),
        ];
        leaf.prop_recursive(4, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4)
                    .prop_map(|v| format!("[{}]", v.join(","))),
                prop::collection::vec(("[a-z]{1,3}", inner), 0..3).prop_map(|m| {
                    let members: Vec<String> =
                        m.into_iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
                    format!("{{{}}}", members.join(","))
                }),
            ]
        })
    }

    fn key() -> impl Strategy<Value = String> {
        let known = prop::sample::select(
            [
                crate::claims::KNOWN_CLAIMS,
                EXTRA,
                CAPTURE,
                &["custom:a", "x", "s\\u0075b"],
            ]
            .concat(),
        );
        prop_oneof![4 => known.prop_map(str::to_owned), 1 => "[a-z:]{1,6}"]
    }

    fn object() -> impl Strategy<Value = String> {
        let space = prop::sample::select(vec!["", "", "", " ", "\t", "\r\n"]);
        prop::collection::vec((key(), value(), space.clone(), space), 0..8).prop_map(|members| {
            let members: Vec<String> = members
                .into_iter()
                .map(|(k, v, a, b)| format!("{a}\"{k}\"{b}:{a}{v}{b}"))
                .collect();
            format!("{{{}}}", members.join(","))
        })
    }

    #[test]
    fn the_generated_objects_exercise_both_the_scan_and_the_serde_pass() {
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        let (mut read, mut stopped) = (0, 0);
        for _ in 0..1_000 {
            let json = object().new_tree(&mut runner).unwrap().current();
            if agrees(&json) {
                read += 1;
            } else {
                stopped += 1;
            }
        }
        assert!(
            read > 100 && stopped > 100,
            "read {read}, stopped {stopped}"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]

        #[test]
        fn the_scan_agrees_with_the_serde_pass_on_generated_objects(json in object()) {
            agrees(&json);
        }

        #[test]
        fn the_scan_agrees_with_the_serde_pass_on_altered_payloads(
            base in prop::sample::select(vec![ACCESS, ID, ALB, FEDERATED]),
            at in any::<prop::sample::Index>(),
            edit in prop::sample::select(vec!["", "\"", "\\", ",", ":", "{", "}", "[", "]", " ", "1", ".", "e", "-", "a", "\u{1}", "null"]),
            remove in 0usize..3,
        ) {
            let mut json = base.to_owned();
            let mut at = at.index(json.len());
            while !json.is_char_boundary(at) {
                at -= 1;
            }
            let end = (at + remove).min(json.len());
            if json.is_char_boundary(end) {
                json.replace_range(at..end, edit);
                agrees(&json);
            }
        }
    }
}
