//! The lean ask listener (`forward_auth.listen`): forward-auth asks
//! answered outside pingora's proxy cycle. A front asks on every request
//! of the app (nginx `auth_request`, Traefik, Caddy), so the ask's own
//! cost is most of what forward auth adds. Here a connection is read with
//! `httparse` (`wire.rs`), each ask is answered by the same
//! `proxy::forward_auth::forward_auth` as on the gateway's listener (one
//! decision for one request, whichever port asks), and the answer is
//! written as it is, with keep-alive. Nothing here is forwarded anywhere.
//!
//! Only `{prefix}/auth` is answered (404 otherwise), only asks without a
//! body, and only the peers of `trusted_proxies` get a decision. Every
//! wait is bounded: a head must arrive within `HEAD_TIMEOUT` of its first
//! byte, an idle connection ends after `IDLE_TIMEOUT`, and a graceful
//! shutdown ends it after the answer in flight.

mod wire;

use crate::access::gate::Gate;
use crate::edge::proxy::forward_auth::forward_auth;
use crate::edge::proxy::{Step, access_line};
use crate::edge::upstream::Forwarding;
use crate::observe::metrics::{self, Outcome};
use crate::reply::Reply;
use crate::request::forwarded;
use arc_swap::ArcSwap;
use async_trait::async_trait;
use bytes::BytesMut;
use pingora::apps::ServerApp;
use pingora::protocols::Stream;
use pingora::server::ShutdownWatch;
use pingora::services::listening::Service;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wire::{Head, Unreadable};

/// How long a started head may take to arrive, all of it (a client that
/// trickles a byte at a time does not get longer).
const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a kept-alive connection may wait for its next ask.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// The ask listener on `listen`.
pub fn service(gate: Arc<ArcSwap<Gate>>, listen: &str) -> Service<AskApp> {
    metrics::init();
    let mut service = Service::new("mfa-gate forward auth".to_owned(), AskApp { gate });
    service.add_tcp(listen);
    service
}

/// The ask listener's app: reads the gate in force for every ask.
pub struct AskApp {
    gate: Arc<ArcSwap<Gate>>,
}

#[async_trait]
impl ServerApp for AskApp {
    async fn process_new(
        self: &Arc<Self>,
        mut io: Stream,
        shutdown: &ShutdownWatch,
    ) -> Option<Stream> {
        let peer = io
            .get_socket_digest()
            .and_then(|d| d.peer_addr().and_then(|a| a.as_inet()).map(|a| a.ip()));
        let mut buf = BytesMut::with_capacity(4096);
        let mut shutdown = shutdown.clone();
        loop {
            let head = match next_head(&mut io, &mut buf, &mut shutdown).await {
                Ok(Some(head)) => head,
                Ok(None) => return None,
                Err(unreadable) => {
                    let reply = Reply::error(unreadable.status(), unreadable.error());
                    let _ = io.write_all(&wire::response(&reply, false, false)).await;
                    return None;
                }
            };
            let keep_alive = head.keep_alive && !*shutdown.borrow();
            if !self.answer(&mut io, head, peer, keep_alive).await || !keep_alive {
                return None;
            }
        }
    }
}

impl AskApp {
    /// Answer one ask; false when the connection broke.
    async fn answer(&self, io: &mut Stream, head: Head, peer: Option<IpAddr>, keep: bool) -> bool {
        let started = Instant::now();
        let gate = self.gate.load_full();
        let Head {
            mut parts, target, ..
        } = head;
        let head_only = parts.method == http::Method::HEAD;
        let (outcome, reply, fwd) = decide(&gate, &mut parts, &target, peer).await;
        let written = io.write_all(&wire::response(&reply, head_only, keep)).await;
        let written = written.is_ok() && io.flush().await.is_ok();
        metrics::request_done(outcome, started.elapsed(), false);
        access_line(&parts, reply.status, outcome, &fwd, started, None);
        written
    }
}

/// The answer to an ask (or to a request that is not one).
async fn decide(
    gate: &Gate,
    parts: &mut http::request::Parts,
    target: &str,
    peer: Option<IpAddr>,
) -> (Outcome, Reply, Forwarding) {
    // As on the gateway's listener: the description first, then the
    // arrival hygiene, which removes some of its headers.
    let describing = forwarded::describing(parts);
    let mut fwd = Forwarding::arrive_ask(parts, peer, gate);
    if !forwarded::is_ask(target.as_bytes(), &gate.config.prefix) {
        return (Outcome::Refused, Reply::error(404, "not_found"), fwd);
    }
    let now = crate::clock::unix_now();
    let (outcome, reply) = match forward_auth(gate, parts, &describing, &mut fwd, now).await {
        Step::Answer(outcome, reply) | Step::Bare(outcome, reply) => (outcome, reply),
        // An ask is never forwarded.
        Step::Forward(_) => (Outcome::Error, Reply::error(500, "internal")),
    };
    (outcome, reply, fwd)
}

/// Read until a whole head is buffered: `Ok(None)` when the peer closed
/// or went idle, or the server is shutting down, between asks.
async fn next_head(
    io: &mut Stream,
    buf: &mut BytesMut,
    shutdown: &mut ShutdownWatch,
) -> Result<Option<Head>, Unreadable> {
    let mut head_by = None;
    loop {
        if let Some(head) = wire::take_head(buf)? {
            return Ok(Some(head));
        }
        let between = buf.is_empty();
        let now = tokio::time::Instant::now();
        let by = match between {
            true => now + IDLE_TIMEOUT,
            false => *head_by.get_or_insert(now + HEAD_TIMEOUT),
        };
        let read = tokio::select! {
            read = tokio::time::timeout_at(by, io.read_buf(buf)) => read,
            _ = shutdown.changed(), if between => return Ok(None),
        };
        match read {
            Ok(Ok(n)) if n > 0 => {}
            // Closed or timed out: mid-head, a client too slow to answer.
            _ => return Ok(None),
        }
    }
}

#[cfg(test)]
mod tests;
