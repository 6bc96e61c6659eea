//! Unit tests of `factors::hash_pool`.

use super::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

#[tokio::test]
async fn runs_at_most_the_concurrency_and_refuses_beyond_the_queue() {
    let pool = Arc::new(HashPool::new(2, 3));
    let now = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (pool, now, peak) = (pool.clone(), now.clone(), peak.clone());
        tasks.push(tokio::spawn(async move {
            pool.run(move || {
                let n = now.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(n, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(50));
                now.fetch_sub(1, Ordering::SeqCst);
            })
            .await
        }));
    }
    let mut done = 0;
    for t in tasks {
        done += usize::from(t.await.unwrap().is_ok());
    }
    // At most the two running and the three waiting were taken.
    assert!((3..=5).contains(&done), "{done} done");
    assert!(peak.load(Ordering::SeqCst) <= 2);
    // The queue is free again.
    assert_eq!(pool.run(|| 7).await, Ok(7));
}
