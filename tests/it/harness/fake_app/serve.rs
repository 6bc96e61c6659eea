//! The fake app's HTTP side: reads each request of a connection (its
//! `Content-Length` body too), routes it (whoami, login routes, `/hangup`,
//! pages) as its `FakeAppBuilder` says, and writes the answer.

use super::{Login, Pages, State, Whoami};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;

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

pub(super) async fn connection(
    mut sock: TcpStream,
    state: Arc<State>,
    mut gate: watch::Receiver<bool>,
) {
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
