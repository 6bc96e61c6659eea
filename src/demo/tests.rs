//! Unit tests of `demo`.

use super::*;
use crate::domain::AccountClass;

fn request(route: Route, token: Option<&str>, body: &str) -> DemoRequest {
    DemoRequest {
        route,
        token: token.map(str::to_owned),
        content_type: Some(HeaderValue::from_static(
            "application/x-www-form-urlencoded",
        )),
        body: body.as_bytes().to_vec(),
    }
}

fn header<'r>(reply: &'r Reply, name: &str) -> Option<&'r str> {
    reply.header(name)
}

/// Logs in through the handler and returns the session token.
fn log_in(app: &DemoApp, email: &str) -> String {
    let reply = app.handle(request(
        Route::LoginSubmit,
        None,
        &format!("email={email}&password=demo"),
    ));
    assert_eq!(reply.status, 303);
    let cookie = header(&reply, "Set-Cookie").expect("login sets a cookie");
    session_token(std::iter::once(
        cookie.split(';').next().unwrap().as_bytes(),
    ))
    .unwrap()
}

#[test]
fn every_account_is_well_formed() {
    for a in DEMO_ACCOUNTS {
        assert!(AccountClass::parse(a.class).is_some(), "{}", a.email);
        assert!(
            a.email.ends_with(&format!("@{}.example", a.company)),
            "{}",
            a.email
        );
        assert!(a.class == "admin" || a.roles.is_empty(), "{}", a.email);
    }
}

#[test]
fn linked_accounts_share_a_person() {
    assert_eq!(
        find_account("hanako@acme.example").unwrap().person,
        "hanako"
    );
    assert_eq!(
        find_account("hanako.admin@acme.example").unwrap().person,
        "hanako"
    );
    assert_eq!(
        find_account("jiro@acme.example").unwrap().person,
        "jiro@acme.example"
    );
    assert_eq!(
        find_account("kei.admin@globex.example").unwrap().roles,
        ["admin", "stress_check_officer"]
    );
    assert!(find_account("nobody@acme.example").is_none());
}

#[test]
fn credentials_need_a_known_email_and_the_demo_password() {
    assert_eq!(
        check_credentials("taro@globex.example", "demo")
            .unwrap()
            .company,
        "globex"
    );
    assert_eq!(
        check_credentials(" taro@globex.example ", "demo")
            .unwrap()
            .email,
        "taro@globex.example"
    );
    assert!(check_credentials("taro@globex.example", "Demo").is_none());
    assert!(check_credentials("taro@globex.example", "").is_none());
    assert!(check_credentials("nobody@globex.example", "demo").is_none());
}

#[test]
fn session_token_is_found_among_joined_cookie_headers() {
    let check = |headers: &[&[u8]], expected: Option<&str>| {
        assert_eq!(
            session_token(headers.iter().copied()).as_deref(),
            expected,
            "{headers:?}"
        );
    };
    check(&[b"demo_session=abc"], Some("abc"));
    check(&[b"a=1; demo_session=abc; b=2"], Some("abc"));
    check(&[b"a=1", b"demo_session=abc"], Some("abc"));
    check(&[b"\xff\xfe", b"demo_session=abc"], Some("abc"));
    check(&[b"garbage;;==; demo_session=abc"], Some("abc"));
    check(&[b"demo_session="], None);
    check(&[b"other=abc"], None);
    check(&[], None);
}

#[test]
fn login_form_needs_both_fields() {
    let form = LoginForm::parse(b"email=jiro%40acme.example&password=demo&extra=1").unwrap();
    assert_eq!(
        form,
        LoginForm {
            email: "jiro@acme.example".into(),
            password: "demo".into()
        }
    );
    assert!(LoginForm::parse(b"email=jiro%40acme.example").is_none());
    assert!(LoginForm::parse(b"email=&password=demo").is_none());
    assert!(LoginForm::parse(b"\xff\x00=%zz&&=").is_none());
}

#[test]
fn form_content_type_is_recognised() {
    let form = |s: &'static str| is_form(Some(&HeaderValue::from_static(s)));
    assert!(form("application/x-www-form-urlencoded"));
    assert!(form("Application/X-WWW-Form-Urlencoded; charset=UTF-8"));
    assert!(!form("application/json"));
    assert!(!is_form(None));
}

