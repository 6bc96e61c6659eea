//! The admin listener: the support API that `mfa-gate support` talks to, and
//! Prometheus `/metrics`. A pingora `ServeHttp` service on its own address
//! (loopback by default), separate from the gateway's listener so that the
//! app's users can never reach it.
//!
//! | route                                   | does                        |
//! |-----------------------------------------|-----------------------------|
//! | `GET  /v1/accounts/{account}`           | `support::accounts::status` |
//! | `POST /v1/accounts/{account}/unlock`    | `support::accounts::unlock` |
//! | `POST /v1/accounts/{account}/reset`     | `support::accounts::reset`  |
//! | `GET  /v1/accounts/{account}/audit`     | `support::accounts::audit` (`?limit=N`) |
//! | `GET  /v1/companies/{company}/audit`    | `support::accounts::company_audit` (`?limit=N`): policy changes |
//! | `GET  /v1/outbox`                       | `support::outbox::list`: notifications waiting or dead-lettered |
//! | `POST /v1/outbox/retry`                 | `support::outbox::retry`: dead-lettered (or `?id=N`) ones again, now |
//! | `POST /v1/reload`                       | `reload::Reloader::reload`: re-read the YAML file |
//! | `GET  /metrics`                         | Prometheus text, no token   |
//!
//! Every `/v1/` request needs `Authorization: Bearer <support token>`,
//! checked (in constant time) before the route is even looked at: without
//! it, every path answers 401. `/metrics` holds counts only, no account
//! names, and needs no token, so a scraper never holds a token that can reset
//! 2FA. `{account}` is one percent-encoded path segment. Answers are JSON,
//! `{"error": …}` on failure. Routing is a pure function of the request
//! (`handle`), tested without a listener.

pub mod accounts;
pub mod outbox;
pub mod store_ops;

use crate::access::gate::Gate;
use crate::config::AdminConfig;
use crate::edge::reload::Reloader;
use crate::edge::write::{Answer, ReplyServer};
use crate::observe::logging::outside;
use crate::observe::metrics;
use crate::reply::Reply;
use crate::store::Store;
use accounts::{DEFAULT_AUDIT_LIMIT, MAX_AUDIT_LIMIT, OpsError};
use arc_swap::ArcSwap;
use async_trait::async_trait;
use pingora::protocols::http::ServerSession;
use pingora::services::listening::Service;
use serde_json::json;
use std::sync::Arc;

/// The admin listener's app; reads the gateway's current `Gate` (store,
/// token, limits) on every request, so a reloaded token applies at once.
pub struct AdminApp {
    gate: Arc<ArcSwap<Gate>>,
    /// `POST /v1/reload`; `None`: the route answers 404.
    reloader: Option<Arc<Reloader>>,
}

/// The reload route.
const RELOAD_PATH: &str = "/v1/reload";

/// A pingora service running the admin listener on `listen`.
pub fn service(
    gate: Arc<ArcSwap<Gate>>,
    reloader: Option<Arc<Reloader>>,
    listen: &str,
) -> Service<ReplyServer<AdminApp>> {
    metrics::init();
    let mut service = Service::new(
        "mfa-gate admin".to_owned(),
        ReplyServer(AdminApp { gate, reloader }),
    );
    service.add_tcp(listen);
    service
}

/// What routing needs of a request.
#[derive(Debug)]
pub struct AdminRequest<'a> {
    pub method: &'a str,
    /// The raw (still percent-encoded) path.
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub authorization: Option<&'a str>,
    pub now: i64,
}

/// The answer to a request without the support token (or with a wrong one).
fn unauthorized() -> Reply {
    Reply::error(401, "unauthorized").with_header(
        "WWW-Authenticate",
        "Bearer realm=\"mfa-gate support\"".into(),
    )
}

#[async_trait]
impl Answer for AdminApp {
    /// Every answer is JSON or metrics text: nothing more to add.
    const HEADERS: &'static [(&'static str, &'static str)] = &[];

