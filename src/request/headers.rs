//! Request headers as the app will read them. CGI, WSGI, Rack and PHP
//! expose a header as `HTTP_X_MFA_STATUS`, so `X-Mfa-Status`,
//! `X_Mfa_Status` and `x-mfa_status` are one variable to the app: a header
//! name is compared with `_` read as `-`, case-insensitively. Also the
//! small readings the decision needs (navigation or API call, oversized
//! values, same-origin POSTs). No I/O.

use super::MAX_HEADER_VALUE;
use crate::config::StrippedHeaders;
use http::header::{ACCEPT, ACCEPT_LANGUAGE, COOKIE, HOST, ORIGIN};
use http::request::Parts;
use http::{HeaderName, HeaderValue};

// Looked up by name on every request: built once, not parsed per lookup.
pub const X_REQUESTED_WITH: HeaderName = HeaderName::from_static("x-requested-with");
pub const SEC_FETCH_MODE: HeaderName = HeaderName::from_static("sec-fetch-mode");
pub const SEC_FETCH_SITE: HeaderName = HeaderName::from_static("sec-fetch-site");
pub const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
pub const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// Headers whose meaning mfa-gate sets or vouches for: a client's own
/// copy under any spelling must not reach the app. `X-Mfa-*` is matched
/// as a prefix.
const GUARDED: [&str; 4] = [
    "x-forwarded-",
    "forwarded",
    "x-real-ip",
    crate::request::request_id::HEADER,
];

/// The name as a CGI-style app reads it: lower case, `_` as `-`.
pub fn app_reading(name: &str) -> String {
    name.to_ascii_lowercase().replace('_', "-")
}

/// Whether a header named `name` (as received) is one a client must not
/// smuggle to the app under another spelling: its app reading is an
/// `X-Mfa-*` header, a forwarding header, or one of `claims` (the
/// identity headers of an SSO front), while its name is not that
/// header's own spelling.
pub fn is_disguised(name: &HeaderName, claims: &StrippedHeaders) -> bool {
    let raw = name.as_str();
    if !raw.as_bytes().contains(&b'_') {
        return false;
    }
    let reading = app_reading(raw);
    reading.starts_with("x-mfa-")
        || GUARDED
            .iter()
            .any(|g| reading == *g || (g.ends_with('-') && reading.starts_with(g)))
        || claims.covers(&reading)
        || REWRITES_TARGET.contains(&reading.as_str())
}

/// Headers through which some frameworks take the request's path from a
/// proxy instead of the request line: Yii2 (`X-Rewrite-Url`), Zend
/// Framework 1, Magento 1 and old Symfony (`X-Original-Url`), IIS's URL
/// Rewrite (`X-Original-Url`), Traefik's and nginx's forward auth
/// (`X-Forwarded-Uri`, `X-Original-Uri`). mfa-gate judged the request
/// line, so the app must route on it: these never reach the app, from any
/// peer.
const REWRITES_TARGET: [&str; 5] = [
    "x-original-url",
    "x-rewrite-url",
    "x-original-uri",
    "x-forwarded-uri",
    "x-forwarded-path",
];

/// Whether the app must not receive a client's header `name` (as
/// received, lower case): from anyone, one that moves the path the app
/// routes on or an `X-Mfa-*` header (mfa-gate sets its own); from a peer
/// that is not `trusted`, an identity claim (`claims`) or a forwarding
/// header mfa-gate does not set itself (`Forwarded`, `X-Real-Ip`,
/// `X-Forwarded-Prefix`, `-Port`, `-Ssl`, `-Server`, `Front-End-Https`,
/// `X-Original-Host`; `X-Forwarded-For`, `-Proto` and `-Host` are
/// replaced later).
pub fn is_unwanted(name: &HeaderName, claims: &StrippedHeaders, trusted: bool) -> bool {
    let n = name.as_str();
    // Every name below but the claims starts with `x` or `f`, and only a
    // name with `_` can be disguised: most headers (`host`, `cookie`,
    // `accept`…) are settled by the claims alone.
    if !matches!(n.as_bytes().first(), Some(b'x' | b'f')) && !n.as_bytes().contains(&b'_') {
        return !trusted && claims.covers(n);
    }
    if n.starts_with("x-mfa-") || REWRITES_TARGET.contains(&n) || is_disguised(name, claims) {
        return true;
    }
    !trusted
        && (claims.covers(n)
            || matches!(
                n,
                "forwarded" | "x-real-ip" | "front-end-https" | "x-original-host"
            )
            || (n.starts_with("x-forwarded-")
                && !matches!(
                    n,
                    "x-forwarded-for" | "x-forwarded-proto" | "x-forwarded-host"
                )))
}

/// The value of a header as text, if present and readable.
pub fn text<'a>(parts: &'a Parts, name: &HeaderName) -> Option<&'a str> {
    parts.headers.get(name).and_then(|v| v.to_str().ok())
}

