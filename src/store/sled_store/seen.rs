//! The sled side of the accounts seen per company (tree `seen`, key
//! `PersonKey::new(company, account)` bytes: the company length-prefixed,
//! so a prefix scan of `{len}:{company}/` holds that company's accounts
//! and no other's). Written at most once per account and day (the memo in
//! `rollout.rs`), never flushed on its own: it is a display aid.

use crate::domain::{PersonKey, SeenAccount};
use crate::store::StoreError;
use crate::store::layout::{seen_in, seen_prefix};
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
        self.seen.insert(key.as_str(), bytes).map_err(engine)?;
        Ok(())
    }

    pub(in crate::store) fn seen_of(
        &self,
        company: &str,
        since: i64,
    ) -> Result<Vec<SeenAccount>, StoreError> {
        let entries = self.seen.scan_prefix(seen_prefix(company));
        seen_in(entries.map(|e| e.map_err(engine)), since)
    }
}

// Tested by the store contract (store/contract_tests/), on sled and on
// PostgreSQL alike.
