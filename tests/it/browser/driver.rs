//! A real browser for the tests: Debian's `chromedriver` started on a free
//! loopback port, driving headless `chromium` with a fresh profile per
//! session, through the `fantoccini` WebDriver client. [`Tab`] wraps one
//! WebDriver session with what the flows need: navigation, typing into the
//! focused element, the Chrome DevTools Protocol (downloads, phone
//! emulation, full-page screenshots). `clean.rs` reads its console and
//! network logs.

use crate::harness::{Gateway, free_ports};
use fantoccini::elements::Element;
use fantoccini::wd::{Capabilities, WebDriverCompatibleCommand};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value as Json, json};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Where the browser and its driver come from (Debian's `chromium` and
/// `chromium-driver`); `CHROMIUM` / `CHROMEDRIVER` override.
fn program(var: &str, default: &str) -> PathBuf {
    std::env::var_os(var).map_or_else(|| PathBuf::from(default), PathBuf::from)
}

/// The command line every browser in these tests gets: headless, no
/// sandbox (tests run as root), and no background traffic of its own, so
/// that every request in the logs is one the page made. Names that are not
/// loopback resolve to nothing: a page that tried to load a font or a
/// script from elsewhere fails visibly in the network log.
const CHROMIUM_ARGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--window-size=1280,800",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
];

/// What to do when the browser or its driver is not installed.
fn missing(what: &Path) -> String {
    format!(
        "browser tests need Debian's chromium and chromium-driver, and {} is missing.\n\
         Run `bash scripts/test.sh` (it installs them), or \
         `apt-get install chromium chromium-driver fonts-ipafont-gothic`.\n\
         (Set CHROMEDRIVER or CHROMIUM to use other paths.)",
        what.display()
    )
}

/// A running `chromedriver`; killed (with its browsers) when dropped.
pub struct ChromeDriver {
    child: Child,
    port: u16,
    url: String,
    /// Sessions opened, ended when the driver is dropped (even when a test
    /// panics): chromedriver alone going away would leave the browsers.
    sessions: Mutex<Vec<String>>,
    /// Profiles and download directories of the sessions it started.
    tmp: tempfile::TempDir,
}

impl ChromeDriver {
    /// Starts `chromedriver` on a free port and waits until it answers.
    /// Panics with what to install when it is missing: a browser test that
    /// cannot run must fail, not pass.
    pub async fn start() -> ChromeDriver {
        let driver = program("CHROMEDRIVER", "chromedriver");
        let chromium = program("CHROMIUM", "/usr/bin/chromium");
        if !chromium.is_file() {
            panic!("{}", missing(&chromium));
        }
        let port = free_ports();
        let tmp = tempfile::tempdir().unwrap();
        let log = std::fs::File::create(tmp.path().join("chromedriver.log")).unwrap();
        let child = match Command::new(&driver)
            // Its own process group, which its browsers join: see `drop`.
            .process_group(0)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdin(Stdio::null())
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn()
        {
            Ok(child) => child,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!("{}", missing(&driver)),
            Err(e) => panic!("start {}: {e}", driver.display()),
        };
        let mut d = ChromeDriver {
            child,
            port,
            url: format!("http://127.0.0.1:{port}"),
            sessions: Mutex::new(Vec::new()),
            tmp,
        };
        d.wait_ready().await;
        d
    }

    async fn wait_ready(&mut self) {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("chromedriver exited ({status}); log:\n{}", self.log());
            }
            let status = client.get(format!("{}/status", self.url)).send().await;
            if let Ok(r) = status {
                let body = r.text().await.unwrap_or_default();
                let status: Json = serde_json::from_str(&body).unwrap_or_default();
                if status["value"]["ready"] == Json::Bool(true) {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("chromedriver not ready; log:\n{}", self.log());
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.tmp.path().join("chromedriver.log")).unwrap_or_default()
    }

