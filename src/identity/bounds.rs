//! Bounds on the load that whoami look-ups put on the app (issue 20.6).
//! Every new session cookie value is a cache miss, and a miss is an HTTP
//! call to the app: without bounds an anonymous client could make the
//! gateway hammer the app with random cookies. Three bounds, all here:
//!
//! - `InFlight`: one call per session at a time. Concurrent misses for the
//!   same session value wait for the one call already made and share its
//!   answer. Forgetting a session detaches its call, so an answer that was
//!   asked before a login is never cached after it.
//! - `ClientBudget`: a token bucket per client address (IPv6 per /64, the
//!   smallest block one host is commonly given), in a bounded cache. A miss
//!   that would start a call takes a token; without one the request gets
//!   429. Joining a call already in flight is free.
//! - a global semaphore in `whoami.rs` limits the calls in flight at once.

use super::{IdentityError, Lookup};
use crate::keys::BySlot;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

/// What a call answers; shared by every request that waited for it.
pub(super) type Answer = Result<Lookup, IdentityError>;

/// One whoami call, maybe still running.
pub(super) type Call = Arc<tokio::sync::OnceCell<Answer>>;

/// Calls in flight, keyed like the identity cache (a keyed hash of the
/// session value, never the value), so hashed by the key's own words
/// (`keys::BySlot`).
#[derive(Default)]
pub(super) struct InFlight {
    calls: Mutex<HashMap<u128, Call, BySlot>>,
}

impl InFlight {
    fn calls(&self) -> MutexGuard<'_, HashMap<u128, Call, BySlot>> {
        // A panic while holding the lock cannot leave the map inconsistent
        // (every operation is one insert or remove): keep using it.
        self.calls.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The call in flight for `key`, if any.
    pub fn join(&self, key: u128) -> Option<Call> {
        self.calls().get(&key).cloned()
    }

    /// The call for `key`: the one in flight if another request started it
    /// meanwhile, else a new one.
    pub fn start(&self, key: u128) -> Call {
        self.calls().entry(key).or_default().clone()
    }

    /// `call` is over (answered, or abandoned). Runs `keep` under the lock
    /// if `call` was still the session's current call, i.e. the session
    /// was not forgotten while it ran: `keep` caches the answer, and
    /// `forget` cannot slip in between the check and the caching.
    pub fn finish(&self, key: u128, call: &Call, keep: impl FnOnce()) {
        let mut calls = self.calls();
        if calls.get(&key).is_some_and(|c| Arc::ptr_eq(c, call)) {
            calls.remove(&key);
            keep();
        }
    }

    /// Detach the session's call (its answer will not be cached) and run
    /// `also` (removing the cached answer) under the same lock.
    pub fn forget(&self, key: u128, also: impl FnOnce()) {
        let mut calls = self.calls();
        calls.remove(&key);
        also();
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.calls().len()
    }
}

/// Ends a call's entry even when the request that ran it was dropped
/// mid-call (a client gone): nothing is left behind in the map.
pub(super) struct Finish<'a> {
    pub in_flight: &'a InFlight,
    pub key: u128,
    pub call: &'a Call,
}

impl Drop for Finish<'_> {
    fn drop(&mut self) {
        // Already removed when the call answered: then this is a no-op.
        self.in_flight.finish(self.key, self.call, || {});
    }
}

/// Token buckets of whoami calls per client address.
pub(super) struct ClientBudget {
    /// Tokens added per second.
    rate: f64,
    /// Most tokens a bucket holds (a new address starts full).
    burst: f64,
    buckets: Mutex<quick_cache::unsync::Cache<IpAddr, Bucket>>,
}

#[derive(Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Client addresses whose buckets are kept; the least recently used go
/// first (a forgotten address starts again with a full bucket, which the
/// global concurrency limit still bounds).
const BUCKETS: usize = 65_536;

impl ClientBudget {
    pub fn new(rate: u32, burst: u32) -> ClientBudget {
        ClientBudget {
            rate: f64::from(rate),
            burst: f64::from(burst),
            buckets: Mutex::new(quick_cache::unsync::Cache::new(BUCKETS)),
        }
    }

    /// Take one token for `client` at `now`; `false` when its budget is
    /// spent.
    pub fn take(&self, client: IpAddr, now: Instant) -> bool {
        let key = bucket_of(client);
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let Some(mut bucket) = buckets.get_mut(&key) else {
            buckets.insert(
                key,
                Bucket {
                    tokens: self.burst - 1.0,
                    at: now,
                },
            );
            return true;
        };
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.rate).min(self.burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// The bucket an address spends from: IPv4 addresses each their own,
/// IPv6 addresses by /64 (one host commonly holds a whole /64).
fn bucket_of(client: IpAddr) -> IpAddr {
    match client.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !u128::from(u64::MAX))),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests;
