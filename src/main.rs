//! The `mfa-gate` command: `serve`, `check-config`, `demo`, `support`,
//! `identity-check`, `healthcheck`. Parses the command line, loads the configuration, starts
//! logging (format from the file's `log` section unless `--log-json`) and
//! hands off to `server::run` (or, for `support`, to the client in
//! `support/client.rs`). The only place that uses `anyhow`.

use anyhow::Context;
use clap::{Parser, Subcommand};
use mfa_gate::cli::outbox;
use mfa_gate::cli::store as support_store;
use mfa_gate::cli::support;
use mfa_gate::config::{self, Config, LogFormat};
use mfa_gate::observe::logging;
use mfa_gate::{demo, server};
use std::path::{Path, PathBuf};

/// mimalloc instead of glibc's malloc: fewer instructions per request and a
/// resident size that follows the live data (BENCHMARKS.md, "Allocator").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "mfa-gate",
    version,
    about = "Two-step verification in front of any web app"
)]
struct Cli {
    /// Log as JSON lines instead of human-readable text (overrides the
    /// configuration's `log.format`).
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
    /// Check a configuration file and exit (0 when valid): everything
    /// `serve` would refuse (values, keys, certificate and key, store
    /// directory) except a port already in use.
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
        /// Keep the store in the PostgreSQL database at
        /// $MFA_GATE_DATABASE_URL instead of DATA/store (replicas; see
        /// scripts/cluster-demo.sh).
        #[arg(long)]
        postgres: bool,
        /// Put the gateway in front of the demo app of another `mfa-gate
        /// demo` at HOST:PORT instead of starting one (a second replica).
        #[arg(long, value_name = "HOST:PORT")]
        app: Option<String>,
    },
    /// Support operations on an account, through the running gateway's
    /// admin listener: status, unlock, reset, audit.
    ///
    /// The listener and token come from --admin-url/--token, else from the
    /// `admin` section of -c CONFIG, else from MFA_GATE_ADMIN_URL and
    /// MFA_GATE_SUPPORT_TOKEN. Exit codes: 0 done, 1 unknown account,
    /// 2 usage or configuration, 3 gateway unreachable, 4 token refused,
    /// 5 other gateway error.
    Support(SupportArgs),
    /// Keys: `generate` prints fresh keys; `rotate-encryption` re-seals
    /// every stored secret under the first encryption key (offline: the
    /// gateway must be stopped; a running one: `support rotate-encryption`).
    #[command(subcommand)]
    Keys(KeysOp),
    /// The store directory, offline: `restore` a backup into a new directory.
    #[command(subcommand)]
    Store(StoreOp),
    /// Call the app's whoami endpoint as the gateway would, with these
    /// cookies, and print the mapped identity or why there is none (exit 0
    /// for an identity, 1 otherwise, 2 for a bad configuration).
    IdentityCheck {
        #[arg(short, long, value_name = "FILE")]
        config: PathBuf,
        /// A cookie as the browser sends it, `name=value` (repeatable).
        #[arg(long = "cookie", value_name = "NAME=VALUE", required = true)]
        cookies: Vec<String>,
        /// The request's Host (for `session_cookie_prefix`: apps that name
        /// their cookie after the host the browser used).
        #[arg(long, value_name = "HOST")]
        host: Option<String>,
    },
    /// Send one test email to ADDRESS through the configured `notify.email`
    /// (exit 0 when the server accepted it, 1 when not, 2 for a bad
    /// configuration).
    NotifyTest {
        #[arg(short, long, value_name = "FILE")]
        config: PathBuf,
        #[arg(long, value_name = "ADDRESS")]
        to: String,
    },
    /// Exit 0 when URL answers 2xx within 3 s, else 1: a container health
    /// check without a shell or curl in the image.
    Healthcheck {
        #[arg(default_value = "http://127.0.0.1:8080/_mfa/healthz")]
        url: String,
    },
}

#[derive(Subcommand)]
enum KeysOp {
    /// Print a fresh HMAC key and encryption key (hex) with their key ids.
    Generate,
    /// Re-seal every stored TOTP secret under the first key of
    /// `secrets.encryption_key`, in batches; run it again after a crash to
    /// finish. Afterwards the older encryption keys can be removed.
    RotateEncryption {
        #[arg(short, long, value_name = "FILE")]
        config: PathBuf,
        /// Persons per batch (one flush each).
        #[arg(long, default_value_t = mfa_gate::maintenance::rotate::DEFAULT_BATCH)]
        batch: usize,
    },
}

