//! pingora's error paths (issue 20, point 3): requests that the gateway's
//! listener or the admin listener cannot parse — a control byte in a
//! header value, a bad request line, a bad header name, too many headers,
//! an oversized head — and a valid request with a 200 KB path, all carrying
//! `Authorization: Bearer …` and `Cookie`, sent by raw TCP. Afterwards no
//! line of the log holds either header's value, and none is over 4 KiB.

use super::super::{config, echo_app};
use crate::harness::{Gateway, free_ports};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const TOKEN_MARKER: &str = "SECRET-MARKER-7f3a";
const COOKIE_MARKER: &str = "COOKIE-MARKER-91bc";

/// The longest log line allowed (the gateway's own cap is 4096 bytes).
const MAX_LINE: usize = 4096;

/// A path longer than any URI pingora accepts (64 KiB): a parse error
/// whose text quotes it whole.
const OVERLONG: usize = 200_000;

/// A long path that is still a valid request.
const LONG: usize = 60_000;

/// Requests no HTTP/1.1 parser accepts, each carrying both markers.
fn malformed() -> Vec<Vec<u8>> {
    let auth = format!("Connection: close\r\nAuthorization: Bearer {TOKEN_MARKER}\r\n");
    let cookie = format!("Cookie: app_session=emp-acme; x={COOKIE_MARKER}\r\n");
    let many: String = (0..300).map(|i| format!("X-N{i}: v\r\n")).collect();
    let cases = [
        (
            "control byte in the token",
            format!(
                "GET /v1/accounts/a HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {TOKEN_MARKER}\x01\r\n{cookie}\r\n"
            ),
        ),
        (
            "control byte in another header",
            format!("GET / HTTP/1.1\r\nHost: x\r\n{auth}{cookie}X-Bad: a\x01b\r\n\r\n"),
        ),
        (
            "bad request line",
            format!("GET /a\x00b HTTP/1.1\r\nHost: x\r\n{auth}{cookie}\r\n"),
        ),
        (
            "bad version",
            format!("GET / HTTP/7.3\r\nHost: x\r\n{auth}{cookie}\r\n"),
        ),
        (
            "bad method",
            format!("G\x7fT / HTTP/1.1\r\nHost: x\r\n{auth}{cookie}\r\n"),
        ),
        (
            "bad header name",
            format!("GET / HTTP/1.1\r\nHost: x\r\n{auth}{cookie}Bad Name: v\r\n\r\n"),
        ),
        (
            "too many headers",
            format!("GET / HTTP/1.1\r\nHost: x\r\n{auth}{cookie}{many}\r\n"),
        ),
        (
            "oversized head",
            format!(
                "GET / HTTP/1.1\r\nHost: x\r\n{auth}{cookie}X-Big: {}\r\n\r\n",
                "b".repeat(1_200_000)
            ),
        ),
    ];
    cases
        .into_iter()
        .map(|(_what, request)| request.into_bytes())
        .collect()
}

/// A request for a path of `len` bytes with both markers.
fn long_path(len: usize) -> Vec<u8> {
    format!(
        "GET /{} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN_MARKER}\r\nCookie: x={COOKIE_MARKER}\r\nConnection: close\r\n\r\n",
        "p".repeat(len)
    )
    .into_bytes()
}

/// Send `request` on a new connection and read until the server closes it
/// (or 10 s pass); the server may close before it has read everything.
async fn send_raw(port: u16, request: &[u8]) -> Vec<u8> {
    let mut sock = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let _ = sock.write_all(request).await;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), sock.read_to_end(&mut answer)).await;
    answer
}

/// Wait until `done(log)` holds (10 s at most).
async fn wait_for_log(gw: &Gateway, what: &str, done: impl Fn(&str) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done(&gw.log()) {
        assert!(
            Instant::now() < deadline,
            "no {what} in the log:\n{}",
            gw.log()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn malformed_requests_leave_no_header_value_and_no_long_line_in_the_log() {
    let app = echo_app().await;
    let tmp = tempfile::tempdir().unwrap();
    let port = free_ports();
    let cfg = config(port, &app.address).write(tmp.path());
    // At debug level: the admin listener reports unreadable requests there
    // (at most one line a second), and they must hold no secret either.
    let gw = Gateway::serve_logging(&cfg, port, tmp.path(), "debug").await;
    let admin = port + 2;
    assert_eq!(gw.admin("GET", "/metrics", None).await.status, 200);

    for listener in [port, admin] {
        // Some are refused (400), some closed, some repaired by pingora
        // (it percent-encodes a control byte in the path): all are logged.
        for request in malformed() {
            send_raw(listener, &request).await;
        }
        send_raw(listener, &long_path(OVERLONG)).await;
        let answer = send_raw(listener, &long_path(LONG)).await;
        let status = String::from_utf8_lossy(&answer[..answer.len().min(12)]).into_owned();
        let expected = if listener == admin {
            "HTTP/1.1 401"
        } else {
            "HTTP/1.1 200"
        };
        assert_eq!(status, expected, "the long path on port {listener}");
    }

    // The long path is logged (capped) by both listeners; the admin
    // listener's unparsable requests are logged (debug) without their head.
    let long_prefix = format!("/{}", "p".repeat(100));
    wait_for_log(&gw, "access line of the long path", |log| {
        log.lines()
            .any(|l| l.contains("mfa_gate::access") && l.contains(&long_prefix))
    })
    .await;
    wait_for_log(&gw, "admin line of the long path", |log| {
        log.lines()
            .any(|l| l.contains("mfa_gate::admin") && l.contains(&long_prefix))
    })
    .await;
    let log = gw.log();
    assert!(
        !log.contains(TOKEN_MARKER),
        "the bearer token in the log:\n{log}"
    );
    assert!(
        !log.contains(COOKIE_MARKER),
        "a cookie value in the log:\n{log}"
    );
    assert!(
        log.contains("[request head withheld]"),
        "pingora's parse errors are still reported:\n{log}"
    );
    for line in log.lines() {
        assert!(
            line.len() < MAX_LINE,
            "a log line of {} bytes: {}…",
            line.len(),
            &line[..200]
        );
    }
    let capped = |what: &str, found: Option<&str>| {
        let line = found.unwrap_or_else(|| panic!("no {what} in the log:\n{log}"));
        assert!(line.len() < 1024, "{what} is not capped: {line}");
        assert!(line.contains('…'), "{what} says it is cut: {line}");
    };
    capped(
        "admin line of the long path",
        log.lines()
            .find(|l| l.contains("mfa_gate::admin") && l.contains(&long_prefix)),
    );
    // pingora's line of the overlong path, when the admin listener's
    // rate limit let it through, is capped like every line (above).
}
