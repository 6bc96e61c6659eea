//! Debug logs (issue 11, point 8): `MFA_GATE_LOG=debug` turns on mfa-gate's
//! own debug output only; pingora's (which prints `Cookie` and `Set-Cookie`
//! values) stays off unless named. The demo runs with it, two people log
//! in, one enrolls, both browse: no cookie value reaches the log.

use crate::enrollment::enroll;
use crate::harness::{BIN, Browser, free_ports};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `mfa-gate demo` with `MFA_GATE_LOG` set to `filter` (the harness's
/// `Gateway` always runs at `info`); killed when dropped.
struct DebugDemo {
    child: Child,
    port: u16,
    log: std::path::PathBuf,
}

impl DebugDemo {
    async fn start(data: &Path, filter: &str) -> DebugDemo {
        let port = free_ports();
        let log = data.join("gateway.log");
        let stderr = std::fs::File::create(&log).unwrap();
        let child = Command::new(BIN)
            .args(["demo", "--port", &port.to_string(), "--data"])
            .arg(data)
            .stdout(Stdio::null())
            .stderr(Stdio::from(stderr))
            .env("MFA_GATE_LOG", filter)
            .spawn()
            .expect("start mfa-gate demo");
        let mut demo = DebugDemo { child, port, log };
        demo.wait_ready(&format!("http://127.0.0.1:{}/login", port + 1))
            .await;
        demo.wait_ready(&format!("http://127.0.0.1:{port}/_mfa/healthz"))
            .await;
        demo
    }

    async fn wait_ready(&mut self, url: &str) {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("mfa-gate demo exited ({status}); log:\n{}", self.log());
            }
            if client
                .get(url)
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{url} not ready; log:\n{}", self.log());
    }

    fn browser(&self) -> Browser {
        Browser::new(format!("http://127.0.0.1:{}", self.port))
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for DebugDemo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn debug_logging_prints_no_cookie_value() {
    let tmp = tempfile::tempdir().unwrap();
    let demo = DebugDemo::start(tmp.path(), "debug").await;

    let mut jiro = demo.browser();
    jiro.login("jiro@acme.example").await;
    assert_eq!(jiro.get("/").await.status, 200);
    assert_eq!(jiro.api_get("/api/data").await.status, 200);

    let mut taro = demo.browser();
    taro.login("taro@globex.example").await;
    assert_eq!(taro.get("/").await.status, 303, "taro must enroll first");
    enroll(&mut taro).await;
    assert_eq!(taro.get("/").await.status, 200);
    assert_eq!(taro.api_get("/api/data").await.status, 200);

    let secrets = [
        ("jiro's demo_session", jiro.cookies["demo_session"].clone()),
        ("taro's demo_session", taro.cookies["demo_session"].clone()),
        ("taro's mfa_gate cookie", taro.cookies["mfa_gate"].clone()),
    ];
    // Every request of both browsers was seen (access lines are written
    // after each response, so wait for the last one).
    let deadline = Instant::now() + Duration::from_secs(10);
    while demo.log().matches("mfa_gate::access").count() < 8 {
        assert!(Instant::now() < deadline, "access lines:\n{}", demo.log());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let log = demo.log();
    for (what, value) in &secrets {
        assert!(value.len() >= 16, "{what}: {value}");
        assert!(!log.contains(value.as_str()), "{what} in the debug log");
    }
    assert!(
        !log.lines().any(|l| l.contains("DEBUG pingora")),
        "pingora's debug output is on without being named:\n{log}"
    );
}
