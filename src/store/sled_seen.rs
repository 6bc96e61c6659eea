//! The sled side of the accounts seen per company (tree `seen`, key
//! `PersonKey::new(company, account)` bytes: the company length-prefixed,
//! so a prefix scan of `{len}:{company}/` holds that company's accounts
//! and no other's). Written at most once per account and day (the memo in
//! `rollout.rs`), never flushed on its own: it is a display aid.

use super::layout::seen_prefix;
use super::records;
use super::sled_store::{SledStore, engine};
use crate::domain::{PersonKey, SeenAccount};
use crate::store::StoreError;

impl SledStore {
    pub(super) fn put_seen(&self, company: &str, seen: &SeenAccount) -> Result<(), StoreError> {
        let key = PersonKey::new(company, &seen.account);
        let bytes = records::encode_seen(seen)?;
        self.seen.insert(key.as_str(), bytes).map_err(engine)?;
        Ok(())
    }

    pub(super) fn seen_of(
        &self,
        company: &str,
        since: i64,
    ) -> Result<Vec<SeenAccount>, StoreError> {
        let mut out = Vec::new();
        for entry in self.seen.scan_prefix(seen_prefix(company)) {
            let (_, bytes) = entry.map_err(engine)?;
            let seen = records::decode_seen(&bytes)?;
            if seen.last_seen >= since {
                out.push(seen);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::{AccountClass, SeenAccount};
    use crate::store::{SledStore, Store};

    fn seen(account: &str, last_seen: i64) -> SeenAccount {
        SeenAccount {
            account: account.into(),
            class: AccountClass::Employee,
            person: account.into(),
            last_seen,
            email: None,
            manages_policy: false,
        }
    }

    #[test]
    fn each_company_sees_only_its_own_recent_accounts() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        store.note_seen("acme", &seen("a@acme", 100)).unwrap();
        store.note_seen("acme", &seen("old@acme", 10)).unwrap();
        // "acme2" starts with "acme": the length prefix keeps them apart.
        store.note_seen("acme2", &seen("b@acme2", 100)).unwrap();
        store.note_seen("acm", &seen("e/x", 100)).unwrap();
        let names = |company: &str| -> Vec<String> {
            store
                .seen_accounts(company, 50)
                .unwrap()
                .into_iter()
                .map(|s| s.account)
                .collect()
        };
        assert_eq!(names("acme"), ["a@acme"]);
        assert_eq!(names("acme2"), ["b@acme2"]);
        assert_eq!(names("acm"), ["e/x"]);
        // Seen again later: one entry, the newer time.
        store.note_seen("acme", &seen("old@acme", 200)).unwrap();
        assert_eq!(names("acme"), ["a@acme", "old@acme"]);
    }
}
