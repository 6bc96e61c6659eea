//! `FakeApp`: the one fake upstream app of the tests, on a loopback port
//! chosen by the OS. HTTP/1.1 with keep-alive (a request with a chunked
//! body is answered, then the connection closed); every answer carries
//! `X-Demo-App: 1` (see `Resp::came_from_app`).
//!
//! - whoami (`GET /api/me`) answers per session cookie: a table the test
//!   may change while the app runs ([`FakeApp::set_session`]), then prefix
//!   rules, then a default (401 unless told); it can be slow (a delay) or
//!   held until [`FakeApp::release`], and counts its calls and the most in
//!   flight at once;
//! - optional login routes ([`Login`]): `POST /login` with `user=NAME`
//!   binds a session to NAME of company acme, keeping the presented
//!   session id (a "legacy" app) or rotating it; `GET /switch?user=NAME`
//!   re-binds and re-sends the same cookie; `GET /logout` clears it;
//! - `/hangup` closes the connection without an answer;
//! - every other request gets [`Pages`]: a fixed text, the account the
//!   gateway forwarded, or an echo of the request (read with [`Seen`]).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// One whoami answer: a status and a body.
#[derive(Clone, Debug)]
pub struct Whoami {
    status: u16,
    body: Vec<u8>,
}

impl Whoami {
    /// 200 with an employee `account` of `company`.
    pub fn person(account: &str, company: &str) -> Whoami {
        let json = serde_json::json!({"account": account, "company": company, "class": "employee"});
        Whoami::json(&json)
    }

    /// 200 with `json` as the body.
    pub fn json(json: &serde_json::Value) -> Whoami {
        Whoami::raw(200, json.to_string().into_bytes())
    }

    /// `status` with the body `{}`.
    pub fn status(status: u16) -> Whoami {
        Whoami::raw(status, b"{}".to_vec())
    }

    /// `status` with `body`, as is.
    pub fn raw(status: u16, body: Vec<u8>) -> Whoami {
        Whoami { status, body }
    }
}

/// What every request other than whoami, login and `/hangup` is answered.
#[derive(Clone, Copy, Debug)]
pub enum Pages {
    /// 200 with this text.
    Text(&'static str),
    /// 200 `app as ACCOUNT`: the `X-Mfa-Account` the gateway forwarded,
    /// `-` without one.
    Account,
    /// 200 with a JSON echo of the request: `{"method", "path", "headers":
    /// [[name, value], …]}` (names lowercased, in order).
    Echo,
}

/// Whether the app has login routes, and what a login does to the session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Login {
    None,
    /// The presented session id is kept (bound to the user).
    KeepSession,
    /// A new session id is issued in a `Set-Cookie`.
    RotateSession,
}

/// How to build a [`FakeApp`].
pub struct FakeAppBuilder {
    cookie: String,
    prefixes: Vec<(String, Whoami)>,
    default: Whoami,
    delay: Option<Duration>,
    held: bool,
    login: Login,
    pages: Pages,
}

impl FakeAppBuilder {
    /// The session cookie whoami reads (default `demo_session`).
    pub fn session_cookie(mut self, name: &str) -> Self {
        self.cookie = name.into();
        self
    }

    /// Sessions whose id starts with `prefix` are answered `answer`.
    pub fn session_prefix(mut self, prefix: &str, answer: Whoami) -> Self {
        self.prefixes.push((prefix.into(), answer));
        self
    }

    /// The answer for every session not otherwise known (default 401).
    pub fn whoami_default(mut self, answer: Whoami) -> Self {
        self.default = answer;
        self
    }

    /// Every whoami answer comes after `delay`.
    pub fn whoami_delay(mut self, delay: Duration) -> Self {
        self.delay = Some(delay);
        self
    }

    /// whoami calls wait until [`FakeApp::release`].
    pub fn held(mut self) -> Self {
        self.held = true;
        self
    }

    pub fn login(mut self, login: Login) -> Self {
        self.login = login;
        self
    }

    pub fn pages(mut self, pages: Pages) -> Self {
        self.pages = pages;
        self
    }

    pub async fn start(self) -> FakeApp {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let (release, gate) = watch::channel(!self.held);
        let state = Arc::new(State {
            spec: self,
            sessions: Mutex::default(),
            whoami_calls: AtomicUsize::new(0),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
            rotations: AtomicUsize::new(0),
        });
        let shared = state.clone();
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                tokio::spawn(serve(sock, shared.clone(), gate.clone()));
            }
        });
        FakeApp {
            address,
            state,
            release,
        }
    }
}

