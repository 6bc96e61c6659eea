//! What a page handler is given: a [`PageRequest`] (already read by the
//! proxy: route, query, language, form, the logged-in session as
//! [`SessionCtx`]) and nothing of pingora.

use crate::access::guard::Trust;
use crate::access::session::AppSession;
use crate::config::Locale;
use crate::domain::{Identity, Whence};
use crate::pages::Form;
use crate::request::Method;
use crate::request::paths;
use crate::request::route::Route;
use std::sync::Arc;

/// A logged-in app session, as far as the pages need it.
#[derive(Clone, Debug)]
pub struct SessionCtx {
    pub identity: Arc<Identity>,
    pub app: AppSession,
    /// Value of mfa-gate's own cookie, if the browser sent one.
    pub gateway_cookie: Option<String>,
    /// Value of the remembered-browser cookie, if the browser sent one.
    pub remember_cookie: Option<String>,
    /// The second step counts as passed in this app session (the gateway
    /// cookie, or a remembered browser).
    pub verified: bool,
    /// Where that comes from, and how old a proof is (step-up).
    pub trust: Trust,
    /// Where the request came from, for notifications only.
    pub whence: Whence,
}

#[derive(Debug)]
pub struct PageRequest {
    pub method: Method,
    pub route: Route,
    pub query: Option<String>,
    pub locale: Locale,
    /// `None` for anonymous requests and open routes.
    pub session: Option<SessionCtx>,
    pub form: Form,
    /// A browser page load or form post (a denial redirects or shows a
    /// page) rather than a script's call (a denial answers JSON).
    pub navigation: bool,
    /// Only for the label of a remembered browser; never decides anything.
    pub user_agent: Option<String>,
    pub now: i64,
}

impl PageRequest {
    /// A request with no session and no form (for pages shown in place of
    /// another: errors, refusals).
    pub fn bare(locale: Locale, now: i64) -> PageRequest {
        PageRequest {
            method: Method::Get,
            route: Route::NotFound,
            query: None,
            locale,
            session: None,
            form: Form::default(),
            navigation: true,
            user_agent: None,
            now,
        }
    }

    pub(in crate::pages) fn query_param(&self, name: &str) -> Option<String> {
        paths::query_param(self.query.as_deref(), name)
    }

    /// `return_to` from the form (POST) or the query (GET), sanitized.
    pub(in crate::pages) fn return_to(&self, prefix: &str) -> String {
        let raw = match self.method {
            Method::Post => self.form.get("return_to").map(str::to_owned),
            _ => self.query_param("return_to"),
        };
        paths::safe_return_to(raw.as_deref().unwrap_or("/"), prefix)
    }
}
