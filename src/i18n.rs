//! The message catalogs and the choice of language. Every
//! `pages/i18n/<lang>.json` is compiled in (`build.rs` lists them, so adding
//! a language is dropping in one file); an operator may lay their own
//! wording over them (`ui.i18n_dir`). A page's language is the switch on
//! every page (`?lang=`, then its `mfa_lang` cookie), then
//! `Accept-Language`, then the configured default. Users only ever see
//! catalog text.

mod accept;
mod language;
mod overrides;

pub use accept::choose;
pub use language::{LAST_RESORT, Languages, Locale};
pub use overrides::{WordingError, load_wording};

/// Name of the cookie remembering the language switch.
pub use crate::request::cookies::LANG_COOKIE;

/// The message `key` in `locale`; empty (and a warning logged) if missing —
/// a test keeps every catalog complete, and an operator's wording is
/// checked when the configuration is read.
pub fn t(locale: Locale, key: &str) -> &'static str {
    match locale.message(key) {
        Some(s) => s,
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

#[cfg(test)]
mod tests;
