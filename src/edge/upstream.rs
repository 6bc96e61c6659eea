//! Upstream request hygiene: what the app receives, and what it can rely
//! on. At arrival (`Forwarding::arrive`, first thing in `request_filter`)
//! the peer is classified (a trusted proxy or not), the request id is
//! settled, and in one walk over the names sent
//! (`request::headers::is_unwanted`) these are removed before anything
//! reads them:
//!
//! - from everyone: every client-sent `X-Mfa-*` header, and the headers
//!   that move the path an app routes on (`X-Original-Url`,
//!   `X-Rewrite-Url`, …);
//! - from untrusted peers: the identity headers of SSO fronts
//!   (`identity.strip_headers`), `Forwarded`, `X-Real-Ip` and every
//!   `X-Forwarded-*` but the three below (with `Front-End-Https` and
//!   `X-Original-Host`).
//!
//! Before forwarding (`prepare`, in `upstream_request_filter`), on the app's
//! copy as plain `http` parts (`parts`: the app receives lower-case names):
//!
//! - `X-Forwarded-For` gets the peer appended (kept from trusted proxies,
//!   replaced otherwise); `X-Forwarded-Proto` and `X-Forwarded-Host` are
//!   kept from trusted proxies, else set from this connection and its Host.
//! - mfa-gate's own cookies (the gateway cookie, `mfa_lang` and
//!   `mfa_remember`) are removed
//!   and the remaining cookies joined into one `Cookie` header (HTTP/2
//!   clients send several).
//! - mfa-gate sets `X-Mfa-Status` (`verified`, `not-enrolled`,
//!   `not-required`) and, for a known user, `X-Mfa-Account`
//!   (percent-encoded when not plain ASCII).
//! - `X-Request-Id` carries the request id: written here, into the
//!   upstream copy, unless the client's single sane id is already there
//!   (writing it into the downstream head at arrival grew pingora's two
//!   header maps once more per request, for nobody: our own pages and the
//!   log take the id from `Forwarding`).
//!
//! One of the few files (with `proxy.rs`, `server.rs`, `tls.rs`) that knows
//! pingora's request types.

use crate::access::gate::Gate;
use crate::domain::Identity;
use crate::request::headers::{X_FORWARDED_FOR, X_FORWARDED_HOST};
use crate::request::request_id;
use http::header::InvalidHeaderValue;
use http::request::Parts as ReqParts;
use http::{HeaderMap, HeaderName, HeaderValue};
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use pingora::http::RequestHeader;
use pingora::proxy::Session;
use std::net::IpAddr;
use std::sync::Arc;

/// Percent-encoded in `X-Mfa-Account`: controls, non-ASCII (always), `%`.
const ACCOUNT_ESCAPES: &AsciiSet = &CONTROLS.add(b'%');

/// Text from an identity as a header value: controls, non-ASCII and `%`
/// percent-encoded (borrowed, no copy, when nothing needs escaping).
pub fn header_safe(text: &str) -> std::borrow::Cow<'_, str> {
    // The usual account (printable ASCII, no `%`) is checked in one pass;
    // the encoder's iterator cost a verified request 400 instructions.
    if text.bytes().all(|b| (0x20..0x7f).contains(&b) && b != b'%') {
        return std::borrow::Cow::Borrowed(text);
    }
    utf8_percent_encode(text, ACCOUNT_ESCAPES).into()
}

/// What mfa-gate tells the app about the second step of this request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MfaStatus {
    /// Not checked: a bypass path, or no logged-in session.
    #[default]
    NotRequired,
    /// A known user who is not enrolled, and not required to be.
    NotEnrolled,
    /// A known user who passed the second step in this session.
    Verified,
}

impl MfaStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            MfaStatus::NotRequired => "not-required",
            MfaStatus::NotEnrolled => "not-enrolled",
            MfaStatus::Verified => "verified",
        }
    }
}

/// Per-request facts for the upstream request (held in the proxy's CTX).
#[derive(Debug)]
pub struct Forwarding {
    /// Kept as the header value: cloned (a reference count) into the
    /// request and the response, never copied.
    request_id: HeaderValue,
    /// The request does not carry `request_id` as its one `X-Request-Id`.
    replace_id: bool,
    pub client_ip: Option<IpAddr>,
    trusted: bool,
    tls: bool,
    status: MfaStatus,
    account: Option<Arc<Identity>>,
}

