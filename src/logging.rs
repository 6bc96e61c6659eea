//! Log output: `tracing` events as human-readable text or as one JSON
//! object per line (`log.format`, or `--log-json`), filtered by
//! `log.level` unless the `MFA_GATE_LOG` environment variable says
//! otherwise. pingora's own `log` records are captured too. What is logged
//! is decided where it happens: access lines (`mfa_gate::access`), security
//! events (`mfa_gate::audit`), admin requests (`mfa_gate::admin`) — never a
//! secret, a code, a cookie value or a session id.

use crate::config::LogFormat;

/// Install the global subscriber (once, at start; later calls do nothing).
pub fn init(format: LogFormat, level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("MFA_GATE_LOG")
        .or_else(|_| tracing_subscriber::EnvFilter::try_new(level))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let done = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .try_init(),
        LogFormat::Text => builder.try_init(),
    };
    if let Err(e) = done {
        eprintln!("mfa-gate: logging already set up: {e}");
    }
}
