//! [`Front`]: a real front from Debian (nginx with `auth_request`, Caddy
//! with `forward_auth`) on a free loopback port, configured by the recipes of
//! `docs/behind-a-proxy.md`, asking a gateway about every app
//! request and routing `/_mfa/` to it.

use super::{Browser, free_ports};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A front process (nginx or Caddy) on a free loopback port, stopped when
/// dropped.
pub struct Front {
    pub port: u16,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Front {
    /// nginx in front of the app on `app`, asking the gateway on `gateway`
    /// (`auth_request` for every app path, `/_mfa/` routed to it, a denied
    /// navigation redirected to the page the gateway names).
    pub async fn nginx_for(gateway: u16, app: u16) -> Front {
        Front::nginx_asking(gateway, gateway, app).await
    }

    /// The same, its asks sent to `asks`: the gateway's lean ask listener
    /// (`forward_auth.listen`), or its own listener.
    pub async fn nginx_asking(gateway: u16, asks: u16, app: u16) -> Front {
        let dir = tempfile::tempdir().unwrap();
        let port = free_ports();
        let conf = nginx_conf(dir.path(), port, (gateway, asks), app);
        let path = dir.path().join("nginx.conf");
        std::fs::write(&path, conf).unwrap();
        let child = Command::new("nginx")
            .args(["-p", &dir.path().display().to_string(), "-c"])
            .arg(&path)
            .args(["-g", "daemon off;"])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("stderr.log")).unwrap())
            .spawn()
            .expect("nginx (run `bash scripts/test.sh`, which installs it)");
        Front::ready(port, child, dir).await
    }

    /// Caddy in front of the app on `app`, asking the gateway on `gateway`
    /// (`forward_auth` for every app path, `/_mfa/*` routed to it; a
    /// denial is the gateway's own answer).
    pub async fn caddy_for(gateway: u16, app: u16) -> Front {
        let dir = tempfile::tempdir().unwrap();
        let port = free_ports();
        let conf = caddyfile(port, gateway, app);
        let path = dir.path().join("Caddyfile");
        std::fs::write(&path, conf).unwrap();
        let child = Command::new("caddy")
            .args(["run", "--adapter", "caddyfile", "--config"])
            .arg(&path)
            .env("HOME", dir.path())
            .env("XDG_DATA_HOME", dir.path().join("data"))
            .env("XDG_CONFIG_HOME", dir.path().join("config"))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("stderr.log")).unwrap())
            .spawn()
            .expect("caddy (run `bash scripts/test.sh`, which installs it)");
        Front::ready(port, child, dir).await
    }

    /// Wait until the front accepts connections (deadline 30 s).
    async fn ready(port: u16, mut child: Child, dir: tempfile::TempDir) -> Front {
        let deadline = Instant::now() + Duration::from_secs(30);
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            let log = std::fs::read_to_string(dir.path().join("stderr.log")).unwrap_or_default();
            if let Ok(Some(status)) = child.try_wait() {
                panic!("the front exited ({status}):\n{log}");
            }
            assert!(
                Instant::now() < deadline,
                "the front never listened:\n{log}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Front {
            port,
            child,
            _dir: dir,
        }
    }

    pub fn browser(&self) -> Browser {
        Browser::new(format!("http://127.0.0.1:{}", self.port))
    }
}

impl Drop for Front {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The page whose recipes the fronts are configured by.
const RECIPES: &str = "docs/behind-a-proxy.md";

/// A recipe of [`RECIPES`], with its placeholders (`mfa-gate:8080`, the
/// ask listener `mfa-gate:9092` (the gateway's own port where it has
/// none), `app:3000`) pointed at loopback.
fn recipe(name: &str, (gateway, asks): (u16, u16), app: u16) -> String {
    let page = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(RECIPES))
        .expect(RECIPES);
    let start = format!("<!-- recipe: {name} -->\n");
    let at = page
        .find(&start)
        .unwrap_or_else(|| panic!("{start:?} in {RECIPES}"));
    let after = &page[at + start.len()..];
    let body = after.split_once('\n').expect("a fence").1;
    let text = &body[..body.find("\n```").expect("the fence's end")];
    text.replace("mfa-gate:8080", &format!("127.0.0.1:{gateway}"))
        .replace("mfa-gate:9092", &format!("127.0.0.1:{asks}"))
        .replace("app:3000", &format!("127.0.0.1:{app}"))
}

/// nginx.conf: the documented recipe inside a server on loopback, with the
/// temporary files in `dir`.
fn nginx_conf(dir: &Path, port: u16, gateway: (u16, u16), app: u16) -> String {
    let d = dir.display();
    let pool = recipe("nginx-http", gateway, app);
    let recipe = recipe("nginx", gateway, app);
    format!(
        "worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 64; }}
http {{
  access_log off;
  client_body_temp_path {d}/body;
  proxy_temp_path {d}/proxy;
  fastcgi_temp_path {d}/fastcgi;
  uwsgi_temp_path {d}/uwsgi;
  scgi_temp_path {d}/scgi;
{pool}
  server {{
    listen 127.0.0.1:{port};
{recipe}
  }}
}}
"
    )
}

/// The Caddyfile: the documented recipe for a site on loopback, without
/// Caddy's admin endpoint and automatic HTTPS.
fn caddyfile(port: u16, gateway: u16, app: u16) -> String {
    let recipe = recipe("caddy", (gateway, gateway), app)
        .replace("app.example.com", &format!("http://127.0.0.1:{port}"));
    format!("{{\n  admin off\n  auto_https off\n}}\n{recipe}\n")
}
