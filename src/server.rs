//! Start-up: turns a validated `Config` into a running pingora server with
//! the gateway (plain HTTP, and HTTPS when the config has a `tls` section),
//! the admin listener (support API, reload and metrics, when the config has
//! an `admin` section), the SIGHUP reload watcher, the audit retention task
//! and, for `mfa-gate demo`, the bundled demo app. Opens the store before
//! pingora starts its threads, and flushes it after pingora's graceful
//! shutdown (SIGTERM: connections get `server.grace_period` to finish).
//! One of the places (with `proxy.rs`, `admin.rs`, `tls.rs`, `upstream.rs`)
//! that knows pingora.

use crate::access::gate::Gate;
use crate::config::{Config, StoreConfig, TlsConfig};
use crate::edge::proxy::GateProxy;
use crate::edge::reload::Reloader;
use crate::edge::tls::CertStore;
use crate::store::{CachedStore, PostgresStore, SledStore, Store};
use arc_swap::ArcSwap;
use async_trait::async_trait;
use pingora::server::configuration::ServerConf;
use pingora::server::{RunArgs, Server, ShutdownWatch};
use pingora::services::background::{BackgroundService, background_service};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("cannot set up the identity client: {0}")]
    Identity(#[from] crate::identity::IdentityError),
    #[error("field `tls`: {0}")]
    Tls(#[from] crate::edge::tls::TlsError),
    #[error("cannot set up the HTTPS listener: {0}")]
    Listener(String),
    #[error("store.path {}: {message}", path.display())]
    StorePath {
        path: std::path::PathBuf,
        message: String,
    },
    #[error("cannot listen for SIGHUP: {0}")]
    Signal(std::io::Error),
    #[error("{store}: {source}")]
    Keys {
        /// `StoreConfig::describe`.
        store: String,
        source: crate::maintenance::rotate::RotateError,
    },
}

/// What `check-config` could say of the stored secrets.
#[derive(Debug)]
pub enum StoredKeys {
    /// No store yet: nothing sealed to check.
    NoStore,
    /// A running gateway holds the store (its start-up checked its keys);
    /// this configuration's keys are checked when it is loaded there.
    Locked,
    /// Every stored secret opens with the configured keys.
    Checked(crate::maintenance::rotate::Progress),
}

/// `check-config`'s look at the store: opens it (unless a running gateway
/// holds it) and checks that the configured encryption keys open every
/// stored secret, naming the person and key id of the first that does not.
pub fn check_stored_keys(config: &Config) -> Result<StoredKeys, StartError> {
    let path = match &config.store {
        StoreConfig::Sled { path } => path.as_path(),
        // A database has no lock: open it (which also checks that it is
        // reachable and its schema known) and check.
        StoreConfig::Postgres(options) => {
            let store = PostgresStore::open(options)?;
            return check_keys(&store, config).map(StoredKeys::Checked);
        }
    };
    if !path.join("conf").exists() {
        return Ok(StoredKeys::NoStore);
    }
    let store = match SledStore::open(path) {
        Ok(store) => store,
        Err(crate::store::StoreError::Open { detail, .. }) if detail.contains("locked") => {
            return Ok(StoredKeys::Locked);
        }
        Err(e) => return Err(e.into()),
    };
    check_keys(&store, config).map(StoredKeys::Checked)
}

/// Refuse keys that cannot open every stored secret (a missing older key),
/// before serving anyone rather than at a user's challenge.
fn check_keys(
    store: &dyn Store,
    config: &Config,
) -> Result<crate::maintenance::rotate::Progress, StartError> {
    crate::maintenance::rotate::check_all(store, &config.secrets.keys()).map_err(|source| {
        StartError::Keys {
            store: config.store.describe(),
            source,
        }
    })
}

/// The configured engine.
pub fn open_store(config: &StoreConfig) -> Result<Arc<dyn Store>, StartError> {
    Ok(open_engine(config)?.engine)
}

/// An opened engine, and the PostgreSQL store again when it is one (its
/// cache must listen to the other replicas' writes).
struct Opened {
    engine: Arc<dyn Store>,
    shared: Option<Arc<PostgresStore>>,
}

fn open_engine(config: &StoreConfig) -> Result<Opened, StartError> {
    Ok(match config {
        StoreConfig::Sled { path } => Opened {
            engine: Arc::new(SledStore::open(path)?),
            shared: None,
        },
        StoreConfig::Postgres(options) => {
            let store = Arc::new(PostgresStore::open(options)?);
            Opened {
                engine: store.clone(),
                shared: Some(store),
            }
        }
    })
}

/// Extra services run beside the gateway (the demo app).
pub type Extra = Box<dyn FnOnce(&mut Server)>;

/// How often audit events past their retention are deleted (also once at
/// start-up).
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// Checks `serve` makes before opening anything, also run by
/// `check-config`: the store directory (or the nearest existing parent it
/// would be created in) is a writable directory. The store itself is not
/// opened: a running gateway holds its lock.
pub fn preflight(config: &Config) -> Result<(), StartError> {
    let Some(path) = config.store.sled_path() else {
        return Ok(()); // a database is checked by opening it
    };
    let fail = |message: String| StartError::StorePath {
        path: path.to_owned(),
        message,
    };
    let mut dir: &Path = path;
    while !dir.exists() {
        dir = dir
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
    }
    if !dir.is_dir() {
        return Err(fail(format!("{} is not a directory", dir.display())));
    }
    let probe = dir.join(format!(".mfa-gate-check-{}", std::process::id()));
    std::fs::write(&probe, b"")
        .and_then(|()| std::fs::remove_file(&probe))
        .map_err(|e| fail(format!("{} is not writable: {e}", dir.display())))
}

/// The admin listener on `listen` (support API, reload, `/metrics`), if
/// the configuration has one.
fn add_admin(
    server: &mut Server,
    listen: Option<std::net::SocketAddr>,
    gate: &Arc<ArcSwap<Gate>>,
    reloader: Arc<Reloader>,
) {
    let Some(addr) = listen else {
        tracing::info!("no `admin` section: no admin listener, no support API");
        return;
    };
    if !addr.ip().is_loopback() {
        tracing::warn!(
            admin_listen = %addr,
            "the admin listener is not on loopback: keep it on a private network"
        );
    }
    server.add_service(crate::edge::admin_listener::service(
        gate.clone(),
        Some(reloader),
        &addr.to_string(),
    ));
    tracing::info!(admin_listen = %addr, "admin listener (support API, reload, /metrics)");
}

/// Everything the gateway writes (the store and its outbox, the demo's
/// keys and mail folder) holds audit trails, addresses and IPs: readable by
/// the gateway's own user only, whatever the umask it was started with
/// (directories 0700, files 0600). Called first thing by every command
/// (`main.rs`), before any thread starts: `serve`, `demo`, a restore, keys.
pub fn private_files() {
    // SAFETY: umask sets this process's file-creation mask and cannot fail.
    unsafe {
        libc::umask(0o077);
    }
}

/// A warning when an existing store directory can be read by other users
/// (made before `private_files`, or by hand): it is not changed, since
/// the operator may share it on purpose, but it is said.
fn warn_if_readable_by_others(config: &Config) {
    use std::os::unix::fs::PermissionsExt;
    let StoreConfig::Sled { path } = &config.store else {
        return;
    };
    if let Ok(meta) = std::fs::metadata(path) {
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            tracing::warn!(
                path = %path.display(),
                mode = format!("{mode:o}"),
                "the store directory can be read by other users (it holds audit trails, addresses and IPs): chmod 700 it"
            );
        }
    }
}

