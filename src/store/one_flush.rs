//! One flush for several writes (`Store::with_one_flush`): a request that
//! writes a person's record, its audit events and an account link answers
//! only once all of them are durable, and one flush makes them so. On sled
//! every write's own flush is held back while the writes run, then one
//! flush (shared with concurrent writers through `group_commit.rs`) covers
//! them all. Held back per thread: the writes run synchronously, start to
//! end, on the caller's thread, so no other request's write is ever held
//! back by this one.
//!
//! Until the one flush, the writes are visible but not yet durable, as
//! any sled write is between its insert and its flush. What must not
//! happen before they are durable waits for the flush (`after_flush`):
//! waking the notification sender, so that no mail tells of a change a
//! crash could still lose.

use std::cell::{Cell, RefCell};

thread_local! {
    /// The store (by address) whose flushes are held back on this thread;
    /// 0 when none.
    static HELD: Cell<usize> = const { Cell::new(0) };
    /// What waits for the outermost hold's flush (`after_flush`).
    static WAITING: RefCell<Vec<fn()>> = const { RefCell::new(Vec::new()) };
}

/// Run `f` now; or, while this thread's writes have their flushes held,
/// once their one flush has succeeded (never, if it fails or a write
/// panics).
pub fn after_flush(f: fn()) {
    if HELD.get() == 0 {
        f();
    } else {
        WAITING.with_borrow_mut(|waiting| waiting.push(f));
    }
}

/// A hold on the flushes of the store at `store` on this thread, released
/// when dropped (also when the writes panic: a hold left behind would
/// silently skip later flushes).
pub struct Hold {
    previous: usize,
}

impl Hold {
    pub fn new(store: usize) -> Hold {
        Hold {
            previous: HELD.replace(store),
        }
    }

    /// What waits for the flush, when this is the outermost hold (an inner
    /// one leaves it to the outer).
    pub fn take_waiting(&self) -> Vec<fn()> {
        match self.previous {
            0 => WAITING.take(),
            _ => Vec::new(),
        }
    }
}

impl Drop for Hold {
    fn drop(&mut self) {
        HELD.set(self.previous);
        if self.previous == 0 {
            // Left by writes that panicked: dropped with their flush.
            WAITING.take();
        }
    }
}

/// Whether the flushes of the store at `store` are held on this thread.
pub fn held(store: usize) -> bool {
    HELD.get() == store
}

#[cfg(test)]
mod tests;
