//! An operator's wording (`ui.i18n_dir`): a directory of `<lang>.json`
//! files, each a JSON object of message key → text. A file for a built-in
//! language replaces the messages it names; a file for another language
//! adds that language, and must then have every key. Only `*.json` files
//! are read (hidden files, such as a Kubernetes ConfigMap's `..data`, and
//! other names are left alone). Unknown keys, blank messages and JSON that
//! does not read are errors naming the file: a typo must not silently
//! leave the built-in wording in place.

use super::language::{Catalog, Languages, Locale, known_keys};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// At most this many keys are listed in one message.
const LISTED: usize = 12;

/// What is wrong with a wording directory, with the file it is about.
#[derive(Debug)]
pub struct WordingError {
    pub file: PathBuf,
    /// 1-based position in the file, for JSON that does not read.
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl WordingError {
    fn new(file: &Path, message: impl Into<String>) -> WordingError {
        WordingError {
            file: file.to_owned(),
            line: None,
            column: None,
            message: message.into(),
        }
    }
}

/// The built-in languages with the wording of `dir` laid over them.
pub fn load_wording(dir: &Path) -> Result<Languages, WordingError> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| WordingError::new(dir, format!("cannot read the directory: {e}")))?;
    let mut files: Vec<PathBuf> = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|e| WordingError::new(dir, format!("cannot read the directory: {e}")))?
            .path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.ends_with(".json") && !name.starts_with('.') {
            files.push(path);
        }
    }
    files.sort();
    let mut wording = BTreeMap::new();
    for file in files {
        let (tag, catalog) = read_file(&file)?;
        wording.insert(tag, catalog);
    }
    Ok(Languages::with_wording(wording))
}

/// One `<lang>.json`, checked against the built-in keys.
fn read_file(file: &Path) -> Result<(String, Catalog), WordingError> {
    let tag = file
        .file_stem()
        .and_then(|s| s.to_str())
        .filter(|t| is_tag(t))
        .ok_or_else(|| {
            WordingError::new(
                file,
                "the file name is not a language tag (e.g. `en.json`, `pt-BR.json`)",
            )
        })?
        .to_owned();
    // `EN.json` is English, not a new language.
    let tag = Locale::built_in(&tag).map_or(tag, |l| l.as_str().to_owned());
    let text = std::fs::read_to_string(file)
        .map_err(|e| WordingError::new(file, format!("cannot read the file: {e}")))?;
    let catalog: Catalog = serde_json::from_str(&text).map_err(|e| WordingError {
        file: file.to_owned(),
        line: Some(e.line()),
        column: Some(e.column()),
        message: format!("not a JSON object of message key to text: {e}"),
    })?;
    check_keys(file, &tag, &catalog)?;
    Ok((tag, catalog))
}

fn check_keys(file: &Path, tag: &str, catalog: &Catalog) -> Result<(), WordingError> {
    let known: BTreeSet<&str> = known_keys().collect();
    let unknown: BTreeSet<&str> = catalog
        .keys()
        .map(String::as_str)
        .filter(|k| !known.contains(k))
        .collect();
    if !unknown.is_empty() {
        return Err(WordingError::new(
            file,
            format!("unknown message keys: {}", listed(&unknown)),
        ));
    }
    let blank: BTreeSet<&str> = catalog
        .iter()
        .filter(|(_, v)| v.trim().is_empty())
        .map(|(k, _)| k.as_str())
        .collect();
    if !blank.is_empty() {
        return Err(WordingError::new(
            file,
            format!("blank messages: {}", listed(&blank)),
        ));
    }
    if Locale::built_in(tag).is_none() {
        let missing: BTreeSet<&str> = known
            .into_iter()
            .filter(|k| !catalog.contains_key(*k))
            .collect();
        if !missing.is_empty() {
            return Err(WordingError::new(
                file,
                format!(
                    "`{tag}` is a new language, so it needs every message; missing: {}",
                    listed(&missing)
                ),
            ));
        }
    }
    Ok(())
}

/// A BCP 47-shaped tag: letters, digits and hyphens, starting with a letter.
fn is_tag(tag: &str) -> bool {
    !tag.is_empty()
        && tag.len() <= 35
        && tag.starts_with(|c: char| c.is_ascii_alphabetic())
        && tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// `a, b, c and 4 more`.
fn listed(keys: &BTreeSet<&str>) -> String {
    let shown: Vec<&str> = keys.iter().take(LISTED).copied().collect();
    let mut out = shown.join(", ");
    if keys.len() > LISTED {
        out.push_str(&format!(" and {} more", keys.len() - LISTED));
    }
    out
}
