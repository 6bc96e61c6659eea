//! Key rings in the `secrets` section.

use super::super::load_str_with_env;
use crate::config::{Config, ConfigError};
use std::path::Path;

const BASE: &str = "\
listen: 127.0.0.1:8080
upstream:
  address: app.internal:3000
identity:
  session_cookie: app_session
  whoami_path: /api/me
store:
  path: data/store
secrets:
";

fn key(byte: u8) -> String {
    format!("{byte:02x}").repeat(32)
}

fn env(name: &str) -> Option<String> {
    match name {
        "H1" => Some(key(0x11)),
        "H2" => Some(key(0x12)),
        "E1" => Some(key(0x21)),
        "E2" => Some(key(0x22)),
        _ => None,
    }
}

fn load(secrets: &str) -> Result<Config, ConfigError> {
    load_str_with_env(
        &format!("{BASE}{secrets}"),
        Path::new("/etc/mfa-gate/gate.yaml"),
        &env,
    )
}

fn error(secrets: &str) -> (Option<String>, String) {
    match load(secrets) {
        Ok(_) => panic!("expected an error for {secrets}"),
        Err(e) => (e.field().map(str::to_owned), e.to_string()),
    }
}

#[test]
fn one_key_is_a_ring_of_one() {
    let config = load("  hmac_key: { env: H1 }\n  encryption_key: { env: E1 }\n").unwrap();
    assert_eq!(config.secrets.hmac_key, [0x11; 32]);
    assert!(config.secrets.older_hmac_keys.is_empty());
    assert!(config.secrets.older_encryption_keys.is_empty());
}

#[test]
fn a_list_is_a_ring_whose_first_key_is_in_use() {
    let config = load(
        "  hmac_key: [{ env: H2 }, { env: H1 }]\n  encryption_key:\n    - env: E2\n    - env: E1\n",
    )
    .unwrap();
    assert_eq!(config.secrets.hmac_key, [0x12; 32]);
    assert_eq!(config.secrets.older_hmac_keys, vec![[0x11; 32]]);
    assert_eq!(config.secrets.encryption_key, [0x22; 32]);
    assert_eq!(config.secrets.older_encryption_keys, vec![[0x21; 32]]);
    let keys = config.secrets.keys();
    assert_eq!(keys.hmac_count(), 2);
    assert_eq!(
        keys.encryption_ids(),
        vec![
            crate::keys::KeyId::of_encryption_key(&[0x22; 32]),
            crate::keys::KeyId::of_encryption_key(&[0x21; 32])
        ]
    );
}

#[test]
fn ring_errors_name_the_entry() {
    let (field, shown) =
        error("  hmac_key: [{ env: H1 }, { env: NOPE }]\n  encryption_key: { env: E1 }\n");
    assert_eq!(field.as_deref(), Some("secrets.hmac_key[1].env"), "{shown}");
    assert!(
        shown.contains("environment variable NOPE is not set"),
        "{shown}"
    );

    let (field, shown) =
        error("  hmac_key: [{ env: H1 }, { env: H1 }]\n  encryption_key: { env: E1 }\n");
    assert_eq!(field.as_deref(), Some("secrets.hmac_key[1]"), "{shown}");
    assert!(shown.contains("same key as secrets.hmac_key[0]"), "{shown}");

    let (field, shown) = error("  hmac_key: []\n  encryption_key: { env: E1 }\n");
    assert_eq!(field.as_deref(), Some("secrets.hmac_key"), "{shown}");
    assert!(shown.contains("empty"), "{shown}");

    let (field, shown) = error(
        "  hmac_key: [{ env: H1 }, { env: H2 }, { env: E2 }, { env: X }, { env: Y }]\n  encryption_key: { env: E1 }\n",
    );
    assert_eq!(field.as_deref(), Some("secrets.hmac_key"), "{shown}");
    assert!(shown.contains("5 keys; at most 4"), "{shown}");

    // An older HMAC key may not be any encryption key either.
    let (field, shown) = error(
        "  hmac_key: [{ env: H1 }, { env: E2 }]\n  encryption_key: [{ env: E1 }, { env: E2 }]\n",
    );
    assert_eq!(field.as_deref(), Some("secrets.encryption_key"), "{shown}");
    assert!(shown.contains("must differ"), "{shown}");

    let (_, shown) = error("  hmac_key: \"1111\"\n  encryption_key: { env: E1 }\n");
    assert!(shown.contains("never written in the file"), "{shown}");
    let (_, shown) = error("  hmac_key: 1111\n  encryption_key: { env: E1 }\n");
    assert!(shown.contains("or a list of them"), "{shown}");
}
