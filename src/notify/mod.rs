//! Telling the person and the operator: which deliveries a security change
//! causes and how they are queued. A change of a person's record goes
//! through `update_person`, which writes the change and its outbox entries
//! in one store commit (`Store::update_person_noting`); events that are not
//! a person's record change (a browser remembered, a policy changed) are
//! queued by `enqueue` right after their own write. The background sender
//! (`sender.rs`, started by `server.rs`) delivers them: email
//! (`email.rs`, texts from the catalogs in `messages.rs`) and signed
//! webhooks (`webhook.rs`). Nothing here runs on a request's critical path
//! but the queueing. Repeats of one kind for one person within
//! `notify.min_interval` are held and told together (`coalesce.rs`).

pub mod coalesce;
pub mod email;
mod messages;
pub mod sender;
pub mod webhook;

use crate::config::NotifyConfig;
use crate::domain::{
    Delivery, Identity, Notice, NoticeKind, PersonKey, PersonRecord, Target, Whence, changes,
};
use crate::store::{Store, StoreError, Update};
use std::sync::OnceLock;

/// Who made a change, about whom, from where.
pub struct Change<'a> {
    pub company: &'a str,
    /// The person within the company.
    pub person: &'a str,
    /// The acting account, or for support the account it was asked about.
    pub account: &'a str,
    /// The acting account's address, noted for later messages.
    pub email: Option<&'a str>,
    pub whence: &'a Whence,
    pub by_support: bool,
}

impl<'a> Change<'a> {
    /// A change made by the person behind `identity`.
    pub fn by_user(identity: &'a Identity, whence: &'a Whence) -> Change<'a> {
        Change {
            company: identity.company(),
            person: identity.person(),
            account: identity.account(),
            email: identity.email(),
            whence,
            by_support: false,
        }
    }
}

/// `Store::update_person`, plus the notices the change means, in the same
/// commit. Without a `notify` section it is exactly `update_person`.
pub fn update_person(
    store: &dyn Store,
    config: Option<&NotifyConfig>,
    key: &PersonKey,
    change: &Change<'_>,
    f: &mut dyn FnMut(Option<&PersonRecord>) -> Update,
) -> Result<Option<PersonRecord>, StoreError> {
    let Some(config) = config else {
        return store.update_person(key, f);
    };
    if let Some(email) = change.email {
        // Written before the commit, whose flush makes it durable too.
        if let Err(e) = store.note_contact(key, change.account, email, &change.whence.lang) {
            tracing::warn!(error = %e, "could not note the account's address");
        }
    }
    let addresses = addresses(store, key, change);
    let mut queued = 0;
    // Each kind is admitted once per call: the closure may run again when
    // another writer races, and must not count its events twice.
    let mut admitted: Vec<(NoticeKind, Option<Notice>)> = Vec::new();
    let mut notes = |before: Option<&PersonRecord>, after: Option<&PersonRecord>| {
        let mut out = Vec::new();
        for (kind, codes_left) in changes(before, after, change.by_support) {
            let at = admitted.iter().position(|(k, _)| *k == kind);
            let at = at.unwrap_or_else(|| {
                let notice = notice(kind, change, codes_left);
                admitted.push((kind, admit(config, notice, &addresses)));
                admitted.len() - 1
            });
            if let Some(mut notice) = admitted[at].1.clone() {
                out.extend(deliveries(store, config, &mut notice, &addresses));
            }
        }
        queued = out.len();
        out
    };
    let record = store.update_person_noting(key, f, &mut notes)?;
    if queued > 0 {
        crate::observe::metrics::notifications(crate::observe::metrics::Delivered::Queued, queued);
        // Not before the entries are durable (`Store::with_one_flush`).
        crate::store::after_flush(wake);
    }
    Ok(record)
}

/// Queue the notice of an event that is not a change of the person's
/// record (`BrowserRemembered`, `PolicyChanged`), after its own write.
/// A `PolicyChanged` mail goes to the company's administrators.
pub fn enqueue(
    store: &dyn Store,
    config: Option<&NotifyConfig>,
    kind: NoticeKind,
    change: &Change<'_>,
    note: &str,
) {
    let Some(config) = config else { return };
    let key = PersonKey::new(change.company, change.person);
    let addresses = match kind {
        NoticeKind::PolicyChanged => administrators(store, change),
        _ => addresses(store, &key, change),
    };
    let mut notice = notice(kind, change, None);
    notice.note = note.to_owned();
    if kind == NoticeKind::PolicyChanged {
        notice.person = None;
    }
    if let Some(mut notice) = admit(config, notice, &addresses) {
        queue(store, config, &mut notice, &addresses);
    }
}

/// The notice to queue now, or `None` when it is held for a later message
/// (`coalesce.rs`, counted as `coalesced`).
fn admit(config: &NotifyConfig, notice: Notice, addresses: &[(String, String)]) -> Option<Notice> {
    let interval = config.min_interval.as_secs() as i64;
    let at = notice.at;
    let admitted = coalesce::global().admit(notice, addresses, at, interval);
    if admitted.is_none() {
        crate::observe::metrics::notifications(crate::observe::metrics::Delivered::Coalesced, 1);
    }
    admitted
}

