//! The load benchmark: what mfa-gate costs per request, next to nginx.
//!
//! One run starts a fast upstream app (nginx, one process: a 44-byte page,
//! a whoami endpoint, a 204 auth endpoint) and measures against it, with
//! `wrk -t1 -c32 --latency` after a warm-up:
//!
//! | id    | what |
//! |-------|------|
//! | a     | mfa-gate, a verified session on an enforced path: the hot path |
//! | a+log | (a) with the default log level, one access-log line a request |
//! | b     | mfa-gate on a bypass path (`/static/*`): pure pass-through |
//! | b0    | a bare pingora `ProxyHttp` (no filters, `bare.rs`): pingora's floor |
//! | c     | mfa-gate, a new app session every request: whoami, cache miss |
//! | d4/16 | challenge POSTs with valid codes, 4 or 16 at a time (Rust client) |
//! | n     | complete enrollments of new persons, 16 at a time (Rust client; `enroll.rs`) |
//! | e     | nginx `proxy_pass` |
//! | f     | nginx `auth_request` to an ideal 204 endpoint, then `proxy_pass` |
//! | g     | nginx `auth_request` to mfa-gate's `/_mfa/auth` on its lean ask listener (forward auth), verified session, then `proxy_pass` |
//!
//! For each: requests/s, p50, p99 and CPU µs per request of the proxy
//! process (`/proc/PID/stat`; for (g) nginx's and the gateway's together),
//! as a Markdown table with ratios to (b) and (f); then the scale figures
//! (`scale.rs`). The gateway runs with `server.threads: 1`, nginx with one
//! process, so CPU per request compares like with like. `--callgrind`
//! instead counts instructions per request under valgrind
//! (`callgrind.rs`), a figure that noise does not move.
//!
//! Run: `bash scripts/loadbench.sh [options]` (installs wrk and nginx,
//! builds, runs), or `cargo bench --bench load -- [options]`; `--help`
//! lists the options. Started without `--bench` (as `cargo test` does)
//! it only checks its report parser and exits: it never runs in CI.
//! Everything it starts listens on loopback, dies with it
//! (`setpriv --pdeathsig`), and is stopped at the end; its files live in a
//! temporary directory under `target/loadbench/`.

/// The gateway's allocator, so that (b0), pingora's floor measured in this
/// process, is measured with it too.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod bare;
mod callgrind;
mod challenge;
mod chart;
mod client;
mod enroll;
mod gateway;
mod nginx;
mod procs;
mod report;
mod residency;
mod scale;
mod wrk;

use anyhow::{Context, Result, bail};
use client::Http;
use mfa_gate::store::testing::LocalPostgres;
use nginx::{APP_COOKIE, PAGE, Role};
use procs::{Proc, free_port};
use report::{Report, Row};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use wrk::Load;

