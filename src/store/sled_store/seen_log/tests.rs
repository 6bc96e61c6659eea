//! Unit tests of `sled_store::seen_log` and of the sled store's seen notes:
//! day files, torn frames, pruning, the old tree still read, export and
//! restore carrying the notes.

use super::*;
use crate::domain::AccountClass;
use crate::store::{SledStore, Store};

const T0: i64 = 1_700_006_400; // a day's start (19 676 × 86 400)

fn seen(account: &str, last_seen: i64) -> SeenAccount {
    SeenAccount {
        account: account.into(),
        class: AccountClass::Employee,
        person: account.into(),
        last_seen,
        email: Some(format!("{account}@example.com")),
        manages_policy: false,
    }
}

fn accounts(store: &SledStore, since: i64) -> Vec<(String, i64)> {
    let mut out: Vec<_> = store
        .seen_accounts("acme", since)
        .unwrap()
        .into_iter()
        .map(|s| (s.account, s.last_seen))
        .collect();
    out.sort();
    out
}

fn day_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join(DIR))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

#[test]
fn notes_go_to_one_file_per_day_not_to_sled() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    store.note_seen("acme", &seen("bob", T0 + 10)).unwrap();
    store.note_seen("acme", &seen("bob", T0 + DAY + 5)).unwrap();
    store.note_seen("acme", &seen("alice", T0 + 20)).unwrap();
    store.note_seen("acme2", &seen("carol", T0 + 30)).unwrap();
    assert!(store.seen.is_empty(), "nothing in the sled tree");
    let day = T0 / DAY;
    assert_eq!(
        day_files(dir.path()),
        vec![format!("{day}.log"), format!("{}.log", day + 1)]
    );
    assert_eq!(
        accounts(&store, 0),
        vec![("alice".into(), T0 + 20), ("bob".into(), T0 + DAY + 5)]
    );
    assert_eq!(
        accounts(&store, T0 + 21),
        vec![("bob".into(), T0 + DAY + 5)]
    );
    let files = store.seen_log.size_on_disk().unwrap();
    // sled's own size may move meanwhile (its flusher): bracket it.
    let sled_before = store.db.size_on_disk().unwrap();
    let total = store.size_on_disk().unwrap();
    let sled_after = store.db.size_on_disk().unwrap();
    assert!(files > 0);
    assert!((sled_before + files..=sled_after + files).contains(&total));
    drop(store);
    let reopened = SledStore::open(dir.path()).unwrap();
    assert_eq!(
        accounts(&reopened, T0 + 15).len(),
        2,
        "kept across a restart"
    );
}

#[test]
fn a_torn_last_frame_is_skipped_then_cut_off() {
    let dir = tempfile::tempdir().unwrap();
    let log = SeenLog::new(dir.path());
    let value = records::encode_seen(&seen("bob", T0)).unwrap();
    log.note(b"5:acme/bob", &value, T0).unwrap();
    drop(log);
    let path = dir.path().join(DIR).join(format!("{}.log", T0 / DAY));
    let whole = std::fs::metadata(&path).unwrap().len();
    let mut torn = frame(b"5:acme/eve", &value).unwrap();
    torn.truncate(torn.len() - 3);
    let mut file = OpenOptions::new().append(true).open(&path).unwrap();
    file.write_all(&torn).unwrap();

    let log = SeenLog::new(dir.path());
    let found = log.latest(b"5:acme/", 0).unwrap();
    assert_eq!(found.keys().collect::<Vec<_>>(), vec![b"5:acme/bob"]);
    let alice = records::encode_seen(&seen("alice", T0 + 1)).unwrap();
    log.note(b"5:acme/alice", &alice, T0 + 1).unwrap();
    assert_eq!(
        std::fs::metadata(&path).unwrap().len(),
        whole + frame(b"5:acme/alice", &alice).unwrap().len() as u64,
        "the torn frame was cut off before the new one"
    );
    let found = log.latest(b"5:acme/", 0).unwrap();
    let keys: Vec<&[u8]> = found.keys().map(Vec::as_slice).collect();
    assert_eq!(keys, vec![b"5:acme/alice".as_slice(), b"5:acme/bob"]);
}

