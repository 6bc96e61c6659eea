//! The one `ProxyHttp` implementation: glue between pingora and the rest.
//! For each request it reads the head once (`request::RequestHead`),
//! classifies it (`request::classify`), and then refuses it, forwards it
//! (bypass), serves one of our pages, or asks `guard` to judge the session
//! and forwards or denies. Every path that cannot make a decision answers
//! an error: nothing is forwarded by default.

pub(crate) mod forward_auth;
mod rules;

use crate::access::admit::Standing;
use crate::access::decision::Denial;
use crate::access::gate::Gate;
use crate::access::guard::{self, GuardError, Judged};
use crate::access::session::AppSession;
use crate::edge::upstream::Forwarding;
use crate::identity::IdentityError;
use crate::observe::logging;
use crate::observe::metrics::Outcome;
use crate::pages::{self, Form, PageRequest, SessionCtx};
use crate::reply::{self, Reply};
use crate::request::Method;
use crate::request::forwarded;
use crate::request::route::Access;
use crate::request::route::Route;
use crate::request::{RequestHead, Verdict, classify};
use arc_swap::ArcSwap;
use async_trait::async_trait;
use pingora::http::{RequestHeader, ResponseHeader};
use pingora::protocols::http::ServerSession;
use pingora::proxy::{ProxyHttp, Session};
use pingora::upstreams::peer::HttpPeer;
use std::sync::Arc;
use std::time::Instant;

/// Headers on every answer we make ourselves: the security headers of our
/// pages and the request's id. A page that runs our script asks for it (`Reply::with_script`) and gets
/// `reply::PAGE_CSP_WITH_SCRIPT`; every other gets `reply::PAGE_CSP`.
fn page_headers<'a>(request_id: &'a str, csp: &'a str) -> [(&'static str, &'a str); 6] {
    [
        ("Content-Security-Policy", csp),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "no-referrer"),
        ("X-Content-Type-Options", "nosniff"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        (crate::request::request_id::HEADER, request_id),
    ]
}

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
    /// What was decided, for the access log and the metrics.
    outcome: Outcome,
    gate: Option<Arc<Gate>>,
    /// Peer, request id and what the app is told (see `upstream.rs`).
    fwd: Forwarding,
    /// A form posted to a bypass path (the app's login or logout): the
    /// session's identity is forgotten again once the app has answered.
    login_form: bool,
    /// A forward-auth ask's headers describing the original request.
    asked: Option<http::HeaderMap>,
}

/// What `request_filter` does with a request: forward it, or answer it.
pub(crate) enum Step {
    Forward(Outcome),
    Answer(Outcome, Reply),
    /// An answer for a machine (a front's allowed ask): without the page
    /// headers a browser needs.
    Bare(Outcome, Reply),
}

#[async_trait]
impl ProxyHttp for GateProxy {
    /// Boxed: pingora keeps the context inside its request futures, and
    /// moves those whole (a byte at a time under callgrind's count) each
    /// time one is boxed; a pointer moves for less than the allocation.
    type CTX = Box<RequestCtx>;

    fn new_ctx(&self) -> Box<RequestCtx> {
        Box::new(RequestCtx {
            started: Instant::now(),
            outcome: Outcome::Pass,
            gate: None,
            fwd: Forwarding::default(),
            login_form: false,
            asked: None,
        })
    }

    /// No downstream modules. pingora's default is a response compression
    /// module switched off, which still runs on every request (set up,
    /// header filters, torn down); mfa-gate never compresses: the app's
    /// own encoding passes through untouched.
    fn init_downstream_modules(&self, _modules: &mut pingora::modules::http::HttpModules) {
        // None added.
    }

