//! Unit tests of `store::records::outbox`.

use super::*;

#[test]
fn delivery_round_trips() {
    let d = Delivery {
        notice: Notice {
            id: 7,
            kind: NoticeKind::BackupCodeUsed,
            at: 1_700_000_000,
            company: "acme".into(),
            person: Some("bob".into()),
            account: "bob@acme".into(),
            whence: Whence {
                actor: "bob@acme".into(),
                ip: Some("127.0.0.1".into()),
                browser: Some("Firefox on Linux".into()),
                request_id: Some("r1".into()),
                lang: "ja".into(),
            },
            codes_left: Some(3),
            note: String::new(),
            repeats: None,
        },
        target: Target::Webhook {
            url: "http://127.0.0.1:1/h".into(),
        },
        state: DeliveryState::Dead,
        attempts: 4,
        next_at_ms: 5,
        last_error: "HTTP 500".into(),
    };
    let bytes = encode_delivery(&d).unwrap();
    assert!(bytes.starts_with(br#"{"v":"1","notice":7,"kind":"backup_code_used""#));
    assert_eq!(decode_delivery(&bytes).unwrap(), d);
    // Several events told at once: V2, read back the same.
    let mut told = d.clone();
    told.notice.repeats = Some(Repeats {
        count: 3,
        since: 1_699_999_000,
    });
    let bytes = encode_delivery(&told).unwrap();
    assert!(
        bytes.starts_with(br#"{"v":"2","#),
        "{}",
        String::from_utf8_lossy(&bytes)
    );
    assert!(String::from_utf8_lossy(&bytes).contains(r#""repeats":3,"repeats_since":1699999000"#));
    assert_eq!(decode_delivery(&bytes).unwrap(), told);
    let contact = encode_contact("a@x", "en").unwrap();
    assert_eq!(contact, br#"{"v":"1","email":"a@x","lang":"en"}"#);
    assert_eq!(
        decode_contact(&contact).unwrap(),
        ("a@x".into(), "en".into())
    );
}