#[derive(Subcommand)]
enum StoreOp {
    /// Restore a backup (`mfa-gate support backup`) into a new directory,
    /// verifying its signature (under the configuration's HMAC keys), its
    /// checksum and counts. Remembered browsers and gateway sessions are
    /// not restored; what comes back is printed.
    Restore {
        /// The configuration whose `secrets.hmac_key` signed the backup.
        #[arg(short, long, value_name = "FILE")]
        config: PathBuf,
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
        #[arg(long, value_name = "DIR")]
        to: PathBuf,
    },
    /// Copy a sled store (its gateway stopped) into an empty PostgreSQL
    /// database, then compare both entry by entry; prints the counts. Run
    /// again, it writes the same rows. The way from one gateway to
    /// replicas (README, "Several gateways").
    Copy {
        #[arg(long, value_name = "DIR")]
        from_sled: PathBuf,
        /// The database URL. Prefer MFA_GATE_DATABASE_URL: arguments show
        /// in `ps`.
        #[arg(
            long,
            value_name = "URL",
            env = "MFA_GATE_DATABASE_URL",
            hide_env_values = true
        )]
        to_postgres: String,
        /// Connect in the clear (a database on loopback or a private
        /// network); else TLS with the system's roots or --ca-file.
        #[arg(long)]
        no_tls: bool,
        /// The PEM file of the CA that signed the database's certificate.
        #[arg(long, value_name = "FILE", conflicts_with = "no_tls")]
        ca_file: Option<PathBuf>,
    },
}

#[derive(clap::Args)]
struct SupportArgs {
    /// Read the admin listener's address and token from this configuration.
    #[arg(short, long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// URL of the admin listener, e.g. http://127.0.0.1:9090.
    #[arg(long, value_name = "URL")]
    admin_url: Option<String>,
    /// The support token. Prefer MFA_GATE_SUPPORT_TOKEN: arguments show in `ps`.
    #[arg(long, value_name = "TOKEN")]
    token: Option<String>,
    /// Print the support API's JSON answer instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    op: SupportOp,
}

#[derive(Subcommand)]
enum SupportOp {
    /// Enrolled or not, linked accounts, backup codes left, failures, lock.
    Status { account: String },
    /// Lift the lock and clear the failure count.
    Unlock { account: String },
    /// Remove the person's enrollment and backup codes (all linked
    /// accounts), lift any lock; verified sessions end.
    Reset { account: String },
    /// The person's audit events, newest first; with `--company NAME`
    /// instead of an account, the company's own (policy changes).
    Audit {
        #[arg(required_unless_present = "company")]
        account: Option<String>,
        #[arg(long, value_name = "NAME", conflicts_with = "account")]
        company: Option<String>,
        /// Most events to list (1 to 1000).
        #[arg(long, default_value_t = 100,
              value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1000))]
        limit: usize,
    },
    /// Write a backup of the running gateway's store to FILE (mode 0600).
    Backup {
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Re-seal every stored secret under the first encryption key of the
    /// running gateway (reload it with the new key first in the ring).
    RotateEncryption,
    /// Notifications waiting or dead-lettered (`list`), or send the
    /// dead-lettered ones again (`retry`, or `retry --id N` for one).
    #[command(subcommand)]
    Outbox(OutboxCmd),
}

#[derive(Subcommand, Clone, Copy)]
enum OutboxCmd {
    /// One page of the deliveries waiting (or, with `--dead`, of the dead
    /// letters), oldest first, with both queues' sizes.
    List {
        #[arg(long)]
        dead: bool,
        /// The page after this entry id (as the last page said).
        #[arg(long, value_name = "ID")]
        after: Option<u64>,
        /// Entries per page (1 to 1000).
        #[arg(long, default_value_t = 100,
              value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1000))]
        limit: usize,
    },
    Retry {
        #[arg(long)]
        id: Option<u64>,
    },
}

fn main() {
    let cli = Cli::parse();
    if let Err(e) = run(cli.command, cli.log_json) {
        eprintln!("mfa-gate: {e:#}");
        std::process::exit(2);
    }
}

/// Start logging as the configuration says, unless `--log-json` overrides.
fn init_logging(log_json: bool, config: Option<&Config>) {
    let format = match (log_json, config) {
        (true, _) => LogFormat::Json,
        (false, Some(c)) => c.log.format,
        (false, None) => LogFormat::Text,
    };
    let level = config.map_or("info", |c| c.log.level.as_str());
    logging::init(format, level);
}