/// Open the store, build the gateway and run until a signal stops the
/// process; flush the store after the graceful shutdown and exit.
pub fn run(config: Config, extra: Option<Extra>) -> Result<(), StartError> {
    preflight(&config)?;
    warn_if_readable_by_others(&config);
    let certs = load_certs(&config)?;
    let store = open_checked_store(&config)?;
    crate::observe::metrics::init();
    prune_audit(store.as_ref(), config.audit.retention);
    let listen = config.listen.to_string();
    let tls = config.tls.clone();
    let admin_listen = config.admin.as_ref().map(|a| a.listen);
    let metrics_listen = config.metrics.as_ref().map(|m| m.listen);
    let ask_listen = config.forward_auth.listen;
    let conf = server_conf(&config);
    let gate = Gate::new(config, store.clone())?;
    let gate = Arc::new(ArcSwap::from_pointee(gate));
    let reloader = Arc::new(Reloader::new(gate.clone(), certs.clone()));
    watch_sighup(reloader.clone()).map_err(StartError::Signal)?;
    reloader.clone().watch_file().map_err(StartError::Signal)?;

    let mut server = Server::new_with_opt_and_conf(None, conf);
    server.bootstrap();
    add_gateway(&mut server, &gate, &listen, tls.as_ref(), certs)?;
    add_admin(&mut server, admin_listen, &gate, reloader);
    if let Some(listen) = metrics_listen {
        let service =
            crate::edge::admin_listener::metrics_service(gate.clone(), &listen.to_string());
        server.add_service(service);
        tracing::info!(metrics_listen = %listen, "metrics listener (/metrics, /livez, /readyz)");
    }
    if let Some(listen) = ask_listen {
        let service = crate::edge::ask_listener::service(gate.clone(), &listen.to_string());
        server.add_service(service);
        tracing::info!(forward_auth_listen = %listen, "forward-auth ask listener");
    }
    server.add_service(background_service(
        "notifications",
        OutboxSender { gate: gate.clone() },
    ));
    server.add_service(background_service(
        "audit retention",
        AuditRetention { gate },
    ));
    if let Some(extra) = extra {
        extra(&mut server);
    }
    tracing::info!(listen = %listen, version = env!("CARGO_PKG_VERSION"), "mfa-gate listening");
    server.run(RunArgs::default());
    // Every security write was flushed when it was made; this catches the
    // rest (audit events) before the process ends without destructors.
    match store.flush() {
        Ok(()) => tracing::info!("store flushed; bye"),
        Err(e) => tracing::error!(error = %e, "could not flush the store at shutdown"),
    }
    std::process::exit(0)
}

