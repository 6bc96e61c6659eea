//! The `whoami` source: asks the app's whoami endpoint with the session
//! cookie only, maps the JSON answer to an `Identity`, and caches known
//! identities for a short TTL in a bounded cache keyed by a hash of the
//! cookie value (never the value itself). "Not logged in" (a configured
//! status, 401 by default) is never cached: the first request after a
//! login that keeps its session id must be seen as the user. An
//! unreachable, slow or confused endpoint, and any other status, is an
//! error that the caller turns into a 503: we fail closed, never open.
//! Calls are bounded (`bounds.rs`): one per session at a time, a global
//! limit, and a budget per client address.

use super::bounds::{Answer, Call, ClientBudget, Finish, InFlight};
use super::{IdentityError, Lookup, MAX_FIELD};
use crate::config::{FieldMap, WhoamiConfig};
use crate::domain::{AccountClass, Identity};
use crate::metrics;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Largest whoami answer we read.
const MAX_BODY: usize = 64 * 1024;

/// An answer not from the cache (the identity was just resolved).
pub type Fresh = bool;

/// The running `whoami` source (`config::WhoamiConfig`): the HTTP client
/// of the app's whoami endpoint, with its cache and call bounds.
pub struct WhoamiClient {
    /// What it was built from, so a reload can tell whether to keep it.
    config: WhoamiConfig,
    base: String,
    client: reqwest::Client,
    url: String,
    cookie_name: String,
    fields: FieldMap,
    ttl: Duration,
    /// Two independently, randomly keyed SipHashes make the 128-bit cache
    /// key: a keyed PRF that nobody outside the process can steer into
    /// another session's slot, at a tenth of a SHA-256's cost on the hot
    /// path. The session value itself is never stored.
    keys: [std::collections::hash_map::RandomState; 2],
    /// Known identities only (see the module doc).
    cache: quick_cache::sync::Cache<u128, (Lookup, Instant)>,
    /// Statuses meaning "not logged in"; any other but 200 is an error.
    anonymous_statuses: Vec<u16>,
    in_flight: InFlight,
    budget: ClientBudget,
    /// Calls in flight over all sessions; a miss waits at most
    /// `whoami_timeout` for a permit.
    calls: tokio::sync::Semaphore,
    wait: Duration,
}

impl WhoamiClient {
    pub fn new(cfg: &WhoamiConfig, upstream_base: &str) -> Result<Self, IdentityError> {
        let client = reqwest::Client::builder()
            .timeout(cfg.whoami_timeout)
            .connect_timeout(cfg.whoami_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(64)
            .build()
            .map_err(|e| IdentityError::Unreachable(e.to_string()))?;
        Ok(WhoamiClient {
            config: cfg.clone(),
            base: upstream_base.to_owned(),
            client,
            url: format!("{upstream_base}{}", cfg.whoami_path),
            cookie_name: cfg.session_cookie.clone(),
            fields: cfg.fields.clone(),
            ttl: cfg.cache_ttl,
            keys: Default::default(),
            cache: quick_cache::sync::Cache::new(cfg.cache_size),
            anonymous_statuses: cfg.anonymous_statuses.clone(),
            in_flight: InFlight::default(),
            budget: ClientBudget::new(cfg.whoami_client_rate, cfg.whoami_client_burst),
            calls: tokio::sync::Semaphore::new(cfg.whoami_concurrency),
            wait: cfg.whoami_timeout,
        })
    }

    /// The cache key of a session value (see `keys`).
    fn cache_key(&self, value: &str) -> u128 {
        use std::hash::BuildHasher;
        let high = self.keys[0].hash_one(value);
        let low = self.keys[1].hash_one(value);
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
                if let Some(ip) = client {
                    if !self.budget.take(ip, Instant::now()) {
                        return Err(IdentityError::TooManyLookups);
                    }
                }
                self.in_flight.start(key)
            }
        };
        let lookup = call
            .get_or_init(|| self.call(session_value, key, &call))
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
            if let Ok(known @ Lookup::Known(_)) = &answer {
                self.cache.insert(key, (known.clone(), Instant::now()));
            }
        });
        answer
    }

    /// The cached, still fresh answer for a session, if any.
    pub fn cached(&self, session_value: &str) -> Option<Lookup> {
        self.cached_at(self.cache_key(session_value))
    }

    fn cached_at(&self, key: u128) -> Option<Lookup> {
        self.cache
            .get(&key)
            .filter(|(_, at)| at.elapsed() < self.ttl)
            .map(|(lookup, _)| lookup)
    }

    /// Cache a known identity for a session (used to prime benchmarks).
    /// "Not logged in" is never cached.
    pub fn remember(&self, session_value: &str, lookup: Lookup) {
        if let Lookup::Known(_) = lookup {
            let key = self.cache_key(session_value);
            self.cache.insert(key, (lookup, Instant::now()));
        }
    }

    /// Forget a session's identity: its cached answer, and the answer of a
    /// call in flight (which will not be cached). The next request of the
    /// session asks whoami again.
    pub fn forget(&self, session_value: &str) {
        let key = self.cache_key(session_value);
        self.in_flight.forget(key, || {
            self.cache.remove(&key);
        });
    }

    async fn ask(&self, session_value: &str) -> Result<Lookup, IdentityError> {
        let cookie = format!("{}={session_value}", self.cookie_name);
        let mut response = self
            .client
            .get(&self.url)
            .header(reqwest::header::COOKIE, cookie)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(classify)?;
        match response.status().as_u16() {
            200 => {}
            s if self.anonymous_statuses.contains(&s) => return Ok(Lookup::Anonymous),
            other => return Err(IdentityError::Status(other)),
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(classify)? {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(IdentityError::BadAnswer("body over 64 KiB".into()));
            }
            body.extend_from_slice(&chunk);
        }
        let json: serde_json::Value =
            serde_json::from_slice(&body).map_err(|e| IdentityError::BadAnswer(e.to_string()))?;
        let identity = map_identity(&json, &self.fields).map_err(IdentityError::BadAnswer)?;
        Ok(Lookup::Known(Arc::new(identity)))
    }
}

