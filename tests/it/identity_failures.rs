//! When the app cannot say who a session is, mfa-gate fails closed: an
//! unreachable, slow, or confused whoami endpoint, or one answering a
//! status not configured as "not logged in" (a WAF's 403 by default), gives
//! a 503 (a page for browsers, JSON for API calls), never a pass — and the
//! proxy keeps serving.

use crate::harness::{Browser, Gateway, free_ports};
use std::path::Path;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Write a `serve` config for `port` in front of `upstream`.
pub fn write_config(dir: &Path, port: u16, upstream: &str, extra: &str) -> std::path::PathBuf {
    write_config_with(dir, port, upstream, "", extra)
}

/// `write_config` with `identity` lines added to the identity section.
pub fn write_config_with(
    dir: &Path,
    port: u16,
    upstream: &str,
    identity: &str,
    extra: &str,
) -> std::path::PathBuf {
    std::fs::write(dir.join("hmac.key"), "11".repeat(32)).unwrap();
    std::fs::write(dir.join("enc.key"), "22".repeat(32)).unwrap();
    let yaml = format!(
        "listen: 127.0.0.1:{port}\n\
         upstream:\n  address: {upstream}\n  connect_timeout: 500ms\n  read_timeout: 2s\n\
         identity:\n  session_cookie: demo_session\n  whoami_path: /api/me\n  whoami_timeout: 500ms\n  cache_ttl: 1s\n{identity}\
         store:\n  path: store\n\
         secrets:\n  hmac_key: {{ file: hmac.key }}\n  encryption_key: {{ file: enc.key }}\n\
         cookie:\n  secure: false\n\
         bypass: [/login]\n\
         {extra}"
    );
    let path = dir.join("mfa-gate.yaml");
    std::fs::write(&path, yaml).unwrap();
    path
}

/// A fake app whose `/api/me` misbehaves as `whoami` says; everything else
/// answers 200 "app". Raw HTTP/1.0-style: one request per connection.
async fn fake_app(whoami: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let mut n = 0;
                while !buf[..n].windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut buf[n..]).await {
                        Ok(0) | Err(_) => return,
                        Ok(k) => n += k,
                    }
                }
                let head = String::from_utf8_lossy(&buf[..n]).to_string();
                let (status, body): (&str, Vec<u8>) = if head.starts_with("GET /api/me") {
                    match whoami {
                        "garbage" => ("200 OK", b"{not json".to_vec()),
                        "huge" => ("200 OK", vec![b' '; 10 * 1024 * 1024]),
                        "slow" => {
                            tokio::time::sleep(Duration::from_secs(3)).await;
                            (
                                "200 OK",
                                br#"{"account":"a","company":"c","class":"employee"}"#.to_vec(),
                            )
                        }
                        "error" => ("500 Internal Server Error", b"oops".to_vec()),
                        // A WAF or rate limiter in front of whoami.
                        "forbidden" => ("403 Forbidden", b"blocked".to_vec()),
                        "wrong_shape" => (
                            "200 OK",
                            br#"{"account":"a","company":"c","class":"root"}"#.to_vec(),
                        ),
                        _ => ("401 Unauthorized", b"{}".to_vec()),
                    }
                } else {
                    ("200 OK", b"app".to_vec())
                };
                let head = format!(
                    "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\nX-Demo-App: 1\r\n\r\n",
                    body.len()
                );
                let _ = sock.write_all(head.as_bytes()).await;
                let _ = sock.write_all(&body).await;
            });
        }
    });
    addr
}

async fn check_fails_closed(gw: &Gateway) {
    let mut b = Browser::new(gw.url(""));
    b.cookies
        .insert("demo_session".into(), "some-session".into());
    let page = b.get("/private").await;
    assert_eq!(page.status, 503, "{}", page.body);
    assert!(!page.came_from_app(), "nothing reached the app");
    assert!(
        page.body.contains("Temporarily unavailable"),
        "{}",
        page.body
    );
    let api = b.api_get("/api/data").await;
    assert_eq!(api.status, 503);
    assert_eq!(api.json()["error"], "mfa_unavailable");
    // Our pages fail closed too.
    assert_eq!(b.get("/_mfa/enroll").await.status, 503);
    // The gateway still serves what needs no identity.
    assert_eq!(b.get("/_mfa/healthz").await.status, 200);
}

#[tokio::test]
async fn whoami_down_fails_closed_with_503() {
    let tmp = tempfile::tempdir().unwrap();
    let port = free_ports();
    // Nothing listens on port+1.
    let cfg = write_config(tmp.path(), port, &format!("127.0.0.1:{}", port + 1), "");
    let gw = Gateway::serve(&cfg, port, tmp.path()).await;
    check_fails_closed(&gw).await;
    // Anonymous traffic is the app's business: it is proxied, and the dead
    // upstream shows as a gateway error, not a crash.
    let mut anon = Browser::new(gw.url(""));
    let r = anon.get("/").await;
    assert_eq!(r.status, 502);
    assert_eq!(anon.get("/_mfa/healthz").await.status, 200);
}

#[tokio::test]
async fn confused_whoami_answers_fail_closed() {
    for mode in [
        "garbage",
        "huge",
        "slow",
        "error",
        "wrong_shape",
        "forbidden",
    ] {
        let app = fake_app(mode).await;
        let tmp = tempfile::tempdir().unwrap();
        let port = free_ports();
        let cfg = write_config(tmp.path(), port, &app, "");
        let gw = Gateway::serve(&cfg, port, tmp.path()).await;
        check_fails_closed(&gw).await;
        // An anonymous request still reaches the app.
        let mut anon = Browser::new(gw.url(""));
        let r = anon.get("/").await;
        assert_eq!((r.status, r.body.as_str()), (200, "app"), "{mode}");
    }
}

#[tokio::test]
async fn a_401_from_whoami_means_anonymous() {
    let app = fake_app("anonymous").await;
    let tmp = tempfile::tempdir().unwrap();
    let port = free_ports();
    let cfg = write_config(tmp.path(), port, &app, "");
    let gw = Gateway::serve(&cfg, port, tmp.path()).await;
    let mut b = Browser::new(gw.url(""));
    b.cookies.insert("demo_session".into(), "expired".into());
    let r = b.get("/private").await;
    assert_eq!((r.status, r.body.as_str()), (200, "app"));
    let r = b.get("/_mfa/challenge").await;
    assert_eq!(r.status, 401, "our pages need a logged-in session");
}

#[tokio::test]
async fn a_403_from_whoami_passes_only_when_configured_as_anonymous() {
    let app = fake_app("forbidden").await;
    let tmp = tempfile::tempdir().unwrap();
    let port = free_ports();
    let statuses = "  anonymous_statuses: [401, 403]\n";
    let cfg = write_config_with(tmp.path(), port, &app, statuses, "");
    let gw = Gateway::serve(&cfg, port, tmp.path()).await;
    let mut b = Browser::new(gw.url(""));
    b.cookies.insert("demo_session".into(), "blocked".into());
    let r = b.get("/private").await;
    assert_eq!((r.status, r.body.as_str()), (200, "app"));
    let r = b.get("/_mfa/challenge").await;
    assert_eq!(r.status, 401, "our pages need a logged-in session");
}
