//! SSO (identity source `headers`): identity headers set by an SSO front
//! are believed only from `trusted_proxies`. The test client is 127.0.0.1,
//! so each test trusts or distrusts it through the configuration. From a
//! trusted front, 2FA applies exactly as after a password login — a new
//! SSO session needs a new challenge; from anyone else the same headers
//! are stripped and the request is anonymous.

use super::{config, echo_app};
use crate::harness::Seen;
use crate::harness::codes;
use crate::harness::{Gateway, Resp, free_ports};
use std::collections::BTreeMap;

/// The SSO front's headers: user, groups, and a per-login session id.
const SSO: &str = "\
source: headers
headers:
  account: X-Auth-User
  class: X-Auth-Class
  roles: X-Auth-Groups
  session: X-Auth-Session
defaults:
  company: globex
";

/// A browser behind the SSO front: every request carries the identity
/// headers the front would add; cookies are kept; redirects not followed.
struct SsoBrowser {
    client: reqwest::Client,
    base: String,
    headers: Vec<(&'static str, String)>,
    cookies: BTreeMap<String, String>,
}

impl SsoBrowser {
    fn new(gw: &Gateway, user: &str, session: &str) -> SsoBrowser {
        SsoBrowser {
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: gw.url(""),
            headers: vec![
                ("x-auth-user", user.to_owned()),
                ("x-auth-class", "employee".to_owned()),
                ("x-auth-groups", "staff".to_owned()),
                ("x-auth-session", session.to_owned()),
                ("x-forwarded-for", "198.51.100.7".to_owned()),
                ("x-forwarded-proto", "https".to_owned()),
            ],
            cookies: BTreeMap::new(),
        }
    }

    async fn send(&mut self, mut rb: reqwest::RequestBuilder) -> Resp {
        rb = rb
            .header("accept", "text/html")
            .header("accept-language", "en");
        for (name, value) in &self.headers {
            rb = rb.header(*name, value);
        }
        if !self.cookies.is_empty() {
            let jar: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            rb = rb.header("cookie", jar.join("; "));
        }
        let r = rb.send().await.unwrap();
        for sc in r.headers().get_all("set-cookie") {
            let pair = sc.to_str().unwrap().split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            self.cookies.insert(name.into(), value.into());
        }
        Resp {
            status: r.status().as_u16(),
            headers: r.headers().clone(),
            body: r.text().await.unwrap(),
        }
    }

    async fn get(&mut self, path: &str) -> Resp {
        let rb = self.client.get(format!("{}{path}", self.base));
        self.send(rb).await
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Resp {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let rb = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        self.send(rb).await
    }
}

async fn gateway(trusted: &str) -> Gateway {
    let app = echo_app().await;
    config(free_ports(), &app.address)
        .identity(SSO)
        .trusted_proxies(trusted)
        .company("globex", "required")
        .serve()
        .await
}

#[tokio::test]
async fn sso_headers_from_a_trusted_front_get_2fa_like_a_login() {
    let gw = gateway("127.0.0.1/32").await;
    let user = "taro@globex.example";
    let mut b = SsoBrowser::new(&gw, user, "sso-session-1");

    // globex requires 2FA: the SSO user is sent to enrollment.
    let r = b.get("/private").await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(r.location().unwrap().starts_with("/_mfa/enroll"));
    let page = b.get("/_mfa/enroll").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let secret = codes::secret_from_uri(&page.href_of("otpauth-link").unwrap());
    let csrf = page.input_value("csrf").unwrap();
    let step = codes::now_step();
    let code = codes::code(&secret, step, 6);
    let done = b
        .post("/_mfa/enroll", &[("csrf", &csrf), ("code", &code)])
        .await;
    assert_eq!(done.status, 200, "{}", done.body);

    // Verified: the app gets the request, the SSO headers and our status;
    // the trusted front's X-Forwarded-* are extended, not replaced.
    let r = b.get("/private").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let seen = Seen::of(&r.body);
    assert_eq!(seen.one("x-auth-user").as_deref(), Some(user));
    assert_eq!(seen.one("x-mfa-status").as_deref(), Some("verified"));
    assert_eq!(seen.one("x-mfa-account").as_deref(), Some(user));
    assert_eq!(
        seen.one("x-forwarded-for").as_deref(),
        Some("198.51.100.7, 127.0.0.1")
    );
    assert_eq!(seen.one("x-forwarded-proto").as_deref(), Some("https"));
    assert!(seen.all("cookie").iter().all(|c| !c.contains("mfa_gate")));

    // A new SSO session of the same user (same gateway cookie) needs a new
    // challenge, as a new password login would.
    b.headers.retain(|(n, _)| *n != "x-auth-session");
    b.headers.push(("x-auth-session", "sso-session-2".into()));
    let r = b.get("/private").await;
    assert_eq!(r.status, 303);
    assert!(r.location().unwrap().starts_with("/_mfa/challenge"));
    let page = b.get("/_mfa/challenge").await;
    let csrf = page.input_value("csrf").unwrap();
    let next = codes::lasting_code(&secret, Some(step)).await.1;
    let ok = b
        .post("/_mfa/challenge", &[("csrf", &csrf), ("code", &next)])
        .await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    assert_eq!(b.get("/private").await.status, 200);

    // Identity without a session to bind to, or a malformed claim: fail
    // closed, never pass.
    b.headers.retain(|(n, _)| *n != "x-auth-session");
    let r = b.get("/private").await;
    assert_eq!(r.status, 503, "{}", r.body);
    b.headers.push(("x-auth-session", "sso-session-2".into()));
    b.headers.retain(|(n, _)| *n != "x-auth-class");
    b.headers.push(("x-auth-class", "root".into()));
    assert_eq!(b.get("/private").await.status, 503);
}

#[tokio::test]
async fn sso_headers_from_anyone_else_are_stripped_and_never_authenticate() {
    // The client (127.0.0.1) is not the front.
    let gw = gateway("10.0.0.0/8").await;
    let mut b = SsoBrowser::new(&gw, "taro@globex.example", "forged-session");
    let r = b.get("/private").await;
    assert_eq!(
        r.status, 200,
        "anonymous to mfa-gate: the app decides: {}",
        r.body
    );
    let seen = Seen::of(&r.body);
    for stripped in [
        "x-auth-user",
        "x-auth-class",
        "x-auth-groups",
        "x-auth-session",
    ] {
        assert_eq!(seen.one(stripped), None, "{stripped} reached the app");
    }
    assert_eq!(seen.one("x-mfa-status").as_deref(), Some("not-required"));
    assert_eq!(seen.one("x-mfa-account"), None);
    assert_eq!(seen.one("x-forwarded-for").as_deref(), Some("127.0.0.1"));
    assert_eq!(seen.one("x-forwarded-proto").as_deref(), Some("http"));
    // Nor do the spoofed headers open our pages.
    assert_eq!(b.get("/_mfa/enroll").await.status, 401);
}
