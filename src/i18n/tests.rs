//! Unit tests of `i18n`: the catalogs, the choice of language and an
//! operator's wording.

use super::language::{Catalog, built_in_texts};
use super::*;
use std::collections::BTreeSet;

fn parsed() -> Vec<(&'static str, Catalog)> {
    built_in_texts()
        .iter()
        .map(|(tag, text)| {
            let catalog = serde_json::from_str(text)
                .unwrap_or_else(|e| panic!("pages/i18n/{tag}.json does not parse: {e}"));
            (*tag, catalog)
        })
        .collect()
}

/// Every file in `pages/i18n/` is compiled in, and each has every key any
/// other has, with no blank message.
#[test]
fn every_catalog_has_every_key() {
    let catalogs = parsed();
    let tags: Vec<&str> = catalogs.iter().map(|(t, _)| *t).collect();
    let on_disk: BTreeSet<String> =
        std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/pages/i18n"))
            .expect("pages/i18n")
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter_map(|n| n.strip_suffix(".json").map(str::to_owned))
            .collect();
    assert_eq!(
        tags.iter().map(|t| t.to_string()).collect::<BTreeSet<_>>(),
        on_disk
    );
    assert!(tags.contains(&"ja") && tags.contains(&"en"), "{tags:?}");
    let all: BTreeSet<&String> = catalogs.iter().flat_map(|(_, c)| c.keys()).collect();
    for (tag, catalog) in &catalogs {
        let missing: Vec<_> = all.iter().filter(|k| !catalog.contains_key(**k)).collect();
        assert!(
            missing.is_empty(),
            "keys missing in {tag}.json: {missing:?}"
        );
        for (k, v) in catalog {
            assert!(!v.trim().is_empty(), "empty message {k} in {tag}.json");
        }
        assert_eq!(Locale::built_in(tag).map(|l| l.as_str()), Some(*tag));
    }
}

/// The English pages show no Japanese (the role names of the seed product
/// were once quoted on the "Not allowed" page).
#[test]
fn english_messages_are_in_english() {
    let (_, en) = parsed().into_iter().find(|(t, _)| *t == "en").expect("en");
    let japanese = |c: char| matches!(c, '\u{3040}'..='\u{30ff}' | '\u{4e00}'..='\u{9fff}');
    let mixed: Vec<&String> = en
        .iter()
        .filter(|(_, v)| v.chars().any(japanese))
        .map(|(k, _)| k)
        .collect();
    assert!(mixed.is_empty(), "Japanese in en.json: {mixed:?}");
}

fn built(tag: &str) -> Locale {
    Locale::built_in(tag).expect(tag)
}

#[test]
fn language_choice() {
    let all = Languages::built_in();
    let (ja, en) = (built("ja"), built("en"));
    let check = |switch: Option<&str>, header: Option<&str>, default: Locale, want: Locale| {
        assert_eq!(
            choose(&all, switch, header, default),
            want,
            "{switch:?} {header:?}"
        );
    };
    check(None, None, ja, ja);
    check(None, Some("en-US,en;q=0.9"), ja, en);
    check(None, Some("fr, en;q=0.5, ja;q=0.8"), en, ja);
    check(None, Some("fr"), en, en);
    check(None, Some("ja;q=0, en;q=0.1"), ja, en);
    check(Some("en"), Some("ja"), ja, en);
    check(Some("xx"), Some("ja"), en, ja);
    check(Some("EN"), None, ja, en);
    check(None, Some(";;;,,,q=abc"), ja, ja);
    // The fallback chain: a region, then its language.
    check(None, Some("en-GB"), ja, en);
    check(None, Some("en-Latn-GB;q=0.9, ja;q=0.8"), ja, en);
    // Equal weights keep the header's order; `*` and bad q leave it.
    check(None, Some("en, ja"), ja, en);
    check(None, Some("*, ja;q=0.5"), en, ja);
    check(None, Some("ja;q=2, en;q=0.3"), ja, en);
    check(None, Some("ja;q=x"), en, en);
    check(None, Some("en;level=1;q=0.4, ja;q=0.3"), ja, en);
}

#[test]
fn the_last_resort_is_japanese() {
    assert_eq!(Locale::last_resort().as_str(), LAST_RESORT);
    assert_eq!(t(built("en"), "lang.name"), "English");
    assert_eq!(t(built("ja"), "no.such.key"), "");
}

mod wording;
