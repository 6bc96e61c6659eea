//! Reload without a restart: SIGHUP (and `POST /v1/reload`) re-read the
//! file and apply pinned policies and bypass rules to the very next
//! request — on a keep-alive connection opened before the reload — while
//! keeping the whoami cache; an invalid file changes nothing. SIGTERM stops
//! the gateway within its grace period.

use super::{TOKEN, config, echo_app, scrape, series, signal};
use crate::harness::{Gateway, free_ports};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// One HTTP/1.1 connection, kept open: requests are written and answers
/// read on the same socket, so a dropped connection fails the test.
struct KeepAlive {
    stream: BufReader<TcpStream>,
    host: String,
}

impl KeepAlive {
    async fn open(gw: &Gateway) -> KeepAlive {
        let host = gw.url("").trim_start_matches("http://").to_owned();
        let stream = TcpStream::connect(&host).await.unwrap();
        KeepAlive {
            stream: BufReader::new(stream),
            host,
        }
    }

    /// GET `path` as a browser navigation of `session`; (status, headers lowercased, body).
    async fn get(&mut self, path: &str, session: &str) -> (u16, String, String) {
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\nAccept: text/html\r\nCookie: app_session={session}\r\n\r\n",
            self.host
        );
        self.stream
            .get_mut()
            .write_all(request.as_bytes())
            .await
            .unwrap();
        let mut head = String::new();
        loop {
            let mut line = String::new();
            let n = self.stream.read_line(&mut line).await.unwrap();
            assert!(n > 0, "the gateway closed the keep-alive connection");
            if line == "\r\n" {
                break;
            }
            head.push_str(&line.to_ascii_lowercase());
        }
        let status = head[9..12].parse().unwrap();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .map(|v| v.trim().parse().unwrap())
            .expect("a Content-Length (keep-alive needs it)");
        let mut body = vec![0u8; length];
        self.stream.read_exact(&mut body).await.unwrap();
        assert!(!head.contains("connection: close"), "{head}");
        (status, head, String::from_utf8_lossy(&body).into_owned())
    }
}

/// Wait until `/metrics` shows `n` reloads with `result`.
async fn reloads(gw: &Gateway, result: &str, n: f64) {
    let name = format!("mfa_gate_config_reloads_total{{result=\"{result}\"}}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while series(&scrape(gw).await, &name) < n {
        assert!(
            Instant::now() < deadline,
            "no reload counted; log:\n{}",
            gw.log()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn sighup_applies_a_policy_and_a_bypass_rule_on_an_open_connection() {
    let app = echo_app().await;
    let tmp = tempfile::tempdir().unwrap();
    let port = free_ports();
    let cfg = config(port, &app.address)
        .extra("bypass: [/login]\n")
        .write(tmp.path());
    let gw = Gateway::serve(&cfg, port, tmp.path()).await;
    let mut conn = KeepAlive::open(&gw).await;

    // acme is optional: its unenrolled employee reaches everything.
    assert_eq!(conn.get("/private", "emp-acme-1").await.0, 200);
    assert_eq!(conn.get("/docs/intro", "emp-acme-1").await.0, 200);
    let misses = "mfa_gate_identity_cache_total{result=\"miss\"}";
    assert_eq!(series(&scrape(&gw).await, misses), 1.0);

    // Pin acme to required and exempt /docs/*, then SIGHUP.
    config(port, &app.address)
        .extra("bypass: [/login, /docs/*]\ncompanies:\n  acme: required\n")
        .write(tmp.path());
    signal(&gw, libc::SIGHUP);
    reloads(&gw, "ok", 1.0).await;

    let (status, head, _) = conn.get("/private", "emp-acme-1").await;
    assert_eq!(status, 303, "required now: {head}");
    assert!(head.contains("location: /_mfa/enroll"), "{head}");
    let (status, _, body) = conn.get("/docs/intro", "emp-acme-1").await;
    assert_eq!(status, 200, "bypassed now: {body}");
    assert!(body.contains("not-required"), "{body}");
    assert_eq!(
        series(&scrape(&gw).await, misses),
        1.0,
        "the identity settings did not change: the cache was kept"
    );
    assert!(gw.log().contains("configuration reloaded"));
}

#[tokio::test]
async fn an_invalid_file_is_rejected_and_the_old_configuration_stays() {
    let app = echo_app().await;
    let tmp = tempfile::tempdir().unwrap();
    let port = free_ports();
    let cfg = config(port, &app.address)
        .extra("companies:\n  acme: required\n")
        .write(tmp.path());
    let gw = Gateway::serve(&cfg, port, tmp.path()).await;
    let mut conn = KeepAlive::open(&gw).await;
    assert_eq!(conn.get("/private", "emp-acme-1").await.0, 303);

    // A typo: the whole file is refused, by SIGHUP and by the API.
    config(port, &app.address)
        .extra("companies:\n  acme: optionnal\n")
        .write(tmp.path());
    signal(&gw, libc::SIGHUP);
    reloads(&gw, "rejected", 1.0).await;
    assert_eq!(gw.admin("POST", "/v1/reload", None).await.status, 401);
    let r = gw.admin("POST", "/v1/reload", Some(TOKEN)).await;
    assert_eq!(r.status, 422, "{}", r.body);
    let message = r.json()["message"].as_str().unwrap().to_owned();
    assert!(
        message.contains("companies.acme") && message.contains("line"),
        "{message}"
    );
    assert!(gw.log().contains("configuration reload rejected"));
    assert_eq!(
        conn.get("/private", "emp-acme-1").await.0,
        303,
        "still required"
    );

    // Fixed, through the API; a listener change is reported as needing a restart.
    let fixed = config(port, &app.address)
        .extra("companies:\n  acme: optional\n")
        .write(tmp.path());
    let text = std::fs::read_to_string(&fixed).unwrap();
    std::fs::write(
        &fixed,
        text.replace("grace_period: 1s", "grace_period: 1s\n  threads: 3"),
    )
    .unwrap();
    let r = gw.admin("POST", "/v1/reload", Some(TOKEN)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.json()["restart_needed"],
        serde_json::json!(["server.threads"])
    );
    assert_eq!(conn.get("/private", "emp-acme-1").await.0, 200);

    // The change undone: what runs is what the file says again.
    std::fs::write(&fixed, &text).unwrap();
    let r = gw.admin("POST", "/v1/reload", Some(TOKEN)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["restart_needed"], serde_json::json!([]));
}

#[tokio::test]
async fn sigterm_stops_within_the_grace_period() {
    let app = echo_app().await;
    let tmp = tempfile::tempdir().unwrap();
    let port = free_ports();
    let cfg = config(port, &app.address).write(tmp.path());
    let gw = Gateway::serve(&cfg, port, tmp.path()).await;
    let pid = gw.pid().unwrap() as i32;
    let started = Instant::now();
    signal(&gw, libc::SIGTERM);
    // grace_period is 1s; pingora waits it out, then gives its runtimes 1s:
    // about 2 s, polled with a bound generous enough for a loaded machine.
    loop {
        // SAFETY: probing our own child with signal 0 has no effect.
        let alive = unsafe { libc::kill(pid, 0) } == 0 && !exited(pid);
        if !alive {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "still running 30 s after SIGTERM; log:\n{}",
            gw.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "graceful, not abrupt"
    );
    assert!(gw.log().contains("store flushed"), "{}", gw.log());
}

/// Whether `pid` (our child) has exited; reaps it if so.
fn exited(pid: i32) -> bool {
    let mut status = 0;
    // SAFETY: waitpid on our own child, WNOHANG: no blocking, no memory effects.
    unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) == pid }
}
