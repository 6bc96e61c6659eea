//! The Rust `cookie` crate's apps, in the test process: a tokio HTTP/1.1
//! server (one request per connection) reading other headers as
//! `http::HeaderMap::get` does (exact name, any case, first value), and
//! cookies in one of two ways (see [`Reading`]).

use cookie::{Cookie, CookieJar};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// Largest request head read (the gateway caps cookies at 32 KiB).
const MAX_HEAD: usize = 256 * 1024;

/// How the app reads `app_sid` with `Cookie::split_parse`.
#[derive(Clone, Copy)]
pub enum Reading {
    /// As axum-extra's and actix-web's jars: each `Cookie` header that is
    /// visible ASCII (`HeaderValue::to_str`), its cookies added to a
    /// `cookie::CookieJar` (a later cookie of the same name replaces an
    /// earlier one).
    Jar,
    /// As the bundled demo app (`src/demo.rs`): every UTF-8 `Cookie`
    /// header, joined with `; `, the first non-empty `app_sid`.
    Utf8First,
}

impl Reading {
    pub fn name(self) -> &'static str {
        match self {
            Reading::Jar => "rust-jar",
            Reading::Utf8First => "rust-utf8",
        }
    }
}

/// The running app; stopped when dropped.
pub struct RustApp {
    pub port: u16,
    task: JoinHandle<()>,
}

impl Drop for RustApp {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub async fn start(reading: Reading) -> RustApp {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("local addr").port();
    let task = tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            tokio::spawn(serve(sock, reading));
        }
    });
    RustApp { port, task }
}

async fn serve(mut sock: TcpStream, reading: Reading) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    let end = loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break end;
        }
        match sock.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
        if buf.len() > MAX_HEAD {
            return;
        }
    };
    let mut lines = buf[..end]
        .split(|b| *b == b'\n')
        .map(|l| l.trim_ascii_end());
    let target = lines
        .next()
        .and_then(|l| l.split(|b| *b == b' ').nth(1))
        .unwrap_or_default()
        .to_vec();
    let headers: Vec<(String, &[u8])> = lines
        .filter_map(|l| {
            let colon = l.iter().position(|b| *b == b':')?;
            let name = String::from_utf8_lossy(&l[..colon]).to_ascii_lowercase();
            Some((name, l[colon + 1..].trim_ascii()))
        })
        .collect();
    let cookies = headers
        .iter()
        .filter(|(n, _)| n == "cookie")
        .map(|(_, v)| *v);
    let session = match reading {
        Reading::Jar => jar_session(cookies),
        Reading::Utf8First => utf8_first_session(cookies),
    };
    let path = target.split(|b| *b == b'?').next().unwrap_or_default();
    let (status, extra, body) = if path == b"/whoami" {
        let id = match session.as_deref() {
            Some("tok-free") => Some(("free@x", "free")),
            Some("tok-strict") => Some(("strict@x", "strict")),
            _ => None,
        };
        match id {
            Some((account, company)) => (
                "200 OK",
                String::new(),
                serde_json::json!({"account": account, "company": company, "class": "employee"}),
            ),
            None => ("401 Unauthorized", String::new(), serde_json::json!({})),
        }
    } else {
        let header = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
        };
        let echo = serde_json::json!({
            "session": session,
            "mfa_status": header("x-mfa-status"),
            "mfa_account": header("x-mfa-account"),
            "auth_user": header("x-auth-user"),
        });
        let extra = format!("X-Diff-App: {}\r\n", reading.name());
        ("200 OK", extra, echo)
    };
    let body = body.to_string();
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\n{extra}\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = sock.write_all(head.as_bytes()).await;
    let _ = sock.write_all(body.as_bytes()).await;
}

/// `app_sid` as axum-extra's `CookieJar::from_headers` reads it.
fn jar_session<'a>(cookies: impl Iterator<Item = &'a [u8]>) -> Option<String> {
    let mut jar = CookieJar::new();
    let visible = |v: &[u8]| v.iter().all(|b| *b == b'\t' || (0x20..0x7f).contains(b));
    for value in cookies.filter(|v| visible(v)) {
        let Ok(text) = std::str::from_utf8(value) else {
            continue;
        };
        for c in Cookie::split_parse(text.to_owned()).flatten() {
            jar.add_original(c);
        }
    }
    jar.get("app_sid").map(|c| c.value().to_owned())
}

/// `app_sid` as the demo app's `session_token` reads it.
fn utf8_first_session<'a>(cookies: impl Iterator<Item = &'a [u8]>) -> Option<String> {
    let joined = cookies
        .filter_map(|v| std::str::from_utf8(v).ok())
        .collect::<Vec<_>>()
        .join("; ");
    Cookie::split_parse(joined)
        .filter_map(Result::ok)
        .find(|c| c.name() == "app_sid" && !c.value().is_empty())
        .map(|c| c.value().to_owned())
}
