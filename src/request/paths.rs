//! Path hygiene: the decoded path that bypass rules and the `/_mfa/`
//! prefix are matched against, and the sanitizing of `return_to` so that a
//! redirect never leaves the site. Pure functions, no I/O.
//!
//! The gateway forwards the request target exactly as it was sent, so it
//! may match a rule only against a path that every server reads the same
//! way. gunicorn, waitress, hypercorn and node's `http` do not resolve dot
//! segments: to a Flask `<path:…>` or Express `/*` route,
//! `/admin/../static/x` is an admin page. Forward-auth products have
//! shipped bypass CVEs from exactly such a mismatch (authentik
//! CVE-2024-47070, Authelia GHSA-68wm-pfjf-wqp6). So a path is *clear*
//! only when its target is already in normal form (see [`normalize`]);
//! any other path is *ambiguous*: never bypassed, never one of our pages,
//! judged like any protected app path. Whether the app would resolve it
//! is the app's business; the gateway does not guess in its favour.
//! SECURITY.md ("Paths") lists the rule and the corpus it is tested with.

use crate::config::BypassRule;
use percent_encoding::{AsciiSet, CONTROLS, percent_decode_str, utf8_percent_encode};

/// A request path as the app will act on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NormalPath {
    /// The percent-decoded path of a target in normal form.
    Clear(String),
    /// Not in normal form (see [`normalize`]): enforced like any app path,
    /// never bypassed, never one of our pages.
    Ambiguous,
}

impl NormalPath {
    pub fn as_clear(&self) -> Option<&str> {
        match self {
            NormalPath::Clear(p) => Some(p),
            NormalPath::Ambiguous => None,
        }
    }
}

/// The decoded path of `raw` (the path part of a request target, no
/// query) when `raw` is in normal form, else [`NormalPath::Ambiguous`].
///
/// Normal form: an absolute path whose segments hold no `.` or `..` (raw
/// or percent-encoded, in any case), no empty segment but a final one (a
/// trailing slash), no backslash, `;` or `#`, no control character, and
/// percent-escapes only of characters that need one: never of an
/// unreserved character (`A-Z a-z 0-9 - . _ ~`), `/`, `\`, `;`, `%` or a
/// control. The decoded path must be UTF-8 (no overlong forms) and hold no
/// fullwidth slash or dot segment that a Unicode-folding server could read
/// as `/` or `..`.
pub fn normalize(raw: &str) -> NormalPath {
    let decoded = match in_normal_form(raw) {
        None => return NormalPath::Ambiguous,
        // Nothing to decode: the target is the path.
        Some(Escapes::None) => std::borrow::Cow::Borrowed(raw),
        Some(Escapes::Some) => match percent_decode_str(raw).decode_utf8() {
            Ok(decoded) => decoded,
            Err(_) => return NormalPath::Ambiguous,
        },
    };
    if !decoded.is_ascii() && folds_to_a_separator(&decoded) {
        return NormalPath::Ambiguous;
    }
    NormalPath::Clear(decoded.into_owned())
}

/// Whether a target in normal form holds percent-escapes to decode.
enum Escapes {
    None,
    Some,
}

/// The byte-level half of [`normalize`]'s rule, on the target as sent, in
/// one pass: each segment is checked where its `/` or the end closes it.
/// `None` when the target is not in normal form.
fn in_normal_form(raw: &str) -> Option<Escapes> {
    let bytes = raw.as_bytes();
    if bytes.first() != Some(&b'/') {
        return None;
    }
    let mut escapes = Escapes::None;
    let mut segment = 1;
    let mut i = 1;
    while i < bytes.len() {
        match bytes[i] {
            // An empty segment before a `/`, or a dot segment.
            b'/' if matches!(&bytes[segment..i], b"" | b"." | b"..") => return None,
            b'/' => {
                segment = i + 1;
                i += 1;
            }
            b'%' => match bytes.get(i + 1..i + 3).and_then(hex_byte) {
                Some(b) if !needs_no_escape(b) => {
                    escapes = Escapes::Some;
                    i += 3;
                }
                _ => return None,
            },
            b'\\' | b';' | b'#' => return None,
            b if b.is_ascii_control() => return None,
            _ => i += 1,
        }
    }
    // The last segment may be empty (a trailing slash), not a dot segment.
    (!matches!(&bytes[segment..], b"." | b"..")).then_some(escapes)
}

/// The byte two hex digits stand for.
fn hex_byte(digits: &[u8]) -> Option<u8> {
    let value = |d: u8| (d as char).to_digit(16);
    Some((value(digits[0])? * 16 + value(digits[1])?) as u8)
}

