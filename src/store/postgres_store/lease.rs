//! How fresh this replica's word about the database is (issue 31 §2): the
//! listener proves every `max_staleness / 4` that its connection delivers
//! (a heartbeat with its own timeout, or a fresh `LISTEN`), and each proof
//! renews the lease until the proof's start plus `max_staleness`. While
//! the lease holds, the cache is on and calls go ahead; once it lapses
//! (a dead, frozen or blackholed connection, a stopped database) the cache
//! is off and every call fails closed at once, without waiting on a
//! connection that may never answer, until the listener proves itself
//! again. So no replica serves state older than `max_staleness` and no
//! request waits on a database that is known to be gone.
//!
//! Enforced only where a listener runs (`serve`); a CLI's store has none
//! and is never refused for it.

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Duration;

pub struct Lease {
    /// Unix milliseconds until which the database counts as proven.
    until_ms: AtomicI64,
    max_staleness_ms: i64,
    enforced: AtomicBool,
}

impl Lease {
    pub fn new(max_staleness: Duration) -> Lease {
        Lease {
            until_ms: AtomicI64::new(0),
            max_staleness_ms: i64::try_from(max_staleness.as_millis()).unwrap_or(i64::MAX),
            enforced: AtomicBool::new(false),
        }
    }

    /// From now on, calls need the lease (a listener keeps it).
    pub fn enforce(&self) {
        self.enforced.store(true, Ordering::SeqCst);
    }

    /// Whether a listener keeps the lease.
    pub fn enforced(&self) -> bool {
        self.enforced.load(Ordering::SeqCst)
    }

    /// The database answered a proof started at `started_ms`.
    pub fn renew(&self, started_ms: i64) {
        let until = started_ms.saturating_add(self.max_staleness_ms);
        self.until_ms.fetch_max(until, Ordering::SeqCst);
    }

    /// The proof failed: the lease ends now, not when it would run out.
    pub fn end(&self) {
        self.until_ms.store(0, Ordering::SeqCst);
    }

    /// Whether calls may go ahead at `now_ms`.
    pub fn holds_at(&self, now_ms: i64) -> bool {
        !self.enforced.load(Ordering::SeqCst) || now_ms < self.until_ms.load(Ordering::SeqCst)
    }

    pub fn holds(&self) -> bool {
        self.holds_at(crate::clock::unix_now_ms())
    }

    /// How often the listener proves itself: four proofs a lease.
    pub fn heartbeat(&self) -> Duration {
        Duration::from_millis(
            u64::try_from(self.max_staleness_ms / 4)
                .unwrap_or(0)
                .max(50),
        )
    }
}

#[cfg(test)]
mod tests;
