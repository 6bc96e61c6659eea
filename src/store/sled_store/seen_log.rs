//! The accounts-seen notes of a sled store, kept out of sled (issue 35 §2):
//! one append-only file per UTC day in `<store>/seen-days/`, named
//! `<day>.log` (day = `last_seen` / 86 400), each note one frame `u32 key
//! length, key, u32 value length, value` (big-endian lengths; key and value
//! exactly as the `seen` tree held them: `PersonKey` bytes and
//! `records::encode_seen`). sled 0.34 kept ≈ 38 MiB resident for the
//! 100 000 new keys of a busy day (BENCHMARKS.md "Memory"); a file keeps a
//! handle.
//!
//! A note is a display aid, written at most once per account and day (the
//! memo in `access/rollout.rs`) and never flushed on its own: a write
//! reaches the OS before the call returns. Reads (the policy page, export,
//! counts) are rare: they stream the day files in range and keep each
//! key's latest note. A frame torn by a crash is cut off when its file is
//! next opened for writing, and skipped by a reader meanwhile. Day files
//! older than `KEEP_DAYS` are deleted when a gateway starts a new day's file.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{BufReader, ErrorKind, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::domain::SeenAccount;
use crate::store::StoreError;
use crate::store::records;

const DAY: i64 = 86_400;
/// Days of notes kept: more than the rollout view's window (30 days).
pub const KEEP_DAYS: i64 = 35;
/// No key or value of a note comes near this; a larger length is corrupt.
const MAX_PART: u32 = 1 << 20;
/// The directory inside the store's.
pub const DIR: &str = "seen-days";

/// Each key's latest note: key bytes to the decoded note and its bytes.
pub type Latest = BTreeMap<Vec<u8>, (SeenAccount, Vec<u8>)>;

/// The day files of one store (see the module doc).
pub struct SeenLog {
    dir: PathBuf,
    /// The day file written last, kept open.
    current: Mutex<Option<(i64, File)>>,
}

impl SeenLog {
    /// The log in `store_dir`; nothing is created until the first note.
    pub fn new(store_dir: &Path) -> SeenLog {
        SeenLog {
            dir: store_dir.join(DIR),
            current: Mutex::new(None),
        }
    }

    /// Append a note (a gateway's write); starting a new day's file deletes
    /// the files older than `KEEP_DAYS` before it.
    pub fn note(&self, key: &[u8], value: &[u8], last_seen: i64) -> Result<(), StoreError> {
        self.append(key, value, last_seen.div_euclid(DAY), true)
    }

    /// Append a note from a backup, into the file of its own day; nothing
    /// is deleted (a restore keeps every note it was given).
    pub fn import(&self, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        let seen = records::decode_seen(value)?;
        self.append(key, value, seen.last_seen.div_euclid(DAY), false)
    }

    fn append(&self, key: &[u8], value: &[u8], day: i64, prune: bool) -> Result<(), StoreError> {
        let frame = frame(key, value)?;
        let mut current = self.current.lock().unwrap_or_else(|p| p.into_inner());
        if current.as_ref().is_none_or(|(open, _)| *open != day) {
            let file = self.open_day(day)?;
            if prune {
                self.prune(day - KEEP_DAYS)?;
            } else if let Some((open, old)) = current.take() {
                // A restore syncs each file it leaves (`sync` the last).
                old.sync_data().map_err(|e| self.io_error(open, &e))?;
            }
            *current = Some((day, file));
        }
        let (_, file) = current.as_mut().expect("opened above");
        file.write_all(&frame).map_err(|e| self.io_error(day, &e))
    }

