//! Online backup and offline restore of the store. A backup is one text
//! file: a header line, one line per stored entry (`tree`, key and value in
//! base64; sealed secrets stay sealed, so the file is useless without the
//! encryption key), and a trailer line with the count of each tree and a
//! SHA-256 of everything before it. It is taken through the running
//! gateway's store (`GET /v1/backup` on the admin listener, `mfa-gate
//! support backup`): each entry is read atomically while requests go on,
//! and no invariant spans two entries (a person's codes, steps and backup
//! codes are one record). `mfa-gate store restore` loads it into a new,
//! empty directory and verifies the counts and that every person record
//! reads.

use crate::store::{SledStore, Store, StoreError};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest as _, Sha256};
use std::collections::BTreeMap;
use std::path::Path;

const MAGIC: &str = "mfa-gate backup";
const VERSION: u64 = 1;

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("not an mfa-gate backup, or damaged: {0}")]
    Format(String),
    #[error("the backup is damaged: its checksum does not match (truncated or changed)")]
    Checksum,
    #[error("{tree}: the backup says {expected} entries, {found} found")]
    Count {
        tree: String,
        expected: usize,
        found: usize,
    },
    #[error("{0} exists and is not empty: restore only into a new directory")]
    NotEmpty(String),
}

/// Entries per tree.
pub type Counts = BTreeMap<String, usize>;

#[derive(serde::Serialize, serde::Deserialize)]
struct Header {
    format: String,
    version: u64,
    created_at: i64,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Trailer {
    counts: Counts,
    sha256: String,
}

/// A backup of `store` taken at `now`, and its counts.
pub fn take(store: &dyn Store, now: i64) -> Result<(Vec<u8>, Counts), BackupError> {
    let header = Header {
        format: MAGIC.into(),
        version: VERSION,
        created_at: now,
    };
    let mut out = json_line(&header)?;
    let mut counts = Counts::new();
    store.export(&mut |tree, key, value| {
        *counts.entry(tree.to_owned()).or_default() += 1;
        out.extend_from_slice(tree.as_bytes());
        out.push(b'\t');
        out.extend_from_slice(STANDARD.encode(key).as_bytes());
        out.push(b'\t');
        out.extend_from_slice(STANDARD.encode(value).as_bytes());
        out.push(b'\n');
        Ok(())
    })?;
    let trailer = Trailer {
        counts: counts.clone(),
        sha256: hex(&Sha256::digest(&out)),
    };
    out.extend_from_slice(&json_line(&trailer)?);
    Ok((out, counts))
}

fn json_line<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, BackupError> {
    let mut line = serde_json::to_vec(value).map_err(|e| BackupError::Format(e.to_string()))?;
    line.push(b'\n');
    Ok(line)
}

/// A backup file read and verified (checksum, counts).
pub struct Backup {
    pub created_at: i64,
    pub counts: Counts,
    entries: Vec<(String, Vec<u8>, Vec<u8>)>,
}

/// Read and verify a backup.
pub fn read(bytes: &[u8]) -> Result<Backup, BackupError> {
    let format = |m: &str| BackupError::Format(m.to_owned());
    let body_end = bytes
        .strip_suffix(b"\n")
        .and_then(|b| b.iter().rposition(|&c| c == b'\n'))
        .map(|i| i + 1)
        .ok_or_else(|| format("no trailer line"))?;
    let (body, trailer) = bytes.split_at(body_end);
    let trailer: Trailer = serde_json::from_slice(trailer).map_err(|_| BackupError::Checksum)?;
    if hex(&Sha256::digest(body)) != trailer.sha256 {
        return Err(BackupError::Checksum);
    }
    let text = std::str::from_utf8(body).map_err(|_| format("not text"))?;
    let mut lines = text.lines();
    let header: Header = lines
        .next()
        .and_then(|l| serde_json::from_str(l).ok())
        .ok_or_else(|| format("no header line"))?;
    if header.format != MAGIC || header.version != VERSION {
        return Err(format(&format!(
            "format {:?} version {} (this mfa-gate reads {MAGIC:?} version {VERSION})",
            header.format, header.version
        )));
    }
    let mut entries = Vec::new();
    let mut counts = Counts::new();
    for (n, line) in lines.enumerate() {
        let bad = || format(&format!("entry {} is malformed", n + 1));
        let mut fields = line.split('\t');
        let (Some(tree), Some(key), Some(value), None) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            return Err(bad());
        };
        let key = STANDARD.decode(key).map_err(|_| bad())?;
        let value = STANDARD.decode(value).map_err(|_| bad())?;
        *counts.entry(tree.to_owned()).or_default() += 1;
        entries.push((tree.to_owned(), key, value));
    }
    check_counts(&trailer.counts, &counts)?;
    Ok(Backup {
        created_at: header.created_at,
        counts,
        entries,
    })
}

fn check_counts(expected: &Counts, found: &Counts) -> Result<(), BackupError> {
    for tree in expected.keys().chain(found.keys()) {
        let (e, f) = (
            expected.get(tree).copied().unwrap_or(0),
            found.get(tree).copied().unwrap_or(0),
        );
        if e != f {
            return Err(BackupError::Count {
                tree: tree.clone(),
                expected: e,
                found: f,
            });
        }
    }
    Ok(())
}

/// Load `backup` into a new store at `to` (absent, or an empty directory),
/// then verify: the counts of the store as written, and that every person
/// record decodes. Returns the counts.
pub fn restore(backup: &Backup, to: &Path) -> Result<Counts, BackupError> {
    let io = |source| BackupError::Io {
        path: to.display().to_string(),
        source,
    };
    if to.exists() && std::fs::read_dir(to).map_err(io)?.next().is_some() {
        return Err(BackupError::NotEmpty(to.display().to_string()));
    }
    let store = SledStore::open(to)?;
    if !store.is_empty() {
        return Err(BackupError::NotEmpty(to.display().to_string()));
    }
    store.import_entries(
        backup
            .entries
            .iter()
            .map(|(t, k, v)| (t.as_str(), k.as_slice(), v.as_slice())),
    )?;
    check_counts(&backup.counts, &store.counts())?;
    let mut after = None;
    loop {
        let keys = store.person_keys(after.as_ref(), 1000)?;
        let Some(last) = keys.last().cloned() else {
            break;
        };
        for key in &keys {
            store.person(key)?;
        }
        after = Some(last);
    }
    store.flush()?;
    Ok(store.counts())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
#[path = "backup_tests.rs"]
mod tests;
