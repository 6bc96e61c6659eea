//! Lies about who is logged in. Identity headers sent by a peer that is not
//! a trusted proxy are stripped and believed by no one; a whoami endpoint
//! that suddenly names another account for the same app session does not
//! inherit the first account's verified state. (A whoami endpoint that is
//! down, slow, answers garbage, a huge body or an unknown class is covered
//! by `identity_failures`: each fails closed with 503.)

use super::assert_still_serving;
use crate::harness::{Browser, Gateway, free_ports};
use crate::totp_ref;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Who the fake app says each session cookie value belongs to.
type Sessions = Arc<Mutex<HashMap<String, String>>>;

/// A fake app: `GET /api/me` answers the JSON registered for the
/// `demo_session` cookie (401 without one); every other request is echoed:
/// the body is the request head exactly as the app received it.
async fn fake_app(sessions: Sessions) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let sessions = sessions.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16 * 1024];
                let mut n = 0;
                while !buf[..n].windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut buf[n..]).await {
                        Ok(0) | Err(_) => return,
                        Ok(k) => n += k,
                    }
                }
                let head = String::from_utf8_lossy(&buf[..n]).to_string();
                let (status, body) = if head.starts_with("GET /api/me") {
                    let sid = head.lines().find_map(|l| {
                        let v = l.strip_prefix("cookie: ").or(l.strip_prefix("Cookie: "))?;
                        v.split("; ").find_map(|c| c.strip_prefix("demo_session="))
                    });
                    let known = sid.and_then(|s| sessions.lock().unwrap().get(s).cloned());
                    match known {
                        Some(json) => ("200 OK", json),
                        None => ("401 Unauthorized", "{}".to_owned()),
                    }
                } else {
                    ("200 OK", head)
                };
                let reply = format!(
                    "HTTP/1.1 {status}\r\nContent-Length: {}\r\nContent-Type: text/plain\r\n\
                     Connection: close\r\nX-Demo-App: 1\r\n\r\n{body}",
                    body.len()
                );
                let _ = sock.write_all(reply.as_bytes()).await;
            });
        }
    });
    addr
}

fn config(dir: &Path, port: u16, upstream: &str, identity: &str, extra: &str) -> PathBuf {
    std::fs::write(dir.join("hmac.key"), "33".repeat(32)).unwrap();
    std::fs::write(dir.join("enc.key"), "44".repeat(32)).unwrap();
    let yaml = format!(
        "listen: 127.0.0.1:{port}\n\
         upstream:\n  address: {upstream}\n  connect_timeout: 500ms\n  read_timeout: 2s\n\
         identity:\n{identity}\
         store:\n  path: store\n\
         secrets:\n  hmac_key: {{ file: hmac.key }}\n  encryption_key: {{ file: enc.key }}\n\
         cookie:\n  secure: false\n\
         companies:\n  acme: required\n\
         {extra}"
    );
    let path = dir.join("mfa-gate.yaml");
    std::fs::write(&path, yaml).unwrap();
    path
}

fn person(account: &str, company: &str) -> String {
    serde_json::json!({"account": account, "company": company, "class": "employee"}).to_string()
}

/// Enroll the session of `b` (any issuer), returning nothing but the
/// gateway cookie it now carries.
async fn enroll_plain(b: &mut Browser) -> String {
    let page = b.get("/_mfa/enroll").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let secret = totp_ref::secret_from_uri(&page.href_of("otpauth-link").unwrap());
    let csrf = page.input_value("csrf").unwrap();
    let code = totp_ref::code(&secret, totp_ref::now_step(), 6);
    let r = b
        .post_form("/_mfa/enroll", &[("csrf", &csrf), ("code", &code)])
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    b.cookies["mfa_gate"].clone()
}

