//! The raw shape of one entry of `companies:` in the YAML file: the
//! enforcement alone (`globex: required`, the first form) or a mapping of
//! pinned settings (`globex: { enforcement: required, remember_days: 30 }`).
//! `load/sections.rs` turns it into the validated company settings.

use crate::domain::{Enforcement, RememberDays};
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use std::fmt;

/// One company's pinned settings: `globex: required` (the enforcement
/// only, the first form) or a mapping, `globex: { enforcement: required,
/// remember_days: 30 }`, each key optional. A setting not pinned here is
/// the administrator's to choose on the policy page.
#[derive(Debug, Default)]
pub(in crate::config) struct RawCompany {
    pub enforcement: Option<Enforcement>,
    pub remember_days: Option<RememberDays>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCompanyFields {
    #[serde(default)]
    enforcement: Option<Enforcement>,
    #[serde(default, deserialize_with = "remember_days")]
    remember_days: Option<RememberDays>,
}

impl<'de> Deserialize<'de> for RawCompany {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CompanyVisitor;

        impl<'de> Visitor<'de> for CompanyVisitor {
            type Value = RawCompany;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "`optional`, `required`, `required_passkey`, or a mapping with `enforcement` and `remember_days`",
                )
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawCompany, E> {
                let enforcement =
                    Enforcement::deserialize(de::value::StrDeserializer::<E>::new(v))?;
                Ok(RawCompany {
                    enforcement: Some(enforcement),
                    remember_days: None,
                })
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawCompany, A::Error> {
                let fields =
                    RawCompanyFields::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(RawCompany {
                    enforcement: fields.enforcement,
                    remember_days: fields.remember_days,
                })
            }
        }

        deserializer.deserialize_any(CompanyVisitor)
    }
}

/// `remember_days`: `off` (or `false`, or `0`), `7` or `30`; anything else
/// is refused naming the allowed values.
fn remember_days<'de, D: Deserializer<'de>>(d: D) -> Result<Option<RememberDays>, D::Error> {
    struct DaysVisitor;

    fn refuse<E: de::Error>(what: impl fmt::Display) -> E {
        E::custom(format!(
            "{what} is not allowed (allowed: off, {})",
            RememberDays::CHOICES.map(|d| d.to_string()).join(", ")
        ))
    }

    impl Visitor<'_> for DaysVisitor {
        type Value = Option<RememberDays>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("off, 7 or 30")
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            u16::try_from(v)
                .ok()
                .and_then(RememberDays::from_days)
                .map(Some)
                .ok_or_else(|| refuse(v))
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            match u64::try_from(v) {
                Ok(v) => self.visit_u64(v),
                Err(_) => Err(refuse(v)),
            }
        }

        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
            match v {
                false => Ok(Some(RememberDays::OFF)),
                true => Err(refuse("`true`")),
            }
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            match RememberDays::parse(v) {
                Some(d) => Ok(Some(d)),
                None => Err(refuse(format_args!("\"{v}\""))),
            }
        }
    }

    d.deserialize_any(DaysVisitor)
}
