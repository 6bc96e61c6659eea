//! Unit tests of `edge::tls`.

use super::*;
use std::path::Path;

fn pair(dir: &Path, name: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let cert = dir.join(format!("{name}.crt"));
    let key = dir.join(format!("{name}.key"));
    std::fs::write(&cert, made.cert.pem()).unwrap();
    std::fs::write(&key, made.key_pair.serialize_pem()).unwrap();
    (cert, key)
}

#[test]
fn a_matching_pair_loads() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = pair(dir.path(), "a");
    let loaded = load_pair(&cert, &key).unwrap();
    assert_eq!(loaded.cert.len(), 1);
}

#[test]
fn bad_files_are_named_errors_without_key_material() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = pair(dir.path(), "a");
    let (_, other_key) = pair(dir.path(), "b");
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "not pem at all").unwrap();
    let missing = dir.path().join("missing.pem");

    assert!(
        matches!(load_pair(&missing, &key), Err(TlsError::Cert(m)) if m.contains("cannot read"))
    );
    assert!(
        matches!(load_pair(&garbage, &key), Err(TlsError::Cert(m)) if m.contains("no certificate"))
    );
    assert!(
        matches!(load_pair(&cert, &garbage), Err(TlsError::Key(m)) if m.contains("no private key"))
    );
    assert!(
        matches!(load_pair(&cert, &missing), Err(TlsError::Key(m)) if m.contains("cannot read"))
    );
    assert!(
        matches!(load_pair(&key, &cert), Err(TlsError::Cert(m)) if m.contains("no certificate"))
    );
    let mismatch = load_pair(&cert, &other_key).unwrap_err();
    assert!(
        matches!(&mismatch, TlsError::Key(m) if m.contains("does not belong")),
        "{mismatch}"
    );
    let key_text = std::fs::read_to_string(&other_key).unwrap();
    let body = key_text.lines().nth(1).unwrap();
    assert!(!mismatch.to_string().contains(body));
}