fn run(command: Command, log_json: bool) -> anyhow::Result<()> {
    // Whatever a command writes (the store, a restore, keys, the demo's
    // mail) is this user's alone, before any thread starts.
    server::private_files();
    match command {
        Command::Serve { config } => {
            let config = config::load_file(&config)?;
            init_logging(log_json, Some(&config));
            server::run(config, None)?;
            Ok(())
        }
        Command::CheckConfig { config } => check_config(&config),
        Command::Support(args) => {
            init_logging(log_json, None);
            std::process::exit(run_support(args));
        }
        Command::NotifyTest { config, to } => std::process::exit(notify_test(&config, &to)),
        Command::Healthcheck { url } => std::process::exit(healthcheck(&url)),
        Command::IdentityCheck {
            config,
            cookies,
            host,
        } => identity_check(&config, &cookies, host.as_deref()),
        Command::Keys(op) => keys_command(op),
        Command::Store(StoreOp::Restore { config, from, to }) => restore(&config, &from, &to),
        Command::Store(StoreOp::Copy {
            from_sled,
            to_postgres,
            no_tls,
            ca_file,
        }) => {
            use mfa_gate::store::DatabaseTls;
            let tls = match (no_tls, ca_file) {
                (true, _) => DatabaseTls::Disable,
                (false, Some(ca)) => DatabaseTls::RequireWithCa(ca),
                (false, None) => DatabaseTls::Require,
            };
            copy_store(&from_sled, to_postgres, tls)
        }
        Command::Demo {
            port,
            data,
            postgres,
            app,
        } => {
            let mut config = demo_config(port, &data)?;
            if postgres {
                config.store = demo_postgres()?;
            }
            init_logging(log_json, Some(&config));
            println!("{}", demo_banner(port, &data));
            let extra: Option<server::Extra> = match app {
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
            };
            server::run(config, extra)?;
            Ok(())
        }
    }
}

/// `mfa-gate check-config`: the file loads, the listeners and the store
/// would open, and the keys open every stored secret.
fn check_config(path: &Path) -> anyhow::Result<()> {
    let loaded = config::load_file(path)?;
    server::preflight(&loaded)?;
    let stored = server::check_stored_keys(&loaded)?;
    println!(
        "{}: OK (listen {}, https {}, upstream {}, identity {}, {} trusted proxies, {} pinned companies, {} bypass rules, admin listener {})",
        path.display(),
        loaded.listen,
        loaded
            .tls
            .as_ref()
            .map_or_else(|| "none".to_owned(), |t| t.listen.to_string()),
        loaded.upstream.address,
        match loaded.identity {
            config::IdentitySource::Whoami(_) => "whoami",
            config::IdentitySource::Headers(_) => "headers",
        },
        loaded.trusted_proxies.len(),
        loaded.companies.len(),
        loaded.bypass.len(),
        loaded
            .admin
            .as_ref()
            .map_or_else(|| "none".to_owned(), |a| a.listen.to_string())
    );
    println!("store: {}", loaded.store.describe());
    match &loaded.webauthn {
        Some(w) => {
            let origins: Vec<&str> = w.origins.iter().map(|o| o.as_str()).collect();
            println!(
                "passkeys: relying party {} ({})",
                w.rp_id,
                origins.join(", ")
            );
        }
        None => println!("passkeys: off (no webauthn section)"),
    }
    println!("stored secrets: {}", show_stored(&stored));
    Ok(())
}

/// `mfa-gate identity-check`: exits 0 with an identity, 1 without.
fn identity_check(path: &Path, cookies: &[String], host: Option<&str>) -> anyhow::Result<()> {
    let config = config::load_file(path)?;
    let report = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(mfa_gate::identity::check::check(&config, cookies, host));
    print!("{}", report.text);
    std::process::exit(if report.known { 0 } else { 1 });
}

/// `mfa-gate store restore`.
fn restore(config: &Path, from: &Path, to: &Path) -> anyhow::Result<()> {
    let config = config::load_file(config)?;
    let bytes = std::fs::read(from).with_context(|| format!("cannot read {}", from.display()))?;
    let backup = mfa_gate::maintenance::backup::read(&bytes)?;
    let now = mfa_gate::clock::unix_now();
    let restored =
        mfa_gate::maintenance::backup::restore(&backup, &config.secrets.keys(), to, now)?;
    println!(
        "restored into {}: {} (backup taken at {} Unix time, {} ago)\n{}",
        to.display(),
        show_counts(&restored.counts),
        backup.created_at,
        mfa_gate::maintenance::backup::age(now - backup.created_at),
        restored.describe()
    );
    Ok(())
}

