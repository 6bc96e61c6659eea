//! Tests of loading: defaults, the example files, and one error per check
//! naming its file, line and field.
//!
//! The shared fixtures live here; the tests, by behaviour, in the submodules.

use super::*;

mod admin;
mod companies;
mod defaults;
mod errors;
mod identity;
mod listeners;
mod postgres_backend;
mod secrets;
mod sections;
mod several;
mod tenancy;
mod ui;
mod webauthn;

const HMAC_HEX: &str = "1111111111111111111111111111111111111111111111111111111111111111";
/// 32 bytes of 0x22, base64 (standard, padded).
const ENC_B64: &str = "IiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiI=";
const SUPPORT_TOKEN: &str = "test-support-token-0123";

const MINIMAL: &str = "\
listen: 127.0.0.1:8080
upstream:
  address: app.internal:3000
identity:
  session_cookie: app_session
  whoami_path: /api/me
store:
  path: data/store
secrets:
  hmac_key: { env: TEST_HMAC }
  encryption_key: { env: TEST_ENC }
";

fn env(name: &str) -> Option<String> {
    match name {
        "TEST_HMAC" | "MFA_GATE_HMAC_KEY" => Some(HMAC_HEX.into()),
        "TEST_ENC" | "MFA_GATE_ENCRYPTION_KEY" => Some(ENC_B64.into()),
        "MFA_GATE_SUPPORT_TOKEN" => Some(format!("  {SUPPORT_TOKEN}\n")),
        "TEST_PG_URL" => Some(format!("{PG_URL}\n")),
        "TEST_PG_BAD" => Some("postgresql://gate:s3cret-pw@db:notaport/mfa".into()),
        _ => None,
    }
}

const PG_URL: &str = "postgresql://gate:s3cret-pw@db.internal:5433/mfa";

/// The minimal file with `extra` appended, loaded: a `Config` for other
/// modules' tests.
pub(crate) fn minimal_with(extra: &str) -> Config {
    load(&format!("{MINIMAL}{extra}"))
}

fn load(yaml: &str) -> Config {
    match load_str_with_env(yaml, Path::new("/etc/mfa-gate/gate.yaml"), &env) {
        Ok(config) => config,
        Err(e) => panic!("expected the config to load, got: {e}"),
    }
}

fn error_of(yaml: &str) -> ConfigError {
    match load_str_with_env(yaml, Path::new("/etc/mfa-gate/gate.yaml"), &env) {
        Ok(_) => panic!("expected an error for:\n{yaml}"),
        Err(e) => e,
    }
}

/// Asserts the error names `field`, is on `line` (if given) and its
/// message contains `needle`.
fn check_error(yaml: &str, field: &str, line: Option<usize>, needle: &str) {
    let err = error_of(yaml);
    let shown = err.to_string();
    assert_eq!(err.field(), Some(field), "{shown}");
    if line.is_some() {
        assert_eq!(err.line(), line, "{shown}");
    }
    assert!(shown.contains(needle), "{shown:?} lacks {needle:?}");
    assert!(shown.starts_with("/etc/mfa-gate/gate.yaml: "), "{shown}");
}

fn repo_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(name)
}
