//! Backups round-trip every tree, refuse damage, and restore only into a
//! new directory.

use super::*;
use crate::domain::{AuditEvent, AuditKind, Enforcement, Enrollment, PersonKey, PersonRecord};
use crate::store::Update;

fn person(i: usize) -> PersonKey {
    PersonKey::new("acme", &format!("p{i}"))
}

fn event(key: &PersonKey, detail: &str) -> AuditEvent {
    AuditEvent {
        at: 1_700_000_000,
        kind: AuditKind::ChallengePassed,
        person: Some(key.clone()),
        company: "acme".into(),
        actor: "x".into(),
        detail: detail.into(),
    }
}

fn populated() -> (tempfile::TempDir, SledStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(&dir.path().join("store")).unwrap();
    for i in 0..20 {
        let record = PersonRecord {
            enrollment: Some(Enrollment {
                id: i as u64,
                sealed_secret: vec![i as u8; 40],
                enrolled_at: 1,
                enrolled_by: "x".into(),
            }),
            last_step: Some(1000 + i as u64),
            ..PersonRecord::default()
        };
        store
            .update_person(&person(i), &mut |_| Update::Put(record.clone()))
            .unwrap();
        store
            .link_account(&format!("p{i}@acme"), &person(i))
            .unwrap();
    }
    store
        .set_company_policy("acme", Enforcement::Required)
        .unwrap();
    for n in 0..3 {
        store
            .append_audit(&event(&person(0), &format!("old {n}")))
            .unwrap();
    }
    (dir, store)
}

#[test]
fn a_backup_restores_every_tree_and_later_audit_events_sort_last() {
    let (dir, store) = populated();
    let (bytes, counts) = take(&store, 42).unwrap();
    assert_eq!(counts["persons"], 20);
    assert_eq!(counts["accounts"], 20);
    assert_eq!(counts["policies"], 1);
    assert_eq!(counts["audit"], 3);

    let backup = read(&bytes).unwrap();
    assert_eq!(backup.created_at, 42);
    let to = dir.path().join("restored");
    assert_eq!(restore(&backup, &to).unwrap(), counts);

    let restored = SledStore::open(&to).unwrap();
    for i in 0..20 {
        assert_eq!(
            restored.person(&person(i)).unwrap(),
            store.person(&person(i)).unwrap()
        );
        assert_eq!(
            restored.person_of_account(&format!("p{i}@acme")).unwrap(),
            Some(person(i))
        );
    }
    assert_eq!(
        restored.company_policy("acme").unwrap(),
        Some(Enforcement::Required)
    );
    restored.append_audit(&event(&person(0), "new")).unwrap();
    let details: Vec<String> = restored
        .audit_for(&person(0), 10)
        .unwrap()
        .into_iter()
        .map(|e| e.detail.to_string())
        .collect();
    assert_eq!(details, ["new", "old 2", "old 1", "old 0"]);
}

#[test]
fn a_damaged_or_truncated_backup_is_refused() {
    let (_dir, store) = populated();
    let (bytes, _) = take(&store, 42).unwrap();
    let mut changed = bytes.clone();
    let middle = changed.len() / 2;
    changed[middle] ^= 1;
    assert!(matches!(read(&changed), Err(BackupError::Checksum)));
    let cut = bytes.len() - 200;
    assert!(read(&bytes[..cut]).is_err());
    assert!(matches!(read(b""), Err(BackupError::Format(_))));
    assert!(read(b"hello\nworld\n").is_err());
}

#[test]
fn restore_goes_only_into_a_new_directory() {
    let (dir, store) = populated();
    let (bytes, _) = take(&store, 42).unwrap();
    let backup = read(&bytes).unwrap();
    let occupied = dir.path().join("occupied");
    std::fs::create_dir_all(&occupied).unwrap();
    std::fs::write(occupied.join("something"), b"x").unwrap();
    assert!(matches!(
        restore(&backup, &occupied),
        Err(BackupError::NotEmpty(_))
    ));
    let empty = dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    assert_eq!(restore(&backup, &empty).unwrap()["persons"], 20);
}
