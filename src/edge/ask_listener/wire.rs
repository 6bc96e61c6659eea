//! The bytes of the lean ask listener: a request head read with
//! `httparse` (the parser pingora itself uses) into `http` types, and a
//! [`Reply`] written as an HTTP/1.1 response. Only what an ask needs: a
//! head without a body. Anything else is refused with a status and the
//! connection closed, never guessed at.

use crate::reply::Reply;
use bytes::{Buf, BytesMut};
use http::request::Parts;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Version};
use std::io::Write;

/// The largest head an ask may have (nginx's default large buffers hold
/// 8 KiB; a session cookie and a front's headers fit in this).
pub const MAX_HEAD: usize = 16 * 1024;
/// Headers an ask may have.
const MAX_HEADERS: usize = 64;

/// A head read from the start of the buffer.
#[derive(Debug)]
pub struct Head {
    pub parts: Parts,
    /// The request target as sent (`/_mfa/auth?…`).
    pub target: String,
    /// The client may send another request on this connection.
    pub keep_alive: bool,
}

/// Why a head cannot be answered: the status to refuse it with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unreadable {
    /// Not HTTP/1.x, bad names or values: 400.
    Malformed,
    /// A body (asks have none; its framing is not read): 400.
    Body,
    /// Longer than [`MAX_HEAD`] or more than 64 headers: 431.
    TooLarge,
}

impl Unreadable {
    pub fn status(self) -> u16 {
        match self {
            Unreadable::Malformed | Unreadable::Body => 400,
            Unreadable::TooLarge => 431,
        }
    }

    pub fn error(self) -> &'static str {
        match self {
            Unreadable::Malformed => "malformed_request",
            Unreadable::Body => "body_not_allowed",
            Unreadable::TooLarge => "request_too_large",
        }
    }
}

/// Take one complete head off the front of `buf`: `Ok(None)` while more
/// bytes are needed.
pub fn take_head(buf: &mut BytesMut) -> Result<Option<Head>, Unreadable> {
    let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut slots);
    let len = match req.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) if buf.len() >= MAX_HEAD => return Err(Unreadable::TooLarge),
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => return Err(Unreadable::TooLarge),
        Err(_) => return Err(Unreadable::Malformed),
    };
    if len > MAX_HEAD {
        return Err(Unreadable::TooLarge);
    }
    let head = to_head(&req)?;
    buf.advance(len);
    Ok(Some(head))
}

fn to_head(req: &httparse::Request<'_, '_>) -> Result<Head, Unreadable> {
    let (Some(method), Some(target), Some(minor)) = (req.method, req.path, req.version) else {
        return Err(Unreadable::Malformed);
    };
    let mut headers = HeaderMap::with_capacity(req.headers.len());
    let mut close = minor == 0;
    for h in req.headers.iter() {
        let name = HeaderName::from_bytes(h.name.as_bytes()).map_err(|_| Unreadable::Malformed)?;
        let value = HeaderValue::from_bytes(h.value).map_err(|_| Unreadable::Malformed)?;
        if name == http::header::TRANSFER_ENCODING
            || (name == http::header::CONTENT_LENGTH && value.as_bytes() != b"0")
        {
            return Err(Unreadable::Body);
        }
        if name == http::header::CONNECTION {
            close |= tokens(&value, "close");
            close &= !(minor == 0 && tokens(&value, "keep-alive"));
        }
        headers.append(name, value);
    }
    let uri: http::Uri = target.parse().map_err(|_| Unreadable::Malformed)?;
    let mut parts = http::Request::builder()
        .method(Method::from_bytes(method.as_bytes()).map_err(|_| Unreadable::Malformed)?)
        .uri(uri)
        .version(if minor == 0 {
            Version::HTTP_10
        } else {
            Version::HTTP_11
        })
        .body(())
        .map_err(|_| Unreadable::Malformed)?
        .into_parts()
        .0;
    parts.headers = headers;
    Ok(Head {
        parts,
        target: target.to_owned(),
        keep_alive: !close,
    })
}

/// Whether the comma-separated `value` names `token`.
fn tokens(value: &HeaderValue, token: &str) -> bool {
    value
        .as_bytes()
        .split(|b| *b == b',')
        .any(|t| t.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
}

/// `reply` as an HTTP/1.1 response: its headers, `Cache-Control:
/// no-store` unless it set its own, `Content-Length`, and `Connection:
/// close` when the connection ends after it. A header that could split
/// the response (CR, LF or NUL in it) turns the answer into a 500.
pub fn response(reply: &Reply, head_only: bool, keep_alive: bool) -> Vec<u8> {
    let unsafe_text = |t: &str| t.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0));
    if reply
        .headers
        .iter()
        .any(|(n, v)| unsafe_text(n) || unsafe_text(v))
    {
        tracing::error!("an ask's answer has a header that cannot be written");
        return response(&Reply::error(500, "internal"), head_only, keep_alive);
    }
    let reason = http::StatusCode::from_u16(reply.status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("");
    let mut out = Vec::with_capacity(256 + reply.body.len());
    // Writing to a Vec cannot fail.
    let _ = write!(out, "HTTP/1.1 {} {reason}\r\n", reply.status);
    let mut cache_control = false;
    for (name, value) in &reply.headers {
        cache_control |= name.eq_ignore_ascii_case("Cache-Control");
        for part in [name.as_bytes(), b": ", value.as_bytes(), b"\r\n"] {
            out.extend_from_slice(part);
        }
    }
    if !cache_control {
        out.extend_from_slice(b"Cache-Control: no-store\r\n");
    }
    let _ = write!(out, "Content-Length: {}\r\n", reply.body.len());
    if !keep_alive {
        out.extend_from_slice(b"Connection: close\r\n");
    }
    out.extend_from_slice(b"\r\n");
    if !head_only {
        out.extend_from_slice(&reply.body);
    }
    out
}