fn classify(e: reqwest::Error) -> IdentityError {
    if e.is_timeout() {
        IdentityError::Timeout
    } else {
        IdentityError::Unreachable(e.to_string())
    }
}

/// Map a whoami JSON object to an identity with the configured field names.
/// `account`, `company` and `class` are required strings; `person` defaults
/// to the account; `roles` is a list of strings; `email` is optional.
pub fn map_identity(json: &serde_json::Value, fields: &FieldMap) -> Result<Identity, String> {
    let obj = json.as_object().ok_or("not a JSON object")?;
    let text = |name: &str| -> Result<Option<String>, String> {
        match obj.get(name) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::String(s)) if s.is_empty() => Ok(None),
            Some(serde_json::Value::String(s)) if s.len() <= MAX_FIELD => Ok(Some(s.clone())),
            Some(serde_json::Value::String(_)) => Err(format!("field `{name}` is too long")),
            Some(_) => Err(format!("field `{name}` is not a string")),
        }
    };
    let required = |name: &str| text(name)?.ok_or_else(|| format!("field `{name}` is missing"));
    let account = required(&fields.account)?;
    let company = required(&fields.company)?;
    let class_text = required(&fields.class)?;
    let class = AccountClass::parse(&class_text).ok_or_else(|| {
        format!(
            "field `{}` must be candidate, employee or admin",
            fields.class
        )
    })?;
    let person = text(&fields.person)?.unwrap_or_else(|| account.clone());
    let roles = match obj.get(&fields.roles) {
        None | Some(serde_json::Value::Null) => Vec::new(),
        Some(serde_json::Value::Array(items)) if items.len() <= 64 => items
            .iter()
            .map(|r| r.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| format!("field `{}` must list strings", fields.roles))?,
        Some(_) => {
            return Err(format!(
                "field `{}` must be a list of strings",
                fields.roles
            ));
        }
    };
    let email = text(&fields.email)?;
    Ok(Identity {
        account,
        company,
        class,
        roles,
        person,
        email,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields() -> FieldMap {
        FieldMap {
            account: "account".into(),
            company: "company".into(),
            class: "class".into(),
            person: "person".into(),
            roles: "roles".into(),
            email: "email".into(),
        }
    }

    #[test]
    fn maps_a_full_answer() {
        let id = map_identity(
            &json!({"account":"a@x","company":"acme","class":"admin","person":"p","roles":["admin"],"email":"a@x"}),
            &fields(),
        )
        .unwrap();
        assert_eq!(id.person, "p");
        assert_eq!(id.class, AccountClass::Admin);
        assert!(id.may_manage_policy());
    }

    #[test]
    fn person_defaults_to_account() {
        let id = map_identity(
            &json!({"account":"a@x","company":"acme","class":"employee"}),
            &fields(),
        )
        .unwrap();
        assert_eq!(id.person, "a@x");
        assert!(id.roles.is_empty());
    }

    #[test]
    fn custom_field_names_are_used() {
        let mut f = fields();
        f.account = "sub".into();
        f.company = "tenant".into();
        let id = map_identity(&json!({"sub":"u1","tenant":"t","class":"candidate"}), &f).unwrap();
        assert_eq!((id.account.as_str(), id.company.as_str()), ("u1", "t"));
    }

    #[test]
    fn garbage_answers_are_errors() {
        for bad in [
            json!([]),
            json!("x"),
            json!({"company":"acme","class":"employee"}),
            json!({"account":"a","company":"acme","class":"root"}),
            json!({"account":1,"company":"acme","class":"employee"}),
            json!({"account":"a","company":"acme","class":"employee","roles":"admin"}),
            json!({"account":"a","company":"acme","class":"employee","roles":[1]}),
            json!({"account":"a".repeat(1000),"company":"acme","class":"employee"}),
        ] {
            assert!(map_identity(&bad, &fields()).is_err(), "{bad}");
        }
    }
}
