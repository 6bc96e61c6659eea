//! Load from `wrk -t1 -c32 --latency` (the issue's setup), with the proxy
//! process's CPU read before and after: requests/s, p50, p99 and CPU
//! microseconds per request. Requests are either one fixed request (`-H`
//! headers, no Lua: the cheapest client) or built by a Lua script (one new
//! session per request, or a rotation over many sessions).

use crate::procs::{Cpu, Proc};
use anyhow::{Context, Result, bail};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// Connections and threads of every wrk run (the issue's setup).
pub const CONNECTIONS: u32 = 32;

/// One wrk run's result, with the proxy's CPU time over it.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Sample {
    pub requests: u64,
    pub seconds: f64,
    pub rps: f64,
    pub p50_us: f64,
    pub p99_us: f64,
    /// Responses with status ≥ 400, plus socket errors.
    pub errors: u64,
    /// User + system CPU of the proxy process per request.
    pub cpu_us_per_req: f64,
    /// The system (kernel) part of it: sockets, epoll, the scheduler.
    #[serde(default)]
    pub sys_us_per_req: f64,
}

impl Sample {
    /// CPU per request from the proxy's CPU time over the sample.
    pub fn set_cpu(&mut self, cpu: Cpu) {
        if self.requests > 0 {
            let per = |d: Duration| d.as_secs_f64() * 1e6 / self.requests as f64;
            self.cpu_us_per_req = per(cpu.total());
            self.sys_us_per_req = per(cpu.system);
        }
    }
}

/// What wrk sends.
pub enum Load<'a> {
    /// `GET path` with fixed extra headers.
    Fixed {
        path: &'a str,
        headers: &'a [String],
    },
    /// A Lua script and its arguments.
    Script {
        script: &'a Path,
        args: &'a [String],
    },
}

/// Run wrk against `base` (http://host:port) for `duration`, reading the
/// CPU of the processes `pids` around it: the sample's CPU is the sum of
/// the first `summed` (the proxy's), and each one's CPU is returned beside
/// it (the others are only watched).
pub fn run(
    base: &str,
    load: &Load,
    duration: Duration,
    pids: &[u32],
    summed: usize,
) -> Result<(Sample, Vec<Cpu>)> {
    let mut cmd = Command::new("setpriv");
    cmd.args(["--pdeathsig", "KILL", "wrk", "-t1"])
        .arg(format!("-c{CONNECTIONS}"))
        .arg(format!("-d{}s", duration.as_secs().max(1)))
        .args(["--timeout", "5s", "--latency"]);
    match load {
        Load::Fixed { path, headers } => {
            for h in *headers {
                cmd.arg("-H").arg(h);
            }
            cmd.arg(format!("{base}{path}"));
        }
        Load::Script { script, args } => {
            // The script's first argument is new for every run, so a script
            // can make values no earlier run (its warm-up) has sent.
            let nonce = format!("{:08x}", rand::random::<u32>());
            cmd.arg("-s").arg(script).arg(format!("{base}/")).arg("--");
            cmd.arg(nonce).args(*args);
        }
    }
    let cpu = || -> Result<Vec<Cpu>> { pids.iter().map(|&p| crate::procs::cpu_time(p)).collect() };
    let before = cpu()?;
    let out = cmd.stdin(Stdio::null()).output().context("running wrk")?;
    let after = cpu()?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        bail!(
            "wrk failed ({}):\n{text}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mut sample = parse(&text).with_context(|| format!("reading wrk's output:\n{text}"))?;
    let each: Vec<Cpu> = after.iter().zip(&before).map(|(a, b)| a.since(b)).collect();
    let total = each.iter().take(summed).fold(Cpu::default(), |sum, c| Cpu {
        user: sum.user + c.user,
        system: sum.system + c.system,
    });
    sample.set_cpu(total);
    Ok((sample, each))
}

/// A warm-up run followed by the measured run; fails when any response
/// was an error or the proxy died.
pub fn measure(
    base: &str,
    load: &Load,
    warmup: Duration,
    duration: Duration,
    proxy: &mut Proc,
) -> Result<Sample> {
    Ok(measure_all(base, load, warmup, duration, &mut [proxy], &[])?.0)
}

/// `measure` of a proxy made of several processes (a front and the
/// gateway it asks, scenario g): the sample's CPU per request is their
/// sum. Each process's CPU µs per request is returned beside it, in order,
/// then that of each `watched` process (not in the sum: the app).
pub fn measure_all(
    base: &str,
    load: &Load,
    warmup: Duration,
    duration: Duration,
    procs: &mut [&mut Proc],
    watched: &[u32],
) -> Result<(Sample, Vec<f64>)> {
    let mut pids: Vec<u32> = procs.iter().map(|p| p.pid()).collect();
    pids.extend_from_slice(watched);
    if !warmup.is_zero() {
        run(base, load, warmup, &pids, procs.len())?;
    }
    let (sample, each) = run(base, load, duration, &pids, procs.len())?;
    for proc in procs.iter_mut() {
        proc.check_alive()?;
    }
    if sample.errors > 0 {
        let names: Vec<&str> = procs.iter().map(|p| p.name.as_str()).collect();
        bail!(
            "{} of {} responses from {} were errors (status >= 400 or socket errors)",
            sample.errors,
            sample.requests,
            names.join(" + ")
        );
    }
    let per_request = each
        .iter()
        .map(|c| c.total().as_secs_f64() * 1e6 / sample.requests as f64)
        .collect();
    Ok((sample, per_request))
}

/// Reads wrk 4's report.
fn parse(text: &str) -> Result<Sample> {
    let mut s = Sample::default();
    for line in text.lines().map(str::trim) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["50%", v] => s.p50_us = micros(v)?,
            ["99%", v] => s.p99_us = micros(v)?,
            [n, "requests", "in", secs, ..] => {
                s.requests = n.parse()?;
                s.seconds = micros(secs.trim_end_matches(','))? / 1e6;
            }
            ["Requests/sec:", v] => s.rps = v.parse()?,
            ["Non-2xx", "or", "3xx", "responses:", n] => s.errors += n.parse::<u64>()?,
            ["Socket", "errors:", rest @ ..] => {
                // "connect 0, read 0, write 0, timeout 0"
                for pair in rest.chunks(2) {
                    if let [_, n] = pair {
                        s.errors += n.trim_end_matches(',').parse::<u64>()?;
                    }
                }
            }
            _ => {}
        }
    }
    if s.requests == 0 || s.rps == 0.0 {
        bail!("no requests completed");
    }
    Ok(s)
}

