//! Group commit: many writers, few flushes, every writer durable before it
//! goes on.
//!
//! sled's `flush` writes out whatever was written before it was called. A
//! writer that calls it while another flush is running would start a disk
//! write of its own right away; under concurrency that is one write and one
//! wait per accepted code. Here the first writer to ask becomes the leader
//! and flushes; writers that ask meanwhile wait, and when that flush ends
//! the next leader flushes once for all of them. A writer returns only
//! after a flush that *began after it asked* has succeeded, which is what
//! "durable before the response" needs; a failed flush fails every writer
//! it was meant to cover.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Condvar, Mutex, MutexGuard};

/// Tickets: a writer takes the next one when it asks for a flush; a flush
/// covers every ticket taken before it began.
#[derive(Default)]
struct Tickets {
    taken: u64,
    /// Every ticket up to here was covered by a successful flush.
    durable: u64,
    /// Every ticket up to here was covered by a flush that ended (made
    /// durable or failed).
    ended: u64,
    /// The error of the last failed flush.
    failure: Option<String>,
    flushing: bool,
}

#[derive(Default)]
pub struct GroupCommit {
    tickets: Mutex<Tickets>,
    flushed: Condvar,
}

impl GroupCommit {
    /// Return once everything written before this call is durable, running
    /// `flush` (which makes everything written before it began durable)
    /// only as often as needed; or the error of the flush that should have
    /// covered this call.
    pub fn flush<E>(&self, flush: impl Fn() -> Result<(), E>) -> Result<(), String>
    where
        E: std::fmt::Display,
    {
        let mut t = self.lock();
        t.taken += 1;
        let ticket = t.taken;
        loop {
            if ticket <= t.durable {
                return Ok(());
            }
            if ticket <= t.ended {
                return Err(t.failure.clone().unwrap_or_default());
            }
            if t.flushing {
                t = self.flushed.wait(t).unwrap_or_else(|e| e.into_inner());
                continue;
            }
            // Lead: one flush for every ticket taken so far.
            t.flushing = true;
            let covers = t.taken;
            drop(t);
            // A panicking flush must not leave `flushing` set: every later
            // writer would wait for ever. It fails the writers it covered.
            let result = catch_unwind(AssertUnwindSafe(|| flush().map_err(|e| e.to_string())))
                .unwrap_or_else(|_| Err("the store's flush panicked".to_owned()));
            t = self.lock();
            t.flushing = false;
            t.ended = covers;
            match result {
                Ok(()) => t.durable = covers,
                Err(e) => t.failure = Some(e),
            }
            self.flushed.notify_all();
        }
    }

    fn lock(&self) -> MutexGuard<'_, Tickets> {
        // Nothing panics while the lock is held (the flush runs unlocked
        // and its panic is caught); the counters stay consistent either way.
        self.tickets.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests;
