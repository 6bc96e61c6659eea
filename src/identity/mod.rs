//! Who is logged in, and which login session this is (docs/design.md §3). Two
//! sources: `whoami` asks the app about its session cookie (cached);
//! `headers` reads what a trusted SSO front says. Either way the answer is
//! an `Identity` plus the *session value* that mfa-gate's verified state
//! and CSRF tokens are bound to, so a new login — a new app or SSO session —
//! needs a new challenge, exactly as after a password login.
//!
//! The proxy reads a request once into a `Presented` (no I/O), then
//! `resolve`s it (whoami: maybe one HTTP call, bounded per session, per
//! client address and in total). Failures are errors that the proxy turns
//! into a 503 (429 for a client over its look-up budget): fail closed,
//! never open. When a login or logout may have changed who a session is
//! (a form posted to a bypass path, or the app setting or clearing its
//! session cookie), the proxy `forget`s the session's cached identity.

mod bounds;
pub mod check;
mod headers;
mod http1;
mod mapping;
mod transport;
mod whoami;

pub use headers::HeadersReader;
pub use mapping::{MappingError, is_anonymous, map_identity};
pub use whoami::{Asked, WhoamiClient};

use crate::config::{IdentitySource, SessionCookies};
use crate::domain::Identity;
use http::{HeaderMap, HeaderValue};
use std::net::IpAddr;
use std::sync::Arc;

/// Longest accepted value of one identity field.
pub const MAX_FIELD: usize = 320;

/// The answer about one app session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// The app says nobody is logged in with this cookie: pass through.
    Anonymous,
    Known(Arc<Identity>),
}

/// Cloned because one whoami call answers every request that waited for it.
#[derive(Clone, Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("whoami endpoint unreachable: {0}")]
    Unreachable(String),
    #[error("whoami endpoint timed out")]
    Timeout,
    #[error("whoami endpoint answered HTTP {0}")]
    Status(u16),
    #[error("whoami answer is unusable: {0}")]
    BadAnswer(String),
    #[error("identity headers are unusable: {0}")]
    BadHeaders(String),
    /// Identity headers without the session cookie or session header: the
    /// verified state could not be bound to a login session.
    #[error("identity headers came without a session cookie or session header")]
    NoSession,
    /// The client address spent its budget of whoami calls (new session
    /// values) for now: the proxy answers 429.
    #[error("too many identity look-ups from this client address")]
    TooManyLookups,
    /// All whoami calls allowed at once were busy for `whoami_timeout`.
    #[error("too many whoami calls in flight")]
    Busy,
}

/// The configured identity source (`config::IdentitySource`) of a running
/// gateway: one variant per source, each holding that source's runtime.
pub enum Identities {
    /// Shared so that a reload with the same identity settings keeps the
    /// cache (and its pooled connections).
    Whoami(Arc<WhoamiClient>),
    Headers(Box<HeadersReader>),
}

/// What a request presents about its login, read without I/O.
#[derive(Debug, Default)]
pub struct Presented {
    /// The value the verified state is bound to: the session cookie, else
    /// (headers source) the session header.
    session: Option<String>,
    /// Headers source, trusted peer: the claimed identity, if any.
    claim: Option<Result<Arc<Identity>, String>>,
    /// The peer's address: a whoami call spends from its budget.
    client: Option<IpAddr>,
}

/// Who a request belongs to, with its session value, and whether the
/// identity was just resolved (a whoami cache miss; always with headers)
/// rather than taken from the cache.
#[derive(Debug)]
pub enum Who<'a> {
    Anonymous,
    Known(Arc<Identity>, &'a str, bool),
}

