//! The admin API's store-wide operations, for `mfa-gate support backup`
//! and `support rotate-encryption`: `GET /v1/backup` answers a backup of
//! the running gateway's store (`backup.rs`), and `POST
//! /v1/keys/rotate-encryption` re-seals every stored secret under the
//! first encryption key of the configuration in force (`rotate.rs`), while
//! the gateway serves. Blocking (whole-store walks): the admin listener
//! runs these off its async workers. The token is checked before. Answers
//! are `Reply` values, like every other route's.

use crate::access::gate::Gate;
use crate::admin::route::StoreOp;
use crate::reply::Reply;
use serde_json::json;
use std::ops::ControlFlow;

/// Run a whole-store operation (the token already checked; blocking).
pub fn answer(gate: &Gate, op: StoreOp, now: i64) -> Reply {
    match op {
        StoreOp::Backup => backup(gate, now),
        StoreOp::RotateEncryption => rotate(gate),
    }
}

fn backup(gate: &Gate, now: i64) -> Reply {
    match crate::maintenance::backup::take(gate.store.as_ref(), &gate.keys, now) {
        Ok((body, counts)) => {
            tracing::info!(bytes = body.len(), ?counts, "backup taken");
            Reply::typed(200, "application/octet-stream", body)
        }
        Err(e) => {
            tracing::error!(error = %e, "backup failed");
            Reply::json(503, json!({ "error": "store_unavailable" }))
        }
    }
}

fn rotate(gate: &Gate) -> Reply {
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
            Reply::json(
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
            Reply::json(
                422,
                json!({ "error": "rotation_stopped", "message": e.to_string() }),
            )
        }
    }
}