const USAGE: &str = "\
usage: cargo bench --bench load -- [options]   (or: bash scripts/loadbench.sh [options])

  --duration SECS       measured seconds per wrk run (default 10)
  --warmup SECS         warm-up seconds before each (default 2)
  --rounds N            repeat the scenario table N times, report medians (default 3)
  --quick               smoke run: 3 s runs, 1 s warm-up, 1 round, 200 challenges,
                        scale 10 / 10 000 / 100 000 persons with 10 000 live sessions
  --only LIST           comma-separated subset of: a,a+log,b,b0,c,d,e,f,g,n,scale (default: all)
  --challenges N        challenge POSTs per concurrency level (default 2000)
  --scale-persons LIST  enrolled persons of the scale steps (default 10,10000,1000000)
  --live-sessions N     sessions primed into the identity cache (default 100000)
  --callgrind           instead: instructions per request of a, b, b0, c, d, f, g and of (a)
                        at each --scale-persons size, under valgrind (--only picks among
                        them; f and g count nginx, and for g the gateway it asks, too)
  --callgrind-requests N   requests counted per path (default 2000; a quarter for d)
  --gateway PATH        the mfa-gate binary to measure (default: this build's)
  --label TEXT          name of this run in the report (default: git revision)
  --json PATH           where to save the results (default target/loadbench/latest.json)
  --compare PATH        a saved result to compare CPU per request with
  --keep                keep the work directory (configs, logs, stores)
  --store sled|postgres the store of the gateway of a–d (default sled); postgres starts a
                        private cluster on loopback (initdb; Debian package postgresql)
  --sled-residency      (alone) instead: sled's resident memory per key written since
                        open, for several page-cache sizes (BENCHMARKS.md, \"Memory\")

Every run also draws its chart beside the JSON (RESULT.svg);
`--chart RESULT.json` (alone) draws a saved run's chart again.
";

struct Options {
    duration: Duration,
    warmup: Duration,
    rounds: usize,
    only: Vec<String>,
    challenges: u64,
    scale_persons: Vec<u64>,
    live_sessions: u64,
    callgrind: bool,
    callgrind_requests: u64,
    gateway: PathBuf,
    label: Option<String>,
    json: PathBuf,
    compare: Option<PathBuf>,
    keep: bool,
    /// `--store postgres`: the gateway of a–d keeps its store in a private
    /// PostgreSQL cluster on loopback instead of sled.
    postgres: bool,
}

impl Options {
    fn parse(args: &[String]) -> Result<Options> {
        let mut o = Options {
            duration: Duration::from_secs(10),
            warmup: Duration::from_secs(2),
            rounds: 3,
            only: Vec::new(),
            challenges: 2000,
            scale_persons: vec![10, 10_000, 1_000_000],
            live_sessions: 100_000,
            callgrind: false,
            callgrind_requests: 2000,
            gateway: PathBuf::from(env!("CARGO_BIN_EXE_mfa-gate")),
            label: None,
            json: loadbench_dir().join("latest.json"),
            compare: None,
            keep: false,
            postgres: false,
        };
        // `--quick` first, so that explicit options override it.
        if args.iter().any(|a| a == "--quick") {
            o.duration = Duration::from_secs(3);
            o.warmup = Duration::from_secs(1);
            o.rounds = 1;
            o.challenges = 200;
            o.scale_persons = vec![10, 10_000, 100_000];
            o.live_sessions = 10_000;
            o.callgrind_requests = 500;
        }
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            let mut value = || {
                it.next()
                    .cloned()
                    .with_context(|| format!("{arg} needs a value"))
            };
            let secs = |v: String| -> Result<Duration> {
                Ok(Duration::from_secs(v.parse().context("seconds")?))
            };
            match arg.as_str() {
                "--bench" | "--quick" => {}
                "--duration" => o.duration = secs(value()?)?,
                "--warmup" => o.warmup = secs(value()?)?,
                "--rounds" => o.rounds = value()?.parse::<usize>()?.max(1),
                "--only" => o.only = value()?.split(',').map(str::to_owned).collect(),
                "--challenges" => o.challenges = value()?.parse()?,
                "--scale-persons" => {
                    o.scale_persons = value()?
                        .split(',')
                        .map(|n| n.trim().replace('_', "").parse())
                        .collect::<Result<_, _>>()?
                }
                "--live-sessions" => o.live_sessions = value()?.parse()?,
                "--callgrind" => o.callgrind = true,
                "--callgrind-requests" => o.callgrind_requests = value()?.parse()?,
                "--gateway" => o.gateway = PathBuf::from(value()?),
                "--label" => o.label = Some(value()?),
                "--json" => o.json = PathBuf::from(value()?),
                "--compare" => o.compare = Some(PathBuf::from(value()?)),
                "--keep" => o.keep = true,
                "--store" => {
                    o.postgres = match value()?.as_str() {
                        "sled" => false,
                        "postgres" => true,
                        other => bail!("--store: {other:?} is neither sled nor postgres"),
                    }
                }
                "-h" | "--help" => {
                    print!("{USAGE}");
                    std::process::exit(0);
                }
                other => bail!("unknown option {other:?}\n{USAGE}"),
            }
        }
        if o.duration.is_zero() {
            bail!("--duration must be at least 1 second");
        }
        for id in &o.only {
            if ![
                "a", "a+log", "b", "b0", "c", "d", "e", "f", "g", "n", "scale",
            ]
            .contains(&id.as_str())
            {
                bail!("--only: unknown scenario {id:?}\n{USAGE}");
            }
        }
        Ok(o)
    }

    fn wants(&self, id: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|o| o == id)
    }
}

/// What every part of a run shares.
pub struct Ctx {
    pub dir: PathBuf,
    pub http: Http,
    pub upstream: SocketAddr,
    pub gateway: PathBuf,
    pub nginx: PathBuf,
    /// The clock when the run started: enrollments and cookies use it.
    pub now: i64,
    pub warmup: Duration,
    pub duration: Duration,
}

impl Ctx {
    /// Write a wrk Lua script into the work directory.
    pub fn script(&self, name: &str, text: &str) -> Result<PathBuf> {
        let path = self.dir.join(name);
        std::fs::write(&path, text)?;
        Ok(path)
    }
}

