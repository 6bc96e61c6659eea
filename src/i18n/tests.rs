//! Unit tests of `i18n`.

use super::*;

#[test]
fn catalogs_parse_and_have_the_same_keys() {
    let en: Catalog = serde_json::from_str(EN).expect("en.json parses");
    let ja: Catalog = serde_json::from_str(JA).expect("ja.json parses");
    let mut missing_ja: Vec<_> = en.keys().filter(|k| !ja.contains_key(*k)).collect();
    let mut missing_en: Vec<_> = ja.keys().filter(|k| !en.contains_key(*k)).collect();
    missing_ja.sort();
    missing_en.sort();
    assert!(
        missing_ja.is_empty(),
        "keys missing in ja.json: {missing_ja:?}"
    );
    assert!(
        missing_en.is_empty(),
        "keys missing in en.json: {missing_en:?}"
    );
    for (k, v) in en.iter().chain(ja.iter()) {
        assert!(!v.trim().is_empty(), "empty message {k}");
    }
}

/// The English pages show no Japanese (the role names of the seed product
/// were once quoted on the "Not allowed" page), but for the language
/// switch, which names Japanese in Japanese.
#[test]
fn english_messages_are_in_english() {
    let en: Catalog = serde_json::from_str(EN).expect("en.json parses");
    let japanese = |c: char| matches!(c, '\u{3040}'..='\u{30ff}' | '\u{4e00}'..='\u{9fff}');
    let mixed: Vec<&String> = en
        .iter()
        .filter(|(k, v)| *k != "lang.switch" && v.chars().any(japanese))
        .map(|(k, _)| k)
        .collect();
    assert!(mixed.is_empty(), "Japanese in en.json: {mixed:?}");
}

#[test]
fn language_choice() {
    use Locale::*;
    assert_eq!(choose(None, None, Ja), Ja);
    assert_eq!(choose(None, Some("en-US,en;q=0.9"), Ja), En);
    assert_eq!(choose(None, Some("fr, en;q=0.5, ja;q=0.8"), En), Ja);
    assert_eq!(choose(None, Some("fr"), En), En);
    assert_eq!(choose(None, Some("ja;q=0, en;q=0.1"), Ja), En);
    assert_eq!(choose(Some("en"), Some("ja"), Ja), En);
    assert_eq!(choose(Some("xx"), Some("ja"), En), Ja);
    assert_eq!(choose(None, Some(";;;,,,q=abc"), Ja), Ja);
}
