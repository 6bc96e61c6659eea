//! Log output: `tracing` events as human-readable text or as one JSON
//! object per line (`log.format`, or `--log-json`), filtered by
//! `log.level` unless the `MFA_GATE_LOG` environment variable says
//! otherwise. What is logged is decided where it happens: access lines
//! (`mfa_gate::access`), security events (`mfa_gate::access::audit`), admin
//! requests (`mfa_gate::admin`) — never a secret, a code, a cookie value or
//! a session id.
//!
//! This module owns three guards so that the log stays ours:
//! - [`directives`]: a bare level (`debug`) applies to mfa-gate's own
//!   targets; third-party crates (pingora, h2, hyper, reqwest, rustls,
//!   sled…) stay at `warn` unless a directive names them, because their
//!   debug output prints `Cookie` and `Set-Cookie` values.
//! - [`bridge`]: pingora's own `log` records are re-emitted through
//!   `tracing` without any request head (pingora logs the raw head of a
//!   request it cannot parse, `Authorization` included) and capped.
//! - [`sink`]: no written line is longer than [`sink::MAX_LINE`] bytes.
//!
//! Every field whose text comes from outside (account, company, path,
//! user agent, an error that quotes a request) is logged through
//! [`outside`], which escapes it onto one line and caps it.

mod bridge;
mod sink;

use crate::config::LogFormat;
use std::fmt::{self, Display, Write as _};
use std::io::IsTerminal;
use tracing::level_filters::LevelFilter;

/// What a bare level means for third-party crates at most.
const THIRD_PARTY_MAX: LevelFilter = LevelFilter::WARN;

/// The target prefix of mfa-gate's own events.
const OURS: &str = "mfa_gate";

/// Install the global subscriber and the `log` bridge (once, at start;
/// later calls do nothing).
pub fn init(format: LogFormat, level: &str) {
    let filter = std::env::var("MFA_GATE_LOG")
        .ok()
        .and_then(|spec| tracing_subscriber::EnvFilter::try_new(directives(&spec)).ok())
        .or_else(|| tracing_subscriber::EnvFilter::try_new(directives(level)).ok())
        .unwrap_or_else(|| tracing_subscriber::EnvFilter::new(directives("info")));
    let json = matches!(format, LogFormat::Json);
    // Colours only on a terminal: a log file holds no escape sequence.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(sink::Capped::new(json));
    let done = if json {
        tracing::subscriber::set_global_default(
            builder
                .json()
                .flatten_event(true)
                .with_current_span(false)
                .finish(),
        )
    } else {
        tracing::subscriber::set_global_default(builder.finish())
    };
    match done {
        Ok(()) => bridge::install(),
        Err(e) => eprintln!("mfa-gate: logging already set up: {e}"),
    }
}

/// The filter directives for `spec` (a `tracing` filter as in `log.level`
/// or `MFA_GATE_LOG`): a bare level `L` becomes `mfa_gate=L` plus a default
/// of `L` or `warn`, whichever is quieter, so that third-party crates log
/// below `warn` only when a directive names them
/// (`debug,pingora_proxy=debug`). Other directives are kept as written.
pub fn directives(spec: &str) -> String {
    let mut bare = None;
    let mut named = Vec::new();
    for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        match item.parse::<LevelFilter>() {
            Ok(level) => bare = Some(level),
            Err(_) => named.push(item),
        }
    }
    let mut out = Vec::new();
    if let Some(level) = bare {
        out.push(level.min(THIRD_PARTY_MAX).to_string());
        let ours_named = named
            .iter()
            .any(|d| d.split_once('=').is_some_and(|(t, _)| t == OURS));
        if !ours_named {
            out.push(format!("{OURS}={level}"));
        }
    }
    out.extend(named.iter().map(|d| (*d).to_owned()));
    out.join(",")
}

/// How many bytes of escaped text [`outside`] writes at most (then `…`).
pub const OUTSIDE_CAP: usize = 256;

/// A value from outside (a request, the app's whoami answer, a form),
/// made safe for a log field: control characters, line and paragraph
/// separators, bidirectional overrides, `"` and `\` are escaped (so an
/// event stays one line and no terminal escape reaches the log), and the
/// text is cut at [`OUTSIDE_CAP`] bytes with `…`. Use it with `%`:
/// `tracing::info!(path = %logging::outside(path), …)`.
pub fn outside<T: Display>(value: T) -> Outside<T> {
    Outside {
        value,
        cap: OUTSIDE_CAP,
    }
}

/// See [`outside`]; `Display` writes the escaped, capped text.
#[derive(Clone, Copy)]
pub struct Outside<T> {
    value: T,
    cap: usize,
}

impl<T> Outside<T> {
    /// The same value with another cap (bytes of escaped text).
    pub fn cap(self, cap: usize) -> Outside<T> {
        Outside { cap, ..self }
    }
}

impl<T: Display> Display for Outside<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut w = Escaper {
            f,
            left: self.cap,
            cut: false,
        };
        match write!(w, "{}", self.value) {
            Err(_) if w.cut => w.f.write_str("…"),
            other => other,
        }
    }
}

impl<T: Display> fmt::Debug for Outside<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{self}\"")
    }
}

