//! What kind of request this is, decided from the [`RequestHead`] alone:
//! refused before anything else, one of our pages, a bypass path the app
//! handles on its own, or an app request whose session must be identified
//! and judged. Pure; table-tested.

use super::{RequestHead, SessionReading, cookies::Refusal};
use crate::config::Config;
use crate::request::paths;
use crate::request::route::Route;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Refuse(Refused),
    Page(Route),
    /// A bypass path: forwarded without identification.
    Forward,
    /// An app path: identify the session, then decide.
    Identify,
}

/// Why a request is refused before any decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// A header value no browser sends (431).
    HeaderTooLarge,
    /// A GET or HEAD with a body (400): the app might read that body as a
    /// request of its own (see `allow_get_body`).
    BodyOnRead,
    /// The app's session cookie does not read one way only (400).
    Session(Refusal),
}

impl Refused {
    pub fn status(self) -> u16 {
        match self {
            Refused::HeaderTooLarge => 431,
            Refused::BodyOnRead | Refused::Session(_) => 400,
        }
    }

    /// The `error` of the JSON answer.
    pub fn error(self) -> &'static str {
        match self {
            Refused::HeaderTooLarge => "header_too_large",
            Refused::BodyOnRead => "body_not_allowed",
            Refused::Session(_) => "ambiguous_session",
        }
    }
}

/// Classify a request. A GET or HEAD with a body is refused everywhere,
/// bypass paths included (unless `allow_get_body`). A session cookie that does not read one way only is
/// refused everywhere but on bypass paths, so that the app's login can
/// replace a stale or odd cookie (a bypass path is forwarded unjudged
/// anyway).
pub fn classify(head: &RequestHead, config: &Config) -> Verdict {
    // A forward-auth ask carries the original request's headers: the ask
    // itself is never refused for them; the request it describes is read
    // and refused on its own (`edge/proxy/forward_auth.rs`), in the
    // status a front passes on.
    let below = paths::strip_prefix(&head.path, &config.prefix);
    if below.is_some_and(|b| Route::parse(b) == Route::Auth) {
        return Verdict::Page(Route::Auth);
    }
    if head.oversized {
        return Verdict::Refuse(Refused::HeaderTooLarge);
    }
    if head.body_on_read {
        return Verdict::Refuse(Refused::BodyOnRead);
    }
    let session_refused = match head.cookies.session {
        SessionReading::Refused(r) => Some(Verdict::Refuse(Refused::Session(r))),
        _ => None,
    };
    if let Some(below) = below {
        return session_refused.unwrap_or_else(|| Verdict::Page(Route::parse(below)));
    }
    if head.bypass {
        return Verdict::Forward;
    }
    session_refused.unwrap_or(Verdict::Identify)
}

#[cfg(test)]
mod tests;
