//! Backup codes saved before issue 35 (10 symbols, stored as raw Argon2id
//! hashes, format v1) keep working after the upgrade: a store holding such
//! a set — written here as the release before wrote it — signs the person
//! in with each of its codes, once.

use crate::harness::{Gateway, enroll};
use mfa_gate::domain::BackupCodeSet;
use mfa_gate::store::{SledStore, Store, Update};
use std::path::{Path, PathBuf};

/// A v1 set: salt `[7; 16]` and the Argon2id (m=19456 KiB, t=2, p=1)
/// hashes of `abcd-efgh-23` and `mnpq-2345-rs`, as the release before
/// issue 35 computed and stored them.
fn v1_set() -> BackupCodeSet {
    let hex = |h: &str| -> Vec<u8> {
        (0..h.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap())
            .collect()
    };
    BackupCodeSet {
        generation: 1,
        salt: vec![7; 16],
        hashes: vec![
            hex("4e032687829f234322789c2b5aa8441e9300edeca4ac93bf8c78d1600072b27f"),
            hex("318fdfaea02c8681da69db150c575f36510459610837edb7b51cdbd6f9f044a9"),
        ],
        used: vec![false, false],
        created_at: 1_700_000_000,
    }
}

/// The demo's sled store under its data directory.
fn store_dir(data: &Path) -> PathBuf {
    std::fs::read_dir(data)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.join("conf").exists() && p.join("db").exists())
        .expect("a sled store in the demo's data directory")
}

/// Sign a new app session of taro in with `code`; the status.
async fn sign_in(gw: &Gateway, code: &str) -> u16 {
    let mut b = gw.browser();
    b.login("taro@globex.example").await;
    let csrf = b.get("/_mfa/challenge").await.input_value("csrf").unwrap();
    let r = b
        .post_form("/_mfa/challenge", &[("csrf", &csrf), ("backup_code", code)])
        .await;
    r.status
}

#[tokio::test]
async fn codes_of_a_set_made_before_v2_sign_in_once_each() {
    let tmp = tempfile::tempdir().unwrap();
    let mut gw = Gateway::demo_on(tmp.path()).await;
    let mut b = gw.browser();
    b.login("taro@globex.example").await;
    enroll(&mut b).await;
    gw.kill();

    // Taro's set replaced by one as the release before stored it.
    let store = SledStore::open(&store_dir(tmp.path())).unwrap();
    let persons = store.person_keys(None, 100).unwrap();
    let mut replaced = 0;
    for person in &persons {
        store
            .update_person(person, &mut |current| match current {
                Some(r) if r.enrollment.is_some() => {
                    replaced += 1;
                    let mut r = r.clone();
                    r.backup_codes = Some(v1_set());
                    Update::Put(r)
                }
                _ => Update::Keep,
            })
            .unwrap();
    }
    assert_eq!(replaced, 1, "one enrolled person: taro");
    drop(store);

    let gw = Gateway::demo_on(tmp.path()).await;
    assert_eq!(
        sign_in(&gw, "ABCD EFGH 23").await,
        303,
        "a v1 code, typed loosely"
    );
    assert_eq!(sign_in(&gw, "abcd-efgh-23").await, 422, "used once");
    assert_eq!(sign_in(&gw, "abcd-efgh-24").await, 422, "a wrong one");
    assert_eq!(sign_in(&gw, "mnpq-2345-rs").await, 303, "the other code");
}
