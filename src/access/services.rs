//! What our pages (and the access helpers they call) may use of a running
//! gateway: its configuration, store, keys and passkeys, and the company
//! policy they decide together ([`Services::enforcement`],
//! [`Services::remember_days`]). Not the identity client, not the memos of
//! the hot path: a handler is given this view (`Gate::services`), never the
//! whole [`super::gate::Gate`].

use crate::config::Config;
use crate::domain::{Enforcement, RememberDays};
use crate::factors::passkey::Passkeys;
use crate::keys::Keys;
use crate::store::{Store, StoreError};
use std::sync::Arc;

#[derive(Clone, Copy)]
pub struct Services<'a> {
    pub config: &'a Config,
    pub store: &'a Arc<dyn Store>,
    pub keys: &'a Keys,
    /// The WebAuthn relying party; `None` when passkeys are not configured.
    pub passkeys: &'a Option<Passkeys>,
}

impl Services<'_> {
    /// The policy in force for a company: pinned in YAML, else stored by
    /// the admin page, else the default (optional; required for the
    /// implicit tenant, `config::Tenancy`).
    pub fn enforcement(&self, company: &str) -> Result<Enforcement, StoreError> {
        let policy = match self.config.companies.get(company) {
            Some(p) => *p,
            None => self
                .store
                .company_policy(company)?
                .unwrap_or_else(|| self.config.tenancy.default_enforcement(company)),
        };
        // A stored "passkey only" after passkeys were taken out of the
        // config: nobody could register one, so staff would be stuck at
        // enrollment. 2FA stays required, with any second step.
        Ok(match (policy, self.passkeys) {
            (Enforcement::RequiredPasskey, None) => Enforcement::Required,
            (policy, _) => policy,
        })
    }

    /// How long a company lets its staff skip the code on a remembered
    /// browser: pinned in YAML, else stored by the admin page, else off.
    pub fn remember_days(&self, company: &str) -> Result<RememberDays, StoreError> {
        if let Some(d) = self.config.remember_days.get(company) {
            return Ok(*d);
        }
        Ok(self.store.company_remember(company)?.unwrap_or_default())
    }
}

#[cfg(test)]
mod tests;
