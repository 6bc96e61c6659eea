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
mod tests {
    use super::off_worker;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    #[test]
    fn runs_inline_outside_a_runtime() {
        assert_eq!(off_worker(|| 7), 7);
    }

    #[tokio::test]
    async fn runs_inline_on_a_current_thread_runtime() {
        // block_in_place would panic here.
        assert_eq!(off_worker(|| 8), 8);
    }

    /// On a one-worker multi-threaded runtime, a task that blocks in
    /// `off_worker` does not stop another task from running meanwhile.
    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn other_tasks_run_while_a_write_waits() {
        let ran = Arc::new(AtomicBool::new(false));
        let seen = ran.clone();
        let other = tokio::spawn(async move { seen.store(true, Ordering::SeqCst) });
        let waited_for_other = off_worker(|| {
            for _ in 0..200 {
                if ran.load(Ordering::SeqCst) {
                    return true;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            false
        });
        other.await.unwrap();
        assert!(waited_for_other, "the other task ran during the wait");
    }
}