/// A byte whose percent-escape is refused: the escape only hides it (an
/// unreserved character, which the app may decode before or after
/// routing), or it changes how the path splits (`/`, `\`, `;`), or it is
/// double encoding (`%`), or a control.
fn needs_no_escape(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/' | b'\\' | b';' | b'%')
        || b.is_ascii_control()
}

/// A fullwidth or compatibility slash, or a segment of compatibility dots:
/// servers that fold Unicode (NFKC) read them as `/` and `.`/`..`.
fn folds_to_a_separator(decoded: &str) -> bool {
    const DOTS: [char; 4] = ['\u{FF0E}', '\u{FE52}', '\u{2024}', '\u{2025}'];
    const SLASHES: [char; 5] = ['\u{FF0F}', '\u{FF3C}', '\u{FE68}', '\u{2215}', '\u{29F8}'];
    decoded.contains(SLASHES)
        || decoded.split('/').any(|segment| {
            !segment.is_empty() && segment.chars().all(|c| c == '.' || DOTS.contains(&c))
        })
        || decoded.chars().any(char::is_control)
}

/// Whether a normalized path matches one of the bypass rules.
pub fn is_bypassed(path: &NormalPath, rules: &[BypassRule]) -> bool {
    let Some(path) = path.as_clear() else {
        return false;
    };
    rules.iter().any(|rule| match rule {
        BypassRule::Exact(p) => path == p,
        // `/static/*`: below `/static/` only. `/static` itself is another
        // route to the app (a page, a redirect), and is judged.
        BypassRule::Prefix(p) => {
            path.starts_with(p.as_str()) && path.as_bytes().get(p.len()) == Some(&b'/')
        }
    })
}

/// Whether a bypass path's `query` keeps it a bypass: no query, or one
/// whose every parameter is one of `allowed` (`bypass_query`). A front
/// controller may route on the query (Drupal's `?q=admin/people`,
/// WordPress's `?p=123&preview=true` under `/wp-content/`), so any other
/// parameter, a `;` (an old separator some parsers still split on) or a
/// name that is not `allowed` once decoded makes the path judged.
pub fn query_keeps_bypass(query: Option<&str>, allowed: &[String]) -> bool {
    let Some(query) = query else {
        return true;
    };
    !query.contains(';')
        && form_urlencoded::parse(query.as_bytes())
            .all(|(name, _)| allowed.iter().any(|a| *a == name))
}

/// The page path below our prefix (`/_mfa/enroll` → `/enroll`), if this
/// normalized path is one of ours.
pub fn strip_prefix<'a>(path: &'a NormalPath, prefix: &str) -> Option<&'a str> {
    let rest = path.as_clear()?.strip_prefix(prefix)?;
    if rest.is_empty() || rest.starts_with('/') {
        Some(rest)
    } else {
        None
    }
}

const MAX_RETURN_TO: usize = 2048;

/// Percent-encoded when a normalized path goes back into a URL.
const PATH_ESCAPES: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'\\')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// A same-site relative URL built from `raw`'s decoded path (plus its
/// query and fragment) when that path is clear, else `/`. Our own pages
/// are refused but the returnable ones (the settings pages). Since a clear
/// path has no dot segments, no duplicate slashes, no backslash and no
/// encoded slash, the result never starts with `//` or `/\`, and holds no
/// control character or space: it is safe in a `Location` header whatever
/// the app behind does with a `//host` path.
pub fn safe_return_to(raw: &str, prefix: &str) -> String {
    let printable = raw.bytes().all(|b| (0x21..0x7f).contains(&b) && b != b'\\');
    if raw.len() > MAX_RETURN_TO || !printable || !raw.starts_with('/') || raw.starts_with("//") {
        return "/".to_owned();
    }
    let split = raw.find(['?', '#']).unwrap_or(raw.len());
    let (path, rest) = raw.split_at(split);
    let normal = normalize(path);
    let Some(clear) = normal.as_clear() else {
        return "/".to_owned();
    };
    // Of our own pages, only those a flow may return to (the settings page
    // starts an enrollment) are a `return_to`; `Route` knows which.
    let ours = |below: &str| crate::request::route::Route::parse(below).is_returnable();
    if strip_prefix(&normal, prefix).is_some_and(|r| !ours(r)) {
        return "/".to_owned();
    }
    let out = format!("{}{rest}", utf8_percent_encode(clear, PATH_ESCAPES));
    if out.starts_with("//") || out.starts_with("/\\") || !out.starts_with('/') {
        return "/".to_owned();
    }
    out
}

/// Value of a query parameter, percent-decoded.
pub fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    form_urlencoded::parse(query?.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// `base?return_to=…` with the value form-encoded.
pub fn with_return_to(base: &str, return_to: &str) -> String {
    if return_to == "/" {
        return base.to_owned();
    }
    let q: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("return_to", return_to)
        .finish();
    format!("{base}?{q}")
}

#[cfg(test)]
mod tests;
