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
mod tests {
    use super::*;

    #[test]
    fn a_raw_head_in_a_pingora_error_is_withheld() {
        // What pingora's admin listener logs for a header with a \x01 byte.
        let head = "GET /v1/accounts HTTP/1.1\\r\\nAuthorization: Bearer SECRET\\x01\\r\\nCookie: x=C\\r\\n\\r\\n";
        let shown = scrub(&format_args!(
            "HTTP server fails to read from downstream:  InvalidHTTPHeader context: buf: {head} cause: invalid header value"
        ));
        assert_eq!(
            shown,
            "HTTP server fails to read from downstream:  InvalidHTTPHeader context: [request head withheld]"
        );
    }

    #[test]
    fn a_header_map_is_withheld_too() {
        let shown = scrub(&format_args!(
            "Request header: RequestHeader {{ headers: {{\"cookie\": \"x=C\"}} }}"
        ));
        assert_eq!(
            shown,
            "Request header: RequestHeader { headers: {\\\" [request head withheld]"
        );
    }

    #[test]
    fn a_long_path_is_capped_and_a_record_stays_one_line() {
        let path = "a".repeat(200_000);
        let shown = scrub(&format_args!("Fail to proxy: GET /{path}, Host: x"));
        assert!(shown.len() <= CAP + "…".len(), "{}", shown.len());
        assert!(shown.ends_with('…'), "{shown}");
        assert_eq!(
            scrub(&format_args!("line one\nline two \x1b[31m")),
            "line one\\nline two \\u{1b}[31m"
        );
    }
}
