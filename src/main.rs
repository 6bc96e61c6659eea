//! The `mfa-gate` command: `serve`, `check-config`, `demo`, `support`,
//! `keys`, `store`, `identity-check`, `notify-test`, `healthcheck`. Parses
//! the command line, starts logging (format from the configuration's `log`
//! section unless `--log-json`) and hands off to `server::run` or to the
//! command's half in `mfa_gate::cli`. With `cli/`, the only place that uses
//! `anyhow`.

use clap::{Parser, Subcommand};
#[cfg(feature = "demo")]
use mfa_gate::cli::demo;
use mfa_gate::cli::store as support_store;
use mfa_gate::cli::{checks, explain, keys, offline_store, outbox, support};
use mfa_gate::config::{self, Config, LogFormat};
use mfa_gate::observe::logging;
use mfa_gate::server;
use std::path::PathBuf;

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
    /// Which access rule a request meets and what the gateway would
    /// decide, for each state the person could be in (the store is not
    /// read; the identity is given here, as the app would give it).
    Explain(ExplainArgs),
    /// Run the bundled demo app behind the gateway on loopback.
    #[cfg(feature = "demo")]
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
    /// Print a fresh HMAC key and encryption key (hex) with their key ids;
    /// with --dir, write them into DIR/hmac.key and DIR/encryption.key
    /// (mode 0600, never over existing files) for `secrets: { dir: DIR }`.
    Generate {
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
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
    /// replicas (docs/several-gateways.md).
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

/// `mfa-gate explain`.
#[derive(clap::Args, Debug)]
struct ExplainArgs {
    #[arg(short, long, value_name = "FILE")]
    config: PathBuf,
    /// The account (as the app names it).
    #[arg(long)]
    account: String,
    /// The request target, e.g. `/admin/users?page=2`.
    #[arg(long)]
    path: String,
    #[arg(long, default_value = "GET")]
    method: String,
    /// The `Host` the request names.
    #[arg(long)]
    host: Option<String>,
    /// The client address, as seen through `trusted_proxies`.
    #[arg(long)]
    ip: Option<std::net::IpAddr>,
    /// The account class: candidate, employee or admin.
    #[arg(long, default_value = "employee", value_parser = parse_class)]
    class: mfa_gate::domain::AccountClass,
    /// A role (or group) of the identity mapping (repeatable).
    #[arg(long = "role")]
    roles: Vec<String>,
    #[arg(long, default_value = "default")]
    company: String,
    /// The company's policy where the file does not pin it: optional,
    /// required or required_passkey.
    #[arg(long, value_parser = parse_policy)]
    policy: Option<mfa_gate::domain::Enforcement>,
}

impl ExplainArgs {
    fn question(self) -> explain::Question {
        explain::Question {
            account: self.account,
            path: self.path,
            method: self.method.to_ascii_uppercase(),
            host: self.host,
            ip: self.ip,
            class: self.class,
            roles: self.roles,
            company: self.company,
            policy: self.policy,
        }
    }
}

fn parse_class(s: &str) -> Result<mfa_gate::domain::AccountClass, String> {
    mfa_gate::domain::AccountClass::parse(s)
        .ok_or_else(|| format!("{s:?} is not a class (candidate, employee, admin)"))
}

fn parse_policy(s: &str) -> Result<mfa_gate::domain::Enforcement, String> {
    mfa_gate::domain::Enforcement::parse(s)
        .ok_or_else(|| format!("{s:?} is not a policy (optional, required, required_passkey)"))
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
        Command::CheckConfig { config } => checks::check_config(&config),
        Command::Explain(args) => explain::explain_file(&args.config.clone(), &args.question()),
        Command::Support(args) => {
            init_logging(log_json, None);
            std::process::exit(run_support(args));
        }
        Command::NotifyTest { config, to } => std::process::exit(checks::notify_test(&config, &to)),
        Command::Healthcheck { url } => std::process::exit(checks::healthcheck(&url)),
        Command::IdentityCheck {
            config,
            cookies,
            host,
        } => std::process::exit(checks::identity_check(&config, &cookies, host.as_deref())?),
        Command::Keys(KeysOp::Generate { dir }) => keys::generate(dir.as_deref()),
        Command::Keys(KeysOp::RotateEncryption { config, batch }) => {
            keys::rotate_encryption(&config, batch)
        }
        Command::Store(StoreOp::Restore { config, from, to }) => {
            offline_store::restore(&config, &from, &to)
        }
        Command::Store(StoreOp::Copy {
            from_sled,
            to_postgres,
            no_tls,
            ca_file,
        }) => offline_store::copy_store(&from_sled, to_postgres, no_tls, ca_file),
        #[cfg(feature = "demo")]
        Command::Demo {
            port,
            data,
            postgres,
            app,
        } => run_demo(port, &data, postgres, app, log_json),
    }
}

/// `mfa-gate demo`: the gateway, and unless `--app`, the sample app.
#[cfg(feature = "demo")]
fn run_demo(
    port: u16,
    data: &std::path::Path,
    postgres: bool,
    app: Option<String>,
    log_json: bool,
) -> anyhow::Result<()> {
    let mut config = demo::demo_config(port, data)?;
    if postgres {
        config.store = demo::demo_postgres()?;
    }
    init_logging(log_json, Some(&config));
    println!("{}", demo::demo_banner(port, data));
    let extra = demo::demo_app(&mut config, app);
    server::run(config, extra)?;
    Ok(())
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
    let result = support::resolve_target(config.as_deref(), admin_url, token, &env)
        .and_then(|target| support_call(&target, op, json));
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

/// One support operation against the gateway at `target`.
fn support_call(
    target: &support::Target,
    op: SupportOp,
    json: bool,
) -> Result<String, support::SupportError> {
    match op {
        SupportOp::Status { account } => support::run(target, support::Op::Status, &account, json),
        SupportOp::Unlock { account } => support::run(target, support::Op::Unlock, &account, json),
        SupportOp::Reset { account } => support::run(target, support::Op::Reset, &account, json),
        SupportOp::Audit {
            account,
            company,
            limit,
        } => match (account, company) {
            (Some(account), _) => {
                support::run(target, support::Op::Audit { limit }, &account, json)
            }
            (None, Some(company)) => {
                let op = support::Op::CompanyAudit { limit };
                support::run(target, op, &company, json)
            }
            (None, None) => Err(support::SupportError::Config(
                "give an ACCOUNT, or --company NAME".into(),
            )),
        },
        SupportOp::Backup { out } => {
            support_store::run(target, support_store::Op::Backup { out }, json)
        }
        SupportOp::RotateEncryption => {
            support_store::run(target, support_store::Op::RotateEncryption, json)
        }
        SupportOp::Outbox(OutboxCmd::List { dead, after, limit }) => {
            let op = outbox::ClientOp::List { dead, after, limit };
            outbox::run_client(target, op, json)
        }
        SupportOp::Outbox(OutboxCmd::Retry { id }) => {
            outbox::run_client(target, outbox::ClientOp::Retry { id }, json)
        }
    }
}