/// The HTTPS listener's certificate and key, when the config has a `tls`
/// section.
fn load_certs(config: &Config) -> Result<Option<Arc<CertStore>>, StartError> {
    Ok(match &config.tls {
        Some(tls) => Some(Arc::new(CertStore::new(crate::edge::tls::load_pair(
            &tls.cert, &tls.key,
        )?))),
        None => None,
    })
}

/// Open the configured engine, refuse keys that cannot open its secrets,
/// and put it behind the cache.
fn open_checked_store(config: &Config) -> Result<Arc<dyn Store>, StartError> {
    let Opened { engine, shared } = open_engine(&config.store)?;
    let stored = check_keys(engine.as_ref(), config)?;
    tracing::info!(
        persons = stored.persons,
        sealed_secrets = stored.secrets,
        under_first_key = stored.current,
        "stored secrets open with the configured keys"
    );
    // Every reader and writer in this process goes through the cache,
    // which keeps the per-request person state in memory (store/cache.rs);
    // on PostgreSQL, other replicas' writes reach it as invalidations.
    let cache = Arc::new(CachedStore::new(engine));
    if let Some(postgres) = shared {
        postgres.listen(Arc::downgrade(&cache));
    }
    Ok(cache)
}

/// The gateway itself: the proxy on `listen` (plain HTTP), and on the
/// `tls` section's listener (HTTPS) when there is one.
fn add_gateway(
    server: &mut Server,
    gate: &Arc<ArcSwap<Gate>>,
    listen: &str,
    tls: Option<&TlsConfig>,
    certs: Option<Arc<CertStore>>,
) -> Result<(), StartError> {
    let mut proxy = pingora::proxy::http_proxy_service_with_name(
        &server.configuration,
        GateProxy::new(gate.clone()),
        "mfa-gate",
    );
    proxy.add_tcp(listen);
    if let (Some(tls), Some(certs)) = (tls, certs) {
        let settings = crate::edge::tls::settings(certs, tls.http2)
            .map_err(|e| StartError::Listener(e.to_string()))?;
        proxy.add_tls_with_settings(&tls.listen.to_string(), None, settings);
        tracing::info!(tls_listen = %tls.listen, http2 = tls.http2, "HTTPS listener");
    }
    server.add_service(proxy);
    Ok(())
}

