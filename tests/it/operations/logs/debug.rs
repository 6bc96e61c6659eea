//! Debug logs (issue 11, point 8): `MFA_GATE_LOG=debug` turns on mfa-gate's
//! own debug output only; pingora's (which prints `Cookie` and `Set-Cookie`
//! values) stays off unless named. The demo runs with it, two people log
//! in, one enrolls, both browse: no cookie value reaches the log.

use crate::harness::{Gateway, enroll};
use std::time::{Duration, Instant};

#[tokio::test]
async fn debug_logging_prints_no_cookie_value() {
    let tmp = tempfile::tempdir().unwrap();
    let demo = Gateway::demo_logging(tmp.path(), "debug").await;

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
