//! Claims read by name, for the rules that name them: one pass over a
//! verified payload that builds a value only for the claims asked for and
//! skips every other one (with the deserializer's nesting limit).

use std::fmt;

use serde::Deserializer;
use serde::de::{self, DeserializeSeed, MapAccess, Visitor};
use serde_json::Value;

use super::payload::{Skip, Text};

/// The values of the claims `names` names, in the same order (`None` for
/// an absent claim), read from the payload JSON `json`. A name may be
/// given twice. `None` overall when the payload is not a JSON object or a
/// named claim appears twice (which the payload parser refused before).
pub(crate) fn named_claims(json: &str, names: &[&str]) -> Option<Vec<Option<Value>>> {
    let mut deserializer = serde_json::Deserializer::from_str(json);
    let values = Named { names }.deserialize(&mut deserializer).ok()?;
    deserializer.end().ok()?;
    Some(values)
}

struct Named<'n> {
    names: &'n [&'n str],
}

impl<'de> DeserializeSeed<'de> for Named<'_> {
    type Value = Vec<Option<Value>>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Named<'_> {
    type Value = Vec<Option<Value>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object of claims")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut values: Vec<Option<Value>> = vec![None; self.names.len()];
        while let Some(Text(key)) = map.next_key::<Text<'de>>()? {
            let Some(first) = self.names.iter().position(|name| **name == *key) else {
                map.next_value::<Skip>()?;
                continue;
            };
            if values[first].is_some() {
                return Err(de::Error::custom("a claim appears twice"));
            }
            let value: Value = map.next_value()?;
            for (slot, name) in values.iter_mut().zip(self.names).skip(first + 1) {
                if **name == *key {
                    *slot = Some(value.clone());
                }
            }
            values[first] = Some(value);
        }
        Ok(values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_the_named_claims_are_kept() {
        let json = r#"{"a":1,"custom:tenant":"acme","deep":{"x":[1,2]},"amr":["pwd","mfa"]}"#;
        let values = named_claims(json, &["custom:tenant", "amr", "missing", "amr"]).unwrap();
        assert_eq!(
            values,
            [
                Some(json!("acme")),
                Some(json!(["pwd", "mfa"])),
                None,
                Some(json!(["pwd", "mfa"]))
            ]
        );
    }

    #[test]
    fn no_values_from_what_is_not_one_object() {
        for json in ["[]", "1", r#"{"a":1} {}"#, r#"{"a":1,"a":2}"#, "{"] {
            assert_eq!(named_claims(json, &["a"]), None, "{json}");
        }
        let deep = format!("{{\"b\":{}1{}}}", "[".repeat(5000), "]".repeat(5000));
        assert_eq!(named_claims(&deep, &["a"]), None);
    }
}
