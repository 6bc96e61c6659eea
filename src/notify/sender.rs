//! The background sender: walks the delivery queue (the whole of it, page
//! by page, so that no entry waits behind others that are not due),
//! delivers up to a batch of what is due (email and webhooks side by side,
//! so a hanging SMTP server does not hold the webhooks back), removes what
//! was delivered, and reschedules a failure with exponential backoff
//! (`retry.first`, doubled, at most `retry.max`) until `retry.attempts`,
//! after which the entry moves to the dead letters: out of the queue, so
//! no number of them holds a new delivery back, counted as `failed`, and
//! listed by `mfa-gate support outbox` until retried. It never runs on a
//! request: requests only queue. After a crash it finds the outbox as
//! committed, so a notice is delivered at least once.

use super::{email, webhook};
use crate::config::{Languages, NotifyConfig, RetryConfig};
use crate::domain::{Delivery, DeliveryState, Target};
use crate::observe::metrics::{self, Delivered};
use crate::store::{Queue, Store, StoreError};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// How often the outbox is read when nobody wakes the sender.
const LOOK_EVERY: Duration = Duration::from_secs(1);
/// Due entries delivered per look at most.
const BATCH: usize = 500;
/// Entries read per page of the walk.
const PAGE: usize = 500;

/// What the sender needs of the running gateway: its store, its `notify`
/// settings, the app's name and the languages (for the email's words, in
/// the operator's wording). Taken afresh on every look, so a reload
/// applies at once.
pub trait Sending: Send + Sync {
    fn store(&self) -> &dyn Store;
    fn notify(&self) -> Option<&NotifyConfig>;
    fn app_name(&self) -> &str;
    fn languages(&self) -> &Languages;
}

/// Run until `stop` resolves, on the gateway `current()` gives (it may be
/// reloaded meanwhile).
pub async fn run<S: Sending>(current: impl Fn() -> Arc<S>, stop: impl Future<Output = ()>) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build();
    let client = match client {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "cannot build the webhook client: no notifications");
            return;
        }
    };
    tokio::pin!(stop);
    loop {
        let gate = current();
        if let Some(config) = gate.notify() {
            super::flush_held(gate.store(), config, crate::clock::unix_now());
            let words = (gate.app_name(), gate.languages());
            look(gate.store(), config, words, &client).await;
        }
        tokio::select! {
            _ = tokio::time::sleep(LOOK_EVERY) => {}
            _ = super::woken() => {}
            _ = &mut stop => return,
        }
    }
}

/// What one walk over the delivery queue found.
#[derive(Default)]
struct Walk {
    /// Entries due now, oldest first, at most `BATCH`.
    due: Vec<(u64, Delivery)>,
    /// Entries in the queue, and when the oldest one's event happened.
    pending: usize,
    oldest_at: Option<i64>,
}

/// Walk the whole delivery queue, page by page. Entries dead-lettered in
/// the queue by a release before the dead-letter queue are moved there.
fn walk(store: &dyn Store, now_ms: i64) -> Result<Walk, StoreError> {
    let mut found = Walk::default();
    let mut after = None;
    loop {
        let page = store.outbox(Queue::Pending, after, PAGE)?;
        let Some((last, _)) = page.last() else {
            return Ok(found);
        };
        after = Some(*last);
        for (id, d) in page {
            if d.state == DeliveryState::Dead {
                store.bury(id, &d)?;
                continue;
            }
            found.pending += 1;
            let at = d.notice.at;
            found.oldest_at = Some(found.oldest_at.map_or(at, |o: i64| o.min(at)));
            if d.next_at_ms <= now_ms && found.due.len() < BATCH {
                found.due.push((id, d));
            }
        }
    }
}

/// One pass over the outbox: deliver what is due (a batch at most), and
/// report the queues' sizes and the oldest pending entry's age.
/// `words`: the app's name and the languages, for the emails.
async fn look(
    store: &dyn Store,
    config: &NotifyConfig,
    words: (&str, &Languages),
    client: &reqwest::Client,
) {
    let now_ms = now_ms();
    let walk = match walk(store, now_ms).and_then(|w| Ok((w, store.outbox_count(Queue::Dead)?))) {
        Ok(found) => found,
        Err(e) => {
            tracing::error!(error = %e, "cannot read the outbox");
            return;
        }
    };
    let (walk, dead) = walk;
    let oldest_age = walk.oldest_at.map(|at| (now_ms / 1000 - at).max(0));
    metrics::outbox(walk.pending, dead, oldest_age);
    let (mails, hooks): (Vec<_>, Vec<_>) = walk
        .due
        .iter()
        .partition(|(_, d)| matches!(d.target, Target::Email { .. }));
    tokio::join!(
        each(store, config, &mails, |d| deliver_mail(config, d, words)),
        each(store, config, &hooks, |d| deliver_hook(config, client, d)),
    );
}

