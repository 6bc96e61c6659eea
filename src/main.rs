//! The `mfa-gate` command: `serve`, `check-config`, `demo`. Parses the
//! command line, loads the configuration, starts logging and hands off to
//! `server::run`. The only place that uses `anyhow`.

use anyhow::Context;
use clap::{Parser, Subcommand};
use mfa_gate::config::{self, Config};
use mfa_gate::{demo, server};
use std::path::{Path, PathBuf};

#[derive(Parser)]
#[command(
    name = "mfa-gate",
    version,
    about = "Two-step verification in front of any web app"
)]
struct Cli {
    /// Log as JSON lines instead of human-readable text.
    #[arg(long, global = true, env = "MFA_GATE_LOG_JSON")]
    log_json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the gateway.
    Serve {
        #[arg(short, long, value_name = "FILE")]
        config: PathBuf,
    },
    /// Check a configuration file and exit (0 when valid).
    CheckConfig {
        #[arg(short, long, value_name = "FILE")]
        config: PathBuf,
    },
    /// Run the bundled demo app behind the gateway on loopback.
    Demo {
        /// Gateway port; the demo app listens on PORT+1, the admin listener on PORT+2.
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// Directory for the demo's keys and store (created when missing).
        #[arg(long, default_value = "mfa-gate-demo-data")]
        data: PathBuf,
    },
}

fn main() {
    let cli = Cli::parse();
    init_logging(cli.log_json);
    if let Err(e) = run(cli.command) {
        eprintln!("mfa-gate: {e:#}");
        std::process::exit(2);
    }
}

fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve { config } => {
            let config = config::load_file(&config)?;
            server::run(config, None)?;
            Ok(())
        }
        Command::CheckConfig { config } => {
            let loaded = config::load_file(&config)?;
            println!(
                "{}: OK (listen {}, upstream {}, {} pinned companies, {} bypass rules)",
                config.display(),
                loaded.listen,
                loaded.upstream.address,
                loaded.companies.len(),
                loaded.bypass.len()
            );
            Ok(())
        }
        Command::Demo { port, data } => {
            let config = demo_config(port, &data)?;
            let app_addr = config.upstream.address.clone();
            println!("{}", demo_banner(port, &data));
            server::run(
                config,
                Some(Box::new(move |server| {
                    server.add_service(demo::service(&app_addr));
                })),
            )?;
            Ok(())
        }
    }
}

const DEMO_YAML: &str = include_str!("../config/demo.yaml");

/// The demo's configuration: `config/demo.yaml` (embedded), with its keys
/// generated into the data directory on first run, and the ports moved.
fn demo_config(port: u16, data: &Path) -> anyhow::Result<Config> {
    let app_port = port.checked_add(1).context("--port is too high")?;
    std::fs::create_dir_all(data).with_context(|| format!("cannot create {}", data.display()))?;
    for name in ["hmac.key", "encryption.key"] {
        let path = data.join(name);
        if !path.exists() {
            write_key(&path)?;
        }
    }
    let source = data.join("demo.yaml");
    let mut config = config::load_str(DEMO_YAML, &source)?;
    config.listen = ([127, 0, 0, 1], port).into();
    config.upstream.address = format!("127.0.0.1:{app_port}");
    config.upstream.sni = "127.0.0.1".into();
    Ok(config)
}

fn write_key(path: &Path) -> anyhow::Result<()> {
    use rand::RngCore;
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut key = [0u8; 32];
    rand::rng().fill_bytes(&mut key);
    let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    writeln!(f, "{hex}")?;
    Ok(())
}

fn demo_banner(port: u16, data: &Path) -> String {
    let mut s = format!(
        "mfa-gate demo\n  app behind the gateway: http://127.0.0.1:{port}/login\n  demo app directly:      http://127.0.0.1:{}/\n  data (keys, store):     {}\n  password for every account: {}\n  accounts:\n",
        port + 1,
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
    s
}

fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("MFA_GATE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().flatten_event(true).init();
    } else {
        builder.init();
    }
}
