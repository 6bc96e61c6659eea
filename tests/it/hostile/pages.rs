//! Page hardening: every answer mfa-gate writes itself — each page kind,
//! each error, the redirects, the JSON answers — carries `Cache-Control:
//! no-store` (backup codes and CSRF tokens must not sit in a cache), a CSP
//! without any script source, `frame-ancestors 'none'` (no clickjacking of
//! the code form), `Referrer-Policy: no-referrer` and `nosniff`. And no page
//! echoes input unescaped: markup in `return_to`, the query or the path
//! comes back escaped or replaced.

use super::{assert_still_serving, post_head, raw};
use crate::harness::{
    Browser, ConfigBuilder, Gateway, JIRO, Resp, TARO, codes, enroll, enrolled_and_challenged,
    free_ports,
};

const HANAKO_ADMIN: &str = "hanako.admin@acme.example";

/// The security headers of one answer, by name (lower case) and value.
fn check_headers(what: &str, status: u16, get: impl Fn(&str) -> Option<String>) {
    let csp = get("content-security-policy").unwrap_or_else(|| panic!("{what}: no CSP"));
    for directive in [
        "default-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    ] {
        assert!(csp.contains(directive), "{what} ({status}): CSP {csp}");
    }
    assert!(
        !csp.contains("script-src")
            && !csp.contains("unsafe-inline")
            && !csp.contains("unsafe-eval"),
        "{what}: CSP allows script: {csp}"
    );
    assert_eq!(
        get("cache-control").as_deref(),
        Some("no-store"),
        "{what} ({status})"
    );
    assert_eq!(
        get("referrer-policy").as_deref(),
        Some("no-referrer"),
        "{what}"
    );
    assert_eq!(
        get("x-content-type-options").as_deref(),
        Some("nosniff"),
        "{what}"
    );
    assert_eq!(get("x-frame-options").as_deref(), Some("DENY"), "{what}");
}

fn check(what: &str, r: &Resp, status: u16) {
    assert_eq!(r.status, status, "{what}: {}", r.body);
    assert!(!r.came_from_app(), "{what} came from the app");
    check_headers(what, status, |n| r.header(n).map(str::to_owned));
    if r.header("content-type")
        .is_some_and(|c| c.starts_with("text/html"))
    {
        assert!(!r.body.contains("<script"), "{what}: script in the page");
        assert!(r.body.contains("<!DOCTYPE html>"), "{what}");
    }
}

