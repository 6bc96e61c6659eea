//! Message catalogs (ja, en) embedded from `pages/i18n/*.json` at build
//! time, and the choice of language for a request: the `mfa_lang` cookie
//! set by the switch on every page, then `Accept-Language`, then the
//! configured default. Users only ever see catalog text.

use crate::config::Locale;
use std::collections::HashMap;
use std::sync::OnceLock;

const EN: &str = include_str!("../pages/i18n/en.json");
const JA: &str = include_str!("../pages/i18n/ja.json");

/// Name of the cookie remembering the language switch.
pub use crate::request::cookies::LANG_COOKIE;

type Catalog = HashMap<String, String>;

fn catalogs() -> &'static (Catalog, Catalog) {
    static CATALOGS: OnceLock<(Catalog, Catalog)> = OnceLock::new();
    CATALOGS.get_or_init(|| (parse(EN), parse(JA)))
}

fn parse(text: &str) -> Catalog {
    // The catalogs are part of the binary and checked by tests; a broken one
    // degrades to showing keys rather than failing a request.
    serde_json::from_str(text).unwrap_or_default()
}

/// The message `key` in `locale`; empty (and a warning logged) if missing —
/// a test keeps the two catalogs complete.
pub fn t(locale: Locale, key: &str) -> &'static str {
    let (en, ja) = catalogs();
    let catalog = match locale {
        Locale::En => en,
        Locale::Ja => ja,
    };
    match catalog.get(key) {
        Some(s) => s.as_str(),
        None => {
            tracing::warn!(key, "missing message");
            ""
        }
    }
}

/// `t` with `{name}` placeholders filled.
pub fn tf(locale: Locale, key: &str, args: &[(&str, &str)]) -> String {
    let mut s = t(locale, key).to_owned();
    for (name, value) in args {
        s = s.replace(&format!("{{{name}}}"), value);
    }
    s
}

/// The language for a request.
pub fn choose(lang_cookie: Option<&str>, accept_language: Option<&str>, default: Locale) -> Locale {
    if let Some(l) = lang_cookie.and_then(Locale::parse) {
        return l;
    }
    let Some(header) = accept_language else {
        return default;
    };
    let mut best: Option<(f32, Locale)> = None;
    for item in header.split(',').take(16) {
        let mut parts = item.trim().split(';');
        let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .find_map(|p| p.trim().strip_prefix("q="))
            .and_then(|q| q.parse::<f32>().ok())
            .unwrap_or(1.0);
        let primary = tag.split('-').next().unwrap_or("");
        let Some(locale) = Locale::parse(primary) else {
            continue;
        };
        if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
            best = Some((q, locale));
        }
    }
    best.map_or(default, |(_, l)| l)
}

#[cfg(test)]
mod tests;
