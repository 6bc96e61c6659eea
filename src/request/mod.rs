//! A request as mfa-gate reads it: once, into one value, before any
//! decision. [`RequestHead::read`] takes the bytes the app will receive
//! (the raw request target, the `Cookie` headers, the header names) and
//! reads them the way the app will, or marks them refused; [`classify`]
//! then says, without I/O, what kind of request this is: refused, one of
//! our pages, a bypass path, or an app request whose session must be
//! identified. Nothing here knows pingora; `proxy.rs` hands in the parts.

mod classify;
pub mod cookies;
pub mod forwarded;
pub mod headers;
pub mod paths;
pub mod request_id;
pub mod route;
pub mod set_cookie;

pub use classify::{Verdict, classify};
pub use cookies::{Refusal, RequestCookies, SessionReading};

use crate::config::Config;
use http::request::Parts;
use paths::NormalPath;

/// Largest header value (and sum of `Cookie` headers) we pass on. Browsers
/// keep a cookie under 4 KiB and common servers refuse an 8 KiB header
/// line; anything far larger is an attack on us or on the app.
pub const MAX_HEADER_VALUE: usize = 32 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Post,
    Other,
}

impl Method {
    pub fn parse(m: &str) -> Method {
        match m {
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            "POST" => Method::Post,
            _ => Method::Other,
        }
    }

    /// GET or HEAD: reads, never changes, state.
    pub fn is_read(self) -> bool {
        matches!(self, Method::Get | Method::Head)
    }
}

/// Everything a decision about a request depends on, read once.
#[derive(Debug)]
pub struct RequestHead {
    pub method: Method,
    /// The decoded path when the target is in normal form, else ambiguous
    /// (see `paths::normalize`).
    pub path: NormalPath,
    /// The request target as sent (`/path?query`), for `return_to`; `/`
    /// when it is not an origin-form UTF-8 target.
    pub target: String,
    pub query: Option<String>,
    pub cookies: RequestCookies,
    /// A browser navigation (gets redirects and pages) rather than an API
    /// call or a form post (gets JSON).
    pub navigation: bool,
    /// A browser page load or form post: our pages answer it with pages
    /// and redirects, not JSON.
    pub wants_html: bool,
    /// A header value (or the `Cookie` headers together) over
    /// `MAX_HEADER_VALUE`.
    pub oversized: bool,
    pub accept_language: Option<String>,
    /// `Origin` names this site (see `same_origin`).
    pub same_origin: bool,
    /// A bypass path (`config.bypass`, outside our prefix): forwarded
    /// unjudged. Decided here once, because a read of such a path is read
    /// no further (see [`RequestHead::read`]).
    pub bypass: bool,
    /// A GET or HEAD that carries a body, where `allow_get_body` is off:
    /// an app that does not read it could run it as a second request.
    pub body_on_read: bool,
}

/// The request's host as the app will read it: the one `Host` header
/// (visible ASCII), else the authority of the target (HTTP/2); `None` when
/// absent, sent twice or not readable (a prefix session is then refused).
pub fn host<'a>(headers: &'a http::HeaderMap, uri: &'a http::Uri) -> Option<&'a str> {
    let mut values = headers.get_all(http::header::HOST).iter();
    host_of(values.next(), values.next().is_some(), uri)
}

/// [`host`]'s rule, given the first `Host` value and whether another
/// follows (also how `headers::Glance` reads it, in its one walk).
fn host_of<'a>(
    first: Option<&'a http::HeaderValue>,
    several: bool,
    uri: &'a http::Uri,
) -> Option<&'a str> {
    match (first, several) {
        (Some(one), false) => one.to_str().ok().filter(|h| !h.is_empty()),
        (None, _) => uri.authority().map(|a| a.as_str()),
        (Some(_), true) => None,
    }
}

