//! The launcher half of `mfa-gate demo`: the demo's configuration
//! (`config/demo.yaml`, embedded, with keys and a support token generated
//! into the data directory on first run), its PostgreSQL store for
//! `--postgres`, the sample app's service or another demo's app for
//! `--app`, and the banner it prints. The sample app itself is
//! `crate::demo`; `main.rs` starts logging and the server.

use crate::cli::keys::write_secret_file;
use crate::config::{self, Config};
use crate::{demo, server};
use anyhow::Context;
use std::path::Path;

/// The demo's well-known support token (loopback only; see config/demo.yaml).
const DEMO_SUPPORT_TOKEN: &str = "demo-support-token";

const DEMO_YAML: &str = include_str!("../../config/demo.yaml");

/// The demo's configuration: `config/demo.yaml` (embedded), with its keys
/// generated into the data directory on first run (and the support token
/// written there), and the ports moved: app PORT+1, admin listener PORT+2.
pub fn demo_config(port: u16, data: &Path) -> anyhow::Result<Config> {
    let app_port = port.checked_add(1).context("--port is too high")?;
    let admin_port = port.checked_add(2).context("--port is too high")?;
    std::fs::create_dir_all(data).with_context(|| format!("cannot create {}", data.display()))?;
    for name in ["hmac.key", "encryption.key"] {
        let path = data.join(name);
        if !path.exists() {
            write_key(&path)?;
        }
    }
    let token = data.join("support.token");
    if !token.exists() {
        write_secret_file(&token, DEMO_SUPPORT_TOKEN)?;
    }
    let source = data.join("demo.yaml");
    let mut config = config::load_str(DEMO_YAML, &source)?;
    config.listen = ([127, 0, 0, 1], port).into();
    config.upstream.address = format!("127.0.0.1:{app_port}");
    config.upstream.sni = "127.0.0.1".into();
    if let Some(admin) = config.admin.as_mut() {
        admin.listen = ([127, 0, 0, 1], admin_port).into();
    }
    if let Some(webauthn) = config.webauthn.as_mut() {
        webauthn.origins = vec![format!("http://localhost:{port}").parse()?];
    }
    Ok(config)
}

/// `demo --postgres`: the store in the database at $MFA_GATE_DATABASE_URL.
pub fn demo_postgres() -> anyhow::Result<config::StoreConfig> {
    const VAR: &str = "MFA_GATE_DATABASE_URL";
    let url = std::env::var(VAR).with_context(|| format!("--postgres needs {VAR}"))?;
    crate::store::postgres_url(&url).map_err(|m| anyhow::anyhow!("{VAR} {m}"))?;
    Ok(config::StoreConfig::Postgres(
        crate::store::PostgresOptions {
            url,
            pool_size: 10,
            // A loaded laptop (or CI box) gets more room than the default;
            // the staleness bound is the default's.
            timeout: std::time::Duration::from_secs(3),
            max_staleness: std::time::Duration::from_secs(2),
            // The demo's database is a private cluster on loopback.
            tls: crate::store::DatabaseTls::Disable,
        },
    ))
}

/// The app behind the gateway: with `--app HOST:PORT`, another demo's
/// (written into `config`, nothing more to start); else the sample app,
/// as a service to add to the server at the configured upstream address.
pub fn demo_app(config: &mut Config, app: Option<String>) -> Option<server::Extra> {
    match app {
        Some(addr) => {
            config.upstream.address = addr;
            None
        }
        None => {
            let app_addr = config.upstream.address.clone();
            Some(Box::new(move |server| {
                server.add_service(demo::service(&app_addr));
            }))
        }
    }
}

fn write_key(path: &Path) -> anyhow::Result<()> {
    use rand::RngCore;
    let mut key = [0u8; 32];
    rand::rng().fill_bytes(&mut key);
    let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
    write_secret_file(path, &hex)
}

/// What `mfa-gate demo` prints before it starts: the addresses, the
/// support token, the data directory and the demo accounts.
pub fn demo_banner(port: u16, data: &Path) -> String {
    let admin = u32::from(port) + 2;
    let mut s = format!(
        "mfa-gate demo\n  app behind the gateway: http://127.0.0.1:{port}/login\n  demo app directly:      http://127.0.0.1:{}/\n  admin listener:         http://127.0.0.1:{admin}/metrics (support token: {DEMO_SUPPORT_TOKEN})\n  support, for example:   MFA_GATE_ADMIN_URL=http://127.0.0.1:{admin} MFA_GATE_SUPPORT_TOKEN={DEMO_SUPPORT_TOKEN} mfa-gate support status taro@globex.example\n  data (keys, store):     {}\n  emails it would send:   {}/emails/ (one .eml file each)\n  password for every account: {}\n  accounts:\n",
        port + 1,
        data.display(),
        data.display(),
        demo::DEMO_PASSWORD
    );
    for a in demo::DEMO_ACCOUNTS {
        s.push_str(&format!(
            "    {:<28} {:<9} {:<7} {}\n",
            a.email,
            a.class,
            a.company,
            a.roles.join("+")
        ));
    }
    s.push_str("  globex requires 2FA (pinned in config/demo.yaml); acme is optional.\n");
    s.push_str(&format!(
        "  passkeys: open http://localhost:{port}/login (browsers refuse them on 127.0.0.1)\n"
    ));
    s
}
