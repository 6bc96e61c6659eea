//! The checks of `layering.rs`.

mod cycles;
mod lengths;
mod rooms;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The rooms, top to bottom: a room may use rooms of a lower rank and
/// its own. Rooms of one rank are neighbours: they may use each other
/// (the cycle rule still holds between their files).
const ROOMS: &[(&str, u8)] = &[
    ("main", 9),
    ("layering", 9),
    ("cli", 8),
    ("demo", 8),
    ("server", 8),
    ("edge", 7),
    ("admin", 6),
    ("pages", 6),
    ("access", 5),
    ("factors", 4),
    ("identity", 4),
    ("maintenance", 4),
    ("notify", 4),
    ("store", 3),
    ("observe", 2),
    ("reply", 2),
    ("request", 1),
    ("i18n", 1),
    ("config", 1),
    ("keys", 1),
    ("clock", 0),
    ("domain", 0),
];

/// Files (relative to `src/`) and rooms that may speak pingora.
fn is_glue(name: &str) -> bool {
    name.starts_with("edge/")
        || name.starts_with("demo")
        || name.starts_with("layering")
        || name.starts_with("observe/logging")
        || matches!(name, "main.rs" | "server.rs" | "observe/metrics.rs")
}

struct Source {
    /// Relative to `src/`, with `/`.
    name: String,
    /// The module path below `crate`.
    module: Vec<String>,
    /// Code lines (number, text) outside comments and test modules.
    code: Vec<(usize, String)>,
    is_test: bool,
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn sources() -> Vec<Source> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(files.len() > 20, "source tree not found at {src:?}");
    files.sort();
    files
        .iter()
        .map(|file| {
            let name = file
                .strip_prefix(&src)
                .unwrap_or(file)
                .to_string_lossy()
                .replace('\\', "/");
            let text = std::fs::read_to_string(file).unwrap_or_default();
            let mut module: Vec<String> = name
                .trim_end_matches(".rs")
                .split('/')
                .map(str::to_owned)
                .collect();
            if matches!(
                module.last().map(String::as_str),
                Some("mod" | "lib" | "main")
            ) {
                module.pop();
            }
            let is_test = name.ends_with("_tests.rs")
                || name.ends_with("/tests.rs")
                || name.contains("/tests/")
                || name.contains("_tests/");
            Source {
                code: code_lines(&text),
                module,
                is_test,
                name,
            }
        })
        .collect()
}

/// The lines that are code: no comment lines, and nothing from an
/// inline `#[cfg(test)] mod tests` on.
fn code_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut previous = String::new();
    let mut open_use: Option<(usize, String)> = None;
    for (n, line) in text.lines().enumerate() {
        let code = line.trim();
        if previous == "#[cfg(test)]" && code.starts_with("mod tests") && code.ends_with('{') {
            break;
        }
        previous = code.to_owned();
        if code.starts_with("//") || code.is_empty() {
            continue;
        }
        // A `use` over several lines is read as one line.
        if let Some((at, mut joined)) = open_use.take() {
            joined.push(' ');
            joined.push_str(code);
            match code.ends_with(';') {
                true => out.push((at, joined)),
                false => open_use = Some((at, joined)),
            }
            continue;
        }
        let starts_use = code.starts_with("use ") || code.starts_with("pub use ");
        if starts_use && !code.ends_with(';') {
            open_use = Some((n + 1, line.to_owned()));
            continue;
        }
        out.push((n + 1, line.to_owned()));
    }
    out
}

fn room(name: &str) -> &str {
    name.split('/')
        .next()
        .unwrap_or(name)
        .trim_end_matches(".rs")
}

fn rank(room: &str) -> Option<u8> {
    ROOMS.iter().find(|(r, _)| *r == room).map(|(_, k)| *k)
}

