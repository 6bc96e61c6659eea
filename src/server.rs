//! Start-up: turns a validated `Config` into a running pingora server with
//! the gateway (and, for `mfa-gate demo`, the bundled demo app). Opens the
//! store before pingora starts its threads. One of the two places (with
//! `proxy.rs`) that knows pingora.

use crate::config::Config;
use crate::gate::Gate;
use crate::proxy::GateProxy;
use crate::store::{SledStore, Store};
use arc_swap::ArcSwap;
use pingora::server::Server;
use pingora::server::configuration::ServerConf;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("cannot set up the identity client: {0}")]
    Identity(#[from] crate::identity::IdentityError),
}

/// Extra services run beside the gateway (the demo app).
pub type Extra = Box<dyn FnOnce(&mut Server)>;

/// Open the store, build the gateway and run until a signal stops the
/// process (pingora exits the process itself; every security write was
/// flushed when it was made).
pub fn run(config: Config, extra: Option<Extra>) -> Result<(), StartError> {
    let store: Arc<dyn Store> = Arc::new(SledStore::open(&config.store.path)?);
    let listen = config.listen.to_string();
    let conf = server_conf(&config);
    let gate = Gate::new(config, store)?;
    let gate = Arc::new(ArcSwap::from_pointee(gate));

    let mut server = Server::new_with_opt_and_conf(None, conf);
    server.bootstrap();
    let mut proxy = pingora::proxy::http_proxy_service_with_name(
        &server.configuration,
        GateProxy::new(gate),
        "mfa-gate",
    );
    proxy.add_tcp(&listen);
    server.add_service(proxy);
    if let Some(extra) = extra {
        extra(&mut server);
    }
    tracing::info!(listen = %listen, "mfa-gate listening");
    server.run_forever()
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