pub fn addr(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

fn loadbench_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("loadbench")
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // Started again by itself as scenario (b0)'s proxy: serve, never return.
    if args.first().map(String::as_str) == Some(bare::FLAG) {
        if let Err(e) = bare::serve(&args[1..]) {
            eprintln!("bare proxy: {e:#}");
            std::process::exit(1);
        }
        return;
    }
    // `--sled-residency`: sled's resident memory per key written (a table).
    let sled_mode = match args.first().map(String::as_str) {
        Some(residency::FLAG) => Some(residency::run()),
        Some(residency::CASE_FLAG) => Some(residency::case(&args[1..])),
        _ => None,
    };
    if let Some(result) = sled_mode {
        if let Err(e) = result {
            eprintln!("sled residency: {e:#}");
            std::process::exit(1);
        }
        return;
    }
    // `--chart RESULT.json`: draw a saved run's chart again (RESULT.svg).
    if args.first().map(String::as_str) == Some("--chart") {
        if let Err(e) = redraw(args.get(1).map(String::as_str)) {
            eprintln!("chart: {e:#}");
            std::process::exit(1);
        }
        return;
    }
    // `cargo bench` passes --bench; `cargo test --all-targets` does not:
    // then only the parser is checked, and nothing is started.
    if !args.iter().any(|a| a == "--bench") {
        match wrk::self_check().and_then(|()| enroll::self_check()) {
            Ok(()) => println!(
                "load benchmark: report parser OK; not run (use `cargo bench --bench load` or scripts/loadbench.sh)"
            ),
            Err(e) => {
                eprintln!("load benchmark self-check failed: {e:#}");
                std::process::exit(1);
            }
        }
        return;
    }
    let result = Options::parse(&args).and_then(run);
    if let Err(e) = result {
        eprintln!("load benchmark failed: {e:#}");
        std::process::exit(1);
    }
}

fn run(opts: Options) -> Result<()> {
    for tool in ["wrk", "setpriv", "getconf"] {
        if !procs::have(tool) {
            bail!("{tool} is not installed (scripts/loadbench.sh installs what is missing)");
        }
    }
    let nginx = nginx::binary().context("nginx is not installed")?;
    if !opts.gateway.exists() {
        bail!(
            "no gateway binary at {} (cargo build --release)",
            opts.gateway.display()
        );
    }
    std::fs::create_dir_all(loadbench_dir())?;
    let work = tempfile::Builder::new()
        .prefix("run-")
        .tempdir_in(loadbench_dir())?;
    let ctx = Ctx {
        dir: work.path().to_owned(),
        http: Http::new()?,
        upstream: addr(free_port()?),
        gateway: opts.gateway.clone(),
        nginx,
        now: unix_now(),
        warmup: opts.warmup,
        duration: opts.duration,
    };
    let mut report = Report {
        label: opts.label.clone().unwrap_or_else(revision),
        started_at: utc_now(),
        machine: report::machine(),
        settings: settings_text(&opts),
        gateway: ctx.gateway.display().to_string(),
        ..Report::default()
    };
    println!(
        "load benchmark: {} on {} ({} cores); work directory {}",
        report.label,
        report.machine.cpu,
        report.machine.cores,
        ctx.dir.display()
    );

    let upstream = nginx::start(
        &ctx.nginx,
        "upstream nginx",
        &Role::Upstream,
        ctx.upstream,
        &ctx.dir.join("upstream"),
    )?;
    check_upstream(&ctx)?;

    if opts.callgrind {
        let counts = callgrind::run(
            &ctx,
            &callgrind::Plan {
                paths: ["a", "b", "b0", "c", "d", "f", "g"]
                    .into_iter()
                    .filter(|id| opts.wants(id))
                    .map(str::to_owned)
                    .collect(),
                requests: opts.callgrind_requests,
                challenges: (opts.callgrind_requests / 4).max(1),
                scale_persons: if opts.wants("scale") {
                    opts.scale_persons.clone()
                } else {
                    Vec::new()
                },
            },
            &loadbench_dir(),
        )?;
        callgrind_tables(&counts)?;
        drop(upstream);
        return finish(work, opts.keep);
    }

    scenario_table(&ctx, &opts, &mut report, upstream.pid())?;
    if opts.wants("scale") && !opts.scale_persons.is_empty() {
        report.scale = scale::run(
            &ctx,
            &scale::Plan {
                persons: opts.scale_persons.clone(),
                live_sessions: opts.live_sessions,
                rotated: 1000,
            },
        )?;
    }
    drop(upstream);
    report.machine.load_after = report::loadavg();

    let compare = match &opts.compare {
        Some(path) => Some(
            serde_json::from_slice::<Report>(
                &std::fs::read(path).with_context(|| format!("reading {}", path.display()))?,
            )
            .with_context(|| format!("reading {}", path.display()))?,
        ),
        None => None,
    };
    println!("\n{}", report.to_markdown(compare.as_ref()));
    if let Some(dir) = opts.json.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&opts.json, serde_json::to_vec_pretty(&report)?)?;
    println!("results saved to {}", opts.json.display());
    if let Some(svg) = chart::svg(&report) {
        let path = opts.json.with_extension("svg");
        std::fs::write(&path, svg)?;
        println!("chart saved to {}", path.display());
    }
    finish(work, opts.keep)
}

