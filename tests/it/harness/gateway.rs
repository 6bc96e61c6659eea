//! The gateway process: `mfa-gate demo` (gateway + demo app) or `mfa-gate
//! serve` on free loopback ports, waited for until it answers, killed when
//! dropped; its admin listener (support API, metrics) and the support CLI
//! against it; and `run_cli` for one-off commands of the binary.

use super::browser::{Browser, Resp};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_mfa-gate");

/// The demo's support token (`mfa-gate demo` writes it into its data dir).
pub const DEMO_SUPPORT_TOKEN: &str = "demo-support-token";

/// The log filter every gateway of the tests runs with, unless told.
const LOG_FILTER: &str = "info";

/// Ports handed out in this test process, so parallel tests never share.
static TAKEN: Mutex<Vec<u16>> = Mutex::new(Vec::new());

/// Where listening ports are taken from: below the kernel's ephemeral
/// range (`ip_local_port_range`), which outgoing connections never use. A
/// port bound and released there stays free until the process we start
/// binds it; a port from the ephemeral range (what binding port 0 gives)
/// can be taken meanwhile by any connection the tests open, and was (issue
/// 29: pingora found its port taken for 30 s). `None` when the range
/// leaves no room below it: then port 0 it is.
fn listening_range() -> Option<(u16, u16)> {
    let text = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").ok()?;
    let low: u16 = text.split_whitespace().next()?.parse().ok()?;
    (low > 12_000).then_some((10_000, low - 3))
}

/// A port `p` such that `p`, `p+1` and `p+2` are free right now, and were
/// handed to no other test of this process.
pub fn free_ports() -> u16 {
    let mut taken = TAKEN.lock().unwrap_or_else(|e| e.into_inner());
    // A different walk per process (and per call), so that two test
    // processes rarely try the same ports; a bind tells for sure.
    let seed = std::process::id() as u64 * 7_919 + taken.len() as u64 * 3;
    for attempt in 0..2_000u64 {
        let p = match listening_range() {
            Some((low, high)) => low + ((seed + attempt * 3) % u64::from(high - low)) as u16,
            None => {
                let l = TcpListener::bind("127.0.0.1:0").unwrap();
                l.local_addr().unwrap().port()
            }
        };
        if p > 65500 || (0..3).any(|i| taken.contains(&(p + i))) {
            continue;
        }
        let all: Vec<_> = (0..3)
            .map(|i| TcpListener::bind(("127.0.0.1", p + i)))
            .collect();
        if all.iter().all(Result::is_ok) {
            taken.extend([p, p + 1, p + 2]);
            return p;
        }
    }
    panic!(
        "no three consecutive free ports (taken by this process: {})",
        taken.len()
    );
}

/// A running `mfa-gate` process; killed when dropped.
pub struct Gateway {
    child: Option<Child>,
    pub port: u16,
    pub data: PathBuf,
    /// Its log file in `data`.
    log_name: String,
    /// The data directory, when the gateway owns it.
    pub(super) tmp: Option<tempfile::TempDir>,
}

impl Gateway {
    /// `mfa-gate demo` on fresh ports with a fresh data directory.
    pub async fn demo() -> Gateway {
        let tmp = tempfile::tempdir().unwrap();
        let mut g = Gateway::demo_on(tmp.path()).await;
        g.tmp = Some(tmp);
        g
    }

    /// `mfa-gate demo` on fresh ports with the given data directory.
    pub async fn demo_on(data: &Path) -> Gateway {
        Gateway::demo_logging(data, LOG_FILTER).await
    }

    /// `mfa-gate demo` with `MFA_GATE_LOG` set to `filter`.
    pub async fn demo_logging(data: &Path, filter: &str) -> Gateway {
        let port = free_ports();
        let args = vec![
            "demo".to_string(),
            "--port".into(),
            port.to_string(),
            "--data".into(),
            data.display().to_string(),
        ];
        let mut g = Gateway::spawn(args, port, data, filter);
        g.wait_ready(&format!("http://127.0.0.1:{}/login", port + 1))
            .await;
        let health = g.url("/_mfa/healthz");
        g.wait_ready(&health).await;
        g
    }

