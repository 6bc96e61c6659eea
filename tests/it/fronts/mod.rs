//! mfa-gate behind the proxy a user already runs (issue 33): nginx
//! (`auth_request`) and Caddy (`forward_auth`) from Debian in front of the
//! demo app, asking mfa-gate's forward-auth endpoint about every request
//! and routing `/_mfa/` to it; and the exact header sets Traefik and
//! ingress-nginx send. The gateway asked is a `serve` process whose
//! upstream is the demo app (for whoami) and which trusts loopback (the
//! fronts); the demo's own gateway stands by, unused.
//!
//! - `asks.rs` — the endpoint asked directly, in each front's dialect;
//! - `journey.rs` — the whole journey through nginx and through Caddy;
//! - `forged.rs` — identity headers a client forges never reach the app.

mod asks;
mod forged;
mod journey;

use crate::harness::{Browser, ConfigBuilder, DEMO_SUPPORT_TOKEN, Gateway, free_ports};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Wrong codes before a lock, in these tests.
pub const MAX_FAILURES: usize = 3;

/// The demo app and a gateway that answers forward-auth asks about it.
pub struct Backend {
    /// Runs the demo app on its port + 1 (kept alive by being held).
    _demo: Gateway,
    pub gateway: Gateway,
    pub app_port: u16,
    _dir: tempfile::TempDir,
}

impl Backend {
    pub async fn start(trusted: bool) -> Backend {
        let demo = Gateway::demo().await;
        let app_port = demo.port + 1;
        let dir = tempfile::tempdir().unwrap();
        let port = free_ports();
        let mut config = ConfigBuilder::new(port, &format!("127.0.0.1:{app_port}"))
            .totp_issuer("mfa-gate demo")
            .company("globex", "required")
            .bypass(&["/login", "/logout", "/static/*"])
            .admin(DEMO_SUPPORT_TOKEN)
            .extra(&format!("max_failures: {MAX_FAILURES}\n"));
        if trusted {
            config = config.trusted_proxies("127.0.0.1/32");
        }
        let path = config.write(dir.path());
        let gateway = Gateway::serve(&path, port, dir.path()).await;
        Backend {
            _demo: demo,
            gateway,
            app_port,
            _dir: dir,
        }
    }
}

/// A front process (nginx or Caddy) on a free loopback port, stopped when
/// dropped.
pub struct Front {
    pub port: u16,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Front {
    /// nginx: `auth_request` to the gateway for every app path, `/_mfa/`
    /// routed to it, a denied navigation redirected to the page the
    /// gateway names (`error_page 401 = @mfa`).
    pub async fn nginx(backend: &Backend) -> Front {
        Front::nginx_for(backend.gateway.port, backend.app_port).await
    }

    /// nginx in front of the app on `app`, asking the gateway on `gateway`.
    pub async fn nginx_for(gateway: u16, app: u16) -> Front {
        let dir = tempfile::tempdir().unwrap();
        let port = free_ports();
        let conf = nginx_conf(dir.path(), port, gateway, app);
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

    /// Caddy: `forward_auth` to the gateway for every app path, `/_mfa/*`
    /// routed to it; a denial is the gateway's own answer.
    pub async fn caddy(backend: &Backend) -> Front {
        Front::caddy_for(backend.gateway.port, backend.app_port).await
    }

    /// Caddy in front of the app on `app`, asking the gateway on `gateway`.
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

/// A recipe of the README ("Behind your existing proxy"), with its
/// placeholders (`mfa-gate:8080`, `app:3000`) pointed at loopback.
fn recipe(name: &str, gateway: u16, app: u16) -> String {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let start = format!("<!-- recipe: {name} -->\n");
    let after = &readme[readme.find(&start).expect("the recipe in README.md") + start.len()..];
    let body = after.split_once('\n').expect("a fence").1;
    let text = &body[..body.find("\n```").expect("the fence's end")];
    text.replace("mfa-gate:8080", &format!("127.0.0.1:{gateway}"))
        .replace("app:3000", &format!("127.0.0.1:{app}"))
}

/// nginx.conf: the README's recipe inside a server on loopback, with the
/// temporary files in `dir`.
fn nginx_conf(dir: &Path, port: u16, gateway: u16, app: u16) -> String {
    let d = dir.display();
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
  server {{
    listen 127.0.0.1:{port};
{recipe}
  }}
}}
"
    )
}

/// The Caddyfile: the README's recipe for a site on loopback, without
/// Caddy's admin endpoint and automatic HTTPS.
fn caddyfile(port: u16, gateway: u16, app: u16) -> String {
    let recipe = recipe("caddy", gateway, app)
        .replace("app.example.com", &format!("http://127.0.0.1:{port}"));
    format!("{{\n  admin off\n  auto_https off\n}}\n{recipe}\n")
}