/// The `--callgrind` tables: instructions per request with ratios to (b)
/// and (f), and where the instructions go (`target/loadbench/*.md`).
fn callgrind_tables(counts: &[callgrind::Count]) -> Result<()> {
    let per = |id: &str| {
        counts
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.instructions_per_request)
    };
    let (b, f) = (per("b"), per("f"));
    let times =
        |v: f64, base: Option<f64>| base.map_or("–".into(), |base| format!("{:.2}×", v / base));
    println!("\n| | path | instructions/request | × (b) | × (f) | annotated |");
    println!("|---|---|---:|---:|---:|---|");
    for c in counts {
        let mut parts: Vec<String> = Vec::new();
        if c.parts.len() > 1 {
            let each: Vec<String> = c
                .parts
                .iter()
                .map(|(name, v)| format!("{name} {v:.0}"))
                .collect();
            parts.push(each.join(" + "));
        }
        if let Some(app) = c.app {
            parts.push(format!("app {app:.0}, not counted"));
        }
        let what = match parts.is_empty() {
            true => c.what.clone(),
            false => format!("{} ({})", c.what, parts.join("; ")),
        };
        println!(
            "| {} | {what} | {:.0} | {} | {} | {} |",
            c.id,
            c.instructions_per_request,
            times(c.instructions_per_request, b),
            times(c.instructions_per_request, f),
            c.annotated.display()
        );
    }
    let by_id = |id: &str| counts.iter().find(|c| c.id == id);
    let none = Default::default();
    if let Some(g) = by_id("g") {
        // The ask's own profile: what the gateway spends per ask, and what
        // nginx spends on asking it rather than a 204 endpoint.
        let g_costs = callgrind::self_costs(&g.dump)?;
        let mut text = format!(
            "#### The gateway's forward-auth ask (g): self instructions per ask\n\n{}",
            callgrind::compare(&g_costs, &none, g.requests, 30),
        );
        if let Some(a) = by_id("a") {
            let a_costs = callgrind::self_costs(&a.dump)?;
            text.push_str(&format!(
                "\n#### The gateway: an ask (g) − an inline request (a), per request\n\n{}",
                callgrind::compare(&g_costs, &a_costs, g.requests, 30),
            ));
        }
        if let (Some(f), Some(front)) = (by_id("f"), &g.front_dump) {
            let (f_costs, front_costs) = (
                callgrind::self_costs(&f.dump)?,
                callgrind::self_costs(front)?,
            );
            text.push_str(&format!(
                "\n#### nginx: the front of (g) − the front of (f), per request\n\n{}\n\
                 #### nginx, the front of (f): self instructions per request\n\n{}",
                callgrind::compare(&front_costs, &f_costs, g.requests, 30),
                callgrind::compare(&f_costs, &none, f.requests, 30),
            ));
        }
        let path = loadbench_dir().join("callgrind-forward-auth.md");
        std::fs::write(&path, &text)?;
        println!("\n{text}\n(saved to {})", path.display());
    }
    if let (Some(a), Some(b)) = (by_id("a"), by_id("b")) {
        let (a_costs, b_costs) = (
            callgrind::self_costs(&a.dump)?,
            callgrind::self_costs(&b.dump)?,
        );
        let mut text = format!(
            "#### Where the hot path's extra instructions go: (a) − (b), per request\n\n{}\n\
             #### Pass-through (b): self instructions per request\n\n{}",
            callgrind::compare(&a_costs, &b_costs, a.requests, 30),
            callgrind::compare(&b_costs, &none, b.requests, 30),
        );
        if let Some(b0) = by_id("b0") {
            let b0_costs = callgrind::self_costs(&b0.dump)?;
            text.push_str(&format!(
                "\n#### What mfa-gate adds to bare pingora: (b) − (b0), per request\n\n{}\n\
                 #### Bare pingora (b0): self instructions per request\n\n{}",
                callgrind::compare(&b_costs, &b0_costs, b.requests, 30),
                callgrind::compare(&b0_costs, &none, b0.requests, 30),
            ));
        }
        let path = loadbench_dir().join("callgrind-functions.md");
        std::fs::write(&path, &text)?;
        println!("\n{text}\n(saved to {})", path.display());
    }
    Ok(())
}

