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
mod tests;
