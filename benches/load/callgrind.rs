//! `--callgrind`: instructions per request of the gateway's paths, counted
//! by valgrind's callgrind. Unlike CPU time these counts do not depend on
//! what else the machine is doing: the same binary and requests give the
//! same count, so a change of a few percent on the hot path shows.
//!
//! The gateway runs under `valgrind --tool=callgrind`; for each path the
//! benchmark warms it, zeroes the counters (`callgrind_control -z`), sends
//! a fixed number of requests from its own client (8 at a time), and dumps
//! (`callgrind_control -d`); the same for (d), challenge POSTs with valid
//! codes, for (b0), the bare pingora proxy of `bare.rs` (pingora's floor),
//! and for (a) over stores of 10 to 1 000 000 persons
//! (`--scale-persons`). Total instructions (all threads) / requests is the
//! figure.
//!
//! (f) and (g) are measured the same way with nginx as the proxy: nginx
//! (one process, `master_process off`) runs under callgrind too. For (f)
//! the count is that nginx's (the 204 endpoint it asks is the ideal one,
//! and is not counted, as it is not in (f)'s CPU figure). For (g) both
//! nginx and the gateway it asks run under callgrind, both are zeroed and
//! dumped around the same requests, and the figure is their sum (each part
//! shown); nginx's own figure compared with (f)'s is what asking a real
//! endpoint costs the front. Their app, its own nginx under callgrind, is
//! counted beside (f) and (g) but not in them. Each dump is kept as `target/loadbench/callgrind.out.<id>`
//! and annotated (self cost, then inclusive cost, per function) in
//! `target/loadbench/callgrind-<id>.txt`.
//!
//! valgrind hides the SHA extensions of the CPU, so `sha2` falls back to
//! its software SHA-256 here: hashing weighs more in these counts than on
//! the real machine (see BENCHMARKS.md). Only user-space instructions are
//! counted; the kernel's share (sockets, epoll) is not.

use crate::challenge;
use crate::gateway::{self, Settings};
use crate::nginx::{APP_COOKIE, Role};
use crate::procs::{Proc, free_port};
use crate::{Ctx, addr};
use anyhow::{Context, Result, bail};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

/// Requests counted per path (and half as many to warm up).
pub struct Plan {
    /// Which of a, b, b0, c, d to count.
    pub paths: Vec<String>,
    pub requests: u64,
    /// Challenge POSTs counted (each a person enrolled beforehand).
    pub challenges: u64,
    /// Store sizes at which (a) is counted again (empty: none).
    pub scale_persons: Vec<u64>,
}

pub struct Count {
    pub id: String,
    pub what: String,
    pub instructions_per_request: f64,
    pub requests: u64,
    /// The dump (kept) and its inclusive-cost annotation; for (g), the
    /// gateway's.
    pub dump: PathBuf,
    pub annotated: PathBuf,
    /// A proxy of several processes (g): each one's instructions per
    /// request; empty otherwise.
    pub parts: Vec<(String, f64)>,
    /// (g): the dump of its nginx front.
    pub front_dump: Option<PathBuf>,
    /// (f), (g): the app's instructions per request over the same
    /// requests, beside the figure (not in it).
    pub app: Option<f64>,
}

/// A gateway running under callgrind, and the dumps taken of it.
struct Profiled {
    proc: Proc,
    out_file: PathBuf,
    dumps: u32,
}

impl Profiled {
    fn start(ctx: &Ctx, config: &Path, listen: SocketAddr, name: &str) -> Result<Profiled> {
        let dir = config.parent().context("config has no directory")?;
        let args = [
            "serve".to_owned(),
            "-c".to_owned(),
            config.display().to_string(),
        ];
        Profiled::start_program(dir, &ctx.gateway, &args, listen, name)
    }

    /// `program args…` under callgrind, its files in `dir`.
    fn start_program(
        dir: &Path,
        program: &Path,
        args: &[String],
        listen: SocketAddr,
        name: &str,
    ) -> Result<Profiled> {
        std::fs::create_dir_all(dir)?;
        let out_file = dir.join(format!("callgrind.out.{name}"));
        let out_arg = format!("--callgrind-out-file={}", out_file.display());
        let program_arg = program.display().to_string();
        let mut argv = vec![
            "--tool=callgrind",
            "--compress-strings=no",
            "--compress-pos=no",
            &out_arg,
            &program_arg,
        ];
        argv.extend(args.iter().map(String::as_str));
        let mut proc = Proc::spawn(
            &format!("{name} under callgrind"),
            Path::new("valgrind"),
            &argv,
            &[("MFA_GATE_LOG", "warn")],
            dir.join(format!("callgrind-{name}.log")),
        )?;
        proc.wait_listening(listen, Duration::from_secs(300))?;
        Ok(Profiled {
            proc,
            out_file,
            dumps: 0,
        })
    }