    /// `mfa-gate demo --postgres` on fresh ports: a replica whose store is
    /// the database at `database_url`, with its keys in `data` (replicas
    /// share one data directory: one set of keys). `app`: the demo app of
    /// another replica (`None`: its own, on PORT+1).
    pub async fn demo_replica(data: &Path, database_url: &str, app: Option<&str>) -> Gateway {
        let port = free_ports();
        let mut args = vec![
            "demo".to_string(),
            "--port".into(),
            port.to_string(),
            "--data".into(),
            data.display().to_string(),
            "--postgres".into(),
        ];
        if let Some(app) = app {
            args.extend(["--app".to_string(), app.to_string()]);
        }
        let log = format!("gateway-{port}.log");
        let mut g = Gateway::spawn_with(
            args,
            port,
            data,
            LOG_FILTER,
            &log,
            &[("MFA_GATE_DATABASE_URL", database_url)],
        );
        g.wait_ready(&g.url("/_mfa/healthz")).await;
        g
    }

    /// `mfa-gate serve -c FILE` whose config listens on `port`.
    pub async fn serve(config: &Path, port: u16, data: &Path) -> Gateway {
        Gateway::serve_logging(config, port, data, LOG_FILTER).await
    }

    /// [`Gateway::serve`] with `MFA_GATE_LOG` set to `filter`.
    pub async fn serve_logging(config: &Path, port: u16, data: &Path, filter: &str) -> Gateway {
        let args = vec![
            "serve".to_string(),
            "-c".into(),
            config.display().to_string(),
        ];
        let mut g = Gateway::spawn(args, port, data, filter);
        let health = g.url("/_mfa/healthz");
        g.wait_ready(&health).await;
        g
    }

    fn spawn(args: Vec<String>, port: u16, data: &Path, filter: &str) -> Gateway {
        Gateway::spawn_with(args, port, data, filter, "gateway.log", &[])
    }

    fn spawn_with(
        args: Vec<String>,
        port: u16,
        data: &Path,
        filter: &str,
        log_name: &str,
        env: &[(&str, &str)],
    ) -> Gateway {
        std::fs::create_dir_all(data).unwrap();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(data.join(log_name))
            .unwrap();
        let child = Command::new(BIN)
            .args(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::from(log))
            .env("MFA_GATE_LOG", filter)
            .envs(env.iter().copied())
            .spawn()
            .expect("start mfa-gate");
        Gateway {
            child: Some(child),
            port,
            data: data.to_path_buf(),
            log_name: log_name.to_owned(),
            tmp: None,
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
            if let Ok(r) = client.get(url).send().await
                && r.status().is_success()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{url} not ready; log:\n{}", self.log());
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.data.join(&self.log_name)).unwrap_or_default()
    }

    /// SIGKILL: no destructor, no flush — what a crash looks like.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// The gateway's process id (to send it signals), while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    pub fn browser(&self) -> Browser {
        Browser::new(self.url(""))
    }

    /// A URL on the admin listener (PORT+2).
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
                Ok(r) => return Resp::read(r).await,
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

impl Drop for Gateway {
    fn drop(&mut self) {
        self.kill();
        if std::thread::panicking() {
            eprintln!("{}", log_tail("mfa-gate", &self.log()));
        }
    }
}

/// The last lines of a process's log, for the output of a failed test
/// (CI shows only what the test printed).
pub fn log_tail(what: &str, log: &str) -> String {
    const LINES: usize = 40;
    let lines: Vec<&str> = log.lines().collect();
    let tail = lines[lines.len().saturating_sub(LINES)..].join("\n");
    format!("--- last {LINES} lines of the {what} log:\n{tail}\n---")
}

/// What a finished `mfa-gate …` printed, and its exit code.
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