/// Escapes what it is given into `f` until `left` bytes are spent; then
/// sets `cut` and fails, which stops the formatting of the value early.
struct Escaper<'a, 'b> {
    f: &'a mut fmt::Formatter<'b>,
    left: usize,
    cut: bool,
}

impl Escaper<'_, '_> {
    fn spend(&mut self, n: usize) -> fmt::Result {
        if n > self.left {
            self.cut = true;
            return Err(fmt::Error);
        }
        self.left -= n;
        Ok(())
    }
}

impl fmt::Write for Escaper<'_, '_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for c in s.chars() {
            match c {
                '\n' | '\r' | '\t' | '"' | '\\' => {
                    self.spend(2)?;
                    let escaped = match c {
                        '\n' => "\\n",
                        '\r' => "\\r",
                        '\t' => "\\t",
                        '"' => "\\\"",
                        _ => "\\\\",
                    };
                    self.f.write_str(escaped)?;
                }
                c if needs_escape(c) => {
                    let escaped = c.escape_unicode();
                    self.spend(escaped.len())?;
                    write!(self.f, "{escaped}")?;
                }
                c => {
                    self.spend(c.len_utf8())?;
                    self.f.write_char(c)?;
                }
            }
        }
        Ok(())
    }
}

/// Characters that could end a line, move the cursor, colour a terminal or
/// reorder what a reader sees.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' // line and paragraph separators
                | '\u{200e}' | '\u{200f}' // LRM, RLM
                | '\u{202a}'..='\u{202e}' // bidirectional embeddings, overrides
                | '\u{2066}'..='\u{2069}' // bidirectional isolates
                | '\u{feff}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_directives(spec: &str, expected: &str) {
        assert_eq!(directives(spec), expected, "directives({spec:?})");
        assert!(
            tracing_subscriber::EnvFilter::try_new(expected).is_ok(),
            "{expected}"
        );
    }

    #[test]
    fn a_bare_level_is_ours_and_third_parties_stay_at_warn() {
        check_directives("debug", "warn,mfa_gate=debug");
        check_directives("trace", "warn,mfa_gate=trace");
        check_directives("info", "warn,mfa_gate=info");
        check_directives("warn", "warn,mfa_gate=warn");
        check_directives("error", "error,mfa_gate=error");
        check_directives("off", "off,mfa_gate=off");
        check_directives("DEBUG", "warn,mfa_gate=debug");
    }

    #[test]
    fn a_third_party_target_named_keeps_its_level() {
        check_directives(
            "debug,pingora_proxy=debug",
            "warn,mfa_gate=debug,pingora_proxy=debug",
        );
        check_directives(
            "info,mfa_gate::access=warn",
            "warn,mfa_gate=info,mfa_gate::access=warn",
        );
        check_directives("debug,mfa_gate=info", "warn,mfa_gate=info");
        check_directives("mfa_gate::audit=info", "mfa_gate::audit=info");
        check_directives(" debug , h2=trace ", "warn,mfa_gate=debug,h2=trace");
    }

    #[test]
    fn the_filter_lets_our_debug_through_and_not_pingoras() {
        use tracing::Level;
        use tracing_subscriber::layer::SubscriberExt;
        let filter = tracing_subscriber::EnvFilter::new(directives("debug"));
        let subscriber = tracing_subscriber::registry().with(filter);
        tracing::subscriber::with_default(subscriber, || {
            let ours = tracing::enabled!(target: "mfa_gate::edge::proxy", Level::DEBUG);
            let theirs = tracing::enabled!(target: "pingora_core::protocols", Level::DEBUG);
            let their_warning = tracing::enabled!(target: "pingora_core::protocols", Level::WARN);
            assert_eq!((ours, theirs, their_warning), (true, false, true));
        });
    }

    #[test]
    fn outside_text_stays_on_one_line_without_escapes() {
        let forged = "taro\n2026-01-01T00:00:00Z INFO mfa_gate::audit: \x1b[31m\"x\"\\\u{202e}";
        assert_eq!(
            outside(forged).to_string(),
            "taro\\n2026-01-01T00:00:00Z INFO mfa_gate::audit: \\u{1b}[31m\\\"x\\\"\\\\\\u{202e}"
        );
        assert_eq!(
            outside("plain@acme.example").to_string(),
            "plain@acme.example"
        );
        assert_eq!(outside("tab\tcr\r\u{85}").to_string(), "tab\\tcr\\r\\u{85}");
        assert_eq!(format!("{:?}", outside("a\"b")), "\"a\\\"b\"");
    }

    #[test]
    fn outside_text_is_capped() {
        let long = "a".repeat(200_000);
        let shown = outside(&long).to_string();
        assert_eq!(shown, format!("{}…", "a".repeat(OUTSIDE_CAP)));
        assert_eq!(outside("abcdef").cap(3).to_string(), "abc…");
        assert_eq!(outside("abc").cap(3).to_string(), "abc");
        // An escape is never split: the cap counts escaped bytes.
        assert_eq!(outside("ab\n").cap(3).to_string(), "ab…");
        assert_eq!(outside("é").cap(1).to_string(), "…");
        // Any Display value, e.g. an error.
        let e = std::io::Error::other("bad\nline");
        assert_eq!(outside(&e).to_string(), "bad\\nline");
    }
}
