//! The one `ProxyHttp` implementation: glue between pingora and the rest.
//! For each request it normalizes the path, serves our own pages under the
//! prefix, lets bypass paths and anonymous sessions through, and otherwise
//! asks `identity` who this is and `decision` what to do. Every path that
//! cannot make a decision answers an error: nothing is forwarded by default.

use crate::decision::{self, Action, Facts};
use crate::gate::Gate;
use crate::identity::Lookup;
use crate::pages::{self, Form, Method, PageRequest, PageResponse, SessionCtx};
use crate::paths::{self, NormalPath};
use crate::session::AppSession;
use arc_swap::ArcSwap;
use async_trait::async_trait;
use bytes::Bytes;
use pingora::http::{RequestHeader, ResponseHeader};
use pingora::proxy::{ProxyHttp, Session};
use pingora::upstreams::peer::HttpPeer;
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Security headers on every page we render ourselves.
const PAGE_HEADERS: [(&str, &str); 5] = [
    (
        "Content-Security-Policy",
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Content-Type-Options", "nosniff"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
];

pub struct GateProxy {
    gate: Arc<ArcSwap<Gate>>,
}

impl GateProxy {
    pub fn new(gate: Arc<ArcSwap<Gate>>) -> GateProxy {
        GateProxy { gate }
    }
}

/// Per-request state.
pub struct RequestCtx {
    started: Instant,
    /// What was decided, for the access log.
    outcome: &'static str,
    gate: Option<Arc<Gate>>,
}

/// The cookies of a request that matter to us.
#[derive(Default)]
struct Cookies {
    app_session: Option<String>,
    gateway: Option<String>,
    lang: Option<String>,
}

fn read_cookies(req: &RequestHeader, gate: &Gate) -> Cookies {
    let mut out = Cookies::default();
    let app_name = gate.config.identity.session_cookie.as_str();
    let gateway_name = gate.config.cookie.name.as_str();
    // HTTP/2 clients may send several cookie headers: read them all.
    for value in req.headers.get_all(http::header::COOKIE) {
        let Ok(text) = value.to_str() else { continue };
        for c in cookie::Cookie::split_parse(text).flatten() {
            let slot = match c.name() {
                n if n == app_name => &mut out.app_session,
                n if n == gateway_name => &mut out.gateway,
                crate::pages::i18n::LANG_COOKIE => &mut out.lang,
                _ => continue,
            };
            // The first occurrence wins, as in most apps.
            if slot.is_none() && !c.value().is_empty() {
                *slot = Some(c.value().to_owned());
            }
        }
    }
    out
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn header<'a>(req: &'a RequestHeader, name: &str) -> Option<&'a str> {
    req.headers.get(name).and_then(|v| v.to_str().ok())
}

/// A browser navigation (gets a redirect), as opposed to an API call or a
/// form post (gets JSON).
fn is_navigation(req: &RequestHeader) -> bool {
    let method_ok = req.method == http::Method::GET || req.method == http::Method::HEAD;
    let accepts_html = header(req, "accept").is_some_and(|a| a.contains("text/html"));
    let xhr = header(req, "x-requested-with").is_some()
        || header(req, "sec-fetch-mode").is_some_and(|m| m != "navigate");
    method_ok && accepts_html && !xhr
}

#[async_trait]
impl ProxyHttp for GateProxy {
    type CTX = RequestCtx;

    fn new_ctx(&self) -> RequestCtx {
        RequestCtx {
            started: Instant::now(),
            outcome: "pass",
            gate: None,
        }
    }

