//! Unit tests of `store::records::person_v4`.

use super::super::{decode_person, encode_person};
use crate::domain::PersonRecord;

/// V4 is pinned: a moved epoch is written and read back, and a record
/// at epoch 0 is never written as V4.
#[test]
fn person_v4_format_is_pinned() {
    let json = r#"{"v":"4","enrollment":null,"pending":[],"backup_codes":null,"last_step":null,"failures":10,"locked_at":1700000000,"accounts":["bob"],"staff_account":true,"passkeys":[],"used_ceremonies":[],"trust_epoch":1}"#;
    let record = PersonRecord {
        failures: 10,
        locked_at: Some(1_700_000_000),
        accounts: vec!["bob".into()],
        staff_account: true,
        trust_epoch: 1,
        ..PersonRecord::default()
    };
    assert_eq!(decode_person(json.as_bytes()).unwrap(), record);
    assert_eq!(
        String::from_utf8(encode_person(&record).unwrap()).unwrap(),
        json
    );
    let without = PersonRecord {
        trust_epoch: 0,
        ..record
    };
    assert!(
        encode_person(&without)
            .unwrap()
            .starts_with(br#"{"v":"2","#)
    );
    // A field no version knows is refused, not dropped on rewrite.
    let unknown = json.replace(r#""trust_epoch""#, r#""later":1,"trust_epoch""#);
    assert!(decode_person(unknown.as_bytes()).is_err());
}