/// Deliver `entries` one after the other, recording each outcome.
async fn each<'a, F, Fut>(
    store: &dyn Store,
    config: &NotifyConfig,
    entries: &[&'a (u64, Delivery)],
    deliver: F,
) where
    F: Fn(&'a Delivery) -> Fut,
    Fut: Future<Output = Result<(), String>>,
{
    for (id, delivery) in entries.iter().copied() {
        let outcome = deliver(delivery).await;
        settle(store, &config.retry, *id, delivery, outcome);
    }
}

async fn deliver_mail(
    config: &NotifyConfig,
    d: &Delivery,
    (app, languages): (&str, &Languages),
) -> Result<(), String> {
    let (Some(email_config), Target::Email { to }) = (&config.email, &d.target) else {
        return Err("email is no longer configured".into());
    };
    let message =
        email::message(email_config, &d.notice, to, app, languages).map_err(|e| e.to_string())?;
    let name = format!("{}-{}", d.notice.id, d.notice.kind.as_str());
    let name = format!("{name}-{}", sanitize(to));
    email::deliver(email_config, message, &name)
        .await
        .map_err(|e| e.to_string())
}

async fn deliver_hook(
    config: &NotifyConfig,
    client: &reqwest::Client,
    d: &Delivery,
) -> Result<(), String> {
    let Target::Webhook { url } = &d.target else {
        return Err("not a webhook".into());
    };
    let Some(hook) = config.webhooks.iter().find(|w| &w.url == url) else {
        return Err("this webhook is no longer configured".into());
    };
    webhook::send(client, hook, &d.notice)
        .await
        .map_err(|e| e.to_string())
}

/// Remove a delivered entry; reschedule or dead-letter a failed one.
fn settle(
    store: &dyn Store,
    retry: &RetryConfig,
    id: u64,
    delivery: &Delivery,
    outcome: Result<(), String>,
) {
    let kind = delivery.notice.kind.as_str();
    let channel = match delivery.target {
        Target::Email { .. } => "email",
        Target::Webhook { .. } => "webhook",
    };
    let written = match outcome {
        Ok(()) => {
            metrics::notifications(Delivered::Sent, 1);
            tracing::info!(
                notice = delivery.notice.id,
                kind,
                channel,
                "notification sent"
            );
            store.remove_delivery(id)
        }
        Err(error) => {
            let mut next = delivery.clone();
            next.attempts = next.attempts.saturating_add(1);
            next.last_error = error.clone();
            if next.attempts >= retry.attempts {
                next.state = DeliveryState::Dead;
                metrics::notifications(Delivered::Failed, 1);
                tracing::error!(notice = delivery.notice.id, kind, channel, attempts = next.attempts, %error,
                    "notification dead-lettered (see `mfa-gate support outbox`)");
                store.bury(id, &next)
            } else {
                let wait = backoff(retry, next.attempts);
                next.next_at_ms = now_ms().saturating_add(wait.as_millis() as i64);
                metrics::notifications(Delivered::Retried, 1);
                tracing::warn!(notice = delivery.notice.id, kind, channel, attempts = next.attempts, %error,
                    retry_in_ms = wait.as_millis() as u64, "notification not delivered; will retry");
                store.enqueue(&[(id, next)])
            }
        }
    };
    if let Err(e) = written {
        tracing::error!(error = %e, "cannot update the outbox");
    }
}

/// The wait after `attempts` failed attempts: `first`, doubled each time,
/// at most `max`.
pub fn backoff(retry: &RetryConfig, attempts: u32) -> Duration {
    let doublings = attempts.saturating_sub(1).min(30);
    retry
        .first
        .checked_mul(1 << doublings)
        .map_or(retry.max, |d| d.min(retry.max))
}

fn now_ms() -> i64 {
    crate::clock::unix_now_ms()
}

/// An address as part of a file name.
fn sanitize(address: &str) -> String {
    address
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '@' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests;
