//! Unit tests of `store::records`.

use super::*;

fn full_person() -> PersonRecord {
    PersonRecord {
        enrollment: Some(Enrollment {
            id: 7,
            sealed_secret: vec![1, 2, 3],
            enrolled_at: 1_700_000_000,
            enrolled_by: "bob".into(),
        }),
        pending: vec![PendingEnrollment {
            session: [3; 16],
            sealed_secret: vec![4, 5],
            started_at: 1_700_000_100,
        }],
        backup_codes: Some(BackupCodeSet {
            generation: 2,
            salt: vec![9; 4],
            hashes: vec![vec![0xaa; 3], vec![0xbb; 3]],
            used: vec![false, true],
            created_at: 1_700_000_200,
        }),
        last_step: Some(56_666_666),
        failures: 3,
        locked_at: None,
        accounts: vec!["bob".into(), "bob-admin".into()],
        staff_account: true,
        passkeys: Vec::new(),
        used_ceremonies: Vec::new(),
        trust_epoch: 0,
    }
}

fn with_passkey() -> PersonRecord {
    PersonRecord {
        passkeys: vec![Passkey {
            id: 9,
            name: "YubiKey".into(),
            credential: r#"{"cred":{}}"#.into(),
            added_at: 1700000300,
            added_by: "bob".into(),
            last_used_at: Some(1700000400),
        }],
        used_ceremonies: vec![UsedCeremony {
            nonce: [5; 16],
            expires_at: 1700000500,
        }],
        ..full_person()
    }
}

/// A person with passkeys is V3; V3 is pinned like V2.
#[test]
fn person_v3_format_is_pinned() {
    let json = r#"{"v":"3","enrollment":{"id":7,"sealed_secret":"AQID","enrolled_at":1700000000,"enrolled_by":"bob"},"pending":[{"session":"AwMDAwMDAwMDAwMDAwMDAw==","sealed_secret":"BAU=","started_at":1700000100}],"backup_codes":{"generation":2,"salt":"CQkJCQ==","hashes":["qqqq","u7u7"],"used":[false,true],"created_at":1700000200},"last_step":56666666,"failures":3,"locked_at":null,"accounts":["bob","bob-admin"],"staff_account":true,"passkeys":[{"id":9,"name":"YubiKey","credential":"{\"cred\":{}}","added_at":1700000300,"added_by":"bob","last_used_at":1700000400}],"used_ceremonies":[{"nonce":"BQUFBQUFBQUFBQUFBQUFBQ==","expires_at":1700000500}]}"#;
    assert_eq!(decode_person(json.as_bytes()).unwrap(), with_passkey());
    assert_eq!(
        String::from_utf8(encode_person(&with_passkey()).unwrap()).unwrap(),
        json
    );
}

