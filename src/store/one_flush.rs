//! One flush for several writes (`Store::with_one_flush`): a request that
//! writes a person's record, its audit events and an account link answers
//! only once all of them are durable, and one flush makes them so. On sled
//! every write's own flush is held back while the writes run, then one
//! flush (shared with concurrent writers through `group_commit.rs`) covers
//! them all. Held back per thread: the writes run synchronously, start to
//! end, on the caller's thread, so no other request's write is ever held
//! back by this one.

use std::cell::Cell;

thread_local! {
    /// The store (by address) whose flushes are held back on this thread;
    /// 0 when none.
    static HELD: Cell<usize> = const { Cell::new(0) };
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

    /// Whether this hold is nested in another on the same store, whose end
    /// will flush.
    pub fn nested_in_same(&self, store: usize) -> bool {
        self.previous == store
    }
}

impl Drop for Hold {
    fn drop(&mut self) {
        HELD.set(self.previous);
    }
}

/// Whether the flushes of the store at `store` are held on this thread.
pub fn held(store: usize) -> bool {
    HELD.get() == store
}
