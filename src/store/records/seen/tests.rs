//! Unit tests of `store::records::seen`.

use super::*;

#[test]
fn seen_v1_still_reads_and_v2_is_pinned() {
    let mut s = SeenAccount {
        account: "bob@acme".into(),
        class: AccountClass::Admin,
        person: "bob".into(),
        last_seen: 86_400,
        email: None,
        manages_policy: false,
    };
    let v1 = r#"{"v":"1","account":"bob@acme","class":"admin","person":"bob","last_seen":86400}"#;
    assert_eq!(decode_seen(v1.as_bytes()).unwrap(), s);
    s.email = Some("bob@acme.example".into());
    s.manages_policy = true;
    let v2 = r#"{"v":"2","account":"bob@acme","class":"admin","person":"bob","last_seen":86400,"email":"bob@acme.example","manages_policy":true}"#;
    assert_eq!(encode_seen(&s).unwrap(), v2.as_bytes());
    assert_eq!(decode_seen(v2.as_bytes()).unwrap(), s);
    assert!(
        decode_seen(br#"{"v":"1","account":"a","class":"boss","person":"a","last_seen":0}"#)
            .is_err()
    );
}
