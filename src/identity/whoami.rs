//! The `whoami` source: asks the app's whoami endpoint (the configured
//! method, path and headers) with the session cookie(s) only, maps the
//! JSON answer to an `Identity` (`mapping.rs`), and caches known
//! identities for a short TTL in a bounded cache keyed by a hash of the
//! cookie value (never the value itself). "Not logged in" (a configured
//! status, 401 by default) is never cached: the first request after a
//! login that keeps its session id must be seen as the user. An
//! unreachable, slow or confused endpoint, and any other status, is an
//! error that the caller turns into a 503: we fail closed, never open.
//! Calls are bounded (`bounds.rs`): one per session at a time, a global
//! limit, and a budget per client address.

use super::bounds::{Answer, Call, ClientBudget, Finish, InFlight};
use super::mapping::{is_anonymous, map_identity};
use super::transport::Transport;
use super::{IdentityError, Lookup};
use crate::config::WhoamiConfig;
use crate::domain::Identity;
use crate::keys::SlotKey;
use crate::observe::metrics;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// An answer not from the cache (the identity was just resolved).
pub type Fresh = bool;

/// A cache slot: the 128-bit key (see `WhoamiClient::key`) as two words,
/// because a `u128` is aligned to 16 bytes, which pads every entry.
type Slot = [u64; 2];

/// A known identity and when it was resolved, in nanoseconds after the
/// client's `epoch` (8 bytes where an `Instant` takes 16). One per live
/// session: 100 000 and more.
type Cached = (Arc<Identity>, u64);

/// The running `whoami` source (`config::WhoamiConfig`): the HTTP client
/// of the app's whoami endpoint, with its cache and call bounds.
pub struct WhoamiClient {
    /// What it was built from, so a reload can tell whether to keep it.
    config: WhoamiConfig,
    base: String,
    /// The HTTP client of the endpoint (`transport.rs`).
    transport: Transport,
    ttl: Duration,
    /// Makes the 128-bit cache key (`keys::SlotKey`, a randomly keyed
    /// SipHash): a keyed PRF that nobody outside the process can steer
    /// into another session's slot, at a twentieth of a SHA-256's cost on
    /// the hot path. The session value itself is never stored.
    key: SlotKey,
    /// Known identities only (see the module doc).
    cache: quick_cache::sync::Cache<Slot, Cached>,
    /// The origin of the cache's timestamps.
    epoch: Instant,
    in_flight: InFlight,
    budget: ClientBudget,
    /// Calls in flight over all sessions; a miss waits at most
    /// `whoami_timeout` for a permit.
    calls: tokio::sync::Semaphore,
    wait: Duration,
}

impl WhoamiClient {
    pub fn new(cfg: &WhoamiConfig, upstream_base: &str) -> Result<Self, IdentityError> {
        Ok(WhoamiClient {
            config: cfg.clone(),
            base: upstream_base.to_owned(),
            transport: Transport::new(cfg, upstream_base)?,
            ttl: cfg.cache_ttl,
            key: SlotKey::random(),
            cache: quick_cache::sync::Cache::new(cfg.cache_size),
            epoch: Instant::now(),
            in_flight: InFlight::default(),
            budget: ClientBudget::new(cfg.whoami_client_rate, cfg.whoami_client_burst),
            calls: tokio::sync::Semaphore::new(cfg.whoami_concurrency),
            wait: cfg.whoami_timeout,
        })
    }

    /// The cache key of a session value (see `key`).
    fn cache_key(&self, value: &str) -> u128 {
        let [high, low] = self.key.slot(value.as_bytes());
        (u128::from(high) << 64) | u128::from(low)
    }

    /// Whether this source was built from exactly these settings.
    pub fn serves(&self, cfg: &WhoamiConfig, upstream_base: &str) -> bool {
        self.config == *cfg && self.base == upstream_base
    }

    /// Who owns the app session whose cookie value is `session_value`,
    /// asked for by `client` (whose budget a new whoami call spends); and
    /// whether the answer is fresh (not from the cache).
    pub async fn lookup(
        &self,
        session_value: &str,
        client: Option<IpAddr>,
    ) -> Result<(Lookup, Fresh), IdentityError> {
        let key = self.cache_key(session_value);
        if let Some(lookup) = self.cached_at(key) {
            metrics::identity_cache(true);
            return Ok((lookup, false));
        }
        metrics::identity_cache(false);
        let call = match self.in_flight.join(key) {
            Some(call) => call,
            None => {
                if let Some(ip) = client
                    && !self.budget.take(ip, Instant::now())
                {
                    return Err(IdentityError::TooManyLookups);
                }
                self.in_flight.start(key)
            }
        };
        // Boxed: the call (with the pooled connection it drives) is large,
        // and held inline it made every request's filter future larger,
        // and moved at every level it was awaited through; a miss pays
        // one allocation instead.
        let lookup = call
            .get_or_init(|| Box::pin(self.call(session_value, key, &call)))
            .await
            .clone()?;
        Ok((lookup, true))
    }

