//! Unit tests of `domain::audit`.

use super::*;

#[test]
fn audit_detail_reads_as_words() {
    let typed = AuditDetail {
        method: Some(Factor::BackupCode),
        purpose: Some(Purpose::Challenge),
        note: String::new(),
    };
    assert_eq!(typed.to_string(), "backup code; challenge");
    let enrolled = AuditDetail {
        method: Some(Factor::Totp),
        ..AuditDetail::default()
    };
    assert_eq!(enrolled.to_string(), "authenticator app");
    assert_eq!(
        AuditDetail::from("from settings").to_string(),
        "from settings"
    );
    assert_eq!(AuditDetail::default().to_string(), "");
}

/// Text written before the fields existed reads back typed where it
/// can, and always displays as written.
#[test]
fn audit_detail_text_reads_back() {
    let cases = [
        (
            "backup code; challenge",
            Some(Factor::BackupCode),
            Some(Purpose::Challenge),
            "",
        ),
        (
            "authenticator app; regenerate backup codes",
            Some(Factor::Totp),
            Some(Purpose::RegenerateCodes),
            "",
        ),
        ("authenticator app", Some(Factor::Totp), None, ""),
        ("backup code; lunch", None, None, "backup code; lunch"),
        ("3 left", None, None, "3 left"),
        ("", None, None, ""),
    ];
    for (text, method, purpose, note) in cases {
        let detail = AuditDetail::from_text(text);
        assert_eq!(
            (detail.method, detail.purpose, detail.note.as_str()),
            (method, purpose, note),
            "{text}"
        );
        assert_eq!(detail.to_string(), text);
    }
}
