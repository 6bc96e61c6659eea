//! The admin API's routes as one value, parsed once from the method, the
//! raw path and the query: [`AdminRoute::parse`] either names what to do,
//! with its arguments already checked (a decoded account, a limit in
//! range, a queue), or gives the refusal (400, 404 or 405) to send. The
//! token is checked before parsing (`service.rs`), so an unauthorized
//! request learns nothing about which paths exist.

use crate::admin::accounts::{DEFAULT_AUDIT_LIMIT, MAX_AUDIT_LIMIT};
use crate::reply::Reply;
use crate::request::paths::query_param;
use crate::store::Queue;
use serde_json::json;

pub const METRICS_PATH: &str = "/metrics";
pub const RELOAD_PATH: &str = "/v1/reload";
pub const BACKUP_PATH: &str = "/v1/backup";
pub const ROTATE_PATH: &str = "/v1/keys/rotate-encryption";
pub const OUTBOX_PATH: &str = "/v1/outbox";
pub const RETRY_PATH: &str = "/v1/outbox/retry";

/// Outbox entries per page unless `limit` says, and at most.
const PAGE: usize = 100;
pub const MAX_PAGE: usize = 1000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AdminRoute {
    /// Prometheus text; the one route without a token.
    Metrics,
    /// Re-read the YAML file.
    Reload,
    /// A whole-store walk, run off the async workers.
    Store(StoreOp),
    /// One account (or one company's audit trail).
    Account(AccountOp),
    Outbox(OutboxOp),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreOp {
    Backup,
    RotateEncryption,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AccountOp {
    Status(String),
    Unlock(String),
    Reset(String),
    Audit { account: String, limit: usize },
    CompanyAudit { company: String, limit: usize },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutboxOp {
    List {
        queue: Queue,
        after: Option<u64>,
        limit: usize,
    },
    Retry {
        id: Option<u64>,
    },
}

impl AdminRoute {
    /// The route of `method` on the raw `path`, or the refusal to send.
    pub fn parse(method: &str, path: &str, query: Option<&str>) -> Result<AdminRoute, Reply> {
        let allow = |allowed: &[&str]| match allowed.contains(&method) {
            true => Ok(()),
            false => Err(Reply::error(405, "method_not_allowed")),
        };
        match path {
            METRICS_PATH => allow(&["GET", "HEAD"]).map(|()| AdminRoute::Metrics),
            RELOAD_PATH => allow(&["POST"]).map(|()| AdminRoute::Reload),
            BACKUP_PATH => allow(&["GET"]).map(|()| AdminRoute::Store(StoreOp::Backup)),
            ROTATE_PATH => allow(&["POST"]).map(|()| AdminRoute::Store(StoreOp::RotateEncryption)),
            OUTBOX_PATH => allow(&["GET"]).and_then(|()| outbox_page(query)),
            RETRY_PATH => allow(&["POST"]).and_then(|()| retry(query)),
            _ => account_route(method, path, query).map(AdminRoute::Account),
        }
    }
}

/// `/v1/accounts/{account}[/op]` and `/v1/companies/{company}/audit`.
fn account_route(method: &str, path: &str, query: Option<&str>) -> Result<AccountOp, Reply> {
    if let Some(rest) = path.strip_prefix("/v1/companies/") {
        let company = company_segment(rest)?;
        return match method {
            "GET" | "HEAD" => Ok(AccountOp::CompanyAudit {
                company,
                limit: audit_limit(query)?,
            }),
            _ => Err(Reply::error(405, "method_not_allowed")),
        };
    }
    let rest = path.strip_prefix("/v1/accounts/").ok_or_else(not_found)?;
    let (encoded, op) = match rest.split_once('/') {
        Some((account, op)) => (account, Some(op)),
        None => (rest, None),
    };
    if encoded.is_empty() {
        return Err(not_found());
    }
    let account = decoded(encoded).ok_or_else(bad_account)?;
    match (op, method) {
        (None, "GET" | "HEAD") => Ok(AccountOp::Status(account)),
        (Some("audit"), "GET" | "HEAD") => Ok(AccountOp::Audit {
            account,
            limit: audit_limit(query)?,
        }),
        (Some("unlock"), "POST") => Ok(AccountOp::Unlock(account)),
        (Some("reset"), "POST") => Ok(AccountOp::Reset(account)),
        (None | Some("audit" | "unlock" | "reset"), _) => {
            Err(Reply::error(405, "method_not_allowed"))
        }
        _ => Err(not_found()),
    }
}

/// `{company}/audit`: one non-empty segment without a control character.
fn company_segment(rest: &str) -> Result<String, Reply> {
    let encoded = rest.strip_suffix("/audit").ok_or_else(not_found)?;
    match percent_encoding::percent_decode_str(encoded).decode_utf8() {
        Ok(c) if c.is_empty() || c.contains('/') => Err(not_found()),
        Ok(c) if !c.chars().any(char::is_control) => Ok(c.into_owned()),
        _ => Err(bad_account()),
    }
}

/// One percent-encoded path segment as text without control characters.
fn decoded(segment: &str) -> Option<String> {
    let text = percent_encoding::percent_decode_str(segment)
        .decode_utf8()
        .ok()?;
    (!text.chars().any(char::is_control)).then(|| text.into_owned())
}

/// `?limit=N` of an audit listing (the default when absent); anything but
/// a number from 1 to `MAX_AUDIT_LIMIT` is a 400 that says the range.
fn audit_limit(query: Option<&str>) -> Result<usize, Reply> {
    let Some(given) = query_param(query, "limit") else {
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

/// `queue`, `after` and `limit` of an outbox listing; a 400 naming what is
/// wrong.
fn outbox_page(query: Option<&str>) -> Result<AdminRoute, Reply> {
    let param = |name| query_param(query, name);
    let bad = |what: &str| Reply::json(400, json!({ "error": "bad_query", "detail": what }));
    let queue = match param("queue").as_deref() {
        None | Some("pending") => Queue::Pending,
        Some("dead") => Queue::Dead,
        Some(_) => return Err(bad("queue is pending or dead")),
    };
    let after = match param("after") {
        None => None,
        Some(a) => Some(a.parse().map_err(|_| bad("after is an entry id"))?),
    };
    let limit = match param("limit") {
        None => PAGE,
        Some(l) => match l.parse::<usize>() {
            Ok(n) if (1..=MAX_PAGE).contains(&n) => n,
            _ => return Err(bad("limit is 1 to 1000")),
        },
    };
    Ok(AdminRoute::Outbox(OutboxOp::List {
        queue,
        after,
        limit,
    }))
}

/// `?id=N`: one dead letter; none: every dead letter.
fn retry(query: Option<&str>) -> Result<AdminRoute, Reply> {
    let id = match query_param(query, "id") {
        None => None,
        Some(i) => Some(i.parse().map_err(|_| Reply::error(400, "bad_id"))?),
    };
    Ok(AdminRoute::Outbox(OutboxOp::Retry { id }))
}

fn not_found() -> Reply {
    Reply::error(404, "not_found")
}

fn bad_account() -> Reply {
    Reply::error(400, "bad_account")
}

#[cfg(test)]
mod tests;