    async fn request_filter(
        &self,
        session: &mut Session,
        ctx: &mut Self::CTX,
    ) -> pingora::Result<bool> {
        let gate = self.gate.load_full();
        ctx.gate = Some(gate.clone());
        // A forward-auth ask's description of the original request, before
        // the arrival hygiene removes its headers from every request.
        let asks = forwarded::is_ask(session.req_header().raw_path(), &gate.config.prefix);
        if asks {
            ctx.asked = Some(forwarded::describing(session.req_header()));
        }
        // First: strip headers a client may not send, under any spelling.
        ctx.fwd = Forwarding::arrive(session, &gate);
        if asks {
            // The ask's own head is never judged: the request it describes is.
            let step = ask(session, &gate, ctx).await;
            return take_step(session, ctx, step).await;
        }
        let (body, trusted) = (has_body(session), ctx.fwd.trusted());
        let req = session.req_header();
        let mut head = RequestHead::read(req, req.raw_path(), body, &gate.config, trusted);
        let now = crate::clock::unix_now();
        let verdict = rules::verdict(classify(&head, &gate.config), &gate, req, &head, || {
            rules::client(&gate, ctx.fwd.client_ip, &req.headers)
        });
        let step = match verdict {
            Verdict::Refuse(refused) => {
                tracing::warn!(
                    status = refused.status(),
                    error = refused.error(),
                    "request refused before identification"
                );
                session.set_keepalive(None);
                let response = refusal(&gate, &head, refused.status(), refused.error());
                Step::Answer(Outcome::Refused, response)
            }
            Verdict::Forward => {
                // A login or logout form may change who the session is.
                if !head.method.is_read() {
                    gate.identity.forget(&present(
                        session,
                        &gate,
                        head.app_session().map(str::to_owned),
                        &ctx.fwd,
                    ));
                    ctx.login_form = true;
                }
                Step::Forward(Outcome::Bypass)
            }
            Verdict::Page(Route::Auth) => ask(session, &gate, ctx).await,
            Verdict::Page(route) => {
                let response = self.page(session, &gate, &head, route, ctx, now).await;
                Step::Answer(Outcome::Page, response)
            }
            Verdict::Identify => self.guard_app(session, &gate, &mut head, ctx, now).await,
        };
        take_step(session, ctx, step).await
    }

    async fn upstream_peer(
        &self,
        _session: &mut Session,
        ctx: &mut Self::CTX,
    ) -> pingora::Result<Box<HttpPeer>> {
        // The request's own config; a guard of the current one otherwise.
        let current;
        let gate: &Gate = match &ctx.gate {
            Some(g) => g,
            None => {
                current = self.gate.load();
                &current
            }
        };
        let up = &gate.config.upstream;
        // No SNI to copy for a plain-http app; an IP literal parsed once.
        let sni = if up.tls {
            up.sni.clone()
        } else {
            String::new()
        };
        let mut peer = match gate.upstream_socket {
            Some(socket) => HttpPeer::new(socket, up.tls, sni),
            None => HttpPeer::new(up.address.as_str(), up.tls, sni),
        };
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
        ctx: &mut Self::CTX,
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
        ctx: &mut Self::CTX,
    ) -> pingora::Result<()> {
        // After a login form, or when the app sets or clears its session
        // cookie, what we cached about the request's session may be stale.
        if let Some(gate) = &ctx.gate
            && let Some(session_cookies) = gate.config.identity.session_cookies()
        {
            let set_cookies = upstream_response.headers.get_all(http::header::SET_COOKIE);
            if ctx.login_form || crate::identity::sets_session_cookie(set_cookies, session_cookies)
            {
                forget_session(session.req_header(), gate);
            }
        }
        make_room_for_pingora(upstream_response);
        upstream_response.insert_header(
            crate::request::request_id::HEADER,
            ctx.fwd.request_id_value(),
        )
    }

    async fn logging(
        &self,
        session: &mut Session,
        error: Option<&pingora::Error>,
        ctx: &mut Self::CTX,
    ) {
        let status = session.response_written().map_or(0, |r| r.status.as_u16());
        let upstream_error =
            error.is_some_and(|e| matches!(e.esource(), pingora::ErrorSource::Upstream));
        crate::observe::metrics::request_done(ctx.outcome, ctx.started.elapsed(), upstream_error);
        let head = session.req_header();
        access_line(head, status, ctx.outcome, &ctx.fwd, ctx.started, error);
    }
}

