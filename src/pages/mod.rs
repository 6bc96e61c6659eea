//! mfa-gate's own pages under the route prefix (`/_mfa` by default), one
//! handler per route, plus the answers the proxy gives when a request may
//! not reach the app yet. Handlers take a `PageRequest` (already parsed by
//! the proxy: route, identity, app-session binding, form) and return a
//! `Reply`; they know nothing of pingora, so they are tested without
//! a proxy. `now` comes in with the request. Which session may reach which
//! route is decided once, in `route::admit`, before any handler runs. A
//! handler that cannot give its page returns a `PageError`, which `handle`
//! turns into the user's page in one place (`error.rs`); helpers shared by
//! handlers live in `common.rs`.

mod common;
mod error;
pub mod form;
mod handlers;
pub mod views;

use crate::access::decision::Denial;
use crate::access::gate::Gate;
use crate::access::session::AppSession;
use crate::config::Locale;
use crate::domain::Identity;
pub use crate::request::Method;
use crate::request::paths;
pub use crate::request::route::{Access, Admission, Route, Standing};
pub use error::PageError;
pub use form::{Form, FormError};
use std::sync::Arc;
use views::Frame;

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
    pub trust: crate::access::guard::Trust,
    /// Where the request came from, for notifications only.
    pub whence: crate::domain::Whence,
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

    fn query_param(&self, name: &str) -> Option<String> {
        paths::query_param(self.query.as_deref(), name)
    }

    /// `return_to` from the form (POST) or the query (GET), sanitized.
    fn return_to(&self, prefix: &str) -> String {
        let raw = match self.method {
            Method::Post => self.form.get("return_to").map(str::to_owned),
            _ => self.query_param("return_to"),
        };
        paths::safe_return_to(raw.as_deref().unwrap_or("/"), prefix)
    }
}

pub use crate::reply::Reply;

/// Answer a request for one of our pages, whose session stands as
/// `standing`: the access rule first, then the route's handler.
pub async fn handle(gate: &Gate, req: PageRequest, standing: Standing) -> Reply {
    let frame = frame(gate, &req);
    let response = match admit(&req, standing) {
        Admission::Serve => dispatch(gate, &req, &frame).await,
        Admission::LogInFirst => message(&frame, 401, "anon.title", &["anon.body"], Some("/")),
        Admission::Deny(denial) => {
            let here = match req.route.is_returnable() {
                true => req.route.href(&gate.config.prefix),
                false => "/".to_owned(),
            };
            deny(gate, denial, &here, req.navigation, &frame)
        }
    };
    match req.query_param("lang").and_then(|l| Locale::parse(&l)) {
        Some(l) => response.with_header("Set-Cookie", lang_cookie(gate, l)),
        None => response,
    }
}

/// The access rule, for a route answered with this method (an unknown
/// route or method is an open 404).
fn admit(req: &PageRequest, standing: Standing) -> Admission {
    if !req.route.allows(req.method) {
        return Admission::Serve;
    }
    crate::request::route::admit(req.route.access(), standing)
}

async fn dispatch(gate: &Gate, req: &PageRequest, frame: &Frame<'_>) -> Reply {
    let post = req.method == Method::Post;
    let sess = req.session.as_ref();
    let handled = match (&req.route, sess) {
        _ if !req.route.allows(req.method) => Ok(not_found(frame)),
        (Route::Health, _) => Ok(health(gate)),
        (Route::Asset(path), _) => Ok(views::assets::serve(path)),
        (Route::NotFound, _) => Ok(not_found(frame)),
        // `admit` let only logged-in sessions through to these.
        (_, None) => Ok(failure(frame, 401)),
        (Route::Enroll, Some(s)) if post => handlers::enroll::confirm(gate, req, frame, s).await,
        (Route::Enroll, Some(s)) => handlers::enroll::show(gate, req, frame, s),
        (Route::BackupCodesDownload, Some(s)) => handlers::new_codes::download(gate, req, frame, s),
        (Route::Challenge, Some(s)) if post => {
            handlers::challenge::verify(gate, req, frame, s).await
        }
        (Route::Challenge, Some(s)) => handlers::challenge::show(gate, req, frame, s),
        (Route::SignedIn, Some(s)) => handlers::challenge::signed_in(gate, req, frame, s),
        (Route::Settings, Some(s)) if post => handlers::settings::change(gate, req, frame, s).await,
        (Route::Settings, Some(s)) => handlers::settings::show(gate, req, frame, s),
        (Route::Policy, Some(s)) if post => handlers::policy::save(gate, req, frame, s),
        (Route::Policy, Some(s)) => handlers::policy::show(gate, req, frame, s),
        (Route::Passkeys, Some(s)) if post => {
            handlers::passkeys::register(gate, req, frame, s).await
        }
        (Route::Passkeys, Some(s)) => handlers::passkeys::show(gate, req, frame, s),
    };
    handled.unwrap_or_else(|e| e.respond(frame))
}

