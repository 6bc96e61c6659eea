//! The fixture apps of `tests/differential/` as child processes (and the
//! in-process Rust apps): checks that each runtime is installed (failing
//! with a pointer to `scripts/test.sh`, never skipping), builds the Go app
//! once per test process, starts each app on a free loopback port, polls
//! until it answers, and kills it when dropped.

use super::rust_app::{self, Reading, RustApp};
use super::wire;
use crate::harness::free_ports;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Every framework the differential tests compare against.
pub const ALL: &[&str] = &[
    "werkzeug",
    "django",
    "node",
    "php",
    "go",
    "rust-jar",
    "rust-utf8",
];

/// The apps of the path tests (`paths.rs`): real servers that do not
/// resolve dot segments, with catch-all routes (`path_app.py`,
/// `path_app.js`); and node routing on the WHATWG URL parser, which does.
pub const PATHS: &[&str] = &[
    "flask-gunicorn",
    "flask-waitress",
    "flask-werkzeug",
    "express",
    "node-url",
];

const PYTHON: &str = "/usr/bin/python3";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/differential")
}

/// `target/differential/`: the npm package and the Go build live here.
fn work_dir() -> PathBuf {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().unwrap_or(tmp).join("differential")
}

fn node_path() -> PathBuf {
    work_dir().join("node_modules")
}

/// A running app; killed when dropped.
pub struct App {
    pub name: &'static str,
    pub port: u16,
    child: Option<Child>,
    log: PathBuf,
    _rust: Option<RustApp>,
}

impl Drop for App {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl App {
    pub fn upstream(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Start app `name` (one of [`ALL`]), its log in `logs`.
    pub async fn start(name: &'static str, logs: &Path) -> App {
        let log = logs.join(format!("{name}.log"));
        if let Some(reading) = [Reading::Jar, Reading::Utf8First]
            .into_iter()
            .find(|r| r.name() == name)
        {
            let rust = rust_app::start(reading).await;
            return App {
                name,
                port: rust.port,
                child: None,
                log,
                _rust: Some(rust),
            };
        }
        let port = free_ports();
        let p = port.to_string();
        let mut cmd = match name {
            "werkzeug" | "django" => command(PYTHON, &["python_app.py", name, &p]),
            "node" => {
                let mut c = command("node", &["node_app.js", &p]);
                c.env("NODE_PATH", node_path());
                c
            }
            "php" => {
                let mut c = command("php", &["-S", &format!("127.0.0.1:{p}"), "php_app.php"]);
                c.env("PHP_CLI_SERVER_WORKERS", "4");
                c
            }
            "go" => command(&go_app().display().to_string(), &[&p]),
            "flask-gunicorn" | "flask-waitress" | "flask-werkzeug" => {
                command(PYTHON, &["path_app.py", &name["flask-".len()..], &p])
            }
            "express" | "node-url" => {
                let style = if name == "express" { "express" } else { "url" };
                let mut c = command("node", &["path_app.js", style, &p]);
                c.env("NODE_PATH", node_path());
                c
            }
            other => panic!("no differential app named {other}"),
        };
        let file = std::fs::File::create(&log).expect("app log");
        let child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::from(file))
            .spawn()
            .unwrap_or_else(|e| panic!("start the {name} app: {e}{}", RUN_TEST_SH));
        let mut app = App {
            name,
            port,
            child: Some(child),
            log,
            _rust: None,
        };
        app.wait_ready().await;
        app
    }

