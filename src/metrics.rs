//! Prometheus counters of security events, served at `/metrics` on the
//! admin listener. Every security event already passes through the audit
//! trail, so the counters are that trail, counted: `audit::record` calls
//! `observe` for each event. No account name or code ever
//! becomes a label. Registered through pingora-prometheus's `prometheus`
//! re-export, so they land in the registry `/metrics` gathers.

use crate::domain::{AuditEvent, AuditKind};
use pingora_prometheus::prometheus::{self, Encoder, IntCounter, IntCounterVec, Opts, TextEncoder};
use std::sync::LazyLock;

struct Counters {
    challenges: IntCounterVec,
    enrollments: IntCounter,
    lockouts: IntCounter,
    support_actions: IntCounterVec,
}

/// `None` only if registration failed (a name clash: a bug); the gateway
/// then runs without these metrics rather than failing requests.
static COUNTERS: LazyLock<Option<Counters>> = LazyLock::new(|| {
    let made = register();
    if let Err(e) = &made {
        tracing::error!(error = %e, "cannot register metrics");
    }
    made.ok()
});

fn register() -> Result<Counters, prometheus::Error> {
    let challenges = IntCounterVec::new(
        Opts::new(
            "mfa_gate_challenges_total",
            "Challenge submissions by result (passed: TOTP or backup code; failed: wrong code)",
        ),
        &["result"],
    )?;
    let enrollments = IntCounter::new("mfa_gate_enrollments_total", "Confirmed enrollments")?;
    let lockouts = IntCounter::new(
        "mfa_gate_lockouts_total",
        "Persons locked after max_failures wrong codes",
    )?;
    let support_actions = IntCounterVec::new(
        Opts::new(
            "mfa_gate_support_actions_total",
            "Support operations that changed an account, by action",
        ),
        &["action"],
    )?;
    let registry = prometheus::default_registry();
    registry.register(Box::new(challenges.clone()))?;
    registry.register(Box::new(enrollments.clone()))?;
    registry.register(Box::new(lockouts.clone()))?;
    registry.register(Box::new(support_actions.clone()))?;
    // Present from the start, so a dashboard sees 0 rather than no series.
    for result in ["passed", "failed"] {
        challenges.with_label_values(&[result]);
    }
    for action in ["unlock", "reset"] {
        support_actions.with_label_values(&[action]);
    }
    Ok(Counters {
        challenges,
        enrollments,
        lockouts,
        support_actions,
    })
}

/// Register the counters now (so `/metrics` lists them before any event).
pub fn init() {
    LazyLock::force(&COUNTERS);
}

/// Count one security event.
pub fn observe(event: &AuditEvent) {
    let Some(c) = COUNTERS.as_ref() else { return };
    match event.kind {
        AuditKind::ChallengePassed | AuditKind::BackupCodeUsed => {
            c.challenges.with_label_values(&["passed"]).inc()
        }
        AuditKind::ChallengeFailed => c.challenges.with_label_values(&["failed"]).inc(),
        AuditKind::Enrolled => c.enrollments.inc(),
        AuditKind::Locked => c.lockouts.inc(),
        AuditKind::Unlocked => c.support_actions.with_label_values(&["unlock"]).inc(),
        AuditKind::Reset => c.support_actions.with_label_values(&["reset"]).inc(),
        AuditKind::BackupCodesRegenerated | AuditKind::Disabled | AuditKind::PolicyChanged => {}
    }
}

/// Every registered metric in the Prometheus text format.
pub fn render() -> Result<(String, Vec<u8>), prometheus::Error> {
    let encoder = TextEncoder::new();
    let mut body = Vec::new();
    encoder.encode(&prometheus::gather(), &mut body)?;
    Ok((encoder.format_type().to_owned(), body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::PersonKey;

    fn event(kind: AuditKind) -> AuditEvent {
        AuditEvent {
            at: 0,
            kind,
            person: Some(PersonKey::new("acme", "secret-person-name")),
            company: "acme".into(),
            actor: "someone".into(),
            detail: "authenticator app".into(),
        }
    }

    #[test]
    fn events_are_counted_without_names() {
        init();
        let text = || String::from_utf8(render().unwrap().1).unwrap();
        let count = |text: &str, series: &str| -> u64 {
            text.lines()
                .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
                .unwrap_or_else(|| panic!("{series} missing in\n{text}"))
        };
        let before = text();
        for kind in [
            AuditKind::ChallengeFailed,
            AuditKind::ChallengeFailed,
            AuditKind::BackupCodeUsed,
            AuditKind::Locked,
            AuditKind::Enrolled,
        ] {
            observe(&event(kind));
        }
        let after = text();
        let delta = |series: &str| count(&after, series) - count(&before, series);
        assert_eq!(delta("mfa_gate_challenges_total{result=\"failed\"}"), 2);
        assert_eq!(delta("mfa_gate_challenges_total{result=\"passed\"}"), 1);
        assert_eq!(delta("mfa_gate_lockouts_total"), 1);
        assert_eq!(delta("mfa_gate_enrollments_total"), 1);
        assert!(!after.contains("secret-person-name"));
    }
}