    async fn request_filter(
        &self,
        session: &mut Session,
        ctx: &mut RequestCtx,
    ) -> pingora::Result<bool> {
        let gate = self.gate.load_full();
        ctx.gate = Some(gate.clone());
        let now = unix_now();
        let req = session.req_header();
        let normal = paths::normalize(req.uri.path());
        let cookies = read_cookies(req, &gate);
        // The language switch (`?lang=`) wins, then its cookie.
        let lang = paths::query_param(req.uri.query(), "lang").or_else(|| cookies.lang.clone());
        let locale = pages::i18n::choose(
            lang.as_deref(),
            header(req, "accept-language"),
            gate.config.ui.default_locale,
        );

        if let Some(route) = paths::strip_prefix(&normal, &gate.config.prefix) {
            ctx.outcome = "page";
            let route = route.to_owned();
            let response = self.page(session, &gate, route, cookies, locale, now).await;
            write(session, response).await?;
            return Ok(true);
        }
        if paths::is_bypassed(&normal, &gate.config.bypass) {
            ctx.outcome = "bypass";
            return Ok(false);
        }
        let Some(app_value) = cookies.app_session.as_deref() else {
            ctx.outcome = "anonymous";
            return Ok(false);
        };
        let identity = match gate.identity.lookup(app_value).await {
            Ok(Lookup::Known(identity)) => identity,
            Ok(Lookup::Anonymous) => {
                ctx.outcome = "anonymous";
                return Ok(false);
            }
            Err(e) => {
                tracing::warn!(error = %e, "identity unavailable: failing closed");
                ctx.outcome = "error";
                let nav = is_navigation(session.req_header());
                write(session, unavailable(&gate, locale, nav, &normal)).await?;
                return Ok(true);
            }
        };
        let key = identity.person_key();
        let facts = gate.store.person(&key).and_then(|record| {
            let record = record.unwrap_or_default();
            let sess = SessionCtx {
                identity: identity.clone(),
                app: AppSession::bind(&gate.keys, app_value),
                gateway_cookie: cookies.gateway.clone(),
            };
            Ok(Facts {
                class: identity.class,
                enforcement: gate.enforcement(&identity.company)?,
                enrolled: record.is_enrolled(),
                locked: record.is_locked(),
                verified: pages::is_verified(&gate, &sess, &record, now),
            })
        });
        let facts = match facts {
            Ok(f) => f,
            Err(e) => {
                tracing::error!(error = %e, "store unavailable: failing closed");
                ctx.outcome = "error";
                let nav = is_navigation(session.req_header());
                write(session, unavailable(&gate, locale, nav, &normal)).await?;
                return Ok(true);
            }
        };
        let action = decision::decide(&facts);
        ctx.outcome = match action {
            Action::Pass => return Ok(false),
            Action::Enroll => "enroll",
            Action::Challenge => "challenge",
            Action::Locked => "locked",
        };
        let req = session.req_header();
        let target = req
            .uri
            .path_and_query()
            .map_or("/", |pq| pq.as_str())
            .to_owned();
        let page_req = page_request(Method::Get, "", None, locale, None, now);
        let frame = pages::frame(&gate, &page_req);
        let response = pages::deny(&gate, action, &target, is_navigation(req), &frame);
        write(session, response).await?;
        Ok(true)
    }

    async fn upstream_peer(
        &self,
        _session: &mut Session,
        ctx: &mut RequestCtx,
    ) -> pingora::Result<Box<HttpPeer>> {
        let gate = match &ctx.gate {
            Some(g) => g.clone(),
            None => self.gate.load_full(),
        };
        let up = &gate.config.upstream;
        let mut peer = HttpPeer::new(up.address.as_str(), up.tls, up.sni.clone());
        peer.options.connection_timeout = Some(up.connect_timeout);
        peer.options.total_connection_timeout = Some(up.connect_timeout);
        peer.options.read_timeout = Some(up.read_timeout);
        peer.options.write_timeout = Some(up.write_timeout);
        Ok(Box::new(peer))
    }

    async fn logging(
        &self,
        session: &mut Session,
        error: Option<&pingora::Error>,
        ctx: &mut RequestCtx,
    ) {
        let status = session.response_written().map_or(0, |r| r.status.as_u16());
        tracing::info!(
            target: "mfa_gate::access",
            method = %session.req_header().method,
            path = %session.req_header().uri.path(),
            status,
            outcome = ctx.outcome,
            micros = ctx.started.elapsed().as_micros() as u64,
            error = error.map(|e| e.to_string()),
            "request"
        );
    }
}

