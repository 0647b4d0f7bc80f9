//! The "`<near miss>` is set: rename it to `<name>`" hints every face's
//! loading from environment variables gives.

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