    /// Zero the counters, do `work` (`requests` requests), dump; keep the
    /// dump as `out_dir/callgrind.out.<id>`.
    fn count(
        &mut self,
        id: &str,
        what: &str,
        requests: u64,
        out_dir: &Path,
        work: impl FnOnce(&mut Proc) -> Result<()>,
    ) -> Result<Count> {
        self.zero()?;
        work(&mut self.proc)?;
        let (total, dump, annotated) = self.dump(id, out_dir)?;
        let per = total as f64 / requests as f64;
        println!("  callgrind: ({id}) {what}: {per:.0} instructions/request");
        Ok(Count {
            id: id.to_owned(),
            what: what.to_owned(),
            instructions_per_request: per,
            requests,
            dump,
            annotated,
            parts: Vec::new(),
            front_dump: None,
            app: None,
        })
    }

    /// Zero the counters.
    fn zero(&self) -> Result<()> {
        control(&["-z", &self.proc.pid().to_string()])
    }

    /// Dump the counters as `id`: the instructions since `zero`, the dump
    /// kept as `out_dir/callgrind.out.<id>` and its annotation.
    fn dump(&mut self, id: &str, out_dir: &Path) -> Result<(u64, PathBuf, PathBuf)> {
        control(&["-d", id, &self.proc.pid().to_string()])?;
        self.proc.check_alive()?;
        // Dumps are numbered in order: `<out>.<n>`.
        self.dumps += 1;
        let dump = PathBuf::from(format!("{}.{}", self.out_file.display(), self.dumps));
        let total = wait_for_total(&dump)?;
        // Kept beside the report, for callgrind_annotate or kcachegrind.
        let kept = out_dir.join(format!("callgrind.out.{id}"));
        std::fs::copy(&dump, &kept)?;
        let annotated = out_dir.join(format!("callgrind-{id}.txt"));
        annotate(&kept, &annotated)?;
        Ok((total, kept, annotated))
    }
}

pub fn run(ctx: &Ctx, plan: &Plan, out_dir: &Path) -> Result<Vec<Count>> {
    for tool in ["valgrind", "callgrind_control", "callgrind_annotate"] {
        if !crate::procs::have(tool) {
            bail!("--callgrind needs {tool} (Debian package valgrind)");
        }
    }
    let settings = Settings {
        cache_size: 200_000,
        ask_listener: None,
        threads: 1,
        postgres: None,
    };
    let dir = ctx.dir.join("callgrind");
    let listen = addr(free_port()?);
    let config = gateway::write_config(&dir, listen, ctx.upstream, &settings)?;
    let store = dir.join("store");
    gateway::enroll(gateway::Seed::Sled(&store), "p", 0..1, ctx.now)?;
    gateway::enroll_linked(
        gateway::Seed::Sled(&store),
        challenge::GROUP,
        0..plan.challenges,
        ctx.now,
    )?;
    let wants = |id: &str| plan.paths.iter().any(|p| p == id);
    let verified = gateway::verified_cookie_header("p", 0, ctx.now);
    let mut counts = Vec::new();
    if wants("b0") {
        counts.push(bare(ctx, plan.requests, &verified, out_dir)?);
    }
    if wants("f") || wants("g") {
        counts.extend(fronts(ctx, plan, &verified, out_dir)?);
    }
    if !["a", "b", "c", "d"].iter().any(|id| wants(id)) {
        counts.extend(scale(ctx, plan, &settings, out_dir)?);
        return Ok(counts);
    }
    let mut gw = Profiled::start(ctx, &config, listen, "paths")?;
    let base = format!("http://{listen}");
    let paths: [(&str, &str, &str); 3] = [
        ("a", "verified session, enforced path", "/app"),
        ("b", "bypass path", "/static/app.css"),
        ("c", "new session each request (whoami)", "/app"),
    ];
    for (id, what, path) in paths.into_iter().filter(|(id, _, _)| wants(id)) {
        let url = format!("{base}{path}");
        let cookies = |offset: u64| {
            let verified = verified.clone();
            move |i: u64| {
                if id == "c" {
                    format!("{APP_COOKIE}={}", gateway::value("k", offset + i))
                } else {
                    verified.clone()
                }
            }
        };
        let n = plan.requests;
        ctx.http.get_each(&url, cookies(0), n / 2, 8, 200)?;
        counts.push(gw.count(id, what, n, out_dir, |_| {
            ctx.http.get_each(&url, cookies(n), n, 8, 200)
        })?);
    }
    // (d): each person's session warmed, then one valid code each.
    if wants("d") {
        let n = plan.challenges;
        challenge::warm(&ctx.http, &base, 0..n)?;
        let what = "challenge POST, valid code (4 at a time)";
        counts.push(gw.count("d", what, n, out_dir, |gw| {
            challenge::run(&ctx.http, &base, 0..n, 4, gw).map(|_| ())
        })?);
    }
    gw.proc.stop();
    counts.extend(scale(ctx, plan, &settings, out_dir)?);
    Ok(counts)
}

