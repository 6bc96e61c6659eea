//! Finding a field in the YAML text, for errors found after parsing (when
//! serde's own position is gone): a small indentation walk over block-style
//! YAML, good enough to point an operator at the right line. It never
//! decides whether a file is valid.

/// Where `field` (e.g. `upstream.address`, `bypass[2]`) is written in the
/// text: the 1-based line and column of its key or list item, found by
/// following indentation. Falls back to the nearest ancestor that is found
/// (flow collections, defaulted fields); `None` if not even the top-level
/// key is written.
pub(super) fn locate(yaml: &str, field: &str) -> Option<(usize, usize)> {
    let lines: Vec<&str> = yaml.lines().collect();
    let mut found: Option<(usize, usize)> = None; // 0-based (line, column)
    for segment in segments(field) {
        let (from, parent_indent) = match found {
            Some((line, column)) => (line + 1, Some(column)),
            None => (0, None),
        };
        // A flow collection on the parent's line: search that line only.
        if let Some((line, column)) = found {
            let rest = &lines[line][column..];
            if rest.contains(['{', '[']) {
                if let Segment::Key(key) = segment
                    && let Some(at) = find_flow_key(rest, key)
                {
                    found = Some((line, column + at));
                }
                break;
            }
        }
        match find_in_block(&lines, from, parent_indent, segment) {
            Some(hit) => found = Some(hit),
            None => break,
        }
    }
    found.map(|(line, column)| (line + 1, column + 1))
}

#[derive(Clone, Copy)]
enum Segment<'a> {
    Key(&'a str),
    Index(usize),
}

fn segments(field: &str) -> Vec<Segment<'_>> {
    let mut out = Vec::new();
    for part in field.split('.') {
        let (key, mut indexes) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !key.is_empty() {
            out.push(Segment::Key(key));
        }
        while let Some(rest) = indexes.strip_prefix('[') {
            let Some((n, tail)) = rest.split_once(']') else {
                break;
            };
            if let Ok(n) = n.parse() {
                out.push(Segment::Index(n));
            }
            indexes = tail;
        }
    }
    out
}

/// Searches the block below a parent written at column `parent_indent`
/// (`None`: the top level) for the key or the n-th list item.
fn find_in_block(
    lines: &[&str],
    from: usize,
    parent_indent: Option<usize>,
    segment: Segment<'_>,
) -> Option<(usize, usize)> {
    let mut child_indent = None;
    let mut items = 0;
    for (n, line) in lines.iter().enumerate().skip(from) {
        let content = line.trim_start_matches(' ');
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let indent = line.len() - content.len();
        let is_item = content == "-" || content.starts_with("- ");
        // A list may sit at its key's own indentation.
        let inside = match parent_indent {
            None => true,
            Some(p) => indent > p || (indent == p && is_item),
        };
        if !inside {
            return None;
        }
        let level = *child_indent.get_or_insert(indent);
        if indent != level {
            continue;
        }
        match segment {
            Segment::Key(key) if key_of(content) == Some(key) => return Some((n, indent)),
            Segment::Index(i) if is_item => {
                if items == i {
                    return Some((n, indent));
                }
                items += 1;
            }
            _ => {}
        }
    }
    None
}

/// The key of a block mapping entry `key: …`, quotes removed.
fn key_of(content: &str) -> Option<&str> {
    let (key, _) = content.split_once(':')?;
    let key = key.trim_end();
    Some(
        key.strip_prefix('"')
            .and_then(|k| k.strip_suffix('"'))
            .or_else(|| key.strip_prefix('\'').and_then(|k| k.strip_suffix('\'')))
            .unwrap_or(key),
    )
}

/// Byte offset of `key:` inside a flow mapping such as `{ env: X }`.
fn find_flow_key(text: &str, key: &str) -> Option<usize> {
    text.match_indices(key).map(|(i, _)| i).find(|&i| {
        let before = text[..i].trim_end().chars().last();
        let after = text[i + key.len()..].trim_start();
        matches!(before, Some('{' | ',')) && after.starts_with(':')
    })
}

#[cfg(test)]
mod tests;
