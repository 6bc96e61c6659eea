//! Operating mfa-gate for real (issue 5): SSO identity headers, what the app
//! receives, TLS, reload, metrics, logs and the command line. Shared here:
//! an echo app that answers every request with the request it received (so
//! tests see exactly what the app sees), a config writer for `serve`, and
//! small clients (metrics scraping, signals).

mod cli;
mod forwarding;
mod logs;
mod metrics;
mod reload;
mod sso;
mod tls;

use crate::harness::Gateway;
use std::path::{Path, PathBuf};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The support token of the configs written here.
pub const TOKEN: &str = "operations-test-support-token";

/// The whoami identity section: the echo app's `/api/me`, app cookie
/// `app_session`, a long cache (reload tests count cache hits).
pub const WHOAMI: &str = "identity:\n  session_cookie: app_session\n  whoami_path: /api/me\n  whoami_timeout: 1s\n  cache_ttl: 60s\n";

/// Write `mfa-gate.yaml` for `serve` on `port` (admin listener on
/// `port + 2`) in front of `upstream`, with `identity` as the identity
/// section and `extra` appended. Writes the keys and the token beside it.
pub fn write_yaml(dir: &Path, port: u16, upstream: &str, identity: &str, extra: &str) -> PathBuf {
    std::fs::write(dir.join("hmac.key"), "11".repeat(32)).unwrap();
    std::fs::write(dir.join("enc.key"), "22".repeat(32)).unwrap();
    std::fs::write(dir.join("token"), TOKEN).unwrap();
    let admin = port + 2;
    let yaml = format!(
        "listen: 127.0.0.1:{port}\n\
         upstream:\n  address: {upstream}\n  connect_timeout: 500ms\n  read_timeout: 2s\n\
         {identity}\
         store:\n  path: store\n\
         secrets:\n  hmac_key: {{ file: hmac.key }}\n  encryption_key: {{ file: enc.key }}\n\
         totp:\n  issuer: mfa-gate demo\n\
         cookie:\n  secure: false\n\
         server:\n  grace_period: 1s\n\
         admin:\n  listen: 127.0.0.1:{admin}\n  support_token: {{ file: token }}\n\
         {extra}"
    );
    let path = dir.join("mfa-gate.yaml");
    std::fs::write(&path, yaml).unwrap();
    path
}

/// An app that answers `GET /api/me` for the session cookie `app_session`
/// (`emp-acme…`: an employee of acme; `emp-globex…`: of globex; `fail…`:
/// HTTP 500; anything else 401), hangs up on `/hangup`, and answers every
/// other request 200 with a JSON echo of the request: `{"method", "path",
/// "headers": [[name, value], …]}`. HTTP/1.1 with keep-alive.
pub async fn echo_app() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            tokio::spawn(serve_connection(sock));
        }
    });
    addr
}

async fn serve_connection(mut sock: TcpStream) {
    let mut buf = Vec::new();
    loop {
        let Some(end) = read_head(&mut sock, &mut buf).await else {
            return;
        };
        let head = String::from_utf8_lossy(&buf[..end]).to_string();
        buf.drain(..end + 4);
        let mut lines = head.split("\r\n");
        let request_line = lines.next().unwrap_or_default().to_owned();
        let mut parts = request_line.split(' ');
        let method = parts.next().unwrap_or_default().to_owned();
        let path = parts.next().unwrap_or_default().to_owned();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let length: usize = headers
            .iter()
            .find(|(n, _)| n == "content-length")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        while buf.len() < length {
            let mut chunk = [0u8; 4096];
            match sock.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        buf.drain(..length);
        if path == "/hangup" {
            return;
        }
        let (status, body) = if path == "/api/me" {
            whoami(&headers)
        } else {
            let echo = serde_json::json!({"method": method, "path": path, "headers": headers});
            ("200 OK", echo.to_string())
        };
        let response = format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nX-Demo-App: 1\r\n\r\n{body}",
            body.len()
        );
        if sock.write_all(response.as_bytes()).await.is_err() {
            return;
        }
    }
}

/// Index of the `\r\n\r\n` ending the next request head in `buf`, reading
/// more as needed; `None` at the end of the connection.
async fn read_head(sock: &mut TcpStream, buf: &mut Vec<u8>) -> Option<usize> {
    loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            return Some(i);
        }
        let mut chunk = [0u8; 4096];
        match sock.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

fn whoami(headers: &[(String, String)]) -> (&'static str, String) {
    let session = headers
        .iter()
        .filter(|(n, _)| n == "cookie")
        .flat_map(|(_, v)| v.split(';'))
        .filter_map(|c| c.trim().strip_prefix("app_session="))
        .next()
        .unwrap_or_default();
    let identity = |account: &str, company: &str| {
        serde_json::json!({"account": account, "company": company, "class": "employee"}).to_string()
    };
    if session.starts_with("emp-acme") {
        ("200 OK", identity("emp@acme.example", "acme"))
    } else if session.starts_with("emp-globex") {
        ("200 OK", identity("emp@globex.example", "globex"))
    } else if session.starts_with("fail") {
        ("500 Internal Server Error", "{}".into())
    } else {
        ("401 Unauthorized", "{}".into())
    }
}

/// The request the echo app received, from its answer.
pub struct Seen(serde_json::Value);

impl Seen {
    pub fn of(body: &str) -> Seen {
        Seen(serde_json::from_str(body).unwrap_or_else(|e| panic!("not an echo ({e}): {body}")))
    }

    /// Every value of header `name` (lowercase), in order.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0["headers"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|h| h[0] == name)
            .map(|h| h[1].as_str().unwrap().to_owned())
            .collect()
    }

    /// The single value of header `name`; panics when sent twice.
    pub fn one(&self, name: &str) -> Option<String> {
        let all = self.all(name);
        assert!(all.len() <= 1, "{name} sent {} times: {all:?}", all.len());
        all.into_iter().next()
    }

    pub fn names(&self) -> Vec<String> {
        self.0["headers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h[0].as_str().unwrap().to_owned())
            .collect()
    }
}

/// The value of one series in a Prometheus text page (0 when absent).
pub fn series(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
        .unwrap_or(0.0)
}

/// The admin listener's `/metrics` page.
pub async fn scrape(gw: &Gateway) -> String {
    let r = gw.admin("GET", "/metrics", None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

/// Send `signal` to the gateway process.
pub fn signal(gw: &Gateway, signal: i32) {
    let pid = gw.pid().expect("gateway running") as i32;
    // SAFETY: kill(2) has no memory effects; `pid` is our own child.
    assert_eq!(
        unsafe { libc::kill(pid, signal) },
        0,
        "kill({pid}, {signal})"
    );
}
