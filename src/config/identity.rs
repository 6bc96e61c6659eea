//! The validated `identity` section: which source says who is logged in
//! ([`IdentitySource`]) and the settings of each — [`WhoamiConfig`] (the
//! app's whoami endpoint, the default) and [`HeadersConfig`] (headers of a
//! trusted SSO front). Plain data; the checks that produce them are in
//! `load/identity.rs`, the running sources in `crate::identity`.

use crate::domain::AccountClass;
use http::HeaderName;
use std::time::Duration;

/// Where identities come from (docs/design.md §3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdentitySource {
    /// Ask the app's whoami endpoint (the default).
    Whoami(WhoamiConfig),
    /// Believe headers set by an SSO front, from `trusted_proxies` only.
    Headers(HeadersConfig),
}

impl IdentitySource {
    /// The cookie whose value identifies one login session, if configured;
    /// the verified state and CSRF tokens are bound to its value.
    pub fn session_cookie(&self) -> Option<&str> {
        match self {
            IdentitySource::Whoami(w) => Some(&w.session_cookie),
            IdentitySource::Headers(h) => h.session_cookie.as_deref(),
        }
    }
}

/// The whoami source: the app's session cookie is sent to `whoami_path`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WhoamiConfig {
    /// Name of the app's session cookie.
    pub session_cookie: String,
    /// Path on the upstream answering who the session is, e.g. `/api/me`.
    pub whoami_path: String,
    pub whoami_timeout: Duration,
    pub fields: FieldMap,
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

/// JSON field names of the whoami answer. `person`, `roles` and `email` are
/// optional in the answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldMap {
    pub account: String,
    pub company: String,
    pub class: String,
    pub person: String,
    pub roles: String,
    pub email: String,
}

/// The `headers` identity source: header names of each claim, and what to
/// bind the verified state to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeadersConfig {
    /// A cookie whose value identifies one login session: the app's own
    /// session cookie, or the SSO front's (oauth2-proxy: `_oauth2_proxy`).
    /// Preferred over `session_header` when the request carries it.
    pub session_cookie: Option<String>,
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
