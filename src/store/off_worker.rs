//! Store writes wait for the disk (a flush before they return); on a
//! pingora worker thread that wait would stall every other request the
//! thread serves. `off_worker` runs such a write where waiting is allowed:
//! on a multi-threaded tokio runtime (pingora's) through `block_in_place`,
//! which hands the worker's other tasks to a fresh worker for the duration;
//! anywhere else (a CLI, a test's single-threaded runtime, a plain thread)
//! inline. Writes of different requests then wait side by side, and sled
//! makes every write that arrived while one flush was running durable with
//! the next single flush: a group commit, with each write still durable
//! before its caller goes on.

use tokio::runtime::{Handle, RuntimeFlavor};

/// Run `write` (which may block on the disk) without holding up a runtime
/// worker's other tasks.
pub fn off_worker<T>(write: impl FnOnce() -> T) -> T {
    let multi_threaded = Handle::try_current()
        .map(|h| h.runtime_flavor() == RuntimeFlavor::MultiThread)
        .unwrap_or(false);
    if multi_threaded {
        tokio::task::block_in_place(write)
    } else {
        write()
    }
}

#[cfg(test)]
mod tests;
