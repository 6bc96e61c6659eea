//! The `secrets` section: a key directory (`dir`: `hmac.key` and
//! `encryption.key`, as `mfa-gate keys generate --dir` writes them), or two
//! key rings (one key, or a list whose first key is in use and whose
//! others are being retired), each key read like any secret from an
//! environment variable or a file. Refused: an empty ring,
//! more than `keys::MAX_RING` keys, a key twice, and one key in both rings.

use super::super::Secrets;
use super::super::raw::RawSecrets;
use super::super::raw::key_ring::RawKeyRing;
use super::checks::decode_key;
use super::{ConfigError, Doc, read_key_file, resolve};
use crate::keys::{ENCRYPTION_FILE, HMAC_FILE, MAX_RING};
use std::path::Path;

/// One key ring, first in use.
type Ring = Vec<[u8; 32]>;

impl Doc<'_> {
    pub(super) fn secrets(
        &self,
        raw: &RawSecrets,
        base: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Secrets, ConfigError> {
        let (hmac, encryption) = match (&raw.dir, &raw.hmac_key, &raw.encryption_key) {
            (Some(dir), None, None) => self.key_dir(dir, base)?,
            (None, Some(hmac), Some(encryption)) => (
                self.key_ring("secrets.hmac_key", hmac, base, env)?,
                self.key_ring("secrets.encryption_key", encryption, base, env)?,
            ),
            (Some(_), _, _) => {
                return Err(self.error(
                    "secrets.dir",
                    "give either `dir` or `hmac_key` and `encryption_key`, not both",
                ));
            }
            (None, hmac, _) => {
                let missing = if hmac.is_none() {
                    "hmac_key"
                } else {
                    "encryption_key"
                };
                return Err(self.error(
                    "secrets",
                    format!("missing field `{missing}` (or give `dir: PATH`, a directory holding {HMAC_FILE} and {ENCRYPTION_FILE}, as `mfa-gate keys generate --dir PATH` writes them)"),
                ));
            }
        };
        if hmac.iter().any(|h| encryption.contains(h)) {
            return Err(self.error(
                "secrets.encryption_key",
                "must differ from secrets.hmac_key (one key, one purpose)",
            ));
        }
        let (Some((&hmac_key, older_hmac)), Some((&encryption_key, older_encryption))) =
            (hmac.split_first(), encryption.split_first())
        else {
            // `key_ring` never returns an empty ring.
            return Err(self.error("secrets", "a key ring is empty"));
        };
        Ok(Secrets {
            hmac_key,
            encryption_key,
            older_hmac_keys: older_hmac.to_vec(),
            older_encryption_keys: older_encryption.to_vec(),
        })
    }

    /// `secrets.dir`: the two keys, one file each, named by
    /// [`HMAC_FILE`] and [`ENCRYPTION_FILE`]; each error names the file.
    fn key_dir(&self, dir: &Path, base: &Path) -> Result<(Ring, Ring), ConfigError> {
        let dir = resolve(base, dir);
        let key = |name: &str| -> Result<[u8; 32], ConfigError> {
            let path = dir.join(name);
            let text = read_key_file(&path).map_err(|e| {
                self.error(
                    "secrets.dir",
                    format!("cannot read {}: {e}", path.display()),
                )
            })?;
            decode_key(&text)
                .map_err(|m| self.error("secrets.dir", format!("file {} {m}", path.display())))
        };
        Ok((vec![key(HMAC_FILE)?], vec![key(ENCRYPTION_FILE)?]))
    }

    fn key_ring(
        &self,
        field: &str,
        raw: &RawKeyRing,
        base: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Vec<[u8; 32]>, ConfigError> {
        let sources = match raw {
            RawKeyRing::One(one) => {
                return Ok(vec![self.secret_with(field, one, base, env, decode_key)?]);
            }
            RawKeyRing::Many(list) => list,
        };
        if sources.is_empty() {
            return Err(self.error(field, "the list of keys is empty (give at least one key)"));
        }
        if sources.len() > MAX_RING {
            return Err(self.error(
                field,
                format!(
                    "{} keys; at most {MAX_RING} (the first in use, the others being retired)",
                    sources.len()
                ),
            ));
        }
        let mut keys: Vec<[u8; 32]> = Vec::with_capacity(sources.len());
        for (i, source) in sources.iter().enumerate() {
            let item = format!("{field}[{i}]");
            let key = self.secret_with(&item, source, base, env, decode_key)?;
            if let Some(first) = keys.iter().position(|k| *k == key) {
                return Err(self.error(&item, format!("is the same key as {field}[{first}]")));
            }
            keys.push(key);
        }
        Ok(keys)
    }
}

#[cfg(test)]
mod tests;