/// The access log's line for a request answered (`status`) with
/// `outcome`: one shape for the proxy and the ask listener.
pub(crate) fn access_line(
    head: &http::request::Parts,
    status: u16,
    outcome: Outcome,
    fwd: &Forwarding,
    started: Instant,
    error: Option<&pingora::Error>,
) {
    tracing::info!(
        target: "mfa_gate::access",
        method = %logging::outside(&head.method),
        path = %logging::outside(head.uri.path()),
        status,
        outcome = outcome.as_str(),
        request_id = fwd.request_id(),
        account = fwd.account(),
        peer = fwd.client_ip.map(tracing::field::display),
        micros = started.elapsed().as_micros() as u64,
        error = error.map(|e| tracing::field::display(logging::outside(e))),
        "request"
    );
}

impl GateProxy {
    /// An app path: judge the session, then forward or deny.
    async fn guard_app(
        &self,
        session: &Session,
        gate: &Gate,
        head: &mut RequestHead,
        ctx: &mut RequestCtx,
        now: i64,
    ) -> Step {
        // Nothing reads the app session's value from the head after this.
        let presented = present(session, gate, head.take_app_session(), &ctx.fwd);
        let head = &*head;
        let judged = guard::judge(gate, &presented, our_cookies(head), now).await;
        let req = session.req_header();
        let peer = ctx.fwd.client_ip;
        let client = || rules::client(gate, peer, &req.headers);
        let judged = match judged {
            Ok(Some(judged)) => judged,
            Ok(None) if rules::denies_anonymous(gate, req, head, client) => {
                return denied(gate, head, Denial::Forbidden, now);
            }
            Ok(None) => return Step::Forward(Outcome::Anonymous),
            Err(GuardError::Identity(IdentityError::TooManyLookups)) => {
                return Step::Answer(Outcome::Refused, too_many_lookups(gate, head));
            }
            Err(e) => {
                tracing::warn!(error = %logging::outside(&e), "cannot decide: failing closed");
                return Step::Answer(Outcome::Error, unavailable(gate, head));
            }
        };
        ctx.fwd.identified(&judged.identity);
        match rules::decide(gate, req, head, &judged, client, now) {
            Ok(()) => {
                ctx.fwd.passed(judged.trust.passed());
                Step::Forward(Outcome::Pass)
            }
            Err(denial) => denied(gate, head, denial, now),
        }
    }

