//! The run's bar chart (SVG, written beside the JSON): CPU µs per request
//! of each request-path scenario, with nginx's two rows — (e) plain
//! proxy_pass and (f) the ideal forward-auth setup — as reference lines,
//! and the CPU model in the title. BENCHMARKS.md shows the chart of the
//! run it quotes. Plain SVG text: a few rectangles need no plotting crate.

use crate::report::Report;
use std::fmt::Write as _;

/// Bars: the scenarios a request of an app pays for, (g) (nginx asking
/// mfa-gate, both processes' CPU) among them. The challenge (d) is ten
/// times dearer and has its own table.
const BARS: &[&str] = &["a", "a+log", "b", "b0", "c", "g"];
/// Reference lines.
const LINES: &[(&str, &str)] = &[("e", "nginx proxy_pass"), ("f", "nginx auth_request")];

const WIDTH: f64 = 760.0;
const LEFT: f64 = 300.0;
const RIGHT: f64 = 60.0;
const TOP: f64 = 56.0;
const BAR: f64 = 26.0;
const GAP: f64 = 12.0;

/// The chart of `report`, or `None` when it measured no scenario to draw.
pub fn svg(report: &Report) -> Option<String> {
    let bars: Vec<(String, f64)> = BARS
        .iter()
        .filter_map(|id| report.row(id))
        .map(|r| {
            (
                format!("({}) {}", r.id, short(&r.what)),
                r.median.cpu_us_per_req,
            )
        })
        .collect();
    if bars.is_empty() {
        return None;
    }
    let lines: Vec<(&str, f64)> = LINES
        .iter()
        .filter_map(|(id, name)| report.row(id).map(|r| (*name, r.median.cpu_us_per_req)))
        .collect();
    let max = bars
        .iter()
        .map(|b| b.1)
        .chain(lines.iter().map(|l| l.1))
        .fold(1.0, f64::max)
        * 1.1;
    let x = |v: f64| LEFT + (WIDTH - LEFT - RIGHT) * v / max;
    let height = TOP + bars.len() as f64 * (BAR + GAP) + 40.0;

    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" font-family="sans-serif" font-size="13">"#
    );
    let _ = writeln!(
        out,
        r##"<rect width="100%" height="100%" fill="white"/><text x="10" y="22" font-size="15" font-weight="bold">CPU µs per request (user + system, lower is better)</text><text x="10" y="42" fill="#555">{}: {}, {} cores</text>"##,
        escape(&report.label),
        escape(&report.machine.cpu),
        report.machine.cores
    );
    for (i, (label, value)) in bars.iter().enumerate() {
        let y = TOP + i as f64 * (BAR + GAP);
        let _ = writeln!(
            out,
            r##"<text x="{tx}" y="{ty}" text-anchor="end">{label}</text><rect x="{LEFT}" y="{y}" width="{w:.1}" height="{BAR}" fill="#4a7ab7"/><text x="{vx:.1}" y="{ty}">{value:.1}</text>"##,
            tx = LEFT - 8.0,
            ty = y + BAR * 0.68,
            label = escape(label),
            w = x(*value) - LEFT,
            vx = x(*value) + 4.0,
        );
    }
    // The smaller value's label extends to the left of its line, the
    // other's to the right, so that close lines keep readable labels.
    let mut lines = lines;
    lines.sort_by(|a, b| a.1.total_cmp(&b.1));
    let bottom = height - 30.0;
    for (i, (name, value)) in lines.iter().enumerate() {
        let (anchor, dx) = if i == 0 {
            ("end", -4.0)
        } else {
            ("start", 4.0)
        };
        let _ = writeln!(
            out,
            r##"<line x1="{lx:.1}" y1="{TOP}" x2="{lx:.1}" y2="{bottom}" stroke="#c0392b" stroke-dasharray="5,4"/><text x="{tx:.1}" y="{ty}" fill="#c0392b" text-anchor="{anchor}">{name} {value:.1}</text>"##,
            lx = x(*value),
            tx = x(*value) + dx,
            ty = bottom + 16.0,
        );
    }
    out.push_str("</svg>\n");
    Some(out)
}

/// A scenario's description, cut to fit beside its bar.
fn short(what: &str) -> String {
    let what = what.strip_prefix("mfa-gate: ").unwrap_or(what);
    match what.char_indices().nth(34) {
        Some((i, _)) => format!("{}…", &what[..i]),
        None => what.to_owned(),
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