/// (b0): the bare pingora proxy, the same requests as (b).
fn bare(ctx: &Ctx, requests: u64, cookie: &str, out_dir: &Path) -> Result<Count> {
    let listen = addr(free_port()?);
    let (program, args) = crate::bare::command(listen, ctx.upstream)?;
    let dir = ctx.dir.join("callgrind-bare");
    let mut proxy = Profiled::start_program(&dir, &program, &args, listen, "bare")?;
    let url = format!("http://{listen}/static/app.css");
    let cookie = cookie.to_owned();
    let each = move |_| cookie.clone();
    ctx.http
        .get_each(&url, each.clone(), requests / 2, 8, 200)?;
    let what = "bare pingora ProxyHttp (pingora's floor)";
    let count = proxy.count("b0", what, requests, out_dir, |_| {
        ctx.http.get_each(&url, each, requests, 8, 200)
    })?;
    proxy.proc.stop();
    Ok(count)
}

/// (f) and (g): nginx under callgrind, asking the ideal 204 endpoint (f)
/// or the gateway's forward-auth endpoint (g, the gateway under callgrind
/// too), for a verified session's `GET /app`. Their app (an upstream
/// nginx like the run's) runs under callgrind as well and is counted
/// beside, not in the figure: in (f) it serves the page and the ask's 204,
/// in (g) the page only, so the difference is what the "ideal" 204 costs.
fn fronts(ctx: &Ctx, plan: &Plan, cookie: &str, out_dir: &Path) -> Result<Vec<Count>> {
    let wants = |id: &str| plan.paths.iter().any(|p| p == id);
    let n = plan.requests;
    let cookie = cookie.to_owned();
    let each = move |_| cookie.clone();
    let per = |total: u64| total as f64 / n as f64;
    let nginx = |id: &str, role: &Role| -> Result<(Profiled, SocketAddr)> {
        let listen = addr(free_port()?);
        let dir = ctx.dir.join(format!("callgrind-nginx-{id}"));
        let args = crate::nginx::arguments(role, listen, &dir)?;
        let name = format!("nginx-{id}");
        let proc = Profiled::start_program(&dir, &ctx.nginx, &args, listen, &name)?;
        Ok((proc, listen))
    };
    let (mut app, upstream) = nginx("app", &Role::Upstream)?;
    let mut counts = Vec::new();
    if wants("f") {
        let (mut front, listen) = nginx("f", &Role::AuthRequest { upstream })?;
        let url = format!("http://{listen}/app");
        ctx.http.get_each(&url, each.clone(), n / 2, 8, 200)?;
        front.zero()?;
        app.zero()?;
        ctx.http.get_each(&url, each.clone(), n, 8, 200)?;
        let (total, dump, annotated) = front.dump("f", out_dir)?;
        let (app_total, _, _) = app.dump("f-app", out_dir)?;
        let what = "nginx auth_request (204) + proxy_pass";
        println!(
            "  callgrind: (f) {what}: {:.0} instructions/request (app {:.0}, not counted)",
            per(total),
            per(app_total)
        );
        counts.push(Count {
            id: "f".into(),
            what: what.into(),
            instructions_per_request: per(total),
            requests: n,
            dump,
            annotated,
            parts: vec![("nginx".into(), per(total))],
            front_dump: None,
            app: Some(per(app_total)),
        });
        front.proc.stop();
    }
    if wants("g") {
        let asks = addr(free_port()?);
        let settings = Settings {
            cache_size: 200_000,
            ask_listener: Some(asks),
            threads: 1,
            postgres: None,
        };
        let dir = ctx.dir.join("callgrind-fa");
        let gateway = addr(free_port()?);
        let config = gateway::write_config(&dir, gateway, upstream, &settings)?;
        gateway::enroll(gateway::Seed::Sled(&dir.join("store")), "p", 0..1, ctx.now)?;
        let mut gw = Profiled::start(ctx, &config, gateway, "fa")?;
        gw.proc.wait_listening(asks, Duration::from_secs(300))?;
        let (mut front, listen) = nginx(
            "g",
            &Role::ForwardAuth {
                upstream,
                gateway,
                asks,
            },
        )?;
        let url = format!("http://{listen}/app");
        ctx.http.get_each(&url, each.clone(), n / 2, 8, 200)?;
        front.zero()?;
        gw.zero()?;
        app.zero()?;
        ctx.http.get_each(&url, each, n, 8, 200)?;
        let (front_total, front_dump, _) = front.dump("g-nginx", out_dir)?;
        let (gw_total, dump, annotated) = gw.dump("g-gateway", out_dir)?;
        let (app_total, _, _) = app.dump("g-app", out_dir)?;
        let what = "nginx auth_request (mfa-gate's ask listener, verified) + proxy_pass";
        println!(
            "  callgrind: (g) {what}: {:.0} instructions/request (nginx {:.0} + gateway {:.0}; \
             app {:.0}, not counted)",
            per(front_total + gw_total),
            per(front_total),
            per(gw_total),
            per(app_total)
        );
        counts.push(Count {
            id: "g".into(),
            what: what.into(),
            instructions_per_request: per(front_total + gw_total),
            requests: n,
            dump,
            annotated,
            parts: vec![
                ("nginx".into(), per(front_total)),
                ("gateway".into(), per(gw_total)),
            ],
            front_dump: Some(front_dump),
            app: Some(per(app_total)),
        });
        front.proc.stop();
        gw.proc.stop();
    }
    app.proc.stop();
    Ok(counts)
}

