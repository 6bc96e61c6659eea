//! Path hygiene: the normalized path that bypass rules and the `/_mfa/`
//! prefix are matched against, and the sanitizing of `return_to` so that a
//! redirect never leaves the site. Pure functions, no I/O.
//!
//! Forward-auth products have shipped bypass CVEs from matching a path the
//! app later decodes differently (authentik CVE-2024-47070, Authelia
//! GHSA-68wm-pfjf-wqp6). So we decode percent-escapes, drop dot segments and
//! duplicate slashes, and call a path *ambiguous* whenever the app could
//! read it in more than one way; an ambiguous path gets no bypass and is
//! never one of our pages.

use crate::config::BypassRule;
use percent_encoding::{AsciiSet, CONTROLS, percent_decode_str, utf8_percent_encode};

/// A request path as the app will act on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NormalPath {
    Clear(String),
    /// Encoded slashes, backslashes, NUL, double encoding, `;` parameters or
    /// bad UTF-8: enforced like any app path, never bypassed.
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

/// Normalize the path part of a request target (no query).
pub fn normalize(raw: &str) -> NormalPath {
    if !raw.starts_with('/') || raw.contains(['\\', ';']) {
        return NormalPath::Ambiguous;
    }
    let lower = raw.to_ascii_lowercase();
    if lower.contains("%2f") || lower.contains("%5c") || lower.contains("%00") {
        return NormalPath::Ambiguous;
    }
    let Ok(decoded) = percent_decode_str(raw).decode_utf8() else {
        return NormalPath::Ambiguous;
    };
    // A '%' left after one decoding means double encoding: the app might
    // decode again and see another path.
    if decoded.contains(['%', '\\', ';', '\0']) || decoded.chars().any(char::is_control) {
        return NormalPath::Ambiguous;
    }
    let mut segments: Vec<&str> = Vec::new();
    for segment in decoded.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let mut out = String::with_capacity(decoded.len());
    for s in &segments {
        out.push('/');
        out.push_str(s);
    }
    // Keep a trailing slash: `/static/` and `/static` may differ to the app.
    if decoded.ends_with('/')
        || decoded.ends_with("/.")
        || decoded.ends_with("/..")
        || out.is_empty()
    {
        out.push('/');
    }
    NormalPath::Clear(out)
}

