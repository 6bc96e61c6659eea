//! The `companies` section: enforcement per company, pinned remember days,
//! and `required_passkey` needing passkeys configured.

use super::*;
use crate::domain::Enforcement;

#[test]
fn bad_enforcement_value_lists_the_allowed_ones() {
    check_error(
        &format!("{MINIMAL}companies:\n  globex: required\n  initech: mandatory\n"),
        "companies.initech",
        Some(14),
        "unknown variant `mandatory`, expected one of `optional`, `required`, `required_passkey`",
    );
    check_error(
        &format!("{MINIMAL}companies:\n  globex: required\n  globex: optional\n"),
        "companies",
        None,
        "`globex` is given twice",
    );
}

#[test]
fn remember_days_are_pinned_per_company_from_the_short_list() {
    let yaml = format!(
        "{MINIMAL}companies:\n  globex: required\n  acme:\n    remember_days: 30\n  initech:\n    enforcement: optional\n    remember_days: off\n"
    );
    let source = Path::new("/etc/mfa-gate/gate.yaml");
    let config = load_str_with_env(&yaml, source, &env).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.companies.get("globex"), Some(&Enforcement::Required));
    assert_eq!(
        config.companies.get("acme"),
        None,
        "only remember is pinned"
    );
    assert_eq!(
        config.companies.get("initech"),
        Some(&Enforcement::Optional)
    );
    let days = |c: &str| config.remember_days.get(c).map(|d| d.as_string());
    assert_eq!(days("acme").as_deref(), Some("30"));
    assert_eq!(days("initech").as_deref(), Some("off"));
    assert_eq!(days("globex"), None);
}

#[test]
fn bad_remember_days_name_the_field_and_the_allowed_values() {
    for bad in ["14", "-7", "true", "always"] {
        check_error(
            &format!("{MINIMAL}companies:\n  acme:\n    remember_days: {bad}\n"),
            "companies.acme.remember_days",
            Some(14),
            "is not allowed (allowed: off, 7, 30)",
        );
    }
    check_error(
        &format!("{MINIMAL}companies:\n  acme:\n    remember: 7\n"),
        "companies.acme.remember",
        None,
        "unknown field `remember`",
    );
}

#[test]
fn passkey_only_needs_passkeys_configured() {
    check_error(
        &format!("{MINIMAL}companies:\n  globex: required_passkey\n"),
        "companies.globex",
        None,
        "`required_passkey` needs passkeys",
    );
    let config = load(&format!(
        "{MINIMAL}companies:\n  globex: required_passkey\nwebauthn:\n  rp_id: example.com\n  origins: [https://example.com]\n"
    ));
    assert_eq!(
        config.companies.get("globex"),
        Some(&Enforcement::RequiredPasskey)
    );
}