#[tokio::test]
async fn every_page_kind_carries_the_security_headers() {
    let gw = Gateway::demo().await;
    let mut anon = gw.browser();
    check("healthz", &anon.get("/_mfa/healthz").await, 200);
    check("not found", &anon.get("/_mfa/nope").await, 404);
    check("anonymous enroll", &anon.get("/_mfa/enroll").await, 401);

    // taro: enrollment page, its redirects and JSON, then the backup codes
    // page (shows secrets once: must never be cached) and the download.
    let mut b = gw.browser();
    b.login(TARO).await;
    check("redirect to enrollment", &b.get("/").await, 303);
    check("JSON 401", &b.api_get("/api/data").await, 401);
    check("enroll", &b.get("/_mfa/enroll").await, 200);
    let page = b.get("/_mfa/enroll").await;
    let secret = crate::harness::codes::secret_from_uri(&page.href_of("otpauth-link").unwrap());
    let csrf = page.input_value("csrf").unwrap();
    let r = b
        .post_form("/_mfa/enroll", &[("csrf", &csrf), ("code", "000000x")])
        .await;
    check("enroll, wrong code", &r, 422);
    let code = crate::harness::codes::code(&secret, crate::harness::codes::now_step(), 6);
    let done = b
        .post_form("/_mfa/enroll", &[("csrf", &csrf), ("code", &code)])
        .await;
    check("backup codes", &done, 200);
    let download = b
        .post_form(
            "/_mfa/backup-codes.txt",
            &[
                ("csrf", &done.input_value("csrf").unwrap()),
                ("codes", &done.input_value("codes").unwrap()),
            ],
        )
        .await;
    check("backup codes download", &download, 200);
    check("settings", &b.get("/_mfa/settings").await, 200);
    check(
        "forbidden policy page",
        &b.get("/_mfa/admin/security").await,
        403,
    );
    check(
        "CSRF refusal",
        &b.post_form("/_mfa/settings", &[]).await,
        403,
    );
    let garbage = b
        .post_raw(
            "/_mfa/challenge",
            "application/x-www-form-urlencoded",
            b"a=\xff".to_vec(),
        )
        .await;
    check("bad request", &garbage, 400);

    // A new session: the challenge, both variants, and a wrong code.
    let (mut c, csrf, enrolled) = enrolled_and_challenged(&gw, JIRO).await;
    check("challenge", &c.get("/_mfa/challenge").await, 200);
    check(
        "backup challenge",
        &c.get("/_mfa/challenge?method=backup").await,
        200,
    );
    let wrong = codes::wrong_code(&enrolled.secret);
    let r = c
        .post_form("/_mfa/challenge", &[("csrf", &csrf), ("code", &wrong)])
        .await;
    check("challenge, wrong code", &r, 422);
    // Locked: the 423 page and JSON.
    for _ in 0..9 {
        c.post_form("/_mfa/challenge", &[("csrf", &csrf), ("code", &wrong)])
            .await;
    }
    check("locked page", &c.get("/").await, 423);
    check("locked JSON", &c.api_get("/api/data").await, 423);

    // The policy page of a company administrator.
    let mut admin = gw.browser();
    admin.login(HANAKO_ADMIN).await;
    check("policy", &admin.get("/_mfa/admin/security").await, 200);

    // 413, 431 and 400 from the proxy itself (raw: keep-alive is dropped).
    let body = "a".repeat(64 * 1024);
    let r = raw(
        &gw,
        format!(
            "{}{body}",
            post_head(&admin, "/_mfa/settings", body.len(), "")
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    check_headers("413", r.status, |n| r.header(n).map(str::to_owned));
    assert_eq!(r.status, 413);
    let big = format!(
        "GET / HTTP/1.1\r\nHost: x\r\nAccept: text/html\r\nCookie: a={}\r\n\r\n",
        "b".repeat(64 * 1024)
    );
    let r = raw(&gw, big.as_bytes()).await.unwrap();
    assert_eq!(r.status, 431);
    check_headers("431", r.status, |n| r.header(n).map(str::to_owned));
    let twice = "GET / HTTP/1.1\r\nHost: x\r\nAccept: text/html\r\nCookie: demo_session=a; demo_session=b\r\n\r\n";
    let r = raw(&gw, twice.as_bytes()).await.unwrap();
    assert_eq!(r.status, 400);
    check_headers("ambiguous session", r.status, |n| {
        r.header(n).map(str::to_owned)
    });
    assert_still_serving(&gw).await;

    // The 503 page of a gateway whose app cannot say who is logged in.
    let port = free_ports();
    let down = ConfigBuilder::new(port, &format!("127.0.0.1:{}", port + 1))
        .bypass(&["/login"])
        .serve()
        .await;
    let mut d = Browser::new(down.url(""));
    d.cookies.insert("demo_session".into(), "x".into());
    check("503 page", &d.get("/private").await, 503);
    check("503 JSON", &d.api_get("/api/data").await, 503);
    check("503 on our page", &d.get("/_mfa/enroll").await, 503);
}

#[tokio::test]
async fn pages_never_echo_markup_unescaped() {
    let gw = Gateway::demo().await;
    let mut b = gw.browser();
    b.login(TARO).await;
    let evil = "/\"><script>alert(1)</script><img src=x onerror=alert(2)>";
    let q: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("return_to", evil)
        .append_pair("method", "\"><script>alert(3)</script>")
        .finish();
    let page = b.get(&format!("/_mfa/enroll?{q}")).await;
    assert_eq!(page.status, 200);
    assert_no_markup("enroll", &page);
    // Whatever came back in the form is the same text, not markup.
    let kept = page.input_value("return_to").unwrap();
    assert!(kept == "/" || kept == evil, "{kept}");
    let settings = b.get(&format!("/_mfa/settings?{q}")).await;
    assert_no_markup("settings", &settings);
    // Markup in the path of our pages (the language switch repeats it).
    let r = b.get("/_mfa/%3Cscript%3Ealert(4)%3C%2Fscript%3E").await;
    assert_no_markup("404 with markup in the path", &r);
    let r = b
        .get("/_mfa/%3Cscript%3Ealert(4)%3C/script%3E?lang=en")
        .await;
    assert_no_markup("404 with markup in the path", &r);

    // After enrolling, the challenge of a new session, with a POST whose
    // fields carry markup.
    enroll(&mut b).await;
    b.logout().await;
    b.login(TARO).await;
    let page = b.get(&format!("/_mfa/challenge?{q}")).await;
    assert_eq!(page.status, 200);
    assert_no_markup("challenge", &page);
    let csrf = page.input_value("csrf").unwrap();
    let r = b
        .post_form(
            "/_mfa/challenge",
            &[
                ("csrf", &csrf),
                ("code", "<script>1</script>"),
                ("return_to", evil),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    assert_no_markup("challenge error", &r);
    assert_still_serving(&gw).await;
}

fn assert_no_markup(what: &str, r: &Resp) {
    for needle in ["<script", "<img"] {
        assert!(
            !r.body.contains(needle),
            "{what}: `{needle}` echoed unescaped:\n{}",
            r.body
        );
    }
}
