//! Unit tests of `store::group_commit`.

use super::GroupCommit;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Duration;

/// A fake engine: writes bump `written`; a flush (slow) makes what was
/// written before it began durable.
#[derive(Default)]
struct Engine {
    written: AtomicU64,
    durable: AtomicU64,
    flushes: AtomicU64,
    fail: AtomicBool,
}

impl Engine {
    fn flush(&self) -> Result<(), String> {
        let upto = self.written.load(Ordering::SeqCst);
        self.flushes.fetch_add(1, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(20));
        if self.fail.load(Ordering::SeqCst) {
            return Err("disk full".into());
        }
        self.durable.fetch_max(upto, Ordering::SeqCst);
        Ok(())
    }
}

#[test]
fn a_lone_writer_flushes_once_and_is_durable() {
    let engine = Engine::default();
    let commit = GroupCommit::default();
    engine.written.store(1, Ordering::SeqCst);
    commit.flush(|| engine.flush()).unwrap();
    assert_eq!(engine.durable.load(Ordering::SeqCst), 1);
    assert_eq!(engine.flushes.load(Ordering::SeqCst), 1);
}

/// 16 writers at once: each one's write is durable when its flush call
/// returns, and they shared far fewer than 16 flushes.
#[test]
fn concurrent_writers_share_flushes_and_each_is_durable_on_return() {
    let engine = Arc::new(Engine::default());
    let commit = Arc::new(GroupCommit::default());
    let start = Arc::new(Barrier::new(16));
    let writers: Vec<_> = (0..16)
        .map(|_| {
            let (engine, commit, start) = (engine.clone(), commit.clone(), start.clone());
            std::thread::spawn(move || {
                start.wait();
                let mine = engine.written.fetch_add(1, Ordering::SeqCst) + 1;
                commit.flush(|| engine.flush()).unwrap();
                engine.durable.load(Ordering::SeqCst) >= mine
            })
        })
        .collect();
    for w in writers {
        assert!(
            w.join().unwrap(),
            "a writer returned before its write was durable"
        );
    }
    let flushes = engine.flushes.load(Ordering::SeqCst);
    assert!(
        (1..=4).contains(&flushes),
        "{flushes} flushes for 16 writers"
    );
}

#[test]
fn a_panicking_flush_is_an_error_and_the_next_writer_still_flushes() {
    let commit = GroupCommit::default();
    let panicked = commit.flush(|| -> Result<(), String> { panic!("engine bug") });
    assert_eq!(panicked, Err("the store's flush panicked".into()));
    assert_eq!(commit.flush(|| Ok::<(), String>(())), Ok(()));
}

#[test]
fn a_failed_flush_fails_the_writers_it_covered_and_the_next_one_retries() {
    let engine = Engine::default();
    let commit = GroupCommit::default();
    engine.fail.store(true, Ordering::SeqCst);
    engine.written.store(1, Ordering::SeqCst);
    assert_eq!(commit.flush(|| engine.flush()), Err("disk full".into()));
    engine.fail.store(false, Ordering::SeqCst);
    engine.written.store(2, Ordering::SeqCst);
    commit.flush(|| engine.flush()).unwrap();
    assert_eq!(engine.durable.load(Ordering::SeqCst), 2);
    assert_eq!(engine.flushes.load(Ordering::SeqCst), 2);
}
