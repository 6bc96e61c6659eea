//! The sled store's accounts seen per company. Notes are written to the
//! day files of `seen_log.rs`, out of sled; the tree `seen` (key
//! `PersonKey::new(company, account)` bytes: the company length-prefixed,
//! so a prefix scan of `{len}:{company}/` holds that company's accounts
//! and no other's) holds the notes of stores written before, and is only
//! read now: each key's latest note of the two counts. Written at most once
//! per account and day (the memo in `rollout.rs`): a display aid.

use super::seen_log::{Latest, keep_latest};
use crate::domain::{PersonKey, SeenAccount};
use crate::store::StoreError;
use crate::store::layout::seen_prefix;
use crate::store::records;
use crate::store::sled_store::{SledStore, engine};

impl SledStore {
    pub(in crate::store) fn put_seen(
        &self,
        company: &str,
        seen: &SeenAccount,
    ) -> Result<(), StoreError> {
        let key = PersonKey::new(company, &seen.account);
        let bytes = records::encode_seen(seen)?;
        self.seen_log
            .note(key.as_str().as_bytes(), &bytes, seen.last_seen)
    }

    pub(in crate::store) fn seen_of(
        &self,
        company: &str,
        since: i64,
    ) -> Result<Vec<SeenAccount>, StoreError> {
        let latest = self.latest_seen(&seen_prefix(company), since)?;
        Ok(latest
            .into_values()
            .map(|(seen, _)| seen)
            .filter(|seen| seen.last_seen >= since)
            .collect())
    }

    /// Each key's latest note under `prefix`, of the day files from
    /// `since`'s day and of the tree `seen`, in key order.
    pub(in crate::store) fn latest_seen(
        &self,
        prefix: &[u8],
        since: i64,
    ) -> Result<Latest, StoreError> {
        let mut latest = Latest::new();
        for entry in self.seen.scan_prefix(prefix) {
            let (key, value) = entry.map_err(engine)?;
            keep_latest(&mut latest, key.to_vec(), value.to_vec())?;
        }
        for (key, (seen, value)) in self.seen_log.latest(prefix, since)? {
            let later = latest
                .get(&key)
                .is_none_or(|(kept, _)| seen.last_seen >= kept.last_seen);
            if later {
                latest.insert(key, (seen, value));
            }
        }
        Ok(latest)
    }
}

// Tested by the store contract (store/contract_tests/), on sled and on
// PostgreSQL alike, and in `seen_log/tests.rs`.
