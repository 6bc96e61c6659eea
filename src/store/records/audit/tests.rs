//! Unit tests of `store::records::audit`.

use super::*;

/// The V1 audit format (detail as text) is a promise to every store on
/// disk: still read, its text read back into fields where it can be, and
/// shown as it was written.
#[test]
fn audit_v1_format_is_read_and_upgraded() {
    let old = |detail: &str| {
        format!(
            r#"{{"v":"1","at":5,"kind":"backup_code_used","person":"4:acme/bob","company":"acme","actor":"bob","detail":"{detail}"}}"#
        )
    };
    let event = decode_audit(old("backup code; challenge").as_bytes()).unwrap();
    assert_eq!(event, backup_code_used());
    assert_eq!(event.detail.to_string(), "backup code; challenge");
    let words = decode_audit(old("3 left").as_bytes()).unwrap();
    assert_eq!(words.detail, AuditDetail::from("3 left"));
    assert_eq!(words.kind, AuditKind::BackupCodeUsed);
    assert_eq!(words.actor, "bob");
}

/// The V2 audit format is the promise now.
#[test]
fn audit_v2_format_is_pinned() {
    let audit = r#"{"v":"2","at":5,"kind":"backup_code_used","person":"4:acme/bob","company":"acme","actor":"bob","method":"backup_code","purpose":"challenge","note":""}"#;
    assert_eq!(decode_audit(audit.as_bytes()).unwrap(), backup_code_used());
    assert_eq!(encode_audit(&backup_code_used()).unwrap(), audit.as_bytes());
    let support =
        AuditEvent::by_support(&PersonKey::new("acme", "bob"), "acme", AuditKind::Reset, 6)
            .with_note("enrollment removed");
    let bytes = encode_audit(&support).unwrap();
    assert_eq!(
        String::from_utf8(bytes.clone()).unwrap(),
        r#"{"v":"2","at":6,"kind":"reset","person":"4:acme/bob","company":"acme","actor":"support","method":null,"purpose":null,"note":"enrollment removed"}"#
    );
    assert_eq!(decode_audit(&bytes).unwrap(), support);
}

fn backup_code_used() -> AuditEvent {
    AuditEvent {
        at: 5,
        kind: AuditKind::BackupCodeUsed,
        person: Some(PersonKey::new("acme", "bob")),
        company: "acme".into(),
        actor: "bob".into(),
        detail: AuditDetail {
            method: Some(Factor::BackupCode),
            purpose: Some(Purpose::Challenge),
            note: String::new(),
        },
    }
}

#[test]
fn undecodable_audit_bytes_are_corrupt() {
    for bytes in [&b"{}"[..], br#"{"v":"3","at":1}"#, b"\xff"] {
        assert!(
            matches!(
                decode_audit(bytes),
                Err(StoreError::Corrupt {
                    what: "audit event",
                    ..
                })
            ),
            "{bytes:?}"
        );
    }
}
