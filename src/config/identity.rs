//! The validated `identity` section: which source says who is logged in
//! ([`IdentitySource`]) and the settings of each — [`WhoamiConfig`] (the
//! app's whoami endpoint, the default) and [`HeadersConfig`] (headers of a
//! trusted SSO front). Plain data; the checks that produce them are in
//! `load/identity.rs` and `load/mapping.rs`, the running sources in
//! `crate::identity`. The mapping of a whoami answer (JSON pointers,
//! constants, value maps, the "not logged in" condition) is in
//! `mapping.rs` next to this file.

use crate::domain::AccountClass;
use http::{HeaderName, HeaderValue};
use std::time::Duration;

pub use super::mapping::{AnonymousWhen, FieldMap, FieldRule, ValueMap};

/// Identity headers that SSO fronts, auth proxies and web servers set for
/// the app behind them: oauth2-proxy, Authelia, authentik, Keycloak
/// Gatekeeper, Pomerium, Vouch, Kong, Tailscale, Apache and nginx
/// (`REMOTE_USER`), Kubernetes' auth proxy, Grafana and Gitea, Azure App
/// Service, Google IAP, Cloudflare Access, AWS ALB. An app that trusts one
/// of them would take a client's own copy as a login, so a request from a
/// peer outside `trusted_proxies` never carries them to the app, whatever
/// the identity source (`identity.strip_headers` replaces this list; the
/// configured identity headers are stripped as well). An entry ending in
/// `*` is a prefix.
pub const DEFAULT_STRIPPED_HEADERS: &[&str] = &[
    "x-forwarded-user",
    "x-forwarded-email",
    "x-forwarded-preferred-username",
    "x-forwarded-groups",
    "x-forwarded-access-token",
    "x-auth-request-user",
    "x-auth-request-email",
    "x-auth-request-preferred-username",
    "x-auth-request-groups",
    "x-auth-request-access-token",
    "x-auth-username",
    "x-auth-email",
    "x-auth-userid",
    "x-auth-subject",
    "x-auth-roles",
    "x-auth-groups",
    "x-auth-token",
    "remote-user",
    "remote-email",
    "remote-name",
    "remote-groups",
    "x-remote-user",
    "x-remote-email",
    "x-remote-group",
    "x-remote-extra-*",
    "x-authentik-username",
    "x-authentik-email",
    "x-authentik-name",
    "x-authentik-groups",
    "x-authentik-uid",
    "x-authentik-jwt",
    "x-pomerium-claim-*",
    "x-pomerium-jwt-assertion",
    "x-vouch-user",
    "x-consumer-username",
    "x-consumer-custom-id",
    "x-authenticated-userid",
    "x-userinfo",
    "tailscale-user-login",
    "tailscale-user-name",
    "x-webauth-user",
    "x-webauth-email",
    "x-user",
    "x-email",
    "x-ms-client-principal",
    "x-ms-client-principal-name",
    "x-ms-client-principal-id",
    "x-ms-token-*",
    "x-goog-authenticated-user-email",
    "x-goog-authenticated-user-id",
    "cf-access-authenticated-user-email",
    "x-amzn-oidc-identity",
    "x-amzn-oidc-data",
    "x-amzn-oidc-accesstoken",
];

/// The identity headers removed from untrusted peers' requests: names,
/// and name prefixes (`x-pomerium-claim-`). Matched on the name as a
/// CGI-style app reads it too (`request::headers::is_disguised`).
///
/// Asked once for every header of every request from an untrusted peer,
/// against some sixty names: the names are kept sorted (a binary search)
/// behind a 1024-bit filter of their hashes, so that a browser's usual
/// headers (`accept`, `user-agent`, …) are turned away by two bit tests
/// (none of the common request headers its test lists passes it with the
/// default list). The filter has no false negatives: it only spares the
/// search.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StrippedHeaders {
    /// Sorted, each once.
    names: Vec<Box<str>>,
    /// Two bits set per name (`marks`), one in each half.
    filter: [u64; 16],
    /// Lower case, without the `*`.
    prefixes: Vec<Box<str>>,
}

impl StrippedHeaders {
    /// The headers `names` and those starting with one of `prefixes`
    /// (both lower case, as `http` keeps names).
    pub fn new<'a>(
        names: impl IntoIterator<Item = &'a str>,
        prefixes: impl IntoIterator<Item = &'a str>,
    ) -> StrippedHeaders {
        let mut names: Vec<Box<str>> = names.into_iter().map(Box::from).collect();
        names.sort_unstable();
        names.dedup();
        let mut filter = [0; 16];
        for bit in names.iter().flat_map(|n| marks(n)) {
            filter[bit / 64] |= 1 << (bit % 64);
        }
        let prefixes = prefixes.into_iter().map(Box::from).collect();
        StrippedHeaders {
            names,
            filter,
            prefixes,
        }
    }

    /// Whether `name` (lower case, as `http` keeps it) is one of them.
    pub fn covers(&self, name: &str) -> bool {
        (self.passes_filter(name) && self.names.binary_search_by(|n| (**n).cmp(name)).is_ok())
            || self.prefixes.iter().any(|p| name.starts_with(&**p))
    }

    /// Whether `name`'s two bits are set: it may be one of the names.
    fn passes_filter(&self, name: &str) -> bool {
        marks(name)
            .iter()
            .all(|bit| self.filter[bit / 64] & 1 << (bit % 64) != 0)
    }
}

