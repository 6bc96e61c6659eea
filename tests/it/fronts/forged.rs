//! Identity headers a client sends under the names the front copies from
//! the gateway's answer never reach the app: the answer carries every one
//! of them (empty when unknown), so the front overwrites them, for an
//! anonymous request and for a known user alike.

use crate::harness::{ConfigBuilder, FakeApp, Front, Gateway, Pages, Seen, Whoami, free_ports};

/// An echo app, and a gateway trusting loopback in front of it.
async fn backend() -> (FakeApp, Gateway, tempfile::TempDir) {
    let app = FakeApp::builder()
        .session_cookie("app_session")
        .session_prefix("emp-acme", Whoami::person("emp@acme.example", "acme"))
        .pages(Pages::Echo)
        .start()
        .await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_ports();
    let path = ConfigBuilder::new(port, &app.address)
        .session_cookie("app_session")
        .trusted_proxies("127.0.0.1/32")
        .write(dir.path());
    let gw = Gateway::serve(&path, port, dir.path()).await;
    (app, gw, dir)
}

/// What the app saw of a request through `front` with forged headers.
async fn seen(front: &Front, session: Option<&str>) -> Seen {
    let client = reqwest::Client::new();
    let mut req = client
        .get(format!("http://127.0.0.1:{}/page", front.port))
        .header("remote-user", "admin@acme.example")
        .header("remote-groups", "admins");
    if let Some(s) = session {
        req = req.header("cookie", format!("app_session={s}"));
    }
    let r = req.send().await.unwrap();
    assert_eq!(r.status(), 200);
    Seen::of(&r.text().await.unwrap())
}

async fn check(front: &Front) {
    let anonymous = seen(front, None).await;
    assert_eq!(anonymous.one("remote-user").unwrap_or_default(), "");
    assert_eq!(anonymous.one("remote-groups").unwrap_or_default(), "");
    let known = seen(front, Some("emp-acme-1")).await;
    assert_eq!(
        known.one("remote-user").as_deref(),
        Some("emp@acme.example")
    );
    assert_eq!(known.one("remote-groups").as_deref(), Some("acme"));
}

#[tokio::test]
async fn forged_identity_headers_do_not_pass_nginx() {
    let (app, gw, _dir) = backend().await;
    let app_port: u16 = app.address.rsplit(':').next().unwrap().parse().unwrap();
    check(&Front::nginx_for(gw.port, app_port).await).await;
}

#[tokio::test]
async fn forged_identity_headers_do_not_pass_caddy() {
    let (app, gw, _dir) = backend().await;
    let app_port: u16 = app.address.rsplit(':').next().unwrap().parse().unwrap();
    check(&Front::caddy_for(gw.port, app_port).await).await;
}
