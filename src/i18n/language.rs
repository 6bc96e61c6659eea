//! The languages pages can be shown in: `Language` (a tag and its
//! messages), `Locale` (a cheap handle on one, chosen per page) and
//! `Languages` (the set a configuration offers). The built-in set is every
//! `pages/i18n/*.json`, listed by `build.rs`; an operator's wording
//! (`ui.i18n_dir`, `overrides.rs`) makes another set.
//!
//! A `Locale` is a `&'static Language` so that `t` can hand out
//! `&'static str` as it always did. Built-in languages are statics; an
//! operator's languages are interned: leaked once per distinct content, so
//! reloading the same configuration keeps using the same memory and only a
//! changed wording costs a new copy (a few kilobytes per edit).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, OnceLock};

include!(concat!(env!("OUT_DIR"), "/catalogs.rs"));

/// Message key → text.
pub type Catalog = HashMap<String, String>;

/// The last language of the fallback chain (`en-GB` → `en` →
/// `ui.default_locale` → this).
pub const LAST_RESORT: &str = "ja";

/// One language: its tag (the catalog's file name) and its messages.
#[derive(PartialEq, Eq)]
pub struct Language {
    tag: String,
    messages: Catalog,
}

/// The language a page is shown in.
#[derive(Clone, Copy)]
pub struct Locale(&'static Language);

impl Locale {
    /// The language tag, as in `<html lang>`, the `mfa_lang` cookie and
    /// `?lang=`.
    pub fn as_str(self) -> &'static str {
        &self.0.tag
    }

    /// The message `key`, if the catalog has it.
    pub fn message(self, key: &str) -> Option<&'static str> {
        self.0.messages.get(key).map(String::as_str)
    }

    /// The built-in language `tag` (no operator wording): for
    /// notifications and tests.
    pub fn built_in(tag: &str) -> Option<Locale> {
        find(built_in(), tag)
    }

    /// The built-in last resort of the fallback chain.
    pub fn last_resort() -> Locale {
        static EMPTY: OnceLock<Language> = OnceLock::new();
        Locale::built_in(LAST_RESORT)
            .or_else(|| built_in().first().copied())
            .unwrap_or_else(|| {
                Locale(EMPTY.get_or_init(|| Language {
                    tag: LAST_RESORT.to_owned(),
                    messages: Catalog::new(),
                }))
            })
    }
}

impl PartialEq for Locale {
    fn eq(&self, other: &Self) -> bool {
        self.0.tag == other.0.tag
    }
}

impl Eq for Locale {}

impl std::fmt::Debug for Locale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Locale({})", self.0.tag)
    }
}

/// The languages a configuration offers, ordered by tag.
#[derive(Clone, PartialEq, Eq)]
pub struct Languages(Vec<Locale>);

impl Languages {
    /// Every catalog compiled in, with its own wording.
    pub fn built_in() -> Languages {
        Languages(built_in().to_vec())
    }

    /// The built-in languages with `wording` laid over them: a tag known
    /// already takes the given messages over its own, a new tag is a new
    /// language (its catalog is complete: `overrides.rs` checked it).
    pub fn with_wording(wording: BTreeMap<String, Catalog>) -> Languages {
        let mut languages: BTreeMap<String, Catalog> = built_in()
            .iter()
            .map(|l| (l.0.tag.clone(), l.0.messages.clone()))
            .collect();
        for (tag, messages) in wording {
            languages.entry(tag).or_default().extend(messages);
        }
        Languages(
            languages
                .into_iter()
                .map(|(tag, messages)| Locale(intern(Language { tag, messages })))
                .collect(),
        )
    }

    /// The language `tag` (ASCII case ignored), if offered.
    pub fn get(&self, tag: &str) -> Option<Locale> {
        find(&self.0, tag)
    }

    pub fn iter(&self) -> impl Iterator<Item = Locale> + '_ {
        self.0.iter().copied()
    }
}

impl std::fmt::Debug for Languages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|l| l.as_str()))
            .finish()
    }
}

/// Every key the built-in catalogs know (each has all of them: a unit test
/// says so).
pub fn known_keys() -> impl Iterator<Item = &'static str> {
    built_in()
        .iter()
        .flat_map(|l| l.0.messages.keys().map(String::as_str))
}

fn find(list: &[Locale], tag: &str) -> Option<Locale> {
    list.iter()
        .copied()
        .find(|l| l.0.tag.eq_ignore_ascii_case(tag))
}

fn built_in() -> &'static [Locale] {
    static BUILT_IN: OnceLock<Vec<Locale>> = OnceLock::new();
    BUILT_IN.get_or_init(|| {
        CATALOGS
            .iter()
            .map(|(tag, text)| {
                // The catalogs are part of the binary and checked by tests;
                // a broken one degrades to showing keys rather than failing
                // a request.
                let messages = serde_json::from_str(text).unwrap_or_default();
                let language = Language {
                    tag: (*tag).to_owned(),
                    messages,
                };
                Locale(Box::leak(Box::new(language)))
            })
            .collect()
    })
}

/// The one copy of `language` (see the module's note on memory).
fn intern(language: Language) -> &'static Language {
    static INTERNED: Mutex<Vec<&'static Language>> = Mutex::new(Vec::new());
    if let Some(builtin) = built_in().iter().find(|l| *l.0 == language) {
        return builtin.0;
    }
    let mut interned = INTERNED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(known) = interned.iter().find(|l| ***l == language) {
        return known;
    }
    let leaked: &'static Language = Box::leak(Box::new(language));
    interned.push(leaked);
    leaked
}

/// The raw text of the built-in catalogs, for the tests.
#[cfg(test)]
pub(super) fn built_in_texts() -> &'static [(&'static str, &'static str)] {
    CATALOGS
}
