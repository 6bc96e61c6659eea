//! Unit tests of `domain::notice`.

use super::*;
use crate::domain::{BackupCodeSet, Enrollment};

fn enrolled(id: u64, generation: u32, used: usize) -> PersonRecord {
    PersonRecord {
        enrollment: Some(Enrollment {
            id,
            sealed_secret: vec![1],
            enrolled_at: 0,
            enrolled_by: "a".into(),
        }),
        backup_codes: Some(BackupCodeSet {
            generation,
            salt: vec![],
            hashes: vec![vec![]; 10],
            used: (0..10).map(|i| i < used).collect(),
            created_at: 0,
        }),
        ..PersonRecord::default()
    }
}

#[test]
fn changes_name_each_event_once() {
    use NoticeKind::*;
    let none: Option<&PersonRecord> = None;
    let e = enrolled(1, 0, 0);
    assert_eq!(changes(none, Some(&e), false), [(Enabled, None)]);
    assert_eq!(
        changes(Some(&e), Some(&PersonRecord::default()), false),
        [(Disabled, None)]
    );
    assert_eq!(changes(Some(&e), None, true), [(Reset, None)]);
    assert_eq!(
        changes(Some(&e), Some(&enrolled(1, 1, 0)), false),
        [(CodesRegenerated, None)]
    );
    assert_eq!(
        changes(Some(&e), Some(&enrolled(1, 0, 1)), false),
        [(BackupCodeUsed, Some(9))]
    );
    assert_eq!(
        changes(Some(&enrolled(1, 0, 6)), Some(&enrolled(1, 0, 7)), false),
        [(BackupCodeUsed, Some(3)), (CodesLow, Some(3))]
    );
    assert_eq!(
        changes(Some(&enrolled(1, 0, 7)), Some(&enrolled(1, 0, 8)), false),
        [(BackupCodeUsed, Some(2))]
    );
    let mut locked = e.clone();
    locked.locked_at = Some(5);
    assert_eq!(changes(Some(&e), Some(&locked), false), [(Locked, None)]);
    assert_eq!(changes(Some(&locked), Some(&e), true), [(Unlocked, None)]);
    assert_eq!(changes(Some(&locked), None, true), [(Reset, None)]);
    let mut failed = e.clone();
    failed.failures = 3;
    assert!(changes(Some(&e), Some(&failed), false).is_empty());
}

#[test]
fn kinds_round_trip_their_names() {
    for kind in NoticeKind::ALL {
        assert_eq!(NoticeKind::parse(kind.as_str()), Some(kind));
    }
    assert_eq!(NoticeKind::parse("nope"), None);
}
