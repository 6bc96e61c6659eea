//! The outbox as support sees it (`GET /v1/outbox[?queue=dead&after=ID&
//! limit=N]`, `POST /v1/outbox/retry[?id=N]` on the admin listener;
//! `mfa-gate support outbox list|retry`): which notifications wait or were
//! dead-lettered, a page at a time, with their attempts and last error,
//! and sending dead ones again. Entries show the event, the account and
//! the target, never a secret.

use crate::admin::route::{MAX_PAGE, OutboxOp};
use crate::domain::{Delivery, DeliveryState, Target};
use crate::reply::Reply;
use crate::store::{Queue, Store, StoreError};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize)]
pub struct OutboxList {
    /// The whole queues' sizes, exactly.
    pub pending: usize,
    pub dead: usize,
    /// The queue listed: `pending` or `dead`.
    pub queue: String,
    pub entries: Vec<OutboxItem>,
    /// Ask again with `after=` this for the next page; absent on the last.
    pub next_after: Option<u64>,
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

/// Answer an outbox route (the token already checked).
pub fn answer(store: &dyn Store, op: OutboxOp) -> Reply {
    let result = match op {
        OutboxOp::List {
            queue,
            after,
            limit,
        } => list(store, queue, after, limit).map(|l| Reply::data(&l)),
        OutboxOp::Retry { id } => {
            retry(store, id).map(|retried| Reply::data(&RetryResult { retried }))
        }
    };
    result.unwrap_or_else(|e| {
        tracing::error!(error = %e, "outbox operation failed");
        Reply::error(503, "store_unavailable")
    })
}

/// One page of `queue` after the id `after`, and both queues' sizes.
pub fn list(
    store: &dyn Store,
    queue: Queue,
    after: Option<u64>,
    limit: usize,
) -> Result<OutboxList, StoreError> {
    let mut entries = store.outbox(queue, after, limit + 1)?;
    let more = entries.len() > limit;
    entries.truncate(limit);
    Ok(OutboxList {
        pending: store.outbox_count(Queue::Pending)?,
        dead: store.outbox_count(Queue::Dead)?,
        queue: match queue {
            Queue::Pending => "pending".into(),
            Queue::Dead => "dead".into(),
        },
        next_after: entries.last().map(|(id, _)| *id).filter(|_| more),
        entries: entries.into_iter().map(item).collect(),
    })
}

/// Make every dead letter (or the one `id`, dead or waiting) due now in
/// the delivery queue, with a fresh count of attempts; returns how many.
pub fn retry(store: &dyn Store, id: Option<u64>) -> Result<usize, StoreError> {
    let now_ms = crate::clock::unix_now_ms();
    let fresh = |(i, mut d): (u64, Delivery)| {
        d.state = DeliveryState::Pending;
        d.attempts = 0;
        d.next_at_ms = now_ms;
        (i, d)
    };
    let one = |queue| -> Result<Option<(u64, Delivery)>, StoreError> {
        let Some(id) = id else { return Ok(None) };
        let after = id.checked_sub(1);
        Ok(store
            .outbox(queue, after, 1)?
            .into_iter()
            .find(|(i, _)| *i == id))
    };
    let retried = match id {
        Some(_) => match (one(Queue::Dead)?, one(Queue::Pending)?) {
            (Some(dead), _) => {
                store.revive(&[fresh(dead)])?;
                1
            }
            (None, Some(waiting)) => {
                store.enqueue(&[fresh(waiting)])?;
                1
            }
            (None, None) => 0,
        },
        None => {
            let mut n = 0;
            loop {
                let page = store.outbox(Queue::Dead, None, MAX_PAGE)?;
                if page.is_empty() {
                    break n;
                }
                n += page.len();
                store.revive(&page.into_iter().map(fresh).collect::<Vec<_>>())?;
            }
        }
    };
    if retried > 0 {
        crate::notify::wake();
    }
    Ok(retried)
}

fn item((id, d): (u64, Delivery)) -> OutboxItem {
    OutboxItem {
        id,
        notice: d.notice.id,
        event: d.notice.kind.as_str().to_owned(),
        account: d.notice.account,
        at: crate::clock::rfc3339(d.notice.at),
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