fn redraw(json: Option<&str>) -> Result<()> {
    let json = PathBuf::from(json.context("--chart needs a saved result (JSON)")?);
    let report: Report = serde_json::from_slice(
        &std::fs::read(&json).with_context(|| format!("reading {}", json.display()))?,
    )
    .with_context(|| format!("reading {}", json.display()))?;
    let svg = chart::svg(&report).context("the result has no scenario to draw")?;
    let path = json.with_extension("svg");
    std::fs::write(&path, svg)?;
    println!("chart saved to {}", path.display());
    Ok(())
}

fn finish(work: tempfile::TempDir, keep: bool) -> Result<()> {
    if keep {
        println!("work directory kept: {}", work.keep().display());
    }
    Ok(())
}

/// The scenarios a–g (those selected), `rounds` times over, and (d).
/// `app_pid` is the upstream's process: its CPU is watched in (f) and
/// (g), where it serves the page and, in (f), the 204 of the ask.
fn scenario_table(ctx: &Ctx, opts: &Options, report: &mut Report, app_pid: u32) -> Result<()> {
    let table = ["a", "a+log", "b", "b0", "c", "e", "f", "g"];
    if !table.iter().chain(&["d", "n"]).any(|id| opts.wants(id)) {
        return Ok(());
    }
    let verified = gateway::verified_cookie_header("p", 0, ctx.now);
    let settings = gateway::Settings {
        cache_size: 200_000,
        ask_listener: None,
        threads: 1,
        postgres: None,
    };
    // `--store postgres`: a private cluster for the run (dropped, stopped
    // and removed at the end of this function).
    let cluster = if opts.postgres {
        Some(LocalPostgres::start().map_err(anyhow::Error::msg)?)
    } else {
        None
    };
    let url = cluster.as_ref().map(LocalPostgres::url);
    let main_settings = gateway::Settings {
        postgres: url.as_deref(),
        ..settings
    };

    // The gateway of a, b, c and d; its store has the hot-path person
    // (`p` 0) and the persons that take the challenge.
    let dir = ctx.dir.join("gateway");
    let listen = addr(free_port()?);
    let config = gateway::write_config(&dir, listen, ctx.upstream, &main_settings)?;
    let store = dir.join("store");
    let seed = gateway::Seed::of(&store, &main_settings);
    gateway::enroll(seed, "p", 0..1, ctx.now)?;
    let challenges = if opts.wants("d") { opts.challenges } else { 0 };
    if challenges > 0 {
        gateway::enroll_linked(seed, challenge::GROUP, 0..2 * challenges, ctx.now)?;
    }
    let mut gw = gateway::start(&ctx.gateway, &config, listen, false, "gateway")?;
    let base = format!("http://{listen}");
    let rss_start = gw.rss()?;
    check_gateway(ctx, &base, &verified)?;

    // The same gateway with its access log on (own store: sled locks it).
    let mut gw_log = None;
    if opts.wants("a+log") {
        let dir = ctx.dir.join("gateway-log");
        let listen = addr(free_port()?);
        let config = gateway::write_config(&dir, listen, ctx.upstream, &settings)?;
        gateway::enroll(gateway::Seed::Sled(&dir.join("store")), "p", 0..1, ctx.now)?;
        let proc = gateway::start(&ctx.gateway, &config, listen, true, "gateway-log")?;
        gw_log = Some((proc, format!("http://{listen}")));
    }
    // The gateway that (g)'s nginx asks: it trusts fronts on loopback
    // (own store: sled locks it).
    let mut gw_fa = None;
    if opts.wants("g") {
        let dir = ctx.dir.join("gateway-fa");
        let listen = addr(free_port()?);
        let asks = addr(free_port()?);
        let trusting = gateway::Settings {
            ask_listener: Some(asks),
            ..settings
        };
        let config = gateway::write_config(&dir, listen, ctx.upstream, &trusting)?;
        gateway::enroll(gateway::Seed::Sled(&dir.join("store")), "p", 0..1, ctx.now)?;
        let mut proc = gateway::start(&ctx.gateway, &config, listen, false, "gateway-fa")?;
        proc.wait_listening(asks, Duration::from_secs(30))?;
        gw_fa = Some((proc, listen, asks));
    }
    let start_nginx = |id: &str, role: Role| -> Result<Option<(Proc, String)>> {
        if !opts.wants(id) {
            return Ok(None);
        }
        let listen = addr(free_port()?);
        let proc = nginx::start(
            &ctx.nginx,
            &format!("nginx ({id})"),
            &role,
            listen,
            &ctx.dir.join(format!("nginx-{id}")),
        )?;
        let base = format!("http://{listen}");
        expect_page(ctx, &format!("{base}/app"), Some(&verified), id)?;
        Ok(Some((proc, base)))
    };
    let upstream = ctx.upstream;
    let mut bare_b0 = None;
    if opts.wants("b0") {
        let listen = addr(free_port()?);
        let proc = bare::start(&ctx.dir.join("bare"), listen, upstream)?;
        let base = format!("http://{listen}");
        expect_page(
            ctx,
            &format!("{base}/static/app.css"),
            Some(&verified),
            "b0",
        )?;
        bare_b0 = Some((proc, base));
    }
    let mut nginx_e = start_nginx("e", Role::ProxyPass { upstream })?;
    let mut nginx_f = start_nginx("f", Role::AuthRequest { upstream })?;
    let mut nginx_g = match &gw_fa {
        Some((_, gateway, asks)) => {
            let (gateway, asks) = (*gateway, *asks);
            let started = start_nginx(
                "g",
                Role::ForwardAuth {
                    upstream,
                    gateway,
                    asks,
                },
            )?;
            if let Some((_, base)) = &started {
                check_forward_auth(ctx, base)?;
            }
            started
        }
        None => None,
    };

    let miss_script = ctx.script("new-session.lua", wrk::NEW_SESSION_EACH_REQUEST)?;
    let miss_args = ["/app".to_owned(), APP_COOKIE.to_owned()];
    let cookie_header = [format!("Cookie: {verified}")];
    let fixed = |path| Load::Fixed {
        path,
        headers: &cookie_header,
    };
    let mut rows = vec![
        Row::new("a", "mfa-gate: verified session, enforced path (hot path)"),
        Row::new("a+log", "(a) with the default access log (info, to a file)"),
        Row::new("b", "mfa-gate: bypass path (pass-through)"),
        Row::new("b0", "bare pingora ProxyHttp (no filters): pingora's floor"),
        Row::new(
            "c",
            "mfa-gate: new session each request (whoami, cache miss)",
        ),
        Row::new("e", "nginx proxy_pass"),
        Row::new("f", "nginx auth_request (204) + proxy_pass"),
        Row::new(
            "g",
            "nginx auth_request (mfa-gate's ask listener, verified) + proxy_pass",
        ),
    ];
    // CPU per request by process, each round: for (f) nginx and the app,
    // for (g) nginx, the gateway and the app.
    let mut parts: Vec<(String, Vec<f64>)> = Vec::new();
    for round in 1..=opts.rounds {
        for row in rows.iter_mut().filter(|r| opts.wants(&r.id)) {
            let app = fixed("/app");
            let bypass = fixed("/static/app.css");
            let miss = Load::Script {
                script: &miss_script,
                args: &miss_args,
            };
            let (load, mut procs, base): (_, Vec<&mut Proc>, _) = match row.id.as_str() {
                "a" => (&app, vec![&mut gw], base.as_str()),
                "b" => (&bypass, vec![&mut gw], base.as_str()),
                "c" => (&miss, vec![&mut gw], base.as_str()),
                "a+log" => {
                    let (p, b) = gw_log.as_mut().context("a+log gateway")?;
                    (&app, vec![p], b.as_str())
                }
                "b0" => {
                    let (p, b) = bare_b0.as_mut().context("bare proxy b0")?;
                    (&bypass, vec![p], b.as_str())
                }
                "e" => {
                    let (p, b) = nginx_e.as_mut().context("nginx e")?;
                    (&app, vec![p], b.as_str())
                }
                "f" => {
                    let (p, b) = nginx_f.as_mut().context("nginx f")?;
                    (&app, vec![p], b.as_str())
                }
                // The proxy of (g) is nginx and the gateway it asks.
                "g" => {
                    let (p, b) = nginx_g.as_mut().context("nginx g")?;
                    let (asked, _, _) = gw_fa.as_mut().context("gateway g")?;
                    (&app, vec![p, asked], b.as_str())
                }
                _ => unreachable!("rows are listed above"),
            };
            let watched: &[u32] = if ["f", "g"].contains(&row.id.as_str()) {
                &[app_pid]
            } else {
                &[]
            };
            let (s, each) =
                wrk::measure_all(base, load, ctx.warmup, ctx.duration, &mut procs, watched)
                    .with_context(|| format!("scenario ({})", row.id))?;
            let split = match each.as_slice() {
                [nginx, gateway, app] => {
                    format!(" (nginx {nginx:.1} + gateway {gateway:.1}; app {app:.1})")
                }
                [_, app] => format!(" (app {app:.1})"),
                _ => String::new(),
            };
            println!(
                "  round {round}/{}: ({}) {:.0} req/s, p50 {:.0} µs, p99 {:.0} µs, {:.1} µs CPU/req{split}",
                opts.rounds, row.id, s.rps, s.p50_us, s.p99_us, s.cpu_us_per_req
            );
            if !watched.is_empty() {
                parts.push((row.id.clone(), each));
            }
            row.push(s);
        }
    }
    report
        .rows
        .extend(rows.into_iter().filter(|r| !r.samples.is_empty()));
    let part = |id: &str, i: usize| {
        let of: Vec<f64> = parts
            .iter()
            .filter(|(p, _)| p == id)
            .filter_map(|(_, each)| each.get(i).copied())
            .collect();
        (!of.is_empty()).then(|| report::median(of))
    };
    if let (Some(nginx), Some(gateway)) = (part("g", 0), part("g", 1)) {
        report.notes.push(format!(
            "(g): CPU µs/req is nginx's and the gateway's together: nginx {nginx:.1}, \
             the gateway answering the ask {gateway:.1} (medians of the rounds)."
        ));
    }
    let app_f = part("f", 1);
    let app_g = part("g", 2);
    if app_f.is_some() || app_g.is_some() {
        let show = |v: Option<f64>| v.map_or("–".into(), |v| format!("{v:.1}"));
        report.notes.push(format!(
            "The app (the upstream nginx, not counted in the rows), CPU µs/req: {} in (f), where \
             it serves the page and the ask's 204, {} in (g), where it serves the page only.",
            show(app_f),
            show(app_g)
        ));
    }

    if challenges > 0 {
        challenge::warm(&ctx.http, &base, 0..2 * challenges)?;
        for (i, concurrency) in [4, 16].into_iter().enumerate() {
            let from = i as u64 * challenges;
            let s = challenge::run(
                &ctx.http,
                &base,
                from..from + challenges,
                concurrency,
                &mut gw,
            )?;
            println!(
                "  ({}) challenge, {concurrency} at a time: {:.0} req/s, p50 {:.0} µs, p99 {:.0} µs, {:.1} µs CPU/req",
                format_args!("d{concurrency}"),
                s.rps,
                s.p50_us,
                s.p99_us,
                s.cpu_us_per_req
            );
            let mut row = Row::new(
                &format!("d{concurrency}"),
                &format!("mfa-gate: challenge POST, valid code, {concurrency} at a time"),
            );
            row.push(s);
            // Before e and f in the table.
            let at = report
                .rows
                .iter()
                .position(|r| r.id == "e" || r.id == "f")
                .unwrap_or(report.rows.len());
            report.rows.insert(at, row);
        }
    }
    if opts.wants("n") {
        let row = enrollments(ctx, opts)?;
        let at = report
            .rows
            .iter()
            .position(|r| r.id == "e" || r.id == "f")
            .unwrap_or(report.rows.len());
        report.rows.insert(at, row);
        report.notes.push(format!(
            "(n): its own gateway, with server.threads {} (the machine's cores), and its own store.",
            std::thread::available_parallelism().map_or(2, usize::from)
        ));
    }
    report.notes.push(format!(
        "Gateway RSS: {:.1} MiB after start, {:.1} MiB after the scenarios.",
        rss_start as f64 / 1048576.0,
        gw.rss()? as f64 / 1048576.0
    ));
    Ok(())
}

