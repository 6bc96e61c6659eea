//! The whoami calls' light transport to a plain-`http` upstream: hyper's
//! HTTP/1.1 client connection (`hyper::client::conn::http1`) driven in
//! the calling task, with a small pool of idle keep-alive connections.
//!
//! reqwest (kept for `https` upstreams, see `transport.rs`) wraps the same
//! hyper in a pooled client whose connections run as tasks of their own:
//! each call crosses a channel to that task and back, and goes through
//! URL parsing, redirect, timeout and pool layers. A whoami miss needs none
//! of that (issue 35 §4): here the caller polls its connection itself
//! while it waits for the answer, so the call is one task, and the pool is
//! a locked `Vec`.
//!
//! Behaviour kept from the reqwest client: redirects are not followed (a
//! 3xx is a status like any other), `timeout` bounds the connect and the
//! whole call, the body is read up to `cap` bytes (a larger
//! `Content-Length` is refused before reading), and a pooled connection
//! the upstream closed meanwhile is retried once on a new connection. A
//! connection goes back to the pool only after a whole answer was read on
//! it; at most `MAX_IDLE` wait there, unpolled (one the upstream closed
//! holds its socket until it is next taken, or found older than
//! `IDLE_FOR` and dropped).

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::body::{Body, Incoming};
use hyper::client::conn::http1::{Connection, SendRequest};
use hyper_util::rt::TokioIo;
use std::future::Future;
use std::pin::pin;
use std::sync::Mutex;
use std::task::Poll;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

/// Idle connections kept (as reqwest's `pool_max_idle_per_host` was).
const MAX_IDLE: usize = 64;
/// How long an idle connection is kept (reqwest's pool default).
const IDLE_FOR: Duration = Duration::from_secs(90);

/// A request of ours: no body (a POST without framing headers, as
/// reqwest sent it).
pub type Request = http::Request<Empty<Bytes>>;

/// The answer: its status, and its body if the status was 200.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    /// Empty unless the status is 200.
    pub body: Vec<u8>,
}

/// Why a call gave no answer.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error("timed out")]
    Timeout,
    #[error("body over {0} bytes")]
    TooLarge(usize),
    #[error("{0}")]
    Connect(std::io::Error),
    #[error("{0}")]
    Http(#[from] hyper::Error),
    #[error("connection closed before the answer")]
    Closed,
}

/// One keep-alive connection: the handle requests are sent through, and
/// the connection state machine that this module polls itself.
struct Link {
    sender: SendRequest<Empty<Bytes>>,
    conn: Driven,
    idle_since: Instant,
}

/// A connection's state machine, and whether it has ended (it is not
/// polled again then).
struct Driven {
    conn: Connection<TokioIo<TcpStream>, Empty<Bytes>>,
    ended: bool,
}

/// The pooled HTTP/1.1 client of one upstream address.
pub struct Http1Pool {
    /// `host:port`, as connected to.
    address: String,
    timeout: Duration,
    cap: usize,
    /// Boxed: a connection is some hundreds of bytes, and each call moved
    /// it out of the pool, into the exchange and back.
    #[allow(clippy::vec_box)]
    idle: Mutex<Vec<Box<Link>>>,
}

