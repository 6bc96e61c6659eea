//! The ask listener's bytes: heads read and refused, answers written.

use super::wire::{Unreadable, response, take_head};
use crate::reply::Reply;
use bytes::BytesMut;

fn head(text: &str) -> Result<Option<super::wire::Head>, Unreadable> {
    take_head(&mut BytesMut::from(text))
}

#[test]
fn a_whole_head_is_read_and_taken_off_the_buffer() {
    let mut buf = BytesMut::from(
        "GET /_mfa/auth HTTP/1.1\r\nHost: gate\r\nX-Original-URI: /a?b\r\n\r\nGET /next",
    );
    let head = take_head(&mut buf).unwrap().unwrap();
    assert_eq!(head.parts.method, http::Method::GET);
    assert_eq!(head.target, "/_mfa/auth");
    assert_eq!(head.parts.headers["x-original-uri"], "/a?b");
    assert!(head.keep_alive);
    assert_eq!(&buf[..], b"GET /next");
    assert!(
        take_head(&mut buf).unwrap().is_none(),
        "a partial head waits"
    );
}

#[test]
fn keep_alive_follows_the_version_and_connection() {
    let keep = |t: &str| head(t).unwrap().unwrap().keep_alive;
    assert!(!keep("GET / HTTP/1.0\r\n\r\n"));
    assert!(keep("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"));
    assert!(!keep("GET / HTTP/1.1\r\nConnection: te, close\r\n\r\n"));
    assert!(keep("GET / HTTP/1.1\r\nConnection: keep-alive\r\n\r\n"));
}

#[test]
fn bodies_garbage_and_oversized_heads_are_refused() {
    let refused = |t: &str| head(t).unwrap_err();
    assert_eq!(
        refused("GET / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"),
        Unreadable::Body
    );
    assert_eq!(
        refused("GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"),
        Unreadable::Body
    );
    assert_eq!(
        refused("GET / HTTP/1.1\r\nBad Name: x\r\n\r\n"),
        Unreadable::Malformed
    );
    assert_eq!(refused("GET / HTTP/2.0\r\n\r\n"), Unreadable::Malformed);
    let big = format!("GET / HTTP/1.1\r\nX-Big: {}\r\n", "a".repeat(20_000));
    assert_eq!(refused(&big), Unreadable::TooLarge);
    let many: String = (0..70).map(|i| format!("X-{i}: v\r\n")).collect();
    assert_eq!(
        refused(&format!("GET / HTTP/1.1\r\n{many}\r\n")),
        Unreadable::TooLarge
    );
    assert!(head("GET / HTTP/1.1\r\nContent-Length: 0\r\n\r\n").is_ok());
}

#[test]
fn answers_are_framed_and_cannot_be_split() {
    let reply = Reply::json(401, serde_json::json!({"error": "mfa_required"}))
        .with_header("X-Mfa-Location", "/_mfa/challenge".into());
    let text = String::from_utf8(response(&reply, false, true)).unwrap();
    assert!(text.starts_with("HTTP/1.1 401 Unauthorized\r\n"), "{text}");
    assert!(
        text.contains("\r\nX-Mfa-Location: /_mfa/challenge\r\n"),
        "{text}"
    );
    assert!(text.contains("\r\nCache-Control: no-store\r\n"), "{text}");
    assert!(
        text.ends_with("\r\nContent-Length: 24\r\n\r\n{\"error\":\"mfa_required\"}"),
        "{text}"
    );
    assert!(!text.contains("Connection:"), "{text}");
    let closing = String::from_utf8(response(&reply, true, false)).unwrap();
    assert!(
        closing.ends_with("Connection: close\r\n\r\n"),
        "HEAD: no body: {closing}"
    );
    let split =
        Reply::json(200, serde_json::json!({})).with_header("Remote-User", "a\r\nX: y".into());
    let text = String::from_utf8(response(&split, false, true)).unwrap();
    assert!(text.starts_with("HTTP/1.1 500 "), "{text}");
    assert!(!text.contains("X: y"), "{text}");
}
