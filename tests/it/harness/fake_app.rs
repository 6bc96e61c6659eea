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

mod serve;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
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
                tokio::spawn(serve::connection(sock, shared.clone(), gate.clone()));
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