/// The two filter bits of a name: two 9-bit pieces of its FNV-1a hash,
/// one per half of the filter (a fixed table, never written after load: a
/// client's choice of names can only cost it the search it had anyway).
fn marks(name: &str) -> [usize; 2] {
    let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    [(hash & 511) as usize, 512 + (hash >> 16 & 511) as usize]
}

#[cfg(test)]
mod stripped_tests {
    use super::*;

    #[test]
    fn a_browsers_usual_headers_do_not_pass_the_default_lists_filter() {
        let names = DEFAULT_STRIPPED_HEADERS
            .iter()
            .filter(|n| !n.ends_with('*'));
        let stripped = StrippedHeaders::new(names.copied(), []);
        let passes = |name: &str| stripped.passes_filter(name);
        assert!(
            DEFAULT_STRIPPED_HEADERS
                .iter()
                .all(|n| n.ends_with('*') || passes(n))
        );
        let usual = "host cookie accept user-agent accept-encoding accept-language \
            connection referer sec-fetch-mode sec-fetch-site sec-fetch-dest \
            sec-fetch-user upgrade-insecure-requests sec-ch-ua sec-ch-ua-mobile \
            sec-ch-ua-platform cache-control content-type content-length origin \
            x-requested-with priority pragma if-none-match if-modified-since \
            authorization x-csrf-token traceparent";
        for name in usual.split_whitespace() {
            assert!(!passes(name), "{name} passes the filter: retune `marks`");
        }
    }
}

/// Where identities come from (docs/design.md §3).
#[derive(Clone, Debug, PartialEq, Eq)]
// One value per running gateway: the size difference costs nothing.
#[allow(clippy::large_enum_variant)]
pub enum IdentitySource {
    /// Ask the app's whoami endpoint (the default).
    Whoami(WhoamiConfig),
    /// Believe headers set by an SSO front, from `trusted_proxies` only.
    Headers(HeadersConfig),
}

impl IdentitySource {
    /// The cookies whose values identify one login session, if configured;
    /// the verified state and CSRF tokens are bound to their values.
    pub fn session_cookies(&self) -> Option<&SessionCookies> {
        match self {
            IdentitySource::Whoami(w) => Some(&w.session),
            IdentitySource::Headers(h) => h.session_cookie.as_ref(),
        }
    }

    /// The name of the session cookie when exactly one cookie, by name,
    /// identifies a session (the flat `session_cookie: NAME`).
    pub fn session_cookie(&self) -> Option<&str> {
        match self.session_cookies()? {
            SessionCookies::Names(names) if names.len() == 1 => Some(&names[0].name),
            _ => None,
        }
    }
}

/// Which request cookies identify one app login session.
///
/// The *session value* that the verified state is bound to (and that keys
/// the identity cache) is, for one named cookie, its value (as ever); for
/// several names, `name=value` of each one sent, in the configured order,
/// joined with `; ` (a ready `Cookie` header); for a prefix, the one
/// matching `name=value`, a newline, and the request's `Host` (an app that
/// names its cookie after the host reads it per host, so whoami is asked
/// with that host, and the answer is cached per host).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionCookies {
    /// These cookies by exact name (one for most apps).
    Names(Vec<CookieName>),
    /// The one cookie whose name starts with this (Jupyter's
    /// `username-<host>-<port>`); two such names in a request are refused.
    Prefix(CookieName),
}

/// A configured cookie name (or prefix) with its skeleton: what is left
/// after every reading some framework applies (`request::cookies`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CookieName {
    pub name: String,
    pub skeleton: String,
}

impl CookieName {
    pub fn new(name: impl Into<String>) -> CookieName {
        let name = name.into();
        let skeleton = skeleton(&name);
        CookieName { name, skeleton }
    }
}

impl SessionCookies {
    /// One cookie by name: the flat `session_cookie: NAME`.
    pub fn one(name: &str) -> SessionCookies {
        SessionCookies::Names(vec![CookieName::new(name)])
    }

