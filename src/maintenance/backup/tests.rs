//! Backups round-trip every tree but remembered browsers, refuse damage
//! and any change not signed with a key of the ring, end every session
//! made before the restore, and restore only into a new directory.

use super::*;
use crate::domain::{
    AuditEvent, AuditKind, BrowserId, Enforcement, Enrollment, PersonKey, PersonRecord,
    RememberedBrowser,
};
use crate::store::{SledStore, Update};

const NOW: i64 = 1_800_000_000;

fn keys() -> Keys {
    Keys::new([1; 32], [2; 32])
}

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
    let browser = RememberedBrowser {
        enrollment_id: 0,
        account: "p0@acme".into(),
        created_at: 1,
        last_used_at: 1,
        label: "Firefox".into(),
        earned_by: None,
    };
    store
        .remember_browser(&person(0), &BrowserId([5; 32]), &browser)
        .unwrap();
    (dir, store)
}

#[test]
fn a_backup_restores_every_tree_and_later_audit_events_sort_last() {
    let (dir, store) = populated();
    let (bytes, counts) = take(&store, &keys(), 42).unwrap();
    assert_eq!(counts["persons"], 20);
    assert_eq!(counts["accounts"], 20);
    assert_eq!(counts["policies"], 1);
    assert_eq!(counts["audit"], 3);
    assert_eq!(counts["browsers"], 1);

    let backup = read(&bytes).unwrap();
    assert_eq!(backup.created_at, 42);
    let to = dir.path().join("restored");
    let done = restore(&backup, &keys(), &to, NOW).unwrap();
    let mut without_browsers = counts.clone();
    without_browsers.remove("browsers");
    assert_eq!(done.counts, without_browsers);
    assert_eq!(
        (done.persons, done.enrolled, done.browsers_forgotten),
        (20, 20, 1)
    );

    let restored = SledStore::open(&to).unwrap();
    assert!(restored.remembered_browsers(&person(0)).unwrap().is_empty());
    for i in 0..20 {
        let was = store.person(&person(i)).unwrap().unwrap();
        let now = restored.person(&person(i)).unwrap().unwrap();
        assert_eq!(now.trust_epoch, NOW as u32, "every session ends");
        assert_eq!(
            PersonRecord {
                trust_epoch: 0,
                ..now
            },
            was
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
    let (bytes, _) = take(&store, &keys(), 42).unwrap();
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
    let (bytes, _) = take(&store, &keys(), 42).unwrap();
    let backup = read(&bytes).unwrap();
    let occupied = dir.path().join("occupied");
    std::fs::create_dir_all(&occupied).unwrap();
    std::fs::write(occupied.join("something"), b"x").unwrap();
    assert!(matches!(
        restore(&backup, &keys(), &occupied, NOW),
        Err(BackupError::NotEmpty(_))
    ));
    let empty = dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let done = restore(&backup, &keys(), &empty, NOW).unwrap();
    assert_eq!(done.counts["persons"], 20);
}

/// Replace the trailer of `bytes` with one whose checksum fits the edited
/// body: what a writer of the backup without the key can do.
fn edited(bytes: &[u8], edit: impl Fn(&str) -> String) -> Vec<u8> {
    let text = std::str::from_utf8(bytes).unwrap();
    let trailer_at = text[..text.len() - 1].rfind('\n').unwrap() + 1;
    let body = edit(&text[..trailer_at]);
    let mut trailer: serde_json::Value = serde_json::from_str(&text[trailer_at..]).unwrap();
    let mut counts = Counts::new();
    for line in body.lines().skip(1) {
        *counts
            .entry(line.split('\t').next().unwrap().to_owned())
            .or_default() += 1;
    }
    trailer["counts"] = serde_json::to_value(&counts).unwrap();
    trailer["sha256"] = hex::encode(Sha256::digest(body.as_bytes())).into();
    format!("{body}{trailer}\n").into_bytes()
}

/// A backup edited by someone without the key (a remembered browser
/// added, the checksum and counts made to fit) reads as undamaged but is
/// not restored; neither is a version 1 backup, nor one signed with a key
/// the configuration does not hold. A key still in the ring after a
/// rotation verifies.
#[test]
fn only_a_backup_signed_with_a_key_of_the_ring_is_restored() {
    let (dir, store) = populated();
    let (bytes, _) = take(&store, &keys(), 42).unwrap();
    let to = |name: &str| dir.path().join(name);

    let added = edited(&bytes, |body| {
        let line = body.lines().find(|l| l.starts_with("browsers\t")).unwrap();
        let mut other = line.to_owned();
        other.replace_range(9..12, "AAA");
        format!("{body}{other}\n")
    });
    let backup = read(&added).expect("checksum and counts fit");
    assert_eq!(backup.counts["browsers"], 2);
    let err = restore(&backup, &keys(), &to("edited"), NOW).unwrap_err();
    assert!(matches!(err, BackupError::BadSignature(_)), "{err}");
    assert!(
        err.to_string().contains("changed after it was taken"),
        "{err}"
    );
    assert!(!to("edited").exists(), "nothing written");

    let v1 = edited(&bytes, |body| {
        body.replacen("\"version\":2", "\"version\":1", 1)
    });
    let err = restore(&read(&v1).unwrap(), &keys(), &to("v1"), NOW).unwrap_err();
    assert!(matches!(err, BackupError::Unsigned), "{err}");

    let other = Keys::new([7; 32], [2; 32]);
    let err = restore(&read(&bytes).unwrap(), &other, &to("other"), NOW).unwrap_err();
    assert!(matches!(err, BackupError::UnknownKey(_)), "{err}");
    assert!(err.to_string().contains("secrets.hmac_key"), "{err}");

    let rotated = Keys::from_rings(&[[7; 32], [1; 32]], &[[2; 32]]);
    let done = restore(&read(&bytes).unwrap(), &rotated, &to("rotated"), NOW).unwrap();
    assert_eq!(done.persons, 20);
}

/// The restored trust epoch is past the backup's and past any a lock can
/// reach from it, and a lock after the restore moves it on from there.
#[test]
fn the_restored_epoch_is_past_any_a_cookie_can_name() {
    let record = PersonRecord {
        trust_epoch: 3,
        ..PersonRecord::default()
    };
    assert_eq!(restore::next_epoch(&record, NOW).trust_epoch, NOW as u32);
    let far = PersonRecord {
        trust_epoch: NOW as u32 + 5,
        ..PersonRecord::default()
    };
    assert_eq!(restore::next_epoch(&far, NOW).trust_epoch, NOW as u32 + 6);
    assert_eq!(restore::next_epoch(&record, -1).trust_epoch, 4);
}

#[test]
fn ages_read_like_people_write_them() {
    assert_eq!(age(5), "5 s");
    assert_eq!(age(125), "2 min");
    assert_eq!(age(3 * 3600 + 60), "3 h 1 min");
    assert_eq!(age(2 * 86_400 + 7200), "2 d 2 h");
    assert_eq!(age(-3), "0 s");
}
