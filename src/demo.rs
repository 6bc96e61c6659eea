//! The bundled demo app: a deliberately plain "legacy" web application with
//! its own password login and no idea that 2FA exists. `mfa-gate demo` runs
//! it behind the gateway for a first look, and the integration tests use it as
//! the upstream. It owns a fixed set of accounts ([`DEMO_ACCOUNTS`], password
//! [`DEMO_PASSWORD`]), in-memory sessions keyed by the `demo_session` cookie,
//! and the `/api/me` whoami endpoint the gateway asks who a session belongs
//! to. Every response carries `X-Demo-App: 1`, so a test can tell an app
//! response from a gateway page.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use cookie::Cookie;
use http::header::CONTENT_TYPE;
use http::{HeaderValue, Method, StatusCode};
use maud::{DOCTYPE, Markup, html};
use pingora::protocols::http::ServerSession;
use pingora::services::listening::Service;
use rand::Rng;
use rand::distr::Alphanumeric;
use serde_json::{Value, json};

use crate::edge::write::{Answer, ReplyServer};
use crate::reply::Reply;

/// One account of the demo app.
#[derive(Debug, PartialEq, Eq)]
pub struct DemoAccount {
    pub email: &'static str,
    pub company: &'static str,
    /// `candidate`, `employee` or `admin` (see `domain::AccountClass`).
    pub class: &'static str,
    pub roles: &'static [&'static str],
    /// Link key: `hanako`'s employee and admin accounts share one.
    pub person: &'static str,
}

/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "demo";

const fn account(
    email: &'static str,
    company: &'static str,
    class: &'static str,
    roles: &'static [&'static str],
) -> DemoAccount {
    DemoAccount {
        email,
        company,
        class,
        roles,
        person: email,
    }
}

/// The demo app's accounts: two companies, every class, linked accounts.
pub const DEMO_ACCOUNTS: &[DemoAccount] = &[
    DemoAccount {
        person: "hanako",
        ..account("hanako@acme.example", "acme", "employee", &[])
    },
    DemoAccount {
        person: "hanako",
        ..account("hanako.admin@acme.example", "acme", "admin", &["admin"])
    },
    account("jiro@acme.example", "acme", "employee", &[]),
    account("manager@acme.example", "acme", "admin", &["manager"]),
    account("cand@acme.example", "acme", "candidate", &[]),
    account("taro@globex.example", "globex", "employee", &[]),
    account(
        "kei.admin@globex.example",
        "globex",
        "admin",
        &["admin", "stress_check_officer"],
    ),
    account("cand@globex.example", "globex", "candidate", &[]),
    // One human with an employee and a candidate account (e.g. staff who
    // also sit a test): the person-wide 2FA obeys the stricter account.
    DemoAccount {
        person: "sato",
        ..account("sato@globex.example", "globex", "employee", &[])
    },
    DemoAccount {
        person: "sato",
        ..account("sato.exam@globex.example", "globex", "candidate", &[])
    },
];

/// Name of the app's session cookie (what the gateway is configured to watch).
pub const SESSION_COOKIE: &str = "demo_session";

/// Login forms are tiny; anything bigger is refused.
const LOGIN_BODY_LIMIT: usize = 16 * 1024;
/// `/api/echo` proves bodies stream through the proxy; 1 MiB is plenty.
const ECHO_BODY_LIMIT: usize = 1024 * 1024;
/// Bound on live sessions so that a login loop cannot grow memory forever.
const MAX_SESSIONS: usize = 10_000;

const APP_CSS: &str = "body{font-family:system-ui,sans-serif;max-width:42rem;margin:2rem auto;\
padding:0 1rem;color:#222}h1{font-size:1.4rem}table{border-collapse:collapse}\
td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:left}\
label{display:block;margin:.5rem 0}.error{color:#b00020}nav a{margin-right:1rem}\n";

/// The account with this email, if any.
pub fn find_account(email: &str) -> Option<&'static DemoAccount> {
    DEMO_ACCOUNTS.iter().find(|a| a.email == email)
}

/// The account these credentials log into, if they are right.
pub fn check_credentials(email: &str, password: &str) -> Option<&'static DemoAccount> {
    find_account(email.trim()).filter(|_| password == DEMO_PASSWORD)
}

/// The demo app: its sessions live in memory and die with the process.
pub struct DemoApp {
    /// Session token → account.
    sessions: Mutex<HashMap<String, &'static DemoAccount>>,
}

impl Default for DemoApp {
    fn default() -> Self {
        Self::new()
    }
}

impl DemoApp {
    pub fn new() -> DemoApp {
        DemoApp {
            sessions: Mutex::new(HashMap::new()),
        }
    }

    /// The map holds no invariant a panic could break, so a poisoned lock is
    /// simply taken over.
    fn sessions(&self) -> MutexGuard<'_, HashMap<String, &'static DemoAccount>> {
        self.sessions.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn logged_in(&self, token: Option<&str>) -> Option<&'static DemoAccount> {
        token.and_then(|t| self.sessions().get(t).copied())
    }

