//! Unit tests of the light whoami transport, against a scripted upstream
//! on a loopback port: what each request on each connection gets is
//! written out byte for byte, so that keep-alive, closes, chunked bodies
//! and silence happen exactly when a test says.

use super::*;
use http::HeaderValue;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// What the upstream does with one request.
#[derive(Clone)]
enum Act {
    /// Write these bytes (a whole response, or its head only) and keep
    /// the connection.
    Send(Vec<u8>),
    /// Write these bytes, then close the connection.
    SendAndClose(Vec<u8>),
    /// Close the connection without answering.
    Close,
    /// Answer nothing, and keep the connection open.
    Freeze,
}

/// A scripted upstream: `script(connection, request)` (both counted from
/// 0) says what each request gets. Records every request head.
struct Upstream {
    address: String,
    accepted: Arc<AtomicUsize>,
    heads: Arc<Mutex<Vec<String>>>,
}

impl Upstream {
    async fn start(script: fn(usize, usize) -> Act) -> Upstream {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let accepted = Arc::new(AtomicUsize::new(0));
        let heads = Arc::new(Mutex::new(Vec::new()));
        let (count, seen) = (accepted.clone(), heads.clone());
        tokio::spawn(async move {
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                let connection = count.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(serve(stream, connection, script, seen.clone()));
            }
        });
        Upstream {
            address,
            accepted,
            heads,
        }
    }

    fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    fn heads(&self) -> Vec<String> {
        self.heads.lock().unwrap().clone()
    }
}

/// One connection: each request head (our requests have no body) gets
/// its scripted act.
async fn serve(
    mut stream: TcpStream,
    connection: usize,
    script: fn(usize, usize) -> Act,
    heads: Arc<Mutex<Vec<String>>>,
) {
    let mut held = Vec::new();
    for request in 0.. {
        let end = loop {
            if let Some(end) = held.windows(4).position(|w| w == b"\r\n\r\n") {
                break end + 4;
            }
            let mut chunk = [0u8; 4096];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => held.extend_from_slice(&chunk[..n]),
            }
        };
        let head: Vec<u8> = held.drain(..end).collect();
        heads
            .lock()
            .unwrap()
            .push(String::from_utf8_lossy(&head).into_owned());
        match script(connection, request) {
            Act::Send(bytes) => stream.write_all(&bytes).await.unwrap(),
            Act::SendAndClose(bytes) => return stream.write_all(&bytes).await.unwrap(),
            Act::Close => return,
            Act::Freeze => std::future::pending::<()>().await,
        }
    }
}

