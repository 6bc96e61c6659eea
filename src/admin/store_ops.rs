//! The admin API's store-wide operations, for `mfa-gate support backup`
//! and `support rotate-encryption`: `GET /v1/backup` answers a backup of
//! the running gateway's store (`backup.rs`), and `POST
//! /v1/keys/rotate-encryption` re-seals every stored secret under the
//! first encryption key of the configuration in force (`rotate.rs`), while
//! the gateway serves. Blocking (whole-store walks): the admin listener
//! runs these off its async workers. The token is checked before. Answers
//! are `Reply` values, like every other route's.

use crate::admin::route::StoreOp;
use crate::keys::Keys;
use crate::reply::Reply;
use crate::store::Store;
use serde_json::json;
use std::ops::ControlFlow;

/// Run a whole-store operation (the token already checked; blocking).
pub fn answer(store: &dyn Store, keys: &Keys, op: StoreOp, now: i64) -> Reply {
    match op {
        StoreOp::Backup => backup(store, keys, now),
        StoreOp::RotateEncryption => rotate(store, keys),
    }
}

fn backup(store: &dyn Store, keys: &Keys, now: i64) -> Reply {
    match crate::maintenance::backup::take(store, keys, now) {
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

fn rotate(store: &dyn Store, keys: &Keys) -> Reply {
    let key_id = keys
        .encryption_ids()
        .first()
        .map(ToString::to_string)
        .unwrap_or_default();
    let result = crate::maintenance::rotate::reseal_all(
        store,
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