    /// Starts a session and returns its token; `previous` (if any) ends, so
    /// a new login is always a new app session.
    fn log_in(&self, account: &'static DemoAccount, previous: Option<&str>) -> String {
        let token: String = rand::rng()
            .sample_iter(Alphanumeric)
            .take(32)
            .map(char::from)
            .collect();
        let mut sessions = self.sessions();
        if let Some(previous) = previous {
            sessions.remove(previous);
        }
        if sessions.len() >= MAX_SESSIONS
            && let Some(victim) = sessions.keys().next().cloned()
        {
            sessions.remove(&victim);
        }
        sessions.insert(token.clone(), account);
        token
    }

    fn log_out(&self, token: Option<&str>) {
        if let Some(token) = token {
            self.sessions().remove(token);
        }
    }

    /// Answers one request whose body (if its route takes one) has been read.
    fn handle(&self, req: DemoRequest) -> Reply {
        let token = req.token.as_deref();
        let me = self.logged_in(token);
        match req.route {
            Route::LoginForm => Reply::html(200, login_page(me, "", None)),
            Route::LoginSubmit => self.submit_login(&req, me),
            Route::Home => match me {
                Some(account) => Reply::html(200, home_page(account)),
                None => Reply::redirect("/login"),
            },
            Route::Logout => {
                self.log_out(token);
                let expired = "demo_session=; Max-Age=0; Path=/".to_owned();
                Reply::redirect("/login").with_header("Set-Cookie", expired)
            }
            Route::ApiMe => match me {
                Some(account) => Reply::json(200, whoami_json(account)),
                None => not_logged_in(),
            },
            Route::ApiData => match me {
                Some(account) => Reply::json(200, json!({"ok": true, "account": account.email})),
                None => not_logged_in(),
            },
            Route::ApiEcho => {
                let content_type = req.content_type.as_ref().and_then(|v| v.to_str().ok());
                let content_type = content_type.unwrap_or("application/octet-stream");
                Reply::typed(200, content_type, req.body)
            }
            Route::Css => Reply::typed(200, "text/css; charset=utf-8", APP_CSS),
            Route::NotFound => Reply::html(404, not_found_page()),
        }
    }

    /// `POST /login`: a form with the right credentials starts a new
    /// session (ending the request's previous one).
    fn submit_login(&self, req: &DemoRequest, me: Option<&DemoAccount>) -> Reply {
        if !is_form(req.content_type.as_ref()) {
            let page = login_page(me, "", Some("Send the login form as a form."));
            return Reply::html(415, page);
        }
        let Some(form) = LoginForm::parse(&req.body) else {
            let page = login_page(me, "", Some("Enter an email and a password."));
            return Reply::html(400, page);
        };
        let Some(account) = check_credentials(&form.email, &form.password) else {
            let page = login_page(me, &form.email, Some("Wrong email or password."));
            return Reply::html(401, page);
        };
        let token = self.log_in(account, req.token.as_deref());
        let cookie = format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax");
        Reply::redirect("/").with_header("Set-Cookie", cookie)
    }
}

#[async_trait]
impl Answer for DemoApp {
    /// Lets a test tell an app response from a gateway page.
    const HEADERS: &'static [(&'static str, &'static str)] = &[("x-demo-app", "1")];

    async fn answer(&self, session: &mut ServerSession) -> Reply {
        let header = session.req_header();
        let route = Route::of(&header.method, header.uri.path());
        let token = session_token(
            header
                .headers
                .get_all("cookie")
                .iter()
                .map(HeaderValue::as_bytes),
        );
        let content_type = header.headers.get(CONTENT_TYPE).cloned();
        let body = match route.body_limit() {
            None => Vec::new(),
            Some(limit) => match crate::edge::body::read_body(session, limit).await {
                Ok(body) => body,
                Err(e) => {
                    let status = StatusCode::from_u16(e.status());
                    let reason = status.ok().and_then(|s| s.canonical_reason());
                    return Reply::text(e.status(), reason.unwrap_or("bad request"));
                }
            },
        };
        self.handle(DemoRequest {
            route,
            token,
            content_type,
            body,
        })
    }
}

/// A pingora listening service running the demo app on `addr`
/// (e.g. `127.0.0.1:8081`).
pub fn service(addr: &str) -> Service<ReplyServer<DemoApp>> {
    let mut service = Service::new("demo app".to_owned(), ReplyServer(DemoApp::new()));
    service.add_tcp(addr);
    service
}

/// What the app does, by method and path. `HEAD` is answered like `GET`
/// (pingora drops the body).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Route {
    LoginForm,
    LoginSubmit,
    Home,
    Logout,
    ApiMe,
    ApiData,
    ApiEcho,
    Css,
    NotFound,
}

