//! A fake "legacy" app for the identity-bound tests: it KEEPS its session
//! id across login (`POST /login` with `user=NAME` binds the presented
//! `demo_session` to NAME, no new cookie), can switch the user of a session
//! (`GET /switch?user=NAME`, which re-sends the same cookie), and logs out
//! (`GET /logout`, which clears it). Its whoami (`GET /api/me`) counts its
//! calls and the most in flight at once, and can be held until the test
//! releases it. Every other path answers `app as <X-Mfa-Account or ->`.
//! HTTP/1.1, one request per connection.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

pub struct FakeApp {
    pub address: String,
    state: Arc<State>,
    release: watch::Sender<bool>,
}

#[derive(Default)]
struct State {
    /// Session id -> user.
    sessions: Mutex<HashMap<String, String>>,
    whoami_calls: AtomicUsize,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

impl FakeApp {
    /// Starts the app; `held` whoami calls wait for `release()`.
    pub async fn start(held: bool) -> FakeApp {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let state = Arc::new(State::default());
        let (release, gate) = watch::channel(!held);
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

async fn serve(mut sock: TcpStream, state: Arc<State>, mut gate: watch::Receiver<bool>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match sock.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let header = |name: &str| {
        head.lines()
            .filter_map(|l| l.split_once(':'))
            .find(|(n, _)| n.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_owned())
    };
    let length: usize = header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length {
        match sock.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let body = String::from_utf8_lossy(&buf[head_end..head_end + length]).to_string();
    let session = header("cookie").and_then(|c| {
        c.split(';')
            .filter_map(|p| p.trim().split_once('='))
            .find(|(n, _)| *n == "demo_session")
            .map(|(_, v)| v.to_owned())
    });
    let target = head.split(' ').nth(1).unwrap_or("/").to_owned();
    let method = head.split(' ').next().unwrap_or("").to_owned();
    let param = |text: &str| {
        text.split(['?', '&'])
            .find_map(|p| p.strip_prefix("user="))
            .map(str::to_owned)
    };
    let mut extra = String::new();
    let (status, text) = match (method.as_str(), target.split('?').next()) {
        ("GET", Some("/api/me")) => {
            state.whoami_calls.fetch_add(1, Ordering::SeqCst);
            let now = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            state.max_in_flight.fetch_max(now, Ordering::SeqCst);
            let _ = gate.wait_for(|open| *open).await;
            state.in_flight.fetch_sub(1, Ordering::SeqCst);
            let user = session.and_then(|s| state.sessions.lock().unwrap().get(&s).cloned());
            match user {
                Some(u) => (
                    "200 OK",
                    format!(r#"{{"account":"{u}","company":"acme","class":"employee"}}"#),
                ),
                None => ("401 Unauthorized", "{}".into()),
            }
        }
        ("POST", Some("/login")) => match (session, param(&body)) {
            (Some(s), Some(user)) => {
                state.sessions.lock().unwrap().insert(s, user);
                extra.push_str("Location: /\r\n");
                ("303 See Other", String::new())
            }
            _ => ("400 Bad Request", "login needs a session and a user".into()),
        },
        ("GET", Some("/switch")) => match (session, param(&target)) {
            (Some(s), Some(user)) => {
                state.sessions.lock().unwrap().insert(s.clone(), user);
                extra.push_str(&format!("Set-Cookie: demo_session={s}; Path=/\r\n"));
                ("200 OK", "switched".into())
            }
            _ => (
                "400 Bad Request",
                "switch needs a session and a user".into(),
            ),
        },
        ("GET", Some("/logout")) => {
            if let Some(s) = session {
                state.sessions.lock().unwrap().remove(&s);
            }
            extra.push_str("Set-Cookie: demo_session=; Max-Age=0; Path=/\r\n");
            ("200 OK", "logged out".into())
        }
        _ => {
            let account = header("x-mfa-account").unwrap_or_else(|| "-".into());
            ("200 OK", format!("app as {account}"))
        }
    };
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\nX-Demo-App: 1\r\n{extra}\r\n{text}",
        text.len()
    );
    let _ = sock.write_all(response.as_bytes()).await;
}