    /// The `Cookie` header and the `Host` (prefix only) of the whoami call
    /// for a session value (see the type's doc).
    pub fn whoami_cookie<'v>(&self, session_value: &'v str) -> (String, Option<&'v str>) {
        match self {
            SessionCookies::Names(names) if names.len() == 1 => {
                // Not `format!`: its machinery cost a whoami miss ~800
                // instructions for two strings joined by `=`.
                let name = &names[0].name;
                let mut cookie = String::with_capacity(name.len() + 1 + session_value.len());
                cookie.push_str(name);
                cookie.push('=');
                cookie.push_str(session_value);
                (cookie, None)
            }
            SessionCookies::Names(_) => (session_value.to_owned(), None),
            SessionCookies::Prefix(_) => match session_value.split_once('\n') {
                Some((cookie, host)) if !host.is_empty() => (cookie.to_owned(), Some(host)),
                Some((cookie, _)) => (cookie.to_owned(), None),
                None => (session_value.to_owned(), None),
            },
        }
    }

    /// Whether a cookie called `name` (as a `Set-Cookie` names it) is one
    /// of these, compared without regard to ASCII case (as some frameworks
    /// read names).
    pub fn covers(&self, name: &str) -> bool {
        match self {
            SessionCookies::Names(names) => names.iter().any(|n| n.name.eq_ignore_ascii_case(name)),
            SessionCookies::Prefix(p) => name
                .get(..p.name.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(&p.name)),
        }
    }

    /// For messages: `"a"`, `"a", "b"` or `"a…"`.
    pub fn describe(&self) -> String {
        match self {
            SessionCookies::Names(names) => names
                .iter()
                .map(|n| format!("\"{}\"", n.name))
                .collect::<Vec<_>>()
                .join(", "),
            SessionCookies::Prefix(p) => format!("\"{}…\"", p.name),
        }
    }
}

/// The method of the whoami call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WhoamiMethod {
    Get,
    Post,
}

/// The whoami source: the app's session cookie(s) are sent to `whoami_path`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WhoamiConfig {
    /// The app's session cookie(s).
    pub session: SessionCookies,
    pub whoami_method: WhoamiMethod,
    /// Path (and query) on the upstream answering who the session is,
    /// e.g. `/api/me`.
    pub whoami_path: String,
    /// Extra headers of the whoami call (`Accept`, `X-Requested-With`…).
    pub whoami_headers: Vec<(HeaderName, HeaderValue)>,
    pub whoami_timeout: Duration,
    /// How the answer becomes an identity.
    pub fields: FieldMap,
    /// A condition on a 200 answer meaning "not logged in" (apps that
    /// answer anonymous sessions with 200).
    pub anonymous_when: Option<AnonymousWhen>,
    pub cache_ttl: Duration,
    pub cache_size: usize,
    /// whoami answers meaning "nobody is logged in" (the request passes as
    /// anonymous); every other status but 200 fails closed. Never 200.
    pub anonymous_statuses: Vec<u16>,
    /// Most whoami calls in flight at once, over all sessions.
    pub whoami_concurrency: usize,
    /// Per client address: whoami calls (identity cache misses) per second,
    /// and the burst allowed above that rate. Over it: 429.
    pub whoami_client_rate: u32,
    pub whoami_client_burst: u32,
}

/// The `headers` identity source: header names of each claim, and what to
/// bind the verified state to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeadersConfig {
    /// A cookie whose value identifies one login session: the app's own
    /// session cookie, or the SSO front's (oauth2-proxy: `_oauth2_proxy`).
    /// Preferred over `session_header` when the request carries it.
    pub session_cookie: Option<SessionCookies>,
    /// A header the SSO front sets to a per-login-session value.
    pub session_header: Option<HeaderName>,
    pub account: HeaderName,
    pub company: Option<HeaderName>,
    pub class: Option<HeaderName>,
    pub person: Option<HeaderName>,
    /// Comma-separated list of roles.
    pub roles: Option<HeaderName>,
    pub email: Option<HeaderName>,
    /// Used when the company header is not configured or not sent.
    pub default_company: Option<String>,
    /// Used when the class header is not configured or not sent.
    pub default_class: Option<AccountClass>,
}

impl HeadersConfig {
    /// Every header this source reads: what is stripped from requests of
    /// peers that are not trusted proxies.
    pub fn names(&self) -> impl Iterator<Item = &HeaderName> {
        [
            Some(&self.account),
            self.company.as_ref(),
            self.class.as_ref(),
            self.person.as_ref(),
            self.roles.as_ref(),
            self.email.as_ref(),
            self.session_header.as_ref(),
        ]
        .into_iter()
        .flatten()
    }
}

/// What is left of a cookie name after every reading some framework
/// applies: percent-decoding (repeated, and `+` as space), then only the
/// letters and digits, lower-cased. Whitespace of any kind, quotes, `$`,
/// `.`, `_`, `[`, `-` and invisible characters all vanish, so two names that
/// any framework could confuse have the same skeleton.
pub fn skeleton(name: &str) -> String {
    let mut decoded = name.replace('+', " ");
    for _ in 0..3 {
        let next = percent_encoding::percent_decode_str(&decoded)
            .decode_utf8_lossy()
            .into_owned();
        if next == decoded {
            break;
        }
        decoded = next;
    }
    decoded
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}
