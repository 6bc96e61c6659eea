//! Start-up: turns a validated `Config` into a running pingora server with
//! the gateway, the admin listener (support API and metrics, when the config
//! has an `admin` section), the audit retention task and, for `mfa-gate
//! demo`, the bundled demo app. Opens the store before pingora starts its
//! threads. One of the places (with `proxy.rs` and `admin.rs`) that knows
//! pingora.

use crate::config::Config;
use crate::gate::Gate;
use crate::proxy::GateProxy;
use crate::store::{CachedStore, SledStore, Store};
use arc_swap::ArcSwap;
use async_trait::async_trait;
use pingora::server::configuration::ServerConf;
use pingora::server::{Server, ShutdownWatch};
use pingora::services::background::{BackgroundService, background_service};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("cannot set up the identity client: {0}")]
    Identity(#[from] crate::identity::IdentityError),
}

/// Extra services run beside the gateway (the demo app).
pub type Extra = Box<dyn FnOnce(&mut Server)>;

/// How often audit events past their retention are deleted (also once at
/// start-up).
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// Open the store, build the gateway and run until a signal stops the
/// process (pingora exits the process itself; every security write was
/// flushed when it was made).
pub fn run(config: Config, extra: Option<Extra>) -> Result<(), StartError> {
    let engine: Arc<dyn Store> = Arc::new(SledStore::open(&config.store.path)?);
    // Every reader and writer in this process goes through the cache, which
    // keeps the per-request person state in memory (see store/cache.rs).
    let store: Arc<dyn Store> = Arc::new(CachedStore::new(engine));
    crate::metrics::init();
    prune_audit(store.as_ref(), config.audit.retention);
    let listen = config.listen.to_string();
    let admin_listen = config.admin.as_ref().map(|a| a.listen);
    let conf = server_conf(&config);
    let gate = Gate::new(config, store)?;
    let gate = Arc::new(ArcSwap::from_pointee(gate));

    let mut server = Server::new_with_opt_and_conf(None, conf);
    server.bootstrap();
    let mut proxy = pingora::proxy::http_proxy_service_with_name(
        &server.configuration,
        GateProxy::new(gate.clone()),
        "mfa-gate",
    );
    proxy.add_tcp(&listen);
    server.add_service(proxy);
    match admin_listen {
        Some(addr) => {
            if !addr.ip().is_loopback() {
                tracing::warn!(
                    admin_listen = %addr,
                    "the admin listener is not on loopback: keep it on a private network"
                );
            }
            server.add_service(crate::admin::service(gate.clone(), &addr.to_string()));
            tracing::info!(admin_listen = %addr, "admin listener (support API, /metrics)");
        }
        None => tracing::info!("no `admin` section: no admin listener, no support API"),
    }
    server.add_service(background_service(
        "audit retention",
        AuditRetention { gate },
    ));
    if let Some(extra) = extra {
        extra(&mut server);
    }
    tracing::info!(listen = %listen, "mfa-gate listening");
    server.run_forever()
}

/// Deletes audit events older than the retention of the configuration in
/// force (it may change on reload), every `PRUNE_EVERY`.
struct AuditRetention {
    gate: Arc<ArcSwap<Gate>>,
}

#[async_trait]
impl BackgroundService for AuditRetention {
    async fn start(&self, mut shutdown: ShutdownWatch) {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(PRUNE_EVERY) => {}
                _ = shutdown.changed() => return,
            }
            let gate = self.gate.load_full();
            // A full scan of the audit tree: off the async workers.
            let done = tokio::task::spawn_blocking(move || {
                prune_audit(gate.store.as_ref(), gate.config.audit.retention)
            })
            .await;
            if let Err(e) = done {
                tracing::error!(error = %e, "audit retention task failed");
            }
        }
    }
}

fn prune_audit(store: &dyn Store, retention: Duration) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let cut = now.saturating_sub(i64::try_from(retention.as_secs()).unwrap_or(i64::MAX));
    match store.prune_audit(cut) {
        Ok(0) => {}
        Ok(n) => tracing::info!(
            pruned = n,
            retention_secs = retention.as_secs(),
            "audit events past retention deleted"
        ),
        Err(e) => tracing::error!(error = %e, "could not prune the audit trail"),
    }
}

fn server_conf(config: &Config) -> ServerConf {
    let grace = config.server.grace_period.as_secs();
    ServerConf {
        threads: config.server.threads,
        grace_period_seconds: Some(grace),
        graceful_shutdown_timeout_seconds: Some(grace),
        // pingora's default pid/upgrade paths are under /tmp; keep them
        // per-listener so two gateways on one machine never collide.
        pid_file: format!("/tmp/mfa-gate-{}.pid", config.listen.port()),
        upgrade_sock: format!("/tmp/mfa-gate-{}.sock", config.listen.port()),
        ..ServerConf::default()
    }
}