fn not_found(frame: &Frame) -> Reply {
    message(frame, 404, "not_found.title", &["not_found.body"], None)
}

fn lang_cookie(gate: &Gate, l: Locale) -> String {
    let secure = if gate.config.cookie.secure {
        "; Secure"
    } else {
        ""
    };
    format!(
        "{}={}; Path={}; Max-Age=31536000; SameSite=Lax{secure}",
        views::i18n::LANG_COOKIE,
        l.as_str(),
        gate.config.prefix
    )
}

fn health(gate: &Gate) -> Reply {
    // A read that reaches the engine (the database, for replicas) proves
    // the store answers; a failure is not "alive", and a load balancer
    // drains this replica.
    match gate.store.ping() {
        Ok(_) => Reply::json(200, serde_json::json!({"status": "ok"})),
        Err(e) => {
            tracing::error!(error = %e, "health check: store unavailable");
            Reply::json(503, serde_json::json!({"status": "store_unavailable"}))
        }
    }
}

pub fn frame<'a>(gate: &'a Gate, req: &PageRequest) -> Frame<'a> {
    let other = match req.locale {
        Locale::Ja => Locale::En,
        Locale::En => Locale::Ja,
    };
    let mut q = form_urlencoded::Serializer::new(String::new());
    q.append_pair("lang", other.as_str());
    for name in ["method", "via"] {
        if let Some(v) = req.query_param(name) {
            q.append_pair(name, &v);
        }
    }
    let return_to = req.return_to(&gate.config.prefix);
    if return_to != "/" {
        q.append_pair("return_to", &return_to);
    }
    Frame {
        locale: req.locale,
        app_name: &gate.config.ui.app_name,
        logo: gate.config.ui.logo.as_deref(),
        prefix: &gate.config.prefix,
        switch_href: format!("{}?{}", req.route.href(&gate.config.prefix), q.finish()),
    }
}

/// The language-switch link for a page rendered in place of the app path
/// `path`.
pub fn switch_href_for(gate: &Gate, path: &str, locale: Locale) -> String {
    let other = match locale {
        Locale::Ja => Locale::En,
        Locale::En => Locale::Ja,
    };
    let path = paths::safe_return_to(path, &gate.config.prefix);
    format!("{path}?lang={}", other.as_str())
}

pub fn message(
    frame: &Frame,
    status: u16,
    title_key: &str,
    body_keys: &[&str],
    link: Option<&str>,
) -> Reply {
    Reply::html(status, views::message(frame, title_key, body_keys, link))
}

/// The answer to an app request that may not pass yet. Navigations get a
/// 303 to our page with a sanitized `return_to`; anything else (XHR, API,
/// POST) gets a JSON 401 (423 when locked) naming where to go.
pub fn deny(
    gate: &Gate,
    denial: Denial,
    request_target: &str,
    is_navigation: bool,
    frame: &Frame,
) -> Reply {
    let (error, page) = match denial {
        Denial::Enroll => ("enrollment_required", Route::Enroll),
        Denial::Challenge => ("mfa_required", Route::Challenge),
        Denial::Locked if is_navigation => return locked(frame),
        Denial::Locked => return Reply::json(423, serde_json::json!({"error": "locked"})),
    };
    let prefix = &gate.config.prefix;
    let return_to = paths::safe_return_to(request_target, prefix);
    let location = paths::with_return_to(&page.href(prefix), &return_to);
    if is_navigation {
        Reply::redirect(&location)
    } else {
        Reply::json(
            401,
            serde_json::json!({"error": error, "location": location}),
        )
    }
}

/// The locked page (423): only support can lift the lock.
pub fn locked(frame: &Frame) -> Reply {
    message(
        frame,
        423,
        "locked.title",
        &["locked.body", "locked.support"],
        None,
    )
}

/// A failure answer with a page for browsers, used by the proxy.
pub fn failure(frame: &Frame, status: u16) -> Reply {
    let (title, body) = match status {
        400 => ("bad_request.title", "bad_request.body"),
        403 => ("csrf.title", "csrf.body"),
        // 431: header values far too large (refused by the proxy).
        413 | 431 => ("too_large.title", "too_large.body"),
        _ => ("unavailable.title", "unavailable.body"),
    };
    message(frame, status, title, &[body], None)
}
