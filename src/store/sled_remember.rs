//! The sled side of remembered browsers (`SledStore`'s trait methods call
//! these). Two trees:
//!
//! | tree       | key                                              | value (`records/browsers.rs`) |
//! |------------|--------------------------------------------------|-------------------------------|
//! | `browsers` | `PersonKey::as_str` bytes `++ 0x00 ++` 32-byte id | remembered browser            |
//! | `remember` | company name bytes                               | company's remember setting    |
//!
//! A browser is found only under the person it was remembered for: the
//! look-up key is built from the asking session's person, so a cookie
//! replayed by another person's session finds nothing. The id has a fixed
//! length, so two keys of different persons can never be equal, and a
//! prefix scan keeps only keys exactly 33 bytes longer than the person's
//! (like the audit trail's scan).

use super::layout::{browser_key, person_prefix};
use super::records;
use super::sled_store::{SledStore, engine};
use crate::domain::{BrowserId, PersonKey, RememberDays, RememberedBrowser};
use crate::store::StoreError;

impl SledStore {
    pub(super) fn remember_setting(
        &self,
        company: &str,
    ) -> Result<Option<RememberDays>, StoreError> {
        self.remember
            .get(company)
            .map_err(engine)?
            .map(|bytes| records::decode_remember_days(&bytes))
            .transpose()
    }

    pub(super) fn set_remember_setting(
        &self,
        company: &str,
        days: RememberDays,
    ) -> Result<(), StoreError> {
        let bytes = records::encode_remember_days(days)?;
        self.remember.insert(company, bytes).map_err(engine)?;
        self.flush_db()
    }

    pub(super) fn browser(
        &self,
        key: &PersonKey,
        id: &BrowserId,
    ) -> Result<Option<RememberedBrowser>, StoreError> {
        self.browsers
            .get(browser_key(key, &id.0))
            .map_err(engine)?
            .map(|bytes| records::decode_browser(&bytes))
            .transpose()
    }

    pub(super) fn browsers_of(
        &self,
        key: &PersonKey,
    ) -> Result<Vec<(BrowserId, RememberedBrowser)>, StoreError> {
        let prefix = person_prefix(key);
        let mut out = Vec::new();
        for entry in self.browsers.scan_prefix(&prefix) {
            let (k, bytes) = entry.map_err(engine)?;
            let Ok(id) = <[u8; 32]>::try_from(&k[prefix.len()..]) else {
                continue; // another person's key, extending ours past a 0x00
            };
            out.push((BrowserId(id), records::decode_browser(&bytes)?));
        }
        out.sort_by_key(|(_, b)| b.created_at);
        Ok(out)
    }

    pub(super) fn put_browser(
        &self,
        key: &PersonKey,
        id: &BrowserId,
        browser: &RememberedBrowser,
    ) -> Result<(), StoreError> {
        let bytes = records::encode_browser(browser)?;
        self.browsers
            .insert(browser_key(key, &id.0), bytes)
            .map_err(engine)?;
        self.flush_db()
    }

    pub(super) fn touch_browser(
        &self,
        key: &PersonKey,
        id: &BrowserId,
        now: i64,
    ) -> Result<(), StoreError> {
        let k = browser_key(key, &id.0);
        loop {
            let Some(current) = self.browsers.get(&k).map_err(engine)? else {
                return Ok(());
            };
            let mut browser = records::decode_browser(&current)?;
            browser.last_used_at = now;
            let next = records::encode_browser(&browser)?;
            // Only over the very value read: a forget in between wins.
            match self
                .browsers
                .compare_and_swap(&k, Some(current), Some(next))
                .map_err(engine)?
            {
                Ok(()) => return Ok(()),
                Err(_) => continue,
            }
        }
    }

    pub(super) fn forget(
        &self,
        key: &PersonKey,
        id: Option<&BrowserId>,
    ) -> Result<usize, StoreError> {
        let ids: Vec<BrowserId> = match id {
            Some(id) => vec![*id],
            None => self
                .browsers_of(key)?
                .into_iter()
                .map(|(id, _)| id)
                .collect(),
        };
        let mut gone = 0;
        for id in ids {
            if self
                .browsers
                .remove(browser_key(key, &id.0))
                .map_err(engine)?
                .is_some()
            {
                gone += 1;
            }
        }
        if gone > 0 {
            self.flush_db()?;
        }
        Ok(gone)
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::{BrowserId, PersonKey, RememberDays, RememberedBrowser};
    use crate::store::{SledStore, Store};

    fn browser(created_at: i64) -> RememberedBrowser {
        RememberedBrowser {
            enrollment_id: 1,
            account: "bob".into(),
            created_at,
            last_used_at: created_at,
            label: "Firefox on Linux".into(),
        }
    }

    #[test]
    fn browsers_belong_to_their_person_only() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        let bob = PersonKey::new("acme", "bob");
        // A person whose key extends bob's past a 0x00.
        let sneaky = PersonKey::new("acme", "bob\0x");
        let (a, b) = (BrowserId([1; 32]), BrowserId([2; 32]));
        store.remember_browser(&bob, &a, &browser(20)).unwrap();
        store.remember_browser(&bob, &b, &browser(10)).unwrap();
        store.remember_browser(&sneaky, &a, &browser(5)).unwrap();
        assert_eq!(
            store.remembered_browser(&bob, &a).unwrap(),
            Some(browser(20))
        );
        let other = PersonKey::new("acme", "alice");
        assert_eq!(store.remembered_browser(&other, &a).unwrap(), None);
        let listed: Vec<BrowserId> = store
            .remembered_browsers(&bob)
            .unwrap()
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        assert_eq!(listed, [b, a], "oldest first, only bob's");

        store.touch_remembered_browser(&bob, &a, 99).unwrap();
        assert_eq!(
            store
                .remembered_browser(&bob, &a)
                .unwrap()
                .unwrap()
                .last_used_at,
            99
        );
        assert_eq!(store.forget_browsers(&bob, Some(&a)).unwrap(), 1);
        // Touching a forgotten browser never brings it back.
        store.touch_remembered_browser(&bob, &a, 100).unwrap();
        assert_eq!(store.remembered_browser(&bob, &a).unwrap(), None);
        assert_eq!(store.forget_browsers(&bob, None).unwrap(), 1);
        assert!(store.remembered_browsers(&bob).unwrap().is_empty());
        assert_eq!(store.remembered_browsers(&sneaky).unwrap().len(), 1);
    }

    #[test]
    fn remember_setting_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        assert_eq!(store.company_remember("acme").unwrap(), None);
        let seven = RememberDays::parse("7").unwrap();
        store.set_company_remember("acme", seven).unwrap();
        assert_eq!(store.company_remember("acme").unwrap(), Some(seven));
        assert_eq!(store.company_remember("globex").unwrap(), None);
    }
}
