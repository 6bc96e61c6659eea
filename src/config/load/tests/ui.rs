//! The `ui` section: the logout link, the support contact and the
//! operator's wording directory.

use super::*;

#[test]
fn links_a_person_clicks_are_same_site_or_https() {
    let config = load(&format!(
        "{MINIMAL}ui:\n  logout_url: /logout?next=%2F\n  support_contact:\n    text: IT help desk, ext. 4242\n    link: mailto:help@example.com\n"
    ));
    assert_eq!(config.ui.logout_url.as_deref(), Some("/logout?next=%2F"));
    let contact = config.ui.support_contact.expect("a contact");
    assert_eq!(contact.text, "IT help desk, ext. 4242");
    assert_eq!(contact.link.as_deref(), Some("mailto:help@example.com"));
    let sso = load(&format!(
        "{MINIMAL}ui:\n  logout_url: https://sso.example.com/logout\n  support_contact:\n    text: Help\n"
    ));
    assert_eq!(
        sso.ui.logout_url.as_deref(),
        Some("https://sso.example.com/logout")
    );
    assert_eq!(sso.ui.support_contact.and_then(|c| c.link), None);
    let plain = load(MINIMAL);
    assert_eq!(
        (plain.ui.logout_url, plain.ui.support_contact),
        (None, None)
    );
}

#[test]
fn other_links_are_refused_naming_the_field() {
    for bad in [
        "//evil.example/logout",
        "http://sso.example.com/logout",
        "javascript:alert(1)",
        "https://user@sso.example.com/logout",
        "logout",
        "/log out",
        "/\\\\evil.example",
    ] {
        let yaml = format!("{MINIMAL}ui:\n  logout_url: {bad:?}\n");
        check_error(&yaml, "ui.logout_url", Some(13), "same-site path");
    }
    for bad in [
        "http://help.example.com",
        "javascript:alert(1)",
        "tel:123",
        "mailto",
    ] {
        let yaml = format!("{MINIMAL}ui:\n  support_contact:\n    text: Help\n    link: {bad:?}\n");
        check_error(
            &yaml,
            "ui.support_contact.link",
            None,
            "https:// or mailto:",
        );
    }
    let yaml = format!("{MINIMAL}ui:\n  support_contact:\n    text: \" \"\n");
    check_error(&yaml, "ui.support_contact.text", None, "one line");
    let yaml = format!("{MINIMAL}ui:\n  support_contact:\n    txt: Help\n");
    check_error(
        &yaml,
        "ui.support_contact.txt",
        Some(14),
        "unknown field `txt`",
    );
}

/// A config file in a fresh directory beside `files` in `wording/`.
fn with_wording(
    files: &[(&str, &str)],
    ui: &str,
) -> (tempfile::TempDir, Result<Config, ConfigError>) {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("wording")).expect("mkdir");
    for (name, text) in files {
        std::fs::write(dir.path().join("wording").join(name), text).expect("write");
    }
    let yaml = format!("{MINIMAL}ui:\n  i18n_dir: wording\n{ui}");
    let result = load_str_with_env(&yaml, &dir.path().join("gate.yaml"), &env);
    (dir, result)
}

#[test]
fn wording_from_a_directory_beside_the_file() {
    let (_dir, config) = with_wording(
        &[("en.json", r#"{"challenge.submit": "Check"}"#)],
        "  default_locale: en\n",
    );
    let config = config.expect("loads");
    let en = config.ui.default_locale;
    assert_eq!(
        (en.as_str(), crate::i18n::t(en, "challenge.submit")),
        ("en", "Check")
    );
    assert_eq!(format!("{:?}", config.ui.languages), r#"["en", "ja"]"#);
}

#[test]
fn bad_wording_names_the_file_and_the_field() {
    let (dir, result) = with_wording(&[("ja.json", "{\"challenge.title\": 1}")], "");
    let e = result.expect_err("bad JSON");
    let shown = e.to_string();
    assert_eq!(e.field(), Some("ui.i18n_dir"), "{shown}");
    let file = dir.path().join("wording").join("ja.json");
    assert!(
        shown.starts_with(&format!("{}: line 1", file.display())),
        "{shown}"
    );
    let (_dir, result) = with_wording(&[("de.json", r#"{"lang.name": "Deutsch"}"#)], "");
    let shown = result.expect_err("incomplete").to_string();
    assert!(
        shown.contains("de.json") && shown.contains("missing: anon.body"),
        "{shown}"
    );
    let (_dir, result) = with_wording(&[], "  default_locale: de\n");
    let shown = result.expect_err("no de").to_string();
    assert!(shown.contains("field `ui.default_locale`"), "{shown}");
    let dir = tempfile::tempdir().expect("tempdir");
    let yaml = format!("{MINIMAL}ui:\n  i18n_dir: nowhere\n");
    let shown = load_str_with_env(&yaml, &dir.path().join("gate.yaml"), &env)
        .expect_err("no directory")
        .to_string();
    assert!(
        shown.contains("nowhere") && shown.contains("cannot read the directory"),
        "{shown}"
    );
}
