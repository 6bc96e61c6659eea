//! The one `ProxyHttp` implementation: glue between pingora and the rest.
//! For each request it normalizes the path, serves our own pages under the
//! prefix, lets bypass paths and anonymous sessions through, and otherwise
//! asks `identity` who this is and `decision` what to do. Every path that
//! cannot make a decision answers an error: nothing is forwarded by default.

use crate::decision::{self, Action, Facts};
use crate::gate::Gate;
use crate::identity::{IdentityError, Presented, Who};
use crate::pages::{self, Form, Method, PageRequest, PageResponse, SessionCtx};
use crate::paths::{self, NormalPath};
use crate::session::AppSession;
use crate::upstream::Forwarding;
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
    /// Peer, request id and what the app is told (see `upstream.rs`).
    fwd: Forwarding,
    /// A form posted to a bypass path (the app's login or logout): the
    /// session's identity is forgotten again once the app has answered.
    login_form: bool,
}

/// The cookies of a request that matter to us.
#[derive(Default)]
struct Cookies {
    app_session: Option<String>,
    /// The app's session cookie came with two different values, or with a
    /// value we cannot pass on faithfully: the app might serve another
    /// session than the one we would check.
    ambiguous: bool,
    gateway: Option<String>,
    lang: Option<String>,
}

/// Largest header value (and sum of `Cookie` headers) we pass on. Browsers
/// keep a cookie under 4 KiB and common servers refuse an 8 KiB header
/// line; anything far larger is an attack on us or on the app.
const MAX_HEADER_VALUE: usize = 32 * 1024;

fn read_cookies(req: &RequestHeader, gate: &Gate) -> Cookies {
    let mut out = Cookies::default();
    let app_name = gate.config.identity.session_cookie();
    let gateway_name = gate.config.cookie.name.as_str();
    // HTTP/2 clients may send several cookie headers: read them all. Read
    // bytes, not text: a non-ASCII byte anywhere in a header must not hide
    // the app's session cookie from us while the app still reads it (that
    // would pass a password-only session to the app unchallenged).
    for value in req.headers.get_all(http::header::COOKIE) {
        for pair in value.as_bytes().split(|b| *b == b';') {
            let Some(eq) = pair.iter().position(|b| *b == b'=') else {
                continue;
            };
            let (name, val) = (pair[..eq].trim_ascii(), pair[eq + 1..].trim_ascii());
            if val.is_empty() {
                continue;
            }
            // Some frameworks match cookie names without regard to case, so
            // `SESSION=b` may be the session cookie too.
            if app_name.is_some_and(|n| name.eq_ignore_ascii_case(n.as_bytes())) {
                let printable = val.iter().all(|b| (0x21..0x7f).contains(b));
                match (&out.app_session, std::str::from_utf8(val)) {
                    (None, Ok(v)) if printable => out.app_session = Some(v.to_owned()),
                    (Some(first), Ok(v)) if first == v => {}
                    // Which one would the app use? We cannot know: refuse.
                    _ => out.ambiguous = true,
                }
                continue;
            }
            let slot = match std::str::from_utf8(name) {
                Ok(n) if n == gateway_name => &mut out.gateway,
                Ok(crate::pages::i18n::LANG_COOKIE) => &mut out.lang,
                _ => continue,
            };
            // Only we read these: the first readable occurrence wins.
            if slot.is_none() {
                *slot = std::str::from_utf8(val).ok().map(str::to_owned);
            }
        }
    }
    out
}

