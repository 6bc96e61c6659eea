//! The documentation against the repository: every relative link of the
//! README and of `docs/` (files, folders, images and the headings they
//! point into) resolves, the README's first code block is the minimal
//! configuration a test loads, and the webhook verifier the notification
//! tests run is the one `docs/notifications.md` tells operators to copy.
//! The forward-auth recipes are checked by running them (`fronts`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The README and every Markdown page under `docs/`.
fn pages() -> Vec<PathBuf> {
    let mut pages = vec![repo().join("README.md")];
    let mut dirs = vec![repo().join("docs")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "md") {
                pages.push(path);
            }
        }
    }
    pages.sort();
    pages
}

/// The text of `page` outside fenced blocks and inline code, line by line.
fn prose(page: &str) -> Vec<String> {
    let mut fenced = false;
    let mut lines = Vec::new();
    for line in page.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if !fenced {
            let outside: String = line.split('`').step_by(2).collect::<Vec<_>>().join(" ");
            lines.push(outside);
        }
    }
    lines
}

/// The targets of `[text](target)` and `src="target"` in `page`.
fn targets(page: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in prose(page) {
        for (open, close) in [("](", ')'), ("src=\"", '"')] {
            let mut rest = line.as_str();
            while let Some(at) = rest.find(open) {
                rest = &rest[at + open.len()..];
                let end = rest.find(close).unwrap_or(rest.len());
                found.push(rest[..end].trim().to_owned());
                rest = &rest[end..];
            }
        }
    }
    found
}

/// GitHub's anchor for a heading: lower case, punctuation dropped, spaces
/// as hyphens.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

fn anchors(page: &str) -> BTreeSet<String> {
    let mut fenced = false;
    let mut found = BTreeSet::new();
    for line in page.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        } else if !fenced && line.starts_with('#') {
            found.insert(slug(line.trim_start_matches('#')));
        }
    }
    found
}

/// Why `target`, linked from `page`, does not resolve (None: it does).
fn broken(page: &Path, target: &str) -> Option<String> {
    let external = ["http://", "https://", "mailto:"];
    if target.is_empty() || external.iter().any(|scheme| target.starts_with(scheme)) {
        return None;
    }
    let (file, anchor) = target.split_once('#').unwrap_or((target, ""));
    let resolved = if file.is_empty() {
        page.to_path_buf()
    } else {
        page.parent().unwrap().join(file)
    };
    if !resolved.exists() {
        return Some(format!("{target}: no {}", resolved.display()));
    }
    let is_page = resolved.extension().is_some_and(|e| e == "md");
    if !anchor.is_empty() && is_page && !anchors(&read(&resolved)).contains(anchor) {
        return Some(format!("{target}: no heading #{anchor}"));
    }
    None
}

#[test]
fn every_relative_link_of_the_readme_and_docs_resolves() {
    let mut problems = Vec::new();
    let mut checked = 0;
    for page in pages() {
        for target in targets(&read(&page)) {
            checked += 1;
            if let Some(why) = broken(&page, &target) {
                let name = page.strip_prefix(repo()).unwrap().display().to_string();
                problems.push(format!("{name}: {why}"));
            }
        }
    }
    assert!(
        checked > 100,
        "only {checked} links found: is the parser blind?"
    );
    assert!(
        problems.is_empty(),
        "broken links:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_link_checker_sees_a_broken_link_and_a_missing_heading() {
    let readme = repo().join("README.md");
    assert_eq!(broken(&readme, "docs/configuration.md"), None);
    assert_eq!(broken(&readme, "docs/configuration.md#configuration"), None);
    assert!(broken(&readme, "docs/no-such-page.md").is_some());
    assert!(broken(&readme, "docs/configuration.md#no-such-heading").is_some());
    assert_eq!(
        targets("see [a](b.md) and <img src=\"c.png\">, not `[d](e)`\n```\n[f](g)\n```\n"),
        ["b.md", "c.png"]
    );
    assert_eq!(
        slug(" Passkeys and security keys (WebAuthn)"),
        "passkeys-and-security-keys-webauthn"
    );
}

/// The lines of `text` from the one starting with `first` to the one
/// starting with `last`, both included.
fn span<'a>(text: &'a str, first: &str, last: &str, name: &str) -> Vec<&'a str> {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.iter().position(|l| l.starts_with(first));
    let start = start.unwrap_or_else(|| panic!("{first:?} in {name}"));
    let len = lines[start..]
        .iter()
        .position(|l| l.trim_start().starts_with(last));
    let len = len.unwrap_or_else(|| panic!("{last:?} after {first:?} in {name}"));
    lines[start..=start + len].to_vec()
}

#[test]
fn the_tests_verify_webhooks_with_the_documented_verifier() {
    let (docs, receiver) = ("docs/notifications.md", "tests/it/notify/receiver.py");
    let documented = read(&repo().join(docs));
    let running = read(&repo().join(receiver));
    let (first, last) = ("import hmac, hashlib", "return hmac.compare_digest");
    assert_eq!(
        span(&documented, first, last, docs),
        span(&running, first, last, receiver),
        "{receiver} must run the verifier {docs} shows"
    );
}

/// The settings of a YAML text: its lines without comments and blank lines.
fn settings(yaml: &str) -> Vec<&str> {
    let lines = yaml.lines().map(str::trim_end);
    lines
        .filter(|l| !l.is_empty() && !l.trim_start().starts_with('#'))
        .collect()
}

#[test]
fn the_readme_s_first_code_block_is_the_minimal_config() {
    let readme = read(&repo().join("README.md"));
    let fence = readme.find("\n```").expect("a code block in README.md");
    assert!(
        readme[fence..].starts_with("\n```yaml\n"),
        "a YAML block first"
    );
    let body = readme[fence + 1..]
        .split_once('\n')
        .expect("the fence's line")
        .1;
    let block = &body[..body.find("```").expect("the fence's end")];
    assert_eq!(
        settings(block),
        settings(&read(&repo().join("config/minimal.yaml"))),
        "README.md's first code block is config/minimal.yaml (comments aside), which a test loads"
    );
}