impl Default for Forwarding {
    fn default() -> Forwarding {
        Forwarding {
            request_id: HeaderValue::from_static(""),
            replace_id: false,
            client_ip: None,
            trusted: false,
            tls: false,
            status: MfaStatus::default(),
            account: None,
        }
    }
}

impl Forwarding {
    /// Classify the peer, strip identity headers it may not send, settle
    /// the request id (written for the app by `prepare`).
    pub fn arrive(session: &mut Session, gate: &Gate) -> Forwarding {
        let client_ip = session
            .client_addr()
            .and_then(|a| a.as_inet())
            .map(|a| a.ip().to_canonical());
        let trusted = client_ip.is_some_and(|ip| gate.config.trusted_proxies.contains(ip));
        let tls = session.digest().is_some_and(|d| d.ssl_digest.is_some());
        let req = session.req_header_mut();
        let claims = &gate.config.stripped_headers;
        // One walk over the names sent (see `headers::is_unwanted`); each
        // removed only where present: a removal walks pingora's case map.
        let unwanted: Vec<http::HeaderName> = req
            .headers
            .keys()
            .filter(|n| crate::request::headers::is_unwanted(n, claims, trusted))
            .cloned()
            .collect();
        for name in &unwanted {
            req.remove_header(name);
        }
        let mut incoming = req.headers.get_all(&request_id::NAME).iter();
        let first = incoming.next();
        let single = incoming.next().is_none();
        let request_id = request_id::accept_or_make(first);
        // A single sane incoming id stays as it is; anything else is
        // replaced (every copy of the header) in the app's copy.
        let replace_id = !(single && first == Some(&request_id));
        Forwarding {
            request_id,
            replace_id,
            client_ip,
            trusted,
            tls,
            ..Forwarding::default()
        }
    }

    /// The arrival of an ask on the lean ask listener (`ask_listener`):
    /// the same classification and hygiene as [`Forwarding::arrive`], on
    /// a head that no pingora session holds.
    pub fn arrive_ask(ask: &mut http::request::Parts, peer: Option<IpAddr>, gate: &Gate) -> Self {
        let client_ip = peer.map(|ip| ip.to_canonical());
        let trusted = client_ip.is_some_and(|ip| gate.config.trusted_proxies.contains(ip));
        let claims = &gate.config.stripped_headers;
        let unwanted: Vec<http::HeaderName> = ask
            .headers
            .keys()
            .filter(|n| crate::request::headers::is_unwanted(n, claims, trusted))
            .cloned()
            .collect();
        for name in &unwanted {
            ask.headers.remove(name);
        }
        let request_id = request_id::accept_or_make(ask.headers.get(&request_id::NAME));
        Forwarding {
            request_id,
            client_ip,
            trusted,
            ..Forwarding::default()
        }
    }

    /// The request id (sane incoming ids and made ones are ASCII).
    pub fn request_id(&self) -> &str {
        self.request_id.to_str().unwrap_or_default()
    }

    /// The request id as the header value, for a response.
    pub fn request_id_value(&self) -> HeaderValue {
        self.request_id.clone()
    }

    /// Whether the peer is one of `trusted_proxies`.
    pub fn trusted(&self) -> bool {
        self.trusted
    }

    /// The request belongs to `identity` (for `X-Mfa-Account` and the log).
    pub fn identified(&mut self, identity: &Arc<Identity>) {
        self.account = Some(identity.clone());
    }

    pub fn account(&self) -> Option<&str> {
        self.account.as_deref().map(|i| i.account())
    }

    /// A known user passes: verified in this session, or not enrolled.
    pub fn passed(&mut self, verified: bool) {
        self.status = if verified {
            MfaStatus::Verified
        } else {
            MfaStatus::NotEnrolled
        };
    }