/// (n): complete enrollments, on a gateway of its own with one thread per
/// core, `rounds` times over.
fn enrollments(ctx: &Ctx, opts: &Options) -> Result<Row> {
    const CONCURRENCY: usize = 16;
    let dir = ctx.dir.join("gateway-n");
    let listen = addr(free_port()?);
    let settings = gateway::Settings {
        cache_size: 200_000,
        ask_listener: None,
        threads: std::thread::available_parallelism().map_or(2, usize::from),
        postgres: None,
    };
    let config = gateway::write_config(&dir, listen, ctx.upstream, &settings)?;
    let mut gw = gateway::start(&ctx.gateway, &config, listen, false, "gateway-n")?;
    let base = format!("http://{listen}");
    let mut row = Row::new(
        "n",
        &format!(
            "mfa-gate: complete enrollments (page, code, 10 backup codes), {CONCURRENCY} at a time; \
             req/s is enrollments/s"
        ),
    );
    let next = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    for round in 1..=opts.rounds {
        let s = enroll::run(&ctx.http, &base, CONCURRENCY, ctx.duration, &mut gw, &next)?;
        println!(
            "  round {round}/{}: (n) {:.1} enrollments/s, p50 {:.0} µs, p99 {:.0} µs, {:.0} µs CPU/enrollment ({} threads)",
            opts.rounds, s.rps, s.p50_us, s.p99_us, s.cpu_us_per_req, settings.threads
        );
        row.push(s);
    }
    Ok(row)
}

