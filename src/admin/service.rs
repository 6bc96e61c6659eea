//! The admin API as one service: a plain [`AdminRequest`] in (the edge reads
//! it off the wire, `edge/admin_listener.rs`), a [`Reply`] out. The token is
//! checked here and only here, before the route is parsed (`route.rs`);
//! then the route runs — the account and outbox routes on the store, the
//! whole-store walks and reload off the async workers — and every request
//! leaves one `mfa_gate::admin` log line.

use crate::access::gate::Gate;
use crate::admin::accounts::{self, OpsError};
use crate::admin::outbox;
use crate::admin::route::{AccountOp, AdminRoute, METRICS_PATH};
use crate::admin::store_ops;
use crate::config::{AdminConfig, NotifyConfig};
use crate::observe::logging::outside;
use crate::observe::metrics;
use crate::reply::Reply;
use crate::store::Store;
use arc_swap::ArcSwap;
use serde_json::json;
use std::sync::Arc;

/// What the admin API needs of a request.
#[derive(Debug)]
pub struct AdminRequest<'a> {
    pub method: &'a str,
    /// The raw (still percent-encoded) path.
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub authorization: Option<&'a str>,
    /// For the log line only.
    pub peer: Option<&'a str>,
    pub now: i64,
}

/// What a reload changed: the answer of `POST /v1/reload`.
#[derive(Debug)]
pub struct Reloaded {
    /// Changed settings that take effect only after a restart.
    pub restart_needed: Vec<&'static str>,
    /// Whether the whoami cache was kept.
    pub identity_cache_kept: bool,
}

/// Re-reading the configuration file (the edge's `Reloader`); blocking.
pub trait Reload: Send + Sync + 'static {
    /// Reload, logged as caused by `trigger`; the error is the reason the
    /// file was rejected (config errors never hold key material).
    fn reload(&self, trigger: &'static str) -> Result<Reloaded, String>;
}

/// The admin API; reads the gateway's current `Gate` (store, token,
/// limits) on every request, so a reloaded token applies at once.
pub struct AdminApi {
    gate: Arc<ArcSwap<Gate>>,
    /// `POST /v1/reload`; `None`: the route answers 404.
    reloader: Option<Arc<dyn Reload>>,
}

impl AdminApi {
    pub fn new(gate: Arc<ArcSwap<Gate>>, reloader: Option<Arc<dyn Reload>>) -> AdminApi {
        AdminApi { gate, reloader }
    }

    /// Answer one request, and log it.
    pub async fn answer(&self, req: &AdminRequest<'_>) -> Reply {
        let gate = self.gate.load_full();
        let reply = match admit(gate.config.admin.as_ref(), req) {
            Ok(route) => self.run(&gate, route, req.now).await,
            Err(refusal) => refusal,
        };
        log(req, &reply);
        reply
    }

    async fn run(&self, gate: &Arc<Gate>, route: AdminRoute, now: i64) -> Reply {
        match route {
            AdminRoute::Metrics => metrics_reply(),
            AdminRoute::Reload => match &self.reloader {
                Some(reloader) => reload(reloader.clone()).await,
                None => Reply::error(404, "not_found"),
            },
            AdminRoute::Store(op) => {
                let gate = gate.clone();
                let work = move || store_ops::answer(gate.store.as_ref(), &gate.keys, op, now);
                blocking(work, "store operation").await
            }
            AdminRoute::Account(op) => {
                let config = &gate.config;
                let notify = config.notify.as_ref();
                account(gate.store.as_ref(), notify, config.max_failures, op, now)
            }
            AdminRoute::Outbox(op) => outbox::answer(gate.store.as_ref(), op),
        }
    }
}

/// The route of a request, once its token is checked: the one place the
/// token is checked. `/metrics` needs none; every other path needs it
/// before it is even parsed, so without it every path answers 401.
pub fn admit(admin: Option<&AdminConfig>, req: &AdminRequest<'_>) -> Result<AdminRoute, Reply> {
    if req.path != METRICS_PATH && !authorized(admin, req.authorization) {
        return Err(unauthorized());
    }
    AdminRoute::parse(req.method, req.path, req.query)
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

/// The answer to a request without the support token (or with a wrong one).
fn unauthorized() -> Reply {
    Reply::error(401, "unauthorized").with_header(
        "WWW-Authenticate",
        "Bearer realm=\"mfa-gate support\"".into(),
    )
}

/// One account's route; support's changes are told through `notify`.
pub fn account(
    store: &dyn Store,
    notify: Option<&NotifyConfig>,
    max_failures: u32,
    op: AccountOp,
    now: i64,
) -> Reply {
    let result = match op {
        AccountOp::Status(account) => {
            accounts::status(store, &account, max_failures).map(|s| Reply::data(&s))
        }
        AccountOp::Unlock(account) => {
            accounts::unlock_noting(store, notify, &account, now, max_failures)
                .map(|r| Reply::data(&r))
        }
        AccountOp::Reset(account) => {
            accounts::reset_noting(store, notify, &account, now, max_failures)
                .map(|r| Reply::data(&r))
        }
        AccountOp::Audit { account, limit } => {
            accounts::audit(store, &account, limit).map(|a| Reply::data(&a))
        }
        AccountOp::CompanyAudit { company, limit } => {
            accounts::company_audit(store, &company, limit).map(|a| Reply::data(&a))
        }
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

/// `POST /v1/reload` (off the async workers: it reads files): 200 with
/// what needs a restart, or 422 with the reason the file was rejected.
async fn reload(reloader: Arc<dyn Reload>) -> Reply {
    let done = move || match reloader.reload("admin API") {
        Ok(done) => Reply::json(
            200,
            json!({
                "status": "reloaded",
                "restart_needed": done.restart_needed,
                "identity_cache_kept": done.identity_cache_kept,
            }),
        ),
        Err(e) => Reply::json(422, json!({ "error": "config_rejected", "message": e })),
    };
    blocking(done, "reload").await
}

/// Run `work` where blocking is allowed; a panic is a 500.
async fn blocking(work: impl FnOnce() -> Reply + Send + 'static, what: &str) -> Reply {
    tokio::task::spawn_blocking(work).await.unwrap_or_else(|e| {
        tracing::error!(error = %e, "{what} task failed");
        Reply::error(500, "internal")
    })
}

pub(in crate::admin) fn metrics_reply() -> Reply {
    match metrics::render() {
        Ok((content_type, body)) => Reply::typed(200, &content_type, body),
        Err(e) => {
            tracing::error!(error = %e, "cannot render metrics");
            Reply::error(500, "metrics_unavailable")
        }
    }
}

fn log(req: &AdminRequest<'_>, reply: &Reply) {
    let (method, path, peer) = (outside(req.method), outside(req.path), req.peer);
    if reply.status == 401 {
        tracing::warn!(
            target: "mfa_gate::admin",
            %method,
            %path,
            peer,
            "admin request without a valid support token"
        );
    } else {
        tracing::info!(
            target: "mfa_gate::admin",
            %method,
            %path,
            status = reply.status,
            peer,
            "admin request"
        );
    }
}

#[cfg(test)]
mod tests;
