//! `--sled-residency`: how much memory sled 0.34 keeps resident for keys
//! written since the store was opened, against its `cache_capacity`: the
//! measurement behind BENCHMARKS.md's "Memory" (the accounts-seen index is
//! one sled key per account). Each case runs in a fresh process (this
//! binary again, `--sled-residency-case`), so that one case's heap does not
//! carry into the next: it opens an empty store in a temporary directory,
//! inserts, flushes, waits a moment, and prints its `VmRSS` growth.

use anyhow::{Context, Result, bail};
use std::process::Command;
use std::time::Duration;

pub const FLAG: &str = "--sled-residency";
pub const CASE_FLAG: &str = "--sled-residency-case";

/// (page cache MiB, distinct keys, writes in all, value bytes)
const CASES: [(u64, u32, u32, usize); 8] = [
    (1, 100_000, 100_000, 110),
    (8, 100_000, 100_000, 10),
    (8, 100_000, 100_000, 110),
    (64, 100_000, 100_000, 110),
    (8, 1_000, 100_000, 110),
    // The same bytes as 100 000 notes, batched 500 to a record.
    (8, 200, 200, 66_000),
    (8, 300_000, 300_000, 110),
    (8, 1_000_000, 1_000_000, 110),
];

/// Run every case in its own process and print the table.
pub fn run() -> Result<()> {
    let me = std::env::current_exe()?;
    println!("#### sled 0.34: resident memory of keys written since open\n");
    println!(
        "| page cache | distinct keys | writes | value bytes | RSS growth | per distinct key |"
    );
    println!("|---:|---:|---:|---:|---:|---:|");
    for (cache, keys, writes, value) in CASES {
        let out = Command::new(&me)
            .args([CASE_FLAG, &cache.to_string(), &keys.to_string()])
            .args([&writes.to_string(), &value.to_string()])
            .output()
            .context("starting a residency case")?;
        if !out.status.success() {
            bail!(
                "residency case failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let grown_kib: f64 = String::from_utf8_lossy(&out.stdout).trim().parse()?;
        println!(
            "| {cache} MiB | {keys} | {writes} | {value} | {:.1} MiB | {:.0} B |",
            grown_kib / 1024.0,
            grown_kib * 1024.0 / f64::from(keys)
        );
    }
    Ok(())
}

/// One case (in a fresh process): prints the RSS growth in KiB.
pub fn case(args: &[String]) -> Result<()> {
    let [cache, keys, writes, value] = args else {
        bail!("usage: {CASE_FLAG} CACHE_MIB KEYS WRITES VALUE_BYTES");
    };
    let (cache, keys): (u64, u32) = (cache.parse()?, keys.parse()?);
    let (writes, value): (u32, usize) = (writes.parse()?, value.parse()?);
    let dir = tempfile::tempdir()?;
    let db = sled::Config::new()
        .path(dir.path())
        .cache_capacity(cache * 1024 * 1024)
        .open()?;
    let tree = db.open_tree("seen")?;
    let before = rss_kib()?;
    let bytes = vec![b'x'; value];
    for i in 0..writes {
        tree.insert(format!("5:bench/ulive-{}", i % keys), bytes.as_slice())?;
    }
    db.flush()?;
    std::thread::sleep(Duration::from_secs(2));
    println!("{}", rss_kib()?.saturating_sub(before));
    Ok(())
}

fn rss_kib() -> Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .context("no VmRSS")?;
    Ok(line
        .split_whitespace()
        .nth(1)
        .context("no VmRSS value")?
        .parse()?)
}