/// `mfa-gate store copy`.
fn copy_store(from: &Path, url: String, tls: mfa_gate::store::DatabaseTls) -> anyhow::Result<()> {
    use mfa_gate::store::{PostgresOptions, PostgresStore, SledStore};
    if !from.join("conf").exists() {
        anyhow::bail!("no sled store at {}", from.display());
    }
    let sled = SledStore::open(from).context("stop the gateway that uses it first")?;
    mfa_gate::store::postgres_url(&url).map_err(|m| anyhow::anyhow!("--to-postgres {m}"))?;
    let options = PostgresOptions {
        url,
        pool_size: 2,
        timeout: std::time::Duration::from_secs(10),
        max_staleness: std::time::Duration::from_secs(2),
        tls,
    };
    let pg = PostgresStore::open(&options)?;
    let copied = mfa_gate::store::copy::sled_to_postgres(&sled, &pg)?;
    println!(
        "copied {copied} from {} to {}; verified: both hold the same entries",
        from.display(),
        options.describe()
    );
    Ok(())
}

/// `mfa-gate keys …`.
fn keys_command(op: KeysOp) -> anyhow::Result<()> {
    match op {
        KeysOp::Generate => {
            print!("{}", mfa_gate::keys::generate_keys_text(&mut rand::rng()));
            Ok(())
        }
        KeysOp::RotateEncryption { config, batch } => {
            let config = config::load_file(&config)?;
            if let Some(path) = config.store.sled_path()
                && !path.join("conf").exists()
            {
                anyhow::bail!("no store at {}: nothing to re-seal", path.display());
            }
            let store = mfa_gate::server::open_store(&config.store)
                .context("stop the gateway first, or use `mfa-gate support rotate-encryption`")?;
            let keys = config.secrets.keys();
            let ids = keys.encryption_ids();
            let done = mfa_gate::maintenance::rotate::reseal_all(
                store.as_ref(),
                &keys,
                batch,
                &mut |p| {
                    println!("batch {}: {p}", p.batches);
                    std::ops::ControlFlow::Continue(())
                },
            )?;
            println!("done: {done}");
            if let [first, older @ ..] = ids.as_slice()
                && !older.is_empty()
            {
                let older: Vec<String> = older.iter().map(|id| id.to_string()).collect();
                println!(
                    "every stored secret is sealed under key id {first}; the older encryption keys ({}) can now be removed from secrets.encryption_key",
                    older.join(", ")
                );
            }
            Ok(())
        }
    }
}

fn show_counts(counts: &mfa_gate::maintenance::backup::Counts) -> String {
    let parts: Vec<String> = counts.iter().map(|(t, n)| format!("{n} {t}")).collect();
    if parts.is_empty() {
        "empty".into()
    } else {
        parts.join(", ")
    }
}

fn show_stored(stored: &server::StoredKeys) -> String {
    match stored {
        server::StoredKeys::NoStore => "no store yet".into(),
        server::StoredKeys::Locked => {
            "not checked: a running gateway holds the store (its reload and restart check them)"
                .into()
        }
        server::StoredKeys::Checked(p) => format!(
            "{} sealed secrets of {} persons open with the configured keys ({} under the first)",
            p.secrets, p.persons, p.current
        ),
    }
}

/// `mfa-gate support …`: prints the answer, or one line on stderr; returns
/// the exit code.
fn run_support(args: SupportArgs) -> i32 {
    let env = |name: &str| std::env::var(name).ok();
    let SupportArgs {
        config,
        admin_url,
        token,
        json,
        op,
    } = args;
    let result =
        support::resolve_target(config.as_deref(), admin_url, token, &env).and_then(|target| {
            match op {
                SupportOp::Status { account } => {
                    support::run(&target, support::Op::Status, &account, json)
                }
                SupportOp::Unlock { account } => {
                    support::run(&target, support::Op::Unlock, &account, json)
                }
                SupportOp::Reset { account } => {
                    support::run(&target, support::Op::Reset, &account, json)
                }
                SupportOp::Audit {
                    account,
                    company,
                    limit,
                } => match (account, company) {
                    (Some(account), _) => {
                        support::run(&target, support::Op::Audit { limit }, &account, json)
                    }
                    (None, Some(company)) => {
                        let op = support::Op::CompanyAudit { limit };
                        support::run(&target, op, &company, json)
                    }
                    (None, None) => Err(support::SupportError::Config(
                        "give an ACCOUNT, or --company NAME".into(),
                    )),
                },
                SupportOp::Backup { out } => {
                    support_store::run(&target, support_store::Op::Backup { out }, json)
                }
                SupportOp::RotateEncryption => {
                    support_store::run(&target, support_store::Op::RotateEncryption, json)
                }
                SupportOp::Outbox(OutboxCmd::List { dead, after, limit }) => {
                    let op = outbox::ClientOp::List { dead, after, limit };
                    outbox::run_client(&target, op, json)
                }
                SupportOp::Outbox(OutboxCmd::Retry { id }) => {
                    outbox::run_client(&target, outbox::ClientOp::Retry { id }, json)
                }
            }
        });
    match result {
        Ok(out) => {
            print!("{out}");
            0
        }
        Err(e) => {
            eprintln!("mfa-gate support: {e}");
            e.exit_code()
        }
    }
}

