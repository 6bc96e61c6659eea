//! The raw shape of one entry of `access_rules:` in the YAML file: its
//! condition lists and its `action`, a word (`deny`) or the one-key
//! mapping `{ step_up: 10m }`. `load/rules.rs` checks it into an
//! `AccessRule`.

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use std::fmt;
use std::time::Duration;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(in crate::config) struct RawRule {
    #[serde(default)]
    pub paths: Option<Vec<String>>,
    #[serde(default)]
    pub methods: Option<Vec<String>>,
    #[serde(default)]
    pub hosts: Option<Vec<String>>,
    #[serde(default)]
    pub classes: Option<Vec<String>>,
    /// Roles of the identity mapping; `groups` is the same list.
    #[serde(default, alias = "groups")]
    pub roles: Option<Vec<String>>,
    #[serde(default)]
    pub networks: Option<Vec<String>>,
    pub action: RawAction,
}

/// `action:` as written.
#[derive(Debug, PartialEq, Eq)]
pub(in crate::config) enum RawAction {
    /// `bypass`, `company_policy`, `two_factor`, `passkey` or `deny`.
    Word(String),
    /// `{ step_up: 10m }`.
    StepUp(Duration),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStepUp {
    #[serde(deserialize_with = "super::duration")]
    step_up: Duration,
}

impl<'de> Deserialize<'de> for RawAction {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ActionVisitor;

        impl<'de> Visitor<'de> for ActionVisitor {
            type Value = RawAction;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "`bypass`, `company_policy`, `two_factor`, `passkey`, `deny` or `{ step_up: 10m }`",
                )
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawAction, E> {
                Ok(RawAction::Word(v.to_owned()))
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawAction, A::Error> {
                let raw = RawStepUp::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(RawAction::StepUp(raw.step_up))
            }
        }

        deserializer.deserialize_any(ActionVisitor)
    }
}
