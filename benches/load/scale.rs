//! Scale figures: the verified path (a) with 10, 10 000 and 1 000 000
//! enrolled persons in the store, and with 100 000 live sessions in the
//! identity cache; the gateway's resident memory and the store's size.
//!
//! One store grows between the steps (persons are added by bulk import
//! while no gateway runs; a fresh gateway then opens it). The load rotates
//! over up to 1 000 verified sessions whose persons are spread evenly over
//! the store, so a step reads records from all over it, not one hot record.
//! Live sessions are primed with one request each (a whoami call: each is
//! a new, unenrolled account, so it passes); the measured run follows.

use crate::client::Http;
use crate::gateway::{self, Settings};
use crate::nginx::{APP_COOKIE, PAGE};
use crate::procs::free_port;
use crate::report::ScaleRow;
use crate::wrk::{self, Load};
use crate::{Ctx, addr};
use anyhow::{Result, bail};
use std::time::{Duration, Instant};

/// The group of the scale steps' persons (group `p` of the main store is
/// in another store).
const GROUP: &str = "s";
/// The group of the primed live sessions (never enrolled).
const LIVE: &str = "live";

pub struct Plan {
    pub persons: Vec<u64>,
    pub live_sessions: u64,
    pub rotated: u64,
}

pub fn run(ctx: &Ctx, plan: &Plan) -> Result<Vec<ScaleRow>> {
    let dir = ctx.dir.join("scale");
    let listen = addr(free_port()?);
    let settings = Settings {
        cache_size: (plan.live_sessions + plan.rotated).max(100_000) as usize * 2,
        ask_listener: None,
        threads: 1,
        postgres: None,
    };
    let config = gateway::write_config(&dir, listen, ctx.upstream, &settings)?;
    let store = dir.join("store");
    let base = format!("http://{listen}");
    let mut rows = Vec::new();
    let mut have = 0;
    let mut had_bytes = 0;
    let last = plan.persons.len().saturating_sub(1);
    for (step, &persons) in plan.persons.iter().enumerate() {
        if persons < have {
            bail!("--scale-persons must grow: {persons} after {have}");
        }
        let t = Instant::now();
        let store_bytes =
            gateway::enroll(gateway::Seed::Sled(&store), GROUP, have..persons, ctx.now)?;
        println!(
            "  scale: {persons} persons enrolled ({} added in {:.1} s), store {:.1} MiB",
            persons - have,
            t.elapsed().as_secs_f64(),
            store_bytes as f64 / 1048576.0
        );
        let added_bytes_per_person =
            store_bytes.saturating_sub(had_bytes) as f64 / (persons - have).max(1) as f64;
        (have, had_bytes) = (persons, store_bytes);

        // Verified sessions spread over the persons, one Cookie header a line.
        let rotated = plan.rotated.min(persons).max(1);
        let headers: Vec<String> = (0..rotated)
            .map(|j| gateway::verified_cookie_header(GROUP, j * persons / rotated, ctx.now))
            .collect();
        let file = dir.join(format!("sessions-{persons}.txt"));
        std::fs::write(&file, headers.join("\n") + "\n")?;

        let mut gw = gateway::start(&ctx.gateway, &config, listen, false, "gateway-scale")?;
        let idle_rss = gw.rss()?;
        // Every rotated session once: identities cached, answers checked.
        let shared = std::sync::Arc::new(headers);
        let h = shared.clone();
        ctx.http.get_each(
            &format!("{base}/app"),
            move |i| h[i as usize].clone(),
            rotated,
            8,
            200,
        )?;
        check_page(&ctx.http, &base, &shared[0])?;
        let script = ctx.script("rotate.lua", wrk::ROTATE_SESSIONS)?;
        let args = [file.display().to_string(), "/app".to_owned()];
        let load = Load::Script {
            script: &script,
            args: &args,
        };
        let measure = |live: u64, gw: &mut crate::procs::Proc| -> Result<ScaleRow> {
            let sample = wrk::measure(&base, &load, ctx.warmup, ctx.duration, gw)?;
            let row = ScaleRow {
                persons,
                live_sessions: live,
                rotated_sessions: rotated,
                rss_bytes: gw.rss()?,
                store_bytes,
                added_bytes_per_person,
                sample,
            };
            println!(
                "  scale: {persons} persons, {live} live sessions: {:.0} req/s, {:.1} µs CPU/req, RSS {:.1} MiB",
                row.sample.rps,
                row.sample.cpu_us_per_req,
                row.rss_bytes as f64 / 1048576.0
            );
            Ok(row)
        };
        rows.push(measure(0, &mut gw)?);
        if (step == 0 || step == last) && plan.live_sessions > 0 {
            let t = Instant::now();
            prime(&ctx.http, &base, plan.live_sessions)?;
            println!(
                "  scale: {} live sessions primed in {:.1} s (RSS {:.1} MiB; {:.1} MiB idle after start)",
                plan.live_sessions,
                t.elapsed().as_secs_f64(),
                gw.rss()? as f64 / 1048576.0,
                idle_rss as f64 / 1048576.0
            );
            rows.push(measure(plan.live_sessions, &mut gw)?);
        }
        gw.stop();
        // sled's lock goes with the process; a moment for the kernel.
        std::thread::sleep(Duration::from_millis(200));
    }
    Ok(rows)
}

/// One request per live session: each a whoami call whose answer is cached.
fn prime(http: &Http, base: &str, count: u64) -> Result<()> {
    http.get_each(
        &format!("{base}/app"),
        |i| format!("{APP_COOKIE}={}", gateway::value(LIVE, i)),
        count,
        32,
        200,
    )
}

fn check_page(http: &Http, base: &str, cookie: &str) -> Result<()> {
    let a = http.get(&format!("{base}/app"), Some(cookie))?;
    if a.status != 200 || a.body != PAGE {
        bail!(
            "a verified session of the scale store got {} {:?}, not the page",
            a.status,
            a.body
        );
    }
    Ok(())
}
