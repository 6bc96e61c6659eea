//! The admin and metrics listeners on the wire: pingora services that read
//! each request's head into plain values and write the `Reply` the admin
//! API (`crate::admin`, which knows no pingora) or its probes give.

use crate::access::gate::Gate;
use crate::admin::{AdminApi, AdminRequest, Reload};
use crate::edge::write::{Answer, ReplyServer};
use crate::observe::metrics;
use crate::reply::Reply;
use arc_swap::ArcSwap;
use async_trait::async_trait;
use pingora::protocols::http::ServerSession;
use pingora::services::listening::Service;
use std::sync::Arc;

/// A pingora service running the admin API on `listen`.
pub fn service(
    gate: Arc<ArcSwap<Gate>>,
    reloader: Option<Arc<dyn Reload>>,
    listen: &str,
) -> Service<ReplyServer<AdminApi>> {
    metrics::init();
    let api = AdminApi::new(gate, reloader);
    let mut service = Service::new("mfa-gate admin".to_owned(), ReplyServer(api));
    service.add_tcp(listen);
    service
}

/// The metrics listener (`/metrics`, `/livez`, `/readyz`) on `listen`.
pub fn metrics_service(gate: Arc<ArcSwap<Gate>>, listen: &str) -> Service<ReplyServer<MetricsApp>> {
    metrics::init();
    let mut service = Service::new(
        "mfa-gate metrics".to_owned(),
        ReplyServer(MetricsApp { gate }),
    );
    service.add_tcp(listen);
    service
}

/// The metrics listener's app: reads the current store on every request.
pub struct MetricsApp {
    gate: Arc<ArcSwap<Gate>>,
}

#[async_trait]
impl Answer for MetricsApp {
    const HEADERS: &'static [(&'static str, &'static str)] = &[];

    async fn answer(&self, session: &mut ServerSession) -> Reply {
        let header = session.req_header();
        let (method, path) = (
            header.method.as_str().to_owned(),
            header.uri.path().to_owned(),
        );
        let store = self.gate.load().store.clone();
        crate::admin::probes::answer(store, &method, &path).await
    }
}

#[async_trait]
impl Answer for AdminApi {
    /// Every answer is JSON or metrics text: nothing more to add.
    const HEADERS: &'static [(&'static str, &'static str)] = &[];

    async fn answer(&self, session: &mut ServerSession) -> Reply {
        let header = session.req_header();
        let method = header.method.as_str().to_owned();
        let path = header.uri.path().to_owned();
        let query = header.uri.query().map(str::to_owned);
        let authorization = header
            .headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        // No route reads a body; one that was sent is left unread, so the
        // connection cannot be reused.
        let has_body = header
            .headers
            .get(http::header::CONTENT_LENGTH)
            .is_some_and(|v| v.as_bytes() != b"0")
            || header.headers.contains_key(http::header::TRANSFER_ENCODING);
        if has_body {
            session.set_keepalive(None);
        }
        let peer = session.client_addr().map(|a| a.to_string());
        let req = AdminRequest {
            method: &method,
            path: &path,
            query: query.as_deref(),
            authorization: authorization.as_deref(),
            peer: peer.as_deref(),
            now: crate::clock::unix_now(),
        };
        AdminApi::answer(self, &req).await
    }
}
