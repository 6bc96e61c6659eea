//! The `webauthn` section: the relying party, its origins, and its mistakes
//! named by field.

use super::*;

#[test]
fn a_webauthn_section_names_the_relying_party_and_its_origins() {
    let config = load(&format!(
        "{MINIMAL}webauthn:\n  rp_id: Example.com\n  origins: [https://login.example.com, 'https://example.com:8443']\n"
    ));
    let w = config.webauthn.unwrap();
    assert_eq!(w.rp_id, "example.com");
    assert_eq!(w.rp_name, config.ui.app_name, "defaults to the app's name");
    assert_eq!(w.origins.len(), 2);
    assert!(load(MINIMAL).webauthn.is_none(), "off unless configured");
}

#[test]
fn webauthn_mistakes_are_named() {
    let section = |body: &str| format!("{MINIMAL}webauthn:\n{body}");
    check_error(
        &section("  rp_id: example.com\n  origins: [http://login.example.com]\n"),
        "webauthn.origins[0]",
        None,
        "is not https",
    );
    check_error(
        &section("  rp_id: example.com\n  origins: [https://login.other.com]\n"),
        "webauthn",
        None,
        "not on the relying-party id example.com",
    );
    check_error(
        &section("  rp_id: 10.0.0.1\n  origins: [https://10.0.0.1]\n"),
        "webauthn.rp_id",
        None,
        "no scheme, port or IP address",
    );
    check_error(
        &section("  rp_id: example.com\n  origins: []\n"),
        "webauthn.origins",
        None,
        "at least one origin",
    );
    check_error(
        &section("  rp_id: example.com\n  origins: [https://example.com/login]\n"),
        "webauthn.origins[0]",
        None,
        "is not an origin",
    );
    check_error(
        &section("  rp_id: example.com\n  origins: [https://example.com]\n  rp_nmae: x\n"),
        "webauthn.rp_nmae",
        Some(15),
        "unknown field `rp_nmae`",
    );
}