impl Route {
    fn of(method: &Method, path: &str) -> Route {
        let read = *method == Method::GET || *method == Method::HEAD;
        match (path, read, *method == Method::POST) {
            ("/login", true, _) => Route::LoginForm,
            ("/login", _, true) => Route::LoginSubmit,
            ("/", true, _) => Route::Home,
            ("/logout", true, _) => Route::Logout,
            ("/api/me", true, _) => Route::ApiMe,
            ("/api/data", true, _) => Route::ApiData,
            ("/api/echo", _, true) => Route::ApiEcho,
            ("/static/app.css", true, _) => Route::Css,
            _ => Route::NotFound,
        }
    }

    /// How much body this route reads; `None`: it reads none.
    fn body_limit(self) -> Option<usize> {
        match self {
            Route::LoginSubmit => Some(LOGIN_BODY_LIMIT),
            Route::ApiEcho => Some(ECHO_BODY_LIMIT),
            _ => None,
        }
    }
}

/// A request reduced to what [`DemoApp::handle`] needs.
struct DemoRequest {
    route: Route,
    token: Option<String>,
    content_type: Option<HeaderValue>,
    body: Vec<u8>,
}

/// The `demo_session` token among the request's `cookie` headers (HTTP/2 may
/// send several; they are joined). Non-UTF-8 headers and malformed pairs are
/// skipped.
fn session_token<'a>(cookie_headers: impl Iterator<Item = &'a [u8]>) -> Option<String> {
    let joined = cookie_headers
        .filter_map(|h| std::str::from_utf8(h).ok())
        .collect::<Vec<_>>()
        .join("; ");
    Cookie::split_parse(joined)
        .filter_map(Result::ok)
        .find(|c| c.name() == SESSION_COOKIE && !c.value().is_empty())
        .map(|c| c.value().to_owned())
}

fn is_form(content_type: Option<&HeaderValue>) -> bool {
    content_type.and_then(|v| v.to_str().ok()).is_some_and(|v| {
        let essence = v.split(';').next().unwrap_or_default().trim();
        essence.eq_ignore_ascii_case("application/x-www-form-urlencoded")
    })
}

/// The fields of a submitted login form.
#[derive(Debug, PartialEq, Eq)]
struct LoginForm {
    email: String,
    password: String,
}

impl LoginForm {
    /// Both fields, or `None` when one is missing or empty.
    fn parse(body: &[u8]) -> Option<LoginForm> {
        let (mut email, mut password) = (None, None);
        for (key, value) in form_urlencoded::parse(body) {
            match &*key {
                "email" => email = Some(value.into_owned()),
                "password" => password = Some(value.into_owned()),
                _ => {}
            }
        }
        let email = email.filter(|e| !e.trim().is_empty())?;
        let password = password.filter(|p| !p.is_empty())?;
        Some(LoginForm { email, password })
    }
}

/// What `/api/me` says about an account: the gateway's `whoami` source.
fn whoami_json(account: &DemoAccount) -> Value {
    json!({
        "account": account.email,
        "company": account.company,
        "class": account.class,
        "person": account.person,
        "roles": account.roles,
        "email": account.email,
    })
}

fn not_logged_in() -> Reply {
    Reply::error(401, "not_logged_in")
}

fn layout(title: &str, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — Demo App" }
                link rel="stylesheet" href="/static/app.css";
            }
            body {
                h1 { (title) }
                (content)
            }
        }
    }
}

fn login_page(me: Option<&DemoAccount>, email: &str, error: Option<&str>) -> Markup {
    layout(
        "Log in",
        html! {
            @if let Some(me) = me {
                p { "You are logged in as " (me.email) ". " a href="/" { "Home" } }
            }
            @if let Some(error) = error {
                p.error role="alert" { (error) }
            }
            form method="post" action="/login" {
                label { "Email " input type="email" name="email" value=(email) autocomplete="username" required; }
                label { "Password " input type="password" name="password" autocomplete="current-password" required; }
                button type="submit" { "Log in" }
            }
            h2 { "Demo accounts" }
            p { "Every account's password is " code { (DEMO_PASSWORD) } "." }
            table {
                tr { th { "Email" } th { "Company" } th { "Class" } th { "Roles" } th { "Person" } }
                @for a in DEMO_ACCOUNTS {
                    tr {
                        td { code { (a.email) } }
                        td { (a.company) }
                        td { (a.class) }
                        td { (a.roles.join(", ")) }
                        td { (a.person) }
                    }
                }
            }
        },
    )
}

fn home_page(me: &DemoAccount) -> Markup {
    layout(
        "Demo App",
        html! {
            p.whoami { "Logged in as " (me.email) " (" (me.class) ", " (me.company) ")" }
            nav {
                a href="/_mfa/settings" { "2FA settings" }
                @if me.class == "admin" {
                    a href="/_mfa/admin/security" { "Company security" }
                }
                a href="/api/me" { "/api/me" }
                a href="/logout" { "Log out" }
            }
        },
    )
}

fn not_found_page() -> Markup {
    layout(
        "Not found",
        html! { p { "No such page. " a href="/" { "Home" } } },
    )
}

#[cfg(test)]
mod tests;
