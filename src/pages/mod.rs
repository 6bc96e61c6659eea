//! mfa-gate's own pages under the route prefix (`/_mfa` by default), one
//! handler per route, plus the answers the proxy gives when a request may
//! not reach the app yet. Handlers take a `PageRequest` (already parsed by
//! the proxy: identity, app-session binding, form) and return a
//! `PageResponse`; they know nothing of pingora, so they are tested without
//! a proxy. `now` comes in with the request.

mod assets;
mod challenge;
mod enroll;
pub mod form;
pub mod i18n;
mod policy;
mod settings;
mod verify;
pub mod views;

use crate::config::Locale;
use crate::decision::Action;
use crate::domain::{Identity, PersonRecord};
use crate::gate::Gate;
use crate::paths;
use crate::session::{self, AppSession};
pub use form::{Form, FormError};
use std::sync::Arc;
use views::Frame;

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
}

/// A logged-in app session, as far as the pages need it.
#[derive(Clone, Debug)]
pub struct SessionCtx {
    pub identity: Arc<Identity>,
    pub app: AppSession,
    /// Value of mfa-gate's own cookie, if the browser sent one.
    pub gateway_cookie: Option<String>,
}

#[derive(Debug)]
pub struct PageRequest {
    pub method: Method,
    /// The route below the prefix, e.g. `/enroll`.
    pub route: String,
    pub query: Option<String>,
    pub locale: Locale,
    /// `None` for anonymous requests.
    pub session: Option<SessionCtx>,
    pub form: Form,
    pub now: i64,
}

impl PageRequest {
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

#[derive(Debug)]
pub struct PageResponse {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

impl PageResponse {
    pub fn html(status: u16, markup: maud::Markup) -> PageResponse {
        PageResponse {
            status,
            headers: vec![("Content-Type", "text/html; charset=utf-8".into())],
            body: markup.into_string().into_bytes(),
        }
    }

    pub fn redirect(location: &str) -> PageResponse {
        PageResponse {
            status: 303,
            headers: vec![("Location", location.to_owned())],
            body: Vec::new(),
        }
    }

    pub fn json(status: u16, value: serde_json::Value) -> PageResponse {
        PageResponse {
            status,
            headers: vec![("Content-Type", "application/json".into())],
            body: value.to_string().into_bytes(),
        }
    }

