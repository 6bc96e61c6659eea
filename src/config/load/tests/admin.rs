//! The `admin` and `audit` sections: the support listener's defaults, its
//! token (never echoed) and reading the admin section alone; audit retention.

use super::*;
use std::time::Duration;

#[test]
fn admin_section_defaults_to_loopback_and_needs_a_token() {
    let with_admin =
        format!("{MINIMAL}admin:\n  support_token: {{ env: MFA_GATE_SUPPORT_TOKEN }}\n");
    let admin = load(&with_admin).admin.expect("admin");
    assert_eq!(admin.listen.to_string(), "127.0.0.1:9090");
    assert!(admin.support_token.verify(SUPPORT_TOKEN), "trimmed");
    assert!(!admin.support_token.verify("test-support-token"));
    assert!(!format!("{admin:?}").contains(SUPPORT_TOKEN));

    check_error(
        &format!("{MINIMAL}admin:\n  listen: 127.0.0.1:9091\n"),
        "admin",
        None,
        "missing field `support_token`",
    );
    check_error(
        &format!(
            "{MINIMAL}admin:\n  listen: 127.0.0.1:8080\n  support_token: {{ env: MFA_GATE_SUPPORT_TOKEN }}\n"
        ),
        "admin.listen",
        Some(13),
        "needs its own port",
    );
    check_error(
        &format!("{MINIMAL}admin:\n  support_token: {{ env: NOPE_UNSET }}\n"),
        "admin.support_token.env",
        Some(13),
        "environment variable NOPE_UNSET is not set",
    );
    check_error(
        &format!("{MINIMAL}admin:\n  support_token: {{ value: x }}\n"),
        "admin.support_token.value",
        Some(13),
        "unknown field `value`",
    );
    check_error(
        &format!("{MINIMAL}audit:\n  retention: 1h\n"),
        "audit.retention",
        Some(13),
        "at least 1d",
    );
    assert_eq!(
        load(&format!("{MINIMAL}audit:\n  retention: 30d\n"))
            .audit
            .retention,
        Duration::from_secs(30 * 86_400)
    );
    assert_eq!(
        load(&format!("{MINIMAL}audit:\n  keep_days: 90\n"))
            .audit
            .retention,
        Duration::from_secs(90 * 86_400)
    );
    check_error(
        &format!("{MINIMAL}audit:\n  keep_days: 0\n"),
        "audit.keep_days",
        Some(13),
        "1 to 36500",
    );
    check_error(
        &format!("{MINIMAL}audit:\n  keep_days: 90\n  retention: 30d\n"),
        "audit.retention",
        Some(14),
        "give `keep_days` only",
    );
}

#[test]
fn a_weak_support_token_is_refused_without_echoing_it() {
    let yaml = format!("{MINIMAL}admin:\n  support_token: {{ env: WEAK }}\n");
    for weak in ["hunter2", "has spaces in the token"] {
        let err = load_str_with_env(&yaml, Path::new("gate.yaml"), &|name| match name {
            "WEAK" => Some(weak.into()),
            other => env(other),
        })
        .expect_err("an error");
        assert_eq!(err.field(), Some("admin.support_token.env"), "{err}");
        assert!(!err.to_string().contains(weak), "{err}");
    }
}

#[test]
fn support_reads_only_the_admin_section() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("token"), format!("{SUPPORT_TOKEN}\n")).expect("write");
    // The keys' variables are unset: support staff need not hold them.
    let yaml =
        format!("{MINIMAL}admin:\n  listen: 127.0.0.1:7000\n  support_token: {{ file: token }}\n");
    let source = dir.path().join("gate.yaml");
    let admin = load_admin_str_with_env(&yaml, &source, &|_| None)
        .unwrap_or_else(|e| panic!("{e}"))
        .expect("admin");
    assert_eq!(admin.listen.to_string(), "127.0.0.1:7000");
    assert!(admin.support_token.verify(SUPPORT_TOKEN));
    assert!(
        load_admin_str_with_env(MINIMAL, &source, &|_| None)
            .unwrap_or_else(|e| panic!("{e}"))
            .is_none()
    );
}