impl Http1Pool {
    /// A client of `address` (`host:port`): every call bounded by
    /// `timeout`, bodies by `cap` bytes.
    pub fn new(address: &str, timeout: Duration, cap: usize) -> Self {
        Http1Pool {
            address: address.to_owned(),
            timeout,
            cap,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Send the request `make` makes and read its answer, all within the
    /// timeout.
    pub async fn call<E>(&self, make: impl Fn() -> Result<Request, E>) -> Result<Answer, E>
    where
        E: From<CallError>,
    {
        tokio::time::timeout(self.timeout, self.exchange(make))
            .await
            .unwrap_or(Err(CallError::Timeout.into()))
    }

    /// On a pooled connection, or on a new one when none is idle or the
    /// pooled one failed before its answer began (the upstream may close
    /// an idle connection at any time): the request is made again then.
    async fn exchange<E>(&self, make: impl Fn() -> Result<Request, E>) -> Result<Answer, E>
    where
        E: From<CallError>,
    {
        if let Some(link) = self.checkout() {
            match self.exchange_on(link, make()?).await {
                Err(Failed::BeforeAnswer(_)) => {}
                Err(Failed::During(e)) => return Err(e.into()),
                Ok(answer) => return Ok(answer),
            }
        }
        let link = self.connect().await?;
        self.exchange_on(link, make()?)
            .await
            .map_err(|e| e.into_inner().into())
    }

    /// The request on `link`, which goes back to the pool when the
    /// answer was read whole.
    async fn exchange_on(&self, mut link: Box<Link>, request: Request) -> Result<Answer, Failed> {
        let Link { sender, conn, .. } = &mut *link;
        let before = Failed::BeforeAnswer;
        drive(conn, sender.ready())
            .await
            .and_then(http)
            .map_err(before)?;
        let response = drive(conn, sender.send_request(request))
            .await
            .and_then(http)
            .map_err(before)?;
        let status = response.status().as_u16();
        let body = response.into_body();
        let body = match (status, read_body(conn, body, self.cap).await) {
            (200, read) => read.map_err(Failed::During)?,
            // Another status is the answer whatever its body; a body read
            // whole keeps the connection.
            (_, Ok(_)) => Vec::new(),
            (_, Err(_)) => {
                return Ok(Answer {
                    status,
                    body: Vec::new(),
                });
            }
        };
        self.checkin(link);
        Ok(Answer { status, body })
    }

    /// A new connection to the upstream.
    async fn connect(&self) -> Result<Box<Link>, CallError> {
        let stream = TcpStream::connect(self.address.as_str())
            .await
            .map_err(CallError::Connect)?;
        stream.set_nodelay(true).map_err(CallError::Connect)?;
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        Ok(Box::new(Link {
            sender,
            conn: Driven { conn, ended: false },
            idle_since: Instant::now(),
        }))
    }

    /// The most recently used idle connection not known to be closed, if
    /// any. One the upstream closed meanwhile shows when it is next
    /// polled, readying it for the request: the request is then retried
    /// on a new connection (`exchange`).
    fn checkout(&self) -> Option<Box<Link>> {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        while let Some(link) = idle.pop() {
            if link.idle_since.elapsed() < IDLE_FOR && !link.sender.is_closed() {
                return Some(link);
            }
        }
        None
    }

    fn checkin(&self, mut link: Box<Link>) {
        if link.conn.ended {
            return;
        }
        link.idle_since = Instant::now();
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < MAX_IDLE {
            idle.push(link);
        }
    }

    /// Idle connections in the pool (for tests).
    #[cfg(test)]
    pub fn idle(&self) -> usize {
        self.idle.lock().map(|idle| idle.len()).unwrap_or(0)
    }
}

/// A failed exchange, and whether its answer had begun: only a failure
/// before it is worth a retry on a new connection.
enum Failed {
    BeforeAnswer(CallError),
    During(CallError),
}

impl Failed {
    fn into_inner(self) -> CallError {
        match self {
            Failed::BeforeAnswer(e) | Failed::During(e) => e,
        }
    }
}

fn http<T>(result: Result<T, hyper::Error>) -> Result<T, CallError> {
    result.map_err(CallError::Http)
}

/// Await `work` (a request's answer, or a body frame) while polling the
/// connection it depends on. `work` is polled before and after the
/// connection, so that what one connection poll delivers is taken in the
/// same turn, not after another wake-up. A connection that ends first
/// fails `work`.
async fn drive<O>(driven: &mut Driven, work: impl Future<Output = O>) -> Result<O, CallError> {
    let mut work = pin!(work);
    let mut ended = None;
    std::future::poll_fn(|cx| {
        if let Poll::Ready(done) = work.as_mut().poll(cx) {
            return Poll::Ready(Ok(done));
        }
        if !driven.ended
            && let Poll::Ready(end) = std::pin::Pin::new(&mut driven.conn).poll(cx)
        {
            driven.ended = true;
            ended = Some(end);
        }
        match work.as_mut().poll(cx) {
            Poll::Ready(done) => Poll::Ready(Ok(done)),
            Poll::Pending if driven.ended => Poll::Ready(Err(match ended.take() {
                Some(Err(e)) => CallError::Http(e),
                _ => CallError::Closed,
            })),
            Poll::Pending => Poll::Pending,
        }
    })
    .await
}

/// The whole body, refused when it is (or says it is) over `cap` bytes.
async fn read_body(
    conn: &mut Driven,
    mut body: Incoming,
    cap: usize,
) -> Result<Vec<u8>, CallError> {
    if body.size_hint().lower() > cap as u64 {
        return Err(CallError::TooLarge(cap));
    }
    let mut out = Vec::with_capacity(body.size_hint().exact().unwrap_or(0) as usize);
    // A body of known length ends with its last byte: no poll for the end.
    while !body.is_end_stream()
        && let Some(frame) = drive(conn, body.frame()).await?
    {
        if let Ok(data) = frame?.into_data() {
            if out.len() + data.len() > cap {
                return Err(CallError::TooLarge(cap));
            }
            out.extend_from_slice(&data);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
