//! The admin API's store-wide operations, for `mfa-gate support backup`
//! and `support rotate-encryption`: `GET /v1/backup` answers a backup of
//! the running gateway's store (`backup.rs`), and `POST
//! /v1/keys/rotate-encryption` re-seals every stored secret under the
//! first encryption key of the configuration in force (`rotate.rs`), while
//! the gateway serves. Blocking (whole-store walks): the admin listener
//! runs these off its async workers. The token is checked before.

use crate::access::gate::Gate;
use serde_json::json;
use std::ops::ControlFlow;

pub const BACKUP_PATH: &str = "/v1/backup";
pub const ROTATE_PATH: &str = "/v1/keys/rotate-encryption";

/// An answer, for `admin.rs` to send.
pub struct StoreAnswer {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

impl StoreAnswer {
    fn json(status: u16, value: serde_json::Value) -> StoreAnswer {
        StoreAnswer {
            status,
            content_type: "application/json",
            body: value.to_string().into_bytes(),
        }
    }
}

/// Whether `path` is one of these routes.
pub fn is_store_route(path: &str) -> bool {
    path == BACKUP_PATH || path == ROTATE_PATH
}

/// Run the route at `path` for `method` (the token already checked).
pub fn answer(gate: &Gate, method: &str, path: &str, now: i64) -> StoreAnswer {
    match (path, method) {
        (BACKUP_PATH, "GET") => backup(gate, now),
        (ROTATE_PATH, "POST") => rotate(gate),
        (BACKUP_PATH | ROTATE_PATH, _) => {
            StoreAnswer::json(405, json!({ "error": "method_not_allowed" }))
        }
        _ => StoreAnswer::json(404, json!({ "error": "not_found" })),
    }
}

fn backup(gate: &Gate, now: i64) -> StoreAnswer {
    match crate::maintenance::backup::take(gate.store.as_ref(), &gate.keys, now) {
        Ok((body, counts)) => {
            tracing::info!(bytes = body.len(), ?counts, "backup taken");
            StoreAnswer {
                status: 200,
                content_type: "application/octet-stream",
                body,
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "backup failed");
            StoreAnswer::json(503, json!({ "error": "store_unavailable" }))
        }
    }
}

fn rotate(gate: &Gate) -> StoreAnswer {
    let keys = &gate.keys;
    let key_id = keys
        .encryption_ids()
        .first()
        .map(ToString::to_string)
        .unwrap_or_default();
    let result = crate::maintenance::rotate::reseal_all(
        gate.store.as_ref(),
        keys,
        crate::maintenance::rotate::DEFAULT_BATCH,
        &mut |p| {
            tracing::info!(
                batch = p.batches,
                persons = p.persons,
                resealed = p.resealed,
                "re-sealing"
            );
            ControlFlow::Continue(())
        },
    );
    match result {
        Ok(p) => {
            tracing::info!(%p, key_id, "stored secrets re-sealed under the first encryption key");
            StoreAnswer::json(
                200,
                json!({
                    "status": "done",
                    "key_id": key_id,
                    "persons": p.persons,
                    "secrets": p.secrets,
                    "resealed": p.resealed,
                    "current": p.current,
                }),
            )
        }
        Err(e) => {
            tracing::error!(error = %e, "re-sealing stopped");
            StoreAnswer::json(
                422,
                json!({ "error": "rotation_stopped", "message": e.to_string() }),
            )
        }
    }
}