    /// A new browser session (its own fresh profile: no cookies shared with
    /// any other) on `gw`, asking for pages in `accept_language`.
    pub async fn open(&self, gw: &Gateway, name: &str, accept_language: &str) -> Tab {
        let profile = self.tmp.path().join(format!("{name}-profile"));
        let downloads = self.tmp.path().join(format!("{name}-downloads"));
        std::fs::create_dir_all(&downloads).unwrap();
        let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(|s| s.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        args.push(format!("--lang={accept_language}"));
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": program("CHROMIUM", "/usr/bin/chromium"),
                "args": args,
                "prefs": {
                    "intl.accept_languages": accept_language,
                    "download.default_directory": downloads,
                    "download.prompt_for_download": false,
                },
            },
            // `browser`: the console; `performance`: DevTools Network events,
            // i.e. every request the page made.
            "goog:loggingPrefs": { "browser": "ALL", "performance": "ALL" },
            // Finding an element waits up to 5 s for it to appear, as
            // the page behind a click or a form loads.
            "timeouts": { "implicit": 5000 },
        });
        let Json::Object(caps) = caps else {
            unreachable!()
        };
        let caps: Capabilities = caps;
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&self.url)
            .await
            .unwrap_or_else(|e| panic!("new chromium session: {e}; log:\n{}", self.log()));
        if let Ok(Some(id)) = client.session_id().await {
            self.sessions.lock().unwrap().push(id);
        }
        let tab = Tab {
            client,
            origin: gw.url(""),
            downloads,
            name: name.to_owned(),
        };
        tab.cdp(
            "Browser.setDownloadBehavior",
            json!({ "behavior": "allow", "downloadPath": tab.downloads }),
        )
        .await;
        tab
    }
}

impl ChromeDriver {
    /// `DELETE /session/{id}` with a plain blocking socket (a `Drop` cannot
    /// await): chromedriver closes that browser and removes its profile.
    fn end_session(&self, id: &str) {
        use std::io::{Read, Write};
        let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", self.port)) else {
            return;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
        let _ = stream.set_write_timeout(Some(Duration::from_secs(5)));
        let request = format!(
            "DELETE /session/{id} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n\
             Content-Length: 0\r\nConnection: close\r\n\r\n",
            self.port
        );
        if stream.write_all(request.as_bytes()).is_ok() {
            let _ = stream.read_to_end(&mut Vec::new());
        }
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        let sessions =
            std::mem::take(&mut *self.sessions.lock().unwrap_or_else(|e| e.into_inner()));
        for id in sessions {
            self.end_session(&id);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Anything a hung session left in chromedriver's process group.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
    }
}

/// A WebDriver extension command of chromedriver's (`POST
/// /session/{id}/{path}`), which fantoccini does not wrap.
#[derive(Debug)]
pub(super) struct SessionPost {
    pub path: &'static str,
    pub body: Json,
}

impl WebDriverCompatibleCommand for SessionPost {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        let session = session.expect("a WebDriver session");
        base.join(&format!("session/{session}/{}", self.path))
    }

    fn method_and_body(&self, _url: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(self.body.to_string()))
    }
}

/// One browser session ("a person at a browser").
pub struct Tab {
    pub client: Client,
    /// `http://127.0.0.1:PORT` of the gateway: the only host pages may reach.
    pub origin: String,
    downloads: PathBuf,
    /// For messages: whose browser this is.
    pub name: String,
}

impl Tab {
    pub async fn goto(&self, path: &str) {
        let url = format!("{}{path}", self.origin);
        self.client
            .goto(&url)
            .await
            .unwrap_or_else(|e| panic!("goto {url}: {e}"));
    }

    /// Path and query of the page shown now.
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.unwrap();
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// Waits (briefly) until the page shown is at `path` (before any `?`).
    pub async fn wait_path(&self, path: &str) {
        self.wait_path_where(|now| now == path, &format!("to be on {path}"))
            .await;
    }

