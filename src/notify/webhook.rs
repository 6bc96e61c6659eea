//! Webhooks to operators: a JSON body per notice, signed with HMAC-SHA256
//! over `"{timestamp}.{body}"` with the webhook's secret, sent as
//! `X-Mfa-Gate-Signature: t={timestamp},v1={hex}`; the notice id travels
//! as `X-Mfa-Gate-Event-Id` (the same on every retry, so a receiver can
//! drop a second delivery). Any 2xx answer is a delivery.

use crate::config::WebhookConfig;
use crate::domain::Notice;
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const SIGNATURE_HEADER: &str = "X-Mfa-Gate-Signature";
pub const EVENT_ID_HEADER: &str = "X-Mfa-Gate-Event-Id";

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("cannot reach the webhook: {0}")]
    Send(String),
    #[error("the webhook answered HTTP {0}")]
    Status(u16),
}

/// The JSON body of a notice (no secret, no code: the notice has none).
pub fn body(notice: &Notice) -> Vec<u8> {
    let json = serde_json::json!({
        "id": notice.id.to_string(),
        "event": notice.kind.as_str(),
        "time": crate::clock::rfc3339(notice.at),
        "company": notice.company,
        "person": notice.person,
        "account": notice.account,
        "actor": notice.whence.actor,
        "request_id": notice.whence.request_id,
        "ip": notice.whence.ip,
        "browser": notice.whence.browser,
        "codes_left": notice.codes_left,
        "note": notice.note,
        "repeats": notice.repeats.map(|r| serde_json::json!({
            "count": r.count,
            "since": crate::clock::rfc3339(r.since),
        })),
    });
    json.to_string().into_bytes()
}

/// `t=…,v1=…` for `body` signed at `timestamp` with `secret`.
pub fn signature(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    // HMAC takes a key of any length: this cannot fail.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

/// POST the notice to the webhook, signed now.
pub async fn send(
    client: &reqwest::Client,
    hook: &WebhookConfig,
    notice: &Notice,
) -> Result<(), WebhookError> {
    let body = body(notice);
    let now = crate::clock::unix_now();
    let signature = signature(hook.secret.expose().as_bytes(), now, &body);
    let answer = client
        .post(&hook.url)
        .timeout(hook.timeout)
        .header("Content-Type", "application/json")
        .header(SIGNATURE_HEADER, signature)
        .header(EVENT_ID_HEADER, notice.id.to_string())
        .body(body)
        .send()
        .await
        .map_err(|e| WebhookError::Send(without_url(&e)))?;
    let status = answer.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(WebhookError::Status(status.as_u16()))
    }
}

/// reqwest's error words without the URL (it may carry a token).
fn without_url(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    kind.to_owned()
}

#[cfg(test)]
mod tests;
