//! mfa-gate behind the proxy a user already runs (issue 33): nginx
//! (`auth_request`) and Caddy (`forward_auth`) from Debian in front of the
//! demo app, asking mfa-gate's forward-auth endpoint about every request
//! and routing `/_mfa/` to it; and the exact header sets Traefik and
//! ingress-nginx send. The gateway asked is a `serve` process whose
//! upstream is the demo app (for whoami) and which trusts loopback (the
//! fronts); the demo's own gateway stands by, unused.
//!
//! - `asks.rs` — the endpoint asked directly, in each front's dialect;
//! - `journey.rs` — the whole journey through nginx and through Caddy;
//! - `forged.rs` — identity headers a client forges never reach the app;
//! - `lean.rs` — the lean ask listener (`forward_auth.listen`): the same
//!   answers, on connections kept alive, and what it refuses.

mod asks;
mod forged;
mod journey;
mod lean;

use crate::harness::{ConfigBuilder, DEMO_SUPPORT_TOKEN, Front, Gateway, free_ports};

/// Wrong codes before a lock, in these tests.
pub const MAX_FAILURES: usize = 3;

/// The demo app and a gateway that answers forward-auth asks about it.
pub struct Backend {
    /// Runs the demo app on its port + 1 (kept alive by being held).
    _demo: Gateway,
    pub gateway: Gateway,
    pub app_port: u16,
    /// The gateway's lean ask listener (`forward_auth.listen`).
    pub ask_port: u16,
    _dir: tempfile::TempDir,
}

impl Backend {
    pub async fn start(trusted: bool) -> Backend {
        let demo = Gateway::demo().await;
        let app_port = demo.port + 1;
        let dir = tempfile::tempdir().unwrap();
        let port = free_ports();
        let ask_port = free_ports();
        let mut config = ConfigBuilder::new(port, &format!("127.0.0.1:{app_port}"))
            .totp_issuer("mfa-gate demo")
            .company("globex", "required")
            .bypass(&["/login", "/logout", "/static/*"])
            .admin(DEMO_SUPPORT_TOKEN)
            .extra(&format!("max_failures: {MAX_FAILURES}\n"))
            .extra(&format!("forward_auth:\n  listen: 127.0.0.1:{ask_port}\n"));
        if trusted {
            config = config.trusted_proxies("127.0.0.1/32");
        }
        let path = config.write(dir.path());
        let gateway = Gateway::serve(&path, port, dir.path()).await;
        Backend {
            _demo: demo,
            gateway,
            app_port,
            ask_port,
            _dir: dir,
        }
    }
}

impl Backend {
    /// nginx in front of the demo app, asking this gateway.
    pub async fn nginx(&self) -> Front {
        Front::nginx_asking(self.gateway.port, self.ask_port, self.app_port).await
    }

    /// Caddy in front of the demo app, asking this gateway.
    pub async fn caddy(&self) -> Front {
        Front::caddy_for(self.gateway.port, self.app_port).await
    }
}
