//! Unit tests of `observe::logging`.

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
