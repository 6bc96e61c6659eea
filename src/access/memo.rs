//! Per-process memos that save repeated work on the hot path and never
//! decide anything: which app sessions already used a remembered browser
//! ([`FirstUses`], audited once), and which accounts were already noted as
//! seen today ([`SeenMemo`], the rollout view's index). The running
//! [`super::gate::Gate`] holds one of each.

use crate::domain::{BrowserId, Identity};
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};

/// App sessions that already skipped the code on a remembered browser, so
/// that "used" is audited (and the last-used time written) once per new
/// app session, not on every request. Never consulted for a decision.
pub struct FirstUses {
    /// SipHash, keyed per process: an audit line is skipped only for the
    /// very session that already wrote it.
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
/// at most once per account and day. One per account seen, 100 000 and
/// more, so it is a fixed table rather than a cache of entries: sets of
/// `WAYS` slots, each an account's 31-bit tag and the day it was noted
/// (8 bytes a slot, 2 MiB for 200 000 sessions, where a cache entry took
/// about 50). An account whose slot was taken by others is noted again:
/// one more write, never a wrong decision (the notes are a display aid).
/// A day that does not fit a `u32` is never taken as noted.
pub struct SeenMemo {
    /// foldhash, seeded per process: the accounts come from the app, and a
    /// collision only ever costs or skips a display note (SipHash cost
    /// some 300 instructions of every whoami miss).
    hasher: foldhash::fast::RandomState,
    /// `tag << 32 | day`; 0 is an empty slot (a tag is never 0).
    slots: Box<[AtomicU64]>,
    /// Sets minus one (their number is a power of two).
    set_mask: usize,
}

/// Slots per set: an account is looked for in its set only.
const WAYS: usize = 4;

impl SeenMemo {
    /// Room for about `capacity` accounts (rounded up to whole sets).
    pub fn new(capacity: usize) -> SeenMemo {
        let sets = capacity.div_ceil(WAYS).max(1).next_power_of_two();
        SeenMemo {
            hasher: Default::default(),
            slots: (0..sets * WAYS).map(|_| AtomicU64::new(0)).collect(),
            set_mask: sets - 1,
        }
    }

    /// Whether `identity` still needs noting on `day` (and note that it
    /// is being noted). Two requests racing may both be told yes: the
    /// note is then written twice, as it may be after an eviction.
    pub(in crate::access) fn first_today(&self, identity: &Identity, day: i64) -> bool {
        let Ok(day) = u32::try_from(day) else {
            return true;
        };
        let hash = self
            .hasher
            .hash_one((identity.company(), identity.account()));
        let set = (hash as usize & self.set_mask) * WAYS;
        let tag = (hash >> 32) | 1;
        let noted = tag << 32 | u64::from(day);
        // This account's slot (an earlier day), else the slot noted
        // longest ago (an empty one holds day 0).
        let mut victim = (&self.slots[set], u32::MAX);
        for slot in &self.slots[set..set + WAYS] {
            let held = slot.load(Ordering::Relaxed);
            if held == noted {
                return false;
            }
            if held >> 32 == tag {
                victim = (slot, 0);
                break;
            }
            if (held as u32) < victim.1 {
                victim = (slot, held as u32);
            }
        }
        victim.0.store(noted, Ordering::Relaxed);
        true
    }
}

#[cfg(test)]
mod tests;