    async fn answer(&self, session: &mut ServerSession) -> Reply {
        let gate = self.gate.load_full();
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
            now: crate::clock::unix_now(),
        };
        let reply = match &self.reloader {
            Some(reloader) if path == RELOAD_PATH => {
                reload(reloader, gate.config.admin.as_ref(), &req).await
            }
            _ if crate::admin::store_ops::is_store_route(&path) => store_op(&gate, &req).await,
            _ => handle_noting(
                gate.store.as_ref(),
                gate.config.admin.as_ref(),
                gate.config.notify.as_ref(),
                gate.config.max_failures,
                &req,
            ),
        };
        if reply.status == 401 {
            tracing::warn!(
                target: "mfa_gate::admin",
                method = %outside(&method),
                path = %outside(&path),
                peer = peer.as_deref(),
                "admin request without a valid support token"
            );
        } else {
            tracing::info!(
                target: "mfa_gate::admin",
                method = %outside(&method),
                path = %outside(&path),
                status = reply.status,
                peer = peer.as_deref(),
                "admin request"
            );
        }
        reply
    }
}

/// `POST /v1/reload`: token first, then the reload (off the async workers:
/// it reads files). 200 with what needs a restart, or 422 with the reason
/// the file was rejected (config errors never hold key material).
async fn reload(
    reloader: &Arc<Reloader>,
    admin: Option<&AdminConfig>,
    req: &AdminRequest<'_>,
) -> Reply {
    if !authorized(admin, req.authorization) {
        return unauthorized();
    }
    if req.method != "POST" {
        return Reply::error(405, "method_not_allowed");
    }
    let reloader = reloader.clone();
    match tokio::task::spawn_blocking(move || reloader.reload_logged("admin API")).await {
        Ok(Ok(done)) => Reply::json(
            200,
            json!({
                "status": "reloaded",
                "restart_needed": done.restart_needed,
                "identity_cache_kept": done.identity_cache_kept,
            }),
        ),
        Ok(Err(e)) => Reply::json(
            422,
            json!({ "error": "config_rejected", "message": e.to_string() }),
        ),
        Err(e) => {
            tracing::error!(error = %e, "reload task failed");
            Reply::error(500, "internal")
        }
    }
}

/// Backup and key rotation (`admin_store.rs`): token first, then the
/// whole-store walk off the async workers.
async fn store_op(gate: &Arc<Gate>, req: &AdminRequest<'_>) -> Reply {
    if !authorized(gate.config.admin.as_ref(), req.authorization) {
        return unauthorized();
    }
    let (gate, method, path, now) = (
        gate.clone(),
        req.method.to_owned(),
        req.path.to_owned(),
        req.now,
    );
    match tokio::task::spawn_blocking(move || {
        crate::admin::store_ops::answer(&gate, &method, &path, now)
    })
    .await
    {
        Ok(a) => Reply::typed(a.status, a.content_type, a.body),
        Err(e) => {
            tracing::error!(error = %e, "store operation task failed");
            Reply::error(500, "internal")
        }
    }
}

/// What a path asks for.
#[derive(Debug, PartialEq, Eq)]
enum Route {
    Status(String),
    Unlock(String),
    Reset(String),
    Audit(String),
    CompanyAudit(String),
    BadAccount,
    MethodNotAllowed,
    NotFound,
}

/// Answer one admin request (everything but `/metrics` needs the token).
pub fn handle(
    store: &dyn Store,
    admin: Option<&AdminConfig>,
    max_failures: u32,
    req: &AdminRequest<'_>,
) -> Reply {
    handle_noting(store, admin, None, max_failures, req)
}

/// `handle`, with support's changes told through `notify`, and the
/// outbox routes (`support::outbox`).
pub fn handle_noting(
    store: &dyn Store,
    admin: Option<&AdminConfig>,
    notify: Option<&crate::config::NotifyConfig>,
    max_failures: u32,
    req: &AdminRequest<'_>,
) -> Reply {
    if req.path == "/metrics" {
        return match req.method {
            "GET" | "HEAD" => metrics_reply(),
            _ => Reply::error(405, "method_not_allowed"),
        };
    }
    if !authorized(admin, req.authorization) {
        return unauthorized();
    }
    if let Some(reply) = crate::admin::outbox::answer(store, req.method, req.path, req.query) {
        return reply;
    }
    let result = match route(req.method, req.path) {
        Route::Status(account) => {
            accounts::status(store, &account, max_failures).map(|s| Reply::data(&s))
        }
        Route::Unlock(account) => {
            accounts::unlock_noting(store, notify, &account, req.now, max_failures)
                .map(|r| Reply::data(&r))
        }
        Route::Reset(account) => {
            accounts::reset_noting(store, notify, &account, req.now, max_failures)
                .map(|r| Reply::data(&r))
        }
        Route::Audit(account) => match limit(req) {
            Ok(limit) => accounts::audit(store, &account, limit).map(|a| Reply::data(&a)),
            Err(bad) => return bad,
        },
        Route::CompanyAudit(company) => match limit(req) {
            Ok(limit) => accounts::company_audit(store, &company, limit).map(|a| Reply::data(&a)),
            Err(bad) => return bad,
        },
        Route::BadAccount => return Reply::error(400, "bad_account"),
        Route::MethodNotAllowed => return Reply::error(405, "method_not_allowed"),
        Route::NotFound => return Reply::error(404, "not_found"),
    };
    result.unwrap_or_else(|e| match e {
        OpsError::UnknownAccount(account) => Reply::json(
            404,
            json!({ "error": "unknown_account", "account": account }),
        ),
        OpsError::Store(e) => {
            tracing::error!(error = %e, "support operation: store unavailable");
            Reply::error(503, "store_unavailable")
        }
    })
}