/// A running fake app; it serves until the test's runtime ends.
pub struct FakeApp {
    /// `127.0.0.1:PORT`, the gateway's `upstream.address`.
    pub address: String,
    state: Arc<State>,
    release: watch::Sender<bool>,
}

struct State {
    spec: FakeAppBuilder,
    /// Session id -> whoami answer.
    sessions: Mutex<HashMap<String, Whoami>>,
    whoami_calls: AtomicUsize,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    rotations: AtomicUsize,
}

impl FakeApp {
    /// A builder: cookie `demo_session`, whoami 401 for every session, no
    /// login routes, pages answered `app`.
    pub fn builder() -> FakeAppBuilder {
        FakeAppBuilder {
            cookie: "demo_session".into(),
            prefixes: Vec::new(),
            default: Whoami::status(401),
            delay: None,
            held: false,
            login: Login::None,
            pages: Pages::Text("app"),
        }
    }

    /// whoami answers `answer` for the session `id` from now on.
    pub fn set_session(&self, id: &str, answer: Whoami) {
        let mut sessions = self.state.sessions.lock().unwrap();
        sessions.insert(id.into(), answer);
    }

    /// Lets every held whoami call (and every later one) answer.
    pub fn release(&self) {
        self.release.send_replace(true);
    }

    pub fn whoami_calls(&self) -> usize {
        self.state.whoami_calls.load(Ordering::SeqCst)
    }

    pub fn max_in_flight(&self) -> usize {
        self.state.max_in_flight.load(Ordering::SeqCst)
    }
}

/// One parsed request.
struct Request {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: String,
    chunked: bool,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The value of cookie `name` over every `Cookie` header.
    fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .filter(|(n, _)| n == "cookie")
            .flat_map(|(_, v)| v.split(';'))
            .filter_map(|c| c.trim().split_once('='))
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.to_owned())
    }

    fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }
}

/// An answer: status line, extra header lines, body.
struct Answer {
    status: u16,
    headers: String,
    body: Vec<u8>,
}

impl Answer {
    fn text(status: u16, body: &str) -> Answer {
        Answer {
            status,
            headers: "Content-Type: text/plain\r\n".into(),
            body: body.as_bytes().to_vec(),
        }
    }
}

async fn serve(mut sock: TcpStream, state: Arc<State>, mut gate: watch::Receiver<bool>) {
    let mut buf = Vec::new();
    loop {
        let Some(request) = read_request(&mut sock, &mut buf).await else {
            return;
        };
        if request.path() == "/hangup" {
            return;
        }
        let answer = answer(&request, &state, &mut gate).await;
        let close = if request.chunked {
            "Connection: close\r\n"
        } else {
            ""
        };
        let head = format!(
            "HTTP/1.1 {} {}\r\nContent-Length: {}\r\nX-Demo-App: 1\r\n{}{close}\r\n",
            answer.status,
            reason(answer.status),
            answer.body.len(),
            answer.headers,
        );
        if sock.write_all(head.as_bytes()).await.is_err()
            || sock.write_all(&answer.body).await.is_err()
            || request.chunked
        {
            return;
        }
    }
}

