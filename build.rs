//! Compiles every message catalog `pages/i18n/<lang>.json` into the binary
//! without naming it in code: writes `$OUT_DIR/catalogs.rs`, the list of
//! `(tag, include_str!(file))` that `src/i18n/language.rs` includes. Adding
//! a language is dropping in one file (the unit tests check it has every
//! key).

use std::fmt::Write as _;
use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let dir = manifest.join("pages").join("i18n");
    println!("cargo::rerun-if-changed={}", dir.display());
    let mut files: Vec<(String, PathBuf)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            let tag = path.file_stem()?.to_str()?.to_owned();
            let json = path.extension().is_some_and(|e| e == "json");
            (json && !tag.starts_with('.')).then_some((tag, path))
        })
        .collect();
    files.sort();
    let mut out = String::from("/// Every built-in catalog: (language tag, JSON text).\n");
    out.push_str("const CATALOGS: &[(&str, &str)] = &[\n");
    for (tag, path) in &files {
        println!("cargo::rerun-if-changed={}", path.display());
        let _ = writeln!(
            out,
            "    ({tag:?}, include_str!({:?})),",
            path.display().to_string()
        );
    }
    out.push_str("];\n");
    let target =
        PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo")).join("catalogs.rs");
    std::fs::write(&target, out).unwrap_or_else(|e| panic!("{}: {e}", target.display()));
}
