//! One reading of a request's `Cookie` headers: the app's session cookie,
//! mfa-gate's own cookie and the language cookie, read once, the same way
//! the app will read them — or not at all.
//!
//! The gateway decides on the session the *app* will serve. Frameworks
//! differ in how they read a cookie name: Unicode whitespace trimmed
//! (Python's `str.strip`, the Rust `cookie` crate), quotes and `$`
//! attributes dropped, names percent-decoded and `.`/` `/`[` turned into `_`
//! (PHP), case folded (ASP.NET), `,` taken as a separator (RFC 2965
//! parsers), several `Cookie` headers joined. Any piece whose name could
//! read as the session cookie in one of those ways, but is not exactly
//! `name=value` with a plain value, makes the whole reading
//! [`SessionReading::Refused`]: the proxy answers 400. Two different
//! values of the session cookie are refused too: which one would the app
//! use? We never guess. No I/O.
//!
//! Several session cookies (`session_cookies`) are each read so; the
//! session value is then their `name=value`s in the configured order. A
//! prefix (`session_cookie_prefix`) refuses look-alikes of the prefix and
//! a second name that matches it: with `username-`, a request carrying
//! `username-a` and `username-b` could be read as either session.

use crate::config::{CookieName, SessionCookies, skeleton};

/// Name of the language cookie (`?lang=` sets it; the pages read it).
pub const LANG_COOKIE: &str = "mfa_lang";
/// Name of the remembered-browser cookie (`access::remember`).
pub const REMEMBER_COOKIE: &str = "mfa_remember";

/// How the app's session cookie reads in this request.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum SessionReading {
    /// No session cookie: anonymous as far as the app is concerned.
    #[default]
    Absent,
    /// Exactly one value, sent as a plain `name=value` (possibly repeated
    /// with the same value).
    Clear(String),
    /// A framework could read a session from this request that we cannot
    /// pin down: refuse the request.
    Refused(Refusal),
}

/// How each configured session cookie name reads, by its index.
type Readings = smallvec::SmallVec<[SessionReading; 2]>;

/// Why a session cookie reading was refused (for the log; the client sees
/// one fixed message).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Two different values of the session cookie.
    Duplicate,
    /// A name that is not the session cookie's, but that some framework
    /// reads as it (whitespace, quotes, case, encoding, `$`, `,`…).
    Disguised,
    /// The session cookie's value is not a plain cookie value (spaces,
    /// controls, non-ASCII, `,`, `\`, stray quotes).
    Unreadable,
}

impl Refusal {
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::Duplicate => "duplicate_session_cookie",
            Refusal::Disguised => "disguised_session_cookie",
            Refusal::Unreadable => "unreadable_session_cookie",
        }
    }
}

/// The cookies of one request that matter to mfa-gate.
#[derive(Debug, Default, PartialEq)]
pub struct RequestCookies {
    pub session: SessionReading,
    /// mfa-gate's own cookie (only we read it: the first plain one wins).
    pub gateway: Option<String>,
    /// The language switch's cookie.
    pub lang: Option<String>,
    /// The remembered-browser cookie (only we read it: the first plain
    /// one wins).
    pub remember: Option<String>,
}

/// The names to look for.
pub struct CookieNames<'a> {
    /// The app's session cookie(s), when identity is read by whoami, or
    /// the SSO front's session cookie; `None` when no cookie identifies a
    /// session.
    pub session: Option<&'a SessionCookies>,
    /// The request's `Host` (a prefix session is bound to it, see
    /// `SessionCookies`).
    pub host: Option<&'a str>,
    pub gateway: &'a str,
    pub lang: &'a str,
    pub remember: &'a str,
    /// `own_names_plain` of these names (`Config::own_cookies_plain`):
    /// a piece by one of our names, without a `,`, is then ours without
    /// the disguised-session check. `false` always checks.
    pub own_plain: bool,
}

/// Whether none of mfa-gate's own cookie names (the gateway's, the
/// language and remembered-browser cookies) could be read as one of
/// `session`'s cookies, exactly or disguised. Then a piece named exactly
/// one of ours and holding no `,` (by which a framework could split a
/// second name out of it) reads as ours only: `read` skips its
/// disguised-session check, the costliest step of a verified request's
/// cookie reading.
pub fn own_names_plain(session: Option<&SessionCookies>, gateway: &str) -> bool {
    session.is_none_or(|session| {
        [gateway, LANG_COOKIE, REMEMBER_COOKIE]
            .iter()
            .all(|name| session_piece(session, name.as_bytes(), name.as_bytes(), b"").is_none())
    })
}

