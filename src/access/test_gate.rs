//! A [`Gate`] for unit tests: a configuration from YAML (keys from fixed
//! test values), a sled store in a temporary directory, no listener and no
//! network (the whoami client is built, never called). For the code that
//! needs a gateway but not a request: `remember::vouch`, `guard`'s proof.

use crate::access::gate::Gate;
use crate::domain::{AccountClass, Identity, IdentityFields};
use crate::store::SledStore;
use std::sync::Arc;

pub const HMAC_HEX: &str = "1111111111111111111111111111111111111111111111111111111111111111";
pub const ENC_HEX: &str = "2222222222222222222222222222222222222222222222222222222222222222";

/// The gateway of `extra` YAML (companies, webauthn, ...) on a fresh store;
/// keep the directory alive as long as the gate.
pub fn gate(extra: &str) -> (tempfile::TempDir, Gate) {
    let dir = tempfile::tempdir().unwrap();
    let yaml = format!(
        "listen: 127.0.0.1:8080\nupstream:\n  address: 127.0.0.1:9\nidentity:\n  session_cookie: app_session\n  whoami_path: /api/me\nstore:\n  path: store\nsecrets:\n  hmac_key: {{ env: TEST_HMAC }}\n  encryption_key: {{ env: TEST_ENC }}\n{extra}"
    );
    let env = |name: &str| match name {
        "TEST_HMAC" => Some(HMAC_HEX.to_owned()),
        "TEST_ENC" => Some(ENC_HEX.to_owned()),
        _ => None,
    };
    let source = dir.path().join("gate.yaml");
    let config = crate::config::load_str_with_env(&yaml, &source, &env).unwrap();
    let store = SledStore::open(&dir.path().join("store")).unwrap();
    let gate = Gate::new(config, Arc::new(store)).unwrap();
    (dir, gate)
}

/// An identity of `company` (an employee), its own person.
pub fn employee(company: &str, account: &str) -> Identity {
    Identity::new(IdentityFields {
        account: account.to_owned(),
        company: company.to_owned(),
        class: AccountClass::Employee,
        roles: Vec::new(),
        person: account.to_owned(),
        email: None,
    })
    .unwrap()
}