fn ok_bytes(body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn ok(body: &str) -> Act {
    Act::Send(ok_bytes(body))
}

fn request() -> Request {
    let mut request = Request::default();
    *request.uri_mut() = "/api/me".parse().unwrap();
    request
        .headers_mut()
        .insert(http::header::HOST, HeaderValue::from_static("app"));
    request
}

async fn call(pool: &Http1Pool) -> Result<Answer, CallError> {
    pool.call(|| Ok::<_, CallError>(request())).await
}

fn pool(upstream: &Upstream) -> Http1Pool {
    Http1Pool::new(&upstream.address, Duration::from_secs(5), 64 * 1024)
}

#[tokio::test]
async fn answers_share_one_kept_alive_connection() {
    let upstream = Upstream::start(|_, i| ok(&format!("answer {i}"))).await;
    let pool = pool(&upstream);
    for i in 0..3 {
        let answer = call(&pool).await.unwrap();
        assert_eq!(answer.status, 200);
        assert_eq!(answer.body, format!("answer {i}").as_bytes());
    }
    assert_eq!(upstream.accepted(), 1, "one connection for three calls");
    assert_eq!(pool.idle(), 1);
    let head = &upstream.heads()[0];
    assert!(head.starts_with("GET /api/me HTTP/1.1\r\n"), "{head}");
    assert!(head.contains("host: app\r\n"), "{head}");
}

#[tokio::test]
async fn a_connection_the_upstream_closed_while_idle_is_replaced() {
    // The first connection answers once, then closes.
    let upstream = Upstream::start(|c, _| match c {
        0 => Act::SendAndClose(ok_bytes("me")),
        _ => ok("me"),
    })
    .await;
    let pool = pool(&upstream);
    assert_eq!(call(&pool).await.unwrap().body, b"me");
    // The close reaches us at once on loopback, or when the pooled
    // connection is tried: either way the call is answered, on a new one.
    assert_eq!(call(&pool).await.unwrap().body, b"me");
    assert_eq!(call(&pool).await.unwrap().body, b"me");
    assert_eq!(upstream.accepted(), 2);
}

#[tokio::test]
async fn a_pooled_connection_closed_under_the_request_is_retried_on_a_new_one() {
    // The first connection answers one request and reads the second
    // before it closes: the pooled connection looked open when taken.
    let upstream = Upstream::start(|c, i| {
        if c == 0 && i == 1 {
            Act::Close
        } else {
            ok("me")
        }
    })
    .await;
    let pool = pool(&upstream);
    call(&pool).await.unwrap();
    let answer = call(&pool).await.unwrap();
    assert_eq!((answer.status, answer.body.as_slice()), (200, &b"me"[..]));
    assert_eq!(upstream.accepted(), 2);
    assert_eq!(
        upstream.heads().len(),
        3,
        "the second request was sent twice"
    );
}

#[tokio::test]
async fn a_new_connection_that_closes_unanswered_is_an_error() {
    let upstream = Upstream::start(|_, _| Act::Close).await;
    let error = call(&pool(&upstream)).await.unwrap_err();
    assert!(
        matches!(error, CallError::Http(_) | CallError::Closed),
        "{error:?}"
    );
    assert_eq!(upstream.accepted(), 1, "no retry on a new connection");
}

#[tokio::test]
async fn a_chunked_body_is_read_whole_up_to_the_cap() {
    let upstream = Upstream::start(|_, i| {
        let chunks = if i == 0 {
            "4\r\n{\"a\"\r\n3\r\n:1}\r\n"
        } else {
            ""
        };
        let over = format!("{:x}\r\n{}\r\n", 65 * 1024, "x".repeat(65 * 1024));
        let body = if i == 0 { chunks.to_owned() } else { over };
        Act::Send(
            format!("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n{body}0\r\n\r\n")
                .into_bytes(),
        )
    })
    .await;
    let pool = pool(&upstream);
    assert_eq!(call(&pool).await.unwrap().body, b"{\"a\":1}");
    let error = call(&pool).await.unwrap_err();
    assert!(matches!(error, CallError::TooLarge(65536)), "{error:?}");
    assert_eq!(pool.idle(), 0, "a refused body's connection is not kept");
}

#[tokio::test]
async fn a_content_length_over_the_cap_is_refused_before_reading() {
    // The head promises 1 MiB and no body follows: only the length can
    // refuse it, and it must, long before the timeout.
    let upstream = Upstream::start(|_, _| {
        Act::Send(b"HTTP/1.1 200 OK\r\ncontent-length: 1048576\r\n\r\n".to_vec())
    })
    .await;
    let started = Instant::now();
    let error = call(&pool(&upstream)).await.unwrap_err();
    assert!(matches!(error, CallError::TooLarge(_)), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(4));
}

#[tokio::test]
async fn a_frozen_upstream_times_out_within_the_bound() {
    let upstream = Upstream::start(|_, _| Act::Freeze).await;
    let pool = Http1Pool::new(&upstream.address, Duration::from_millis(300), 1024);
    let started = Instant::now();
    let error = call(&pool).await.unwrap_err();
    assert!(matches!(error, CallError::Timeout), "{error:?}");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_secs(3),
        "{took:?}"
    );
    assert_eq!(pool.idle(), 0);
}

#[tokio::test]
async fn a_body_that_freezes_midway_times_out() {
    let upstream = Upstream::start(|_, _| {
        Act::Send(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n{\"a\"".to_vec())
    })
    .await;
    let pool = Http1Pool::new(&upstream.address, Duration::from_millis(300), 1024);
    let error = call(&pool).await.unwrap_err();
    assert!(matches!(error, CallError::Timeout), "{error:?}");
}

#[tokio::test]
async fn another_status_is_answered_without_its_body_and_keeps_the_connection() {
    let upstream = Upstream::start(|_, _| {
        Act::Send(b"HTTP/1.1 401 Unauthorized\r\ncontent-length: 5\r\n\r\nlogin".to_vec())
    })
    .await;
    let pool = pool(&upstream);
    for _ in 0..2 {
        let answer = call(&pool).await.unwrap();
        assert_eq!((answer.status, answer.body.len()), (401, 0));
    }
    assert_eq!(upstream.accepted(), 1);
}

#[tokio::test]
async fn a_redirect_is_a_status_not_followed() {
    let upstream = Upstream::start(|_, _| {
        Act::Send(b"HTTP/1.1 302 Found\r\nlocation: /login\r\ncontent-length: 0\r\n\r\n".to_vec())
    })
    .await;
    assert_eq!(call(&pool(&upstream)).await.unwrap().status, 302);
    assert_eq!(upstream.heads().len(), 1);
}

#[tokio::test]
async fn nothing_listening_is_a_connect_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    drop(listener);
    let pool = Http1Pool::new(&address, Duration::from_secs(5), 1024);
    let error = call(&pool).await.unwrap_err();
    assert!(matches!(error, CallError::Connect(_)), "{error:?}");
}
