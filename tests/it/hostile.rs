//! The hostile-input catalogue: requests an attacker (or a broken client)
//! sends on purpose, each answered with the right 4xx/5xx, without a state
//! change and without a panic — and after each one the gateway still serves
//! the next request (`assert_still_serving`). One file per surface:
//!
//! - `http`: bodies and headers of our POSTs — oversized (413/431/400),
//!   `Expect: 100-continue`, non-UTF-8 and percent garbage, duplicate
//!   fields, CSRF tokens missing/forged/expired, a foreign `Origin`;
//! - `cookies`: the gateway cookie forged, truncated, replayed in another app
//!   session, expired, from before a reset; the app's session cookie sent
//!   twice or hidden behind bytes that are not ASCII;
//! - `redirects`: `return_to` tricks on every hop that redirects;
//! - `identity`: spoofed identity headers and a whoami endpoint that names
//!   the wrong account;
//! - `pages`: security headers on every kind of page we render, and no
//!   unescaped echo of input;
//! - `access`: every route of ours for every standing of a session (the
//!   pages obey the app's rule);
//! - `takeover`: an attacker with the password, before or while the victim
//!   enrolls, and a linked account that would weaken its person's 2FA;
//! - `exhaustion`: hostile hashing load (bounded memory).
//!
//! Shared here: a raw HTTP/1.1 client for what `reqwest` will not send, and
//! an independent implementation of the gateway's MACs (from the key file)
//! so tests can mint tokens the gateway would mint, e.g. expired ones.

mod access;
mod cookies;
mod exhaustion;
mod http;
mod identity;
mod pages;
mod redirects;
mod step_up;
mod takeover;

use crate::harness::{Browser, Gateway};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The HMAC key the demo will use: written into its data directory before
/// the first start (the demo only generates keys that are missing).
pub const HMAC_KEY: [u8; 32] = [0x5a; 32];

/// `mfa-gate demo` on a fresh data directory whose HMAC key the test knows.
pub async fn demo_with_known_key() -> (Gateway, tempfile::TempDir) {
    let tmp = tempfile::tempdir().unwrap();
    let hex: String = HMAC_KEY.iter().map(|b| format!("{b:02x}")).collect();
    std::fs::write(tmp.path().join("hmac.key"), hex).unwrap();
    let gw = Gateway::demo_on(tmp.path()).await;
    (gw, tmp)
}

pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The gateway's domain-separated HMAC-SHA256, written from its
/// description (domain, then each part, each prefixed by its u64 BE length).
pub fn mac(key: &[u8; 32], domain: &str, parts: &[&[u8]]) -> [u8; 32] {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap();
    for field in std::iter::once(domain.as_bytes()).chain(parts.iter().copied()) {
        m.update(&(field.len() as u64).to_be_bytes());
        m.update(field);
    }
    m.finalize().into_bytes().into()
}

fn app_binding(key: &[u8; 32], app_cookie: &str) -> [u8; 16] {
    let full = mac(key, "app-session", &[app_cookie.as_bytes()]);
    full[..16].try_into().unwrap()
}

/// A CSRF token as the gateway would issue it at `issued_at`.
pub fn mint_csrf(key: &[u8; 32], app_cookie: &str, issued_at: i64) -> String {
    let ts = issued_at.to_string();
    let tag = mac(key, "csrf", &[&app_binding(key, app_cookie), ts.as_bytes()]);
    format!("{ts}.{}", URL_SAFE_NO_PAD.encode(tag))
}

/// A gateway cookie value as the gateway would issue it.
pub fn mint_gateway_cookie(
    key: &[u8; 32],
    app_cookie: &str,
    person_key: &str,
    enrollment_id: u64,
    verified_at: i64,
) -> String {
    let mut payload = vec![1u8];
    payload.extend_from_slice(&enrollment_id.to_be_bytes());
    payload.extend_from_slice(&verified_at.to_be_bytes());
    let tag = mac(
        key,
        "gateway-cookie",
        &[
            &payload,
            &app_binding(key, app_cookie),
            person_key.as_bytes(),
        ],
    );
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(&payload),
        URL_SAFE_NO_PAD.encode(tag)
    )
}

