//! The whoami call on the wire, through a running gateway: behind an app
//! written byte for byte on a loopback port, so that keep-alive, a close
//! between calls and a chunked answer happen exactly when a test says.
//! Company `acme` requires a second factor and nobody is enrolled, so
//! every identified request is sent to enrollment (303) without reaching
//! the app: the app sees whoami calls only.

use crate::harness::{ConfigBuilder, Gateway, free_ports};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the app writes for request `request` of connection `connection`,
/// and whether it closes the connection after it.
type Script = fn(connection: usize, request: usize) -> (Vec<u8>, bool);

struct App {
    address: String,
    connections: Arc<AtomicUsize>,
    requests: Arc<AtomicUsize>,
}

impl App {
    async fn start(script: Script) -> App {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let connections = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(AtomicUsize::new(0));
        let (accepted, asked) = (connections.clone(), requests.clone());
        tokio::spawn(async move {
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                let connection = accepted.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(serve(stream, connection, script, asked.clone()));
            }
        });
        App {
            address,
            connections,
            requests,
        }
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

/// One connection: each request head (a whoami call has no body) gets
/// its scripted answer.
async fn serve(mut stream: TcpStream, connection: usize, script: Script, asked: Arc<AtomicUsize>) {
    let mut held = Vec::new();
    for request in 0.. {
        while !held.windows(4).any(|w| w == b"\r\n\r\n") {
            let mut chunk = [0u8; 4096];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => held.extend_from_slice(&chunk[..n]),
            }
        }
        let end = held.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or(0);
        held.drain(..end + 4);
        asked.fetch_add(1, Ordering::SeqCst);
        let (answer, close) = script(connection, request);
        if stream.write_all(&answer).await.is_err() || close {
            return;
        }
    }
}

const PERSON: &str = r#"{"account":"ann","company":"acme","class":"employee"}"#;

fn person() -> Vec<u8> {
    format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{PERSON}",
        PERSON.len()
    )
    .into_bytes()
}

/// `body` in chunks of at most 4 KiB.
fn chunked(body: &str) -> Vec<u8> {
    let mut out = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n".to_vec();
    for piece in body.as_bytes().chunks(4096) {
        out.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        out.extend_from_slice(piece);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

async fn gateway(app: &App) -> Gateway {
    ConfigBuilder::new(free_ports(), &app.address)
        .company("acme", "required")
        .serve()
        .await
}

/// The status of a request of a new app session `id`.
async fn status_of_session(gw: &Gateway, id: &str) -> u16 {
    let mut b = gw.browser();
    b.cookies.insert("demo_session".into(), id.into());
    let r = b.get("/private").await;
    assert!(r.status != 303 || r.location().unwrap_or_default().starts_with("/_mfa/enroll"));
    r.status
}

#[tokio::test]
async fn whoami_calls_of_new_sessions_share_one_kept_alive_connection() {
    let app = App::start(|_, _| (person(), false)).await;
    let gw = gateway(&app).await;
    for id in ["s1", "s2", "s3"] {
        assert_eq!(status_of_session(&gw, id).await, 303, "{id}");
    }
    assert_eq!((app.requests(), app.connections()), (3, 1));
}

#[tokio::test]
async fn a_whoami_connection_the_app_closed_fails_no_request() {
    // Every connection is closed by the app after one answer: each
    // pooled connection is dead by the next call.
    let app = App::start(|_, _| (person(), true)).await;
    let gw = gateway(&app).await;
    for id in ["s1", "s2", "s3"] {
        assert_eq!(status_of_session(&gw, id).await, 303, "{id}");
    }
    assert_eq!((app.requests(), app.connections()), (3, 3));
}

#[tokio::test]
async fn a_chunked_whoami_answer_is_read_whole_up_to_64_kib() {
    let app = App::start(|connection, _| {
        // The person with 64 KiB of padding (over the cap: the connection
        // is dropped), then with 1000 bytes.
        let padding = if connection == 0 { 64 * 1024 } else { 1000 };
        let body = format!(
            r#"{{"account":"ann","company":"acme","class":"employee","pad":"{}"}}"#,
            "x".repeat(padding)
        );
        (chunked(&body), false)
    })
    .await;
    let gw = gateway(&app).await;
    assert_eq!(
        status_of_session(&gw, "s1").await,
        503,
        "over the cap fails closed"
    );
    assert_eq!(
        status_of_session(&gw, "s2").await,
        303,
        "under it, read whole"
    );
    assert_eq!((app.requests(), app.connections()), (2, 2));
}
