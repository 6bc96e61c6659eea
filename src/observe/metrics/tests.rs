//! Unit tests of `observe::metrics`.

use super::*;
use crate::domain::{PersonKey, Purpose};

fn event(kind: AuditKind, method: Option<Factor>) -> AuditEvent {
    let event = AuditEvent::by_support(
        &PersonKey::new("acme", "secret-person-name"),
        "acme",
        kind,
        0,
    );
    match method {
        Some(m) => event.with_method(m).with_purpose(Purpose::Challenge),
        None => event,
    }
}

fn count(text: &str, series: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("{series} missing in\n{text}"))
}

fn text() -> String {
    String::from_utf8(render().unwrap().1).unwrap()
}

#[test]
fn events_are_counted_by_method_without_names() {
    init();
    let before = text();
    let (totp, backup) = (Some(Factor::Totp), Some(Factor::BackupCode));
    for (kind, method) in [
        (AuditKind::ChallengeFailed, totp),
        (AuditKind::ChallengeFailed, totp),
        (AuditKind::ChallengeFailed, backup),
        (AuditKind::BackupCodeUsed, backup),
        (AuditKind::ChallengePassed, totp),
        (AuditKind::Locked, totp),
        (AuditKind::Enrolled, totp),
    ] {
        observe(&event(kind, method));
    }
    // The words are for people: a note that reads like a method
    // counts nothing as one.
    observe(&event(AuditKind::ChallengeFailed, None).with_note("backup code"));
    let after = text();
    let delta = |series: &str| count(&after, series) - count(&before, series);
    let series = |r: &str, m: &str| {
        format!("mfa_gate_challenges_by_method_total{{method=\"{m}\",result=\"{r}\"}}")
    };
    assert_eq!(delta(&series("failed", "totp")), 2);
    assert_eq!(delta(&series("failed", "backup_code")), 1);
    assert_eq!(delta(&series("passed", "backup_code")), 1);
    assert_eq!(delta(&series("passed", "totp")), 1);
    assert_eq!(delta("mfa_gate_challenges_total{result=\"failed\"}"), 4);
    assert_eq!(delta("mfa_gate_challenges_total{result=\"passed\"}"), 2);
    assert_eq!(delta("mfa_gate_lockouts_total"), 1);
    assert_eq!(delta("mfa_gate_enrollments_total"), 1);
    assert!(!after.contains("secret-person-name"));
}

#[test]
fn requests_are_counted_by_outcome() {
    init();
    let before = text();
    request_done(Outcome::Challenge, Duration::from_millis(3), false);
    request_done(Outcome::Pass, Duration::from_millis(3), true);
    request_done(Outcome::Error, Duration::from_millis(3), false);
    let after = text();
    let delta = |series: &str| count(&after, series) - count(&before, series);
    assert_eq!(delta("mfa_gate_requests_total{decision=\"challenge\"}"), 1);
    assert_eq!(delta("mfa_gate_requests_total{decision=\"error\"}"), 1);
    assert_eq!(delta("mfa_gate_upstream_errors_total"), 1);
    assert_eq!(delta("mfa_gate_request_duration_seconds_count"), 3);
}
