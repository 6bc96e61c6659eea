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

use crate::domain::{BrowserId, PersonKey, RememberDays, RememberedBrowser};
use crate::store::StoreError;
use crate::store::layout::{browser_key, browsers_in, person_prefix};
use crate::store::records;
use crate::store::sled_store::{SledStore, engine};

impl SledStore {
    pub(in crate::store) fn remember_setting(
        &self,
        company: &str,
    ) -> Result<Option<RememberDays>, StoreError> {
        self.remember
            .get(company)
            .map_err(engine)?
            .map(|bytes| records::decode_remember_days(&bytes))
            .transpose()
    }

    pub(in crate::store) fn set_remember_setting(
        &self,
        company: &str,
        days: RememberDays,
    ) -> Result<(), StoreError> {
        let bytes = records::encode_remember_days(days)?;
        self.remember.insert(company, bytes).map_err(engine)?;
        self.flush_db()
    }

    pub(in crate::store) fn browser(
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

    pub(in crate::store) fn browsers_of(
        &self,
        key: &PersonKey,
    ) -> Result<Vec<(BrowserId, RememberedBrowser)>, StoreError> {
        let prefix = person_prefix(key);
        let entries = self.browsers.scan_prefix(&prefix);
        browsers_in(&prefix, entries.map(|e| e.map_err(engine)))
    }

    pub(in crate::store) fn put_browser(
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

    pub(in crate::store) fn touch_browser(
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

    pub(in crate::store) fn forget(
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

// Tested by the store contract (store/contract_tests/), on sled and on
// PostgreSQL alike.
