//! Reading a request body that mfa-gate consumes itself (our forms, the
//! demo's login and echo), never one that is forwarded: pingora sets no
//! size limit, so the declared `Content-Length` is checked before a byte is
//! read and the stream is capped while reading.

use http::header::{CONTENT_LENGTH, EXPECT};
use pingora::protocols::http::ServerSession;

/// Why a body was not read; [`BodyError::status`] is the answer.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    #[error("request body larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("Content-Length is not a number")]
    BadLength,
    #[error("cannot answer 100 Continue: {0}")]
    Continue(#[source] Box<pingora::Error>),
    #[error("cannot read the request body: {0}")]
    Read(#[source] Box<pingora::Error>),
}

impl BodyError {
    /// 413 for a body over the limit, 400 for anything else.
    pub fn status(&self) -> u16 {
        match self {
            BodyError::TooLarge { .. } => 413,
            BodyError::BadLength | BodyError::Continue(_) | BodyError::Read(_) => 400,
        }
    }
}

/// Read the whole request body, at most `limit` bytes.
///
/// A `Content-Length` over the limit is refused before anything is read
/// (and before a client that sent `Expect: 100-continue` is invited to send
/// it); one that is not a number is a 400. A client waiting for `100
/// Continue` gets it (pingora sends it only for bodies it proxies). On any
/// error the rest of the body stays unread, so the connection is marked
/// not reusable here.
pub async fn read_body(session: &mut ServerSession, limit: usize) -> Result<Vec<u8>, BodyError> {
    let result = read_within(session, limit).await;
    if result.is_err() {
        session.set_keepalive(None);
    }
    result
}

async fn read_within(session: &mut ServerSession, limit: usize) -> Result<Vec<u8>, BodyError> {
    let headers = &session.req_header().headers;
    if let Some(length) = headers.get(CONTENT_LENGTH) {
        let length = length
            .to_str()
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok());
        match length {
            None => return Err(BodyError::BadLength),
            Some(n) if n > limit as u64 => return Err(BodyError::TooLarge { limit }),
            Some(_) => {}
        }
    }
    let expects_continue = headers.get(EXPECT).is_some_and(|v| {
        v.as_bytes()
            .trim_ascii()
            .eq_ignore_ascii_case(b"100-continue")
    });
    // pingora turns keep-alive off when any header, even `100 Continue`,
    // goes out before the body is read. The body is then read in full, so
    // the connection stays reusable: the setting is restored after.
    let keepalive = session.get_keepalive();
    if expects_continue {
        session
            .write_continue_response()
            .await
            .map_err(BodyError::Continue)?;
    }
    let mut body = Vec::new();
    loop {
        match session.read_request_body().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > limit {
                    return Err(BodyError::TooLarge { limit });
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(e) => return Err(BodyError::Read(e)),
        }
    }
    if expects_continue {
        session.set_keepalive(keepalive);
    }
    Ok(body)
}