/// The headers the decision reads besides the cookies and the host, taken
/// in one walk over the request's headers (a look-up per name would hash
/// each name again, present or not): the first value of each, and the
/// sizes `oversized` is about.
#[derive(Default)]
pub struct Glance<'a> {
    accept: Option<&'a HeaderValue>,
    requested_with: Option<&'a HeaderValue>,
    fetch_mode: Option<&'a HeaderValue>,
    fetch_site: Option<&'a HeaderValue>,
    origin: Option<&'a HeaderValue>,
    accept_language: Option<&'a HeaderValue>,
    host: Option<&'a HeaderValue>,
    /// More than one `Host` header.
    hosts: bool,
    /// The `Cookie` headers' length together, as joined by `; `.
    cookies: usize,
    /// Some value is larger than `MAX_HEADER_VALUE`.
    long_value: bool,
}

impl<'a> Glance<'a> {
    pub fn of(parts: &'a Parts) -> Glance<'a> {
        let mut glance = Glance::default();
        for (name, value) in &parts.headers {
            glance.long_value |= value.len() > MAX_HEADER_VALUE;
            let first = if name == COOKIE {
                glance.cookies += value.len() + 2;
                continue;
            } else if name == HOST {
                glance.hosts |= glance.host.is_some();
                &mut glance.host
            } else if name == ACCEPT {
                &mut glance.accept
            } else if name == ACCEPT_LANGUAGE {
                &mut glance.accept_language
            } else if name == ORIGIN {
                &mut glance.origin
            } else if name == SEC_FETCH_SITE {
                &mut glance.fetch_site
            } else if name == SEC_FETCH_MODE {
                &mut glance.fetch_mode
            } else if name == X_REQUESTED_WITH {
                &mut glance.requested_with
            } else {
                continue;
            };
            first.get_or_insert(value);
        }
        glance
    }

    /// A browser page load or form post (accepts HTML, not a script's call).
    pub fn wants_html(&self) -> bool {
        let accepts_html = text_of(self.accept)
            .is_some_and(|a| memchr::memmem::find(a.as_bytes(), b"text/html").is_some());
        let xhr = text_of(self.requested_with).is_some()
            || text_of(self.fetch_mode).is_some_and(|m| m != "navigate");
        accepts_html && !xhr
    }

    /// Whether a header value (or the `Cookie` headers together) is larger
    /// than `MAX_HEADER_VALUE` (pingora itself only caps the head at 1 MiB).
    pub fn oversized(&self) -> bool {
        self.cookies > MAX_HEADER_VALUE || self.long_value
    }

    pub fn accept_language(&self) -> Option<&'a str> {
        text_of(self.accept_language)
    }

    /// The request's host, as [`crate::request::host`] reads it.
    pub fn host(&self, uri: &'a http::Uri) -> Option<&'a str> {
        super::host_of(self.host, self.hosts, uri)
    }
}

fn text_of(value: Option<&HeaderValue>) -> Option<&str> {
    value.and_then(|v| v.to_str().ok())
}

/// Whether a request's `Origin` (when present) names this site: its
/// authority must equal the `Host` (or, from a trusted proxy only, its
/// `X-Forwarded-Host`). No `Origin` passes: old clients and non-browser
/// callers omit it, and the CSRF token still guards them. `Origin: null`
/// passes only with `Sec-Fetch-Site: same-origin`, which browsers send on
/// their own same-origin form posts under `Referrer-Policy: no-referrer`
/// and no other site can forge. `Sec-Fetch-Site: cross-site` or
/// `same-site` always fails.
/// (`glance`: the request's `Origin` and `Sec-Fetch-Site`.)
pub fn same_origin(parts: &Parts, glance: &Glance, trusted: bool) -> bool {
    let fetch_site = text_of(glance.fetch_site);
    if fetch_site.is_some_and(|s| s == "cross-site" || s == "same-site") {
        return false;
    }
    let Some(origin) = glance.origin else {
        return true;
    };
    if origin.as_bytes() == b"null" {
        return fetch_site == Some("same-origin");
    }
    let Some(authority) = origin
        .to_str()
        .ok()
        .and_then(|o| o.split_once("://"))
        .map(|(_, rest)| rest)
        .filter(|a| !a.is_empty() && !a.contains(['/', '@']))
    else {
        return false;
    };
    let authority = without_default_port(authority);
    let forwarded = trusted.then(|| parts.headers.get_all(X_FORWARDED_HOST).iter());
    let own = parts
        .headers
        .get_all(http::header::HOST)
        .iter()
        .chain(forwarded.into_iter().flatten())
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .chain(parts.uri.authority().map(|a| a.as_str()));
    own.map(without_default_port)
        .any(|host| !host.is_empty() && host.eq_ignore_ascii_case(authority))
}

/// `host:80` and `host:443` are written `host` by browsers in `Origin`.
fn without_default_port(authority: &str) -> &str {
    authority
        .strip_suffix(":80")
        .or_else(|| authority.strip_suffix(":443"))
        .unwrap_or(authority)
}

#[cfg(test)]
mod tests;
