//! An operator's wording directory (`ui.i18n_dir`).

use super::super::*;
use std::path::Path;

fn dir(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).expect("write");
    }
    dir
}

fn error(files: &[(&str, &str)]) -> (String, WordingError) {
    let d = dir(files);
    let e = load_wording(d.path()).expect_err("an error");
    let name = e.file.file_name().map(|n| n.to_string_lossy().into_owned());
    (name.unwrap_or_default(), e)
}

#[test]
fn wording_replaces_the_messages_it_names() {
    let d = dir(&[
        ("en.json", r#"{"challenge.submit": "Check my code"}"#),
        ("..data", "not read"),
        ("README.txt", "not read"),
    ]);
    let languages = load_wording(d.path()).expect("loads");
    let en = languages.get("en").expect("en");
    assert_eq!(t(en, "challenge.submit"), "Check my code");
    assert_eq!(t(en, "challenge.title"), "Two-step verification");
    let ja = languages.get("ja").expect("ja");
    assert_eq!(
        ja.message("challenge.submit"),
        Locale::built_in("ja").and_then(|l| l.message("challenge.submit"))
    );
    // The same wording read again is the same language (interned once).
    let again = load_wording(d.path()).expect("loads");
    assert_eq!(again, languages);
    assert!(std::ptr::eq(
        t(again.get("en").expect("en"), "challenge.submit"),
        t(en, "challenge.submit")
    ));
}

#[test]
fn a_complete_new_file_adds_a_language() {
    let en = Locale::built_in("en").expect("en");
    let mut full: std::collections::BTreeMap<String, String> = Default::default();
    for key in super::super::language::known_keys() {
        full.insert(key.to_owned(), format!("[{}]", t(en, key)));
    }
    full.insert("lang.name".into(), "Deutsch".into());
    let text = serde_json::to_string(&full).expect("json");
    let d = dir(&[("de.json", &text)]);
    let languages = load_wording(d.path()).expect("loads");
    let de = languages.get("de").expect("de is offered");
    assert_eq!(t(de, "lang.name"), "Deutsch");
    let tags: Vec<_> = languages.iter().map(|l| l.as_str()).collect();
    assert_eq!(tags, ["de", "en", "ja"]);
}

#[test]
fn an_incomplete_new_language_names_the_missing_keys() {
    let (file, e) = error(&[("de.json", r#"{"lang.name": "Deutsch"}"#)]);
    assert_eq!(file, "de.json");
    assert!(e.message.contains("new language"), "{}", e.message);
    assert!(e.message.contains("anon.title"), "{}", e.message);
    assert!(e.message.contains("more"), "{}", e.message);
}

#[test]
fn unknown_keys_blank_messages_and_bad_json_name_the_file() {
    let (file, e) = error(&[("en.json", r#"{"challenge.titel": "Hi"}"#)]);
    assert_eq!(file, "en.json");
    assert_eq!(e.message, "unknown message keys: challenge.titel");
    let (_, e) = error(&[("ja.json", r#"{"challenge.title": "  "}"#)]);
    assert_eq!(e.message, "blank messages: challenge.title");
    let (file, e) = error(&[("ja.json", "{\n  \"challenge.title\": 3\n}")]);
    assert_eq!(file, "ja.json");
    assert_eq!((e.line, e.column.is_some()), (Some(2), true));
    let (file, e) = error(&[("en us.json", "{}")]);
    assert_eq!(file, "en us.json");
    assert!(e.message.contains("language tag"), "{}", e.message);
    let missing = load_wording(Path::new("/no/such/dir")).expect_err("no dir");
    assert!(missing.message.contains("cannot read the directory"));
}

#[test]
fn a_tag_in_capitals_is_the_built_in_language() {
    let d = dir(&[("EN.json", r#"{"challenge.submit": "Go"}"#)]);
    let languages = load_wording(d.path()).expect("loads");
    assert_eq!(
        languages.iter().count(),
        Languages::built_in().iter().count()
    );
    assert_eq!(
        t(languages.get("en").expect("en"), "challenge.submit"),
        "Go"
    );
}
