//! The lean ask listener (`forward_auth.listen`): for every ask, the same
//! answer as `{prefix}/auth` on the gateway's own listener (both call one
//! function; this checks the wiring and the bytes around it); asks sent
//! back to back on one kept-alive connection, pipelined or not; and what
//! it refuses: a body, another path, bytes that are not HTTP, a peer
//! outside `trusted_proxies`.

use super::Backend;
use super::asks::{ask_on, traefik};
use crate::harness::{TARO, enroll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A connection to the ask listener, once it listens (it starts beside
/// the gateway's listener, which the harness waited for).
async fn connect(port: u16) -> TcpStream {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match TcpStream::connect(("127.0.0.1", port)).await {
            Ok(stream) => return stream,
            Err(e) if Instant::now() > deadline => panic!("ask listener on {port}: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

/// The answers on `stream` to what was sent, until `count` were read or
/// the peer closed: each as its head (text) and body.
async fn answers(stream: &mut TcpStream, count: usize) -> (Vec<(String, String)>, bool) {
    let mut buf = Vec::new();
    let mut out = Vec::new();
    let mut closed = false;
    let deadline = Instant::now() + Duration::from_secs(30);
    while out.len() < count && !closed {
        let mut chunk = [0u8; 4096];
        let left = deadline.saturating_duration_since(Instant::now());
        let n = tokio::time::timeout(left, stream.read(&mut chunk))
            .await
            .expect("an answer within 30 s")
            .unwrap();
        closed = n == 0;
        buf.extend_from_slice(&chunk[..n]);
        while let Some(answer) = take_answer(&mut buf) {
            out.push(answer);
        }
    }
    (out, closed)
}

fn take_answer(buf: &mut Vec<u8>) -> Option<(String, String)> {
    let text = String::from_utf8_lossy(buf).into_owned();
    let end = text.find("\r\n\r\n")? + 4;
    let length: usize = text[..end]
        .lines()
        .find_map(|l| l.strip_prefix("Content-Length: "))
        .expect("a Content-Length")
        .parse()
        .unwrap();
    if buf.len() < end + length {
        return None;
    }
    let body = String::from_utf8_lossy(&buf[end..end + length]).into_owned();
    let head = text[..end].to_owned();
    buf.drain(..end + length);
    Some((head, body))
}

fn header<'a>(r: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    r.headers().get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn the_lean_listener_answers_every_ask_as_the_gateway_does() {
    let backend = Backend::start(true).await;
    drop(connect(backend.ask_port).await);
    let mut b = backend.gateway.browser();
    b.login(TARO).await;
    let plain = format!("demo_session={}", b.cookies["demo_session"]);
    let compare = async |cookie: &str, stage: &str| {
        let nginx_reports = [("x-original-uri", "/reports"), ("accept", "text/html")];
        let api = [
            ("x-forwarded-uri", "/api/me"),
            ("x-forwarded-method", "GET"),
        ];
        let walk = traefik("/static/%2e%2e/admin");
        let asks: [&[(&str, &str)]; 5] = [&traefik("/reports"), &nginx_reports, &api, &walk, &[]];
        for headers in asks {
            let inline = ask_on(backend.gateway.port, headers, cookie).await;
            let lean = ask_on(backend.ask_port, headers, cookie).await;
            assert_eq!(lean.status(), inline.status(), "{stage}: {headers:?}");
            for name in [
                "location",
                "x-mfa-location",
                "remote-user",
                "x-mfa-status",
                "content-type",
            ] {
                assert_eq!(
                    header(&lean, name),
                    header(&inline, name),
                    "{stage}: {name} {headers:?}"
                );
            }
            assert_eq!(
                lean.text().await.unwrap(),
                inline.text().await.unwrap(),
                "{stage}"
            );
        }
    };
    compare("", "anonymous").await;
    compare(&plain, "not enrolled").await;
    enroll(&mut b).await;
    let verified = format!("{plain}; mfa_gate={}", b.cookies["mfa_gate"]);
    compare(&verified, "verified").await;
    let r = ask_on(backend.ask_port, &traefik("/reports"), &verified).await;
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "remote-user"), Some(TARO));
    assert_eq!(header(&r, "x-mfa-status"), Some("verified"));
}

#[tokio::test]
async fn asks_share_one_kept_alive_connection() {
    let backend = Backend::start(true).await;
    let mut stream = connect(backend.ask_port).await;
    let ask = |uri: &str, connection: &str| {
        format!(
            "GET /_mfa/auth HTTP/1.1\r\nHost: gate\r\nX-Forwarded-Uri: {uri}\r\n{connection}\r\n"
        )
    };
    // Two asks in one write (pipelined), then one more on the same socket.
    let two = format!("{}{}", ask("/login", ""), ask("/reports", ""));
    stream.write_all(two.as_bytes()).await.unwrap();
    let (got, closed) = answers(&mut stream, 2).await;
    assert!(!closed);
    assert!(got[0].0.starts_with("HTTP/1.1 200 OK\r\n"), "{got:?}");
    assert!(
        got[1].0.starts_with("HTTP/1.1 200 OK\r\n"),
        "anonymous: {got:?}"
    );
    assert!(
        got[0].0.contains("\r\nX-Mfa-Status: not-required\r\n"),
        "{got:?}"
    );
    stream
        .write_all(ask("/static/app.css", "Connection: close\r\n").as_bytes())
        .await
        .unwrap();
    let (got, _) = answers(&mut stream, 1).await;
    assert!(got[0].0.contains("\r\nConnection: close\r\n"), "{got:?}");
    let (more, closed) = answers(&mut stream, 1).await;
    assert!(
        more.is_empty() && closed,
        "closed after `Connection: close`"
    );
    // HTTP/1.0 without keep-alive (nginx's default to an upstream): one ask.
    let mut stream = connect(backend.ask_port).await;
    let old = "GET /_mfa/auth HTTP/1.0\r\nX-Original-URI: /login\r\n\r\n";
    stream.write_all(old.as_bytes()).await.unwrap();
    let (got, closed) = answers(&mut stream, 2).await;
    assert_eq!(got.len(), 1);
    assert!(
        closed && got[0].0.starts_with("HTTP/1.1 200 OK\r\n"),
        "{got:?}"
    );
}

#[tokio::test]
async fn what_the_lean_listener_refuses() {
    let backend = Backend::start(true).await;
    for (request, status, error) in [
        (
            "POST /_mfa/auth HTTP/1.1\r\nX-Forwarded-Uri: /\r\nContent-Length: 2\r\n\r\nhi",
            "400 Bad Request",
            "body_not_allowed",
        ),
        (
            "GET /_mfa/enroll HTTP/1.1\r\nX-Forwarded-Uri: /\r\n\r\n",
            "404 Not Found",
            "not_found",
        ),
        ("GET / HTTP/1.1\r\n\r\n", "404 Not Found", "not_found"),
        (
            "\x16\x03\x01 not http\r\n\r\n",
            "400 Bad Request",
            "malformed_request",
        ),
        (
            "GET /_mfa/auth HTTP/1.1\r\n\r\n",
            "403 Forbidden",
            "no_original_uri",
        ),
    ] {
        let mut stream = connect(backend.ask_port).await;
        stream.write_all(request.as_bytes()).await.unwrap();
        let (got, _) = answers(&mut stream, 1).await;
        assert!(
            got[0].0.starts_with(&format!("HTTP/1.1 {status}\r\n")),
            "{request:?}: {got:?}"
        );
        assert_eq!(
            got[0].1,
            format!("{{\"error\":\"{error}\"}}"),
            "{request:?}"
        );
    }
    let stranger = Backend::start(false).await;
    drop(connect(stranger.ask_port).await);
    let r = ask_on(stranger.ask_port, &traefik("/"), "demo_session=x").await;
    assert_eq!(r.status(), 403);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"], "untrusted_front");
}

#[tokio::test]
async fn a_head_trickled_a_byte_at_a_time_is_cut_off() {
    let backend = Backend::start(true).await;
    let mut stream = connect(backend.ask_port).await;
    stream
        .write_all(b"GET /_mfa/auth HTTP/1.1\r\n")
        .await
        .unwrap();
    // One more header line every half second, never the blank line that
    // ends the head: the listener closes after HEAD_TIMEOUT (10 s) for
    // the whole head, not per read. 100 s is the bound with headroom.
    let started = Instant::now();
    let mut closed = false;
    while !closed && started.elapsed() < Duration::from_secs(100) {
        closed = stream.write_all(b"X-Slow: y\r\n").await.is_err();
        let mut byte = [0u8; 1];
        let wait = Duration::from_millis(500);
        if let Ok(read) = tokio::time::timeout(wait, stream.read(&mut byte)).await {
            closed |= matches!(read, Ok(0) | Err(_));
        }
    }
    assert!(closed, "still open after {:?}", started.elapsed());
    assert!(
        started.elapsed() >= Duration::from_secs(9),
        "{:?}",
        started.elapsed()
    );
}
