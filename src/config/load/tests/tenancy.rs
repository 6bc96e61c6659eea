//! A single-tenant start (issue 34 §2): `config/minimal.yaml` loads as it
//! is, with one implicit tenant whose policy defaults to `required`; which
//! files map no company; `policy_admin_roles`; the key directory.

use super::*;
use crate::config::{FieldRule, IMPLICIT_TENANT, Tenancy};
use crate::domain::Enforcement;

/// A key directory with the two test keys, and `config/minimal.yaml` with
/// its `secrets.dir` pointed there.
fn minimal_file() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("hmac.key"), format!("{HMAC_HEX}\n")).expect("write");
    std::fs::write(dir.path().join("encryption.key"), ENC_B64).expect("write");
    let yaml = std::fs::read_to_string(repo_file("config/minimal.yaml")).expect("minimal file");
    assert!(yaml.lines().count() <= 8, "the minimal file stays minimal");
    let keys = dir.path().display().to_string();
    (dir, yaml.replace("/etc/mfa-gate/keys", &keys))
}

fn whoami_fields(config: &Config) -> &crate::config::FieldMap {
    match &config.identity {
        IdentitySource::Whoami(w) => &w.fields,
        IdentitySource::Headers(_) => panic!("whoami source expected"),
    }
}

#[test]
fn the_minimal_file_is_one_tenant_whose_staff_must_enroll() {
    let (_keys, yaml) = minimal_file();
    let config = load(&yaml);
    assert_eq!(config.tenancy, Tenancy::Implicit);
    assert_eq!(
        config.tenancy.default_enforcement(IMPLICIT_TENANT),
        Enforcement::Required
    );
    assert!(config.companies.is_empty(), "nothing pinned: editable");
    assert_eq!(config.policy_admin_roles, ["admin"]);
    assert_eq!(config.secrets.hmac_key, [0x11; 32]);
    assert_eq!(config.secrets.encryption_key, [0x22; 32]);
    assert_eq!(config.upstream.address, "127.0.0.1:3000");
    let fields = whoami_fields(&config);
    assert_eq!(
        fields.company,
        FieldRule::AtOr {
            pointer: "/company".into(),
            absent: IMPLICIT_TENANT.into()
        }
    );
    assert_eq!(
        fields.class,
        FieldRule::AtOr {
            pointer: "/class".into(),
            absent: "employee".into()
        }
    );
}

#[test]
fn only_a_company_mapping_ends_the_implicit_tenant() {
    assert_eq!(load(MINIMAL).tenancy, Tenancy::Implicit);
    // Pinning policies changes how nobody is read: the implicit tenant
    // stays (its own policy may be pinned too).
    let pinned = load(&format!(
        "{MINIMAL}companies:\n  default: optional\n  globex: required\n"
    ));
    assert_eq!(pinned.tenancy, Tenancy::Implicit);
    assert_eq!(
        pinned.companies.get("default"),
        Some(&Enforcement::Optional)
    );
    assert_eq!(
        whoami_fields(&pinned).company,
        whoami_fields(&load(MINIMAL)).company
    );
    let mapped = load(&MINIMAL.replace(
        "  whoami_path: /api/me\n",
        "  whoami_path: /api/me\n  fields:\n    company: { value: main }\n",
    ));
    assert_eq!(mapped.tenancy, Tenancy::Mapped);
    assert_eq!(
        whoami_fields(&mapped).company,
        FieldRule::Constant("main".into())
    );
    assert_eq!(
        mapped.tenancy.default_enforcement("main"),
        Enforcement::Optional
    );
    let by_pointer = load(&MINIMAL.replace(
        "  whoami_path: /api/me\n",
        "  whoami_path: /api/me\n  fields:\n    company: company\n",
    ));
    assert_eq!(by_pointer.tenancy, Tenancy::Mapped);
    // Written, the company has no fallback: a missing one fails closed.
    assert_eq!(
        whoami_fields(&by_pointer).company,
        FieldRule::At("/company".into())
    );
}

#[test]
fn a_written_class_rule_has_no_fallback() {
    let config = load(&MINIMAL.replace(
        "  whoami_path: /api/me\n",
        "  whoami_path: /api/me\n  fields:\n    class: /user/kind\n",
    ));
    assert_eq!(
        whoami_fields(&config).class,
        FieldRule::At("/user/kind".into())
    );
}

