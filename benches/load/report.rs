//! What a run found, printed as Markdown tables (ready to paste into
//! BENCHMARKS.md) and saved as JSON, so that a later run can be compared
//! with it (`--compare FILE`): the machine, the scenario table with CPU
//! ratios to (b) and (f), the challenge figures, the scale figures.

use crate::wrk::Sample;
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Report {
    pub label: String,
    pub started_at: String,
    pub machine: Machine,
    /// The command line's settings, in words.
    pub settings: String,
    pub gateway: String,
    pub rows: Vec<Row>,
    pub scale: Vec<ScaleRow>,
    pub notes: Vec<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Machine {
    pub cpu: String,
    pub cores: usize,
    pub kernel: String,
    pub nginx: String,
    pub wrk: String,
    /// /proc/loadavg when the run started and when it ended: the machine
    /// was shared if these are high.
    pub load_before: String,
    pub load_after: String,
}

/// One scenario: every round's sample and their median.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Row {
    pub id: String,
    pub what: String,
    pub samples: Vec<Sample>,
    pub median: Sample,
}

impl Row {
    pub fn new(id: &str, what: &str) -> Row {
        Row {
            id: id.to_owned(),
            what: what.to_owned(),
            ..Row::default()
        }
    }

    pub fn push(&mut self, s: Sample) {
        self.samples.push(s);
        let med = |f: fn(&Sample) -> f64| median(self.samples.iter().map(f).collect());
        self.median = Sample {
            requests: self.samples.iter().map(|s| s.requests).sum(),
            seconds: self.samples.iter().map(|s| s.seconds).sum(),
            rps: med(|s| s.rps),
            p50_us: med(|s| s.p50_us),
            p99_us: med(|s| s.p99_us),
            errors: self.samples.iter().map(|s| s.errors).sum(),
            cpu_us_per_req: med(|s| s.cpu_us_per_req),
            sys_us_per_req: med(|s| s.sys_us_per_req),
        };
    }

    /// min–max of the CPU per request over the rounds.
    fn spread(&self) -> String {
        let cpus: Vec<f64> = self.samples.iter().map(|s| s.cpu_us_per_req).collect();
        if cpus.len() < 2 {
            return "–".into();
        }
        let min = cpus.iter().copied().fold(f64::INFINITY, f64::min);
        let max = cpus.iter().copied().fold(0.0, f64::max);
        format!("{min:.1}–{max:.1}")
    }
}

/// The verified path at one store size and identity-cache fill.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct ScaleRow {
    pub persons: u64,
    /// Sessions in the identity cache besides the measured ones.
    pub live_sessions: u64,
    /// Distinct verified sessions (and persons) the load rotates over.
    pub rotated_sessions: u64,
    pub sample: Sample,
    pub rss_bytes: u64,
    pub store_bytes: u64,
    /// Store bytes per person added since the previous step.
    pub added_bytes_per_person: f64,
}

