//! Claim rules: a requirement on any claim by value, in one grammar for
//! code, environment variables and command lines.

use std::fmt;
use std::str::FromStr;

use serde_json::Value;

use crate::claims::{ClaimsView, named_claims};
use crate::error::{ConfigError, Error, ErrorKind, quoted};

/// A requirement on one claim's value, checked after the token is
/// verified; a token it refuses gets [`ErrorKind::ClaimMismatch`] (HTTP 403
/// `insufficient_scope`: the token is genuine but not allowed here).
///
/// One grammar everywhere (the `REQUIRED_CLAIMS` variable, the CLI's
/// `--claim`, the Lambda authorizer's options):
///
/// | rule | holds when the claim |
/// |---|---|
/// | `name=value` | is the JSON string `value` |
/// | `name=a\|b` | is the JSON string `a` or `b` |
/// | `name~=a\|b` | is a JSON array holding the string `a` or `b` |
/// | `name:=<JSON>` | equals this JSON value (for numbers and booleans: `n:=2`, `flag:=true`) |
///
/// The name is everything before the operator, so names with colons
/// (`custom:tenant=acme`, `cognito:groups~=admins`) need no quoting; the
/// operator is the first `=` with the character before it. Whitespace
/// around names, values and `|` is ignored. Values cannot hold `|` (nor
/// `;` in a list of rules): build such rules with [`ClaimRule::one_of`] and
/// friends.
///
/// Types never mix: `n=1` does not hold for the number `1` (only for the
/// string `"1"`), `n:=1` not for the string `"1"`, `name=a` not for the
/// array `["a"]`, and `name~=a` not for the string `"a"` (a space-separated
/// `scope` is not a list: require scopes with `require_any_scope`). An
/// absent claim fails every rule.
///
/// ```
/// use cognito_jwt_core::{ClaimRule, Requirements};
///
/// let tenant: ClaimRule = "custom:tenant=acme|globex".parse()?;
/// assert_eq!(tenant.name(), "custom:tenant");
/// let route = Requirements::new()
///     .claim(tenant)
///     .claim_rules("email_verified:=true; cognito:groups~=staff|admins")?;
/// assert!(route.validate().is_ok());
///
/// let error = ClaimRule::parse_list("custom:tenant", "REQUIRED_CLAIMS").unwrap_err();
/// assert_eq!(error.name(), Some("REQUIRED_CLAIMS"));
/// # Ok::<(), cognito_jwt_core::ConfigError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimRule {
    name: String,
    test: Test,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Test {
    /// A string, one of these.
    OneOf(Vec<String>),
    /// An array holding a string that is one of these.
    ContainsAny(Vec<String>),
    /// This JSON value.
    Equals(Value),
}

/// What a rule looks like, for error messages.
const GRAMMAR: &str = "expected name=value, name=a|b, name~=a|b or name:=<JSON>";

