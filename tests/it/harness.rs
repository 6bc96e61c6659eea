//! Test harness: starts `mfa-gate demo` (gateway + demo app) or `mfa-gate
//! serve` on free loopback ports, and a small browser-like HTTP client that
//! keeps cookies and never follows redirects, so tests see every hop.

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_mfa-gate");

/// Ports handed out in this test process, so parallel tests never share.
static TAKEN: Mutex<Vec<u16>> = Mutex::new(Vec::new());

/// A port `p` such that `p`, `p+1` and `p+2` are free right now.
pub fn free_ports() -> u16 {
    let mut taken = TAKEN.lock().unwrap_or_else(|e| e.into_inner());
    for _ in 0..200 {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let p = l.local_addr().unwrap().port();
        if p > 65500 || (0..3).any(|i| taken.contains(&(p + i))) {
            continue;
        }
        let others: Vec<_> = (1..3)
            .map(|i| TcpListener::bind(("127.0.0.1", p + i)))
            .collect();
        if others.iter().all(Result::is_ok) {
            taken.extend([p, p + 1, p + 2]);
            return p;
        }
    }
    panic!("no three consecutive free ports");
}

/// A running `mfa-gate` process; killed when dropped.
pub struct Gateway {
    child: Option<Child>,
    pub port: u16,
    pub data: PathBuf,
    _tmp: Option<tempfile::TempDir>,
}

impl Gateway {
    /// `mfa-gate demo` on fresh ports with a fresh data directory.
    pub async fn demo() -> Gateway {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().to_path_buf();
        let mut g = Gateway::demo_on(&data).await;
        g._tmp = Some(tmp);
        g
    }

    /// `mfa-gate demo` on fresh ports with the given data directory.
    pub async fn demo_on(data: &Path) -> Gateway {
        let port = free_ports();
        let args = vec![
            "demo".to_string(),
            "--port".into(),
            port.to_string(),
            "--data".into(),
            data.display().to_string(),
        ];
        let mut g = Gateway::spawn(args, port, data);
        g.wait_ready(&format!("http://127.0.0.1:{}/login", port + 1))
            .await;
        let health = g.url("/_mfa/healthz");
        g.wait_ready(&health).await;
        g
    }

    /// `mfa-gate serve -c FILE` whose config listens on `port`.
    pub async fn serve(config: &Path, port: u16, data: &Path) -> Gateway {
        let args = vec![
            "serve".to_string(),
            "-c".into(),
            config.display().to_string(),
        ];
        let mut g = Gateway::spawn(args, port, data);
        let health = g.url("/_mfa/healthz");
        g.wait_ready(&health).await;
        g
    }

    fn spawn(args: Vec<String>, port: u16, data: &Path) -> Gateway {
        std::fs::create_dir_all(data).unwrap();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(data.join("gateway.log"))
            .unwrap();
        let child = Command::new(BIN)
            .args(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::from(log))
            .env("MFA_GATE_LOG", "info")
            .spawn()
            .expect("start mfa-gate");
        Gateway {
            child: Some(child),
            port,
            data: data.to_path_buf(),
            _tmp: None,
        }
    }

    async fn wait_ready(&mut self, url: &str) {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                panic!(
                    "mfa-gate exited ({status}) before {url} was ready; log:\n{}",
                    self.log()
                );
            }
            if let Ok(r) = client.get(url).send().await {
                if r.status().is_success() {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{url} not ready; log:\n{}", self.log());
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.data.join("gateway.log")).unwrap_or_default()
    }