/// A line that uses pingora as code (not in a comment or a string).
fn uses_pingora(line: &str) -> bool {
    let code = line.trim_start();
    !code.starts_with("//")
        && (code.contains("pingora::") || (code.contains("pingora_") && !code.contains('"')))
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Every path a line names from `start` (`crate::a::b`, a group
/// `crate::a::{b, c::d}` expanded), as segments after the root.
fn paths_after(line: &str, root: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let needle = format!("{root}::");
    let mut from = 0;
    while let Some(found) = line[from..].find(&needle) {
        let at = from + found;
        from = at + needle.len();
        let before = line[..at].chars().next_back();
        // `pub(in crate::x)` is a visibility, not a use.
        if before.is_some_and(|c| is_ident(c) || c == ':') || line[..at].ends_with("(in ") {
            continue;
        }
        tree(&line[from..], Vec::new(), &mut out);
    }
    out
}

/// Read one use tree (`a::b`, `a::{b, c}`) at the start of `s`.
fn tree(s: &str, prefix: Vec<String>, out: &mut Vec<Vec<String>>) -> usize {
    let mut path = prefix;
    let mut i = 0;
    let bytes: Vec<char> = s.chars().collect();
    loop {
        while i < bytes.len() && bytes[i] == ' ' {
            i += 1;
        }
        if i < bytes.len() && bytes[i] == '{' {
            i += 1;
            loop {
                let rest: String = bytes[i..].iter().collect();
                i += tree(&rest, path.clone(), out);
                while i < bytes.len() && matches!(bytes[i], ' ' | ',') {
                    i += 1;
                }
                if i >= bytes.len() || bytes[i] == '}' {
                    return i + 1;
                }
            }
        }
        let start = i;
        while i < bytes.len() && (is_ident(bytes[i]) || bytes[i] == '*') {
            i += 1;
        }
        if i > start {
            path.push(bytes[start..i].iter().collect());
        }
        if bytes[i..].starts_with(&[':', ':']) {
            i += 2;
        } else {
            if !path.is_empty() {
                out.push(path);
            }
            return i;
        }
    }
}

/// The source files of the crate, by module path.
struct Tree<'a> {
    by_module: BTreeMap<Vec<String>, &'a Source>,
    /// A module's re-exports of its own children: name → child file.
    exports: BTreeMap<(Vec<String>, String), Vec<String>>,
}

impl<'a> Tree<'a> {
    fn new(sources: &'a [Source]) -> Tree<'a> {
        let by_module: BTreeMap<_, _> = sources
            .iter()
            .filter(|s| s.name != "main.rs")
            .map(|s| (s.module.clone(), s))
            .collect();
        let mut exports = BTreeMap::new();
        for s in sources {
            for (_, line) in &s.code {
                let Some(rest) = line.trim().strip_prefix("pub use ") else {
                    continue;
                };
                let mut found = Vec::new();
                tree(rest, Vec::new(), &mut found);
                for path in found {
                    let mut child = s.module.clone();
                    child.push(path[0].clone());
                    if path.len() > 1 && by_module.contains_key(&child) {
                        let name = path.last().cloned().unwrap_or_default();
                        let target = resolve_in(&by_module, &child, &path[1..]);
                        exports.insert((s.module.clone(), name), target);
                    }
                }
            }
        }
        Tree { by_module, exports }
    }

    /// The file a path (below `crate`) lands in.
    fn resolve(&self, path: &[String]) -> Vec<String> {
        let module = resolve_in(&self.by_module, &[], path);
        let next = path.get(module.len());
        match next.and_then(|n| self.exports.get(&(module.clone(), n.clone()))) {
            Some(target) => target.clone(),
            None => module,
        }
    }
}

fn resolve_in(
    by_module: &BTreeMap<Vec<String>, &Source>,
    base: &[String],
    path: &[String],
) -> Vec<String> {
    let mut best = base.to_vec();
    let mut probe = base.to_vec();
    for segment in path {
        probe.push(segment.clone());
        if by_module.contains_key(&probe) {
            best = probe.clone();
        } else {
            break;
        }
    }
    best
}

/// The children a file declares (`mod x;`, `pub mod x;`, …).
fn children(source: &Source) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (_, line) in &source.code {
        let code = line.trim();
        let code = code.strip_prefix("pub ").unwrap_or(code);
        let code = match code.strip_prefix("pub(") {
            Some(rest) => rest.split_once(") ").map_or(code, |(_, r)| r),
            None => code,
        };
        if let Some(name) = code.strip_prefix("mod ").and_then(|r| r.strip_suffix(';')) {
            out.insert(name.to_owned());
        }
    }
    out
}

/// Every file each file uses: (line, target module).
fn uses(source: &Source, tree: &Tree) -> Vec<(usize, Vec<String>)> {
    let kids = children(source);
    let mut out = Vec::new();
    for (n, line) in &source.code {
        let code = line.trim();
        let front_door = code.starts_with("pub use ")
            || code.starts_with("mod ")
            || code.starts_with("pub mod ")
            || code.starts_with("pub(");
        if front_door && !code.contains("crate::") && !code.contains("super::") {
            continue;
        }
        let mut found: Vec<Vec<String>> = paths_after(line, "crate");
        for path in paths_after(line, "super") {
            // `super::super::x`: one level up per `super`.
            let ups = 1 + path.iter().take_while(|s| *s == "super").count();
            let parent = &source.module[..source.module.len().saturating_sub(ups)];
            let rest = path.iter().skip(ups - 1).cloned();
            found.push(parent.iter().cloned().chain(rest).collect());
        }
        let own = source.module.clone();
        for path in paths_after(line, "self") {
            found.push(own.iter().cloned().chain(path).collect());
        }
        for kid in &kids {
            for path in paths_after(line, kid) {
                let mut full = own.clone();
                full.push(kid.clone());
                found.push(full.into_iter().chain(path).collect());
            }
        }
        for path in found {
            let target = tree.resolve(&path);
            if target != source.module && !target.is_empty() {
                out.push((*n, target));
            }
        }
    }
    out
}
