//! `mfa-gate store restore|copy`: the store, offline (no gateway holds
//! it). `restore` writes a verified backup into a new directory; `copy`
//! moves a sled store into an empty PostgreSQL database and compares the
//! two. Backups of a running gateway are `support backup`, in `store.rs`.

use crate::config;
use crate::maintenance::backup::{self, Counts};
use crate::store::{DatabaseTls, PostgresOptions, PostgresStore, SledStore};
use anyhow::Context;
use std::path::{Path, PathBuf};

/// `mfa-gate store restore`: the backup at `from`, checked under the keys
/// of the configuration at `config`, into the new directory `to`.
pub fn restore(config: &Path, from: &Path, to: &Path) -> anyhow::Result<()> {
    let config = config::load_file(config)?;
    let bytes = std::fs::read(from).with_context(|| format!("cannot read {}", from.display()))?;
    let taken = backup::read(&bytes)?;
    let now = crate::clock::unix_now();
    let restored = backup::restore(&taken, &config.secrets.keys(), to, now)?;
    println!(
        "restored into {}: {} (backup taken at {} Unix time, {} ago)\n{}",
        to.display(),
        show_counts(&restored.counts),
        taken.created_at,
        backup::age(now - taken.created_at),
        restored.describe()
    );
    Ok(())
}

/// `mfa-gate store copy`: the sled store at `from` into the database at
/// `url`, in the clear with `no_tls`, else over TLS (with the roots of
/// `ca_file` when given, else the system's).
pub fn copy_store(
    from: &Path,
    url: String,
    no_tls: bool,
    ca_file: Option<PathBuf>,
) -> anyhow::Result<()> {
    let tls = match (no_tls, ca_file) {
        (true, _) => DatabaseTls::Disable,
        (false, Some(ca)) => DatabaseTls::RequireWithCa(ca),
        (false, None) => DatabaseTls::Require,
    };
    if !from.join("conf").exists() {
        anyhow::bail!("no sled store at {}", from.display());
    }
    let sled = SledStore::open(from).context("stop the gateway that uses it first")?;
    crate::store::postgres_url(&url).map_err(|m| anyhow::anyhow!("--to-postgres {m}"))?;
    let options = PostgresOptions {
        url,
        pool_size: 2,
        timeout: std::time::Duration::from_secs(10),
        max_staleness: std::time::Duration::from_secs(2),
        tls,
    };
    let pg = PostgresStore::open(&options)?;
    let copied = crate::store::copy::sled_to_postgres(&sled, &pg)?;
    println!(
        "copied {copied} from {} to {}; verified: both hold the same entries",
        from.display(),
        options.describe()
    );
    Ok(())
}

fn show_counts(counts: &Counts) -> String {
    let parts: Vec<String> = counts.iter().map(|(t, n)| format!("{n} {t}")).collect();
    if parts.is_empty() {
        "empty".into()
    } else {
        parts.join(", ")
    }
}
