//! The YAML shape of a key ring: `secrets.hmac_key` (and `encryption_key`)
//! is one key source, `{ env: VAR }` / `{ file: PATH }`, as it always was,
//! or a list of them, first in use: `[{ env: NEW }, { env: OLD }]`. Only
//! the shape lives here; `load/keys.rs` reads and checks the keys.

use super::RawSecret;
use serde::Deserialize;
use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;

#[derive(Debug)]
pub(in crate::config) enum RawKeyRing {
    /// One key, written as a mapping (field paths stay `secrets.hmac_key.env`).
    One(RawSecret),
    /// A list of keys, first in use (paths `secrets.hmac_key[1].env`).
    Many(Vec<RawSecret>),
}

impl<'de> Deserialize<'de> for RawKeyRing {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct RingVisitor;
        impl<'de> Visitor<'de> for RingVisitor {
            type Value = RawKeyRing;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "`{ env: VARIABLE }`, `{ file: PATH }`, or a list of them (first in use)",
                )
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawKeyRing, A::Error> {
                RawSecret::deserialize(MapAccessDeserializer::new(map)).map(RawKeyRing::One)
            }

            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<RawKeyRing, A::Error> {
                Vec::<RawSecret>::deserialize(SeqAccessDeserializer::new(seq)).map(RawKeyRing::Many)
            }

            fn visit_str<E: de::Error>(self, _: &str) -> Result<RawKeyRing, E> {
                Err(E::custom(
                    "a key is never written in the file: give `{ env: VARIABLE }` or `{ file: PATH }`",
                ))
            }
        }
        d.deserialize_any(RingVisitor)
    }
}
