//! What the gateway writes is its own user's alone (issue 30 §6): the
//! store, its outbox, the demo's keys and mail folder hold audit trails,
//! addresses and IPs. They are created 0700 (directories) and 0600 (files)
//! whatever the umask the gateway was started with (the tests' is 022),
//! and a store directory that others can already read is warned about.

use crate::harness::{Gateway, TARO, enroll};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Every file and directory below `dir`, but the harness's own logs.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "log") {
            continue;
        }
        out.push(path.clone());
        if path.is_dir() {
            walk(&path, out);
        }
    }
}

#[tokio::test]
async fn the_store_keys_and_mail_are_private_whatever_the_umask() {
    let tmp = tempfile::tempdir().unwrap();
    let gw = Gateway::demo_on(tmp.path()).await;
    let mut b = gw.browser();
    b.login(TARO).await;
    enroll(&mut b).await;
    // The enrollment's email is written by the sender, a moment later.
    let emails = tmp.path().join("emails");
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::fs::read_dir(&emails).map_or(0, |d| d.count()) == 0 {
        assert!(
            Instant::now() < deadline,
            "no email in {}",
            emails.display()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut all = Vec::new();
    walk(tmp.path(), &mut all);
    let open: Vec<String> = all
        .iter()
        .filter_map(|p| {
            let mode = std::fs::metadata(p).ok()?.permissions().mode() & 0o777;
            (mode & 0o077 != 0).then(|| format!("{} {mode:o}", p.display()))
        })
        .collect();
    assert!(open.is_empty(), "readable by others:\n{}", open.join("\n"));
    for what in [
        "store",
        "emails",
        "hmac.key",
        "encryption.key",
        "support.token",
    ] {
        assert!(
            all.iter().any(|p| p.ends_with(what)),
            "{what} was checked: {all:?}"
        );
    }
    assert!(all.len() > 8, "{all:?}");
}

#[tokio::test]
async fn a_store_directory_others_can_read_is_warned_about() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    std::fs::create_dir(&store).unwrap();
    std::fs::set_permissions(&store, std::fs::Permissions::from_mode(0o755)).unwrap();
    let gw = Gateway::demo_on(tmp.path()).await;
    let log = gw.log();
    assert!(log.contains("can be read by other users"), "{log}");
    assert!(log.contains(&store.display().to_string()), "{log}");
}
