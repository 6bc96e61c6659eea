//! Online backup and offline restore of the store. A backup is one text
//! file: a header line, one line per stored entry (`tree`, key and value in
//! base64; sealed secrets stay sealed, so the file is useless without the
//! encryption key), and a trailer line with the count of each tree, a
//! SHA-256 of everything before it (damage in transit) and an HMAC of the
//! same under the HMAC key ring, naming its key (authenticity: a writer of
//! the backup without the key cannot add a remembered browser, remove an
//! enrollment or lift a lock and have it restored). It is taken through
//! the running gateway's store (`GET /v1/backup` on the admin listener,
//! `mfa-gate support backup`): each entry is read atomically while
//! requests go on, and no invariant spans two entries (a person's codes,
//! steps and backup codes are one record). `mfa-gate store restore` checks
//! the HMAC under the configuration's keys and loads the backup into a new,
//! empty directory (`restore.rs`).

mod restore;
pub use restore::{Restored, restore};

use crate::keys::{KeyId, Keys};
use crate::store::{Store, StoreError};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest as _, Sha256};
use std::collections::BTreeMap;

const MAGIC: &str = "mfa-gate backup";
/// 2: the trailer carries an HMAC (1 had a checksum only).
const VERSION: u64 = 2;
/// Domain of the backup's HMAC (`Keys::mac`).
const MAC_DOMAIN: &str = "backup";

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
    #[error(
        "the backup was taken before backups were signed (format version 1): it cannot be told \
         from an edited one, so it is not restored; take a new one with `mfa-gate support backup`"
    )]
    Unsigned,
    #[error(
        "the backup is signed with HMAC key id {0}, which is not among this configuration's \
         secrets.hmac_key: restore with the configuration (keys) of the gateway that took it"
    )]
    UnknownKey(KeyId),
    #[error(
        "the backup's signature does not verify under HMAC key id {0}: it was changed after it \
         was taken, so it is not restored"
    )]
    BadSignature(KeyId),
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
    /// The HMAC key id and the HMAC (hex) of everything before the
    /// trailer; absent in version 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    hmac: Option<String>,
}

/// A backup of `store` taken at `now`, signed under the first key of
/// `keys`' HMAC ring, and its counts.
pub fn take(store: &dyn Store, keys: &Keys, now: i64) -> Result<(Vec<u8>, Counts), BackupError> {
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
        sha256: hex::encode(Sha256::digest(&out)),
        key_id: Some(keys.hmac_id().to_string()),
        hmac: Some(hex::encode(keys.mac(MAC_DOMAIN, &[&out]))),
    };
    out.extend_from_slice(&json_line(&trailer)?);
    Ok((out, counts))
}

fn json_line<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, BackupError> {
    let mut line = serde_json::to_vec(value).map_err(|e| BackupError::Format(e.to_string()))?;
    line.push(b'\n');
    Ok(line)
}

/// A backup file read and checked for damage (checksum, counts); whether
/// it is authentic is [`Backup::authenticate`]'s question, which needs the
/// keys (the support client that fetches a backup has none).
pub struct Backup {
    pub created_at: i64,
    pub counts: Counts,
    entries: Vec<(String, Vec<u8>, Vec<u8>)>,
    /// Everything before the trailer, and what the trailer says signed it.
    body: Vec<u8>,
    signature: Option<(String, String)>,
}

impl Backup {
    /// Whether the backup is as the gateway holding `keys`' HMAC ring took
    /// it: its HMAC verifies (constant time) under the key it names.
    pub fn authenticate(&self, keys: &Keys) -> Result<(), BackupError> {
        let Some((key_id, mac)) = &self.signature else {
            return Err(BackupError::Unsigned);
        };
        let bad = || BackupError::Format("the signature line is malformed".into());
        let id = KeyId::parse(key_id).ok_or_else(bad)?;
        let mac = hex::decode(mac).map_err(|_| bad())?;
        let index = keys.hmac_index(id).ok_or(BackupError::UnknownKey(id))?;
        match keys.verify_mac_at(index, MAC_DOMAIN, &[&self.body], &mac) {
            true => Ok(()),
            false => Err(BackupError::BadSignature(id)),
        }
    }
}

/// Read a backup and check it for damage (not yet for authenticity).
pub fn read(bytes: &[u8]) -> Result<Backup, BackupError> {
    let format = |m: &str| BackupError::Format(m.to_owned());
    let body_end = bytes
        .strip_suffix(b"\n")
        .and_then(|b| b.iter().rposition(|&c| c == b'\n'))
        .map(|i| i + 1)
        .ok_or_else(|| format("no trailer line"))?;
    let (body, trailer) = bytes.split_at(body_end);
    let trailer: Trailer = serde_json::from_slice(trailer).map_err(|_| BackupError::Checksum)?;
    if hex::encode(Sha256::digest(body)) != trailer.sha256 {
        return Err(BackupError::Checksum);
    }
    let text = std::str::from_utf8(body).map_err(|_| format("not text"))?;
    let mut lines = text.lines();
    let header: Header = lines
        .next()
        .and_then(|l| serde_json::from_str(l).ok())
        .ok_or_else(|| format("no header line"))?;
    if header.format != MAGIC || !(1..=VERSION).contains(&header.version) {
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
    let signature = match (header.version, trailer.key_id, trailer.hmac) {
        (1, _, _) => None,
        (_, Some(id), Some(mac)) => Some((id, mac)),
        _ => return Err(format("a version 2 backup without its signature")),
    };
    Ok(Backup {
        created_at: header.created_at,
        counts,
        entries,
        body: body.to_vec(),
        signature,
    })
}

pub(crate) fn check_counts(expected: &Counts, found: &Counts) -> Result<(), BackupError> {
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

/// A backup's age for people: "3 d 4 h", "25 min", "10 s".
pub fn age(secs: i64) -> String {
    let secs = secs.max(0);
    match secs {
        s if s >= 86_400 => format!("{} d {} h", s / 86_400, s % 86_400 / 3600),
        s if s >= 3600 => format!("{} h {} min", s / 3600, s % 3600 / 60),
        s if s >= 60 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}

#[cfg(test)]
mod tests;