/// Whether a normalized path matches one of the bypass rules.
pub fn is_bypassed(path: &NormalPath, rules: &[BypassRule]) -> bool {
    let Some(path) = path.as_clear() else {
        return false;
    };
    rules.iter().any(|rule| match rule {
        BypassRule::Exact(p) => path == p,
        BypassRule::Prefix(p) => {
            path == p
                || (path.starts_with(p.as_str()) && path.as_bytes().get(p.len()) == Some(&b'/'))
        }
    })
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

/// A same-site relative URL built from `raw`'s *normalized* path (plus its
/// query and fragment), else `/`. Our own pages are refused but the
/// returnable ones (the settings pages). Since the path is normalized (no
/// dot segments, no duplicate slashes, no backslash, no encoded slash), the
/// result never starts with `//` or `/\`, and holds no control character
/// or space: it is safe in a `Location` header whatever the app behind
/// does with a `//host` path.
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
    let ours = |below: &str| crate::pages::Route::parse(below).is_returnable();
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
mod tests {
    use super::*;

    fn check_norm(raw: &str, expected: Option<&str>) {
        let got = normalize(raw);
        assert_eq!(got.as_clear(), expected, "normalize({raw:?})");
    }

    #[test]
    fn normalizes_what_the_app_would_see() {
        check_norm("/", Some("/"));
        check_norm("/a/b", Some("/a/b"));
        check_norm("//a///b", Some("/a/b"));
        check_norm("/a/./b/../c", Some("/a/c"));
        check_norm("/../../etc", Some("/etc"));
        check_norm("/static/", Some("/static/"));
        check_norm("/static/..", Some("/"));
        check_norm("/%5fmfa/enroll", Some("/_mfa/enroll"));
        check_norm("/static/%2e%2e/admin", Some("/admin"));
        check_norm("/caf%C3%A9", Some("/café"));
    }

    #[test]
    fn ambiguous_paths_are_flagged() {
        for raw in [
            "/static%2f..%2fadmin",
            "/static/..%5cadmin",
            "/static\\..\\admin",
            "/login;jsessionid=x",
            "/static/%252e%252e/admin",
            "/a%00b",
            "/a%ff",
            "relative",
            "/a%0d%0ab",
        ] {
            assert_eq!(normalize(raw), NormalPath::Ambiguous, "{raw}");
        }
    }

    #[test]
    fn bypass_matches_normalized_paths_only() {
        let rules = vec![
            BypassRule::Exact("/login".into()),
            BypassRule::Prefix("/static".into()),
        ];
        let yes = [
            "/login",
            "/static",
            "/static/",
            "/static/app.css",
            "//static/x",
        ];
        let no = [
            "/login/x",
            "/loginx",
            "/staticx",
            "/static/../admin",
            "/static/%2e%2e/admin",
            "/static%2f..%2fadmin",
            "/login;x",
        ];
        for p in yes {
            assert!(is_bypassed(&normalize(p), &rules), "{p} should bypass");
        }
        for p in no {
            assert!(!is_bypassed(&normalize(p), &rules), "{p} must not bypass");
        }
    }

    #[test]
    fn prefix_is_stripped_only_at_a_segment_boundary() {
        let p = |s| strip_prefix(&normalize(s), "/_mfa").map(str::to_owned);
        assert_eq!(p("/_mfa/enroll"), Some("/enroll".into()));
        assert_eq!(p("/_mfa"), Some("".into()));
        assert_eq!(p("/x/../_mfa/challenge"), Some("/challenge".into()));
        assert_eq!(p("/_mfax/enroll"), None);
        assert_eq!(p("/app/_mfa/enroll"), None);
    }

    #[test]
    fn return_to_never_leaves_the_site() {
        let ok = [
            "/",
            "/reports?id=3",
            "/a/b#frag",
            "/%E3%81%82",
            "/_mfa/settings",
        ];
        for r in ok {
            assert_eq!(safe_return_to(r, "/_mfa"), r);
        }
        // Built from the normalized path: dot segments and duplicate
        // slashes can never make a `//host` location.
        for (raw, expected) in [
            ("/.//evil.example", "/evil.example"),
            ("/..//evil.example", "/evil.example"),
            ("/%2e//evil.example", "/evil.example"),
            ("/%2e%2e//evil.example/x?y=1", "/evil.example/x?y=1"),
            ("/a/./b/../c#f", "/a/c#f"),
            ("/%5fmfa/settings", "/_mfa/settings"),
        ] {
            assert_eq!(safe_return_to(raw, "/_mfa"), expected, "{raw:?}");
        }
        let bad = [
            "//evil.example",
            "https://evil.example",
            "https:evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/%2F%2Fevil.example",
            "/%2fevil.example/..",
            "/%5Cevil.example",
            "/a\r\nSet-Cookie: x=1",
            "/a%0d%0aSet-Cookie:x",
            "javascript:alert(1)",
            "/has space",
            "",
            "/_mfa/challenge",
            "/_mfa/../_mfa/enroll",
            "/_mfa/settings/../enroll",
        ];
        for r in bad {
            assert_eq!(safe_return_to(r, "/_mfa"), "/", "{r:?} must be refused");
        }
        assert_eq!(
            safe_return_to(&format!("/{}", "a".repeat(3000)), "/_mfa"),
            "/"
        );
    }

    #[test]
    fn return_to_round_trips_through_the_query() {
        let url = with_return_to("/_mfa/enroll", "/r?a=1&b=2");
        assert_eq!(url, "/_mfa/enroll?return_to=%2Fr%3Fa%3D1%26b%3D2");
        let q = url.split_once('?').map(|(_, q)| q);
        assert_eq!(query_param(q, "return_to").as_deref(), Some("/r?a=1&b=2"));
        assert_eq!(with_return_to("/_mfa/enroll", "/"), "/_mfa/enroll");
    }

    /// A path ending in a dot segment keeps its trailing slash, whether
    /// or not segments remain before it.
    #[test]
    fn a_final_dot_segment_keeps_the_trailing_slash() {
        check_norm("/static/.", Some("/static/"));
        check_norm("/a/b/..", Some("/a/"));
        check_norm("/a/b/../", Some("/a/"));
        check_norm("/.", Some("/"));
    }

    /// `return_to` values up to 2048 bytes are kept; longer ones are not.
    #[test]
    fn return_to_of_2048_bytes_is_kept_and_2049_is_not() {
        let at_limit = format!("/{}", "a".repeat(2047));
        assert_eq!(safe_return_to(&at_limit, "/_mfa"), at_limit);
        let over = format!("{at_limit}a");
        assert_eq!(safe_return_to(&over, "/_mfa"), "/");
    }
}