/// The next request on the connection (its `Content-Length` body read);
/// `None` at its end.
async fn read_request(sock: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Request> {
    let mut chunk = [0u8; 4096];
    let end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        match sock.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..end]).to_string();
    buf.drain(..end + 4);
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next().unwrap_or_default().split(' ');
    let method = request_line.next().unwrap_or_default().to_owned();
    let target = request_line.next().unwrap_or("/").to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut request = Request {
        method,
        target,
        headers,
        body: String::new(),
        chunked: false,
    };
    request.chunked = request
        .header("transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    let length: usize = request
        .header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    while buf.len() < length {
        match sock.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    request.body = String::from_utf8_lossy(&buf[..length]).to_string();
    buf.drain(..length);
    Some(request)
}

async fn answer(request: &Request, state: &State, gate: &mut watch::Receiver<bool>) -> Answer {
    let spec = &state.spec;
    let session = request.cookie(&spec.cookie);
    match (request.method.as_str(), request.path(), spec.login) {
        ("GET", "/api/me", _) => whoami(session, state, gate).await,
        ("POST", "/login", Login::KeepSession | Login::RotateSession) => {
            login(request, session, state)
        }
        ("GET", "/switch", Login::KeepSession | Login::RotateSession) => {
            match (session, user_param(&request.target)) {
                (Some(s), Some(user)) => {
                    let mut sessions = state.sessions.lock().unwrap();
                    sessions.insert(s.clone(), Whoami::person(&user, "acme"));
                    let mut a = Answer::text(200, "switched");
                    a.headers += &format!("Set-Cookie: {}={s}; Path=/\r\n", spec.cookie);
                    a
                }
                _ => Answer::text(400, "switch needs a session and a user"),
            }
        }
        ("GET", "/logout", Login::KeepSession | Login::RotateSession) => {
            if let Some(s) = session {
                state.sessions.lock().unwrap().remove(&s);
            }
            let mut a = Answer::text(200, "logged out");
            a.headers += &format!("Set-Cookie: {}=; Max-Age=0; Path=/\r\n", spec.cookie);
            a
        }
        _ => page(request, spec.pages),
    }
}

async fn whoami(
    session: Option<String>,
    state: &State,
    gate: &mut watch::Receiver<bool>,
) -> Answer {
    state.whoami_calls.fetch_add(1, Ordering::SeqCst);
    let now = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    state.max_in_flight.fetch_max(now, Ordering::SeqCst);
    let _ = gate.wait_for(|open| *open).await;
    if let Some(delay) = state.spec.delay {
        tokio::time::sleep(delay).await;
    }
    state.in_flight.fetch_sub(1, Ordering::SeqCst);
    let spec = &state.spec;
    let known = session.as_ref().and_then(|s| {
        let sessions = state.sessions.lock().unwrap();
        sessions.get(s).cloned().or_else(|| {
            spec.prefixes
                .iter()
                .find(|(p, _)| s.starts_with(p.as_str()))
                .map(|(_, w)| w.clone())
        })
    });
    let Whoami { status, body } = known.unwrap_or_else(|| spec.default.clone());
    Answer {
        status,
        headers: "Content-Type: application/json\r\n".into(),
        body,
    }
}

/// `POST /login` with `user=NAME`: binds the session (kept or new) to NAME.
fn login(request: &Request, session: Option<String>, state: &State) -> Answer {
    let spec = &state.spec;
    let Some(user) = user_param(&request.body) else {
        return Answer::text(400, "login needs a user");
    };
    let (id, set_cookie) = match (spec.login, session) {
        (Login::RotateSession, _) => {
            let n = state.rotations.fetch_add(1, Ordering::SeqCst);
            (format!("rotated-{n}-{user}"), true)
        }
        (_, Some(s)) => (s, false),
        (_, None) => return Answer::text(400, "login needs a session and a user"),
    };
    let mut sessions = state.sessions.lock().unwrap();
    sessions.insert(id.clone(), Whoami::person(&user, "acme"));
    let mut a = Answer::text(303, "");
    a.headers += "Location: /\r\n";
    if set_cookie {
        a.headers += &format!("Set-Cookie: {}={id}; Path=/\r\n", spec.cookie);
    }
    a
}

fn user_param(text: &str) -> Option<String> {
    text.split(['?', '&'])
        .find_map(|p| p.strip_prefix("user="))
        .map(str::to_owned)
}

fn page(request: &Request, pages: Pages) -> Answer {
    match pages {
        Pages::Text(text) => Answer::text(200, text),
        Pages::Account => {
            let account = request.header("x-mfa-account").unwrap_or("-");
            Answer::text(200, &format!("app as {account}"))
        }
        Pages::Echo => {
            let echo = serde_json::json!({
                "method": request.method,
                "path": request.target,
                "headers": request.headers,
            });
            Answer {
                status: 200,
                headers: "Content-Type: application/json\r\n".into(),
                body: echo.to_string().into_bytes(),
            }
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        303 => "See Other",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        500 => "Internal Server Error",
        _ => "Other",
    }
}

/// The request a [`Pages::Echo`] app received, from its answer.
pub struct Seen(serde_json::Value);

impl Seen {
    pub fn of(body: &str) -> Seen {
        Seen(serde_json::from_str(body).unwrap_or_else(|e| panic!("not an echo ({e}): {body}")))
    }

    /// The request's method and target.
    pub fn request_line(&self) -> (String, String) {
        let field = |k: &str| self.0[k].as_str().unwrap_or_default().to_owned();
        (field("method"), field("path"))
    }

    /// Every value of header `name` (lowercase), in order.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0["headers"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|h| h[0] == name)
            .map(|h| h[1].as_str().unwrap().to_owned())
            .collect()
    }

    /// The single value of header `name`; panics when sent twice.
    pub fn one(&self, name: &str) -> Option<String> {
        let all = self.all(name);
        assert!(all.len() <= 1, "{name} sent {} times: {all:?}", all.len());
        all.into_iter().next()
    }

    pub fn names(&self) -> Vec<String> {
        self.0["headers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h[0].as_str().unwrap().to_owned())
            .collect()
    }
}
