//! Scenario (b0): a bare pingora `ProxyHttp` — the same pingora version
//! and server settings as the gateway (one worker thread), no filters,
//! only `upstream_peer` — so the tables separate pingora's own floor from
//! what mfa-gate adds on top of it ((b) − (b0)).
//!
//! It is this benchmark binary itself, started again as
//! `load --bare-proxy LISTEN UPSTREAM` (`serve`, which never returns):
//! no extra build target, and exactly the pingora the gateway links.
//! `start` runs it as a child (`Proc`), `command` gives the program and
//! arguments for running it under valgrind.

use crate::procs::Proc;
use anyhow::{Context, Result};
use async_trait::async_trait;
use pingora::prelude::*;
use pingora::server::configuration::ServerConf;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The first argument that turns the benchmark binary into the proxy.
pub const FLAG: &str = "--bare-proxy";

struct Bare {
    upstream: SocketAddr,
}

#[async_trait]
impl ProxyHttp for Bare {
    type CTX = ();

    fn new_ctx(&self) {}

    async fn upstream_peer(
        &self,
        _session: &mut Session,
        _ctx: &mut (),
    ) -> pingora::Result<Box<HttpPeer>> {
        Ok(Box::new(HttpPeer::new(self.upstream, false, String::new())))
    }
}

/// Run the bare proxy on `listen` in front of `upstream`, forever
/// (`args`: the command line after `--bare-proxy`).
pub fn serve(args: &[String]) -> anyhow::Result<()> {
    let [listen, upstream] = args else {
        anyhow::bail!("usage: load {FLAG} LISTEN UPSTREAM");
    };
    let upstream: SocketAddr = upstream.parse().context("UPSTREAM")?;
    let port = listen.parse::<SocketAddr>().context("LISTEN")?.port();
    // As the gateway's `server_conf`: one worker thread, own pid and
    // upgrade paths, a short grace period.
    let conf = ServerConf {
        threads: 1,
        grace_period_seconds: Some(1),
        graceful_shutdown_timeout_seconds: Some(1),
        pid_file: format!("/tmp/loadbench-bare-{port}.pid"),
        upgrade_sock: format!("/tmp/loadbench-bare-{port}.sock"),
        ..ServerConf::default()
    };
    let mut server = Server::new_with_opt_and_conf(None, conf);
    server.bootstrap();
    let mut proxy = http_proxy_service(&server.configuration, Bare { upstream });
    proxy.add_tcp(listen);
    server.add_service(proxy);
    server.run_forever()
}

/// The program and arguments that run the bare proxy.
pub fn command(listen: SocketAddr, upstream: SocketAddr) -> Result<(PathBuf, Vec<String>)> {
    let me = std::env::current_exe().context("the benchmark's own path")?;
    Ok((
        me,
        vec![FLAG.to_owned(), listen.to_string(), upstream.to_string()],
    ))
}

/// Start the bare proxy as a child, logging into `dir`.
pub fn start(dir: &Path, listen: SocketAddr, upstream: SocketAddr) -> Result<Proc> {
    std::fs::create_dir_all(dir)?;
    let (program, args) = command(listen, upstream)?;
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut proc = Proc::spawn(
        "bare pingora proxy (b0)",
        &program,
        &args,
        &[],
        dir.join("bare.log"),
    )?;
    proc.wait_listening(listen, Duration::from_secs(30))?;
    Ok(proc)
}
