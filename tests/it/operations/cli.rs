//! The command line an operator and a container use: `--version`,
//! `healthcheck URL` (the image's health check, no shell needed) and
//! `check-config` refusing what `serve` would (here: a store path that is
//! not a directory).

use super::{config, echo_app};
use crate::harness::{Gateway, free_ports, run_cli};

#[tokio::test]
async fn version_healthcheck_and_check_config() {
    let run = run_cli(&["--version"], &[]).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.stdout.trim(),
        format!("mfa-gate {}", env!("CARGO_PKG_VERSION"))
    );

    let app = echo_app().await;
    let tmp = tempfile::tempdir().unwrap();
    let port = free_ports();
    let cfg = config(port, &app.address).write(tmp.path());
    let gw = Gateway::serve(&cfg, port, tmp.path()).await;
    let health = gw.url("/_mfa/healthz");
    assert_eq!(run_cli(&["healthcheck", &health], &[]).await.code, 0);
    let dead = format!("http://127.0.0.1:{}/_mfa/healthz", port + 1);
    let run = run_cli(&["healthcheck", &dead], &[]).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("healthcheck"), "{run:?}");

    let cfg_text = cfg.display().to_string();
    let ok = run_cli(&["check-config", "-c", &cfg_text], &[]).await;
    assert_eq!(ok.code, 0, "{ok:?}");
    assert!(ok.stdout.contains("OK"), "{ok:?}");
    let other = tempfile::tempdir().unwrap();
    std::fs::write(other.path().join("store"), "a file, not a directory").unwrap();
    let cfg = config(port, &app.address).write(other.path());
    let run = run_cli(&["check-config", "-c", &cfg.display().to_string()], &[]).await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("store.path") && run.stderr.contains("not a directory"),
        "{run:?}"
    );
}
