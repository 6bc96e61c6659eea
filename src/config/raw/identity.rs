//! The serde shape of the whoami mapping in the `identity` section: each
//! field a name or JSON pointer (`account: /user/login`), a constant
//! (`company: { value: main }`) or a value map (`class: { from: /user/admin,
//! map: { true: admin, false: employee }, default: employee }`); the
//! "not logged in" condition; the whoami method. Only the shape: the checks
//! are in `load/mapping.rs`.

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use std::collections::BTreeMap;
use std::fmt;

/// Each identity field's rule; each defaults to the top-level field of its
/// own name. `company` and `class` are `None` when not written: then an
/// answer without them has a default (`load/mapping.rs`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(in crate::config) struct RawFields {
    pub account: RawFieldRule,
    pub company: Option<RawFieldRule>,
    pub class: Option<RawFieldRule>,
    pub person: RawFieldRule,
    pub roles: RawFieldRule,
    pub email: RawFieldRule,
}

impl Default for RawFields {
    fn default() -> Self {
        let name = |n: &str| RawFieldRule::Name(n.to_owned());
        Self {
            account: name("account"),
            company: None,
            class: None,
            person: name("person"),
            roles: name("roles"),
            email: name("email"),
        }
    }
}

/// A field's rule as written: a string (a top-level field name, or a JSON
/// pointer when it starts with `/`) or a mapping.
#[derive(Debug)]
pub(in crate::config) enum RawFieldRule {
    Name(String),
    Rule(RawRule),
}

/// `{ value: X }` or `{ from: P, map: {…}, default: D }`; which keys go
/// together is checked in `load/mapping.rs`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(in crate::config) struct RawRule {
    pub value: Option<String>,
    pub from: Option<String>,
    #[serde(default, deserialize_with = "map_of_text")]
    pub map: Option<Vec<(String, String)>>,
    pub default: Option<String>,
}

impl<'de> Deserialize<'de> for RawFieldRule {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RuleVisitor;

        impl<'de> Visitor<'de> for RuleVisitor {
            type Value = RawFieldRule;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a field name, a JSON pointer (/a/b), { value: X } or { from: POINTER, map: {…} }",
                )
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(RawFieldRule::Name(v.to_owned()))
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                RawRule::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(RawFieldRule::Rule)
            }
        }

        deserializer.deserialize_any(RuleVisitor)
    }
}

/// A value map: keys and results as text (YAML's `true:` key is the text
/// `true`), each key once.
fn map_of_text<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Vec<(String, String)>>, D::Error> {
    let map: BTreeMap<String, String> = super::unique_map(deserializer)?;
    Ok(Some(map.into_iter().collect()))
}

/// `anonymous_when: { present: POINTER }` or `{ absent: POINTER }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(in crate::config) struct RawAnonymousWhen {
    pub present: Option<String>,
    pub absent: Option<String>,
}

/// `whoami_method`.
#[derive(Debug, Deserialize, PartialEq, Eq)]
pub(in crate::config) enum RawMethod {
    #[serde(rename = "GET", alias = "get")]
    Get,
    #[serde(rename = "POST", alias = "post")]
    Post,
}