/// The upstream answers what the scenarios rely on.
fn check_upstream(ctx: &Ctx) -> Result<()> {
    let base = format!("http://{}", ctx.upstream);
    expect_page(ctx, &format!("{base}/"), None, "upstream")?;
    let me = ctx
        .http
        .get(&format!("{base}/api/me"), Some(&format!("{APP_COOKIE}=x")))?;
    if me.status != 200 || !me.body.contains("\"account\":\"ux\"") {
        bail!("upstream whoami answered {} {:?}", me.status, me.body);
    }
    Ok(())
}

/// Each gateway scenario gets the answer it is meant to measure: the page
/// for a verified session (and a 401 without its gateway cookie, so the
/// path really is enforced), on the bypass path, and for a new session.
fn check_gateway(ctx: &Ctx, base: &str, verified: &str) -> Result<()> {
    expect_page(ctx, &format!("{base}/app"), Some(verified), "a")?;
    expect_page(ctx, &format!("{base}/static/app.css"), Some(verified), "b")?;
    let unverified = format!("{APP_COOKIE}={}", gateway::value("p", 0));
    let a = ctx.http.get(&format!("{base}/app"), Some(&unverified))?;
    if a.status != 401 || !a.body.contains("mfa_required") {
        bail!(
            "the hot-path person without its gateway cookie got {} {:?}, not the challenge",
            a.status,
            a.body
        );
    }
    let new = format!("{APP_COOKIE}={}", gateway::value("check", 0));
    expect_page(ctx, &format!("{base}/app"), Some(&new), "c")
}