pub fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn us(v: f64) -> String {
    if v >= 10_000.0 {
        format!("{:.1} ms", v / 1000.0)
    } else if v >= 100.0 {
        format!("{v:.0} µs")
    } else {
        format!("{v:.1} µs")
    }
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

fn ratio(v: f64, base: Option<f64>) -> String {
    match base {
        Some(b) if b > 0.0 => format!("{:.2}×", v / b),
        _ => "–".into(),
    }
}

impl Report {
    pub fn row(&self, id: &str) -> Option<&Row> {
        self.rows.iter().find(|r| r.id == id)
    }

    fn cpu_of(&self, id: &str) -> Option<f64> {
        self.row(id).map(|r| r.median.cpu_us_per_req)
    }

    pub fn to_markdown(&self, compare: Option<&Report>) -> String {
        let mut o = String::new();
        let m = &self.machine;
        let _ = writeln!(o, "### Run: {} ({})\n", self.label, self.started_at);
        let _ = writeln!(
            o,
            "Machine: {}, {} cores, Linux {}; {}; {}. Load average before/after: {} / {}.\n",
            m.cpu, m.cores, m.kernel, m.nginx, m.wrk, m.load_before, m.load_after
        );
        let _ = writeln!(
            o,
            "Settings: {}. Gateway: `{}`.\n",
            self.settings, self.gateway
        );
        let b = self.cpu_of("b");
        let f = self.cpu_of("f");
        let _ = writeln!(
            o,
            "| | scenario | req/s | p50 | p99 | CPU µs/req | of it kernel | CPU × (b) | CPU × (f) | CPU spread |"
        );
        let _ = writeln!(o, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        for r in &self.rows {
            let s = &r.median;
            let _ = writeln!(
                o,
                "| {} | {} | {:.0} | {} | {} | {:.1} | {:.1} | {} | {} | {} |",
                r.id,
                r.what,
                s.rps,
                us(s.p50_us),
                us(s.p99_us),
                s.cpu_us_per_req,
                s.sys_us_per_req,
                ratio(s.cpu_us_per_req, b),
                ratio(s.cpu_us_per_req, f),
                r.spread()
            );
        }
        let _ = writeln!(
            o,
            "\nCPU µs/req: user + system time of the proxy process (all threads; for nginx its one \
             process) over the measured run, divided by the requests completed; \"of it kernel\" is \
             the system part. Medians of the rounds; the spread is the min–max of CPU µs/req."
        );
        if !self.scale.is_empty() {
            let _ = writeln!(o, "\n#### Scale: the verified path (a) by store size\n");
            let _ = writeln!(
                o,
                "| enrolled persons | cached live sessions | rotated verified sessions | req/s | p50 | p99 | CPU µs/req | CPU × first | gateway RSS | store on disk | per added person |"
            );
            let _ = writeln!(
                o,
                "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
            );
            let first = self.scale.first().map(|r| r.sample.cpu_us_per_req);
            for r in &self.scale {
                let s = &r.sample;
                let _ = writeln!(
                    o,
                    "| {} | {} | {} | {:.0} | {} | {} | {:.1} | {} | {} | {} | {:.0} B |",
                    r.persons,
                    r.live_sessions,
                    r.rotated_sessions,
                    s.rps,
                    us(s.p50_us),
                    us(s.p99_us),
                    s.cpu_us_per_req,
                    ratio(s.cpu_us_per_req, first),
                    mib(r.rss_bytes),
                    mib(r.store_bytes),
                    r.added_bytes_per_person
                );
            }
        }
        for note in &self.notes {
            let _ = writeln!(o, "\n- {note}");
        }
        if let Some(old) = compare {
            let _ = writeln!(
                o,
                "\n#### Compared with: {} ({})\n",
                old.label, old.started_at
            );
            let _ = writeln!(
                o,
                "| | scenario | CPU µs/req then | now | change | CPU × (b) then | now |"
            );
            let _ = writeln!(o, "|---|---|---:|---:|---:|---:|---:|");
            for r in &self.rows {
                let Some(then) = old.row(&r.id) else { continue };
                let (t, n) = (then.median.cpu_us_per_req, r.median.cpu_us_per_req);
                let _ = writeln!(
                    o,
                    "| {} | {} | {t:.1} | {n:.1} | {:+.0}% | {} | {} |",
                    r.id,
                    r.what,
                    (n / t - 1.0) * 100.0,
                    ratio(t, old.cpu_of("b")),
                    ratio(n, b)
                );
            }
        }
        o
    }
}

pub fn machine() -> Machine {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map_or("unknown".into(), |(_, v)| v.trim().to_owned());
    let cores = cpuinfo
        .lines()
        .filter(|l| l.starts_with("processor"))
        .count();
    let first_line = |program: &str, arg: &str| {
        std::process::Command::new(program)
            .arg(arg)
            .output()
            .map(|o| {
                let text = [o.stdout, o.stderr].concat();
                String::from_utf8_lossy(&text)
                    .lines()
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_owned()
            })
            .unwrap_or_default()
    };
    let nginx = crate::nginx::binary()
        .map(|p| first_line(&p.display().to_string(), "-v"))
        .unwrap_or_default();
    let wrk = first_line("wrk", "-v")
        .split(" Copyright")
        .next()
        .unwrap_or("")
        .to_owned();
    Machine {
        cpu,
        cores,
        kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .unwrap_or_default()
            .trim()
            .to_owned(),
        nginx,
        wrk,
        load_before: loadavg(),
        load_after: String::new(),
    }
}

pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}
