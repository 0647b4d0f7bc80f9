//! The "`<near miss>` is set: rename it to `<name>`" hints every face's
//! loading from environment variables gives, and the variables every face
//! reads alike (`REQUIRED_CLAIMS`).

use crate::error::ConfigError;
use crate::requirements::ClaimRule;

/// The variable holding the claim rules every verifier loaded from the
/// environment requires.
pub(crate) const REQUIRED_CLAIMS: &str = "REQUIRED_CLAIMS";

/// The rules of `REQUIRED_CLAIMS` (none when unset or blank). Unset while
/// a near miss is set is an error: a misspelt rule must not go unenforced.
pub(crate) fn required_claims(
    get: &dyn Fn(&str) -> Option<String>,
    all_names: &[String],
) -> Result<Vec<ClaimRule>, ConfigError> {
    match get(REQUIRED_CLAIMS) {
        Some(rules) => ClaimRule::parse_list(&rules, REQUIRED_CLAIMS),
        None => match did_you_mean(REQUIRED_CLAIMS, all_names) {
            Some(near_miss) => Err(ConfigError::Missing {
                name: REQUIRED_CLAIMS.to_owned(),
                expected: "claim rules separated by ;, e.g. custom:tenant=acme".to_owned(),
                did_you_mean: Some(near_miss.to_owned()),
            }),
            None => Ok(Vec::new()),
        },
    }
}

/// The names of the process's environment variables (those that are
/// Unicode), for the near-miss hints.
pub(crate) fn variable_names() -> Vec<String> {
    std::env::vars_os()
        .filter_map(|(k, _)| k.into_string().ok())
        .collect()
}

/// [`required_claims`] from the process environment.
pub(crate) fn required_claims_from_env() -> Result<Vec<ClaimRule>, ConfigError> {
    required_claims(&|name| std::env::var(name).ok(), &variable_names())
}

fn normalize(name: &str) -> String {
    let upper = name.to_ascii_uppercase();
    let trimmed = upper
        .strip_prefix("AWS_")
        .or_else(|| upper.strip_prefix("AMAZON_"))
        .unwrap_or(&upper);
    trimmed
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .replace("USERPOOL", "POOL")
        .replace("URL", "URI")
        .replace("CLIENTIDS", "CLIENTID")
        .replace("APPCLIENT", "CLIENT")
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

pub(crate) fn similar(wanted: &str, candidate: &str) -> bool {
    let (w, c) = (normalize(wanted), normalize(candidate));
    w == c || edit_distance(&w, &c) <= 2
}

/// The set variable most like `wanted`, if any.
pub(crate) fn did_you_mean<'a>(wanted: &str, all_names: &'a [String]) -> Option<&'a str> {
    all_names
        .iter()
        .filter(|n| n.as_str() != wanted && similar(wanted, n))
        .min_by_key(|n| edit_distance(&normalize(wanted), &normalize(n)))
        .map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(vars: &[(&str, &str)]) -> Result<Vec<ClaimRule>, ConfigError> {
        let names: Vec<String> = vars.iter().map(|(k, _)| (*k).to_owned()).collect();
        let get = |name: &str| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        };
        required_claims(&get, &names)
    }

    #[test]
    fn required_claims_are_read_named_and_never_lost_to_a_typo() {
        assert!(load(&[("HOME", "/root")]).unwrap().is_empty());
        assert!(load(&[(REQUIRED_CLAIMS, " ")]).unwrap().is_empty());
        let rules = load(&[(REQUIRED_CLAIMS, "custom:tenant=acme; n:=2")]).unwrap();
        assert_eq!(rules.len(), 2);
        let error = load(&[(REQUIRED_CLAIMS, "custom:tenant")]).unwrap_err();
        assert_eq!(error.name(), Some(REQUIRED_CLAIMS));
        assert!(error.to_string().contains("\"custom:tenant\""), "{error}");
        for typo in ["REQUIRED_CLAIM", "REQUIRE_CLAIMS", "AWS_REQUIRED_CLAIMS"] {
            let error = load(&[(typo, "a=b")]).unwrap_err();
            assert_eq!(error.name(), Some(REQUIRED_CLAIMS));
            assert!(
                error
                    .to_string()
                    .contains(&format!("{typo} is set: rename it to REQUIRED_CLAIMS")),
                "{error}"
            );
        }
    }
}
