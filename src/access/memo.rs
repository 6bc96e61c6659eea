//! Per-process memos that save repeated work on the hot path and never
//! decide anything: which app sessions already used a remembered browser
//! ([`FirstUses`], audited once), and which accounts were already noted as
//! seen today ([`SeenMemo`], the rollout view's index). The running
//! [`super::gate::Gate`] holds one of each.

use crate::domain::{BrowserId, Identity};
use std::hash::BuildHasher;

/// App sessions that already skipped the code on a remembered browser, so
/// that "used" is audited (and the last-used time written) once per new
/// app session, not on every request. Never consulted for a decision.
pub struct FirstUses {
    hasher: std::collections::hash_map::RandomState,
    seen: quick_cache::sync::Cache<u64, BrowserId>,
}

impl FirstUses {
    pub fn new(capacity: usize) -> FirstUses {
        FirstUses {
            hasher: Default::default(),
            seen: quick_cache::sync::Cache::new(capacity.max(1)),
        }
    }

    /// Whether this is the first use of `id` by the app session
    /// `session_value` (and note it).
    pub(in crate::access) fn first(&self, session_value: &str, id: BrowserId) -> bool {
        let key = self.hasher.hash_one(session_value);
        if self.seen.get(&key) == Some(id) {
            return false;
        }
        self.seen.insert(key, id);
        true
    }
}

/// Accounts already noted today (by day number), so the store is written
/// at most once per account and day. The day is kept as a `u32` (a cache
/// entry of 32 bytes instead of 40: one per account seen, 100 000 and
/// more); a day that does not fit is never taken as noted.
pub struct SeenMemo {
    hasher: std::collections::hash_map::RandomState,
    days: quick_cache::sync::Cache<u64, u32>,
}

impl SeenMemo {
    pub fn new(capacity: usize) -> SeenMemo {
        SeenMemo {
            hasher: Default::default(),
            days: quick_cache::sync::Cache::new(capacity.max(1)),
        }
    }

    /// Whether `identity` still needs noting on `day` (and note that it
    /// is being noted).
    pub(in crate::access) fn first_today(&self, identity: &Identity, day: i64) -> bool {
        let key = self
            .hasher
            .hash_one((identity.company(), identity.account()));
        let Ok(day) = u32::try_from(day) else {
            return true;
        };
        if self.days.get(&key) == Some(day) {
            return false;
        }
        self.days.insert(key, day);
        true
    }
}

#[cfg(test)]
mod tests;
