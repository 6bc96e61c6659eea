//! pingora (and sled) log through the `log` crate; this bridge turns their
//! records into `tracing` events, as `tracing-log` does, but never passes
//! on a request head. When a pingora listener — the gateway's or the admin
//! listener — cannot parse a request, pingora puts up to 2 KiB of the raw
//! head into its error (`buf: …`) and logs it at ERROR, `Authorization:
//! Bearer …` and `Cookie` included; its error lines also quote the whole
//! request path. Here each record's text is cut where a head begins
//! (`[request head withheld]`), escaped and capped at [`CAP`] bytes; the
//! target and level stay pingora's, so filters by target keep working.

use crate::observe::logging::outside;
use std::fmt::{self, Write as _};
use tracing_log::{AsLog, AsTrace};

/// Bytes of (escaped) text a third-party record may keep.
pub const CAP: usize = 512;

/// How much of a record's text is rendered at all: enough to find a head
/// marker in everything that [`CAP`] could show.
const RENDER: usize = 4 * CAP;

/// Where a request head (or a header map) begins in a record's text,
/// lowercase: pingora's `buf: …` and header lines or a header map's Debug.
const HEAD_MARKERS: [&str; 5] = [
    "buf:",
    "authorization:",
    "cookie:",
    "authorization\":",
    "cookie\":",
];

static BRIDGE: Bridge = Bridge;

/// Install the bridge as the `log` crate's logger, at the level the
/// installed `tracing` subscriber lets through at most. After
/// `tracing::subscriber::set_global_default`.
pub fn install() {
    match log::set_logger(&BRIDGE) {
        Ok(()) => log::set_max_level(tracing::level_filters::LevelFilter::current().as_log()),
        Err(e) => eprintln!("mfa-gate: a `log` logger is already set up: {e}"),
    }
}

struct Bridge;

impl log::Log for Bridge {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        tracing::dispatcher::get_default(|d| d.enabled(&metadata.as_trace()))
    }

    fn log(&self, record: &log::Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let text = scrub(record.args());
        // `format_trace` checks the subscriber again and dispatches the
        // event under the record's own target and level.
        let _ = tracing_log::format_trace(
            &log::Record::builder()
                .args(format_args!("{text}"))
                .level(record.level())
                .target(record.target())
                .module_path(record.module_path())
                .file(record.file())
                .line(record.line())
                .build(),
        );
    }

    fn flush(&self) {}
}

/// A record's text without any request head, escaped onto one line and
/// capped at [`CAP`] bytes.
pub fn scrub(args: &fmt::Arguments<'_>) -> String {
    let mut head = Bounded {
        text: String::new(),
        left: RENDER,
    };
    // Err only means "bounded": what was rendered so far is kept.
    let _ = write!(head, "{args}");
    let text = head.text;
    let lower = text.to_ascii_lowercase();
    let cut = HEAD_MARKERS.iter().filter_map(|m| lower.find(m)).min();
    match cut {
        Some(at) => format!(
            "{} [request head withheld]",
            outside(text[..at].trim_end()).cap(CAP)
        ),
        None => outside(&text).cap(CAP).to_string(),
    }
}

/// A `String` that takes at most `left` more bytes, cut at a character.
struct Bounded {
    text: String,
    left: usize,
}

impl fmt::Write for Bounded {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if s.len() <= self.left {
            self.text.push_str(s);
            self.left -= s.len();
            return Ok(());
        }
        let mut end = self.left;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        self.text.push_str(&s[..end]);
        self.left = 0;
        Err(fmt::Error)
    }
}

#[cfg(test)]
mod tests;
