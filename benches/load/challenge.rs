//! (d) Challenge POSTs with valid TOTP codes, driven from Rust: wrk cannot
//! compute a fresh code and CSRF token per person. Each person is enrolled
//! beforehand (group `c`), its session warmed with one GET (so whoami is
//! cached and the POST measures the challenge, not the identity look-up),
//! then challenged exactly once: a time step is accepted once per person.
//! Their accounts are linked beforehand, as enrolling links them: this is
//! the challenge of a returning person's new app session.
//! Each accepted code is a compare-and-swap of the person's record plus a
//! flush, an account link, and an audit event plus a flush.

use crate::client::{Http, answer};
use crate::gateway::{self, GATEWAY_COOKIE};
use crate::nginx::APP_COOKIE;
use crate::procs::Proc;
use crate::wrk::Sample;
use anyhow::{Result, bail};
use mfa_gate::access::session::{self, AppSession};
use mfa_gate::factors::totp;
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// The group of persons that take the challenge.
pub const GROUP: &str = "c";

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Warm the sessions of persons `range` (one GET each; an enrolled,
/// unverified session gets the 401 `mfa_required` answer).
pub fn warm(http: &Http, base: &str, range: Range<u64>) -> Result<()> {
    let start = range.start;
    http.get_each(
        &format!("{base}/app"),
        move |i| format!("{APP_COOKIE}={}", gateway::value(GROUP, start + i)),
        range.end - range.start,
        16,
        401,
    )
}

/// POST one valid code for each person of `range`, `concurrency` at a
/// time; latency per request, and the gateway's CPU over the whole batch.
pub fn run(
    http: &Http,
    base: &str,
    range: Range<u64>,
    concurrency: usize,
    gateway: &mut Proc,
) -> Result<Sample> {
    let count = range.end - range.start;
    let next = Arc::new(AtomicU64::new(range.start));
    let latencies = Arc::new(Mutex::new(Vec::with_capacity(count as usize)));
    let failures = Arc::new(AtomicU64::new(0));
    let url = format!("{base}/_mfa/challenge");
    let cpu_before = gateway.cpu()?;
    let started = Instant::now();
    http.rt.block_on(async {
        let mut tasks = Vec::new();
        for _ in 0..concurrency {
            let (client, url, end) = (http.client.clone(), url.clone(), range.end);
            let (next, latencies, failures) = (next.clone(), latencies.clone(), failures.clone());
            tasks.push(tokio::spawn(async move {
                let keys = gateway::keys();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= end {
                        return Ok::<_, anyhow::Error>(());
                    }
                    let value = gateway::value(GROUP, i);
                    let now = unix_now();
                    let csrf = session::csrf_token(&keys, AppSession::bind(&keys, &value), now);
                    let code =
                        totp::code_at_step(&gateway::secret(GROUP, i), totp::time_step(now as u64));
                    let body = form_urlencoded::Serializer::new(String::new())
                        .append_pair("csrf", &csrf)
                        .append_pair("code", &code)
                        .finish();
                    let sent = Instant::now();
                    let response = client
                        .post(&url)
                        .header(reqwest::header::COOKIE, format!("{APP_COOKIE}={value}"))
                        .header(
                            reqwest::header::CONTENT_TYPE,
                            "application/x-www-form-urlencoded",
                        )
                        .body(body)
                        .send()
                        .await?;
                    let a = answer(response).await?;
                    let took = sent.elapsed();
                    let passed = a.status == 303
                        && a.set_cookie
                            .as_deref()
                            .is_some_and(|c| c.starts_with(&format!("{GATEWAY_COOKIE}=")));
                    if !passed && failures.fetch_add(1, Ordering::Relaxed) == 0 {
                        eprintln!(
                            "  challenge of person {i}: status {}, set-cookie {:?}: {}",
                            a.status, a.set_cookie, a.body
                        );
                    }
                    latencies.lock().expect("no panics").push(took);
                }
            }));
        }
        for task in tasks {
            task.await??;
        }
        Ok::<_, anyhow::Error>(())
    })?;
    let seconds = started.elapsed().as_secs_f64();
    let cpu = gateway.cpu()?.since(&cpu_before);
    gateway.check_alive()?;
    let failures = failures.load(Ordering::Relaxed);
    if failures > 0 {
        bail!("{failures} of {count} challenges with a valid code did not pass");
    }
    let mut lat = latencies.lock().expect("no panics").clone();
    lat.sort();
    let pct = |p: f64| {
        let i = ((lat.len() as f64 * p).ceil() as usize).clamp(1, lat.len()) - 1;
        lat[i].as_secs_f64() * 1e6
    };
    let mut sample = Sample {
        requests: count,
        seconds,
        rps: count as f64 / seconds,
        p50_us: pct(0.50),
        p99_us: pct(0.99),
        ..Sample::default()
    };
    sample.set_cpu(cpu);
    Ok(sample)
}