    /// Serve one of our pages: read the form (bounded), judge the session
    /// unless the route is open to all, hand off to `pages::handle` (which
    /// applies the access rule).
    async fn page(
        &self,
        session: &mut Session,
        gate: &Gate,
        head: &RequestHead,
        route: Route,
        ctx: &RequestCtx,
        now: i64,
    ) -> Reply {
        let locale = locale(gate, head);
        let form = match read_form(session, head).await {
            Ok(form) => form,
            Err(status) => return pages::failure(&bare_frame(gate, locale, now), status),
        };
        let (sess, standing) = match route.access() {
            Access::Open => (None, Standing::Anonymous),
            _ => match standing(session, gate, head, &ctx.fwd, now).await {
                Ok(judged) => judged,
                Err(refusal) => return refusal,
            },
        };
        let req = PageRequest {
            method: head.method,
            route,
            query: head.query.clone(),
            locale,
            session: sess,
            form,
            navigation: head.wants_html,
            user_agent: session
                .req_header()
                .headers
                .get(http::header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            now,
        };
        pages::handle(&gate.services(), req, standing).await
    }
}

/// A front's forward-auth ask, answered (`forward_auth`).
async fn ask(session: &Session, gate: &Gate, ctx: &mut RequestCtx) -> Step {
    let describing = ctx.asked.take().unwrap_or_default();
    let now = crate::clock::unix_now();
    let ask = session.req_header();
    forward_auth::forward_auth(gate, ask, &describing, &mut ctx.fwd, now).await
}

/// The answer to an app request the rule stops.
fn denied(gate: &Gate, head: &RequestHead, denial: Denial, now: i64) -> Step {
    let locale = locale(gate, head);
    let mut frame = bare_frame(gate, locale, now);
    // A page shown in place of an app path (locked, denied) switches
    // language on that same path.
    frame.switch = pages::switch_for(&gate.services(), &head.target, locale);
    let response = pages::deny(
        &gate.services(),
        denial,
        &head.target,
        head.navigation,
        &frame,
    );
    Step::Answer(Outcome::from(denial), response)
}

/// Whether the request has a body: as pingora frames it (a length,
/// chunks, an open HTTP/2 stream), or announced by any
/// `Transfer-Encoding` at all.
fn has_body(session: &mut Session) -> bool {
    !session.is_body_empty()
        || session
            .req_header()
            .headers
            .contains_key(http::header::TRANSFER_ENCODING)
}

/// Carry out `request_filter`'s step: note its outcome, then let the
/// request go on to the app (`false`) or write our answer with the page
/// headers (`true`: the request is done).
async fn take_step(
    session: &mut Session,
    ctx: &mut RequestCtx,
    step: Step,
) -> pingora::Result<bool> {
    match step {
        Step::Forward(outcome) => {
            ctx.outcome = outcome;
            Ok(false)
        }
        Step::Answer(outcome, response) => {
            ctx.outcome = outcome;
            let csp = match response.wants_script() {
                true => reply::PAGE_CSP_WITH_SCRIPT,
                false => reply::PAGE_CSP,
            };
            let extra = page_headers(ctx.fwd.request_id(), csp);
            crate::edge::write::write(session, response, &extra).await?;
            Ok(true)
        }
        Step::Bare(outcome, response) => {
            ctx.outcome = outcome;
            crate::edge::write::write(session, response, &[]).await?;
            Ok(true)
        }
    }
}

/// The form posted to one of our pages (empty for other methods); the
/// error is the status of the refusal, after which the connection is not
/// reused.
async fn read_form(session: &mut ServerSession, head: &RequestHead) -> Result<Form, u16> {
    if head.method != Method::Post {
        return Ok(Form::default());
    }
    // Defense in depth next to the CSRF token: a browser names the page
    // that sent a POST in `Origin`; one from another site is refused
    // before its body is read (so the connection is not reused).
    if !head.same_origin {
        tracing::warn!("POST to our page from another origin refused");
        session.set_keepalive(None);
        return Err(403);
    }
    let body = crate::edge::body::read_body(session, pages::form::MAX_FORM_BYTES)
        .await
        .map_err(|e| e.status())?;
    Form::parse(&body).map_err(|_| {
        session.set_keepalive(None);
        400
    })
}

/// How the session of a request for one of our pages stands (and its
/// context for the handler), or the answer when it cannot be judged.
async fn standing(
    session: &Session,
    gate: &Gate,
    head: &RequestHead,
    fwd: &Forwarding,
    now: i64,
) -> Result<(Option<SessionCtx>, Standing), Reply> {
    let presented = present(session, gate, head.app_session().map(str::to_owned), fwd);
    match guard::judge(gate, &presented, our_cookies(head), now).await {
        Ok(None) => Ok((None, Standing::Anonymous)),
        Ok(Some(judged)) => {
            let standing = match judged.decision {
                Ok(()) => Standing::Passed,
                Err(denial) => Standing::Denied(denial),
            };
            let whence = whence(session, gate, head, fwd, judged.identity.account());
            Ok((Some(session_ctx(gate, head, judged, whence)), standing))
        }
        Err(GuardError::Identity(IdentityError::TooManyLookups)) => {
            Err(too_many_lookups(gate, head))
        }
        Err(e) => {
            let error = logging::outside(&e);
            tracing::warn!(%error, "cannot judge the session: failing closed");
            let locale = locale(gate, head);
            Err(pages::failure(&bare_frame(gate, locale, now), 503))
        }
    }
}

fn our_cookies(head: &RequestHead) -> guard::OurCookies<'_> {
    guard::OurCookies {
        gateway: head.cookies.gateway.as_deref(),
        remember: head.cookies.remember.as_deref(),
    }
}

/// The frame of a page shown with no route of its own (errors, refusals).
fn bare_frame(gate: &Gate, locale: crate::config::Locale, now: i64) -> pages::views::Frame<'_> {
    pages::frame(&gate.services(), &PageRequest::bare(locale, now))
}

/// Drop the app's `Connection` header from a final response before we add
/// ours. It is hop-by-hop, and pingora writes its own `Connection` (and
/// `Date`) into every final HTTP/1 response after this filter; HTTP/2
/// forbids it. The point is the cost: `http`'s map reserves a slot
/// before it looks for the name it replaces, so pingora's replacing
/// insert into a map our header just filled doubles both of pingora's
/// maps (about 2 000 instructions per request). A 1xx keeps its header:
/// pingora adds none there, and a 101's `Connection: upgrade` matters.
fn make_room_for_pingora(response: &mut ResponseHeader) {
    if !response.status.is_informational() {
        response.remove_header(&http::header::CONNECTION);
    }
}