/// Without passkeys a record stays V2, which the previous release reads.
#[test]
fn a_person_without_passkeys_is_still_written_as_v2() {
    let bytes = encode_person(&full_person()).unwrap();
    assert!(bytes.starts_with(br#"{"v":"2","#));
    let bytes = encode_person(&with_passkey()).unwrap();
    assert!(bytes.starts_with(br#"{"v":"3","#));
}

#[test]
fn policies_before_passkeys_stay_v1_and_passkey_only_is_v2() {
    for policy in Enforcement::ALL {
        let bytes = encode_policy(policy).unwrap();
        assert_eq!(decode_policy(&bytes).unwrap(), policy);
    }
    let v2 = r#"{"v":"2","enforcement":"required_passkey"}"#;
    assert_eq!(
        encode_policy(Enforcement::RequiredPasskey).unwrap(),
        v2.as_bytes()
    );
    assert_eq!(
        encode_policy(Enforcement::Optional).unwrap(),
        br#"{"v":"1","enforcement":"optional"}"#
    );
}

#[test]
fn person_round_trips() {
    let record = full_person();
    let bytes = encode_person(&record).unwrap();
    assert_eq!(decode_person(&bytes).unwrap(), record);
}

/// The V1 format is a promise to every store already on disk: it is
/// still read, and upgraded (its pending enrollment, bound to no
/// session, is dropped; its accounts count as staff).
#[test]
fn person_v1_format_is_read_and_upgraded() {
    let json = r#"{"v":"1","enrollment":{"id":7,"sealed_secret":"AQID","enrolled_at":1700000000,"enrolled_by":"bob"},"pending":{"sealed_secret":"BAU=","started_at":1700000100},"backup_codes":{"generation":2,"salt":"CQkJCQ==","hashes":["qqqq","u7u7"],"used":[false,true],"created_at":1700000200},"last_step":56666666,"failures":3,"locked_at":null,"accounts":["bob","bob-admin"]}"#;
    let upgraded = PersonRecord {
        pending: Vec::new(),
        ..full_person()
    };
    assert_eq!(decode_person(json.as_bytes()).unwrap(), upgraded);
}

/// The V2 format is the promise now: if this test has to change, add a
/// V3 instead.
#[test]
fn person_v2_format_is_pinned() {
    let json = r#"{"v":"2","enrollment":{"id":7,"sealed_secret":"AQID","enrolled_at":1700000000,"enrolled_by":"bob"},"pending":[{"session":"AwMDAwMDAwMDAwMDAwMDAw==","sealed_secret":"BAU=","started_at":1700000100}],"backup_codes":{"generation":2,"salt":"CQkJCQ==","hashes":["qqqq","u7u7"],"used":[false,true],"created_at":1700000200},"last_step":56666666,"failures":3,"locked_at":null,"accounts":["bob","bob-admin"],"staff_account":true}"#;
    assert_eq!(decode_person(json.as_bytes()).unwrap(), full_person());
    assert_eq!(
        String::from_utf8(encode_person(&full_person()).unwrap()).unwrap(),
        json
    );
}

/// A V2 record keeps its own `staff_account` (a V1 record, which never
/// had one, counts as staff).
#[test]
fn person_v2_keeps_a_false_staff_account() {
    let json = r#"{"v":"2","enrollment":null,"pending":[],"backup_codes":null,"last_step":null,"failures":0,"locked_at":null,"accounts":["cand"],"staff_account":false}"#;
    assert!(!decode_person(json.as_bytes()).unwrap().staff_account);
}

#[test]
fn policy_v1_format_is_pinned() {
    let policy = r#"{"v":"1","enforcement":"required"}"#;
    assert_eq!(
        decode_policy(policy.as_bytes()).unwrap(),
        Enforcement::Required
    );
    assert_eq!(
        encode_policy(Enforcement::Required).unwrap(),
        policy.as_bytes()
    );
}

#[test]
fn person_key_is_stored_as_its_string() {
    let key = PersonKey::new("acme", "bob");
    let bytes = encode_account_link(&key).unwrap();
    assert_eq!(bytes, br#"{"v":"1","person":"4:acme/bob"}"#);
    assert_eq!(decode_account_link(&bytes).unwrap(), key);
}

#[test]
fn undecodable_bytes_are_corrupt_not_a_panic() {
    for bytes in [
        &b"garbage"[..],
        br#"{"v":"9","failures":0}"#,
        br#"{"failures":0}"#,
        br#"{"v":"1","enrollment":null,"pending":null,"backup_codes":null,"last_step":null,"failures":0,"locked_at":null,"accounts":[],"added_later":1}"#,
        br#"{"v":"1","enrollment":{"id":1,"sealed_secret":"!!","enrolled_at":0,"enrolled_by":"a"},"pending":null,"backup_codes":null,"last_step":null,"failures":0,"locked_at":null,"accounts":[]}"#,
    ] {
        match decode_person(bytes) {
            Err(StoreError::Corrupt { what: "person", .. }) => {}
            Err(other) => panic!("wrong error for {bytes:?}: {other}"),
            Ok(_) => panic!("decoded {bytes:?}"),
        }
    }
    assert!(matches!(
        decode_policy(b"\xff"),
        Err(StoreError::Corrupt { what: "policy", .. })
    ));
    assert!(matches!(
        decode_audit(b"{}"),
        Err(StoreError::Corrupt {
            what: "audit event",
            ..
        })
    ));
}