/// The demo's well-known support token (loopback only; see config/demo.yaml).
const DEMO_SUPPORT_TOKEN: &str = "demo-support-token";

const DEMO_YAML: &str = include_str!("../config/demo.yaml");

/// The demo's configuration: `config/demo.yaml` (embedded), with its keys
/// generated into the data directory on first run (and the support token
/// written there), and the ports moved: app PORT+1, admin listener PORT+2.
fn demo_config(port: u16, data: &Path) -> anyhow::Result<Config> {
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
fn demo_postgres() -> anyhow::Result<config::StoreConfig> {
    const VAR: &str = "MFA_GATE_DATABASE_URL";
    let url = std::env::var(VAR).with_context(|| format!("--postgres needs {VAR}"))?;
    mfa_gate::store::postgres_url(&url).map_err(|m| anyhow::anyhow!("{VAR} {m}"))?;
    Ok(config::StoreConfig::Postgres(
        mfa_gate::store::PostgresOptions {
            url,
            pool_size: 10,
            // A loaded laptop (or CI box) gets more room than the default;
            // the staleness bound is the default's.
            timeout: std::time::Duration::from_secs(3),
            max_staleness: std::time::Duration::from_secs(2),
            // The demo's database is a private cluster on loopback.
            tls: mfa_gate::store::DatabaseTls::Disable,
        },
    ))
}

fn write_key(path: &Path) -> anyhow::Result<()> {
    use rand::RngCore;
    let mut key = [0u8; 32];
    rand::rng().fill_bytes(&mut key);
    let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
    write_secret_file(path, &hex)
}

/// A new file readable by its owner only, holding `text` and a newline.
fn write_secret_file(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    writeln!(f, "{text}")?;
    Ok(())
}

fn demo_banner(port: u16, data: &Path) -> String {
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

/// `mfa-gate healthcheck URL`: 0 on a 2xx answer, 1 otherwise (the
/// reason on stderr).
fn healthcheck(url: &str) -> i32 {
    let check = async {
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(3))
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        client.get(url).send().await
    };
    let answer = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
        .and_then(|rt| rt.block_on(check).map_err(|e| e.to_string()));
    match answer {
        Ok(r) if r.status().is_success() => 0,
        Ok(r) => {
            eprintln!("mfa-gate healthcheck: {url} answered {}", r.status());
            1
        }
        Err(e) => {
            eprintln!("mfa-gate healthcheck: {url}: {e}");
            1
        }
    }
}

/// `mfa-gate notify-test`: one test email through the configured transport.
fn notify_test(path: &std::path::Path, to: &str) -> i32 {
    let config = match config::load_file(path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("mfa-gate notify-test: {e}");
            return 2;
        }
    };
    let Some(email) = config.notify.as_ref().and_then(|n| n.email.as_ref()) else {
        eprintln!(
            "mfa-gate notify-test: {}: no `notify.email` section",
            path.display()
        );
        return 2;
    };
    let app = &config.ui.app_name;
    let message = match mfa_gate::notify::email::test_message(email, to, app) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("mfa-gate notify-test: {e}");
            return 2;
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("mfa-gate notify-test: {e}");
            return 1;
        }
    };
    let name = format!("test-{}", mfa_gate::clock::unix_now());
    match runtime.block_on(mfa_gate::notify::email::deliver(email, message, &name)) {
        Ok(()) => {
            println!("test message sent to {to}");
            0
        }
        Err(e) => {
            eprintln!("mfa-gate notify-test: not sent: {e}");
            1
        }
    }
}