impl RequestHead {
    /// Read a request: `raw_target` is the request target exactly as the
    /// app will receive it; `body` whether a body follows the head (as the
    /// proxy's HTTP reader framed it); `trusted` whether the peer is a
    /// trusted proxy (only then do its `X-Forwarded-Host` count). A read
    /// (GET, HEAD) of a bypass path is read no further than its method,
    /// path, size and body.
    pub fn read(
        parts: &Parts,
        raw_target: &[u8],
        body: bool,
        config: &Config,
        trusted: bool,
    ) -> RequestHead {
        let (target, path, query) = split_target(raw_target);
        let method = Method::parse(parts.method.as_str());
        let bypass = paths::strip_prefix(&path, &config.prefix).is_none()
            && paths::is_bypassed(&path, &config.bypass)
            && paths::query_keeps_bypass(query, &config.bypass_query);
        let glance = headers::Glance::of(parts);
        let oversized = glance.oversized();
        let body_on_read = body && method.is_read() && !config.allow_get_body;
        if bypass && method.is_read() && !oversized && !body_on_read {
            return RequestHead::bypass_read(method, path);
        }
        let cookie_values = parts.headers.get_all(http::header::COOKIE);
        let wants_html = glance.wants_html();
        RequestHead {
            method,
            path,
            target: target.unwrap_or("/").to_owned(),
            query: query.map(str::to_owned),
            cookies: cookies::read(
                cookie_values.iter().map(|v| v.as_bytes()),
                &cookie_names(glance.host(&parts.uri), config),
            ),
            navigation: method.is_read() && wants_html,
            wants_html,
            oversized,
            accept_language: glance.accept_language().map(str::to_owned),
            same_origin: headers::same_origin(parts, &glance, trusted),
            bypass,
            body_on_read,
        }
    }

    /// A read (GET, HEAD) of a bypass path, without a body and not
    /// oversized. It is forwarded unjudged, and a read cannot log anyone in
    /// or out: nothing else of it is read (its cookies, language, origin),
    /// which is most of what a pass-through would spend here.
    fn bypass_read(method: Method, path: NormalPath) -> RequestHead {
        RequestHead {
            method,
            path,
            target: String::new(),
            query: None,
            cookies: RequestCookies::default(),
            navigation: false,
            wants_html: false,
            oversized: false,
            accept_language: None,
            same_origin: false,
            bypass: true,
            body_on_read: false,
        }
    }

    /// A query parameter, percent-decoded.
    pub fn query_param(&self, name: &str) -> Option<String> {
        paths::query_param(self.query.as_deref(), name)
    }

    /// The app session cookie's value, when it reads clearly.
    pub fn app_session(&self) -> Option<&str> {
        match &self.cookies.session {
            SessionReading::Clear(v) => Some(v),
            _ => None,
        }
    }

    /// [`RequestHead::app_session`], moved out (no copy): the head reads
    /// as if no session cookie had been sent afterwards.
    pub fn take_app_session(&mut self) -> Option<String> {
        match std::mem::take(&mut self.cookies.session) {
            SessionReading::Clear(v) => Some(v),
            other => {
                self.cookies.session = other;
                None
            }
        }
    }
}

/// The request target when it is origin-form UTF-8 (`/path?query`), with
/// its path normalized and its query; `(None, Ambiguous, None)` otherwise.
fn split_target(raw_target: &[u8]) -> (Option<&str>, NormalPath, Option<&str>) {
    let target = std::str::from_utf8(raw_target)
        .ok()
        .filter(|t| t.starts_with('/'));
    match target {
        Some(t) => {
            let (path, query) = t.split_once('?').map_or((t, None), |(p, q)| (p, Some(q)));
            (target, paths::normalize(path), query)
        }
        // Absolute-form, asterisk-form or not UTF-8: the app may read
        // another path than the one we would match. No bypass, no page.
        None => (None, NormalPath::Ambiguous, None),
    }
}

/// The cookies a request's `Cookie` headers are read for: the app's
/// session cookie (bound to the request's host), ours, and the language
/// and remembered-browser cookies.
fn cookie_names<'a>(host: Option<&'a str>, config: &'a Config) -> cookies::CookieNames<'a> {
    cookies::CookieNames {
        session: config.identity.session_cookies(),
        host,
        gateway: &config.cookie.name,
        lang: crate::request::cookies::LANG_COOKIE,
        remember: crate::request::cookies::REMEMBER_COOKIE,
        own_plain: config.own_cookies_plain,
    }
}