    /// The one whoami call of a session: waits for a permit, asks, caches
    /// a known identity unless the session was forgotten meanwhile.
    async fn call(&self, session_value: &str, key: u128, call: &Call) -> Answer {
        let finish = Finish {
            in_flight: &self.in_flight,
            key,
            call,
        };
        let answer = match tokio::time::timeout(self.wait, self.calls.acquire()).await {
            Ok(Ok(_permit)) => {
                let started = Instant::now();
                let asked = self.ask(session_value).await;
                metrics::whoami_latency(started.elapsed());
                asked
            }
            Ok(Err(_)) | Err(_) => Err(IdentityError::Busy),
        };
        self.in_flight.finish(key, finish.call, || {
            if let Ok(Lookup::Known(identity)) = &answer {
                self.cache
                    .insert(slot(key), (identity.clone(), self.stamp()));
            }
        });
        answer
    }

    /// The cached, still fresh answer for a session, if any.
    pub fn cached(&self, session_value: &str) -> Option<Lookup> {
        self.cached_at(self.cache_key(session_value))
    }

    fn cached_at(&self, key: u128) -> Option<Lookup> {
        let (identity, at) = self.cache.get(&slot(key))?;
        let age = Duration::from_nanos(self.stamp().saturating_sub(at));
        (age < self.ttl).then_some(Lookup::Known(identity))
    }

    /// Now, as a cache timestamp (see `Cached`; u64 nanoseconds last 584
    /// years).
    fn stamp(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    /// Cache a known identity for a session (used to prime benchmarks).
    /// "Not logged in" is never cached.
    pub fn remember(&self, session_value: &str, lookup: Lookup) {
        if let Lookup::Known(identity) = lookup {
            let key = self.cache_key(session_value);
            self.cache.insert(slot(key), (identity, self.stamp()));
        }
    }

    /// Forget a session's identity: its cached answer, and the answer of a
    /// call in flight (which will not be cached). The next request of the
    /// session asks whoami again.
    pub fn forget(&self, session_value: &str) {
        let key = self.cache_key(session_value);
        self.in_flight.forget(key, || {
            self.cache.remove(&slot(key));
        });
    }

    async fn ask(&self, session_value: &str) -> Result<Lookup, IdentityError> {
        match self.answer(session_value).await? {
            Asked::Anonymous(_) => Ok(Lookup::Anonymous),
            Asked::Body(json) => map_identity(&json, &self.config.fields)
                .map(|identity| Lookup::Known(Arc::new(identity)))
                .map_err(|e| IdentityError::BadAnswer(e.to_string())),
        }
    }

    /// The whoami call for a session value, up to the JSON answer of a
    /// logged-in session (`identity-check` maps it itself, to say why).
    pub async fn answer(&self, session_value: &str) -> Result<Asked, IdentityError> {
        let (cookie, host) = self.config.session.whoami_cookie(session_value);
        let answer = self.transport.ask(&self.config, &cookie, host).await?;
        match answer.status {
            200 => {}
            s if self.config.anonymous_statuses.contains(&s) => return Ok(Asked::Anonymous(s)),
            other => return Err(IdentityError::Status(other)),
        }
        let json: serde_json::Value = serde_json::from_slice(&answer.body)
            .map_err(|e| IdentityError::BadAnswer(e.to_string()))?;
        if is_anonymous(&json, self.config.anonymous_when.as_ref()) {
            return Ok(Asked::Anonymous(200));
        }
        Ok(Asked::Body(json))
    }

    /// The settings this client was built from.
    pub fn config(&self) -> &WhoamiConfig {
        &self.config
    }
}

/// What the app said about a session, before mapping.
#[derive(Debug)]
pub enum Asked {
    /// Not logged in: a status of `anonymous_statuses`, or a 200 whose
    /// answer meets `anonymous_when` (the status).
    Anonymous(u16),
    /// A logged-in session's answer.
    Body(serde_json::Value),
}

/// The cache slot of a key.
fn slot(key: u128) -> Slot {
    [(key >> 64) as u64, key as u64]
}

#[cfg(test)]
mod tests;
