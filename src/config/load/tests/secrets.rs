//! The `secrets` section: keys from the environment or files (relative to
//! the config file), their checks, and never echoing a key.

use super::*;

#[test]
fn missing_secret_variable_is_named() {
    let yaml = MINIMAL.replace("TEST_ENC", "MFA_GATE_TEST_UNSET_VARIABLE");
    check_error(
        &yaml,
        "secrets.encryption_key.env",
        Some(11),
        "environment variable MFA_GATE_TEST_UNSET_VARIABLE is not set",
    );
}

#[test]
fn secret_needs_exactly_one_source() {
    let yaml = MINIMAL.replace("{ env: TEST_HMAC }", "{ env: TEST_HMAC, file: k }");
    check_error(&yaml, "secrets.hmac_key", Some(10), "exactly one of");
    let yaml = MINIMAL.replace("{ env: TEST_HMAC }", "{}");
    check_error(&yaml, "secrets.hmac_key", Some(10), "exactly one of");
}

#[test]
fn wrong_length_key_is_refused_without_echoing_it() {
    let short = "00112233445566778899aabbccddeeff"; // 16 bytes as hex
    let yaml = MINIMAL.replace("{ env: TEST_HMAC }", "{ env: SHORT_KEY }");
    let err = load_str_with_env(&yaml, Path::new("gate.yaml"), &|name| match name {
        "SHORT_KEY" => Some(short.into()),
        other => env(other),
    })
    .expect_err("an error");
    let shown = err.to_string();
    assert_eq!(err.field(), Some("secrets.hmac_key.env"), "{shown}");
    assert!(shown.contains("SHORT_KEY"), "{shown}");
    assert!(shown.contains("exactly 32"), "{shown}");
    assert!(!shown.contains(short), "{shown}");

    let not_a_key = "correct horse battery staple";
    let err = load_str_with_env(&yaml, Path::new("gate.yaml"), &|name| match name {
        "SHORT_KEY" => Some(not_a_key.into()),
        other => env(other),
    })
    .expect_err("an error");
    assert!(!err.to_string().contains(not_a_key), "{err}");
}

#[test]
fn oversized_key_file_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("big.key"), "a".repeat(5000)).expect("write");
    let yaml = MINIMAL.replace("{ env: TEST_HMAC }", "{ file: big.key }");
    let err = load_str_with_env(&yaml, &dir.path().join("gate.yaml"), &env).expect_err("an error");
    assert!(err.to_string().contains("not a key file"), "{err}");
    assert!(!err.to_string().contains("aaaa"), "{err}");
}

#[test]
fn the_two_keys_must_differ() {
    let yaml = MINIMAL.replace("TEST_ENC", "TEST_HMAC");
    check_error(&yaml, "secrets.encryption_key", Some(11), "must differ");
}

#[test]
fn relative_paths_resolve_against_the_config_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("keys")).expect("mkdir");
    std::fs::write(dir.path().join("keys/hmac"), HMAC_HEX).expect("write");
    let absolute_key = dir.path().join("enc-absolute");
    std::fs::write(&absolute_key, ENC_B64).expect("write");
    let yaml = MINIMAL
        .replace("{ env: TEST_HMAC }", "{ file: keys/hmac }")
        .replace(
            "{ env: TEST_ENC }",
            &format!("{{ file: \"{}\" }}", absolute_key.display()),
        );
    let source = dir.path().join("gate.yaml");

    let config = load_str_with_env(&yaml, &source, &|_| None).unwrap_or_else(|e| panic!("{e}"));

    assert_eq!(
        config.store.sled_path(),
        Some(dir.path().join("data/store").as_path())
    );
    assert_eq!(config.secrets.hmac_key, [0x11; 32]);
    assert_eq!(config.secrets.encryption_key, [0x22; 32]);

    let absolute = load(&MINIMAL.replace("path: data/store", "path: /var/lib/mfa-gate"));
    assert_eq!(
        absolute.store.sled_path(),
        Some(Path::new("/var/lib/mfa-gate"))
    );
}

#[test]
fn unreadable_key_file_is_named() {
    let yaml = MINIMAL.replace("{ env: TEST_HMAC }", "{ file: missing.key }");
    check_error(
        &yaml,
        "secrets.hmac_key.file",
        Some(10),
        "cannot read /etc/mfa-gate/missing.key",
    );
}

#[test]
fn debug_output_hides_the_keys() {
    let shown = format!("{:?}", load(MINIMAL));
    assert!(!shown.contains("17, 17"), "{shown}");
    assert!(!shown.contains("34, 34"), "{shown}");
}
