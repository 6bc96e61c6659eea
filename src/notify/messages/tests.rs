//! Unit tests of `notify::messages`.

use super::*;
use crate::domain::Whence;

fn notice(kind: NoticeKind, lang: &str) -> Notice {
    Notice {
        id: 1,
        kind,
        at: 1_700_000_000,
        company: "acme".into(),
        person: Some("bob".into()),
        account: "bob@acme.example".into(),
        whence: Whence {
            actor: "bob@acme.example".into(),
            ip: Some("192.0.2.7".into()),
            browser: Some("Firefox · Linux".into()),
            request_id: None,
            lang: lang.into(),
        },
        codes_left: Some(3),
        note: String::new(),
        repeats: None,
    }
}

/// Every event has its words in both languages, with the time, the
/// address and the browser, and no placeholder left unfilled.
#[test]
fn every_event_reads_in_both_languages() {
    for kind in NoticeKind::ALL {
        for lang in ["ja", "en"] {
            let w = words(&notice(kind, lang), "Acme App", &Languages::built_in());
            let text = w.text();
            assert!(!w.subject.is_empty(), "{kind:?} {lang}");
            assert!(!text.contains('{'), "{kind:?} {lang}: {text}");
            assert!(text.contains("2023-11-14 22:13 UTC"), "{text}");
            assert!(text.contains("192.0.2.7") && text.contains("Firefox"));
        }
    }
    let used = words(
        &notice(NoticeKind::BackupCodeUsed, "en"),
        "Acme App",
        &Languages::built_in(),
    );
    assert!(used.text().contains('3'));
    assert!(used.html().contains("<p>"));
}

/// A message that tells several events says how many and since when.
#[test]
fn repeats_are_told_with_their_count_and_first_time() {
    for lang in ["ja", "en"] {
        let mut n = notice(NoticeKind::BrowserRemembered, lang);
        let single = words(&n, "Acme App", &Languages::built_in()).text();
        n.repeats = Some(crate::domain::Repeats {
            count: 29,
            since: 1_699_999_000,
        });
        let text = words(&n, "Acme App", &Languages::built_in()).text();
        assert!(!single.contains("29"), "{single}");
        assert!(text.contains("29"), "{lang}: {text}");
        assert!(text.contains("2023-11-14 21:56 UTC"), "{lang}: {text}");
        assert!(!text.contains('{'), "{lang}: {text}");
    }
}

/// An email is worded in the operator's wording of its language, and a
/// language no longer offered falls back to the last resort (Japanese).
#[test]
fn emails_use_the_operators_wording() {
    let en_words = std::collections::HashMap::from([(
        "notify.body.unlocked".to_owned(),
        "Acme support unlocked your account.".to_owned(),
    )]);
    let wording = std::collections::BTreeMap::from([("en".to_owned(), en_words)]);
    let languages = Languages::with_wording(wording);
    let en = words(&notice(NoticeKind::Unlocked, "en"), "Acme App", &languages);
    assert!(
        en.text().contains("Acme support unlocked your account."),
        "{}",
        en.text()
    );
    let gone = words(&notice(NoticeKind::Unlocked, "de"), "Acme App", &languages);
    assert_eq!(gone.lang.as_str(), "ja");
}