    /// SIGKILL: no destructor, no flush — what a crash looks like.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn browser(&self) -> Browser {
        Browser::new(self.url(""))
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.kill();
    }
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Resp {
    pub fn location(&self) -> Option<&str> {
        self.headers.get("location").and_then(|v| v.to_str().ok())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn came_from_app(&self) -> bool {
        self.header("x-demo-app") == Some("1")
    }

    /// The value of `<input … name="NAME" value="…">` in the page.
    pub fn input_value(&self, name: &str) -> Option<String> {
        let needle = format!("name=\"{name}\" value=\"");
        let start = self.body.find(&needle)? + needle.len();
        let end = self.body[start..].find('"')? + start;
        Some(html_unescape(&self.body[start..end]))
    }

    /// The `href` of the element with `id`.
    pub fn href_of(&self, id: &str) -> Option<String> {
        let needle = format!("id=\"{id}\" href=\"");
        let start = self.body.find(&needle)? + needle.len();
        let end = self.body[start..].find('"')? + start;
        Some(html_unescape(&self.body[start..end]))
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

fn html_unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// A browser-like client: keeps cookies, sends `Accept: text/html`, never
/// follows redirects.
pub struct Browser {
    client: reqwest::Client,
    base: String,
    pub cookies: BTreeMap<String, String>,
    pub accept_language: String,
}

impl Browser {
    pub fn new(base: String) -> Browser {
        Browser {
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base,
            cookies: BTreeMap::new(),
            accept_language: "en".into(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn send(&mut self, rb: reqwest::RequestBuilder) -> Resp {
        let mut rb = rb.header("accept-language", &self.accept_language);
        if !self.cookies.is_empty() {
            rb = rb.header("cookie", self.cookie_header());
        }
        let r = rb.send().await.expect("request");
        for sc in r.headers().get_all("set-cookie") {
            let sc = sc.to_str().unwrap();
            let (pair, attrs) = sc.split_once(';').unwrap_or((sc, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if attrs.contains("Max-Age=0") || value.is_empty() {
                self.cookies.remove(name.trim());
            } else {
                self.cookies.insert(name.trim().into(), value.trim().into());
            }
        }
        Resp {
            status: r.status().as_u16(),
            headers: r.headers().clone(),
            body: r.text().await.unwrap_or_default(),
        }
    }

    /// A navigation (GET, accepts HTML).
    pub async fn get(&mut self, path: &str) -> Resp {
        let rb = self
            .client
            .get(format!("{}{path}", self.base))
            .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8");
        self.send(rb).await
    }

    /// An API call (GET, JSON).
    pub async fn api_get(&mut self, path: &str) -> Resp {
        let rb = self
            .client
            .get(format!("{}{path}", self.base))
            .header("accept", "application/json")
            .header("x-requested-with", "XMLHttpRequest");
        self.send(rb).await
    }

    /// A browser's form POST (not yet sent).
    fn form_request(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::RequestBuilder {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        self.client
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "text/html")
            .body(body)
    }

    pub async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Resp {
        let rb = self.form_request(path, fields);
        self.send(rb).await
    }

    pub async fn post_raw(&mut self, path: &str, content_type: &str, body: Vec<u8>) -> Resp {
        let rb = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", content_type)
            .body(body);
        self.send(rb).await
    }

    /// Log into the demo app (through the gateway: `/login` is a bypass path).
    pub async fn login(&mut self, email: &str) {
        let r = self
            .post_form("/login", &[("email", email), ("password", "demo")])
            .await;
        assert_eq!(r.status, 303, "login as {email}: {}", r.body);
        assert!(
            self.cookies.contains_key("demo_session"),
            "login set no session cookie"
        );
    }

    pub async fn logout(&mut self) {
        let r = self.get("/logout").await;
        assert_eq!(r.status, 303);
        self.cookies.remove("demo_session");
    }
}

/// The demo's support token (`mfa-gate demo` writes it into its data dir).
pub const DEMO_SUPPORT_TOKEN: &str = "demo-support-token";

/// What a finished `mfa-gate support …` printed, and its exit code.
#[derive(Debug)]
pub struct CliRun {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Run `mfa-gate` with `args` and only the given `MFA_GATE_*` variables
/// (none inherited from the test's environment).
pub async fn run_cli(args: &[&str], env: &[(&str, &str)]) -> CliRun {
    let mut command = tokio::process::Command::new(BIN);
    command.args(args).stdin(Stdio::null());
    for (name, _) in std::env::vars() {
        if name.starts_with("MFA_GATE_") {
            command.env_remove(name);
        }
    }
    command.envs(env.iter().copied());
    let out = command.output().await.expect("run mfa-gate");
    CliRun {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

impl Gateway {
    /// A URL on the demo's admin listener (PORT+2).
    pub fn admin_url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port + 2)
    }

    /// A request to the admin listener with an optional bearer token; waits
    /// for the listener to accept connections first.
    pub async fn admin(&self, method: &str, path: &str, token: Option<&str>) -> Resp {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
            let mut rb = client.request(method, self.admin_url(path));
            if let Some(token) = token {
                rb = rb.bearer_auth(token);
            }
            match rb.send().await {
                Ok(r) => {
                    return Resp {
                        status: r.status().as_u16(),
                        headers: r.headers().clone(),
                        body: r.text().await.unwrap_or_default(),
                    };
                }
                Err(e) if e.is_connect() && Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => panic!("admin listener: {e}; log:\n{}", self.log()),
            }
        }
    }

    /// The support API's JSON status of `account` (asserts a 200).
    pub async fn account_status(&self, account: &str) -> serde_json::Value {
        let path = format!("/v1/accounts/{}", account.replace('@', "%40"));
        let r = self.admin("GET", &path, Some(DEMO_SUPPORT_TOKEN)).await;
        assert_eq!(r.status, 200, "status of {account}: {}", r.body);
        r.json()
    }

    /// `mfa-gate support ARGS…` against this demo, with the URL and token
    /// given through the environment.
    pub async fn support(&self, args: &[&str]) -> CliRun {
        // Make sure the listener is up before the CLI's single attempt.
        self.admin("GET", "/metrics", None).await;
        let mut all = vec!["support"];
        all.extend_from_slice(args);
        let url = self.admin_url("");
        run_cli(
            &all,
            &[
                ("MFA_GATE_ADMIN_URL", url.as_str()),
                ("MFA_GATE_SUPPORT_TOKEN", DEMO_SUPPORT_TOKEN),
            ],
        )
        .await
    }
}

/// Requests that may meet a dead gateway (the crash test kills it while
/// requests are in flight): a transport error is `None`, not a panic.
impl Browser {
    async fn try_send(&mut self, rb: reqwest::RequestBuilder) -> Option<Resp> {
        let mut rb = rb.header("accept-language", &self.accept_language);
        if !self.cookies.is_empty() {
            rb = rb.header("cookie", self.cookie_header());
        }
        let r = rb.timeout(Duration::from_secs(20)).send().await.ok()?;
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        // A response is only "received" once its body is complete.
        let body = r.text().await.ok()?;
        for sc in headers.get_all("set-cookie") {
            let Ok(sc) = sc.to_str() else { continue };
            let (pair, attrs) = sc.split_once(';').unwrap_or((sc, ""));
            let Some((name, value)) = pair.split_once('=') else {
                continue;
            };
            if attrs.contains("Max-Age=0") || value.is_empty() {
                self.cookies.remove(name.trim());
            } else {
                self.cookies.insert(name.trim().into(), value.trim().into());
            }
        }
        Some(Resp {
            status,
            headers,
            body,
        })
    }

    /// `get` that survives a dead gateway.
    pub async fn try_get(&mut self, path: &str) -> Option<Resp> {
        let rb = self
            .client
            .get(format!("{}{path}", self.base))
            .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8");
        self.try_send(rb).await
    }

    /// `post_form` that survives a dead gateway.
    pub async fn try_post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Option<Resp> {
        let rb = self.form_request(path, fields);
        self.try_send(rb).await
    }
}

impl Gateway {
    /// The gateway's process id (to send it signals), while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }
}

impl Browser {
    /// Pass the challenge with the authenticator `secret` (codes computed
    /// by `totp_ref`, independent of the code under test). Tries the
    /// current step, then the next (the current one may already have
    /// been accepted for this person); asserts success.
    pub async fn pass_challenge(&mut self, secret: &[u8]) {
        let now = crate::totp_ref::now_step();
        for step in [now, now + 1] {
            let page = self.get("/_mfa/challenge").await;
            assert_eq!(page.status, 200, "challenge page: {}", page.body);
            let csrf = page.input_value("csrf").expect("csrf field");
            let code = crate::totp_ref::code(secret, step, 6);
            let r = self
                .post_form("/_mfa/challenge", &[("csrf", &csrf), ("code", &code)])
                .await;
            if r.status == 303 {
                return;
            }
            assert_eq!(r.status, 422, "challenge answer: {}", r.body);
        }
        panic!("no code near now passed the challenge");
    }
}