/// Whether a header value (or the `Cookie` headers together) is larger
/// than `MAX_HEADER_VALUE` (pingora itself only caps the head at 1 MiB).
fn oversized_headers(req: &RequestHeader) -> bool {
    let cookies: usize = req
        .headers
        .get_all(http::header::COOKIE)
        .iter()
        .map(|v| v.len() + 2)
        .sum();
    cookies > MAX_HEADER_VALUE || req.headers.values().any(|v| v.len() > MAX_HEADER_VALUE)
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
            fwd: Forwarding::default(),
            login_form: false,
        }
    }

    async fn request_filter(
        &self,
        session: &mut Session,
        ctx: &mut RequestCtx,
    ) -> pingora::Result<bool> {
        let gate = self.gate.load_full();
        ctx.gate = Some(gate.clone());
        // First: strip identity headers an untrusted peer may not send.
        ctx.fwd = Forwarding::arrive(session, &gate);
        let now = unix_now();
        let req = session.req_header();
        let normal = paths::normalize(req.uri.path());
        let cookies = read_cookies(req, &gate);
        let presented = gate.identity.present(
            &req.headers,
            ctx.fwd.trusted(),
            cookies.app_session.clone(),
            ctx.fwd.client_ip,
        );
        // The language switch (`?lang=`) wins, then its cookie.
        let lang = paths::query_param(req.uri.query(), "lang").or_else(|| cookies.lang.clone());
        let locale = pages::i18n::choose(
            lang.as_deref(),
            header(req, "accept-language"),
            gate.config.ui.default_locale,
        );

        // Refused before any decision, on every path: header values no
        // browser sends (431), and an app session cookie sent twice with
        // different values (400) — except on bypass paths, so that the
        // app's login can replace a stale cookie.
        let ours = paths::strip_prefix(&normal, &gate.config.prefix).is_some();
        let refuse = if oversized_headers(req) {
            Some((431, "header_too_large"))
        } else if cookies.ambiguous && (ours || !paths::is_bypassed(&normal, &gate.config.bypass)) {
            Some((400, "ambiguous_session"))
        } else {
            None
        };
        if let Some((status, error)) = refuse {
            tracing::warn!(status, error, "request refused before identification");
            ctx.outcome = "refused";
            let nav = is_navigation(req);
            session.set_keepalive(None);
            write(session, refusal(&gate, locale, nav, status, error)).await?;
            return Ok(true);
        }
        if let Some(route) = paths::strip_prefix(&normal, &gate.config.prefix) {
            ctx.outcome = "page";
            let route = route.to_owned();
            let response = self
                .page(session, &gate, route, cookies, presented, locale, now)
                .await;
            write(session, response).await?;
            return Ok(true);
        }
        if paths::is_bypassed(&normal, &gate.config.bypass) {
            ctx.outcome = "bypass";
            // A login or logout form may change who the session is.
            if !matches!(req.method, http::Method::GET | http::Method::HEAD) {
                gate.identity.forget(&presented);
                ctx.login_form = true;
            }
            return Ok(false);
        }
        let (identity, app_value) = match gate.identity.resolve(&presented).await {
            Ok(Who::Known(identity, app_value)) => (identity, app_value),
            Ok(Who::Anonymous) => {
                ctx.outcome = "anonymous";
                return Ok(false);
            }
            Err(e) => {
                tracing::warn!(error = %e, "identity unavailable: failing closed");
                let nav = is_navigation(session.req_header());
                let (outcome, response) = match e {
                    IdentityError::TooManyLookups => {
                        ("refused", too_many_lookups(&gate, locale, nav))
                    }
                    _ => ("error", unavailable(&gate, locale, nav, &normal)),
                };
                ctx.outcome = outcome;
                write(session, response).await?;
                return Ok(true);
            }
        };
        ctx.fwd.identified(&identity);
        // The hot path: person state and policy come from memory
        // (CachedStore), the verification costs two MACs.
        let facts = gate
            .store
            .person_state(&identity.person_key())
            .and_then(|state| {
                Ok(Facts {
                    class: identity.class,
                    enforcement: gate.enforcement(&identity.company)?,
                    enrolled: state.enrollment_id.is_some(),
                    locked: state.locked,
                    verified: pages::is_verified(
                        &gate,
                        &identity,
                        app_value,
                        cookies.gateway.as_deref(),
                        state.enrollment_id,
                        now,
                    ),
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
            Action::Pass => {
                ctx.fwd.passed(facts.verified);
                return Ok(false);
            }
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
        let mut frame = pages::frame(&gate, &page_req);
        // A page shown in place of an app path (locked) switches language
        // on that same path.
        frame.switch_href = pages::switch_href_for(&gate, req.uri.path(), locale);
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

    async fn upstream_request_filter(
        &self,
        _session: &mut Session,
        upstream_request: &mut RequestHeader,
        ctx: &mut RequestCtx,
    ) -> pingora::Result<()> {
        let gate = match &ctx.gate {
            Some(g) => g.clone(),
            None => self.gate.load_full(),
        };
        ctx.fwd.prepare(upstream_request, &gate)
    }

    async fn response_filter(
        &self,
        session: &mut Session,
        upstream_response: &mut ResponseHeader,
        ctx: &mut RequestCtx,
    ) -> pingora::Result<()> {
        // After a login form, or when the app sets or clears its session
        // cookie, what we cached about the request's session may be stale.
        if let Some(gate) = &ctx.gate {
            if let Some(name) = gate.config.identity.session_cookie() {
                let set_cookies = upstream_response.headers.get_all(http::header::SET_COOKIE);
                if ctx.login_form || crate::identity::sets_session_cookie(set_cookies, name) {
                    if let Some(value) = read_cookies(session.req_header(), gate).app_session {
                        gate.identity.forget_session(&value);
                    }
                }
            }
        }
        upstream_response.insert_header(crate::request_id::HEADER, ctx.fwd.request_id.as_str())
    }

    async fn logging(
        &self,
        session: &mut Session,
        error: Option<&pingora::Error>,
        ctx: &mut RequestCtx,
    ) {
        let status = session.response_written().map_or(0, |r| r.status.as_u16());
        let upstream_error =
            error.is_some_and(|e| matches!(e.esource(), pingora::ErrorSource::Upstream));
        crate::metrics::request_done(ctx.outcome, ctx.started.elapsed(), upstream_error);
        tracing::info!(
            target: "mfa_gate::access",
            method = %session.req_header().method,
            path = %session.req_header().uri.path(),
            status,
            outcome = ctx.outcome,
            request_id = %ctx.fwd.request_id,
            account = ctx.fwd.account(),
            peer = ctx.fwd.client_ip.map(tracing::field::display),
            micros = ctx.started.elapsed().as_micros() as u64,
            error = error.map(|e| e.to_string()),
            "request"
        );
    }
}

impl GateProxy {
    /// Serve one of our pages: read the form (bounded), find the session,
    /// hand off to the handler.
    // The request's parts, each read once in request_filter.
    #[allow(clippy::too_many_arguments)]
    async fn page(
        &self,
        session: &mut Session,
        gate: &Gate,
        route: String,
        cookies: Cookies,
        presented: Presented,
        locale: crate::config::Locale,
        now: i64,
    ) -> PageResponse {
        let req = session.req_header();
        let method = Method::parse(req.method.as_str());
        let query = req.uri.query().map(str::to_owned);
        let bare = page_request(method, &route, query.clone(), locale, None, now);
        // Defense in depth next to the CSRF token: a browser names the page
        // that sent a POST in `Origin`; one from another site is refused
        // before its body is read (so the connection is not reused).
        if method == Method::Post && !same_origin(req) {
            tracing::warn!("POST to our page from another origin refused");
            session.set_keepalive(None);
            return pages::failure(&pages::frame(gate, &bare), 403);
        }
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
        if needs_session {
            match gate.identity.resolve(&presented).await {
                Ok(Who::Known(identity, app_value)) => {
                    sess = Some(SessionCtx {
                        identity,
                        app: AppSession::bind(&gate.keys, app_value),
                        gateway_cookie: cookies.gateway.clone(),
                    })
                }
                Ok(Who::Anonymous) => {}
                Err(IdentityError::TooManyLookups) => {
                    let nav = is_navigation(session.req_header());
                    return too_many_lookups(gate, locale, nav);
                }
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

/// Whether a request's `Origin` (when present) names this site: its
/// authority must equal the `Host` (or a front proxy's `X-Forwarded-Host`,
/// which a cross-site browser request cannot set). No `Origin` passes:
/// old clients and non-browser callers omit it, and the CSRF token still
/// guards them. `Origin: null` passes only with `Sec-Fetch-Site: same-origin`.
fn same_origin(req: &RequestHeader) -> bool {
    let fetch_site = header(req, "sec-fetch-site");
    if fetch_site.is_some_and(|s| s == "cross-site" || s == "same-site") {
        return false;
    }
    let Some(origin) = req.headers.get("origin") else {
        return true;
    };
    // Our pages send `Referrer-Policy: no-referrer`, under which browsers
    // send `Origin: null` on their own same-origin form posts; they also
    // send `Sec-Fetch-Site: same-origin`, which no other site can forge.
    if origin.as_bytes() == b"null" {
        return fetch_site == Some("same-origin");
    }
    let Some(authority) = origin
        .to_str()
        .ok()
        .and_then(|o| o.split_once("://"))
        .map(|(_, rest)| rest)
        .filter(|a| !a.is_empty() && !a.contains(['/', '@']))
    else {
        return false;
    };
    let authority = without_default_port(authority);
    let own = req
        .headers
        .get_all(http::header::HOST)
        .iter()
        .chain(req.headers.get_all("x-forwarded-host").iter())
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .chain(req.uri.authority().map(|a| a.as_str()));
    own.map(without_default_port)
        .any(|host| !host.is_empty() && host.eq_ignore_ascii_case(authority))
}

/// `host:80` and `host:443` are written `host` by browsers in `Origin`.
fn without_default_port(authority: &str) -> &str {
    authority
        .strip_suffix(":80")
        .or_else(|| authority.strip_suffix(":443"))
        .unwrap_or(authority)
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
    // A client that sent `Expect: 100-continue` waits for this before the
    // body (pingora does not send it for bodies read by the proxy itself);
    // an oversized one got its 413 above without being invited.
    let expects = header(session.req_header(), "expect")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("100-continue"));
    if expects && session.write_continue_response().await.is_err() {
        return Err(400);
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

/// A refusal made before any decision: our error page for navigations,
/// `{"error": …}` for everything else.
fn refusal(
    gate: &Gate,
    locale: crate::config::Locale,
    navigation: bool,
    status: u16,
    error: &str,
) -> PageResponse {
    if navigation {
        let req = page_request(Method::Get, "", None, locale, None, 0);
        pages::failure(&pages::frame(gate, &req), status)
    } else {
        PageResponse::json(status, serde_json::json!({ "error": error }))
    }
}

/// A client over its budget of whoami look-ups (new session values).
fn too_many_lookups(gate: &Gate, locale: crate::config::Locale, navigation: bool) -> PageResponse {
    refusal(gate, locale, navigation, 429, "too_many_lookups")
        .with_header("Retry-After", "1".into())
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
    if let Some(id) = session.req_header().headers.get(crate::request_id::HEADER) {
        header.insert_header(crate::request_id::HEADER, id.clone())?;
    }
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
