//! Configuration reload in place, without dropping a connection: SIGHUP
//! (pingora leaves it free) and `POST /v1/reload` on the admin listener
//! both call `Reloader::reload`, which re-reads the YAML file the gateway
//! was started with, builds a new `Gate` and swaps it in atomically. A
//! request already running keeps the `Gate` it started with; the next one
//! sees the new one. An invalid file changes nothing: the error is logged
//! (and returned to the API caller) and the old configuration stays.
//!
//! What a reload applies: pinned policies, bypass and access rules, identity settings
//! (the whoami cache is kept when they and the upstream are unchanged),
//! trusted proxies, upstream address and timeouts, cookie and TOTP
//! settings, limits, UI, the support token, audit retention, and the TLS
//! certificate and key files (re-read, so a renewed certificate is served
//! to new connections). What needs a restart (`RESTART_ONLY`): listeners,
//! the store path, threads, the grace period, logging.

use crate::access::gate::Gate;
use crate::admin::Reloaded;
use crate::config::{Config, ConfigError};
use crate::edge::tls::{CertStore, TlsError};
use crate::identity::IdentityError;
use arc_swap::ArcSwap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Settings read once at start; a reload that changes them warns.
pub const RESTART_ONLY: [&str; 11] = [
    "listen",
    "tls.listen",
    "tls.http2",
    "admin.listen",
    "metrics.listen",
    "forward_auth.listen",
    "store",
    "server.threads",
    "server.grace_period",
    "log.format",
    "log.level",
];

#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("cannot set up the identity source: {0}")]
    Identity(#[from] IdentityError),
    #[error("tls: {0}")]
    Tls(#[from] TlsError),
    #[error("stored secrets: {0}")]
    Keys(#[from] crate::maintenance::rotate::RotateError),
}

pub struct Reloader {
    gate: Arc<ArcSwap<Gate>>,
    /// The HTTPS listener's certificate, when one runs.
    certs: Option<Arc<CertStore>>,
    /// One reload at a time (SIGHUP and the API may race).
    busy: Mutex<()>,
    /// The configuration the process started with: what its listeners,
    /// store and threads really are. A restart-only setting is compared
    /// with it, not with the last reload, so a change undone needs no
    /// restart any more.
    started: Config,
}

impl Reloader {
    pub fn new(gate: Arc<ArcSwap<Gate>>, certs: Option<Arc<CertStore>>) -> Reloader {
        let started = gate.load().config.clone();
        Reloader {
            gate,
            certs,
            busy: Mutex::new(()),
            started,
        }
    }

    /// Re-read the configuration file and swap it in; blocking (file reads).
    pub fn reload(&self) -> Result<Reloaded, ReloadError> {
        let _one_at_a_time = self.busy.lock().unwrap_or_else(|e| e.into_inner());
        let current = self.gate.load_full();
        let config = crate::config::load_file(&current.config.source)?;
        let restart_needed = restart_needed(&self.started, &config);
        let pair = match (&self.certs, &config.tls) {
            (Some(_), Some(tls)) => Some(crate::edge::tls::load_pair(&tls.cert, &tls.key)?),
            _ => None,
        };
        // New encryption keys must still open every stored secret.
        if config.secrets.encryption_key != current.config.secrets.encryption_key
            || config.secrets.older_encryption_keys != current.config.secrets.older_encryption_keys
        {
            crate::maintenance::rotate::check_all(current.store.as_ref(), &config.secrets.keys())?;
        }
        let next = current.reloaded(config)?;
        let identity_cache_kept = next.identity.is_shared_with(&current.identity);
        if let (Some(certs), Some(pair)) = (&self.certs, pair) {
            certs.replace(pair);
        }
        self.gate.store(Arc::new(next));
        Ok(Reloaded {
            restart_needed,
            identity_cache_kept,
        })
    }

    /// `reload`, with its log line and metric; `trigger` names the cause.
    pub fn reload_logged(&self, trigger: &'static str) -> Result<Reloaded, ReloadError> {
        let result = self.reload();
        crate::observe::metrics::reload(result.is_ok());
        match &result {
            Ok(done) => {
                tracing::info!(
                    trigger,
                    identity_cache_kept = done.identity_cache_kept,
                    "configuration reloaded"
                );
                if !done.restart_needed.is_empty() {
                    tracing::warn!(
                        trigger,
                        settings = ?done.restart_needed,
                        "changed settings take effect only after a restart"
                    );
                }
            }
            Err(e) => tracing::error!(
                trigger,
                error = %e,
                "configuration reload rejected: the running configuration stays"
            ),
        }
        result
    }
}

/// Which of `RESTART_ONLY` differ between the running and the new file.
pub fn restart_needed(old: &Config, new: &Config) -> Vec<&'static str> {
    let tls = |c: &Config| c.tls.as_ref().map(|t| (t.listen, t.http2));
    let changed = [
        old.listen != new.listen,
        tls(old).map(|t| t.0) != tls(new).map(|t| t.0),
        tls(old).map(|t| t.1) != tls(new).map(|t| t.1),
        old.admin.as_ref().map(|a| a.listen) != new.admin.as_ref().map(|a| a.listen),
        old.metrics != new.metrics,
        old.forward_auth.listen != new.forward_auth.listen,
        old.store != new.store,
        old.server.threads != new.server.threads,
        old.server.grace_period != new.server.grace_period,
        old.log.format != new.log.format,
        old.log.level != new.log.level,
    ];
    RESTART_ONLY
        .iter()
        .zip(changed)
        .filter_map(|(name, changed)| changed.then_some(*name))
        .collect()
}

/// How often the configuration file is looked at for a change.
const WATCH_EVERY: Duration = Duration::from_secs(1);

impl Reloader {
    /// Reload when the configuration file's content changes (a ConfigMap
    /// update swaps a symlink, an editor replaces the file), while
    /// `server.watch_config` is on. A thread that reads the file every
    /// `WATCH_EVERY`; a file that fails its checks is logged and counted
    /// like any failed reload, and the configuration in force stays.
    pub fn watch_file(self: Arc<Self>) -> std::io::Result<()> {
        std::thread::Builder::new()
            .name("mfa-gate-config-watch".into())
            .spawn(move || {
                let watching = || self.gate.load().config.server.watch_config;
                // The content last seen; `None` while not watching (the
                // file is then not read at all).
                let mut seen = watching().then(|| self.fingerprint());
                loop {
                    std::thread::sleep(WATCH_EVERY);
                    if !watching() {
                        seen = None;
                        continue;
                    }
                    let now = self.fingerprint();
                    if seen.replace(now).is_some_and(|before| before != now) {
                        // The outcome is logged and counted by reload_logged.
                        let _ = self.reload_logged("config file change");
                    }
                }
            })?;
        Ok(())
    }

    /// The content of the configuration file in force, as a hash (`None`:
    /// unreadable right now, as during a swap).
    fn fingerprint(&self) -> Option<u64> {
        let path = self.gate.load().config.source.clone();
        let bytes = std::fs::read(path).ok()?;
        Some(std::hash::BuildHasher::hash_one(&FIXED, &bytes))
    }
}

/// One hasher for the process's fingerprints.
static FIXED: std::hash::BuildHasherDefault<std::collections::hash_map::DefaultHasher> =
    std::hash::BuildHasherDefault::new();

impl crate::admin::Reload for Reloader {
    fn reload(&self, trigger: &'static str) -> Result<Reloaded, String> {
        self.reload_logged(trigger).map_err(|e| e.to_string())
    }
}
