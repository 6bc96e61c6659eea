//! The nginx instances of a run: the fast upstream app every scenario
//! talks to, the two reference proxies, (e) `proxy_pass` and (f)
//! `auth_request` to an ideal 204 endpoint, and the front of (g), which
//! asks mfa-gate's forward-auth endpoint (docs/behind-a-proxy.md) before
//! it proxies.
//!
//! Each runs as its own single process (`master_process off`): the same
//! event loop a worker runs, without a master, so the process we start is
//! the one that serves and its `/proc/PID/stat` is the proxy's CPU alone.
//! Access logs are off in all of them (mfa-gate's access log is measured
//! as its own row, `a+log`).

use crate::procs::Proc;
use anyhow::{Context, Result};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The app's page: 44 bytes of HTML, as in the issue.
pub const PAGE: &str = "<!doctype html><html><body>ok</body></html>\n";
const _: () = assert!(PAGE.len() == 44);

/// Name of the app's session cookie (`identity.session_cookie`).
pub const APP_COOKIE: &str = "app_session";
/// The company every benchmark identity belongs to (policy: optional).
pub const COMPANY: &str = "bench";

/// What an nginx instance does.
pub enum Role {
    /// The app: the page on every path, whoami on `/api/me` (the account
    /// is `u` + the session cookie value; 401 without a cookie), 204 on
    /// `/auth`.
    Upstream,
    /// (e) plain reverse proxy to the app, keep-alive pool.
    ProxyPass { upstream: SocketAddr },
    /// (f) `auth_request` to the app's `/auth` (204), then proxy.
    AuthRequest { upstream: SocketAddr },
    /// (g) the nginx recipe of docs/behind-a-proxy.md: `auth_request` to
    /// mfa-gate's `/_mfa/auth` on its lean ask listener (`asks`; the
    /// request described in `X-Original-URI` and `X-Original-Method`, its
    /// cookies passed), the identity headers of the answer copied onto the
    /// proxied request, then proxy; `/_mfa/` pages to the gateway's
    /// listener. Every upstream is a keep-alive pool, as in (e) and (f).
    ForwardAuth {
        upstream: SocketAddr,
        gateway: SocketAddr,
        asks: SocketAddr,
    },
}

/// The nginx executable: on the PATH, or Debian's `/usr/sbin/nginx`
/// (not on a non-root PATH).
pub fn binary() -> Option<PathBuf> {
    if crate::procs::have("nginx") {
        return Some(PathBuf::from("nginx"));
    }
    let sbin = PathBuf::from("/usr/sbin/nginx");
    sbin.exists().then_some(sbin)
}

/// Start one instance listening on `listen`, with its files in `dir`.
pub fn start(
    nginx: &Path,
    name: &str,
    role: &Role,
    listen: SocketAddr,
    dir: &Path,
) -> Result<Proc> {
    let args = arguments(role, listen, dir)?;
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut proc = Proc::spawn(name, nginx, &args, &[], dir.join("stderr.log"))?;
    proc.wait_listening(listen, Duration::from_secs(10))
        .with_context(|| format!("nginx log: {}", dir.join("error.log").display()))?;
    Ok(proc)
}

/// Write the instance's configuration into `dir`; the arguments that
/// start nginx on it (for `start`, or under valgrind in `callgrind.rs`).
pub fn arguments(role: &Role, listen: SocketAddr, dir: &Path) -> Result<Vec<String>> {
    std::fs::create_dir_all(dir)?;
    let conf = dir.join("nginx.conf");
    std::fs::write(&conf, config(role, listen, dir))
        .with_context(|| format!("writing {}", conf.display()))?;
    Ok(vec![
        "-p".into(),
        format!("{}/", dir.display()),
        "-c".into(),
        conf.display().to_string(),
        "-e".into(),
        dir.join("error.log").display().to_string(),
    ])
}

fn config(role: &Role, listen: SocketAddr, dir: &Path) -> String {
    let d = dir.display();
    let server = match role {
        Role::Upstream => format!(
            r#"
        location / {{
            default_type text/html;
            return 200 "{page}";
        }}
        location = /api/me {{
            default_type application/json;
            if ($cookie_{cookie} = "") {{
                return 401 '{{"error":"login"}}';
            }}
            return 200 '{{"account":"u$cookie_{cookie}","company":"{company}","class":"employee"}}';
        }}
        location = /auth {{
            return 204;
        }}"#,
            page = PAGE.replace('\n', "\\n"),
            cookie = APP_COOKIE,
            company = COMPANY,
        ),
        Role::ProxyPass { .. } => r#"
        location / {
            proxy_pass http://app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }"#
        .to_owned(),
        Role::AuthRequest { .. } => r#"
        location / {
            auth_request /_auth;
            proxy_pass http://app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
        location = /_auth {
            internal;
            proxy_pass http://app/auth;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }"#
        .to_owned(),
        // docs/behind-a-proxy.md's recipe, with the `proxy_http_version 1.1` and
        // `Connection ""` that a keep-alive pool needs (as (e) and (f)).
        Role::ForwardAuth { .. } => r#"
        absolute_redirect off;
        location / {
            auth_request /_mfa_auth;
            auth_request_set $mfa_location $upstream_http_x_mfa_location;
            auth_request_set $mfa_user $upstream_http_remote_user;
            auth_request_set $mfa_email $upstream_http_remote_email;
            auth_request_set $mfa_groups $upstream_http_remote_groups;
            auth_request_set $mfa_status $upstream_http_x_mfa_status;
            auth_request_set $mfa_account $upstream_http_x_mfa_account;
            error_page 401 = @mfa;
            proxy_set_header Host $host;
            proxy_set_header Remote-User $mfa_user;
            proxy_set_header Remote-Email $mfa_email;
            proxy_set_header Remote-Groups $mfa_groups;
            proxy_set_header X-Mfa-Status $mfa_status;
            proxy_set_header X-Mfa-Account $mfa_account;
            proxy_pass http://app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
        location /_mfa/ {
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_pass http://mfa_gate;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
        location = /_mfa_auth {
            internal;
            proxy_pass http://mfa_gate_asks/_mfa/auth;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header Host $host;
            proxy_set_header X-Original-URI $request_uri;
            proxy_set_header X-Original-Method $request_method;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
        location @mfa {
            if ($mfa_location) { return 302 $mfa_location; }
            default_type application/json;
            return 401 '{"error":"mfa_required"}';
        }"#
        .to_owned(),
    };
    let pool = |name: &str, server: &SocketAddr| {
        format!(
            "    upstream {name} {{ server {server}; keepalive 64; keepalive_requests 100000000; }}\n"
        )
    };
    let upstream_block = match role {
        Role::Upstream => String::new(),
        Role::ProxyPass { upstream } | Role::AuthRequest { upstream } => pool("app", upstream),
        Role::ForwardAuth {
            upstream,
            gateway,
            asks,
        } => pool("app", upstream) + &pool("mfa_gate", gateway) + &pool("mfa_gate_asks", asks),
    };
    format!(
        r#"# Written by the load benchmark (benches/load/nginx.rs).
daemon off;
master_process off;
pid {d}/nginx.pid;
worker_rlimit_nofile 8192;
events {{
    worker_connections 4096;
}}
http {{
    access_log off;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    keepalive_requests 100000000;
    keepalive_timeout 60s;
{upstream_block}    server {{
        listen {listen};
{server}
    }}
}}
"#
    )
}