/// (a) rotating over up to 1 000 verified sessions spread over stores of
/// growing size, as in `scale.rs`: does the verified path stay flat?
fn scale(ctx: &Ctx, plan: &Plan, settings: &Settings, out_dir: &Path) -> Result<Vec<Count>> {
    const GROUP: &str = "s";
    let dir = ctx.dir.join("callgrind-scale");
    let store = dir.join("store");
    let mut counts = Vec::new();
    let mut have = 0;
    for &persons in &plan.scale_persons {
        if persons < have {
            bail!("--scale-persons must grow: {persons} after {have}");
        }
        gateway::enroll(gateway::Seed::Sled(&store), GROUP, have..persons, ctx.now)?;
        have = persons;
        let listen = addr(free_port()?);
        let config = gateway::write_config(&dir, listen, ctx.upstream, settings)?;
        let mut gw = Profiled::start(ctx, &config, listen, &format!("scale-{persons}"))?;
        let rotated = 1000.min(persons).max(1);
        let headers: Arc<Vec<String>> = Arc::new(
            (0..rotated)
                .map(|j| gateway::verified_cookie_header(GROUP, j * persons / rotated, ctx.now))
                .collect(),
        );
        let url = format!("http://{listen}/app");
        let h = headers.clone();
        let cookie = move |i: u64| h[(i % rotated) as usize].clone();
        // Every session once (its whoami call), then as many again.
        ctx.http
            .get_each(&url, cookie.clone(), 2 * rotated, 8, 200)?;
        let n = plan.requests;
        let id = format!("a-{persons}");
        let what = format!("(a) over {rotated} sessions, {persons} persons enrolled");
        counts.push(gw.count(&id, &what, n, out_dir, |_| {
            ctx.http.get_each(&url, cookie, n, 8, 200)
        })?);
        gw.proc.stop();
        std::thread::sleep(Duration::from_millis(200));
    }
    Ok(counts)
}