    pub fn with_header(mut self, name: &'static str, value: String) -> PageResponse {
        self.headers.push((name, value));
        self
    }
}

/// Answer a request for one of our pages.
pub async fn handle(gate: &Gate, req: PageRequest) -> PageResponse {
    let frame = frame(gate, &req);
    let response = match (req.route.as_str(), req.method) {
        ("/healthz", Method::Get | Method::Head) => health(gate),
        (r, Method::Get | Method::Head) if r.starts_with("/assets/") => assets::serve(r),
        ("/enroll" | "/challenge" | "/backup-codes.txt" | "/settings" | "/admin/security", _)
            if req.session.is_none() =>
        {
            message(&frame, 401, "anon.title", &["anon.body"], Some("/"))
        }
        ("/enroll", Method::Get | Method::Head) => enroll::show(gate, &req, &frame),
        ("/enroll", Method::Post) => enroll::confirm(gate, &req, &frame).await,
        ("/backup-codes.txt", Method::Post) => enroll::download(gate, &req, &frame),
        ("/challenge", Method::Get | Method::Head) => challenge::show(gate, &req, &frame),
        ("/challenge", Method::Post) => challenge::verify(gate, &req, &frame).await,
        ("/settings", Method::Get | Method::Head) => settings::show(gate, &req, &frame),
        ("/settings", Method::Post) => settings::change(gate, &req, &frame).await,
        ("/admin/security", Method::Get | Method::Head) => policy::show(gate, &req, &frame),
        ("/admin/security", Method::Post) => policy::save(gate, &req, &frame),
        _ => message(&frame, 404, "not_found.title", &["not_found.body"], None),
    };
    match req.query_param("lang").and_then(|l| Locale::parse(&l)) {
        Some(l) => response.with_header("Set-Cookie", lang_cookie(gate, l)),
        None => response,
    }
}

fn lang_cookie(gate: &Gate, l: Locale) -> String {
    let secure = if gate.config.cookie.secure {
        "; Secure"
    } else {
        ""
    };
    format!(
        "{}={}; Path={}; Max-Age=31536000; SameSite=Lax{secure}",
        i18n::LANG_COOKIE,
        l.as_str(),
        gate.config.prefix
    )
}

fn health(gate: &Gate) -> PageResponse {
    // Reading a key proves the store answers; a failure is not "alive".
    match gate.store.company_policy("") {
        Ok(_) => PageResponse::json(200, serde_json::json!({"status": "ok"})),
        Err(e) => {
            tracing::error!(error = %e, "health check: store unavailable");
            PageResponse::json(503, serde_json::json!({"status": "store_unavailable"}))
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
    if let Some(m) = req.query_param("method") {
        q.append_pair("method", &m);
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
        switch_href: format!("{}{}?{}", gate.config.prefix, req.route, q.finish()),
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
) -> PageResponse {
    PageResponse::html(status, views::message(frame, title_key, body_keys, link))
}

/// Set-Cookie for the gateway cookie after a passed challenge or enrollment.
fn gateway_cookie(gate: &Gate, value: &str) -> String {
    let c = &gate.config.cookie;
    let secure = if c.secure { "; Secure" } else { "" };
    format!(
        "{}={value}; Path=/; Max-Age={}; HttpOnly; SameSite=Lax{secure}",
        c.name,
        c.max_age.as_secs()
    )
}

/// Whether the app session whose cookie value is `app_value` has passed the
/// challenge for the person's current enrollment (`enrollment_id`), as the
/// presented gateway cookie says. Costs two MACs; no I/O.
pub fn is_verified(
    gate: &Gate,
    identity: &Identity,
    app_value: &str,
    gateway_cookie: Option<&str>,
    enrollment_id: Option<u64>,
    now: i64,
) -> bool {
    let (Some(enrollment_id), Some(cookie)) = (enrollment_id, gateway_cookie) else {
        return false;
    };
    let max_age = gate.config.cookie.max_age.as_secs() as i64;
    if let Some(v) = gate.verified.vouch(app_value, identity, cookie) {
        return v.enrollment_id == enrollment_id && session::is_fresh(v.verified_at, now, max_age);
    }
    let app = AppSession::bind(&gate.keys, app_value);
    let Some(v) = session::decode_cookie(&gate.keys, cookie, app, &identity.person_key()) else {
        return false;
    };
    // Remember what the MAC proved (the cookie belongs to this session and
    // person); the enrollment and the age are checked on every request.
    gate.verified
        .remember(app_value, identity, cookie, v.enrollment_id, v.verified_at);
    v.enrollment_id == enrollment_id && session::is_fresh(v.verified_at, now, max_age)
}

/// `is_verified` for one of our pages, which already has the session bound.
fn session_is_verified(gate: &Gate, sess: &SessionCtx, record: &PersonRecord, now: i64) -> bool {
    let (Some(enrollment), Some(cookie)) = (&record.enrollment, &sess.gateway_cookie) else {
        return false;
    };
    session::cookie_is_valid(
        &gate.keys,
        cookie,
        sess.app,
        &sess.identity.person_key(),
        enrollment.id,
        now,
        gate.config.cookie.max_age.as_secs() as i64,
    )
}

/// The answer to an app request that may not pass yet. Navigations get a
/// 303 to our page with a sanitized `return_to`; anything else (XHR, API,
/// POST) gets a JSON 401 (423 when locked) naming where to go.
pub fn deny(
    gate: &Gate,
    action: Action,
    request_target: &str,
    is_navigation: bool,
    frame: &Frame,
) -> PageResponse {
    let prefix = &gate.config.prefix;
    let return_to = paths::safe_return_to(request_target, prefix);
    let (error, page) = match action {
        Action::Enroll => ("enrollment_required", "/enroll"),
        Action::Challenge => ("mfa_required", "/challenge"),
        Action::Locked => ("locked", ""),
        Action::Pass => ("", ""),
    };
    if action == Action::Locked {
        return if is_navigation {
            message(
                frame,
                423,
                "locked.title",
                &["locked.body", "locked.support"],
                None,
            )
        } else {
            PageResponse::json(423, serde_json::json!({"error": "locked"}))
        };
    }
    let location = paths::with_return_to(&format!("{prefix}{page}"), &return_to);
    if is_navigation {
        PageResponse::redirect(&location)
    } else {
        PageResponse::json(
            401,
            serde_json::json!({"error": error, "location": location}),
        )
    }
}

/// A failure answer with a page for browsers, used by the proxy.
pub fn failure(frame: &Frame, status: u16) -> PageResponse {
    let (title, body) = match status {
        400 => ("bad_request.title", "bad_request.body"),
        403 => ("csrf.title", "csrf.body"),
        // 431: header values far too large (refused by the proxy).
        413 | 431 => ("too_large.title", "too_large.body"),
        _ => ("unavailable.title", "unavailable.body"),
    };
    message(frame, status, title, &[body], None)
}
