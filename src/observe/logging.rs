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
mod outside;
mod sink;

pub use outside::{OUTSIDE_CAP, Outside, outside};

use crate::config::LogFormat;
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

#[cfg(test)]
mod tests;