/// Forget the cached identity of the request's app session (read again:
/// the head is not kept past `request_filter`).
fn forget_session(req: &RequestHeader, gate: &Gate) {
    let names = crate::request::cookies::CookieNames {
        session: gate.config.identity.session_cookies(),
        host: crate::request::host(&req.headers, &req.uri),
        gateway: &gate.config.cookie.name,
        lang: crate::i18n::LANG_COOKIE,
        remember: crate::access::remember::COOKIE,
        own_plain: gate.config.own_cookies_plain,
    };
    let values = req.headers.get_all(http::header::COOKIE);
    let cookies = crate::request::cookies::read(values.iter().map(|v| v.as_bytes()), &names);
    if let crate::request::SessionReading::Clear(value) = cookies.session {
        gate.identity.forget_session(&value);
    }
}

/// What the request presents about its login (`app_session`: the app
/// session cookie's value, else the SSO headers).
fn present(
    session: &Session,
    gate: &Gate,
    app_session: Option<String>,
    fwd: &Forwarding,
) -> crate::identity::Presented {
    let headers = &session.req_header().headers;
    gate.identity
        .present(headers, fwd.trusted(), app_session, fwd.client_ip)
}

/// Where a request for our pages came from, as notifications tell it.
fn whence(
    session: &Session,
    gate: &Gate,
    head: &RequestHead,
    fwd: &Forwarding,
    actor: &str,
) -> crate::domain::Whence {
    let user_agent = session
        .req_header()
        .headers
        .get(http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    crate::domain::Whence {
        actor: actor.to_owned(),
        ip: fwd.client_ip.map(|peer| {
            let forwarded_for = crate::request::headers::text(
                session.req_header(),
                &crate::request::headers::X_FORWARDED_FOR,
            );
            let trusted = |ip| gate.config.trusted_proxies.contains(ip);
            crate::edge::upstream::origin_ip(peer, forwarded_for, trusted).to_string()
        }),
        browser: Some(crate::access::remember::label(user_agent)),
        request_id: Some(fwd.request_id().to_owned()),
        lang: locale(gate, head).as_str().to_owned(),
    }
}

fn session_ctx(
    gate: &Gate,
    head: &RequestHead,
    judged: Judged<'_>,
    whence: crate::domain::Whence,
) -> SessionCtx {
    SessionCtx {
        whence,
        app: AppSession::bind(&gate.keys, judged.session_value),
        identity: judged.identity,
        gateway_cookie: head.cookies.gateway.clone(),
        remember_cookie: head.cookies.remember.clone(),
        verified: judged.trust.passed(),
        trust: judged.trust,
    }
}

/// The page language: the switch (`?lang=`) wins, then its cookie, then
/// `Accept-Language`, then the configured default.
fn locale(gate: &Gate, head: &RequestHead) -> crate::config::Locale {
    let lang = head
        .query_param("lang")
        .or_else(|| head.cookies.lang.clone());
    crate::i18n::choose(
        &gate.config.ui.languages,
        lang.as_deref(),
        head.accept_language.as_deref(),
        gate.config.ui.default_locale,
    )
}

/// A refusal made before any decision: our error page for navigations,
/// `{"error": …}` for everything else.
fn refusal(gate: &Gate, head: &RequestHead, status: u16, error: &str) -> Reply {
    if head.navigation {
        pages::failure(&bare_frame(gate, locale(gate, head), 0), status)
    } else {
        Reply::error(status, error)
    }
}

/// A client over its budget of whoami look-ups (new session values): 429.
fn too_many_lookups(gate: &Gate, head: &RequestHead) -> Reply {
    refusal(gate, head, 429, "too_many_lookups").with_header("Retry-After", "1".into())
}

/// No decision could be made (identity or store unavailable): 503.
fn unavailable(gate: &Gate, head: &RequestHead) -> Reply {
    refusal(gate, head, 503, "mfa_unavailable")
}

#[cfg(test)]
mod tests;
