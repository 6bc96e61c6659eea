//! Putting a [`Reply`] on the wire: [`write`] for every answer we make
//! (the proxy calls it from `request_filter`), and [`ReplyServer`], the
//! pingora app that runs an [`Answer`] (the admin API, the demo app) on its
//! own listener and writes through the same [`write`].

use crate::reply::Reply;
use async_trait::async_trait;
use bytes::Bytes;
use pingora::apps::{HttpPersistentSettings, HttpServerApp, ReusedHttpStream};
use pingora::http::ResponseHeader;
use pingora::protocols::http::ServerSession;
use pingora::server::ShutdownWatch;
use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// Write `reply` as the response to the session's request.
///
/// Always a `Content-Length` (pingora closes a keep-alive connection
/// without one), `Cache-Control: no-store` unless the reply set its own,
/// then `extra` (the service's own headers, replacing any of the same name).
/// A `HEAD` request gets the headers a `GET` would, without the body.
pub async fn write(
    session: &mut ServerSession,
    reply: Reply,
    extra: &[(&'static str, &str)],
) -> pingora::Result<()> {
    let size = reply.headers.len() + extra.len() + 2;
    let mut header = ResponseHeader::build(reply.status, Some(size))?;
    let mut cache_control = false;
    for (name, value) in &reply.headers {
        cache_control |= name.eq_ignore_ascii_case("Cache-Control");
        match name {
            Cow::Borrowed(name) => header.append_header(*name, value.as_str())?,
            Cow::Owned(name) => header.append_header(name.clone(), value.as_str())?,
        };
    }
    if !cache_control {
        header.insert_header("Cache-Control", "no-store")?;
    }
    for (name, value) in extra {
        header.insert_header(*name, *value)?;
    }
    header.insert_header("Content-Length", reply.body.len().to_string())?;
    let head_only = session.req_header().method == http::Method::HEAD;
    session.write_response_header(Box::new(header)).await?;
    if !reply.body.is_empty() && !head_only {
        session
            .write_response_body(Bytes::from(reply.body), true)
            .await?;
    }
    Ok(())
}

/// An app that answers every request with a [`Reply`]. The request head is
/// read; the app reads the body if it wants one (see [`crate::edge::body::read_body`]).
#[async_trait]
pub trait Answer: Send + Sync + 'static {
    /// Headers on every reply of this app.
    const HEADERS: &'static [(&'static str, &'static str)];

    async fn answer(&self, session: &mut ServerSession) -> Reply;
}

/// Log a request that could not be read: at debug level, and at most one
/// line a second, so that a scanner cannot fill the log. Through `log`, as
/// pingora's own apps do, so the logging bridge withholds the raw head
/// pingora quotes in this error.
fn unreadable(e: &pingora::Error) {
    static LAST: AtomicI64 = AtomicI64::new(0);
    let now = crate::clock::unix_now();
    if LAST.swap(now, Ordering::Relaxed) != now {
        log::debug!("HTTP server fails to read from downstream: {e}");
    }
}

/// A pingora HTTP app running an [`Answer`]: one request per call, written
/// with [`write`], the connection kept alive when it can be.
pub struct ReplyServer<A>(pub A);

/// How long an idle connection to one of these apps stays open (seconds;
/// pingora's own `ServeHttp` apps use the same).
const KEEPALIVE_SECS: u64 = 60;

#[async_trait]
impl<A: Answer> HttpServerApp for ReplyServer<A> {
    async fn process_new_http(
        self: &Arc<Self>,
        mut session: ServerSession,
        shutdown: &ShutdownWatch,
    ) -> Option<ReusedHttpStream> {
        match session.read_request().await {
            Ok(true) => {}
            Ok(false) => return None,
            Err(e) => {
                // A head no parser accepts is answered, as the gateway's
                // own listener answers it; a broken connection is not.
                if matches!(e.etype, pingora::ErrorType::InvalidHTTPHeader) {
                    let _ = session.respond_error(400).await;
                }
                unreadable(&e);
                session.shutdown().await;
                return None;
            }
        }
        let keepalive = match *shutdown.borrow() {
            true => None,
            false => Some(KEEPALIVE_SECS),
        };
        session.set_keepalive(keepalive);
        let reply = self.0.answer(&mut session).await;
        if let Err(e) = write(&mut session, reply, A::HEADERS).await {
            log::error!("HTTP server fails to write to downstream: {e}");
            return None;
        }
        let settings = HttpPersistentSettings::for_session(&session);
        match session.finish().await {
            Ok(stream) => stream.map(|s| ReusedHttpStream::from_reusable_stream(s, settings)),
            Err(e) => {
                log::error!("HTTP server fails to finish the request: {e}");
                None
            }
        }
    }
}