/// The enrollment id named by a gateway cookie the gateway issued (formats
/// 2 to 4 carry the HMAC key id before it; format 1, as minted above, not).
pub fn enrollment_id_of(cookie: &str) -> u64 {
    let payload = URL_SAFE_NO_PAD
        .decode(cookie.split('.').next().unwrap())
        .unwrap();
    let at = if payload[0] >= 2 { 5 } else { 1 };
    u64::from_be_bytes(payload[at..at + 8].try_into().unwrap())
}

/// What came back on a raw connection.
#[derive(Debug)]
pub struct RawResp {
    /// Interim (1xx) status lines seen before the final one.
    pub interim: Vec<u16>,
    pub status: u16,
    pub head: String,
    pub body: Vec<u8>,
}

impl RawResp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}

/// Read one response (after any 1xx) from `sock`; `None` if the connection
/// closed before a complete head.
pub async fn read_response(sock: &mut TcpStream) -> Option<RawResp> {
    let mut buf = Vec::new();
    let mut interim = Vec::new();
    loop {
        let end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            let mut chunk = [0u8; 8192];
            match tokio::time::timeout(Duration::from_secs(10), sock.read(&mut chunk)).await {
                Ok(Ok(n)) if n > 0 => buf.extend_from_slice(&chunk[..n]),
                _ => return None,
            }
        };
        let head = String::from_utf8_lossy(&buf[..end]).into_owned();
        buf.drain(..end);
        let status: u16 = head.split(' ').nth(1)?.parse().ok()?;
        if (100..200).contains(&status) {
            interim.push(status);
            continue;
        }
        let mut resp = RawResp {
            interim,
            status,
            head,
            body: Vec::new(),
        };
        let len: usize = resp
            .header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        while buf.len() < len {
            let mut chunk = [0u8; 8192];
            match tokio::time::timeout(Duration::from_secs(10), sock.read(&mut chunk)).await {
                Ok(Ok(n)) if n > 0 => buf.extend_from_slice(&chunk[..n]),
                _ => break,
            }
        }
        resp.body = buf;
        return Some(resp);
    }
}

/// Send `request` (bytes exactly as given) on a new connection and read
/// the answer. A write error (the gateway closed early) is not a failure:
/// the answer, if any, is still read. Every raw request is a hostile one:
/// the gateway must still serve after it ([`assert_still_serving`]).
pub async fn raw(gw: &Gateway, request: &[u8]) -> Option<RawResp> {
    let mut sock = TcpStream::connect(("127.0.0.1", gw.port)).await.unwrap();
    let _ = sock.write_all(request).await;
    let answer = read_response(&mut sock).await;
    drop(sock);
    assert_still_serving(gw).await;
    answer
}

/// The request head of a form POST with the browser's cookies.
pub fn post_head(b: &Browser, path: &str, content_length: usize, extra: &str) -> String {
    let cookies: Vec<String> = b.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/html\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {content_length}\r\n\
         Cookie: {}\r\n{extra}\r\n",
        cookies.join("; ")
    )
}

/// After a hostile request: the gateway still answers health checks and
/// proxies a normal request to the app, and nothing panicked on the way.
pub async fn assert_still_serving(gw: &Gateway) {
    let log = gw.log();
    assert!(
        !log.contains("panicked"),
        "the gateway panicked; log:\n{log}"
    );
    let mut b = gw.browser();
    let health = b.get("/_mfa/healthz").await;
    assert_eq!(health.status, 200, "healthz after a hostile request");
    let login = b.get("/login").await;
    assert_eq!(login.status, 200, "the app is still reachable");
    assert!(login.came_from_app());
}

/// The support API's failure count of `account`.
pub async fn failures(gw: &Gateway, account: &str) -> u64 {
    gw.account_status(account).await["failures"]
        .as_u64()
        .unwrap()
}