    /// Waits (briefly) until the page shown has left `path`: a form's
    /// answer has loaded, and a navigation that follows cannot race it.
    pub async fn wait_path_not(&self, path: &str) {
        self.wait_path_where(|now| now != path, &format!("to leave {path}"))
            .await;
    }

    async fn wait_path_where(&self, wanted: impl Fn(&str) -> bool, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let now = self.path().await;
            if wanted(now.split('?').next().unwrap_or_default()) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{}: expected {what}, still on {now}",
                self.name
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn find(&self, css: &str) -> Element {
        match self.client.find(Locator::Css(css)).await {
            Ok(element) => element,
            Err(e) => panic!("{}: no `{css}` on {}: {e}", self.name, self.path().await),
        }
    }

    /// Waits (briefly) for an element that appears once a form's answer
    /// has loaded.
    pub async fn wait_for(&self, css: &str) -> Element {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(element) = self.client.find(Locator::Css(css)).await {
                return element;
            }
            assert!(
                Instant::now() < deadline,
                "{}: no `{css}` appeared on {}",
                self.name,
                self.path().await
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn find_all(&self, css: &str) -> Vec<Element> {
        self.client.find_all(Locator::Css(css)).await.unwrap()
    }

    /// The visible text of the first `css` element.
    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.unwrap()
    }

    pub async fn click(&self, css: &str) {
        self.find(css).await.click().await.unwrap();
    }

    /// Follows the link whose visible text is `text`.
    pub async fn click_link(&self, text: &str) {
        self.client
            .find(Locator::LinkText(text))
            .await
            .unwrap_or_else(|e| panic!("{}: no link {text:?}: {e}", self.name))
            .click()
            .await
            .unwrap();
    }

    /// Runs `script` (a function body; `arguments` available) in the page.
    pub async fn js(&self, script: &str) -> Json {
        self.client
            .execute(script, Vec::new())
            .await
            .unwrap_or_else(|e| panic!("{}: script failed: {e}\n{script}", self.name))
    }

    /// The `id` of the element that has the keyboard focus.
    pub async fn focused_id(&self) -> String {
        self.js("return document.activeElement ? document.activeElement.id : ''")
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Types `keys` into whatever has the focus: the keyboard, not a click.
    pub async fn type_keys(&self, keys: &str) {
        self.client
            .active_element()
            .await
            .unwrap()
            .send_keys(keys)
            .await
            .unwrap();
    }

    /// Fills the form field `css` (a click, then typing).
    pub async fn fill(&self, css: &str, value: &str) {
        let field = self.find(css).await;
        field.clear().await.unwrap();
        field.send_keys(value).await.unwrap();
    }

    /// `<html lang>` of the page shown.
    pub async fn lang(&self) -> String {
        self.find("html")
            .await
            .attr("lang")
            .await
            .unwrap()
            .unwrap_or_default()
    }

    /// A Chrome DevTools Protocol command, through chromedriver.
    pub async fn cdp(&self, cmd: &str, params: Json) -> Json {
        let body = json!({ "cmd": cmd, "params": params });
        self.client
            .issue_cmd(SessionPost {
                path: "goog/cdp/execute",
                body,
            })
            .await
            .unwrap_or_else(|e| panic!("{}: CDP {cmd}: {e}", self.name))
    }

    /// Waits for the one file the browser downloads and returns its name and
    /// text.
    pub async fn downloaded_file(&self) -> (String, String) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let done: Vec<PathBuf> = std::fs::read_dir(&self.downloads)
                .unwrap()
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_none_or(|x| x != "crdownload"))
                .collect();
            if let [file] = done.as_slice() {
                let name = file.file_name().unwrap().to_string_lossy().into_owned();
                let text = std::fs::read_to_string(file).unwrap();
                if !text.is_empty() {
                    return (name, text);
                }
            }
            assert!(
                Instant::now() < deadline,
                "{}: no download arrived in {}: {done:?}",
                self.name,
                self.downloads.display()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Ends the browser session.
    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}