/// Which of our own cookies a piece's name is.
enum Own {
    Gateway,
    Lang,
    Remember,
}

impl Own {
    fn of(name: &[u8], names: &CookieNames) -> Option<Own> {
        if name == names.gateway.as_bytes() {
            Some(Own::Gateway)
        } else if name == names.lang.as_bytes() {
            Some(Own::Lang)
        } else if name == names.remember.as_bytes() {
            Some(Own::Remember)
        } else {
            None
        }
    }

    fn slot(self, out: &mut RequestCookies) -> &mut Option<String> {
        match self {
            Own::Gateway => &mut out.gateway,
            Own::Lang => &mut out.lang,
            Own::Remember => &mut out.remember,
        }
    }
}

/// Read every `Cookie` header value (in order) once.
pub fn read<'v>(values: impl Iterator<Item = &'v [u8]>, names: &CookieNames) -> RequestCookies {
    let mut out = RequestCookies::default();
    // One slot per configured session cookie name, on the stack for the
    // usual one or two: no allocation on every request.
    let mut readings: Readings = Readings::new();
    for value in values {
        for piece in split(value, b';') {
            let piece = piece.trim_ascii();
            if piece.is_empty() {
                continue;
            }
            let (name, val) = split_pair(piece);
            let own = Own::of(name, names);
            let plainly_own =
                own.is_some() && names.own_plain && memchr::memchr(b',', piece).is_none();
            if !plainly_own
                && let Some((slot, reading)) = names
                    .session
                    .and_then(|s| session_piece(s, piece, name, val))
            {
                if readings.len() <= slot {
                    readings.resize(slot + 1, SessionReading::Absent);
                }
                readings[slot] = merge(std::mem::take(&mut readings[slot]), reading);
                continue;
            }
            let Some(slot) = own.map(|own| own.slot(&mut out)) else {
                continue;
            };
            if slot.is_none() {
                *slot = plain_value(val).map(str::to_owned);
            }
        }
    }
    out.session = match names.session {
        Some(session) => session_value(session, readings, names.host),
        None => SessionReading::Absent,
    };
    out
}

/// A piece that is (or could be read as) a session cookie: its slot (the
/// configured name's index) and how it reads.
fn session_piece(
    session: &SessionCookies,
    piece: &[u8],
    name: &[u8],
    val: &[u8],
) -> Option<(usize, SessionReading)> {
    let (slot, exact) = match session {
        SessionCookies::Names(names) => names.iter().enumerate().find_map(|(i, n)| {
            let exact = name == n.name.as_bytes();
            (exact || looks_like(piece, &n.skeleton, false)).then_some((i, exact))
        })?,
        SessionCookies::Prefix(p) => {
            let exact = prefixed(name, p);
            (exact || looks_like(piece, &p.skeleton, true)).then_some((0, exact))?
        }
    };
    let reading = match (plain_value(val), exact) {
        (Some(v), true) => SessionReading::Clear(match session {
            SessionCookies::Names(names) if names.len() == 1 => v.to_owned(),
            _ => format!("{}={v}", String::from_utf8_lossy(name)),
        }),
        (None, true) => SessionReading::Refused(Refusal::Unreadable),
        (_, false) => SessionReading::Refused(Refusal::Disguised),
    };
    Some((slot, reading))
}

/// Whether `name` is the prefix followed by letters, digits, `-` and `_`
/// only (what no framework reads differently).
fn prefixed(name: &[u8], prefix: &CookieName) -> bool {
    name.strip_prefix(prefix.name.as_bytes())
        .is_some_and(|rest| {
            rest.iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
        })
}

/// The session value of the readings, one per configured name (see
/// `SessionCookies`); two names matching a prefix read as a duplicate.
fn session_value(
    session: &SessionCookies,
    readings: Readings,
    host: Option<&str>,
) -> SessionReading {
    if let Some(refused) = readings
        .iter()
        .find(|r| matches!(r, SessionReading::Refused(_)))
    {
        return refused.clone();
    }
    match session {
        SessionCookies::Names(names) if names.len() == 1 => {
            readings.into_iter().next().unwrap_or_default()
        }
        SessionCookies::Names(_) => {
            let pairs: Vec<String> = readings
                .into_iter()
                .filter_map(|r| match r {
                    SessionReading::Clear(pair) => Some(pair),
                    _ => None,
                })
                .collect();
            if pairs.is_empty() {
                SessionReading::Absent
            } else {
                SessionReading::Clear(pairs.join("; "))
            }
        }
        // The app names the cookie after the host it reads: without one
        // clear host, whoami cannot be asked what the app will see.
        SessionCookies::Prefix(_) => match (readings.into_iter().next(), host) {
            (Some(SessionReading::Clear(pair)), Some(host)) => {
                SessionReading::Clear(format!("{pair}\n{host}"))
            }
            (Some(SessionReading::Clear(_)), None) => SessionReading::Refused(Refusal::Unreadable),
            (other, _) => other.unwrap_or_default(),
        },
    }
}

