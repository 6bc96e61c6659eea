//! Raw HTTP/1.1 over TCP: the differential requests are written byte for
//! byte (so that bytes the `http` crate would refuse still reach the gateway,
//! and several `Cookie` headers stay separate), sent with `Connection:
//! close`, and the answer is read to EOF.

use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Longest wait for one whole answer.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(20);

/// One parsed answer; `status` 0 when the peer closed without a status line.
#[derive(Debug, Default)]
pub struct Reply {
    pub status: u16,
    /// Header names lowercased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// `GET path` to `127.0.0.1:port` with `Accept: application/json` and the
/// given extra header lines (name, raw value), in order.
pub async fn get(port: u16, path: &str, extra: &[(&[u8], &[u8])]) -> Result<Reply, String> {
    send(port, "GET", path.as_bytes(), extra, b"").await
}

/// `method target` to `127.0.0.1:port`, the target written byte for byte,
/// with `Accept: application/json`, the extra header lines in order, and
/// `body` (with its `Content-Length`) when not empty.
pub async fn send(
    port: u16,
    method: &str,
    target: &[u8],
    extra: &[(&[u8], &[u8])],
    body: &[u8],
) -> Result<Reply, String> {
    let mut req = format!("{method} ").into_bytes();
    req.extend_from_slice(target);
    req.extend_from_slice(
        format!(
            " HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: application/json\r\n\
             Connection: close\r\n"
        )
        .as_bytes(),
    );
    for (name, value) in extra {
        req.extend_from_slice(name);
        req.extend_from_slice(b": ");
        req.extend_from_slice(value);
        req.extend_from_slice(b"\r\n");
    }
    if !body.is_empty() {
        req.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
    }
    req.extend_from_slice(b"\r\n");
    req.extend_from_slice(body);
    let exchange = async {
        let mut sock = TcpStream::connect(("127.0.0.1", port)).await?;
        sock.write_all(&req).await?;
        let mut raw = Vec::new();
        // A peer that answers and then resets (it refused the rest of our
        // request) still answered: keep what was read.
        match sock.read_to_end(&mut raw).await {
            Ok(_) => Ok(raw),
            Err(_) if !raw.is_empty() => Ok(raw),
            Err(e) => Err(e),
        }
    };
    match tokio::time::timeout(ANSWER_TIMEOUT, exchange).await {
        Ok(Ok(raw)) => Ok(parse(&raw)),
        Ok(Err(e)) => Err(format!("127.0.0.1:{port}: {e}")),
        Err(_) => Err(format!("127.0.0.1:{port}: no answer in {ANSWER_TIMEOUT:?}")),
    }
}

fn parse(raw: &[u8]) -> Reply {
    let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Reply::default();
    };
    let head = String::from_utf8_lossy(&raw[..end]);
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut body = raw[end + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
    if chunked {
        body = dechunk(&body);
    }
    Reply {
        status,
        headers,
        body,
    }
}

fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = rest.windows(2).position(|w| w == b"\r\n") {
        let size = std::str::from_utf8(&rest[..eol])
            .ok()
            .and_then(|s| usize::from_str_radix(s.split(';').next().unwrap_or("").trim(), 16).ok());
        let Some(size) = size.filter(|s| *s > 0) else {
            break;
        };
        let start = eol + 2;
        let Some(chunk) = rest.get(start..start + size) else {
            break;
        };
        out.extend_from_slice(chunk);
        rest = rest.get(start + size + 2..).unwrap_or_default();
    }
    out
}

/// A header value or cookie header for a report: printable ASCII as is,
/// other characters as `\u{…}`, bytes that are not UTF-8 as `\xNN`.
pub fn escape(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                ' '..='~' if c != '\\' => out.push(c),
                '\\' => out.push_str("\\\\"),
                _ => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}
