//! Unit tests of `store::off_worker`.

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
