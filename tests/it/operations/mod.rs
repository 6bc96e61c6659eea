//! Operating mfa-gate for real (issue 5): SSO identity headers, what the app
//! receives, TLS, reload, metrics, logs and the command line. Shared here:
//! an echo app that answers every request with the request it received (so
//! tests see exactly what the app sees, built on the harness's `FakeApp`),
//! the `serve` configuration these tests share (the harness's
//! `ConfigBuilder`), and small clients (metrics scraping, signals).

mod backup;
mod cli;
mod files;
mod forwarding;
mod keys;
mod logs;
mod metrics;
mod probes;
mod reload;
mod sso;
mod tls;

use crate::harness::{ConfigBuilder, FakeApp, Gateway, Pages, Whoami};

/// The support token of the configs written here.
pub const TOKEN: &str = "operations-test-support-token";

/// `serve` on `port` (admin listener on `port + 2`, token [`TOKEN`]) in
/// front of `upstream`; identities from the echo app's `/api/me` for the
/// app cookie `app_session`, with a long cache (reload tests count cache
/// hits).
pub fn config(port: u16, upstream: &str) -> ConfigBuilder {
    ConfigBuilder::new(port, upstream)
        .session_cookie("app_session")
        .whoami_timing(Some("5s"), Some("60s"))
        .totp_issuer("mfa-gate demo")
        .grace_period("1s")
        .admin(TOKEN)
}

/// An app that answers `GET /api/me` for the session cookie `app_session`
/// (`emp-acme…`: an employee of acme; `emp-globex…`: of globex; `fail…`:
/// HTTP 500; anything else 401), hangs up on `/hangup`, and answers every
/// other request 200 with a JSON echo of the request (read with `Seen`).
pub async fn echo_app() -> FakeApp {
    FakeApp::builder()
        .session_cookie("app_session")
        .session_prefix("emp-acme", Whoami::person("emp@acme.example", "acme"))
        .session_prefix("emp-globex", Whoami::person("emp@globex.example", "globex"))
        .session_prefix("fail", Whoami::status(500))
        .pages(Pages::Echo)
        .start()
        .await
}

/// The value of one series in a Prometheus text page (0 when absent).
pub fn series(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
        .unwrap_or(0.0)
}

/// The admin listener's `/metrics` page.
pub async fn scrape(gw: &Gateway) -> String {
    let r = gw.admin("GET", "/metrics", None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

/// Send `signal` to the gateway process.
pub fn signal(gw: &Gateway, signal: i32) {
    let pid = gw.pid().expect("gateway running") as i32;
    // SAFETY: kill(2) has no memory effects; `pid` is our own child.
    assert_eq!(
        unsafe { libc::kill(pid, signal) },
        0,
        "kill({pid}, {signal})"
    );
}
