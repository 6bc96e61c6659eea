//! Unit tests of the whoami request: which transport a base gets, and
//! what the app receives (read raw from a loopback listener).

use super::*;
use crate::config::{FieldMap, SessionCookies};
use http::HeaderName;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

fn config(method: WhoamiMethod, path: &str) -> WhoamiConfig {
    WhoamiConfig {
        session: SessionCookies::one("s"),
        whoami_method: method,
        whoami_path: path.into(),
        whoami_headers: vec![(
            HeaderName::from_static("x-requested-with"),
            HeaderValue::from_static("XMLHttpRequest"),
        )],
        whoami_timeout: Duration::from_secs(5),
        fields: FieldMap::flat(),
        anonymous_when: None,
        cache_ttl: Duration::from_secs(60),
        cache_size: 10,
        anonymous_statuses: vec![401],
        whoami_concurrency: 4,
        whoami_client_rate: 10,
        whoami_client_burst: 10,
    }
}

/// A listener answering every request `200 {}` on one kept-alive
/// connection, and the request heads it read.
async fn app() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let heads = Arc::new(Mutex::new(Vec::new()));
    let seen = heads.clone();
    tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut held = Vec::new();
        loop {
            while let Some(end) = held.windows(4).position(|w| w == b"\r\n\r\n") {
                let head: Vec<u8> = held.drain(..end + 4).collect();
                seen.lock()
                    .unwrap()
                    .push(String::from_utf8_lossy(&head).into_owned());
                let answer = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}";
                stream.write_all(answer).await.unwrap();
            }
            let mut chunk = [0u8; 4096];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => held.extend_from_slice(&chunk[..n]),
            }
        }
    });
    (address, heads)
}

#[test]
fn a_plain_upstream_gets_the_light_transport_and_https_keeps_reqwest() {
    let cfg = config(WhoamiMethod::Get, "/api/me");
    let plain = Transport::new(&cfg, "http://app:80").unwrap();
    assert!(
        matches!(&plain, Transport::Plain { host, .. } if host == "app"),
        "the default port is not written in Host, as a URL client writes it"
    );
    let other_port = Transport::new(&cfg, "http://[::1]:8080").unwrap();
    assert!(matches!(&other_port, Transport::Plain { host, .. } if host == "[::1]:8080"));
    let tls = Transport::new(&cfg, "https://app:8443").unwrap();
    assert!(matches!(tls, Transport::Reqwest { url, .. } if url == "https://app:8443/api/me"));
}

#[tokio::test]
async fn the_app_receives_the_method_path_headers_and_cookie() {
    let (address, heads) = app().await;
    let cfg = config(WhoamiMethod::Post, "/api/me?full=1");
    let transport = Transport::new(&cfg, &format!("http://{address}")).unwrap();
    let answer = transport.ask(&cfg, "s=abc", None).await.unwrap();
    assert_eq!((answer.status, answer.body.as_slice()), (200, &b"{}"[..]));
    transport
        .ask(&cfg, "s=def", Some("tenant.example"))
        .await
        .unwrap();
    let heads = heads.lock().unwrap().clone();
    assert_eq!(heads.len(), 2, "both on the one connection: {heads:?}");
    let lines = |head: &str| -> Vec<String> { head.lines().map(str::to_lowercase).collect() };
    let first = lines(&heads[0]);
    assert_eq!(first[0], "post /api/me?full=1 http/1.1");
    for line in [
        format!("host: {address}"),
        "accept: application/json".into(),
        "x-requested-with: xmlhttprequest".into(),
        "cookie: s=abc".into(),
    ] {
        assert!(first.contains(&line), "{line:?} in {first:?}");
    }
    // No body, and no framing header: as reqwest sent an empty POST.
    assert!(
        !first
            .iter()
            .any(|l| l.starts_with("content-length") || l.starts_with("transfer-encoding")),
        "{first:?}"
    );
    let second = lines(&heads[1]);
    assert!(
        second.contains(&"host: tenant.example".to_owned()),
        "{second:?}"
    );
    assert!(second.contains(&"cookie: s=def".to_owned()), "{second:?}");
    assert_eq!(second.iter().filter(|l| l.starts_with("host:")).count(), 1);
}

#[tokio::test]
async fn a_value_no_header_may_carry_fails_the_call() {
    let cfg = config(WhoamiMethod::Get, "/api/me");
    let transport = Transport::new(&cfg, "http://127.0.0.1:9").unwrap();
    let error = transport.ask(&cfg, "s=a\nb", None).await.unwrap_err();
    assert!(matches!(error, IdentityError::Unreachable(_)), "{error:?}");
}