    /// `X-Mfa-Status` as the app would receive it.
    pub fn status(&self) -> &'static str {
        self.status.as_str()
    }

    /// `X-Mfa-Account` as the app would receive it: for a known user who
    /// passes, percent-encoded where needed.
    pub fn encoded_account(&self) -> Option<std::borrow::Cow<'_, str>> {
        match (self.status, self.account()) {
            (MfaStatus::Verified | MfaStatus::NotEnrolled, Some(account)) => {
                // Borrowed, no copy, when nothing needs escaping (the usual case).
                Some(header_safe(account))
            }
            _ => None,
        }
    }

    /// Rewrite the request the app receives (see the module doc), on the
    /// `http` parts taken out of pingora's head ([`parts::rewrite`]).
    pub fn prepare(&self, req: &mut RequestHeader, gate: &Gate) -> pingora::Result<()> {
        parts::rewrite(req, |head| self.rewrite(head, gate))
    }

    fn rewrite(&self, head: &mut ReqParts, gate: &Gate) -> Result<(), InvalidHeaderValue> {
        let headers = &mut head.headers;
        let own: [&str; 3] = [
            &gate.config.cookie.name,
            crate::i18n::LANG_COOKIE,
            crate::access::remember::COOKIE,
        ];
        match app_cookies(headers, &own) {
            None => {}
            Some(cookies) if cookies.is_empty() => {
                headers.remove(http::header::COOKIE);
            }
            // An insert replaces every earlier `Cookie` header.
            Some(cookies) => {
                headers.insert(http::header::COOKIE, HeaderValue::try_from(cookies)?);
            }
        }
        let status = HeaderValue::from_static(self.status.as_str());
        headers.insert(X_MFA_STATUS, status);
        if let Some(encoded) = self.encoded_account() {
            headers.insert(X_MFA_ACCOUNT, HeaderValue::from_str(&encoded)?);
        }
        if self.replace_id {
            headers.insert(request_id::NAME, self.request_id.clone());
        }
        self.forwarded(headers, &head.uri)
    }

    fn forwarded(
        &self,
        headers: &mut HeaderMap,
        uri: &http::Uri,
    ) -> Result<(), InvalidHeaderValue> {
        // `Forwarded` and `X-Real-Ip` from untrusted peers went at arrival.
        let earlier = self
            .trusted
            .then(|| {
                headers
                    .get(&X_FORWARDED_FOR)?
                    .to_str()
                    .ok()
                    .map(str::to_owned)
            })
            .flatten();
        match (earlier, self.client_ip) {
            (Some(list), Some(ip)) => {
                let value = HeaderValue::try_from(format!("{list}, {ip}"))?;
                headers.insert(X_FORWARDED_FOR, value);
            }
            (None, Some(ip)) => {
                headers.insert(X_FORWARDED_FOR, ip_value(ip));
            }
            (Some(_), None) => {}
            (None, None) => {
                headers.remove(&X_FORWARDED_FOR);
            }
        }
        if !(self.trusted && headers.contains_key(&X_FORWARDED_PROTO)) {
            // Static values: no copy, no check.
            let proto = if self.tls { HTTPS } else { HTTP };
            headers.insert(X_FORWARDED_PROTO, proto);
        }
        if !(self.trusted && headers.contains_key(&X_FORWARDED_HOST)) {
            // The Host value itself (a reference count), when it is text.
            let host = match headers.get(http::header::HOST) {
                Some(v) if v.to_str().is_ok() => Some(v.clone()),
                _ => uri
                    .authority()
                    .and_then(|a| HeaderValue::from_str(a.as_str()).ok()),
            };
            match host {
                Some(host) => headers.insert(X_FORWARDED_HOST, host),
                None => headers.remove(&X_FORWARDED_HOST),
            };
        }
        Ok(())
    }
}

const HTTP: HeaderValue = HeaderValue::from_static("http");
const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
const X_MFA_STATUS: HeaderName = HeaderName::from_static("x-mfa-status");
const X_MFA_ACCOUNT: HeaderName = HeaderName::from_static("x-mfa-account");
const HTTPS: HeaderValue = HeaderValue::from_static("https");

thread_local! {
    /// The last client address written into `X-Forwarded-For` on this
    /// worker thread, as a header value: a keep-alive connection (or a
    /// busy client) sends many requests from one address, and a clone is a
    /// reference count where formatting the address is a `String` and a copy.
    static LAST_IP: std::cell::RefCell<Option<(IpAddr, HeaderValue)>> =
        const { std::cell::RefCell::new(None) };
}