/// `name` and `value` of a `name=value` piece; a piece without `=` is all
/// name (what most parsers do, and it can carry no session value).
fn split_pair(piece: &[u8]) -> (&[u8], &[u8]) {
    match memchr::memchr(b'=', piece) {
        Some(eq) => (piece[..eq].trim_ascii(), piece[eq + 1..].trim_ascii()),
        None => (piece, &[]),
    }
}

fn merge(before: SessionReading, next: SessionReading) -> SessionReading {
    use SessionReading::*;
    match (before, next) {
        (Refused(r), _) | (_, Refused(r)) => Refused(r),
        (Absent, next) => next,
        (before, Absent) => before,
        (Clear(a), Clear(b)) if a == b => Clear(a),
        (Clear(_), Clear(_)) => Refused(Refusal::Duplicate),
    }
}

/// Whether any `,`-separated part of `piece` has a name whose skeleton is
/// the session cookie's (`prefix`: starts with the prefix's).
fn looks_like(piece: &[u8], wanted: &str, prefix: bool) -> bool {
    split(piece, b',').any(|part| {
        let (name, _) = split_pair(part.trim_ascii());
        if let Some(answer) = plain_looks_like(name, wanted.as_bytes(), prefix) {
            return answer;
        }
        let skeleton = skeleton(&String::from_utf8_lossy(name));
        if prefix {
            skeleton.starts_with(wanted)
        } else {
            skeleton == wanted
        }
    })
}

/// `looks_like`'s comparison for the usual name, with nothing to decode
/// (ASCII, no `%`, no `+`), without building its skeleton: such a name's
/// skeleton is its ASCII letters and digits, lower-cased, compared here as
/// they come (every request's other cookies pass by here; the skeleton's
/// three `String`s were most of a verified request's cookie reading).
/// `None` for any other name: the full skeleton decides.
fn plain_looks_like(name: &[u8], wanted: &[u8], prefix: bool) -> Option<bool> {
    if !name
        .iter()
        .all(|b| b.is_ascii() && !matches!(b, b'%' | b'+'))
    {
        return None;
    }
    let mut letters = name
        .iter()
        .filter(|b| b.is_ascii_alphanumeric())
        .map(u8::to_ascii_lowercase);
    for w in wanted {
        if letters.next() != Some(*w) {
            return Some(false);
        }
    }
    Some(prefix || letters.next().is_none())
}

/// A cookie value as RFC 6265 allows it (`cookie-octet`s, optionally in
/// double quotes), which every framework reads the same; `None` otherwise
/// and when empty.
fn plain_value(value: &[u8]) -> Option<&str> {
    let inner = match value {
        [b'"', inner @ .., b'"'] => inner,
        v => v,
    };
    // Every byte looked at, without a branch: the compiler checks 32 at a
    // time (mfa-gate's own cookie is some 150 bytes, read on every request).
    let stray = inner.iter().fold(false, |stray, &b| {
        stray | !(0x21..=0x7e).contains(&b) | matches!(b, b'"' | b',' | b';' | b'\\')
    });
    if inner.is_empty() || stray {
        return None;
    }
    std::str::from_utf8(value).ok()
}

/// The parts of `bytes` between `separator`s (as `<[u8]>::split`, found
/// with `memchr`: a cookie header is scanned several times a request).
pub(crate) fn split(bytes: &[u8], separator: u8) -> impl Iterator<Item = &[u8]> {
    let mut start = 0;
    let mut ends = memchr::memchr_iter(separator, bytes).chain(std::iter::once(bytes.len()));
    std::iter::from_fn(move || {
        let end = ends.next()?;
        let part = &bytes[start..end];
        start = end + 1;
        Some(part)
    })
}

#[cfg(test)]
mod session_tests;

#[cfg(test)]
mod tests;
