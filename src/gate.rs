//! Everything a running gateway holds, built once from a `Config` at start
//! (and again on reload): the keys, the store, the identity source. The
//! proxy and the page handlers borrow it; it knows neither pingora nor sled.

use crate::config::Config;
use crate::identity::{IdentityError, IdentitySource};
use crate::keys::Keys;
use crate::store::Store;
use std::sync::Arc;

pub struct Gate {
    pub config: Config,
    pub keys: Keys,
    pub store: Arc<dyn Store>,
    pub identity: IdentitySource,
}

impl Gate {
    pub fn new(config: Config, store: Arc<dyn Store>) -> Result<Gate, IdentityError> {
        let keys = Keys::new(config.secrets.hmac_key, config.secrets.encryption_key);
        let scheme = if config.upstream.tls { "https" } else { "http" };
        let base = format!("{scheme}://{}", config.upstream.address);
        let identity = IdentitySource::new(&config.identity, &base)?;
        Ok(Gate {
            config,
            keys,
            store,
            identity,
        })
    }

    /// The policy in force for a company: pinned in YAML, else stored by
    /// the admin page, else the default (optional).
    pub fn enforcement(
        &self,
        company: &str,
    ) -> Result<crate::domain::Enforcement, crate::store::StoreError> {
        if let Some(p) = self.config.companies.get(company) {
            return Ok(*p);
        }
        Ok(self.store.company_policy(company)?.unwrap_or_default())
    }
}