impl ClaimRule {
    /// The claim `name` is a string, one of `values`.
    pub fn one_of<I, S>(name: impl Into<String>, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            name: name.into(),
            test: Test::OneOf(values.into_iter().map(Into::into).collect()),
        }
    }

    /// The claim `name` is an array holding a string that is one of
    /// `values`.
    pub fn contains_any<I, S>(name: impl Into<String>, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            name: name.into(),
            test: Test::ContainsAny(values.into_iter().map(Into::into).collect()),
        }
    }

    /// The claim `name` equals `value`, JSON type included (numbers equal
    /// by value: `2` and `2.0` are one number).
    pub fn equals_json(name: impl Into<String>, value: Value) -> Self {
        Self {
            name: name.into(),
            test: Test::Equals(value),
        }
    }

    /// The claim the rule is about.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Parse one rule (see the grammar above).
    ///
    /// # Errors
    /// A [`ConfigError`] naming `claim_rule`, quoting the rule and saying
    /// what is wrong with it.
    pub fn parse(rule: &str) -> Result<Self, ConfigError> {
        parse_rule(rule).map_err(|problem| ConfigError::invalid("claim_rule", problem))
    }

    /// Parse rules separated by `;` (blank entries, such as a trailing
    /// `;`, are skipped), as `setting` holds them: the error names
    /// `setting` (e.g. `REQUIRED_CLAIMS`, `--claim`) and quotes the rule.
    ///
    /// # Errors
    /// A [`ConfigError`] naming `setting`.
    pub fn parse_list(rules: &str, setting: &str) -> Result<Vec<Self>, ConfigError> {
        rules
            .split(';')
            .filter(|rule| !rule.trim().is_empty())
            .map(|rule| parse_rule(rule).map_err(|problem| ConfigError::invalid(setting, problem)))
            .collect()
    }

    /// The rules of the `REQUIRED_CLAIMS` environment variable (none when
    /// it is unset or blank), as `CognitoJwtVerifier::from_env` and
    /// `JwtVerifier::from_env` read them: for programs that build their
    /// verifier themselves and pass each rule to `require_claim`.
    ///
    /// # Errors
    /// A [`ConfigError`] naming `REQUIRED_CLAIMS` and quoting the malformed
    /// rule; or, when it is unset while a similarly named variable is set
    /// (`REQUIRED_CLAIM`), one saying "`<it>` is set: rename it to
    /// `REQUIRED_CLAIMS`", since a misspelt rule must not go unenforced.
    pub fn from_env() -> Result<Vec<Self>, ConfigError> {
        crate::env::required_claims_from_env()
    }

    /// The rules of `REQUIRED_CLAIMS` as [`from_env`](Self::from_env)
    /// reads them, its value given by `lookup` instead of the environment
    /// (see [`UserPool::from_lookup`](crate::UserPool::from_lookup)).
    ///
    /// # Errors
    /// As [`from_env`](Self::from_env).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Vec<Self>, ConfigError> {
        crate::env::required_claims(&lookup, &crate::env::variable_names())
    }

    /// Whether the rule holds for the claim's value (`None`: absent).
    fn holds(&self, value: Option<&Value>) -> bool {
        match (&self.test, value) {
            (Test::OneOf(allowed), Some(Value::String(actual))) => {
                allowed.iter().any(|a| a == actual)
            }
            (Test::ContainsAny(allowed), Some(Value::Array(items))) => items.iter().any(
                |item| matches!(item, Value::String(actual) if allowed.iter().any(|a| a == actual)),
            ),
            (Test::Equals(expected), Some(actual)) => same_json(expected, actual),
            _ => false,
        }
    }

    /// Blank names and values name nothing: refused at start-up.
    pub(crate) fn problem(&self) -> Option<String> {
        let blank = |what: &str| {
            Some(format!(
                "the rule {} has an empty {what}; {GRAMMAR}",
                quoted(&self.to_string())
            ))
        };
        if self.name.trim().is_empty() {
            return blank("claim name");
        }
        match &self.test {
            Test::OneOf(values) | Test::ContainsAny(values)
                if values.is_empty() || values.iter().any(|v| v.trim().is_empty()) =>
            {
                blank("value")
            }
            _ => None,
        }
    }
}

impl FromStr for ClaimRule {
    type Err = ConfigError;

    fn from_str(rule: &str) -> Result<Self, Self::Err> {
        Self::parse(rule)
    }
}

/// The rule in the grammar it is parsed from.
impl fmt::Display for ClaimRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.test {
            Test::OneOf(values) => write!(f, "{}={}", self.name, values.join("|")),
            Test::ContainsAny(values) => write!(f, "{}~={}", self.name, values.join("|")),
            Test::Equals(value) => write!(f, "{}:={value}", self.name),
        }
    }
}

fn parse_rule(rule: &str) -> Result<ClaimRule, String> {
    let rule = rule.trim();
    let bad = |why: &str| format!("the rule {} {why}; {GRAMMAR}", quoted(rule));
    let Some(at) = rule.find('=') else {
        return Err(bad("has no operator"));
    };
    let (before, value) = (&rule[..at], rule[at + 1..].trim());
    let parsed =
        if let Some(name) = before.strip_suffix('~') {
            ClaimRule::contains_any(name.trim(), split_values(value))
        } else if let Some(name) = before.strip_suffix(':') {
            let json: Value = serde_json::from_str(value).map_err(|_| {
            bad("is not followed by one JSON value after :=; a string needs quotes (name:=\"x\"), \
                 or use name=x")
        })?;
            if json.is_array() || json.is_object() {
                return Err(bad("compares an array or object; use ~= for a list claim"));
            }
            ClaimRule::equals_json(name.trim(), json)
        } else {
            ClaimRule::one_of(before.trim(), split_values(value))
        };
    match parsed.problem() {
        Some(_) if parsed.name.is_empty() => Err(bad("has no claim name")),
        Some(_) => Err(bad("has an empty value")),
        None => Ok(parsed),
    }
}

fn split_values(values: &str) -> Vec<String> {
    values.split('|').map(|v| v.trim().to_owned()).collect()
}

/// JSON equality, numbers compared by value whatever their form.
fn same_json(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::Number(a), Value::Number(b)) => {
            match (a.as_i64(), b.as_i64(), a.as_u64(), b.as_u64()) {
                (Some(a), Some(b), _, _) => a == b,
                (_, _, Some(a), Some(b)) => a == b,
                _ => a.as_f64().zip(b.as_f64()).is_some_and(|(a, b)| a == b),
            }
        }
        _ => expected == actual,
    }
}

