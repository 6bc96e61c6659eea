//! The metrics listener (`metrics.listen`): `/metrics` without a token and
//! nothing of the support API; `/livez` while the process runs, whatever
//! the store; `/readyz` only while the store answers. And the
//! configuration file watched (`server.watch_config`): a ConfigMap-style
//! symlink swap applies the new file without a signal, a broken file
//! changes nothing.

use super::{TOKEN, config, echo_app, scrape, series};
use crate::harness::{Gateway, free_ports};
use mfa_gate::store::testing::LocalPostgres;
use std::time::{Duration, Instant};

async fn get(url: &str) -> (u16, String) {
    let r = reqwest::get(url).await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// GET `url` until its status is `status` (deadline 20 s).
async fn until_status(url: &str, status: u16) -> (u16, String) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let got = get(url).await;
        if got.0 == status || Instant::now() > deadline {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn the_metrics_listener_answers_probes_and_scrapes_only() {
    let app = echo_app().await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_ports();
    let metrics = free_ports();
    let path = config(port, &app.address)
        .extra(&format!("metrics:\n  listen: 127.0.0.1:{metrics}\n"))
        .write(dir.path());
    let _gw = Gateway::serve(&path, port, dir.path()).await;
    let base = format!("http://127.0.0.1:{metrics}");
    let (status, body) = get(&format!("{base}/metrics")).await;
    assert_eq!(status, 200);
    assert!(body.contains("mfa_gate_requests_total"), "{body}");
    assert_eq!(get(&format!("{base}/livez")).await.0, 200);
    assert_eq!(get(&format!("{base}/readyz")).await.0, 200);
    // The support API is not there, token or not.
    let client = reqwest::Client::new();
    for path in ["/v1/accounts/x", "/v1/accounts/x/reset", "/v1/reload"] {
        let r = client
            .post(format!("{base}{path}"))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 405, "{path}");
        let r = client
            .get(format!("{base}{path}"))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_database_the_replica_is_alive_but_not_ready() {
    let pg = tokio::task::spawn_blocking(LocalPostgres::start)
        .await
        .unwrap()
        .expect("a private PostgreSQL cluster");
    let app = echo_app().await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_ports();
    let metrics = free_ports();
    let path = config(port, &app.address)
        .extra(&format!("metrics:\n  listen: 127.0.0.1:{metrics}\n"))
        .write(dir.path());
    std::fs::write(dir.path().join("db.url"), pg.url()).unwrap();
    let yaml = std::fs::read_to_string(&path).unwrap().replace(
        "store:\n  path: store\n",
        "store:\n  backend: postgres\n  url: { file: db.url }\n  tls: disable\n",
    );
    std::fs::write(&path, yaml).unwrap();
    let _gw = Gateway::serve(&path, port, dir.path()).await;
    let base = format!("http://127.0.0.1:{metrics}");
    assert_eq!(get(&format!("{base}/readyz")).await.0, 200);
    pg.stop(true).unwrap();
    let (status, body) = until_status(&format!("{base}/readyz"), 503).await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("store_unavailable"), "{body}");
    let (status, _) = get(&format!("{base}/livez")).await;
    assert_eq!(status, 200, "liveness never asks the store");
}

#[tokio::test]
async fn a_swapped_config_file_is_applied_without_a_signal() {
    let app = echo_app().await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_ports();
    // A ConfigMap volume: the file is a symlink into `..data`, itself a
    // symlink to a timestamped directory that an update replaces.
    let v1 = dir.path().join("v1");
    std::fs::create_dir(&v1).unwrap();
    let written = config(port, &app.address)
        .company("acme", "optional")
        .write(&v1);
    let yaml = std::fs::read_to_string(&written).unwrap();
    let watched = yaml.replace("server:\n", "server:\n  watch_config: true\n");
    assert_ne!(watched, yaml, "the config has a server section");
    std::fs::write(&written, watched).unwrap();
    std::os::unix::fs::symlink("v1", dir.path().join("..data")).unwrap();
    for name in ["mfa-gate.yaml", "hmac.key", "enc.key", "token"] {
        std::os::unix::fs::symlink(format!("..data/{name}"), dir.path().join(name)).unwrap();
    }
    let path = dir.path().join("mfa-gate.yaml");
    let gw = Gateway::serve(&path, port, dir.path()).await;
    let mut b = gw.browser();
    b.cookies.insert("app_session".into(), "emp-acme-1".into());
    assert_eq!(b.get("/").await.status, 200, "optional: the app is open");

    // The update: a new directory, then `..data` swapped to it at once.
    let v2 = dir.path().join("v2");
    std::fs::create_dir(&v2).unwrap();
    for name in ["hmac.key", "enc.key", "token"] {
        std::fs::copy(v1.join(name), v2.join(name)).unwrap();
    }
    let yaml = std::fs::read_to_string(v1.join("mfa-gate.yaml")).unwrap();
    let required = yaml.replace("acme: optional", "acme: required");
    assert_ne!(required, yaml);
    std::fs::write(v2.join("mfa-gate.yaml"), &required).unwrap();
    std::os::unix::fs::symlink("v2", dir.path().join("..data.tmp")).unwrap();
    std::fs::rename(dir.path().join("..data.tmp"), dir.path().join("..data")).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while b.get("/").await.status == 200 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let r = b.get("/").await;
    assert_eq!(
        r.location(),
        Some("/_mfa/enroll"),
        "required after the swap"
    );
    let ok = series(
        &scrape(&gw).await,
        "mfa_gate_config_reloads_total{result=\"ok\"}",
    );
    assert_eq!(ok, 1.0);

    // A broken update is refused; the configuration in force stays.
    std::fs::write(v2.join("mfa-gate.yaml"), "listen: [").unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let failed = "mfa_gate_config_reloads_total{result=\"rejected\"}";
    while series(&scrape(&gw).await, failed) < 1.0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(series(&scrape(&gw).await, failed), 1.0);
    assert_eq!(b.get("/").await.location(), Some("/_mfa/enroll"));
}