impl Identities {
    /// The source for `settings`; a whoami source of `previous` is reused
    /// (cache and all) when its settings and upstream are unchanged.
    pub fn new(
        settings: &IdentitySource,
        upstream_base: &str,
        previous: Option<&Identities>,
    ) -> Result<Identities, IdentityError> {
        Ok(match settings {
            IdentitySource::Whoami(cfg) => match previous {
                Some(Identities::Whoami(old)) if old.serves(cfg, upstream_base) => {
                    Identities::Whoami(old.clone())
                }
                _ => Identities::Whoami(Arc::new(WhoamiClient::new(cfg, upstream_base)?)),
            },
            IdentitySource::Headers(cfg) => Identities::Headers(Box::new(HeadersReader::new(cfg))),
        })
    }

    /// Whether `other` is this very source (a reload kept it).
    pub fn is_shared_with(&self, other: &Identities) -> bool {
        match (self, other) {
            (Identities::Whoami(a), Identities::Whoami(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }

    /// Read a request: `session_cookie` is the value of the configured
    /// session cookie, if sent; `trusted` whether the peer is a trusted
    /// proxy; `client` the peer's address (budgets whoami calls).
    pub fn present(
        &self,
        headers: &HeaderMap,
        trusted: bool,
        session_cookie: Option<String>,
        client: Option<IpAddr>,
    ) -> Presented {
        match self {
            Identities::Whoami(_) => Presented {
                session: session_cookie,
                claim: None,
                client,
            },
            Identities::Headers(_) if !trusted => Presented {
                client,
                ..Presented::default()
            },
            Identities::Headers(h) => Presented {
                claim: h.read(headers).map(|r| r.map(Arc::new)),
                session: session_cookie.or_else(|| h.session_header(headers)),
                client,
            },
        }
    }

    /// Forget what is known about the session `presented` names, so that
    /// its next request asks the app again (after a login or logout).
    pub fn forget(&self, presented: &Presented) {
        if let Some(value) = presented.session.as_deref() {
            self.forget_session(value);
        }
    }

    /// `forget` by the session cookie's value.
    pub fn forget_session(&self, session_value: &str) {
        match self {
            Identities::Whoami(source) => source.forget(session_value),
            // Nothing cached: every request carries its claim.
            Identities::Headers(_) => {}
        }
    }

    /// Who `presented` belongs to.
    pub async fn resolve<'a>(&self, presented: &'a Presented) -> Result<Who<'a>, IdentityError> {
        match self {
            Identities::Whoami(source) => {
                let Some(value) = presented.session.as_deref() else {
                    return Ok(Who::Anonymous);
                };
                Ok(match source.lookup(value, presented.client).await? {
                    (Lookup::Known(identity), fresh) => Who::Known(identity, value, fresh),
                    (Lookup::Anonymous, _) => Who::Anonymous,
                })
            }
            Identities::Headers(_) => match &presented.claim {
                None => Ok(Who::Anonymous),
                Some(Err(e)) => Err(IdentityError::BadHeaders(e.clone())),
                Some(Ok(identity)) => match presented.session.as_deref() {
                    Some(value) => Ok(Who::Known(identity.clone(), value, true)),
                    None => Err(IdentityError::NoSession),
                },
            },
        }
    }
}

/// Whether a response's `Set-Cookie` header values set or clear one of
/// the app's session cookies (`SessionCookies::covers`): a login or logout
/// happened, and what was known about the session may be stale. Names are
/// compared without regard to ASCII case, as some frameworks read them; a
/// value the `cookie` crate cannot parse counts by the name before its
/// `=`, so an odd header errs toward forgetting.
pub fn sets_session_cookie<'a>(
    set_cookies: impl IntoIterator<Item = &'a HeaderValue>,
    session: &SessionCookies,
) -> bool {
    set_cookies.into_iter().any(|value| {
        let text = String::from_utf8_lossy(value.as_bytes());
        match cookie::Cookie::parse(text.as_ref()) {
            Ok(c) => session.covers(c.name()),
            Err(_) => text
                .split(['=', ';'])
                .next()
                .is_some_and(|n| session.covers(n.trim())),
        }
    })
}

#[cfg(test)]
mod tests;