#[test]
fn routes_by_method_and_path() {
    assert_eq!(Route::of(&Method::GET, "/login"), Route::LoginForm);
    assert_eq!(Route::of(&Method::POST, "/login"), Route::LoginSubmit);
    assert_eq!(Route::of(&Method::HEAD, "/"), Route::Home);
    assert_eq!(Route::of(&Method::POST, "/api/echo"), Route::ApiEcho);
    assert_eq!(Route::of(&Method::GET, "/api/echo"), Route::NotFound);
    assert_eq!(Route::of(&Method::POST, "/"), Route::NotFound);
    assert_eq!(Route::of(&Method::GET, "/nope"), Route::NotFound);
}

#[test]
fn login_then_whoami_then_logout() {
    let app = DemoApp::new();
    let token = log_in(&app, "hanako.admin%40acme.example");
    assert_eq!(token.len(), 32);

    let me = app.handle(request(Route::ApiMe, Some(&token), ""));
    assert_eq!(me.status, 200);
    let me: Value = serde_json::from_slice(&me.body).unwrap();
    assert_eq!(
        me,
        json!({"account": "hanako.admin@acme.example", "company": "acme", "class": "admin",
               "person": "hanako", "roles": ["admin"], "email": "hanako.admin@acme.example"})
    );
    let home = app.handle(request(Route::Home, Some(&token), ""));
    let home = String::from_utf8(home.body).unwrap();
    assert!(home.contains("Logged in as hanako.admin@acme.example (admin, acme)"));
    assert!(home.contains("/_mfa/admin/security"));

    let logout = app.handle(request(Route::Logout, Some(&token), ""));
    assert_eq!(header(&logout, "Location"), Some("/login"));
    assert_eq!(
        header(&logout, "Set-Cookie"),
        Some("demo_session=; Max-Age=0; Path=/")
    );
    assert_eq!(
        app.handle(request(Route::ApiMe, Some(&token), "")).status,
        401
    );
}

#[test]
fn a_new_login_ends_the_previous_session() {
    let app = DemoApp::new();
    let first = log_in(&app, "jiro%40acme.example");
    let reply = app.handle(request(
        Route::LoginSubmit,
        Some(&first),
        "email=taro%40globex.example&password=demo",
    ));
    assert_eq!(reply.status, 303);
    assert_eq!(
        app.handle(request(Route::ApiData, Some(&first), "")).status,
        401
    );
}

#[test]
fn anonymous_and_bad_logins_are_refused() {
    let app = DemoApp::new();
    let home = app.handle(request(Route::Home, Some("forged"), ""));
    assert_eq!(home.status, 303);
    assert_eq!(header(&home, "Location"), Some("/login"));
    let data = app.handle(request(Route::ApiData, None, ""));
    assert_eq!(data.status, 401);
    assert_eq!(data.body, br#"{"error":"not_logged_in"}"#);
    let bad = app.handle(request(
        Route::LoginSubmit,
        None,
        "email=jiro%40acme.example&password=nope",
    ));
    assert_eq!(bad.status, 401);
    assert!(header(&bad, "Set-Cookie").is_none());
    let missing = app.handle(request(
        Route::LoginSubmit,
        None,
        "email=jiro%40acme.example",
    ));
    assert_eq!(missing.status, 400);
    let mut json_login = request(Route::LoginSubmit, None, "{}");
    json_login.content_type = Some(HeaderValue::from_static("application/json"));
    assert_eq!(app.handle(json_login).status, 415);
}

#[test]
fn echo_returns_body_and_content_type() {
    let app = DemoApp::new();
    let mut req = request(Route::ApiEcho, None, "");
    req.content_type = Some(HeaderValue::from_static("application/x-custom"));
    req.body = vec![0, 1, 2, 255];
    let reply = app.handle(req);
    assert_eq!(reply.header("Content-Type"), Some("application/x-custom"));
    assert_eq!(reply.body, [0, 1, 2, 255]);
    let mut req = request(Route::ApiEcho, None, "x");
    req.content_type = None;
    let reply = app.handle(req);
    assert_eq!(
        reply.header("Content-Type"),
        Some("application/octet-stream")
    );
}

/// Serves the app on a loopback port through pingora's real HTTP/1 code
/// and returns the address; the server lives as long as the runtime.
async fn serve_on_loopback() -> std::net::SocketAddr {
    use pingora::protocols::l4::stream::Stream as L4Stream;
    use std::sync::Arc;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Arc::new(ReplyServer(DemoApp::new()));
    // The sender lives in the accept task: dropping it would read as shutdown.
    let (shutdown_tx, shutdown) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        let _shutdown_tx = shutdown_tx;
        while let Ok((tcp, _)) = listener.accept().await {
            let stream: pingora::protocols::Stream = Box::new(L4Stream::from(tcp));
            let (app, shutdown) = (app.clone(), shutdown.clone());
            tokio::spawn(Service::handle_event(stream, app, shutdown));
        }
    });
    addr
}