/// "812.00us", "1.23ms", "2.00s", "1.00m" → microseconds.
fn micros(v: &str) -> Result<f64> {
    let split = v
        .find(|c: char| c.is_ascii_alphabetic())
        .with_context(|| format!("no unit in {v:?}"))?;
    let (n, unit) = v.split_at(split);
    let n: f64 = n.parse().with_context(|| format!("bad number in {v:?}"))?;
    Ok(match unit {
        "us" => n,
        "ms" => n * 1e3,
        "s" => n * 1e6,
        "m" => n * 60e6,
        "h" => n * 3600e6,
        _ => bail!("unknown unit in {v:?}"),
    })
}

/// Lua: every request a new app session (`m` + run id + counter, 32
/// characters) on an enforced path: the identity-cache-miss path.
pub const NEW_SESSION_EACH_REQUEST: &str = r#"
-- Written by the load benchmark (benches/load/wrk.rs).
-- args: nonce (8 hex digits, new each run), path, app cookie name
local run, path, cookie = "00000000", "/app", "app_session"
local n = 0
function init(args)
  run, path, cookie = args[1], args[2], args[3]
end
function request()
  n = n + 1
  local value = string.format("m%s%016d0000000", run, n)
  return wrk.format("GET", path, { ["Cookie"] = cookie .. "=" .. value })
end
"#;

/// Lua: requests rotating over the Cookie headers listed in a file (one
/// per line), pre-built once: many verified sessions.
pub const ROTATE_SESSIONS: &str = r#"
-- Written by the load benchmark (benches/load/wrk.rs).
-- args: nonce (unused), file of Cookie header values, path
local reqs, n, i = {}, 0, 0
function init(args)
  for line in io.lines(args[2]) do
    n = n + 1
    reqs[n] = wrk.format("GET", args[3], { ["Cookie"] = line })
  end
end
function request()
  i = i % n + 1
  return reqs[i]
end
"#;

/// Checks the report reader on a known report (run by `cargo test`, which
/// starts this binary without `--bench`).
pub fn self_check() -> Result<()> {
    let report = "Running 3s test @ http://127.0.0.1:1/app
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.10ms  200.00us   5.00ms   90.00%
    Req/Sec    29.00k     1.00k   30.00k    70.00%
  Latency Distribution
     50%    1.05ms
     75%    1.20ms
     90%    1.40ms
     99%  812.00us
  87000 requests in 3.00s, 12.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:  29000.00
Transfer/sec:      4.00MB
";
    let s = parse(report)?;
    let expected = (87000, 3.0, 29000.0, 1050.0, 812.0, 7);
    let got = (s.requests, s.seconds, s.rps, s.p50_us, s.p99_us, s.errors);
    if got != expected {
        bail!("wrk report read as {got:?}, expected {expected:?}");
    }
    Ok(())
}