/// `?limit=N` of an audit listing (the default when absent); anything but
/// a number from 1 to `MAX_AUDIT_LIMIT` is a 400 that says the range.
fn limit(req: &AdminRequest<'_>) -> Result<usize, Reply> {
    let Some(given) = crate::request::paths::query_param(req.query, "limit") else {
        return Ok(DEFAULT_AUDIT_LIMIT);
    };
    match given.parse::<usize>() {
        Ok(n) if (1..=MAX_AUDIT_LIMIT).contains(&n) => Ok(n),
        _ => Err(Reply::json(
            400,
            json!({ "error": "bad_limit", "allowed": format!("1 to {MAX_AUDIT_LIMIT}") }),
        )),
    }
}

/// `Authorization: Bearer <token>` matching the configured token. No admin
/// section (after a reload removed it): nobody is authorized.
fn authorized(admin: Option<&AdminConfig>, authorization: Option<&str>) -> bool {
    let (Some(admin), Some(value)) = (admin, authorization) else {
        return false;
    };
    let Some((scheme, token)) = value.trim().split_once(' ') else {
        return false;
    };
    scheme.eq_ignore_ascii_case("bearer") && admin.support_token.verify(token.trim())
}

fn route(method: &str, path: &str) -> Route {
    if let Some(rest) = path.strip_prefix("/v1/companies/") {
        return company_route(method, rest);
    }
    let Some(rest) = path.strip_prefix("/v1/accounts/") else {
        return Route::NotFound;
    };
    let (encoded, op) = match rest.split_once('/') {
        Some((account, op)) => (account, Some(op)),
        None => (rest, None),
    };
    if encoded.is_empty() {
        return Route::NotFound;
    }
    let Ok(account) = percent_encoding::percent_decode_str(encoded).decode_utf8() else {
        return Route::BadAccount;
    };
    let account = account.into_owned();
    if account.chars().any(char::is_control) {
        return Route::BadAccount;
    }
    match (op, method) {
        (None, "GET" | "HEAD") => Route::Status(account),
        (Some("audit"), "GET" | "HEAD") => Route::Audit(account),
        (Some("unlock"), "POST") => Route::Unlock(account),
        (Some("reset"), "POST") => Route::Reset(account),
        (None | Some("audit" | "unlock" | "reset"), _) => Route::MethodNotAllowed,
        _ => Route::NotFound,
    }
}

/// `/v1/companies/{company}/audit`: the company's own audit events.
fn company_route(method: &str, rest: &str) -> Route {
    let Some(encoded) = rest.strip_suffix("/audit") else {
        return Route::NotFound;
    };
    let company = match percent_encoding::percent_decode_str(encoded).decode_utf8() {
        Ok(c) if !c.is_empty() && !c.contains('/') && !c.chars().any(char::is_control) => {
            c.into_owned()
        }
        Ok(c) if c.is_empty() || c.contains('/') => return Route::NotFound,
        _ => return Route::BadAccount,
    };
    match method {
        "GET" | "HEAD" => Route::CompanyAudit(company),
        _ => Route::MethodNotAllowed,
    }
}

fn metrics_reply() -> Reply {
    match metrics::render() {
        Ok((content_type, body)) => Reply::typed(200, &content_type, body),
        Err(e) => {
            tracing::error!(error = %e, "cannot render metrics");
            Reply::error(500, "metrics_unavailable")
        }
    }
}

#[cfg(test)]
mod tests;
