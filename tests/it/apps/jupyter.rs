//! Jupyter Server (PyPI's `jupyter_server`, unmodified, password login)
//! behind mfa-gate with docs/recipes/jupyter.yaml: its login cookie's name
//! carries the host and port (`session_cookie_prefix`); sign-in through
//! its own form, enrollment, its file pages and REST API, a new challenge
//! after logout and login, a request of an unverified session never
//! reaches the server (its own log), and a second `username-` cookie is
//! refused.

use super::{AppProcess, apps_dir, drop_expired, enroll, gateway, redirect_path, require};
use crate::harness::{Browser, Front, Gateway, free_ports, run_cli};
use std::path::Path;
use std::process::Command;

const PASSWORD: &str = "Jup-pass-123";

/// Jupyter Server on `port`, password login only (no token), serving
/// `dir/files`, its state under `dir`.
async fn start_jupyter(dir: &Path, port: u16) -> AppProcess {
    let bin = apps_dir().join("venv/bin");
    require(
        &bin.join("jupyter-server"),
        "Jupyter Server (PyPI `jupyter_server`)",
    );
    let out = Command::new(bin.join("python"))
        .args([
            "-c",
            &format!("from jupyter_server.auth import passwd; print(passwd('{PASSWORD}'))"),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let hashed = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let files = dir.join("files");
    std::fs::create_dir_all(&files).unwrap();
    std::fs::write(files.join("notes.txt"), "quarterly numbers\n").unwrap();
    let mut serve = Command::new(bin.join("jupyter-server"));
    serve
        .args([
            "--allow-root",
            "--ServerApp.ip=127.0.0.1",
            &format!("--ServerApp.port={port}"),
            "--ServerApp.port_retries=0",
            "--ServerApp.open_browser=False",
            &format!("--ServerApp.root_dir={}", files.display()),
            &format!("--PasswordIdentityProvider.hashed_password={hashed}"),
            "--IdentityProvider.token=",
        ])
        .env("HOME", dir)
        .env("JUPYTER_CONFIG_DIR", dir.join("config"))
        .env("JUPYTER_DATA_DIR", dir.join("data"))
        .env("JUPYTER_RUNTIME_DIR", dir.join("runtime"));
    AppProcess::start(serve, port, dir.join("jupyter.log"), "/api").await
}

/// Sign in through Jupyter's own form (through the gateway).
async fn sign_in(b: &mut Browser) {
    let form = b.get("/login").await;
    assert_eq!(form.status, 200, "login form: {}", form.body);
    let xsrf = form.input_value("_xsrf").expect("_xsrf");
    let r = b
        .post_form(
            "/login?next=%2F",
            &[("_xsrf", &xsrf), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status, 302, "login: {}", r.body);
    assert!(
        b.cookies
            .keys()
            .any(|k| k.starts_with("username-127-0-0-1-")),
        "{:?}",
        b.cookies.keys()
    );
}

/// A request Jupyter logs (a missing file: 404, logged at warning level)
/// with a unique marker: the gateway's 303 and absent from Jupyter's log
/// when unverified; Jupyter's 404 and logged when verified.
async fn probe(b: &mut Browser, app: &AppProcess, marker: &str, verified: bool) {
    let path = format!("/api/contents/probe-{marker}");
    let r = b.get(&path).await;

    if verified {
        assert_eq!(r.status, 404, "{}", r.body);
        assert!(
            app.logs_soon(&format!("probe-{marker}")).await,
            "Jupyter served {marker}"
        );
    } else {
        assert_eq!(r.status, 303, "{}", r.body);
        // Checked again at the end, after requests Jupyter did log.
        assert!(
            !app.log_text().contains(&format!("probe-{marker}")),
            "{marker}"
        );
    }
}

#[tokio::test]
async fn jupyter_server_behind_the_gateway() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_ports();
    let app = start_jupyter(dir.path(), port + 1).await;
    let gw = gateway("jupyter", port, port + 1, dir.path()).await;

    let mut b = gw.browser();
    // Not logged in: Jupyter's own answer (its API refuses with 403).
    assert_eq!(b.api_get("/api/contents").await.status, 403);
    sign_in(&mut b).await;
    let r = b.get("/files/notes.txt").await;
    assert_eq!(
        (r.status, redirect_path(&r).as_str()),
        (303, "/_mfa/enroll")
    );
    probe(&mut b, &app, "before-enrolling", false).await;
    let secret = enroll(&mut b).await;

    // Its pages and its REST API.
    let page = b.get("/view/notes.txt").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("notes.txt"), "{}", page.body);
    let file = b.api_get("/api/contents/notes.txt?content=1").await;
    assert_eq!(file.json()["content"], "quarterly numbers\n");
    let listing = b.api_get("/api/contents").await;
    assert_eq!(listing.status, 200, "{}", listing.body);
    assert_eq!(listing.json()["content"][0]["name"], "notes.txt");
    probe(&mut b, &app, "verified", true).await;
    // What an operator sees with these cookies and the browser's host.
    let mut args = vec!["identity-check".to_owned(), "-c".into()];
    args.push(dir.path().join("mfa-gate.yaml").display().to_string());
    for (k, v) in &b.cookies {
        args.extend(["--cookie".to_owned(), format!("{k}={v}")]);
    }
    args.extend(["--host".to_owned(), format!("127.0.0.1:{port}")]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let check = run_cli(&args, &[]).await;
    assert_eq!(check.code, 0, "{}{}", check.stdout, check.stderr);
    assert!(
        check.stdout.contains("account: jupyter-owner"),
        "{}",
        check.stdout
    );
    // Without the host the browser used, Jupyter looks for another cookie.
    let without_host = run_cli(&args[..args.len() - 2], &[]).await;
    assert_eq!(without_host.code, 1, "{}", without_host.stdout);
    assert!(
        without_host.stdout.contains("anonymous: HTTP 403"),
        "{}",
        without_host.stdout
    );

    // A second cookie with the prefix: which session would Jupyter read?
    let mut two = gw.browser();
    two.cookies = b.cookies.clone();
    two.cookies
        .insert("username-other-host".into(), "\"x\"".into());
    assert_eq!(two.get("/files/notes.txt").await.status, 400);

    // Logout, a new login: challenged again.
    let out = b.get("/logout").await;
    assert_eq!(out.status, 200, "{}", out.body);
    drop_expired(&mut b, &out);
    assert_eq!(b.api_get("/api/contents").await.status, 403, "logged out");
    sign_in(&mut b).await;
    let r = b.get("/files/notes.txt").await;
    assert_eq!(
        (r.status, redirect_path(&r).as_str()),
        (303, "/_mfa/challenge")
    );
    probe(&mut b, &app, "after-relogin", false).await;
    b.pass_challenge(&secret).await;
    probe(&mut b, &app, "challenged-and-passed", true).await;
    app.never_logged(&["probe-before-enrolling", "probe-after-relogin"]);
}

/// The same server behind Caddy (the `forward_auth` recipe of docs/behind-a-proxy.md),
/// mfa-gate answering Caddy's asks: the host-bound cookie name reads the
/// same through the front, and an unverified request never reaches it.
#[tokio::test]
async fn jupyter_server_behind_caddy_forward_auth() {
    behind_a_front(Front::caddy_for, "caddy").await;
}

/// The same behind nginx (`auth_request`, the recipe of docs/behind-a-proxy.md).
#[tokio::test]
async fn jupyter_server_behind_nginx_auth_request() {
    behind_a_front(Front::nginx_for, "nginx").await;
}

async fn behind_a_front<F, Fut>(start_front: F, name: &str)
where
    F: FnOnce(u16, u16) -> Fut,
    Fut: std::future::Future<Output = Front>,
{
    let dir = tempfile::tempdir().unwrap();
    let port = free_ports();
    let app = start_jupyter(dir.path(), port + 1).await;
    let config = super::recipe_config("jupyter", port, port + 1, dir.path());
    let mut yaml = std::fs::read_to_string(&config).unwrap();
    yaml.push_str("trusted_proxies: [127.0.0.1/32]\n");
    std::fs::write(&config, yaml).unwrap();
    let _gw = Gateway::serve(&config, port, dir.path()).await;
    let front = start_front(port, port + 1).await;

    let mut b = front.browser();
    assert_eq!(
        b.api_get("/api/contents").await.status,
        403,
        "Jupyter's own"
    );
    sign_in(&mut b).await;
    let r = b.get("/files/notes.txt").await;
    assert!(matches!(r.status, 302 | 303), "{name}: {}", r.status);
    assert_eq!(redirect_path(&r), "/_mfa/enroll", "{name}");
    let unverified = format!("behind-{name}-unverified");
    probe_through(&mut b, &app, &unverified, false).await;
    enroll(&mut b).await;
    let page = b.get("/view/notes.txt").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let file = b.api_get("/api/contents/notes.txt?content=1").await;
    assert_eq!(file.json()["content"], "quarterly numbers\n");
    probe_through(&mut b, &app, &format!("behind-{name}-verified"), true).await;
    app.never_logged(&[&format!("probe-{unverified}")]);
}

/// `probe`, where a front may redirect with 302 (nginx) or 303 (Caddy
/// passes the gateway's).
async fn probe_through(b: &mut Browser, app: &AppProcess, marker: &str, verified: bool) {
    let path = format!("/api/contents/probe-{marker}");
    let r = b.get(&path).await;
    if verified {
        assert_eq!(r.status, 404, "{}", r.body);
        assert!(app.logs_soon(&format!("probe-{marker}")).await, "{marker}");
    } else {
        assert!(matches!(r.status, 302 | 303), "{}: {}", r.status, r.body);
    }
}
