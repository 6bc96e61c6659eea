//! The client side of `mfa-gate support backup --out FILE` and `mfa-gate
//! support rotate-encryption`: store-wide operations of the running
//! gateway, through its admin listener (`GET /v1/backup`, `POST
//! /v1/keys/rotate-encryption`), like the per-account support commands in
//! `client.rs`, whose target and errors they share.

use crate::cli::support::{SupportError, Target};
use std::io::Write as _;
use std::path::PathBuf;
use std::time::Duration;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// A backup of a large store, or a rotation, takes a while.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(3600);

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    Backup { out: PathBuf },
    RotateEncryption,
}

/// Run one operation; returns what to print on success.
pub fn run(target: &Target, op: Op, json: bool) -> Result<String, SupportError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| SupportError::Config(format!("cannot start the HTTP client: {e}")))?;
    let (path, post) = match &op {
        Op::Backup { .. } => ("/v1/backup", false),
        Op::RotateEncryption => ("/v1/keys/rotate-encryption", true),
    };
    let body = runtime.block_on(call(target, path, post))?;
    match op {
        Op::Backup { out } => {
            let summary =
                crate::maintenance::backup::read(&body).map_err(|e| SupportError::Gateway {
                    status: 200,
                    detail: format!("the backup received does not verify: {e}"),
                })?;
            write_private(&out, &body).map_err(|e| {
                SupportError::Config(format!("cannot write {}: {e}", out.display()))
            })?;
            let counts: Vec<String> = summary
                .counts
                .iter()
                .map(|(tree, n)| format!("{n} {tree}"))
                .collect();
            Ok(if json {
                format!(
                    "{}\n",
                    serde_json::json!({"out": out.display().to_string(), "bytes": body.len(), "counts": summary.counts})
                )
            } else {
                format!(
                    "backup written to {} ({} bytes): {}\n",
                    out.display(),
                    body.len(),
                    counts.join(", ")
                )
            })
        }
        Op::RotateEncryption => {
            let text = String::from_utf8_lossy(&body).into_owned();
            if json {
                return Ok(format!("{text}\n"));
            }
            let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
            Ok(format!(
                "re-sealed {} of {} stored secrets ({} persons) under key id {}; {} were already under it\n",
                v["resealed"],
                v["secrets"],
                v["persons"],
                v["key_id"].as_str().unwrap_or("?"),
                v["current"]
            ))
        }
    }
}

/// A new file (replacing none) readable by its owner only.
fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

async fn call(target: &Target, path: &str, post: bool) -> Result<Vec<u8>, SupportError> {
    let client = reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| SupportError::Config(format!("cannot set up the HTTP client: {e}")))?;
    let url = format!("{}{path}", target.url);
    let request = if post {
        client.post(url)
    } else {
        client.get(url)
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
    let body = response.bytes().await.map_err(unreachable)?.to_vec();
    match status {
        200 => Ok(body),
        401 => Err(SupportError::Unauthorized),
        _ => {
            let detail = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| {
                    v["message"]
                        .as_str()
                        .or(v["error"].as_str())
                        .map(str::to_owned)
                })
                .unwrap_or_else(|| String::from_utf8_lossy(&body).chars().take(200).collect());
            Err(SupportError::Gateway { status, detail })
        }
    }
}