/// `ip` as a header value (the text of the address).
fn ip_value(ip: IpAddr) -> HeaderValue {
    LAST_IP.with(|last| {
        let mut last = last.borrow_mut();
        if let Some((cached, value)) = last.as_ref()
            && *cached == ip
        {
            return value.clone();
        }
        // An address's text is always a valid header value.
        let value = HeaderValue::from_str(&ip.to_string())
            .unwrap_or_else(|_| HeaderValue::from_static("unknown"));
        *last = Some((ip, value.clone()));
        value
    })
}

/// The address of the client behind a chain of trusted proxies: walking
/// `X-Forwarded-For` from the right (what the nearest proxy added), the
/// first address that is not a trusted proxy. For what people are told
/// (a notification's "from which address"), never for a decision.
pub fn origin_ip(
    peer: IpAddr,
    forwarded_for: Option<&str>,
    trusted: impl Fn(IpAddr) -> bool,
) -> IpAddr {
    if !trusted(peer) {
        return peer;
    }
    let mut origin = peer;
    for hop in forwarded_for.unwrap_or("").rsplit(',') {
        let Ok(ip) = hop.trim().parse::<IpAddr>() else {
            break;
        };
        origin = ip.to_canonical();
        if !trusted(origin) {
            break;
        }
    }
    origin
}

/// The request's cookies without mfa-gate's own, joined with `; ` into one
/// header value — or `None` when the cookie headers can go to the app as
/// they are (one header, none of ours: the common case costs no copy).
/// Works on bytes, so a cookie value that is not ASCII reaches the app
/// untouched rather than taking the whole header with it.
fn cookie_pieces(v: &http::HeaderValue) -> impl Iterator<Item = &[u8]> {
    crate::request::cookies::split(v.as_bytes(), b';')
        .map(<[u8]>::trim_ascii)
        .filter(|p| !p.is_empty())
}

fn app_cookies(headers: &HeaderMap, own: &[&str]) -> Option<Vec<u8>> {
    let values = headers.get_all(http::header::COOKIE);
    let is_own = |piece: &[u8]| {
        let name = piece[..memchr::memchr(b'=', piece).unwrap_or(piece.len())].trim_ascii();
        own.iter().any(|o| o.as_bytes() == name)
    };
    let mut sent = values.iter();
    sent.next()?;
    let several = sent.next().is_some();
    // One pass: the app's pieces are copied while ours are looked for.
    let mut out = Vec::with_capacity(values.iter().map(|v| v.len() + 2).sum());
    let mut removed = false;
    for piece in values.iter().flat_map(cookie_pieces) {
        if is_own(piece) {
            removed = true;
            continue;
        }
        if !out.is_empty() {
            out.extend_from_slice(b"; ");
        }
        out.extend_from_slice(piece);
    }
    // A single header without ours stays as it was sent.
    (several || removed).then_some(out)
}

#[cfg(test)]
mod origin_tests {
    use super::origin_ip;
    use std::net::IpAddr;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn the_origin_is_the_first_untrusted_hop_from_the_right() {
        let trusted = |a: IpAddr| a == ip("10.0.0.1") || a == ip("10.0.0.2");
        let xff = Some("6.6.6.6, 203.0.113.9, 10.0.0.2");
        // A trusted peer: the chain is walked past trusted hops only.
        assert_eq!(origin_ip(ip("10.0.0.1"), xff, trusted), ip("203.0.113.9"));
        // An untrusted peer's header is not believed.
        assert_eq!(
            origin_ip(ip("198.51.100.7"), xff, trusted),
            ip("198.51.100.7")
        );
        // Garbage ends the walk at the last good hop.
        let bad = Some("nonsense, 10.0.0.2");
        assert_eq!(origin_ip(ip("10.0.0.1"), bad, trusted), ip("10.0.0.2"));
        assert_eq!(origin_ip(ip("10.0.0.1"), None, trusted), ip("10.0.0.1"));
    }
}

mod parts;

#[cfg(test)]
mod tests;