/// Reload on SIGHUP. The handler is installed here, before pingora starts,
/// so a SIGHUP can never hit the default action (terminate); the reload
/// runs on its own thread (it reads files).
fn watch_sighup(reloader: Arc<Reloader>) -> std::io::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut hangups = {
        let _entered = runtime.enter();
        signal(SignalKind::hangup())?
    };
    std::thread::Builder::new()
        .name("mfa-gate-sighup".into())
        .spawn(move || {
            runtime.block_on(async move {
                while hangups.recv().await.is_some() {
                    // The outcome is logged and counted by reload_logged.
                    let _ = reloader.reload_logged("SIGHUP");
                }
            })
        })?;
    Ok(())
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

/// Delivers the notifications outbox (`notify::sender`), on the
/// configuration in force.
struct OutboxSender {
    gate: Arc<ArcSwap<Gate>>,
}

#[async_trait]
impl BackgroundService for OutboxSender {
    async fn start(&self, mut shutdown: ShutdownWatch) {
        let gate = self.gate.clone();
        let stop = async move {
            let _ = shutdown.changed().await;
        };
        crate::notify::sender::run(move || gate.load_full(), stop).await;
    }
}

fn prune_audit(store: &dyn Store, retention: Duration) {
    let now = crate::clock::unix_now();
    let cut = now.saturating_sub(i64::try_from(retention.as_secs()).unwrap_or(i64::MAX));
    match store.prune_audit(cut) {
        Ok(0) => crate::observe::metrics::audit_pruned(0),
        Ok(n) => {
            crate::observe::metrics::audit_pruned(n);
            tracing::info!(
                pruned = n,
                retention_secs = retention.as_secs(),
                "audit events past retention deleted"
            );
        }
        Err(e) => tracing::error!(error = %e, "could not prune the audit trail"),
    }
}

fn server_conf(config: &Config) -> ServerConf {
    let grace = config.server.grace_period.as_secs();
    ServerConf {
        threads: config.server.threads,
        // On SIGTERM pingora stops accepting, lets open connections finish
        // for the whole grace period (it waits it out even when idle), then
        // gives its runtimes one more second: a stop takes grace + ≤1 s.
        grace_period_seconds: Some(grace),
        graceful_shutdown_timeout_seconds: Some(1),
        // pingora's default pid/upgrade paths are under /tmp; keep them
        // per-listener so two gateways on one machine never collide.
        pid_file: format!("/tmp/mfa-gate-{}.pid", config.listen.port()),
        upgrade_sock: format!("/tmp/mfa-gate-{}.sock", config.listen.port()),
        // Every timeout of a second or more (the app's read and write
        // timeouts) on tokio's timer wheel instead of pingora's "fast"
        // timers. Both bound a wait alike; they differ in cost. The fast
        // timer checks its clock thread at every timed read or write, even
        // one that completes at once, and files each pending wait in a
        // locked tree; tokio makes a timer only for a wait that is pending.
        fast_timeout_to_tokio_threshold_seconds: Some(0),
        ..ServerConf::default()
    }
}
