//! The choice of language for a page: the switch (`?lang=` or its
//! cookie), then the browser's `Accept-Language` with a fallback chain
//! (`en-GB` → `en`), then `ui.default_locale` (always one of the offered
//! languages: the configuration checks it). Only pages pay for this: an
//! app request that is forwarded never reads the header.

use super::language::{Languages, Locale};

/// At most this many language ranges are read from one header.
const MAX_RANGES: usize = 16;

/// The language for a page.
pub fn choose(
    languages: &Languages,
    switch: Option<&str>,
    accept_language: Option<&str>,
    default: Locale,
) -> Locale {
    switch
        .and_then(|tag| languages.get(tag))
        .or_else(|| accept_language.and_then(|header| from_header(languages, header)))
        .unwrap_or(default)
}

/// The most preferred range of `header` that an offered language matches,
/// by RFC 4647 lookup: `en-GB` is tried, then `en`. A range with `q=0` is
/// refused, `*` leaves the choice to the default, and an item that does not
/// read (bad `q`, bad characters) is skipped.
fn from_header(languages: &Languages, header: &str) -> Option<Locale> {
    let mut ranges: Vec<(f32, &str)> = header
        .split(',')
        .take(MAX_RANGES)
        .filter_map(range)
        .filter(|(q, tag)| *q > 0.0 && *tag != "*")
        .collect();
    // Stable: ranges of equal weight keep the header's order.
    ranges.sort_by(|a, b| b.0.total_cmp(&a.0));
    ranges
        .into_iter()
        .find_map(|(_, tag)| lookup(languages, tag))
}

/// One item, `tag` or `tag;q=0.5`.
fn range(item: &str) -> Option<(f32, &str)> {
    let mut parts = item.split(';');
    let tag = parts.next()?.trim();
    let tag_reads = !tag.is_empty()
        && tag.len() <= 35
        && tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '*');
    if !tag_reads {
        return None;
    }
    let mut q = 1.0;
    for param in parts {
        let (name, value) = param.split_once('=')?;
        if name.trim().eq_ignore_ascii_case("q") {
            q = value.trim().parse::<f32>().ok()?;
        }
    }
    (0.0..=1.0).contains(&q).then_some((q, tag))
}

/// `en-GB-x` → `en-GB` → `en`, the first one offered.
fn lookup(languages: &Languages, mut tag: &str) -> Option<Locale> {
    loop {
        if let Some(found) = languages.get(tag) {
            return Some(found);
        }
        tag = &tag[..tag.rfind('-')?];
    }
}