#[test]
fn policy_admin_roles_default_and_checks() {
    assert_eq!(load(MINIMAL).policy_admin_roles, ["admin"]);
    let custom = load(&format!("{MINIMAL}policy_admin_roles: [owner, security]\n"));
    assert_eq!(custom.policy_admin_roles, ["owner", "security"]);
    let nobody = load(&format!("{MINIMAL}policy_admin_roles: []\n"));
    assert!(nobody.policy_admin_roles.is_empty());
    check_error(
        &format!("{MINIMAL}policy_admin_roles: [owner, owner]\n"),
        "policy_admin_roles[1]",
        Some(12),
        "listed twice",
    );
    check_error(
        &format!("{MINIMAL}policy_admin_roles: [\"\"]\n"),
        "policy_admin_roles[0]",
        Some(12),
        "not a role name",
    );
}

#[test]
fn the_headers_source_without_company_or_class_is_one_tenant_of_staff() {
    let yaml = format!(
        "{}identity:\n  source: headers\n  session_cookie: _oauth2_proxy\n  headers: {{ account: X-Forwarded-Email }}\n{}trusted_proxies: [10.0.0.0/8]\n",
        &MINIMAL[..MINIMAL.find("identity:").unwrap()],
        &MINIMAL[MINIMAL.find("store:").unwrap()..],
    );
    let config = load(&yaml);
    assert_eq!(config.tenancy, Tenancy::Implicit);
    let IdentitySource::Headers(h) = &config.identity else {
        panic!("headers source expected")
    };
    assert_eq!(h.default_company.as_deref(), Some(IMPLICIT_TENANT));
    assert_eq!(h.default_class, Some(crate::domain::AccountClass::Employee));
    // A company header maps the company: no implicit tenant.
    let mapped = yaml.replace(
        "  headers: { account: X-Forwarded-Email }\n",
        "  headers: { account: X-Forwarded-Email, company: X-Company }\n",
    );
    let config = load(&mapped);
    assert_eq!(config.tenancy, Tenancy::Mapped);
    let IdentitySource::Headers(h) = &config.identity else {
        panic!("headers source expected")
    };
    assert_eq!(h.default_company, None);
}

/// `secrets: { dir }` with `files` written into the directory.
fn with_key_dir(files: &[(&str, &str)]) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).expect("write");
    }
    let secrets = MINIMAL.find("secrets:").unwrap();
    let yaml = format!(
        "{}secrets: {{ dir: {} }}\n",
        &MINIMAL[..secrets],
        dir.path().display()
    );
    (dir, yaml)
}

#[test]
fn a_key_directory_holds_both_keys_each_error_naming_its_file() {
    let (_d, yaml) = with_key_dir(&[("hmac.key", HMAC_HEX), ("encryption.key", ENC_B64)]);
    let config = load(&yaml);
    assert_eq!(config.secrets.hmac_key, [0x11; 32]);
    assert!(config.secrets.older_hmac_keys.is_empty());

    let (_d, yaml) = with_key_dir(&[("hmac.key", HMAC_HEX)]);
    check_error(&yaml, "secrets.dir", Some(9), "encryption.key");
    let short = "00112233445566778899aabbccddeeff";
    let (_d, yaml) = with_key_dir(&[("hmac.key", short), ("encryption.key", ENC_B64)]);
    let err = error_of(&yaml);
    let shown = err.to_string();
    assert!(
        shown.contains("hmac.key") && shown.contains("exactly 32"),
        "{shown}"
    );
    assert!(!shown.contains(short), "never the key: {shown}");
    let (_d, yaml) = with_key_dir(&[("hmac.key", HMAC_HEX), ("encryption.key", HMAC_HEX)]);
    check_error(&yaml, "secrets.encryption_key", None, "must differ");
}

#[test]
fn a_key_directory_is_relative_to_the_file_and_excludes_key_rings() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("keys")).expect("mkdir");
    std::fs::write(dir.path().join("keys/hmac.key"), HMAC_HEX).expect("write");
    std::fs::write(dir.path().join("keys/encryption.key"), ENC_B64).expect("write");
    let secrets = MINIMAL.find("secrets:").unwrap();
    let yaml = format!("{}secrets: {{ dir: keys }}\n", &MINIMAL[..secrets]);
    let source = dir.path().join("gate.yaml");
    let config = load_str_with_env(&yaml, &source, &env).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.secrets.encryption_key, [0x22; 32]);

    let both = MINIMAL.replace("secrets:\n", "secrets:\n  dir: keys\n");
    check_error(&both, "secrets.dir", Some(10), "not both");
    let half = MINIMAL.replace("  encryption_key: { env: TEST_ENC }\n", "");
    check_error(&half, "secrets", Some(9), "missing field `encryption_key`");
}