/// Check `rules` against a verified token's claims: the values the one
/// parse captured (the verifier's own rules name them), else the claims
/// the rules name read in one more pass over the payload JSON, nothing
/// else built.
pub(crate) fn check_claim_rules(rules: &[ClaimRule], view: &ClaimsView<'_>) -> Result<(), Error> {
    let captured = |name: &str| {
        view.payload
            .captured
            .iter()
            .find(|(captured, _)| captured == name)
            .map(|(_, value)| value)
    };
    let read;
    let values: Vec<Option<&Value>> = if rules.iter().all(|rule| captured(&rule.name).is_some()) {
        rules.iter().map(|rule| captured(&rule.name)).collect()
    } else {
        let names: Vec<&str> = rules.iter().map(|rule| rule.name.as_str()).collect();
        read = named_claims(view.json(), &names).unwrap_or_default();
        (0..rules.len())
            .map(|index| read.get(index).and_then(Option::as_ref))
            .collect()
    };
    for (index, rule) in rules.iter().enumerate() {
        let value = values.get(index).copied().flatten();
        if rule.problem().is_some() || !rule.holds(value) {
            return Err(Error::new(
                ErrorKind::ClaimMismatch,
                format!(
                    "the token's {} claim does not satisfy the rule required here{}",
                    quoted(&rule.name),
                    if value.is_none() {
                        " (it has no such claim)"
                    } else {
                        ""
                    }
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_grammar() {
        let parse = |rule: &str| ClaimRule::parse(rule).unwrap();
        assert_eq!(
            parse("custom:tenant=acme"),
            ClaimRule::one_of("custom:tenant", ["acme"])
        );
        assert_eq!(
            parse(" tier = gold | silver "),
            ClaimRule::one_of("tier", ["gold", "silver"])
        );
        assert_eq!(
            parse("cognito:groups~=a|b"),
            ClaimRule::contains_any("cognito:groups", ["a", "b"])
        );
        assert_eq!(parse("n:=2"), ClaimRule::equals_json("n", json!(2)));
        assert_eq!(parse("v:=true"), ClaimRule::equals_json("v", json!(true)));
        assert_eq!(
            parse("s:=\"a|b\""),
            ClaimRule::equals_json("s", json!("a|b"))
        );
        assert_eq!(
            parse("url=https://x/?a=b"),
            ClaimRule::one_of("url", ["https://x/?a=b"])
        );
        for rule in ["custom:tenant=acme", "g~=a|b", "n:=2", "s:=\"x\""] {
            assert_eq!(parse(rule).to_string(), rule);
        }
    }

    #[test]
    fn malformed_rules_are_named_and_quoted() {
        for rule in [
            "",
            "tenant",
            "=acme",
            "~=a",
            ":=1",
            "tenant=",
            "tenant=a||b",
            "g~=",
            "n:=",
            "n:=1 2",
            "n:=acme",
            "n:=[1]",
            "n:={}",
            "n:=\"x",
        ] {
            let error = ClaimRule::parse(rule).unwrap_err();
            assert_eq!(error.name(), Some("claim_rule"), "{rule}");
            assert!(error.to_string().contains(&quoted(rule.trim())), "{error}");
            let error = ClaimRule::parse_list(&format!("a=b;{rule}"), "REQUIRED_CLAIMS");
            if !rule.is_empty() {
                assert_eq!(error.unwrap_err().name(), Some("REQUIRED_CLAIMS"), "{rule}");
            }
        }
        assert_eq!(ClaimRule::parse_list(" ; a=b ;", "X").unwrap().len(), 1);
        assert!(ClaimRule::parse_list("", "X").unwrap().is_empty());
    }

    #[test]
    fn types_never_mix() {
        let holds = |rule: &str, value: Value| ClaimRule::parse(rule).unwrap().holds(Some(&value));
        assert!(holds("n=1", json!("1")));
        assert!(!holds("n=1", json!(1)));
        assert!(holds("n:=1", json!(1)));
        assert!(holds("n:=1", json!(1.0)));
        assert!(!holds("n:=1", json!("1")));
        assert!(!holds("n:=1", json!(true)));
        assert!(!holds("b:=true", json!("true")));
        assert!(holds("b:=true", json!(true)));
        assert!(!holds("g=a", json!(["a"])));
        assert!(!holds("g~=a", json!("a")));
        assert!(holds("g~=x|a", json!(["b", "a"])));
        assert!(!holds("g~=a", json!([["a"]])));
        assert!(!holds("g~=a", json!([])));
        assert!(!holds("t=acme", json!("ACME")));
        assert!(!holds("t=acme", json!(null)));
        assert!(!ClaimRule::parse("t=acme").unwrap().holds(None));
        assert!(holds("n:=-3", json!(-3)));
        assert!(!holds("n:=18446744073709551615", json!(-1)));
    }
}
