//! On-disk formats of the outbox (tree `outbox`: one delivery of one
//! notice to one target) and of the addresses known per account (tree
//! `contacts`). Mirror structs (`V1`), converted into `crate::domain`. No
//! I/O.

use super::{decode, encode};
use crate::domain::{Delivery, DeliveryState, Notice, NoticeKind, Repeats, Target, Whence};
use crate::store::StoreError;
use serde::{Deserialize, Serialize};

pub fn encode_delivery(d: &Delivery) -> Result<Vec<u8>, StoreError> {
    let (target, to) = match &d.target {
        Target::Email { to } => ("email", to.clone()),
        Target::Webhook { url } => ("webhook", url.clone()),
    };
    let n = &d.notice;
    let v1 = DeliveryV1 {
        notice: n.id,
        kind: n.kind.as_str().to_owned(),
        at: n.at,
        company: n.company.clone(),
        person: n.person.clone(),
        account: n.account.clone(),
        actor: n.whence.actor.clone(),
        ip: n.whence.ip.clone(),
        browser: n.whence.browser.clone(),
        request_id: n.whence.request_id.clone(),
        lang: n.whence.lang.clone(),
        codes_left: n.codes_left,
        note: n.note.clone(),
        target: target.to_owned(),
        to,
        dead: d.state == DeliveryState::Dead,
        attempts: d.attempts,
        next_at_ms: d.next_at_ms,
        last_error: d.last_error.clone(),
    };
    // V1 unless the notice stands for several events: what earlier
    // releases read.
    let stored = match n.repeats {
        None => StoredDelivery::V1(v1),
        Some(r) => StoredDelivery::V2(DeliveryV2 {
            delivery: v1,
            repeats: r.count,
            repeats_since: r.since,
        }),
    };
    encode("outbox entry", &stored)
}

pub fn decode_delivery(bytes: &[u8]) -> Result<Delivery, StoreError> {
    let corrupt = |detail: String| StoreError::Corrupt {
        what: "outbox entry",
        detail,
    };
    let (v, repeats) = match decode::<StoredDelivery>("outbox entry", bytes)? {
        StoredDelivery::V1(v) => (v, None),
        StoredDelivery::V2(v) => {
            let repeats = Repeats {
                count: v.repeats,
                since: v.repeats_since,
            };
            (v.delivery, Some(repeats))
        }
    };
    {
        {
            let kind = NoticeKind::parse(&v.kind)
                .ok_or_else(|| corrupt(format!("unknown event {:?}", v.kind)))?;
            let target = match v.target.as_str() {
                "email" => Target::Email { to: v.to },
                "webhook" => Target::Webhook { url: v.to },
                other => return Err(corrupt(format!("unknown target {other:?}"))),
            };
            Ok(Delivery {
                notice: Notice {
                    id: v.notice,
                    kind,
                    at: v.at,
                    company: v.company,
                    person: v.person,
                    account: v.account,
                    whence: Whence {
                        actor: v.actor,
                        ip: v.ip,
                        browser: v.browser,
                        request_id: v.request_id,
                        lang: v.lang,
                    },
                    codes_left: v.codes_left,
                    note: v.note,
                    repeats,
                },
                target,
                state: if v.dead {
                    DeliveryState::Dead
                } else {
                    DeliveryState::Pending
                },
                attempts: v.attempts,
                next_at_ms: v.next_at_ms,
                last_error: v.last_error,
            })
        }
    }
}

/// An account's address and language, as last seen.
pub fn encode_contact(email: &str, lang: &str) -> Result<Vec<u8>, StoreError> {
    encode(
        "contact",
        &StoredContact::V1(ContactV1 {
            email: email.to_owned(),
            lang: lang.to_owned(),
        }),
    )
}

pub fn decode_contact(bytes: &[u8]) -> Result<(String, String), StoreError> {
    match decode::<StoredContact>("contact", bytes)? {
        StoredContact::V1(v) => Ok((v.email, v.lang)),
    }
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "v")]
enum StoredDelivery {
    #[serde(rename = "1")]
    V1(DeliveryV1),
    /// V1 and how many events of its kind the notice stands for.
    #[serde(rename = "2")]
    V2(DeliveryV2),
}

#[derive(Serialize, Deserialize)]
struct DeliveryV2 {
    #[serde(flatten)]
    delivery: DeliveryV1,
    repeats: u32,
    repeats_since: i64,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct DeliveryV1 {
    notice: u64,
    kind: String,
    at: i64,
    company: String,
    person: Option<String>,
    account: String,
    actor: String,
    ip: Option<String>,
    browser: Option<String>,
    request_id: Option<String>,
    lang: String,
    codes_left: Option<usize>,
    note: String,
    target: String,
    to: String,
    dead: bool,
    attempts: u32,
    next_at_ms: i64,
    last_error: String,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "v")]
enum StoredContact {
    #[serde(rename = "1")]
    V1(ContactV1),
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ContactV1 {
    email: String,
    lang: String,
}

#[cfg(test)]
mod tests;