/// Queue the deliveries of `notice` (outside a person's commit).
fn queue(
    store: &dyn Store,
    config: &NotifyConfig,
    notice: &mut Notice,
    addresses: &[(String, String)],
) {
    let entries = deliveries(store, config, notice, addresses);
    if entries.is_empty() {
        return;
    }
    match store.enqueue(&entries) {
        Ok(()) => {
            crate::observe::metrics::notifications(
                crate::observe::metrics::Delivered::Queued,
                entries.len(),
            );
            wake();
        }
        Err(e) => {
            tracing::error!(error = %e, kind = notice.kind.as_str(), "could not queue notice");
        }
    }
}

/// Queue the messages that tell held events whose window has passed
/// (the sender calls it on every look).
pub fn flush_held(store: &dyn Store, config: &NotifyConfig, now: i64) {
    let interval = config.min_interval.as_secs() as i64;
    for (mut notice, addresses) in coalesce::global().due(now, interval) {
        queue(store, config, &mut notice, &addresses);
    }
}

fn notice(kind: NoticeKind, change: &Change<'_>, codes_left: Option<usize>) -> Notice {
    Notice {
        id: 0,
        kind,
        at: crate::clock::unix_now(),
        company: change.company.to_owned(),
        person: Some(change.person.to_owned()),
        account: change.account.to_owned(),
        whence: change.whence.clone(),
        codes_left,
        note: String::new(),
        repeats: None,
    }
}

/// The person's addresses, each once (case-insensitively), with the
/// language last seen for it.
fn addresses(store: &dyn Store, key: &PersonKey, change: &Change<'_>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let known = store.contacts(key).unwrap_or_else(|e| {
        tracing::warn!(error = %e, "could not read the person's addresses");
        Vec::new()
    });
    let current = change
        .email
        .map(|e| (e.to_owned(), change.whence.lang.clone()));
    for (email, lang) in current
        .into_iter()
        .chain(known.into_iter().map(|(_, e, l)| (e, l)))
    {
        if !out.iter().any(|(e, _)| e.eq_ignore_ascii_case(&email)) {
            out.push((email, lang));
        }
    }
    out
}

/// How far back an administrator counts as one (the rollout view's window).
const ADMINISTRATORS_SEEN_WITHIN: i64 = 30 * 24 * 3600;

/// The addresses of the company's administrators: the acting one, and every
/// account seen in the last 30 days that may change the policy, each once;
/// in the language last seen for the address, else the acting one's.
fn administrators(store: &dyn Store, change: &Change<'_>) -> Vec<(String, String)> {
    let lang = &change.whence.lang;
    let mut out: Vec<(String, String)> = Vec::new();
    let mut add = |email: &str, lang: &str| {
        if !out.iter().any(|(e, _)| e.eq_ignore_ascii_case(email)) {
            out.push((email.to_owned(), lang.to_owned()));
        }
    };
    if let Some(email) = change.email {
        add(email, lang);
    }
    let since = crate::clock::unix_now() - ADMINISTRATORS_SEEN_WITHIN;
    let seen = store
        .seen_accounts(change.company, since)
        .unwrap_or_else(|e| {
            tracing::warn!(error = %e, "could not read the company's administrators");
            Vec::new()
        });
    for admin in seen.iter().filter(|s| s.manages_policy) {
        let Some(email) = admin.email.as_deref() else {
            continue;
        };
        let key = PersonKey::new(change.company, &admin.person);
        let known = store.contacts(&key).unwrap_or_default();
        let their_lang = known
            .iter()
            .find(|(_, e, _)| e.eq_ignore_ascii_case(email))
            .map_or(lang.as_str(), |(_, _, l)| l.as_str());
        add(email, their_lang);
    }
    out
}

/// One delivery per address and per webhook that wants the event, each
/// with its own id; the notice gets its id (the idempotency id) here.
fn deliveries(
    store: &dyn Store,
    config: &NotifyConfig,
    notice: &mut Notice,
    addresses: &[(String, String)],
) -> Vec<(u64, Delivery)> {
    let mut targets = Vec::new();
    if config.email.is_some() {
        for (to, lang) in addresses {
            targets.push((Target::Email { to: to.clone() }, lang.clone()));
        }
    }
    for hook in config.webhooks.iter().filter(|w| w.wants(notice.kind)) {
        let url = hook.url.clone();
        targets.push((Target::Webhook { url }, notice.whence.lang.clone()));
    }
    let mut out = Vec::new();
    let ids = (0..=targets.len()).map(|_| store.next_id());
    let ids: Result<Vec<u64>, StoreError> = ids.collect();
    let ids = match ids {
        Ok(ids) => ids,
        Err(e) => {
            tracing::error!(error = %e, "no id for a notice: not queued");
            return out;
        }
    };
    let Some((first, rest)) = ids.split_first() else {
        return out;
    };
    notice.id = *first;
    for ((target, lang), id) in targets.into_iter().zip(rest) {
        let mut n = notice.clone();
        n.whence.lang = lang;
        out.push((*id, Delivery::new(n, target)));
    }
    out
}

fn wakeup() -> &'static tokio::sync::Notify {
    static WAKE: OnceLock<tokio::sync::Notify> = OnceLock::new();
    WAKE.get_or_init(tokio::sync::Notify::new)
}

/// Tell the sender there is something new (it also looks every second).
pub fn wake() {
    wakeup().notify_one();
}

/// Wait until `wake` is called (or was, since the last wait).
pub async fn woken() {
    wakeup().notified().await;
}
