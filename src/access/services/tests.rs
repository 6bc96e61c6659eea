//! The policy in force for the implicit tenant of a single-tenant start
//! (`config/minimal.yaml`): required until an administrator or the file
//! says otherwise; every other company's default stays optional.

use crate::access::decision::{Denial, Facts, decide};
use crate::access::gate::Gate;
use crate::access::test_gate::{ENC_HEX, HMAC_HEX, gate};
use crate::domain::{AccountClass, Enforcement};
use crate::store::SledStore;
use std::sync::Arc;

/// The gateway of `config/minimal.yaml` (its key directory and store moved
/// into a temporary directory).
fn minimal_gate() -> (tempfile::TempDir, Gate) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("keys")).unwrap();
    std::fs::write(dir.path().join("keys/hmac.key"), HMAC_HEX).unwrap();
    std::fs::write(dir.path().join("keys/encryption.key"), ENC_HEX).unwrap();
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/config/minimal.yaml");
    let yaml = std::fs::read_to_string(file)
        .unwrap()
        .replace("/etc/mfa-gate/keys", "keys")
        .replace("/var/lib/mfa-gate/store", "store");
    let source = dir.path().join("minimal.yaml");
    let config = crate::config::load_str(&yaml, &source).unwrap_or_else(|e| panic!("{e}"));
    let store = SledStore::open(&dir.path().join("store")).unwrap();
    let gate = Gate::new(config, Arc::new(store)).unwrap();
    (dir, gate)
}

#[test]
fn alice_whom_the_app_only_names_is_sent_to_enroll() {
    let (_dir, gate) = minimal_gate();
    let crate::config::IdentitySource::Whoami(whoami) = &gate.config.identity else {
        panic!("the minimal file asks whoami")
    };
    let alice =
        crate::identity::map_identity(&serde_json::json!({"account": "alice"}), &whoami.fields)
            .unwrap();
    assert_eq!(
        (alice.company(), alice.class()),
        ("default", AccountClass::Employee)
    );
    let enforcement = gate.enforcement(alice.company()).unwrap();
    assert_eq!(enforcement, Enforcement::Required);
    let facts = Facts {
        class: alice.class(),
        enforcement,
        enrolled: false,
        passkey: false,
        locked: false,
        verified: false,
    };
    assert_eq!(decide(&facts), Err(Denial::Enroll));
    // An administrator's choice on the policy page wins over the default.
    gate.store
        .set_company_policy("default", Enforcement::Optional)
        .unwrap();
    assert_eq!(gate.enforcement("default").unwrap(), Enforcement::Optional);
}

#[test]
fn only_the_implicit_tenant_defaults_to_required() {
    // Pinning other companies leaves the implicit tenant as it is.
    let (_d, gate_) = gate("companies:\n  globex: required\n");
    assert_eq!(gate_.enforcement("default").unwrap(), Enforcement::Required);
    assert_eq!(gate_.enforcement("acme").unwrap(), Enforcement::Optional);
    assert_eq!(gate_.enforcement("globex").unwrap(), Enforcement::Required);
    let (_d, pinned) = gate("companies:\n  default: optional\n");
    assert_eq!(
        pinned.enforcement("default").unwrap(),
        Enforcement::Optional
    );
}
