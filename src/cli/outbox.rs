//! The client half of `mfa-gate support outbox list|retry`: asks the
//! admin listener (`GET /v1/outbox`, `POST /v1/outbox/retry`, served by
//! `crate::admin::outbox`) and prints its answer.

use crate::admin::outbox::{OutboxList, RetryResult};
use crate::cli::support::{SupportError, Target};

/// `mfa-gate support outbox list|retry`: what to ask the admin listener.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientOp {
    List {
        dead: bool,
        after: Option<u64>,
        limit: usize,
    },
    Retry {
        id: Option<u64>,
    },
}

/// Run one outbox command against the running gateway; returns what to
/// print.
pub fn run_client(target: &Target, op: ClientOp, json: bool) -> Result<String, SupportError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| SupportError::Config(format!("cannot start the HTTP client: {e}")))?;
    let body = runtime.block_on(call(target, op))?;
    if json {
        return Ok(format!("{body}\n"));
    }
    Ok(match op {
        ClientOp::List { dead, limit, .. } => show_list(read_answer(&body)?, dead, limit),
        ClientOp::Retry { .. } => {
            let r: RetryResult = read_answer(&body)?;
            format!("{} notification(s) queued again\n", r.retried)
        }
    })
}

/// The admin listener's URL for `op`.
fn url(target: &Target, op: ClientOp) -> String {
    match op {
        ClientOp::List { dead, after, limit } => {
            let queue = if dead { "dead" } else { "pending" };
            let after = after.map(|a| format!("&after={a}")).unwrap_or_default();
            format!(
                "{}/v1/outbox?queue={queue}&limit={limit}{after}",
                target.url
            )
        }
        ClientOp::Retry { id: None } => format!("{}/v1/outbox/retry", target.url),
        ClientOp::Retry { id: Some(id) } => format!("{}/v1/outbox/retry?id={id}", target.url),
    }
}

/// Ask the admin listener; the body of its 200 answer, else the error its
/// status means.
async fn call(target: &Target, op: ClientOp) -> Result<String, SupportError> {
    let url = url(target, op);
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| SupportError::Config(format!("cannot set up the HTTP client: {e}")))?;
    let request = match op {
        ClientOp::List { .. } => client.get(&url),
        ClientOp::Retry { .. } => client.post(&url),
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
    let body = response.text().await.map_err(unreachable)?;
    match status {
        200 => Ok(body),
        401 => Err(SupportError::Unauthorized),
        _ => {
            let detail = body.chars().take(200).collect();
            Err(SupportError::Gateway { status, detail })
        }
    }
}

/// A 200 answer's JSON, or a gateway error when it does not read as `T`.
fn read_answer<T: serde::de::DeserializeOwned>(body: &str) -> Result<T, SupportError> {
    serde_json::from_str(body).map_err(|e| SupportError::Gateway {
        status: 200,
        detail: format!("unreadable answer ({e})"),
    })
}

/// One line per delivery after the counts, and the command that lists the
/// next page when there is one.
fn show_list(list: OutboxList, dead: bool, limit: usize) -> String {
    let mut out = format!("{} pending, {} dead\n", list.pending, list.dead);
    for e in list.entries {
        out.push_str(&format!(
            "{} {} {} {} {} attempts={} {}\n",
            e.id, e.state, e.event, e.account, e.target, e.attempts, e.last_error
        ));
    }
    if let Some(next) = list.next_after {
        let dead = if dead { " --dead" } else { "" };
        out.push_str(&format!(
            "more: mfa-gate support outbox list{dead} --limit {limit} --after {next}\n"
        ));
    }
    out
}
