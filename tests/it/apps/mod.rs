//! Real third-party apps behind mfa-gate, unmodified, with their own
//! login: MediaWiki (Debian's `mediawiki`, SQLite, `php -S`) and Jupyter
//! Server (PyPI's `jupyter_server` in `target/apps/venv`), both installed
//! by `scripts/test.sh`. Each test loads its recipe's configuration
//! (`docs/recipes/<app>.yaml`) as written, changing only the two
//! addresses (`listen:`, `upstream.address`) to free loopback ports.
//!
//! Helpers of this group: starting an app process and polling it ready,
//! the recipe's configuration, enrolling through the gateway's page, and
//! reading the app's own request log.

mod identity_check;
mod jupyter;
mod mediawiki;

use crate::harness::{Browser, Gateway, Resp, codes, log_tail};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The recipe's `listen:` and upstream `address:` lines.
const RECIPE_LISTEN: &str = "listen: 0.0.0.0:8080\n";

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// `target/apps/`: the Python venv of Jupyter Server.
pub fn apps_dir() -> PathBuf {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().unwrap_or(tmp).join("apps")
}

/// Panics (never skips) with a pointer to the installer when `path` is
/// missing.
pub fn require(path: &Path, what: &str) {
    assert!(
        path.exists(),
        "{what} is not installed ({} missing): run `bash scripts/test.sh`, which installs it",
        path.display()
    );
}

/// A running app process; killed when dropped. Its stdout and stderr go
/// to `log` (the app's own request log).
pub struct AppProcess {
    child: Child,
    pub log: PathBuf,
}

impl Drop for AppProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("{}", log_tail("app", &self.log_text()));
        }
    }
}

impl AppProcess {
    /// Start `command` (its output to `log`) and poll `ready_path` on
    /// `port` until it answers at all.
    pub async fn start(
        mut command: Command,
        port: u16,
        log: PathBuf,
        ready_path: &str,
    ) -> AppProcess {
        let out = std::fs::File::create(&log).unwrap();
        let err = out.try_clone().unwrap();
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err))
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
        let mut app = AppProcess { child, log };
        let client = reqwest::Client::new();
        let url = format!("http://127.0.0.1:{port}{ready_path}");
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = app.child.try_wait() {
                panic!("the app exited ({status}); its log:\n{}", app.log_text());
            }
            if client.get(&url).send().await.is_ok() {
                return app;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let _ = app.child.kill();
        panic!("{url} never answered; log:\n{}", app.log_text());
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Whether the app logs `needle` within a few seconds (apps write
    /// their request log after the answer).
    pub async fn logs_soon(&self, needle: &str) -> bool {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.log_text().contains(needle) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    }

    /// At the end of a test (after requests the app did log): none of
    /// `needles` was ever logged by the app.
    pub fn never_logged(&self, needles: &[&str]) {
        let log = self.log_text();
        for needle in needles {
            assert!(
                !log.contains(needle),
                "an unverified request reached the app: {needle}"
            );
        }
    }
}

/// Run a one-off command to completion; panics with its output on failure.
pub fn run(command: &mut Command) {
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("{command:?}: {e}"));
    assert!(
        out.status.success(),
        "{command:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The recipe `docs/recipes/<name>.yaml` as written, with its listen
/// address and upstream address replaced; written into `dir` with the key
/// files it names beside it. Returns the config path.
pub fn recipe_config(name: &str, gateway_port: u16, app_port: u16, dir: &Path) -> PathBuf {
    let recipe = std::fs::read_to_string(repo(&format!("docs/recipes/{name}.yaml"))).unwrap();
    let address = recipe
        .lines()
        .find(|l| l.trim_start().starts_with("address: "))
        .expect("the recipe names the upstream address")
        .to_owned();
    assert_eq!(
        recipe.matches(RECIPE_LISTEN).count(),
        1,
        "the recipe's listen line"
    );
    let yaml = recipe
        .replace(
            RECIPE_LISTEN,
            &format!("listen: 127.0.0.1:{gateway_port}\n"),
        )
        .replace(&address, &format!("  address: 127.0.0.1:{app_port}"));
    std::fs::write(dir.join("hmac.key"), "11".repeat(32)).unwrap();
    std::fs::write(dir.join("enc.key"), "22".repeat(32)).unwrap();
    let path = dir.join("mfa-gate.yaml");
    std::fs::write(&path, yaml).unwrap();
    path
}

/// `mfa-gate serve` on the recipe's configuration.
pub async fn gateway(name: &str, gateway_port: u16, app_port: u16, dir: &Path) -> Gateway {
    let config = recipe_config(name, gateway_port, app_port, dir);
    Gateway::serve(&config, gateway_port, dir).await
}

/// Enroll through the gateway's page with a code computed from the QR
/// code's secret; returns the secret.
pub async fn enroll(b: &mut Browser) -> Vec<u8> {
    let page = b.get("/_mfa/enroll").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let uri = page.href_of("otpauth-link").expect("otpauth link");
    let secret = codes::secret_from_uri(&uri);
    let csrf = page.input_value("csrf").expect("csrf field");
    let code = codes::code(&secret, codes::now_step(), 6);
    let done = b
        .post_form(
            "/_mfa/enroll",
            &[("csrf", &csrf), ("code", &code), ("return_to", "/")],
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(
        b.cookies.contains_key("mfa_gate"),
        "enrolling verifies the session"
    );
    secret
}

/// Where a gateway redirect sends the browser (path only).
pub fn redirect_path(r: &Resp) -> String {
    let location = r
        .location()
        .unwrap_or_else(|| panic!("no redirect ({}): {}", r.status, r.body));
    let path = location
        .split_once("://")
        .and_then(|(_, rest)| rest.find('/').map(|i| rest[i..].to_owned()))
        .unwrap_or_else(|| location.to_owned());
    path.split('?').next().unwrap_or_default().to_owned()
}

/// The `value` of the first `<input>` after `name="NAME"` (any attribute
/// order), HTML entities of quotes and ampersands undone.
pub fn form_value(body: &str, name: &str) -> Option<String> {
    let at = body.find(&format!("name=\"{name}\""))?;
    let tag_start = body[..at].rfind('<')?;
    let tag_end = at + body[at..].find('>')?;
    let tag = &body[tag_start..tag_end];
    let v = tag.find("value=\"")? + "value=\"".len();
    let end = tag[v..].find('"')? + v;
    Some(
        tag[v..end]
            .replace("&quot;", "\"")
            .replace("&#039;", "'")
            .replace("&amp;", "&"),
    )
}

/// Drop the cookies an answer expired the way browsers do (`""`,
/// `deleted`, an `Expires` in 1970…): the test browser keeps only what
/// `Max-Age=0` clears.
pub fn drop_expired(b: &mut Browser, r: &Resp) {
    for sc in r.headers.get_all("set-cookie") {
        let Ok(sc) = sc.to_str() else { continue };
        let (pair, attrs) = sc.split_once(';').unwrap_or((sc, ""));
        let Some((name, value)) = pair.split_once('=') else {
            continue;
        };
        let value = value.trim();
        if value.is_empty() || value == "\"\"" || value == "deleted" || attrs.contains("1970") {
            b.cookies.remove(name.trim());
        }
    }
}
