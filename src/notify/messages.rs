//! The words of a notification email, from the page catalogs
//! (`pages/i18n/*.json`, keys `notify.*`, whose parity test covers both
//! languages): subject, what happened, when, from where, and what to do if
//! it was not the person. Never a code, a secret, a cookie or a password:
//! the notice holds none.

use crate::config::{Languages, Locale};
use crate::domain::{Notice, NoticeKind};
use crate::i18n::t;

/// A message ready to send: subject, plain text, and its lines for HTML.
pub struct Words {
    /// The language of the words (the HTML's `lang`, which also picks a
    /// Japanese font in mail clients and screen readers' voice).
    pub lang: Locale,
    pub subject: String,
    /// Paragraphs, in order.
    pub lines: Vec<String>,
}

impl Words {
    pub fn text(&self) -> String {
        let mut text = self.lines.join("\n\n");
        text.push('\n');
        text
    }

    pub fn html(&self) -> String {
        maud::html! {
            (maud::DOCTYPE)
            html lang=(self.lang.as_str()) {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                }
                body style="font-family: sans-serif; max-width: 36em" {
                    @for line in &self.lines { p { (line) } }
                }
            }
        }
        .into_string()
    }
}

/// The language a notice was asked in, among `languages` (the page's
/// language when the event happened; the last resort if no longer offered).
pub fn locale(lang: &str, languages: &Languages) -> Locale {
    languages.get(lang).unwrap_or_else(Locale::last_resort)
}

/// The message telling about `notice` in its language, naming `app`.
pub fn words(notice: &Notice, app: &str, languages: &Languages) -> Words {
    let l = locale(&notice.whence.lang, languages);
    let fill = |key: &str| {
        t(l, key)
            .replace("{app}", app)
            .replace("{account}", &notice.account)
            .replace("{left}", &notice.codes_left.unwrap_or(0).to_string())
            .replace("{note}", &notice.note)
            .replace("{time}", &when(notice.at))
    };
    let kind = notice.kind.as_str();
    let mut lines = vec![
        fill("notify.greeting"),
        fill(&format!("notify.body.{kind}")),
        fill("notify.when"),
    ];
    if let Some(r) = notice.repeats {
        let line = fill("notify.repeats")
            .replace("{count}", &r.count.to_string())
            .replace("{since}", &when(r.since));
        lines.push(line);
    }
    if let Some(ip) = &notice.whence.ip {
        lines.push(fill("notify.ip").replace("{ip}", ip));
    }
    if let Some(browser) = &notice.whence.browser {
        lines.push(fill("notify.browser").replace("{browser}", browser));
    }
    if notice.whence.actor == crate::domain::AuditEvent::SUPPORT {
        lines.push(fill("notify.by_support"));
    }
    if notice.kind != NoticeKind::PolicyChanged {
        lines.push(fill("notify.not_you"));
    }
    lines.push(fill("notify.footer"));
    Words {
        lang: l,
        subject: fill(&format!("notify.subject.{kind}")),
        lines,
    }
}

/// Unix seconds as `2025-01-31 09:00 UTC`.
fn when(at: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    time::OffsetDateTime::from_unix_timestamp(at)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_else(|| format!("@{at}"))
}

#[cfg(test)]
mod tests;