impl GateProxy {
    /// Serve one of our pages: read the form (bounded), find the session,
    /// hand off to the handler.
    async fn page(
        &self,
        session: &mut Session,
        gate: &Gate,
        route: String,
        cookies: Cookies,
        locale: crate::config::Locale,
        now: i64,
    ) -> PageResponse {
        let req = session.req_header();
        let method = Method::parse(req.method.as_str());
        let query = req.uri.query().map(str::to_owned);
        let bare = page_request(method, &route, query.clone(), locale, None, now);
        let form = if method == Method::Post {
            match read_form(session).await {
                Ok(form) => form,
                Err(status) => {
                    session.set_keepalive(None);
                    return pages::failure(&pages::frame(gate, &bare), status);
                }
            }
        } else {
            Form::default()
        };
        let needs_session = route != "/healthz" && !route.starts_with("/assets/");
        let mut sess = None;
        if let (true, Some(app_value)) = (needs_session, cookies.app_session.as_deref()) {
            match gate.identity.lookup(app_value).await {
                Ok(Lookup::Known(identity)) => {
                    sess = Some(SessionCtx {
                        identity,
                        app: AppSession::bind(&gate.keys, app_value),
                        gateway_cookie: cookies.gateway.clone(),
                    })
                }
                Ok(Lookup::Anonymous) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "identity unavailable: failing closed");
                    return pages::failure(&pages::frame(gate, &bare), 503);
                }
            }
        }
        let mut page_req = page_request(method, &route, query, locale, sess, now);
        page_req.form = form;
        pages::handle(gate, page_req).await
    }
}

fn page_request(
    method: Method,
    route: &str,
    query: Option<String>,
    locale: crate::config::Locale,
    session: Option<SessionCtx>,
    now: i64,
) -> PageRequest {
    PageRequest {
        method,
        route: route.to_owned(),
        query,
        locale,
        session,
        form: Form::default(),
        now,
    }
}

/// Read a form body of at most `MAX_FORM_BYTES`; the error is the status.
async fn read_form(session: &mut Session) -> Result<Form, u16> {
    let max = pages::form::MAX_FORM_BYTES;
    let declared =
        header(session.req_header(), "content-length").map(|v| v.trim().parse::<usize>());
    match declared {
        Some(Ok(n)) if n > max => return Err(413),
        Some(Err(_)) => return Err(400),
        _ => {}
    }
    let mut body = Vec::new();
    loop {
        match session.read_request_body().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > max {
                    return Err(413);
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(_) => return Err(400),
        }
    }
    Form::parse(&body).map_err(|_| 400)
}

fn unavailable(
    gate: &Gate,
    locale: crate::config::Locale,
    navigation: bool,
    _path: &NormalPath,
) -> PageResponse {
    if navigation {
        let req = page_request(Method::Get, "", None, locale, None, 0);
        pages::failure(&pages::frame(gate, &req), 503)
    } else {
        PageResponse::json(503, serde_json::json!({"error": "mfa_unavailable"}))
    }
}

/// Write a local response with a Content-Length (keep-alive needs it) and,
/// for pages, the security headers.
async fn write(session: &mut Session, response: PageResponse) -> pingora::Result<()> {
    let mut header = ResponseHeader::build(response.status, Some(response.headers.len() + 8))?;
    let mut cacheable = false;
    for (name, value) in &response.headers {
        cacheable |= *name == "Cache-Control";
        header.append_header(*name, value.as_str())?;
    }
    if !cacheable {
        header.insert_header("Cache-Control", "no-store")?;
    }
    for (name, value) in PAGE_HEADERS {
        header.insert_header(name, value)?;
    }
    header.insert_header("Content-Length", response.body.len().to_string())?;
    let head_only = session.req_header().method == http::Method::HEAD;
    let empty = response.body.is_empty() || head_only;
    session
        .write_response_header(Box::new(header), empty)
        .await?;
    if !empty {
        session
            .write_response_body(Some(Bytes::from(response.body)), true)
            .await?;
    }
    Ok(())
}
