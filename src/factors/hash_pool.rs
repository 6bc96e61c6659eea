//! The one door for Argon2id work in the process. One hash of a backup
//! code of a set written before v2 (see `backup_codes`) takes ~20 ms and
//! 19 MiB; unbounded, twenty hostile requests cost gigabytes. Every such
//! hash (checking an attempt against a v1 set; new sets are sealed, not
//! hashed, and need no pool) runs here: at most `concurrency` at once on
//! dedicated threads, at most `queue` more waiting, and beyond that the
//! caller gets [`Busy`] (the pages answer 503 with `Retry-After`). Callers
//! run the cheap checks (lock, CSRF, the attempt's form) before they come
//! here.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, LazyLock, Mutex};

/// Too much hashing already in flight: try again shortly.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("too many password hashes in flight")]
pub struct Busy;

type Job = Box<dyn FnOnce() + Send>;

/// A fixed set of worker threads fed by a bounded queue. Dedicated threads,
/// not tokio's blocking pool: glibc keeps a freed 19 MiB Argon2 block in
/// the arena of the thread that used it, so hashing spread over dozens of
/// blocking threads would keep hundreds of MiB resident after a burst.
pub struct HashPool {
    jobs: SyncSender<Job>,
}

/// Waiting hashes allowed per worker.
const QUEUE_PER_WORKER: usize = 16;

/// The process's pool: as many workers as cores.
static POOL: LazyLock<HashPool> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    HashPool::new(cores, cores * QUEUE_PER_WORKER)
});

/// Run `work` (Argon2id hashing) in the process's pool.
pub async fn run<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, Busy> {
    POOL.run(work).await
}

impl HashPool {
    /// `workers` threads; at most `queue` hashes waiting for one.
    pub fn new(workers: usize, queue: usize) -> HashPool {
        let (jobs, waiting) = sync_channel::<Job>(queue);
        let waiting = Arc::new(Mutex::new(waiting));
        for i in 0..workers.max(1) {
            let waiting = waiting.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("mfa-gate-hash-{i}"))
                .spawn(move || work_loop(&waiting));
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a hashing thread");
            }
        }
        HashPool { jobs }
    }

    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Busy> {
        let (done, result) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            // A panicking hash is reported as busy (the sender is dropped),
            // and the worker lives on.
            if let Ok(value) = catch_unwind(AssertUnwindSafe(work)) {
                let _ = done.send(value);
            }
        });
        match self.jobs.try_send(job) {
            Ok(()) => result.await.map_err(|_| Busy),
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => Err(Busy),
        }
    }
}

fn work_loop(waiting: &Mutex<Receiver<Job>>) {
    loop {
        let job = match waiting.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        match job {
            Ok(job) => job(),
            Err(_) => return,
        }
    }
}

#[cfg(test)]
mod tests;
