//! mfa-gate behind the proxy a user already runs (issue 33): nginx
//! (`auth_request`) and Caddy (`forward_auth`) from Debian in front of the
//! demo app, asking mfa-gate's forward-auth endpoint about every request
//! and routing `/_mfa/` to it; and the exact header sets Traefik and
//! ingress-nginx send. The gateway asked is a `serve` process whose
//! upstream is the demo app (for whoami) and which trusts loopback (the
//! fronts); the demo's own gateway stands by, unused.
//!
//! - `asks.rs` — the endpoint asked directly, in each front's dialect;
//! - `journey.rs` — the whole journey through nginx and through Caddy.

mod asks;
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
        let dir = tempfile::tempdir().unwrap();
        let port = free_ports();
        let conf = nginx_conf(dir.path(), port, backend.gateway.port, backend.app_port);
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
        let dir = tempfile::tempdir().unwrap();
        let port = free_ports();
        let conf = caddyfile(port, backend.gateway.port, backend.app_port);
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

/// The nginx configuration of the README's "Behind nginx" recipe, on
/// loopback ports, with its temporary files in `dir`.
fn nginx_conf(dir: &Path, port: u16, gateway: u16, app: u16) -> String {
    let d = dir.display();
    format!(
        r#"worker_processes 1;
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
    absolute_redirect off;
    location / {{
      auth_request /_mfa_auth;
      auth_request_set $mfa_location $upstream_http_x_mfa_location;
      auth_request_set $mfa_user $upstream_http_remote_user;
      error_page 401 = @mfa;
      proxy_set_header Host $host;
      proxy_set_header Remote-User $mfa_user;
      proxy_pass http://127.0.0.1:{app};
    }}
    location /_mfa/ {{
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_pass http://127.0.0.1:{gateway};
    }}
    location = /_mfa_auth {{
      internal;
      proxy_pass http://127.0.0.1:{gateway}/_mfa/auth;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header Host $host;
      proxy_set_header X-Original-URI $request_uri;
      proxy_set_header X-Original-Method $request_method;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }}
    location @mfa {{
      if ($mfa_location) {{ return 302 $mfa_location; }}
      default_type application/json;
      return 401 '{{"error":"mfa_required"}}';
    }}
  }}
}}
"#
    )
}

/// The Caddyfile of the README's "Behind Caddy" recipe, on loopback.
fn caddyfile(port: u16, gateway: u16, app: u16) -> String {
    format!(
        r#"{{
  admin off
  auto_https off
}}
http://127.0.0.1:{port} {{
  handle /_mfa/* {{
    reverse_proxy 127.0.0.1:{gateway}
  }}
  handle {{
    forward_auth 127.0.0.1:{gateway} {{
      uri /_mfa/auth
      copy_headers Remote-User Remote-Email Remote-Groups X-Mfa-Status X-Mfa-Account
    }}
    reverse_proxy 127.0.0.1:{app}
  }}
}}
"#
    )
}