    /// Open a day's file for appending, cutting off a frame torn by a crash
    /// so that the next frame starts where a reader expects one.
    fn open_day(&self, day: i64) -> Result<File, StoreError> {
        std::fs::create_dir_all(&self.dir).map_err(|e| self.io_error(day, &e))?;
        let path = self.path_of(day);
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)
            .map_err(|e| self.io_error(day, &e))?;
        let whole = read_frames(&path, |_, _| Ok(()))?;
        let len = file.metadata().map_err(|e| self.io_error(day, &e))?.len();
        if whole < len {
            file.set_len(whole).map_err(|e| self.io_error(day, &e))?;
        }
        Ok(file)
    }

    /// Make the notes written so far durable (after a restore).
    pub fn sync(&self) -> Result<(), StoreError> {
        let current = self.current.lock().unwrap_or_else(|p| p.into_inner());
        match current.as_ref() {
            Some((day, file)) => file.sync_data().map_err(|e| self.io_error(*day, &e)),
            None => Ok(()),
        }
    }

    /// Delete the day files before `first_kept`.
    fn prune(&self, first_kept: i64) -> Result<(), StoreError> {
        for (day, path) in self.days()? {
            if day < first_kept {
                std::fs::remove_file(&path).map_err(|e| self.io_error(day, &e))?;
            }
        }
        Ok(())
    }

    /// The latest note of each key that starts with `prefix`, from the
    /// files of the days of `since` and later.
    pub fn latest(&self, prefix: &[u8], since: i64) -> Result<Latest, StoreError> {
        let mut out = Latest::new();
        for (day, path) in self.days()? {
            if day < since.div_euclid(DAY) {
                continue;
            }
            read_frames(&path, |key, value| {
                if key.starts_with(prefix) {
                    keep_latest(&mut out, key.to_vec(), value.to_vec())?;
                }
                Ok(())
            })?;
        }
        Ok(out)
    }

    /// Whether no file holds a note.
    pub fn is_empty(&self) -> Result<bool, StoreError> {
        for (day, path) in self.days()? {
            let len = std::fs::metadata(&path).map_err(|e| self.io_error(day, &e))?;
            if len.len() > 0 {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Bytes the day files occupy.
    pub fn size_on_disk(&self) -> Result<u64, StoreError> {
        let mut total = 0;
        for (day, path) in self.days()? {
            total += std::fs::metadata(&path)
                .map_err(|e| self.io_error(day, &e))?
                .len();
        }
        Ok(total)
    }

    /// The day files, oldest first (none when the directory is missing).
    /// Files not named `<day>.log` are not the log's and left alone.
    fn days(&self) -> Result<Vec<(i64, PathBuf)>, StoreError> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(StoreError::Engine(format!("{}: {e}", self.dir.display()))),
        };
        let mut out = Vec::new();
        for entry in entries {
            let entry =
                entry.map_err(|e| StoreError::Engine(format!("{}: {e}", self.dir.display())))?;
            let name = entry.file_name();
            let day = name.to_str().and_then(|n| n.strip_suffix(".log"));
            if let Some(day) = day.and_then(|d| d.parse::<i64>().ok()) {
                out.push((day, entry.path()));
            }
        }
        out.sort();
        Ok(out)
    }

    fn path_of(&self, day: i64) -> PathBuf {
        self.dir.join(format!("{day}.log"))
    }

    fn io_error(&self, day: i64, e: &std::io::Error) -> StoreError {
        StoreError::Engine(format!("{}: {e}", self.path_of(day).display()))
    }
}

/// Put `key`'s note into `out` unless `out` has a later one (of two notes
/// of the same second, the one read last wins, as the last write did in
/// sled).
pub fn keep_latest(out: &mut Latest, key: Vec<u8>, value: Vec<u8>) -> Result<(), StoreError> {
    let seen = records::decode_seen(&value)?;
    let later = out
        .get(&key)
        .is_none_or(|(kept, _)| seen.last_seen >= kept.last_seen);
    if later {
        out.insert(key, (seen, value));
    }
    Ok(())
}

fn frame(key: &[u8], value: &[u8]) -> Result<Vec<u8>, StoreError> {
    let len = |part: &[u8]| {
        u32::try_from(part.len())
            .ok()
            .filter(|n| *n <= MAX_PART)
            .ok_or_else(|| corrupt(&format!("a note part of {} bytes", part.len())))
    };
    let mut out = Vec::with_capacity(8 + key.len() + value.len());
    out.extend_from_slice(&len(key)?.to_be_bytes());
    out.extend_from_slice(key);
    out.extend_from_slice(&len(value)?.to_be_bytes());
    out.extend_from_slice(value);
    Ok(out)
}

/// Stream the whole frames of one file into `each`; returns the length of
/// the whole frames (a torn last frame is left out). A length beyond
/// `MAX_PART` is corrupt.
fn read_frames(
    path: &Path,
    mut each: impl FnMut(&[u8], &[u8]) -> Result<(), StoreError>,
) -> Result<u64, StoreError> {
    let io = |e: std::io::Error| StoreError::Engine(format!("{}: {e}", path.display()));
    let mut reader = BufReader::new(File::open(path).map_err(io)?);
    let mut whole = 0u64;
    let (mut key, mut value) = (Vec::new(), Vec::new());
    loop {
        let read = read_part(&mut reader, &mut key, path)
            .and_then(|ok| Ok(ok && read_part(&mut reader, &mut value, path)?));
        if !read? {
            return Ok(whole);
        }
        each(&key, &value)?;
        whole += 8 + key.len() as u64 + value.len() as u64;
    }
}

/// Read one length-prefixed part into `buf`; false at the end of the file
/// or of its whole frames.
fn read_part(reader: &mut impl Read, buf: &mut Vec<u8>, path: &Path) -> Result<bool, StoreError> {
    let mut len = [0u8; 4];
    match reader.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == ErrorKind::UnexpectedEof => return Ok(false),
        Err(e) => return Err(StoreError::Engine(format!("{}: {e}", path.display()))),
    }
    let len = u32::from_be_bytes(len);
    if len > MAX_PART {
        return Err(corrupt(&format!(
            "{}: a part of {len} bytes",
            path.display()
        )));
    }
    buf.resize(len as usize, 0);
    match reader.read_exact(buf) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == ErrorKind::UnexpectedEof => Ok(false),
        Err(e) => Err(StoreError::Engine(format!("{}: {e}", path.display()))),
    }
}

fn corrupt(detail: &str) -> StoreError {
    StoreError::Corrupt {
        what: "seen note",
        detail: detail.to_owned(),
    }
}

#[cfg(test)]
mod tests;