#[tokio::test]
async fn whoami_naming_another_account_does_not_inherit_the_verified_state() {
    let sessions: Sessions = Arc::default();
    let app = fake_app(sessions.clone()).await;
    let tmp = tempfile::tempdir().unwrap();
    let port = free_ports();
    let identity = "  session_cookie: demo_session\n  whoami_path: /api/me\n  \
                    whoami_timeout: 500ms\n  cache_ttl: 100ms\n";
    let cfg = config(tmp.path(), port, &app, identity, "");
    let gw = Gateway::serve(&cfg, port, tmp.path()).await;
    {
        let mut s = sessions.lock().unwrap();
        s.insert("s-alice".into(), person("alice", "acme"));
        s.insert("s-bob".into(), person("bob", "acme"));
    }
    let mut alice = Browser::new(gw.url(""));
    alice
        .cookies
        .insert("demo_session".into(), "s-alice".into());
    let alice_cookie = enroll_plain(&mut alice).await;
    let r = alice.get("/private").await;
    assert_eq!((r.status, r.came_from_app()), (200, true));
    let mut bob = Browser::new(gw.url(""));
    bob.cookies.insert("demo_session".into(), "s-bob".into());
    enroll_plain(&mut bob).await;

    // The app now says alice's session is bob's (a session mix-up in the
    // app, or an attacker who got bob's account onto alice's session): the
    // verified state was alice's and stays hers.
    for (who, company) in [("bob", "acme"), ("alice", "other-company")] {
        sessions
            .lock()
            .unwrap()
            .insert("s-alice".into(), person(who, company));
        // Let the cached answer (100 ms) expire.
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        let r = alice.get("/private").await;
        if company == "acme" {
            assert_eq!(r.status, 303, "{who}@{company}: {}", r.body);
            assert_eq!(r.location(), Some("/_mfa/challenge?return_to=%2Fprivate"));
        } else {
            // Unknown company, optional policy, not enrolled: passes — but
            // as that person, with nothing of alice's.
            assert_eq!(r.status, 200);
        }
        assert_eq!(alice.cookies["mfa_gate"], alice_cookie);
    }
    // Back to alice: her verified state is intact.
    sessions
        .lock()
        .unwrap()
        .insert("s-alice".into(), person("alice", "acme"));
    tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    assert_eq!(alice.get("/private").await.status, 200);
    assert_still_serving(&gw).await;
}

async fn headers_gateway(trusted: &str) -> (Gateway, tempfile::TempDir) {
    let app = fake_app(Arc::default()).await;
    let tmp = tempfile::tempdir().unwrap();
    let port = free_ports();
    let identity = "  source: headers\n  headers:\n    account: X-Auth-User\n    \
                    company: X-Auth-Company\n    class: X-Auth-Class\n    session: X-Auth-Session\n";
    let extra = format!("trusted_proxies: [{trusted}]\n");
    let cfg = config(tmp.path(), port, &app, identity, &extra);
    let gw = Gateway::serve(&cfg, port, tmp.path()).await;
    (gw, tmp)
}

async fn spoofed(gw: &Gateway) -> crate::harness::Resp {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = client
        .get(gw.url("/private"))
        .header("accept", "text/html")
        .header("x-auth-user", "ceo@acme.example")
        .header("X-AUTH-COMPANY", "acme")
        .header("x-auth-class", "admin")
        .header("x-auth-session", "forged-session")
        .send()
        .await
        .unwrap();
    crate::harness::Resp {
        status: r.status().as_u16(),
        headers: r.headers().clone(),
        body: r.text().await.unwrap(),
    }
}

#[tokio::test]
async fn identity_headers_from_an_untrusted_peer_are_stripped() {
    // Only 192.0.2.1 (TEST-NET) is a trusted proxy; the test is 127.0.0.1.
    let (gw, _tmp) = headers_gateway("192.0.2.1/32").await;
    let r = spoofed(&gw).await;
    assert_eq!(r.status, 200, "anonymous to the gateway: {}", r.body);
    assert!(r.came_from_app());
    let forwarded = r.body.to_ascii_lowercase();
    assert!(forwarded.starts_with("get /private"), "{forwarded}");
    for name in [
        "x-auth-user",
        "x-auth-company",
        "x-auth-class",
        "x-auth-session",
    ] {
        assert!(
            !forwarded.contains(name),
            "{name} reached the app:\n{forwarded}"
        );
    }
    assert!(!forwarded.contains("ceo@acme.example"));
    assert_still_serving(&gw).await;

    // The same headers from a trusted peer are believed: acme requires
    // 2FA, so the (unenrolled) admin is sent to enrollment.
    let (gw, _tmp) = headers_gateway("127.0.0.1/32").await;
    let r = spoofed(&gw).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(
        r.headers.get("location").and_then(|v| v.to_str().ok()),
        Some("/_mfa/enroll?return_to=%2Fprivate")
    );
}
