//! (n) Enrollments per second (issue 35 §3: a company switches to
//! `required` at 9:00 and all its staff enroll at once), driven from Rust:
//! each new person (group `n`, not in the store) opens the enrollment page
//! (whoami, a pending secret sealed and stored, the QR code and the key),
//! reads the key off the page, and confirms it with the current code and
//! its CSRF token; the answer must be the page of ten backup codes with a
//! gateway cookie. `concurrency` persons at a time, new ones for
//! `duration`; a complete enrollment (both requests) is one sample.
//!
//! The gateway of (n) is its own (own store, no one enrolled) and runs
//! with `server.threads` = the machine's cores: the figure is what the
//! gateway does on this machine, not on one thread.

use crate::client::{Http, answer, get};
use crate::gateway::{self, GATEWAY_COOKIE};
use crate::nginx::APP_COOKIE;
use crate::procs::Proc;
use crate::wrk::Sample;
use anyhow::{Context, Result, bail};
use mfa_gate::access::session::{self, AppSession};
use mfa_gate::factors::totp::{self, TotpSecret};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The group of new persons.
pub const GROUP: &str = "n";

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The manual key of an enrollment page (`<code … id="manual-key">ABCD
/// EFGH …</code>`), decoded.
fn manual_key(page: &str) -> Option<TotpSecret> {
    let start = page.find(r#"id="manual-key">"#)? + r#"id="manual-key">"#.len();
    let grouped = page[start..].split('<').next()?;
    let plain: String = grouped.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = data_encoding::BASE32_NOPAD.decode(plain.as_bytes()).ok()?;
    TotpSecret::from_bytes(&bytes)
}

/// One complete enrollment of person `i`; `Err` with what went wrong.
async fn enroll_one(client: &reqwest::Client, base: &str, i: u64) -> Result<()> {
    let keys = gateway::keys();
    let value = gateway::value(GROUP, i);
    let cookie = format!("{APP_COOKIE}={value}");
    let url = format!("{base}/_mfa/enroll");
    let page = get(client, &url, Some(&cookie)).await?;
    if page.status != 200 {
        bail!("GET /_mfa/enroll: status {}: {}", page.status, page.body);
    }
    let secret = manual_key(&page.body).context("no manual key on the enrollment page")?;
    let now = unix_now();
    let csrf = session::csrf_token(&keys, AppSession::bind(&keys, &value), now);
    let code = totp::code_at_step(&secret, totp::time_step(now as u64));
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("csrf", &csrf)
        .append_pair("code", &code)
        .finish();
    let response = client
        .post(&url)
        .header(reqwest::header::COOKIE, &cookie)
        .header(
            reqwest::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .body(body)
        .send()
        .await?;
    let done = answer(response).await?;
    let codes = done.body.matches("<li><code>").count();
    let cookie_set = done
        .set_cookie
        .as_deref()
        .is_some_and(|c| c.starts_with(&format!("{GATEWAY_COOKIE}=")));
    if done.status != 200 || codes != 10 || !cookie_set {
        bail!(
            "POST /_mfa/enroll: status {}, {codes} backup codes, gateway cookie {cookie_set}: {}",
            done.status,
            done.body
        );
    }
    Ok(())
}

/// Enroll new persons `concurrency` at a time for `duration`, numbered
/// from `next` on (which the next round carries on from: a person enrolls
/// once); the sample counts enrollments (two requests each), with the
/// gateway's CPU.
pub fn run(
    http: &Http,
    base: &str,
    concurrency: usize,
    duration: Duration,
    gateway: &mut Proc,
    next: &Arc<AtomicU64>,
) -> Result<Sample> {
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let failures = Arc::new(AtomicU64::new(0));
    let cpu_before = gateway.cpu()?;
    let started = Instant::now();
    let deadline = started + duration;
    http.rt.block_on(async {
        let mut tasks = Vec::new();
        for _ in 0..concurrency {
            let (client, base) = (http.client.clone(), base.to_owned());
            let (next, latencies, failures) = (next.clone(), latencies.clone(), failures.clone());
            tasks.push(tokio::spawn(async move {
                while Instant::now() < deadline {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let sent = Instant::now();
                    match enroll_one(&client, &base, i).await {
                        Ok(()) => latencies.lock().expect("no panics").push(sent.elapsed()),
                        Err(e) => {
                            if failures.fetch_add(1, Ordering::Relaxed) == 0 {
                                eprintln!("  enrollment of person {i}: {e:#}");
                            }
                        }
                    }
                }
            }));
        }
        for task in tasks {
            task.await?;
        }
        Ok::<_, anyhow::Error>(())
    })?;
    let seconds = started.elapsed().as_secs_f64();
    let cpu = gateway.cpu()?.since(&cpu_before);
    gateway.check_alive()?;
    let mut lat = latencies.lock().expect("no panics").clone();
    let failures = failures.load(Ordering::Relaxed);
    if failures > 0 || lat.is_empty() {
        bail!(
            "{failures} of {} enrollments failed",
            failures + lat.len() as u64
        );
    }
    lat.sort();
    let pct = |p: f64| {
        let i = ((lat.len() as f64 * p).ceil() as usize).clamp(1, lat.len()) - 1;
        lat[i].as_secs_f64() * 1e6
    };
    let count = lat.len() as u64;
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

/// What `cargo test` checks of this file (the benchmark itself never runs
/// there): the key is read off an enrollment page as the view writes it.
pub fn self_check() -> Result<()> {
    let page = r#"<p><code class="key" id="manual-key">MFRG GZDF MZTW Q2LK NNWG 23TP OBYX E43U</code></p>"#;
    let secret = manual_key(page).context("no key read")?;
    if secret.as_bytes() != b"abcdefghijklmnopqrst" || manual_key("<p>no key</p>").is_some() {
        bail!("the enrollment page's key is misread");
    }
    Ok(())
}
