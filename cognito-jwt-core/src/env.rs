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

/// Upper case, letters and digits only, without an `AWS_`/`AMAZON_`
/// prefix, common variants folded in (ASCII only, so that bytes are
/// characters).
fn normalize(name: &str) -> String {
    let upper = name.to_ascii_uppercase();
    let trimmed = upper
        .strip_prefix("AWS_")
        .or_else(|| upper.strip_prefix("AMAZON_"))
        .unwrap_or(&upper);
    let mut normal: String = trimmed
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    // In this order; `replace` copies, so only when there is something to
    // replace (it rarely is: this runs for every variable at start-up).
    for (variant, folded) in [
        ("USERPOOL", "POOL"),
        ("URL", "URI"),
        ("CLIENTIDS", "CLIENTID"),
        ("APPCLIENT", "CLIENT"),
        ("AUTHORISER", "AUTHORIZER"),
    ] {
        if normal.contains(variant) {
            normal = normal.replace(variant, folded);
        }
    }
    normal
}

/// How many letters one of `a` and `b` has that the other lacks, counted
/// with repeats (the larger side): a lower bound of their edit distance,
/// found in one pass. Digits and capitals (all a normalised name holds)
/// are counted apart; any other byte shares the last bucket, which only
/// lowers the bound.
fn letters_apart(a: &[u8], b: &[u8]) -> usize {
    const BUCKETS: usize = (b'Z' - b'0') as usize + 2;
    let bucket = |byte: u8| usize::from(byte.wrapping_sub(b'0')).min(BUCKETS - 1);
    let mut counts = [0_i32; BUCKETS];
    for &byte in a {
        counts[bucket(byte)] += 1;
    }
    for &byte in b {
        counts[bucket(byte)] -= 1;
    }
    let (mut only_a, mut only_b) = (0_usize, 0_usize);
    for count in counts {
        let n = count.unsigned_abs() as usize;
        if count > 0 {
            only_a += n;
        } else {
            only_b += n;
        }
    }
    only_a.max(only_b)
}

/// The edit distance of `a` and `b` when it is at most `max`. The
/// distance is at least the difference of the lengths, and at least the
/// smallest entry of any row, so most pairs of names are settled without
/// filling the table.
fn distance_within(a: &str, b: &str, max: usize) -> Option<usize> {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len().abs_diff(b.len()) > max || letters_apart(a, b) > max {
        return None;
    }
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        current[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        if current.iter().min().is_some_and(|&least| least > max) {
            return None;
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous.last().copied().filter(|&distance| distance <= max)
}

/// The most edits between two normalised names that still make a near miss.
const NEAR_MISS_EDITS: usize = 2;

pub(crate) fn similar(wanted: &str, candidate: &str) -> bool {
    distance_within(&normalize(wanted), &normalize(candidate), NEAR_MISS_EDITS).is_some()
}

/// The set variable most like `wanted`, if any (the first of the nearest).
pub(crate) fn did_you_mean<'a>(wanted: &str, all_names: &'a [String]) -> Option<&'a str> {
    let wanted_normal = normalize(wanted);
    all_names
        .iter()
        .filter(|n| n.as_str() != wanted)
        .filter_map(|n| {
            distance_within(&wanted_normal, &normalize(n), NEAR_MISS_EDITS).map(|d| (d, n))
        })
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, n)| n.as_str())
}

/// Refuse a variable that looks like one of an application's own
/// `settings` but is not one, as this crate's loading does for its own:
/// a name of `names` (the process's variables, say) that is not a setting
/// yet starts with `prefix` or is within two edits of a setting (case,
/// punctuation and common variants such as `AUTHORISER` folded) stops
/// start-up, naming it, with "rename it to `<setting>`" when one is within
/// three edits. A misspelt setting that guards something (a required
/// group, say) must not silently go unread.
///
/// ```
/// use cognito_jwt_core::check_setting_names;
///
/// let settings = ["APP_REQUIRED_GROUP", "APP_AUDIT"];
/// let error = check_setting_names(["PATH", "APP_REQUIRED_GROUPS"], "APP_", &settings, "this service")
///     .unwrap_err();
/// assert_eq!(error.name(), Some("APP_REQUIRED_GROUPS"));
/// assert!(error.to_string().contains("rename it to APP_REQUIRED_GROUP"));
/// assert!(check_setting_names(["PATH", "APP_AUDIT"], "APP_", &settings, "this service").is_ok());
/// ```
///
/// # Errors
/// [`ConfigError::Invalid`] naming the first such variable, saying which
/// settings `owner` has.
pub fn check_setting_names<'n>(
    names: impl IntoIterator<Item = &'n str>,
    prefix: &str,
    settings: &[&str],
    owner: &str,
) -> Result<(), ConfigError> {
    let prefix = normalize(prefix);
    let known: Vec<(String, &str)> = settings.iter().map(|s| (normalize(s), *s)).collect();
    for name in names {
        if settings.contains(&name) {
            continue;
        }
        let normal = normalize(name);
        // Within 3 edits a hint; within 2 (or with the prefix) a refusal.
        let nearest = known
            .iter()
            .filter_map(|(normal_known, known)| {
                Some((distance_within(normal_known, &normal, 3)?, *known))
            })
            .min();
        let looks_like_one = (!prefix.is_empty() && normal.starts_with(&prefix))
            || nearest.is_some_and(|(distance, _)| distance <= NEAR_MISS_EDITS);
        if looks_like_one {
            let hint = match nearest {
                Some((_, known)) => format!(": rename it to {known}"),
                None => String::new(),
            };
            return Err(ConfigError::Invalid {
                name: name.to_owned(),
                problem: format!(
                    "it is not a setting of {owner}{hint}; the settings are {}",
                    settings.join(", ")
                ),
            });
        }
    }
    Ok(())
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

    /// The plain dynamic-programming distance, for comparison.
    fn full_distance(a: &str, b: &str) -> usize {
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

    #[test]
    fn the_bounded_distance_agrees_with_the_full_table() {
        let names = [
            "",
            "A",
            "AB",
            "BA",
            "AAB",
            "POOLID",
            "POLOID",
            "COGNITOPOOLID",
            "COGNITOUSERPOOLID",
            "COGNITOCLIENTID",
            "COGNITOCLIENTIDS",
            "COGNITORESOURCE",
            "COGNITORESOURCES",
            "REQUIREDCLAIMS",
            "REQUIRECLAIM",
            "LAMBDAFUNCTIONNAME",
            "PATH",
        ];
        for a in names {
            for b in names {
                let full = full_distance(a, b);
                for max in 0..=4 {
                    let expected = (full <= max).then_some(full);
                    assert_eq!(distance_within(a, b, max), expected, "{a} {b} {max}");
                }
            }
        }
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
