//! `mfa-gate keys generate|rotate-encryption`: fresh keys printed (or
//! written into a key directory, `--dir`), and the
//! offline re-seal of every stored secret under the first encryption key
//! (the gateway stopped; a running one: `support rotate-encryption`, in
//! `store.rs`). Also how the stored secrets' keys read in `check-config`.

use crate::config;
use crate::server::{self, StoredKeys};
use anyhow::Context;
use std::path::Path;

/// `mfa-gate keys generate`: a fresh HMAC key and encryption key (hex)
/// with their key ids, on stdout; with `--dir`, written into that
/// directory instead (`secrets: { dir: DIR }`), readable by the owner
/// only, and never over an existing key.
pub fn generate(dir: Option<&Path>) -> anyhow::Result<()> {
    let Some(dir) = dir else {
        print!("{}", crate::keys::generate_keys_text(&mut rand::rng()));
        return Ok(());
    };
    let files = crate::keys::generate_key_files(&mut rand::rng());
    // Both checked before either is written: no half-new directory.
    for (name, _, _) in &files {
        let path = dir.join(name);
        if path.exists() {
            anyhow::bail!(
                "{} already exists: refusing to overwrite a key (the store's secrets are sealed with it); move it away first",
                path.display()
            );
        }
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for (name, text, id) in &files {
        let path = dir.join(name);
        write_secret_file(&path, text)?;
        println!("wrote {} (key id {id})", path.display());
    }
    println!(
        "configuration: secrets: {{ dir: {} }}  (back up encryption.key with the store)",
        dir.display()
    );
    Ok(())
}

/// A new file readable by its owner only, holding `text` and a newline;
/// an existing file is an error, never overwritten.
pub(crate) fn write_secret_file(path: &Path, text: &str) -> anyhow::Result<()> {
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

/// `mfa-gate keys rotate-encryption`: re-seal every stored TOTP secret
/// under the first key of `secrets.encryption_key`, `batch` persons per
/// flush, printing each batch, then which older keys can go.
pub fn rotate_encryption(config: &Path, batch: usize) -> anyhow::Result<()> {
    let config = config::load_file(config)?;
    if let Some(path) = config.store.sled_path()
        && !path.join("conf").exists()
    {
        anyhow::bail!("no store at {}: nothing to re-seal", path.display());
    }
    let store = server::open_store(&config.store)
        .context("stop the gateway first, or use `mfa-gate support rotate-encryption`")?;
    let keys = config.secrets.keys();
    let ids = keys.encryption_ids();
    let done = crate::maintenance::rotate::reseal_all(store.as_ref(), &keys, batch, &mut |p| {
        println!("batch {}: {p}", p.batches);
        std::ops::ControlFlow::Continue(())
    })?;
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

/// Whether the configured keys open the stored secrets, in words.
pub fn show_stored(stored: &StoredKeys) -> String {
    match stored {
        StoredKeys::NoStore => "no store yet".into(),
        StoredKeys::Locked => {
            "not checked: a running gateway holds the store (its reload and restart check them)"
                .into()
        }
        StoredKeys::Checked(p) => format!(
            "{} sealed secrets of {} persons open with the configured keys ({} under the first)",
            p.secrets, p.persons, p.current
        ),
    }
}