#[test]
fn a_corrupt_length_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join(DIR)).unwrap();
    let path = dir.path().join(DIR).join("3.log");
    std::fs::write(&path, u32::MAX.to_be_bytes()).unwrap();
    let err = SeenLog::new(dir.path()).latest(b"", 0).unwrap_err();
    assert!(err.to_string().contains("3.log"), "{err}");
}

#[test]
fn a_new_day_deletes_the_files_past_the_kept_days() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    let day = T0 / DAY;
    store.note_seen("acme", &seen("old", T0)).unwrap();
    store.note_seen("acme", &seen("kept", T0 + DAY)).unwrap();
    std::fs::write(dir.path().join(DIR).join("notes.txt"), "mine").unwrap();
    let later = T0 + (KEEP_DAYS + 1) * DAY;
    store.note_seen("acme", &seen("new", later)).unwrap();
    assert_eq!(
        day_files(dir.path()),
        vec![
            format!("{}.log", day + 1),
            format!("{}.log", day + KEEP_DAYS + 1),
            "notes.txt".to_string()
        ]
    );
    assert_eq!(
        accounts(&store, 0),
        vec![("kept".into(), T0 + DAY), ("new".into(), later)]
    );
}

#[test]
fn notes_of_the_old_sled_tree_are_still_read_and_exported() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    let old = |account: &str, at: i64| {
        let key = crate::domain::PersonKey::new("acme", account);
        let value = records::encode_seen(&seen(account, at)).unwrap();
        store.seen.insert(key.as_str(), value).unwrap();
    };
    old("bob", T0);
    old("alice", T0 + 50);
    store.note_seen("acme", &seen("bob", T0 + 100)).unwrap();
    assert_eq!(
        accounts(&store, 0),
        vec![("alice".into(), T0 + 50), ("bob".into(), T0 + 100)]
    );
    let mut exported = Vec::new();
    store
        .export(&mut |tree, key, value| {
            if tree == "seen" {
                let at = records::decode_seen(value)?.last_seen;
                exported.push((String::from_utf8(key.to_vec()).unwrap(), at));
            }
            Ok(())
        })
        .unwrap();
    assert_eq!(
        exported,
        vec![
            ("4:acme/alice".into(), T0 + 50),
            ("4:acme/bob".into(), T0 + 100)
        ]
    );
    assert_eq!(store.counts().unwrap().get("seen"), Some(&2));
}

#[test]
fn export_then_import_carries_every_note() {
    let from_dir = tempfile::tempdir().unwrap();
    let from = SledStore::open(from_dir.path()).unwrap();
    from.note_seen("acme", &seen("bob", T0)).unwrap();
    from.note_seen("acme", &seen("alice", T0 + 3 * DAY))
        .unwrap();
    from.note_seen("acme2", &seen("carol", T0)).unwrap();
    let mut entries = Vec::new();
    from.export(&mut |tree, key, value| {
        entries.push((tree.to_owned(), key.to_vec(), value.to_vec()));
        Ok(())
    })
    .unwrap();

    let to_dir = tempfile::tempdir().unwrap();
    let to = SledStore::open(to_dir.path()).unwrap();
    assert!(to.is_empty().unwrap());
    let refs = entries
        .iter()
        .map(|(t, k, v)| (t.as_str(), k.as_slice(), v.as_slice()));
    assert_eq!(to.import_entries(refs).unwrap(), 3);
    assert!(!to.is_empty().unwrap());
    assert_eq!(to.counts().unwrap(), from.counts().unwrap());
    assert_eq!(accounts(&to, 0), accounts(&from, 0));
    assert_eq!(to.seen_accounts("acme2", 0).unwrap().len(), 1);
}