fn control(args: &[&str]) -> Result<()> {
    let out = Command::new("callgrind_control").args(args).output()?;
    if !out.status.success() {
        bail!(
            "callgrind_control {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

/// The `summary:` (or `totals:`) line of a dump: instructions executed.
fn wait_for_total(dump: &Path) -> Result<u64> {
    for _ in 0..100 {
        if let Ok(text) = std::fs::read_to_string(dump) {
            let total = text.lines().find_map(|l| {
                l.strip_prefix("summary:")
                    .or_else(|| l.strip_prefix("totals:"))
                    .and_then(|v| v.split_whitespace().next())
                    .and_then(|v| v.parse::<u64>().ok())
            });
            if let Some(total) = total {
                return Ok(total);
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    bail!("no callgrind dump at {}", dump.display())
}

/// `callgrind_annotate --inclusive=yes` of a dump (who calls what).
fn annotate(dump: &Path, to: &Path) -> Result<()> {
    let out = Command::new("callgrind_annotate")
        .args(["--inclusive=yes", "--auto=no"])
        .arg(dump)
        .output()
        .context("callgrind_annotate")?;
    std::fs::write(to, &out.stdout)?;
    Ok(())
}

/// Self cost (instructions executed in the function itself) of every
/// function of a dump. Read here rather than with callgrind_annotate,
/// whose self-cost listing of a dump taken after `-z` shows only `clone`.
pub fn self_costs(dump: &Path) -> Result<HashMap<String, u64>> {
    let text = std::fs::read_to_string(dump)?;
    let mut names: HashMap<String, String> = HashMap::new();
    let mut costs: HashMap<String, u64> = HashMap::new();
    let mut current = String::new();
    let mut after_calls = false;
    for line in text.lines() {
        if let Some(name) = line.strip_prefix("fn=") {
            current = resolve(&mut names, name);
        } else if let Some(name) = line.strip_prefix("cfn=") {
            // Define a compressed name used later as `fn=(id)`.
            resolve(&mut names, name);
        } else if line.starts_with("calls=") {
            after_calls = true;
        } else if line.starts_with(|c: char| c.is_ascii_digit() || "+-*".contains(c)) {
            if after_calls {
                // The inclusive cost of the call just named: not ours.
                after_calls = false;
                continue;
            }
            let ir = line
                .split_whitespace()
                .nth(1)
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0);
            *costs.entry(current.clone()).or_default() += ir;
        }
    }
    Ok(costs)
}

/// `(id) name` defines id; `(id)` refers to it; a plain name is itself.
fn resolve(names: &mut HashMap<String, String>, text: &str) -> String {
    match text.strip_prefix('(').and_then(|t| t.split_once(')')) {
        Some((id, rest)) if !rest.trim().is_empty() => {
            let name = rest.trim().to_owned();
            names.insert(id.to_owned(), name.clone());
            name
        }
        Some((id, _)) => names.get(id).cloned().unwrap_or_else(|| format!("({id})")),
        None => text.to_owned(),
    }
}

/// Functions by self instructions per request, most first, and by how
/// many more per request they cost in `more` than in `base`.
pub fn compare(
    more: &HashMap<String, u64>,
    base: &HashMap<String, u64>,
    requests: u64,
    top: usize,
) -> String {
    let per = |v: i64| v as f64 / requests as f64;
    let mut diff: Vec<(&String, i64)> = more
        .iter()
        .map(|(name, &ir)| {
            (
                name,
                ir as i64 - base.get(name).copied().unwrap_or(0) as i64,
            )
        })
        .collect();
    diff.sort_by_key(|(_, d)| -d);
    let mut out = String::from("| instructions/request | function (self cost) |\n|---:|---|\n");
    for (name, d) in diff.iter().take(top) {
        out.push_str(&format!("| {:.0} | `{}` |\n", per(*d), short(name)));
    }
    let total: i64 = diff.iter().map(|(_, d)| d).sum();
    out.push_str(&format!("| {:.0} | all functions |\n", per(total)));
    out
}

/// A function name with generic arguments inside generic arguments elided.
fn short(name: &str) -> String {
    let mut out = String::new();
    let mut depth = 0;
    for c in name.chars() {
        match c {
            '<' => {
                depth += 1;
                if depth == 2 {
                    out.push_str("<…>");
                }
                if depth == 1 {
                    out.push(c);
                }
            }
            '>' if depth > 0 => {
                if depth == 1 {
                    out.push(c);
                }
                depth -= 1;
            }
            _ if depth <= 1 => out.push(c),
            _ => {}
        }
    }
    out
}