/// Reads one response (headers + `Content-Length` body) off `conn`.
async fn read_response(
    conn: &mut tokio::io::BufReader<tokio::net::TcpStream>,
    head: bool,
) -> (String, Vec<u8>) {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt};
    let mut headers = String::new();
    loop {
        let mut line = String::new();
        assert!(
            conn.read_line(&mut line).await.unwrap() > 0,
            "connection closed"
        );
        if line == "\r\n" {
            break;
        }
        // Lowercase the header name only: the cookie value is case-sensitive.
        match line.split_once(':') {
            Some((name, value)) => {
                headers.push_str(&format!("{}:{value}", name.to_ascii_lowercase()))
            }
            None => headers.push_str(&line),
        }
    }
    let length: usize = headers
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .map(|n| n.trim().parse().unwrap())
        .unwrap_or_else(|| {
            // Only an interim (1xx) response may come without a length.
            assert!(
                headers.starts_with("HTTP/1.1 1"),
                "no content-length: {headers}"
            );
            0
        });
    let mut body = vec![0; if head { 0 } else { length }];
    conn.read_exact(&mut body).await.unwrap();
    (headers, body)
}

#[tokio::test]
async fn serves_over_http1_with_keep_alive() {
    use tokio::io::AsyncWriteExt;
    let addr = serve_on_loopback().await;
    let mut conn = tokio::io::BufReader::new(tokio::net::TcpStream::connect(addr).await.unwrap());

    let form = "email=cand%40globex.example&password=demo";
    let login = format!(
        "POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\n\r\n{form}",
        form.len()
    );
    conn.get_mut().write_all(login.as_bytes()).await.unwrap();
    let (headers, _) = read_response(&mut conn, false).await;
    assert!(headers.starts_with("HTTP/1.1 303"), "{headers}");
    assert!(
        headers.contains("x-demo-app: 1") && headers.contains("location: /\r\n"),
        "{headers}"
    );
    let token = headers.split("demo_session=").nth(1).unwrap()[..32].to_owned();

    // Same connection: the session works and HEAD carries no body.
    let me = format!(
        "GET /api/me HTTP/1.1\r\nHost: x\r\nCookie: a=1\r\nCookie: demo_session={token}\r\n\r\n"
    );
    conn.get_mut().write_all(me.as_bytes()).await.unwrap();
    let (headers, body) = read_response(&mut conn, false).await;
    assert!(headers.starts_with("HTTP/1.1 200"), "{headers}");
    let me: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        (me["class"].as_str(), me["company"].as_str()),
        (Some("candidate"), Some("globex"))
    );

    conn.get_mut()
        .write_all(b"HEAD /static/app.css HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    // HEAD: the headers of a GET (its length too), no body.
    let (headers, _) = read_response(&mut conn, true).await;
    let length = format!("content-length: {}\r\n", APP_CSS.len());
    assert!(
        headers.contains("text/css") && headers.contains(&length),
        "{headers}"
    );
}

#[tokio::test]
async fn a_read_body_keeps_the_connection_an_unread_one_closes_it() {
    use tokio::io::AsyncWriteExt;
    let addr = serve_on_loopback().await;
    let mut conn = tokio::io::BufReader::new(tokio::net::TcpStream::connect(addr).await.unwrap());

    let echo = b"POST /api/echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Type: text/x-demo\r\nContent-Length: 5\r\n\r\nhello";
    conn.get_mut().write_all(echo).await.unwrap();
    let (headers, _) = read_response(&mut conn, false).await;
    assert!(headers.starts_with("HTTP/1.1 100"), "{headers}");
    let (headers, body) = read_response(&mut conn, false).await;
    assert!(headers.contains("content-type: text/x-demo"), "{headers}");
    assert_eq!(body, b"hello");
    // The invited body was read in full: the connection stays usable.
    assert!(headers.contains("connection: keep-alive"), "{headers}");

    let huge = b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 999999\r\n\r\n";
    conn.get_mut().write_all(huge).await.unwrap();
    let (headers, _) = read_response(&mut conn, false).await;
    assert!(headers.starts_with("HTTP/1.1 413"), "{headers}");
    // The unread body makes the connection unusable: it is closed.
    assert!(headers.contains("connection: close"), "{headers}");
}
