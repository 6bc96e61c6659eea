//! The metrics listener's routes (`metrics.listen`): `GET /metrics`
//! (Prometheus text), `GET /livez` (the process answers; never touches the
//! store, so a database outage restarts nothing) and `GET /readyz` (the
//! store answers within [`READY_WITHIN`], so a load balancer drains a
//! replica that cannot decide). No token, and nothing else: a scraper or
//! a probe cannot reach the support API.

use crate::reply::Reply;
use crate::store::Store;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

/// How long `/readyz` waits for the store.
pub const READY_WITHIN: Duration = Duration::from_secs(1);

/// Answer one request of the metrics listener.
pub async fn answer(store: Arc<dyn Store>, method: &str, path: &str) -> Reply {
    if !matches!(method, "GET" | "HEAD") {
        return Reply::error(405, "method_not_allowed");
    }
    match path {
        "/metrics" => super::service::metrics_reply(),
        "/livez" => Reply::json(200, json!({ "status": "alive" })),
        "/readyz" => ready(store).await,
        _ => Reply::error(404, "not_found"),
    }
}

/// 200 when a read reaches the store's engine within `READY_WITHIN` (the
/// database, for replicas), else 503; a hung engine costs one blocked
/// thread, never a hung probe.
async fn ready(store: Arc<dyn Store>) -> Reply {
    let ping = tokio::task::spawn_blocking(move || store.ping());
    match tokio::time::timeout(READY_WITHIN, ping).await {
        Ok(Ok(Ok(_))) => Reply::json(200, json!({ "status": "ready" })),
        Ok(Ok(Err(e))) => {
            tracing::warn!(error = %e, "readiness: store unavailable");
            Reply::json(503, json!({ "status": "store_unavailable" }))
        }
        Ok(Err(_)) | Err(_) => {
            tracing::warn!("readiness: the store did not answer within 1 s");
            Reply::json(503, json!({ "status": "store_unavailable" }))
        }
    }
}