    async fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                panic!(
                    "the {} app exited ({status}):\n{}{RUN_TEST_SH}",
                    self.name,
                    self.log()
                );
            }
            if let Ok(r) = wire::get(self.port, "/whoami", &[]).await
                && r.status == 401
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the {} app did not answer:\n{}", self.name, self.log());
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

const RUN_TEST_SH: &str = "\nThe differential tests need Python (Werkzeug, Django, Flask, gunicorn, waitress), \
     node with the npm `cookie` and `express` packages, PHP and Go: run `bash scripts/test.sh`, \
     which installs them.";

fn command(program: &str, args: &[&str]) -> Command {
    let mut c = Command::new(program);
    c.args(args).current_dir(fixtures()).stdin(Stdio::null());
    c
}

/// Run a short command; its trimmed stdout, or a panic telling how to
/// install what is missing.
fn probe(what: &str, cmd: &mut Command) -> String {
    match cmd.stdin(Stdio::null()).output() {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        Ok(out) => panic!(
            "{what} is missing: {}{RUN_TEST_SH}",
            String::from_utf8_lossy(&out.stderr).trim()
        ),
        Err(e) => panic!("{what} is missing: {e}{RUN_TEST_SH}"),
    }
}

/// Each framework and its version; panics when a runtime is missing.
/// The version of Python module `module` as Debian's interpreter sees it;
/// panics when it is missing.
fn py(module: &str) -> String {
    let code = format!("import importlib.metadata as m; print(m.version('{module}'))");
    probe(
        &format!("Python's {module} ({PYTHON})"),
        Command::new(PYTHON).args(["-c", &code]),
    )
}

pub fn versions() -> Vec<(&'static str, String)> {
    let node = probe(
        "node with the npm cookie package",
        Command::new("node")
            .args([
                "-p",
                "process.version + ' cookie ' + require('cookie/package.json').version",
            ])
            .env("NODE_PATH", node_path()),
    );
    let php = probe("PHP", Command::new("php").args(["-r", "echo PHP_VERSION;"]));
    let go = probe("Go", Command::new("go").args(["env", "GOVERSION"]));
    let rust = format!("cookie {}", cookie_crate_version());
    vec![
        ("werkzeug", format!("Werkzeug {}", py("werkzeug"))),
        ("django", format!("Django {}", py("django"))),
        ("node", format!("node {node}")),
        ("php", format!("PHP {php} built-in server")),
        ("go", format!("{go} net/http")),
        ("rust-jar", format!("{rust} CookieJar")),
        ("rust-utf8", format!("{rust} split_parse, as src/demo.rs")),
    ]
}

/// Each path app's server and version; panics when a runtime is missing.
pub fn path_versions() -> Vec<(&'static str, String)> {
    let flask = py("flask");
    let node = probe(
        "node with the npm express package",
        Command::new("node")
            .args([
                "-p",
                "process.version + ' express ' + require('express/package.json').version",
            ])
            .env("NODE_PATH", node_path()),
    );
    let node_alone = probe("node", Command::new("node").args(["-p", "process.version"]));
    vec![
        (
            "flask-gunicorn",
            format!("Flask {flask} on gunicorn {}", py("gunicorn")),
        ),
        (
            "flask-waitress",
            format!("Flask {flask} on waitress {}", py("waitress")),
        ),
        (
            "flask-werkzeug",
            format!("Flask {flask} on Werkzeug {}", py("werkzeug")),
        ),
        ("express", format!("node {node}")),
        (
            "node-url",
            format!("node {node_alone} http, WHATWG URL routing"),
        ),
    ]
}

/// The version of the `cookie` crate this test links (the one in
/// Cargo.lock that Cargo.toml's `cookie = "X"` requirement selects).
fn cookie_crate_version() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let read = |f: &str| std::fs::read_to_string(root.join(f)).unwrap_or_default();
    let (manifest, lock) = (read("Cargo.toml"), read("Cargo.lock"));
    let wanted = manifest
        .lines()
        .find_map(|l| l.strip_prefix("cookie = \""))
        .and_then(|v| v.split('"').next())
        .unwrap_or("")
        .to_owned();
    lock.split("[[package]]")
        .filter(|p| p.contains("name = \"cookie\"\n"))
        .filter_map(|p| p.split("version = \"").nth(1)?.split('"').next())
        .find(|v| v.starts_with(&format!("{wanted}.")))
        .unwrap_or("?")
        .to_owned()
}

/// The Go app, built once per test process into `target/differential/`
/// (build cache and GOPATH there too, not in $HOME; standard library only).
fn go_app() -> PathBuf {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let built = BUILT.get_or_init(|| {
        let dir = work_dir();
        let out = dir.join("go-app");
        let result = Command::new("go")
            .args(["build", "-o"])
            .arg(&out)
            .arg(fixtures().join("go/main.go"))
            .env("GOCACHE", dir.join("go/cache"))
            .env("GOPATH", dir.join("go/path"))
            .env("GO111MODULE", "off")
            .env("GOFLAGS", "")
            .env("GOPROXY", "off")
            .stdin(Stdio::null())
            .output();
        match result {
            Ok(o) if o.status.success() => Ok(out),
            Ok(o) => Err(String::from_utf8_lossy(&o.stderr).into_owned()),
            Err(e) => Err(e.to_string()),
        }
    });
    match built {
        Ok(path) => path.clone(),
        Err(e) => panic!("cannot build the Go app: {e}{RUN_TEST_SH}"),
    }
}
