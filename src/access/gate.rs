//! Everything a running gateway holds, built once from a `Config` at start
//! and again on each reload (`Gate::reloaded`): the keys, the store, the
//! identity source. The proxy holds it behind an `ArcSwap`, so a request
//! sees one whole `Gate` from start to end and a reload swaps it in one
//! step. The proxy and the page handlers borrow it; it knows neither
//! pingora nor sled.

use crate::access::services::Services;
use crate::config::Config;
use crate::domain::Enforcement;
use crate::identity::{Identities, IdentityError};
use crate::keys::Keys;
use crate::store::Store;
use std::sync::Arc;

/// Verified sessions remembered in `headers` mode (whoami mode sizes the
/// memo like its identity cache).
const MEMO_SESSIONS: usize = 100_000;

pub struct Gate {
    pub config: Config,
    pub keys: Keys,
    pub store: Arc<dyn Store>,
    pub identity: Identities,
    /// Gateway cookies already verified (saves two MACs per request).
    pub verified: crate::access::verified::VerifiedMemo,
    /// App sessions that already used a remembered browser (audited once).
    pub remembered: crate::access::memo::FirstUses,
    /// Accounts already noted as seen today (the rollout view's index).
    pub seen: crate::access::memo::SeenMemo,
    /// The WebAuthn relying party; `None` when passkeys are not configured.
    pub passkeys: Option<crate::factors::passkey::Passkeys>,
    /// `config.upstream.address` parsed once, when it is an IP address and
    /// port (a name is resolved for each connection, as before). Made with
    /// the gateway, after anything that sets the address (the demo).
    pub upstream_socket: Option<std::net::SocketAddr>,
}

impl Gate {
    pub fn new(config: Config, store: Arc<dyn Store>) -> Result<Gate, IdentityError> {
        Gate::build(config, store, None)
    }

    /// The gateway for a reloaded `config`: the same store (its path needs
    /// a restart), and the same identity source — cache included — when
    /// the identity settings and the upstream did not change.
    pub fn reloaded(&self, config: Config) -> Result<Gate, IdentityError> {
        Gate::build(config, self.store.clone(), Some(&self.identity))
    }

    fn build(
        config: Config,
        store: Arc<dyn Store>,
        previous: Option<&Identities>,
    ) -> Result<Gate, IdentityError> {
        let keys = config.secrets.keys();
        let scheme = if config.upstream.tls { "https" } else { "http" };
        let base = format!("{scheme}://{}", config.upstream.address);
        let identity = Identities::new(&config.identity, &base, previous)?;
        let sessions = match &config.identity {
            crate::config::IdentitySource::Whoami(w) => w.cache_size,
            crate::config::IdentitySource::Headers(_) => MEMO_SESSIONS,
        };
        let verified = crate::access::verified::VerifiedMemo::new(sessions);
        let remembered = crate::access::memo::FirstUses::new(sessions);
        let seen = crate::access::memo::SeenMemo::new(sessions);
        // Checked when the config was loaded: an error here is a bug.
        let passkeys = config.webauthn.as_ref().and_then(|w| {
            crate::factors::passkey::Passkeys::new(w)
                .inspect_err(|e| tracing::error!(error = %e, "passkeys are off"))
                .ok()
        });
        Ok(Gate {
            upstream_socket: config.upstream.address.parse().ok(),
            config,
            keys,
            store,
            identity,
            verified,
            remembered,
            seen,
            passkeys,
        })
    }

    /// The narrow view our pages use: config, store, keys, passkeys.
    pub fn services(&self) -> Services<'_> {
        Services {
            config: &self.config,
            store: &self.store,
            keys: &self.keys,
            passkeys: &self.passkeys,
        }
    }

    /// The policy in force for a company (see [`Services::enforcement`]).
    pub fn enforcement(&self, company: &str) -> Result<Enforcement, crate::store::StoreError> {
        self.services().enforcement(company)
    }

    /// Note that `identity` was just resolved at `now`, for the rollout
    /// view (see `rollout::note_seen`).
    pub fn note_seen(&self, identity: &crate::domain::Identity, now: i64) {
        let roles = &self.config.policy_admin_roles;
        let store = self.store.as_ref();
        crate::access::rollout::note_seen(&self.seen, store, identity, roles, now);
    }

    /// How long a company lets its staff skip the code on a remembered
    /// browser (see [`Services::remember_days`]).
    pub fn remember_days(
        &self,
        company: &str,
    ) -> Result<crate::domain::RememberDays, crate::store::StoreError> {
        self.services().remember_days(company)
    }
}

/// The notification sender reads the running gateway's store and settings.
impl crate::notify::sender::Sending for Gate {
    fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }

    fn notify(&self) -> Option<&crate::config::NotifyConfig> {
        self.config.notify.as_ref()
    }

    fn app_name(&self) -> &str {
        &self.config.ui.app_name
    }

    fn languages(&self) -> &crate::config::Languages {
        &self.config.ui.languages
    }
}
