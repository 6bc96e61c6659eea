//! The error channel of our page handlers: every reason a handler cannot
//! give its page (`PageError`), and the one mapping from such a reason to
//! the page the user sees (`PageError::respond`, called once by
//! `pages::handle`). Handlers return `Result<Reply, PageError>` and
//! use `?`; the details go to the log, the user sees a catalog message.

use super::views::Frame;
use super::{Reply, failure, message};
use crate::factors::hash_pool::Busy;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum PageError {
    /// The store did not answer or holds what cannot be read: 503.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Too much hashing in flight (see `hash_pool`): 503, try again in a
    /// second.
    #[error(transparent)]
    Busy(#[from] Busy),
    /// A sealed TOTP secret cannot be opened (the encryption key changed,
    /// or the bytes are damaged): 503.
    #[error("sealed TOTP secret cannot be opened (encryption key changed?)")]
    Secret,
    /// The form's CSRF token is missing, forged, of another session or too
    /// old: 403.
    #[error("CSRF token missing or invalid")]
    Csrf,
    /// A form field we need is missing or malformed: 400.
    #[error("bad form: {0}")]
    BadForm(&'static str),
    /// This account may not see or change this page: 403.
    #[error("not allowed for this account")]
    Forbidden,
    #[error("a passkey ceremony could not be started: {0}")]
    Passkey(String),
}

impl PageError {
    /// The page for this error, with the details logged.
    pub fn respond(self, frame: &Frame) -> Reply {
        match self {
            PageError::Store(e) => {
                tracing::error!(error = %e, "store failure");
                failure(frame, 503)
            }
            PageError::Busy(e) => {
                tracing::warn!(error = %e, "hashing refused");
                failure(frame, 503).with_header("Retry-After", "1".into())
            }
            PageError::Secret => {
                tracing::error!(error = %self, "a sealed secret cannot be opened");
                failure(frame, 503)
            }
            PageError::Csrf => failure(frame, 403),
            PageError::BadForm(what) => {
                tracing::info!(field = what, "bad form refused");
                failure(frame, 400)
            }
            PageError::Forbidden => {
                message(frame, 403, "forbidden.title", &["forbidden.body"], None)
            }
            PageError::Passkey(e) => {
                tracing::error!(error = %e, "passkey ceremony");
                failure(frame, 503)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Locale;

    fn frame() -> Frame<'static> {
        Frame {
            locale: Locale::En,
            app_name: "App",
            logo: None,
            prefix: "/_mfa",
            switch_href: String::new(),
        }
    }

    fn header<'a>(r: &'a Reply, name: &str) -> Option<&'a str> {
        r.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Each reason gives the status (and Retry-After) the user always got.
    #[test]
    fn every_error_has_its_status() {
        let cases = [
            (
                PageError::Store(StoreError::Engine("disk".into())),
                503,
                None,
            ),
            (PageError::Busy(Busy), 503, Some("1")),
            (PageError::Secret, 503, None),
            (PageError::Csrf, 403, None),
            (PageError::BadForm("action"), 400, None),
            (PageError::Forbidden, 403, None),
        ];
        for (error, status, retry_after) in cases {
            let what = error.to_string();
            let r = error.respond(&frame());
            assert_eq!(r.status, status, "{what}");
            assert_eq!(header(&r, "Retry-After"), retry_after, "{what}");
            assert_eq!(
                header(&r, "Content-Type"),
                Some("text/html; charset=utf-8"),
                "{what}"
            );
            let body = String::from_utf8_lossy(&r.body);
            assert!(!body.contains("disk"), "details stay in the log: {body}");
        }
    }

    /// The CSRF page and the forbidden page are different pages.
    #[test]
    fn csrf_and_forbidden_say_different_things() {
        let csrf = PageError::Csrf.respond(&frame());
        let forbidden = PageError::Forbidden.respond(&frame());
        assert_ne!(csrf.body, forbidden.body);
    }
}
