//! The outbox as support sees it (`GET /v1/outbox`, `POST
//! /v1/outbox/retry[?id=N]` on the admin listener; `mfa-gate support
//! outbox list|retry`): which notifications wait or were dead-lettered,
//! with their attempts and last error, and sending dead ones again.
//! Entries show the event, the account and the target, never a secret.

use crate::domain::{Delivery, DeliveryState, Target};
use crate::reply::Reply;
use crate::store::{Store, StoreError};
use serde::{Deserialize, Serialize};

/// Entries listed at most.
const LIST_LIMIT: usize = 1000;

#[derive(Debug, Serialize, Deserialize)]
pub struct OutboxList {
    pub pending: usize,
    pub dead: usize,
    pub entries: Vec<OutboxItem>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct OutboxItem {
    pub id: u64,
    pub notice: u64,
    pub event: String,
    pub account: String,
    pub at: String,
    /// `email:ADDRESS` or `webhook:URL`.
    pub target: String,
    pub state: String,
    pub attempts: u32,
    pub last_error: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct RetryResult {
    pub retried: usize,
}

/// The admin routes of the outbox; `None` for any other path.
pub fn answer(store: &dyn Store, method: &str, path: &str, query: Option<&str>) -> Option<Reply> {
    let result = match (method, path) {
        ("GET", "/v1/outbox") => list(store).map(|l| Reply::data(&l)),
        ("POST", "/v1/outbox/retry") => {
            let id = crate::paths::query_param(query, "id").map(|i| i.parse::<u64>());
            match id {
                Some(Err(_)) => return Some(Reply::error(400, "bad_id")),
                Some(Ok(id)) => retry(store, Some(id)),
                None => retry(store, None),
            }
            .map(|retried| Reply::data(&RetryResult { retried }))
        }
        (_, "/v1/outbox" | "/v1/outbox/retry") => {
            return Some(Reply::error(405, "method_not_allowed"));
        }
        _ => return None,
    };
    Some(result.unwrap_or_else(|e| {
        tracing::error!(error = %e, "outbox operation failed");
        Reply::error(503, "store_unavailable")
    }))
}

pub fn list(store: &dyn Store) -> Result<OutboxList, StoreError> {
    let entries = store.outbox(LIST_LIMIT)?;
    let dead = entries
        .iter()
        .filter(|(_, d)| d.state == DeliveryState::Dead)
        .count();
    Ok(OutboxList {
        pending: entries.len() - dead,
        dead,
        entries: entries.into_iter().map(item).collect(),
    })
}

/// Make dead-lettered entries (or the one `id`, dead or waiting) due now
/// with a fresh count of attempts; returns how many.
pub fn retry(store: &dyn Store, id: Option<u64>) -> Result<usize, StoreError> {
    let now_ms = crate::clock::unix_now_ms();
    let chosen: Vec<(u64, Delivery)> = store
        .outbox(LIST_LIMIT)?
        .into_iter()
        .filter(|(i, d)| match id {
            Some(id) => *i == id,
            None => d.state == DeliveryState::Dead,
        })
        .map(|(i, mut d)| {
            d.state = DeliveryState::Pending;
            d.attempts = 0;
            d.next_at_ms = now_ms;
            (i, d)
        })
        .collect();
    if !chosen.is_empty() {
        store.enqueue(&chosen)?;
        crate::notify::wake();
    }
    Ok(chosen.len())
}

fn item((id, d): (u64, Delivery)) -> OutboxItem {
    OutboxItem {
        id,
        notice: d.notice.id,
        event: d.notice.kind.as_str().to_owned(),
        account: d.notice.account,
        at: super::ops::rfc3339(d.notice.at),
        target: match d.target {
            Target::Email { to } => format!("email:{to}"),
            Target::Webhook { url } => format!("webhook:{url}"),
        },
        state: match d.state {
            DeliveryState::Pending => "pending".into(),
            DeliveryState::Dead => "dead".into(),
        },
        attempts: d.attempts,
        last_error: d.last_error,
    }
}

/// `mfa-gate support outbox list|retry`: what to ask the admin listener.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientOp {
    List,
    Retry { id: Option<u64> },
}

/// Run one outbox command against the running gateway; returns what to
/// print.
pub fn run_client(
    target: &super::client::Target,
    op: ClientOp,
    json: bool,
) -> Result<String, super::client::SupportError> {
    use super::client::SupportError;
    let url = match op {
        ClientOp::List => format!("{}/v1/outbox", target.url),
        ClientOp::Retry { id: None } => format!("{}/v1/outbox/retry", target.url),
        ClientOp::Retry { id: Some(id) } => format!("{}/v1/outbox/retry?id={id}", target.url),
    };
    let config = |e: String| SupportError::Config(e);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| config(format!("cannot start the HTTP client: {e}")))?;
    let (status, body) = runtime.block_on(async {
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| config(format!("cannot set up the HTTP client: {e}")))?;
        let request = match op {
            ClientOp::List => client.get(&url),
            ClientOp::Retry { .. } => client.post(&url),
        };
        let unreachable = |e: reqwest::Error| SupportError::Unreachable {
            url: target.url.clone(),
            detail: e.to_string(),
        };
        let response = request
            .bearer_auth(target.token())
            .send()
            .await
            .map_err(unreachable)?;
        let status = response.status().as_u16();
        let body = response.text().await.map_err(unreachable)?;
        Ok::<_, SupportError>((status, body))
    })?;
    match status {
        200 => {}
        401 => return Err(SupportError::Unauthorized),
        _ => {
            let detail = body.chars().take(200).collect();
            return Err(SupportError::Gateway { status, detail });
        }
    }
    if json {
        return Ok(format!("{body}\n"));
    }
    let unreadable = |e: serde_json::Error| SupportError::Gateway {
        status,
        detail: format!("unreadable answer ({e})"),
    };
    Ok(match op {
        ClientOp::List => {
            let list: OutboxList = serde_json::from_str(&body).map_err(unreadable)?;
            let mut out = format!("{} pending, {} dead\n", list.pending, list.dead);
            for e in list.entries {
                out.push_str(&format!(
                    "{} {} {} {} {} attempts={} {}\n",
                    e.id, e.state, e.event, e.account, e.target, e.attempts, e.last_error
                ));
            }
            out
        }
        ClientOp::Retry { .. } => {
            let r: RetryResult = serde_json::from_str(&body).map_err(unreadable)?;
            format!("{} notification(s) queued again\n", r.retried)
        }
    })
}