/// Through (g)'s nginx, the verified session gets the page (checked when
/// it started) and the same session without its gateway cookie gets the
/// recipe's 401: the gateway really is asked, and really decides.
fn check_forward_auth(ctx: &Ctx, base: &str) -> Result<()> {
    let unverified = format!("{APP_COOKIE}={}", gateway::value("p", 0));
    let a = ctx.http.get(&format!("{base}/app"), Some(&unverified))?;
    if a.status != 401 || !a.body.contains("mfa_required") {
        bail!(
            "(g) the hot-path person without its gateway cookie got {} {:?} through nginx, not 401",
            a.status,
            a.body
        );
    }
    Ok(())
}

fn expect_page(ctx: &Ctx, url: &str, cookie: Option<&str>, id: &str) -> Result<()> {
    let a = ctx.http.get(url, cookie)?;
    if a.status != 200 || a.body != PAGE {
        bail!(
            "({id}) GET {url} answered {} {:?}, not the app's page",
            a.status,
            a.body
        );
    }
    Ok(())
}

fn settings_text(o: &Options) -> String {
    format!(
        "wrk -t1 -c{} -d{}s --latency after a {}s warm-up, {} round(s); {} challenges per level; \
         gateway server.threads 1, identity cache_ttl 2h; store of a–d: {}",
        wrk::CONNECTIONS,
        o.duration.as_secs(),
        o.warmup.as_secs(),
        o.rounds,
        o.challenges,
        if o.postgres {
            "PostgreSQL (a private cluster on loopback)"
        } else {
            "sled"
        }
    )
}

/// `git describe` of the source tree, `-dirty` with local changes.
fn revision() -> String {
    std::process::Command::new("git")
        .args(["describe", "--always", "--dirty"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "unknown revision".into())
}

fn utc_now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
