//! The HTTPS listener: a certificate made in the test (rcgen), HTTP/2 by
//! ALPN, `X-Forwarded-Proto: https` for the app, cookies that an HTTP/2
//! client sends as separate headers joined into one; and a bad certificate
//! refused with a clear message by `serve` and `check-config`, never a panic;
//! a reload (SIGHUP) re-reads the certificate.

use super::{config, echo_app, signal};
use crate::harness::Seen;
use crate::harness::{Gateway, free_ports, run_cli};
use std::path::Path;
use std::time::{Duration, Instant};

/// A self-signed certificate for `localhost`; returns its PEM.
fn make_cert(dir: &Path) -> String {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    std::fs::write(dir.join("cert.pem"), made.cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), made.key_pair.serialize_pem()).unwrap();
    made.cert.pem()
}

fn tls_section(port: u16) -> String {
    format!(
        "tls:\n  listen: 127.0.0.1:{}\n  cert: cert.pem\n  key: key.pem\n",
        port + 1
    )
}

#[tokio::test]
async fn https_listener_speaks_http2_and_tells_the_app() {
    let app = echo_app().await;
    let tmp = tempfile::tempdir().unwrap();
    let pem = make_cert(tmp.path());
    let port = free_ports();
    let cfg = config(port, &app.address)
        .extra(&tls_section(port))
        .write(tmp.path());
    let gw = Gateway::serve(&cfg, port, tmp.path()).await;

    let tls_addr = format!("127.0.0.1:{}", port + 1).parse().unwrap();
    let client = |http1: bool| {
        let b = reqwest::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes()).unwrap())
            .resolve("localhost", tls_addr)
            .redirect(reqwest::redirect::Policy::none());
        if http1 { b.http1_only() } else { b }.build().unwrap()
    };
    let url = format!("https://localhost:{}/private", port + 1);

    let h2 = client(false)
        .get(&url)
        .header("cookie", "app_session=emp-acme-1")
        .header("cookie", "mfa_gate=x.y")
        .header("cookie", "theme=dark")
        .send()
        .await
        .unwrap();
    assert_eq!(h2.version(), reqwest::Version::HTTP_2, "ALPN chose h2");
    assert_eq!(h2.status(), 200);
    let seen = Seen::of(&h2.text().await.unwrap());
    assert_eq!(seen.one("x-forwarded-proto").as_deref(), Some("https"));
    assert_eq!(seen.all("cookie"), ["app_session=emp-acme-1; theme=dark"]);
    assert_eq!(seen.one("x-mfa-status").as_deref(), Some("not-enrolled"));

    let h1 = client(true).get(&url).send().await.unwrap();
    assert_eq!(h1.version(), reqwest::Version::HTTP_11);
    assert_eq!(h1.status(), 200);
    // The plain listener still serves too.
    assert_eq!(
        reqwest::get(gw.url("/_mfa/healthz"))
            .await
            .unwrap()
            .status(),
        200
    );
}

/// The status of a GET on a new connection whose client trusts only `pem`;
/// `None` when the TLS handshake (or anything else) fails.
async fn status_trusting(pem: &str, port: u16) -> Option<u16> {
    let tls_addr = format!("127.0.0.1:{}", port + 1).parse().unwrap();
    let client = reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes()).unwrap())
        .resolve("localhost", tls_addr)
        .build()
        .unwrap();
    let url = format!("https://localhost:{}/_mfa/healthz", port + 1);
    Some(client.get(url).send().await.ok()?.status().as_u16())
}

#[tokio::test]
async fn a_reload_serves_the_renewed_certificate() {
    let app = echo_app().await;
    let tmp = tempfile::tempdir().unwrap();
    let old = make_cert(tmp.path());
    let port = free_ports();
    let cfg = config(port, &app.address)
        .extra(&tls_section(port))
        .write(tmp.path());
    let gw = Gateway::serve(&cfg, port, tmp.path()).await;
    assert_eq!(status_trusting(&old, port).await, Some(200));

    // Renewal: new files in place; nothing changes until the reload.
    let new = make_cert(tmp.path());
    assert_eq!(
        status_trusting(&new, port).await,
        None,
        "served before a reload"
    );
    signal(&gw, libc::SIGHUP);
    let deadline = Instant::now() + Duration::from_secs(20);
    while status_trusting(&new, port).await != Some(200) {
        assert!(
            Instant::now() < deadline,
            "the renewed certificate is not served after SIGHUP; log:\n{}",
            gw.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        status_trusting(&old, port).await,
        None,
        "the old certificate is still offered"
    );
}

#[tokio::test]
async fn a_bad_certificate_is_a_clear_error_for_serve_and_check_config() {
    let tmp = tempfile::tempdir().unwrap();
    make_cert(tmp.path());
    let other = rcgen::generate_simple_self_signed(vec!["other".into()]).unwrap();
    std::fs::write(tmp.path().join("other.key"), other.key_pair.serialize_pem()).unwrap();
    std::fs::write(tmp.path().join("garbage.pem"), "-----BEGIN NOTHING-----\n").unwrap();
    let port = free_ports();
    let cases = [
        (
            "garbage.pem",
            "key.pem",
            "tls.cert",
            "not a PEM certificate file",
        ),
        ("key.pem", "key.pem", "tls.cert", "holds no certificate"),
        ("missing.pem", "key.pem", "tls.cert", "cannot read"),
        (
            "cert.pem",
            "other.key",
            "tls.key",
            "does not belong to the certificate",
        ),
    ];
    for (cert, key, field, needle) in cases {
        let tls = format!(
            "tls:\n  listen: 127.0.0.1:{}\n  cert: {cert}\n  key: {key}\n",
            port + 1
        );
        let cfg = config(port, "127.0.0.1:9").extra(&tls).write(tmp.path());
        let cfg = cfg.display().to_string();
        for command in ["check-config", "serve"] {
            let run = run_cli(&[command, "-c", &cfg], &[]).await;
            assert_eq!(run.code, 2, "{command} {cert} {key}: {run:?}");
            assert!(run.stderr.contains(&format!("field `{field}`")), "{run:?}");
            assert!(run.stderr.contains(needle), "{run:?}");
            assert!(!run.stderr.contains("panicked"), "{run:?}");
        }
    }
}
